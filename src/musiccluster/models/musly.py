"""musly (Schnitzer and Schlüter) as a similarity method: tracks in, a distance matrix out.

Chapter *Similarity*; command ``musiccluster cluster --method musly``. The field's well-kept
music-similarity library, through its Python binding ``pymusly`` (imported only when used). Its
``timbre`` method summarises a track by one Gaussian over 25 MFCCs, compares two by the
Jensen-Shannon divergence and normalises the distances by mutual proximity over the collection
(``method_info`` of the jukebox says so).

**What musly analyses.** :func:`musly_excerpt` gives musly the middle :data:`EXCERPT_S` seconds of a
track (the whole track when it is shorter), mono at 22 050 Hz as musly expects, decoded by this
package's reader (:func:`musiccluster.features.segments.load_audio`), so no ffmpeg is needed; it is
the excerpt length musly's own command line uses. On a 30-s clip that is the whole clip. The time
per track is measured in ``benchmarks/similarity.md``.

:class:`MuslyModel` has the fit/transform shape of the other embedders: :meth:`~MuslyModel.analyse`
one excerpt (a serialised track, bytes that can be cached), :meth:`~MuslyModel.fit` a collection
(musly's ``set_style`` and ``add_tracks``), :meth:`~MuslyModel.distances` the (n, n) matrix.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .._constants import SR

#: Seconds of each track musly analyses (the middle of the track; all of a shorter one).
EXCERPT_S = 30.0
#: The musly method used.
METHOD = "timbre"


def musly_available() -> bool:
    """Whether ``pymusly`` can be imported (it is a dependency; this guards a broken install)."""
    try:
        import pymusly  # noqa: F401
    except Exception:
        return False
    return True


def musly_excerpt(y: np.ndarray, sr: int = SR, excerpt_s: float = EXCERPT_S) -> np.ndarray:
    """The middle ``excerpt_s`` seconds of a mono signal (all of it when shorter), float32.

    Chapter: Similarity.
    """
    y = np.asarray(y, dtype=np.float32)
    n = int(round(excerpt_s * sr))
    if len(y) <= n:
        return y
    start = (len(y) - n) // 2
    return y[start:start + n]


class MuslyModel:
    """musly's similarity over a collection of tracks (chapter *Similarity*).

    Parameters
    ----------
    method : str
        musly method (``"timbre"``, :data:`METHOD`; or ``"mandelellis"``).
    excerpt_s : float
        Seconds analysed per track (:func:`musly_excerpt`).

    Attributes
    ----------
    n_tracks_ : int
        Tracks given to :meth:`fit`.
    """

    def __init__(self, method: str = METHOD, excerpt_s: float = EXCERPT_S):
        self.method = method
        self.excerpt_s = excerpt_s
        self._jukebox = None
        self._tracks: list = []
        self._ids: list[int] = []

    @property
    def jukebox(self):
        if self._jukebox is None:
            import pymusly

            self._jukebox = pymusly.MuslyJukebox(self.method)
        return self._jukebox

    def analyse(self, y: np.ndarray, sr: int = SR) -> bytes:
        """musly's model of one track (its excerpt, :func:`musly_excerpt`), serialised.

        ``y`` must be mono at 22 050 Hz (musly's rate).
        """
        if sr != SR:
            raise ValueError(f"musly analyses {SR} Hz audio; got {sr} Hz")
        jb = self.jukebox
        track = jb.track_from_audiodata(musly_excerpt(y, sr, self.excerpt_s).tolist())
        return bytes(jb.serialize_track(track))

    def fit(self, tracks: Sequence[bytes]) -> "MuslyModel":
        """Set musly's style from all ``tracks`` (serialised, from :meth:`analyse`) and register them."""
        if len(tracks) < 2:
            raise ValueError("musly needs at least 2 tracks")
        jb = self.jukebox
        self._tracks = [jb.deserialize_track(t) for t in tracks]
        jb.set_style(self._tracks)
        self._ids = list(jb.add_tracks(self._tracks))
        self.n_tracks_ = len(self._tracks)
        return self

    def distances(self) -> np.ndarray:
        """musly's (mutual-proximity normalised) distances between the fitted tracks, (n, n), 0 on the diagonal."""
        jb = self.jukebox
        pairs = list(zip(self._ids, self._tracks))
        D = np.array([jb.compute_similarity(seed, pairs) for seed in pairs], dtype=np.float64)
        D = (D + D.T) / 2.0
        np.fill_diagonal(D, 0.0)
        return D
