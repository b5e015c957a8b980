"""Organise your own music: a folder of tracks in, playlists out (``musiccluster cluster``).

The paper clusters 3-second segments of GTZAN clips. This module applies the
same pipeline to a user's library and turns the segment clusters into one
playlist per cluster:

1. **scan** the folder recursively (:func:`musiccluster.corpus.find_clips`
   for the audio; every other file is listed in ``skipped.csv`` with the
   reason it was ignored);
2. **features**: 13 MFCC means + variances for each of ``n_segments``
   segments per track, with the cached, parallel extractor
   (:func:`musiccluster.features.extract_features`), on local cores or on a
   Dask cluster (``scheduler="tcp://host:port"``);
3. **embed** the z-scored features: the paper's VAE (posterior means), PCA, or
   the raw 26 z-scores (``method="vae" | "pca" | "raw"``);
4. **cluster** the segment embeddings with K-Means (MiniBatchKMeans beyond
   :data:`musiccluster.cluster.MINIBATCH_THRESHOLD` rows); ``k`` is given, or
   chosen by :func:`choose_k`;
5. **assign every track** by :func:`assign_tracks` (the rule is stated there
   and in :data:`ASSIGNMENT_RULE`);
6. **write** ``assignments.csv``, ``playlists/cluster-NN.m3u``, ``map.png``,
   ``skipped.csv``, ``summary.json`` and the reusable model ``model/``
   (:mod:`musiccluster.playlists`).

Clusters are numbered 1..k from the largest (most tracks) to the smallest.

Guarantees
----------
* **Nothing is written inside the music folder**: an output (or cache) folder
  inside it is refused with :class:`~musiccluster.errors.ParameterError`
  before any audio is read, including through a symbolic link.
* **Resumable**: each finished track's features are cached on disk (see
  :mod:`musiccluster.cache`; by default the user cache folder, so reruns with
  another ``k``, ``method`` or output folder, and ``--assign`` of already-seen
  tracks, reuse them too). An interrupted run loses only the tracks in flight.
* **Memory** grows with the number of tracks only through the features: audio
  is decoded one track at a time per worker and only 26 numbers per segment
  are kept. Each worker holds one whole decoded track while it works on it
  (a 5-minute 44.1 kHz stereo file is ~106 MB as float32, plus its mono
  22.05 kHz copy), so the peak grows with the longest track, not the library. 100 000 tracks x 10 segments x 26 float64 = 208 MB of features
  (plus a z-scored copy while fitting, and 104 MB as float32 for the VAE);
  the per-segment metadata table adds ~4 KB per track and is dropped once the
  per-track table is made. The VAE trains in mini-batches (grown with the
  library, :func:`auto_batch_size`, so an epoch stays ~1 000 steps), K-Means
  switches to MiniBatchKMeans above 50 000 segments, k is chosen on a sample of
  at most 20 000 tracks, the silhouette is computed in 256 MB chunks, and
  embedding and assignment work in chunks of 65 536 rows. Measured
  (``benchmarks/bench_scale.py``, synthetic features): 100 000 tracks = 1 000 000
  segments need a peak of 1.5 GB resident memory (of which ~0.45 GB is the
  imported libraries) and ~3 minutes on 2 shared cores after extraction.
* **Scale-out**: ``scheduler="tcp://host:8786"`` runs the extraction on a Dask
  cluster through ``joblib.parallel_config(backend="dask")``. Workers must have
  musiccluster installed and see the music and cache folders at the same paths
  (a shared file system); start them with one thread each
  (``dask worker ADDRESS --nthreads 1 --nworkers N``) for features identical to
  the bit with a local run: the extractor caps BLAS at one thread per process,
  so threads sharing a process can differ by ~1e-7 (relative).
* **The cache** is the user cache folder by default (``$MUSICCLUSTER_CACHE``,
  else ``~/.cache/musiccluster``), not ``OUT_DIR``: features are keyed by the
  file's absolute path, size and modification time, so reruns into another
  ``OUT_DIR``, with another ``k`` or ``method``, and ``--assign`` of tracks seen
  before reuse them. One 2.6 KB file per track (4 KB on disk with 4 KB blocks:
  ~0.4 GB for 100 000 tracks);
  ``--cache-dir`` moves it, ``--no-cache`` turns it off. Files that could not be
  used are not cached, so they are retried (and reported) on every run.

Saved model
-----------
``OUT_DIR/model/`` holds ``config.json`` (method, feature parameters, sizes,
training summary, and the SHA-256 of the two other files), ``arrays.npz``
(scaler mean/scale, PCA mean/components if used, K-Means centres, the 2-d
map projection; read with ``allow_pickle=False``) and, for the VAE,
``vae.pt`` (a ``torch`` ``state_dict``, read with ``weights_only=True``).
No Python object is pickled. :func:`assign_library` puts new tracks into those
clusters without retraining.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import platform
import sys
import time
import warnings
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import numpy as np
import pandas as pd

from .._constants import AUDIO_EXTENSIONS, SR
from ..cache import atomic_write_bytes
from ..cache import cache_dir as _cache_dir
from ..data.corpus import Clip, find_clips
from ..errors import DataError, ParameterError
from ..params import Params
from .. import __version__

#: Embeddings ``method`` can name.
METHODS: tuple[str, ...] = ("vae", "pca", "raw")
#: Range of k tried when k is not given (inclusive).
DEFAULT_K_RANGE: tuple[int, int] = (2, 12)
#: k is chosen on a seeded random sample of at most this many tracks.
K_SELECTION_MAX_TRACKS = 20_000
#: Rows embedded / assigned per chunk (bounds temporary memory).
CHUNK_ROWS = 65_536
#: Seconds to wait for a Dask scheduler to answer.
SCHEDULER_TIMEOUT_S = 15.0
#: Version of the files in ``model/``.
MODEL_FORMAT = 1

#: The rule that turns segment clusters into a track's cluster (also in summary.json).
ASSIGNMENT_RULE = (
    "each segment goes to its nearest K-Means centre; a track goes to the cluster most of its "
    "segments went to (majority vote); a tie goes to the tied cluster whose centre is nearest on "
    "average over the track's segments; confidence = share of the track's segments in that cluster"
)
#: How k is chosen when not given (also in summary.json).
K_CRITERION = (
    "for each k in the range: K-Means on the segment embeddings, tracks assigned by the vote rule, "
    "silhouette of the tracks' mean embeddings under those track clusters; among the k whose every "
    "cluster gets at least max(2, 1% of the tracks) tracks, the one with the highest silhouette wins "
    "(if no k qualifies: the highest silhouette overall; ties: the smaller k)"
)
#: Smallest admissible cluster when choosing k: max(2, this share of the tracks).
K_MIN_CLUSTER_SHARE = 0.01
#: How playlists are ordered (also in summary.json).
ORDER_RULE = ("most to least typical: ascending Euclidean distance from the track's mean segment "
              "embedding to its cluster's centre")


def _log(progress: bool) -> Callable[[str], None]:
    def log(message: str) -> None:
        if progress:
            print(f"musiccluster: {message}", file=sys.stderr, flush=True)
    return log


# ---------------------------------------------------------------------------
# Safety: never write inside the music folder
# ---------------------------------------------------------------------------
def _inside(path: Path, folder: Path) -> bool:
    return path == folder or path.is_relative_to(folder)


def _nearest_existing(path: Path) -> Path:
    path = Path(os.path.abspath(path))
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def check_output_location(music_dir: str | os.PathLike[str], out_dir: str | os.PathLike[str],
                          name: str = "out", visited: set[tuple[int, int]] | None = None) -> None:
    """Refuse an output folder inside the music folder (musiccluster never writes there).

    Parameters
    ----------
    music_dir, out_dir : path-like
    name : str
        Parameter name for the error message (``out``, ``cache_dir``).
    visited : set of (st_dev, st_ino), optional
        Folders the scan went through (including those reached through
        symbolic links inside the music folder). An ``out_dir`` that is, or
        would be created under, one of them is refused too.

    Raises
    ------
    ParameterError
    """
    music = Path(music_dir).expanduser().resolve()
    out = Path(out_dir).expanduser().resolve()
    message = (f"{out_dir} is inside the music folder {music_dir}; musiccluster never writes "
               f"inside the music folder: choose a folder outside it"
               + (" (--cache-dir DIR), or --no-cache" if name == "cache_dir" else ""))
    if _inside(out, music):
        raise ParameterError(name, message)
    if visited:
        anchor = _nearest_existing(out)
        with contextlib.suppress(OSError):
            for folder in (anchor, *anchor.parents):
                st = folder.stat()
                if (st.st_dev, st.st_ino) in visited:
                    raise ParameterError(name, message + " (it is reached through a link in it)")


# ---------------------------------------------------------------------------
# Scanning
# ---------------------------------------------------------------------------
@dataclass
class Scan:
    """What a folder holds.

    Attributes
    ----------
    root : Path
        The resolved music folder.
    clips : list of Clip
        Files with an audio extension (:data:`AUDIO_EXTENSIONS`).
    ignored : DataFrame
        ``path``, ``reason`` of every other file or folder not searched.
    visited : set of (st_dev, st_ino)
        Folders the scan went through.
    n_files : int
        Files seen (audio or not).
    """

    root: Path
    clips: list[Clip]
    ignored: pd.DataFrame
    visited: set[tuple[int, int]]
    n_files: int


def scan_folder(music_dir: str | os.PathLike[str], progress: bool = False) -> Scan:
    """List the audio under ``music_dir`` and every file that will be ignored, with the reason.

    The audio list is :func:`musiccluster.corpus.find_clips` (recursive,
    symbolic-link loops followed once, hidden files and folders skipped). The
    second walk here only reports what that leaves out.

    Raises
    ------
    DataError
        If ``music_dir`` is not a folder.
    """
    from tqdm.auto import tqdm

    clips = find_clips(music_dir)
    root = Path(music_dir).expanduser().resolve()
    audio = {str(c.path) for c in clips}
    rows: list[dict[str, str]] = []
    visited: set[tuple[int, int]] = set()
    n_files = 0

    def onerror(exc: OSError) -> None:
        rows.append({"path": str(exc.filename or ""), "reason": f"cannot read folder ({exc.strerror or exc})"})

    bar = tqdm(desc="scanning", unit="file", disable=not progress, leave=False)
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True, onerror=onerror):
        try:
            st = os.stat(dirpath)
        except OSError as exc:
            rows.append({"path": dirpath, "reason": f"cannot read folder ({exc.strerror or exc})"})
            dirnames[:] = []
            continue
        key = (st.st_dev, st.st_ino)
        if key in visited:
            rows.append({"path": dirpath, "reason": "folder already searched (a symbolic-link loop "
                         "or a second link to it): not searched again"})
            dirnames[:] = []
            continue
        visited.add(key)
        dirnames.sort()
        for d in dirnames:
            if d.startswith("."):
                rows.append({"path": os.path.join(dirpath, d), "reason": "hidden folder: not searched"})
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in sorted(filenames):
            n_files += 1
            path = os.path.join(dirpath, name)
            if path in audio:
                continue
            ext = os.path.splitext(name)[1].lower()
            if name.startswith("."):
                reason = "hidden file: ignored"
            elif ext not in AUDIO_EXTENSIONS:
                reason = f"not an audio file ({ext or 'no extension'}): ignored"
            else:  # an audio name that find_clips did not list (should not happen)
                reason = "not listed by the audio scan: ignored"
            rows.append({"path": path, "reason": reason})
        bar.update(len(filenames))
    bar.close()
    ignored = pd.DataFrame(rows, columns=["path", "reason"])
    return Scan(root=root, clips=clips, ignored=ignored, visited=visited, n_files=n_files)


# ---------------------------------------------------------------------------
# Features, locally or on a Dask cluster
# ---------------------------------------------------------------------------
@contextlib.contextmanager
def parallel_backend(scheduler: str | None = None) -> Iterator[Any]:
    """Run joblib work on a Dask cluster while the block runs (``None``: local cores).

    ``scheduler`` is a Dask scheduler address (``tcp://host:8786``). Every
    worker must have musiccluster installed and see the music folder and the
    cache folder at the same paths as this machine (e.g. a shared network
    folder): workers read the audio and write each track's features into the
    cache themselves; only the small feature arrays travel back.

    Raises
    ------
    ParameterError
        If ``distributed`` is missing or the scheduler cannot be reached.
    """
    if not scheduler:
        yield None
        return
    try:
        import joblib
        from distributed import Client
    except ImportError:  # pragma: no cover - distributed is a pinned requirement
        raise ParameterError("scheduler", "needs the 'distributed' package (pip install 'musiccluster[dask]', "
                             "or the pinned requirements.txt)") from None
    try:
        client = Client(scheduler, timeout=f"{SCHEDULER_TIMEOUT_S:g}s", set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ParameterError("scheduler", f"cannot connect to {scheduler}: {exc}") from None
    try:
        with joblib.parallel_config(backend="dask", client=client):
            yield client
    finally:
        client.close()


def extract_library_features(clips: Sequence[Clip], params: Params, *, cache: bool = True,
                             cache_dir: str | os.PathLike[str] | None = None, n_jobs: int = -1,
                             scheduler: str | None = None, progress: bool = True, source: str = ""):
    """Features of every track, in ``clips`` order (skips recorded, never raised per track).

    A wrapper of :func:`musiccluster.features.extract_features` that

    * reads the tracks already in the feature cache **in this process** and
      sends only the others to the workers, so a rerun does not pay for
      starting worker processes (or connecting to Dask) to read small files;
    * routes the work to a Dask cluster when ``scheduler`` is given;
    * collects the per-file skip reasons (for ``skipped.csv``) instead of
      printing a warning per file.

    The result does not depend on which tracks were cached: rows come back in
    ``clips`` order whatever the split.

    Raises
    ------
    DataError
        If no track at all could be used; its ``skipped`` attribute holds
        every file's reason.
    """
    from ..features.extract import extract_features
    from ..features.featureset import FeatureSet

    clips = list(clips)
    cached, todo = _partition_cached(clips, params, cache_dir) if cache else ([], clips)
    if progress and cache:
        print(f"musiccluster: features of {len(cached)} track(s) from the cache, {len(todo)} to compute"
              + (f" on {scheduler}" if scheduler and todo else ""), file=sys.stderr, flush=True)
    args = (params.n_segments, params.n_mfcc, params.min_segment_s, SR)
    parts, failed = [], []
    with warnings.catch_warnings(record=True) as caught:
        warnings.filterwarnings("always", message="skipped ")
        for group, remote in ((cached, False), (todo, True)):
            if not group:
                continue
            try:
                with parallel_backend(scheduler if remote else None):
                    fs = extract_features(group, *args, cache=cache, cache_dir=cache_dir,
                                          n_jobs=(-1 if scheduler else n_jobs) if remote else 1,
                                          progress=progress and remote, source=source)
            except DataError:  # every file of this group failed: the reasons are in the warnings
                failed.append(_skip_reasons(group, caught))
                continue
            parts.append(fs)
            failed.append(fs.skipped)
    for w in caught:  # other warnings are shown as usual
        if not str(w.message).startswith("skipped "):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    skipped = pd.concat([f for f in failed if len(f)] or [pd.DataFrame(columns=["path", "reason"])],
                        ignore_index=True)
    if not parts:
        first = f" (first problem: {skipped['path'].iloc[0]}: {skipped['reason'].iloc[0]})" if len(skipped) else ""
        exc = DataError(f"no usable track among {len(clips)} audio file(s){first}")
        exc.skipped = skipped
        raise exc
    order = {str(c.path): i for i, c in enumerate(clips)}
    X = np.vstack([p.X for p in parts])
    meta = pd.concat([p.meta for p in parts], ignore_index=True)
    idx = np.argsort(meta["path"].map(order).to_numpy(), kind="stable")
    return FeatureSet(X[idx], parts[0].feature_names, meta.iloc[idx].reset_index(drop=True),
                      skipped, source)


def _partition_cached(clips: list[Clip], params: Params, cache_dir) -> tuple[list[Clip], list[Clip]]:
    """(clips whose features look cached, the others).

    Uses the extractor's cache key and layout. A wrong guess costs only speed:
    both groups go through the same cached extractor, which checks for itself.
    """
    try:
        from ..features.extract import _clip_key

        folder = _cache_dir(cache_dir) / "features"
    except Exception:  # pragma: no cover - the extractor changed: no shortcut
        return [], clips
    cached, todo = [], []
    for c in clips:
        try:
            key = _clip_key(c.path, params.n_segments, params.n_mfcc, params.min_segment_s, SR)
            hit = (folder / key[:2] / f"{key}.npz").is_file()
        except Exception:
            hit = False
        (cached if hit else todo).append(c)
    return cached, todo


def _skip_reasons(clips: Sequence[Clip], caught: list) -> pd.DataFrame:
    """Per-file reasons from the extractor's ``skipped PATH: REASON`` warnings."""
    paths = {str(c.path) for c in clips}
    reasons: dict[str, str] = {}
    for w in caught:
        text = str(w.message)
        if not text.startswith("skipped "):
            continue
        text = text[len("skipped "):]
        cut = text.find(": ")
        while cut != -1:  # a path may itself contain ': '
            if text[:cut] in paths:
                reasons[text[:cut]] = text[cut + 2:]
                break
            cut = text.find(": ", cut + 1)
    return pd.DataFrame({"path": [str(c.path) for c in clips],
                         "reason": [reasons.get(str(c.path), "unusable") for c in clips]})


def track_codes(meta: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame]:
    """Track index of every segment row, and one row per track.

    Returns
    -------
    codes : ndarray of int64, shape (n_segments_total,)
    tracks : DataFrame
        ``clip_id``, ``path``, ``label``, ``duration_s``, ``n_segments`` in the
        order of first appearance (``codes`` index it).
    """
    codes, uniques = pd.factorize(meta["clip_id"], sort=False)
    g = meta.groupby(codes, sort=True)
    tracks = pd.DataFrame({
        "clip_id": np.asarray(uniques, dtype=object),
        "path": g["path"].first().to_numpy(),
        "label": g["label"].first().to_numpy(),
        "duration_s": g["clip_duration_s"].first().to_numpy(dtype=np.float64),
        "n_segments": np.bincount(codes, minlength=len(uniques)),
    })
    return codes.astype(np.int64), tracks


# ---------------------------------------------------------------------------
# Assignment rule
# ---------------------------------------------------------------------------
def _distances(Z: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """Euclidean distances (rows x centres), one centre at a time (small temporaries)."""
    out = np.empty((Z.shape[0], centers.shape[0]), dtype=np.float64)
    for j, c in enumerate(centers):
        out[:, j] = np.sqrt(np.square(Z - c).sum(axis=1))
    return out


def track_means(Z: np.ndarray, codes: np.ndarray, n_tracks: int) -> np.ndarray:
    """Mean segment embedding of each track, ``(n_tracks, dim)``."""
    counts = np.bincount(codes, minlength=n_tracks).astype(np.float64)
    out = np.empty((n_tracks, Z.shape[1]), dtype=np.float64)
    for j in range(Z.shape[1]):
        out[:, j] = np.bincount(codes, weights=Z[:, j], minlength=n_tracks) / np.maximum(counts, 1)
    return out


@dataclass
class TrackAssignment:
    """Result of :func:`assign_tracks` (arrays over tracks)."""

    labels: np.ndarray          # cluster index 0..k-1
    confidence: np.ndarray      # share of the track's segments in that cluster
    votes: np.ndarray           # (n_tracks, k) segment counts
    mean_distance: np.ndarray   # (n_tracks, k) mean segment distance to each centre
    position: np.ndarray        # (n_tracks, dim) mean segment embedding
    distance: np.ndarray        # distance of ``position`` to the assigned centre


def assign_tracks(Z: np.ndarray, codes: np.ndarray, n_tracks: int, centers: np.ndarray) -> TrackAssignment:
    """Put every track into one cluster from its segments (the rule of :data:`ASSIGNMENT_RULE`).

    1. each segment goes to its nearest centre (ties: the lower index, as
       ``KMeans.predict``);
    2. a track goes to the cluster that most of its segments went to;
    3. a tie in votes goes to the tied cluster with the smallest mean distance
       from the track's segments to its centre (then the lower index);
    4. ``confidence`` = votes of the winner / the track's segments (1.0:
       unanimous; 1/k at worst for a k-way split).

    Works in chunks of :data:`CHUNK_ROWS` segments (memory O(n_tracks x k)).
    """
    Z = np.asarray(Z, dtype=np.float64)
    centers = np.asarray(centers, dtype=np.float64)
    k = centers.shape[0]
    votes = np.zeros((n_tracks, k), dtype=np.int64)
    sumdist = np.zeros((n_tracks, k), dtype=np.float64)
    for start in range(0, Z.shape[0], CHUNK_ROWS):
        z, c = Z[start:start + CHUNK_ROWS], codes[start:start + CHUNK_ROWS]
        d = _distances(z, centers)
        nearest = d.argmin(axis=1)
        votes += np.bincount(c * k + nearest, minlength=n_tracks * k).reshape(n_tracks, k)
        for j in range(k):
            sumdist[:, j] += np.bincount(c, weights=d[:, j], minlength=n_tracks)
    n_seg = votes.sum(axis=1)
    if np.any(n_seg == 0):
        raise ValueError("every track needs at least one segment")
    mean_distance = sumdist / n_seg[:, None]
    tied = votes == votes.max(axis=1, keepdims=True)
    labels = np.where(tied, mean_distance, np.inf).argmin(axis=1)
    rows = np.arange(n_tracks)
    confidence = votes[rows, labels] / n_seg
    position = track_means(Z, codes, n_tracks)
    distance = np.sqrt(np.square(position - centers[labels]).sum(axis=1))
    return TrackAssignment(labels, confidence, votes, mean_distance, position, distance)


# ---------------------------------------------------------------------------
# The reusable model
# ---------------------------------------------------------------------------
def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class LibraryModel:
    """Everything needed to put tracks into the clusters: scaler, embedding, centres, map.

    ``embed`` is the only path from raw features to embeddings, used both in
    training and by :func:`assign_library`, so re-assigning the training
    tracks gives their clusters back exactly.
    """

    method: str
    feature_params: dict[str, Any]
    scaler_mean: np.ndarray
    scaler_scale: np.ndarray
    centers: np.ndarray | None = None
    map_mean: np.ndarray | None = None
    map_components: np.ndarray | None = None
    pca_mean: np.ndarray | None = None
    pca_components: np.ndarray | None = None
    vae_config: dict[str, int] | None = None
    vae_state: dict[str, Any] | None = None
    info: dict[str, Any] = field(default_factory=dict)
    _vae: Any = field(default=None, repr=False, compare=False)

    # -------------------------------------------------------------- embedding
    @property
    def k(self) -> int:
        return 0 if self.centers is None else int(self.centers.shape[0])

    def standardize(self, X: np.ndarray) -> np.ndarray:
        return (np.asarray(X, dtype=np.float64) - self.scaler_mean) / self.scaler_scale

    def _network(self):
        if self._vae is None:
            from ..models.vae import LinearVAE

            net = LinearVAE(**self.vae_config)
            net.load_state_dict(self.vae_state)
            net.eval()
            self._vae = net
        return self._vae

    def embed(self, X: np.ndarray) -> np.ndarray:
        """Embeddings of raw feature rows (the VAE's posterior means, PCA scores or z-scores)."""
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.scaler_mean.shape[0]:
            raise DataError(f"features have shape {X.shape}; the model expects "
                            f"{self.scaler_mean.shape[0]} columns")
        if self.method == "raw":
            return self.standardize(X)
        if self.method == "pca":
            return (self.standardize(X) - self.pca_mean) @ self.pca_components.T
        import torch

        net = self._network()
        out = np.empty((X.shape[0], self.vae_config["latent_dim"]), dtype=np.float64)
        threads = torch.get_num_threads()
        torch.set_num_threads(1)  # the same sums in the same order, run after run
        try:
            with torch.no_grad():
                for start in range(0, X.shape[0], CHUNK_ROWS):
                    xs = self.standardize(X[start:start + CHUNK_ROWS]).astype(np.float32)
                    mu, _ = net.encode(torch.from_numpy(xs))
                    out[start:start + CHUNK_ROWS] = mu.numpy()
        finally:
            torch.set_num_threads(threads)
        return out

    def project(self, positions: np.ndarray) -> np.ndarray:
        """2-d map coordinates of track positions (the training tracks' top-2 principal axes)."""
        return (np.asarray(positions, dtype=np.float64) - self.map_mean) @ self.map_components.T

    # ------------------------------------------------------------- save/load
    def save(self, folder: str | os.PathLike[str]) -> Path:
        """Write ``config.json``, ``arrays.npz`` and (VAE) ``vae.pt``; config last, with checksums."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        arrays = {"scaler_mean": self.scaler_mean, "scaler_scale": self.scaler_scale,
                  "centers": self.centers, "map_mean": self.map_mean,
                  "map_components": self.map_components}
        if self.method == "pca":
            arrays.update(pca_mean=self.pca_mean, pca_components=self.pca_components)
        buf = io.BytesIO()
        np.savez(buf, **{k: np.asarray(v, dtype=np.float64) for k, v in arrays.items()})
        files = {"arrays.npz": buf.getvalue()}
        if self.method == "vae":
            import torch

            wbuf = io.BytesIO()
            torch.save({k: v.detach().cpu() for k, v in self.vae_state.items()}, wbuf)
            files["vae.pt"] = wbuf.getvalue()
        elif (folder / "vae.pt").exists():
            (folder / "vae.pt").unlink()
        for name, data in files.items():
            atomic_write_bytes(folder / name, data)
        config = {
            "format": "musiccluster-library-model", "format_version": MODEL_FORMAT,
            "musiccluster_version": __version__, "method": self.method, "k": self.k,
            "feature_params": self.feature_params, "vae": self.vae_config,
            "assignment_rule": ASSIGNMENT_RULE,
            "files": {name: {"sha256": _sha256(data), "bytes": len(data)} for name, data in files.items()},
            "info": self.info,
        }
        atomic_write_bytes(folder / "config.json", (json.dumps(_jsonable(config), indent=2) + "\n").encode())
        return folder

    @classmethod
    def load(cls, folder: str | os.PathLike[str]) -> "LibraryModel":
        """Read a model written by :meth:`save`.

        Raises
        ------
        DataError
            If files are missing, do not match their checksums (e.g. from two
            different runs), or were written by an incompatible version.
        """
        folder = Path(folder).expanduser()
        cfg_path = folder / "config.json"
        if not cfg_path.is_file():
            raise DataError(f"no model at {folder} (expected {cfg_path.name}; the model folder is "
                            f"OUT_DIR/model of a previous 'musiccluster cluster' run)")
        try:
            cfg = json.loads(cfg_path.read_text())
        except (OSError, ValueError) as exc:
            raise DataError(f"unreadable model config {cfg_path}: {exc}") from None
        if cfg.get("format") != "musiccluster-library-model" or cfg.get("format_version") != MODEL_FORMAT:
            raise DataError(f"{cfg_path} is not a musiccluster library model of format {MODEL_FORMAT}")
        blobs = {}
        for name, meta in cfg.get("files", {}).items():
            try:
                data = (folder / name).read_bytes()
            except OSError as exc:
                raise DataError(f"model file missing: {folder / name} ({exc.strerror or exc})") from None
            if _sha256(data) != meta.get("sha256"):
                raise DataError(f"model file {folder / name} does not match config.json "
                                f"(written by another run, or damaged); retrain")
            blobs[name] = data
        with np.load(io.BytesIO(blobs["arrays.npz"]), allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
        vae_state = None
        if cfg["method"] == "vae":
            import torch

            vae_state = torch.load(io.BytesIO(blobs["vae.pt"]), map_location="cpu", weights_only=True)
        return cls(
            method=cfg["method"], feature_params=cfg["feature_params"],
            scaler_mean=arrays["scaler_mean"], scaler_scale=arrays["scaler_scale"],
            centers=arrays["centers"], map_mean=arrays["map_mean"],
            map_components=arrays["map_components"], pca_mean=arrays.get("pca_mean"),
            pca_components=arrays.get("pca_components"), vae_config=cfg.get("vae"),
            vae_state=vae_state, info=cfg.get("info", {}),
        )


def _map_projection(positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and top-2 principal axes (rows) of the track positions; signs fixed for stability."""
    mean = positions.mean(axis=0)
    d = positions.shape[1]
    comps = np.zeros((2, d))
    if positions.shape[0] >= 2 and d >= 1:
        cov = np.cov(positions - mean, rowvar=False).reshape(d, d)
        vals, vecs = np.linalg.eigh(cov)
        order = np.argsort(vals)[::-1][:2]
        for i, j in enumerate(order):
            v = vecs[:, j]
            comps[i] = v * (1.0 if v[np.argmax(np.abs(v))] >= 0 else -1.0)
    elif d >= 1:
        comps[0, 0] = 1.0
    return mean, comps


def fit_embedding(X: np.ndarray, method: str, params: Params, progress: bool = True) -> tuple[LibraryModel, pd.DataFrame | None]:
    """Fit the scaler and the embedding (VAE, PCA or none) on raw feature rows.

    Returns the model (no centres yet) and the VAE training history (or None).
    """
    from ..features.scaling import standardize
    from ..models.linear import pca_embedder

    Xs, scaler = standardize(X)
    feature_params = {"n_segments": params.n_segments, "n_mfcc": params.n_mfcc,
                      "min_segment_s": params.min_segment_s, "sr": SR,
                      "feature_version": _feature_version()}
    model = LibraryModel(method=method, feature_params=feature_params,
                         scaler_mean=scaler.mean_.copy(), scaler_scale=scaler.scale_.copy())
    history = None
    if method == "pca":
        if params.latent_dim > Xs.shape[1]:
            raise ParameterError("latent_dim", f"is {params.latent_dim} but there are only {Xs.shape[1]} features")
        pca = pca_embedder(params.latent_dim, params.seed).fit(Xs)
        model.pca_mean, model.pca_components = pca.mean_.copy(), pca.components_.copy()
        model.info["pca_explained_variance"] = [float(v) for v in pca.explained_variance_ratio_]
    elif method == "vae":
        from ..models.vae import VAEEmbedder

        vae = VAEEmbedder(params.latent_dim, params.hidden_dim, params.epochs, params.lr,
                          params.batch_size, params.beta, params.loss_reduction, params.seed,
                          progress=progress).fit(Xs)
        model.vae_config = {"n_features": int(Xs.shape[1]), "hidden_dim": params.hidden_dim,
                            "latent_dim": params.latent_dim}
        model.vae_state = {k: v.detach().clone() for k, v in vae.model_.state_dict().items()}
        history = vae.history_
    elif method != "raw":
        raise ParameterError("method", f"must be one of {', '.join(METHODS)}; got {method!r}")
    return model, history


def _feature_version() -> str:
    from ..features.extract import FEATURE_VERSION

    return FEATURE_VERSION


# ---------------------------------------------------------------------------
# Choosing k
# ---------------------------------------------------------------------------
def choose_k(Z: np.ndarray, codes: np.ndarray, n_tracks: int, k_range: tuple[int, int] = DEFAULT_K_RANGE,
             seed: int = 0, progress: bool = False) -> tuple[int, pd.DataFrame, dict[int, np.ndarray], int]:
    """Pick k by the criterion of :data:`K_CRITERION`.

    For libraries above :data:`K_SELECTION_MAX_TRACKS` tracks the curve is
    computed on a seeded random sample of that many tracks (all their
    segments); the final clustering at the chosen k uses every track.

    Returns
    -------
    k : int
    curve : DataFrame
        ``k``, ``silhouette``, ``calinski_harabasz``, ``nonempty_clusters``.
    centers : dict k -> ndarray
        Centres fitted at each k (on the sample).
    n_sampled : int
        Tracks the curve was computed on.
    """
    from tqdm.auto import tqdm

    from ..clustering import kmeans
    from ..metrics.internal import internal_scores

    if n_tracks > K_SELECTION_MAX_TRACKS:
        rng = np.random.default_rng(seed)
        chosen = np.sort(rng.choice(n_tracks, K_SELECTION_MAX_TRACKS, replace=False))
        remap = np.full(n_tracks, -1, dtype=np.int64)
        remap[chosen] = np.arange(len(chosen))
        keep = remap[codes] >= 0
        Zs, cs, n = Z[keep], remap[codes[keep]], len(chosen)
    else:
        Zs, cs, n = Z, codes, n_tracks
    lo, hi = k_range
    ks = list(range(lo, min(hi, n - 1) + 1))
    min_size = max(2, int(np.ceil(K_MIN_CLUSTER_SHARE * n)))
    rows, centers = [], {}
    for k in tqdm(ks, desc="choosing k", unit="k", disable=not progress, leave=False):
        with single_threaded():
            km = kmeans(Zs, k, seed)
            c = np.asarray(km.cluster_centers_, dtype=np.float64)
            a = assign_tracks(Zs, cs, n, c)
            with _sklearn_memory():
                s = internal_scores(a.position, a.labels, seed)
        sizes = np.bincount(a.labels, minlength=k)
        centers[k] = c
        rows.append({"k": k, "silhouette": s["silhouette"], "calinski_harabasz": s["calinski_harabasz"],
                     "nonempty_clusters": int((sizes > 0).sum()), "smallest_cluster": int(sizes.min()),
                     "admissible": bool(sizes.min() >= min_size)})
    curve = pd.DataFrame(rows, columns=["k", "silhouette", "calinski_harabasz", "nonempty_clusters",
                                        "smallest_cluster", "admissible"])
    finite = curve[np.isfinite(curve["silhouette"])]
    if len(finite[finite["admissible"]]):
        finite = finite[finite["admissible"]]
    if len(finite) == 0:
        best = ks[0]
    else:
        best = int(finite.sort_values(["silhouette", "k"], ascending=[False, True]).iloc[0]["k"])
    return best, curve, centers, n


def _sklearn_memory():
    """scikit-learn's chunked pairwise distances (silhouette) in 256 MB pieces, not its 1 GB default."""
    import sklearn

    return sklearn.config_context(working_memory=256)


def auto_batch_size(n_rows: int, base: int = 64) -> int:
    """VAE mini-batch for ``n_rows`` segments when none is given: ``base`` up to 64 000 rows, then
    the power of two nearest ``n_rows / 1000`` (at most 4096), so an epoch is at most ~1 000 steps
    and training time stops growing with the library (1M segments: batch 1024)."""
    target = n_rows / 1000
    if target <= base:
        return base
    return int(min(4096, 2 ** round(np.log2(target))))


@contextlib.contextmanager
def single_threaded() -> Iterator[None]:
    """One BLAS/OpenMP thread: K-Means and distances give the same bits on any machine, and do not
    stall when the cores are shared (OpenMP spinning made a 2 000-row K-Means take seconds)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


def _order_by_size(a: TrackAssignment, centers: np.ndarray) -> np.ndarray:
    """Centres reordered so that cluster 1 has the most tracks (ties: original order)."""
    sizes = np.bincount(a.labels, minlength=centers.shape[0])
    order = np.lexsort((np.arange(len(sizes)), -sizes))
    return centers[order]


# ---------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------
@dataclass
class LibraryResult:
    """What :func:`organize_library` / :func:`assign_library` produced.

    Attributes
    ----------
    tracks : DataFrame
        One row per used track: ``path``, ``cluster`` (1..k), ``confidence``,
        ``distance``, ``rank`` (1 = most typical of its cluster),
        ``duration_s``, ``n_segments``, ``label``, map coordinates ``x``/``y``.
    skipped : DataFrame
        ``path``, ``kind`` (``failed`` audio or ``ignored`` file), ``reason``.
    summary : dict
        What ``summary.json`` holds.
    model : LibraryModel
    out_dir : Path
    files : dict name -> Path
    """

    tracks: pd.DataFrame
    skipped: pd.DataFrame
    summary: dict[str, Any]
    model: LibraryModel
    out_dir: Path
    files: dict[str, Path] = field(default_factory=dict)


def _tracks_frame(tracks: pd.DataFrame, a: TrackAssignment, xy: np.ndarray) -> pd.DataFrame:
    df = pd.DataFrame({
        "path": tracks["path"].to_numpy(),
        "cluster": a.labels + 1,
        "confidence": np.round(a.confidence, 4),
        "distance": a.distance,
        "duration_s": np.round(tracks["duration_s"].to_numpy(dtype=np.float64), 3),
        "n_segments": tracks["n_segments"].to_numpy(),
        "label": tracks["label"].to_numpy(),
        "x": xy[:, 0], "y": xy[:, 1],
    })
    order = df.sort_values(["cluster", "distance", "confidence", "path"],
                           ascending=[True, True, False, True], kind="mergesort")
    df["rank"] = 0
    df.loc[order.index, "rank"] = order.groupby("cluster").cumcount().to_numpy() + 1
    return df.loc[order.index].reset_index(drop=True)


def _skipped_frame(scan: Scan, feature_skipped: pd.DataFrame) -> pd.DataFrame:
    failed = feature_skipped.assign(kind="failed")[["path", "kind", "reason"]]
    ignored = scan.ignored.assign(kind="ignored")[["path", "kind", "reason"]]
    frames = [f for f in (failed, ignored) if len(f)]
    if not frames:
        return pd.DataFrame(columns=["path", "kind", "reason"])
    return pd.concat(frames, ignore_index=True).sort_values(["kind", "path"], kind="mergesort").reset_index(drop=True)


def _cluster_table(df: pd.DataFrame, k: int, width: int) -> list[dict[str, Any]]:
    out = []
    for c in range(1, k + 1):
        sub = df[df["cluster"] == c]
        row: dict[str, Any] = {"cluster": c, "tracks": int(len(sub)),
                               "playlist": f"playlists/cluster-{c:0{width}d}.m3u" if len(sub) else None,
                               "mean_confidence": float(sub["confidence"].mean()) if len(sub) else None,
                               "duration_h": float(sub["duration_s"].sum() / 3600) if len(sub) else 0.0}
        labels = sub["label"].dropna()
        if len(labels):
            row["top_labels"] = {str(k_): int(v) for k_, v in labels.value_counts().head(3).items()}
        out.append(row)
    return out


def _label_agreement(df: pd.DataFrame) -> dict[str, float] | None:
    lab = df["label"]
    mask = lab.notna().to_numpy()
    if mask.sum() < 2 or lab[mask].nunique() < 2:
        return None
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    y, c = lab[mask].astype(str).to_numpy(), df.loc[mask, "cluster"].to_numpy()
    return {"tracks_with_label": int(mask.sum()), "adjusted_rand": float(adjusted_rand_score(y, c)),
            "nmi": float(normalized_mutual_info_score(y, c))}


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating, float)):
        return float(obj) if np.isfinite(obj) else None
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, Path):
        return str(obj)
    return obj


def _resolve_params(params: Params | dict | None, overrides: dict[str, Any]) -> Params:
    return Params.coerce(params, **{k: v for k, v in overrides.items() if v is not None})


def _cache_location(cache_dir) -> Path:
    """The folder :func:`musiccluster.cache.cache_dir` would use, without creating it."""
    from ..cache import ENV_VAR

    if cache_dir is not None:
        return Path(cache_dir).expanduser()
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR]).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("musiccluster", appauthor=False))


def _prepare(music_dir, out_dir, cache, cache_dir, progress, log):
    """Checks shared by both modes; returns (scan, out_dir Path, cache folder or None)."""
    music = Path(music_dir).expanduser()
    if not music.is_dir():
        raise DataError(f"not a folder: {music_dir}")
    check_output_location(music, out_dir, "out")
    cache_root = None
    if cache:
        check_output_location(music, _cache_location(cache_dir), "cache_dir")  # before creating it
        cache_root = _cache_dir(cache_dir)
    t = time.perf_counter()
    scan = scan_folder(music, progress=progress)
    check_output_location(music, out_dir, "out", scan.visited)
    if cache_root is not None:
        check_output_location(music, cache_root, "cache_dir", scan.visited)
    log(f"found {len(scan.clips)} audio file(s) and {len(scan.ignored)} other item(s) under {scan.root} "
        f"({time.perf_counter() - t:.1f} s)")
    if not scan.clips:
        raise DataError(f"no audio files under {music_dir} (looked for "
                        f"{', '.join(e.lstrip('.') for e in AUDIO_EXTENSIONS)})")
    out = Path(out_dir).expanduser()
    out.mkdir(parents=True, exist_ok=True)
    return scan, out.resolve(), cache_root


def _features(scan, params, out, cache, cache_root, n_jobs, scheduler, progress, log):
    """Extract; on total failure still write skipped.csv before raising."""
    from .playlists import write_skipped

    try:
        fs = extract_library_features(scan.clips, params, cache=cache, cache_dir=cache_root,
                                      n_jobs=n_jobs, scheduler=scheduler, progress=progress,
                                      source=str(scan.root))
    except DataError as exc:
        failed = getattr(exc, "skipped", None)
        if failed is None:
            failed = pd.DataFrame({"path": [str(c.path) for c in scan.clips], "reason": "unusable"})
        write_skipped(_skipped_frame(scan, failed), out / "skipped.csv")
        raise
    return fs


def organize_library(music_dir: str | os.PathLike[str], out_dir: str | os.PathLike[str], *,
                     k: int | None = None, k_range: tuple[int, int] = DEFAULT_K_RANGE,
                     method: str = "vae", params: Params | dict | None = None,
                     cache: bool = True, cache_dir: str | os.PathLike[str] | None = None,
                     n_jobs: int = -1, scheduler: str | None = None, progress: bool = True,
                     auto_batch: bool = True, **param_overrides: Any) -> LibraryResult:
    """Turn a music folder into ``k`` playlists (``musiccluster cluster MUSIC_DIR --out OUT_DIR``).

    Parameters
    ----------
    music_dir : path-like
        Folder searched recursively. Nothing is ever written inside it.
    out_dir : path-like
        Where the outputs go (created). Must not be inside ``music_dir``.
    k : int, optional
        Number of clusters; ``None`` chooses it in ``k_range`` by
        :data:`K_CRITERION`.
    k_range : (int, int)
        Inclusive range tried when ``k`` is None.
    method : {'vae', 'pca', 'raw'}
        Embedding clustered by K-Means.
    params : Params or dict, optional
        Feature and VAE parameters (``n_segments``, ``n_mfcc``,
        ``min_segment_s``, ``latent_dim``, ``hidden_dim``, ``epochs``, ``lr``,
        ``batch_size``, ``beta``, ``loss_reduction``, ``seed``); keyword
        ``param_overrides`` (``None`` values ignored) apply on top.
    cache, cache_dir
        Feature cache (default: ``$MUSICCLUSTER_CACHE`` or the user cache
        folder). Must not be inside ``music_dir``.
    n_jobs : int
        Local worker processes (-1: all cores). Ignored with ``scheduler``.
    scheduler : str, optional
        Dask scheduler address: extract features on that cluster.
    progress : bool
        Progress bars and step messages on stderr.
    auto_batch : bool
        Grow the VAE's mini-batch with the library (:func:`auto_batch_size`:
        ``params.batch_size`` up to 64 000 segments, then ~1 000 steps per
        epoch) so that training time stops growing; ``False`` uses
        ``params.batch_size`` as given.

    Returns
    -------
    LibraryResult

    Raises
    ------
    ParameterError
        Invalid parameter, output inside the music folder, unreachable scheduler.
    DataError
        No audio file, or no usable track (``skipped.csv`` is still written).
    """
    t_start = time.perf_counter()
    log = _log(progress)
    params = _resolve_params(params, param_overrides)
    _check_train_args(k, k_range, method)
    timings: dict[str, float] = {}
    t = time.perf_counter()
    scan, out, cache_root = _prepare(music_dir, out_dir, cache, cache_dir, progress, log)
    timings["scan"] = time.perf_counter() - t

    t = time.perf_counter()
    fs = _features(scan, params, out, cache, cache_root, n_jobs, scheduler, progress, log)
    timings["features"] = time.perf_counter() - t
    return _train(fs, out, scan=scan, k=k, k_range=k_range, method=method, params=params,
                  progress=progress, timings=timings, t_start=t_start, cache_root=cache_root,
                  scheduler=scheduler, n_jobs=n_jobs, release=True, auto_batch=auto_batch)


def _check_train_args(k, k_range, method) -> None:
    if method not in METHODS:
        raise ParameterError("method", f"must be one of {', '.join(METHODS)}; got {method!r}")
    if k is not None and (isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 2):
        raise ParameterError("k", f"must be an integer >= 2, got {k!r}")
    lo, hi = k_range
    if not (isinstance(lo, int) and isinstance(hi, int) and 2 <= lo <= hi):
        raise ParameterError("k_range", f"must be two integers 2 <= min <= max, got {k_range!r}")


def cluster_features(fs, out_dir: str | os.PathLike[str], *, k: int | None = None,
                     k_range: tuple[int, int] = DEFAULT_K_RANGE, method: str = "vae",
                     params: Params | dict | None = None, progress: bool = True,
                     auto_batch: bool = True, **param_overrides: Any) -> LibraryResult:
    """Playlists from features already extracted (a :class:`~musiccluster.features.FeatureSet`).

    The steps of :func:`organize_library` after feature extraction, with the
    same outputs (``skipped.csv`` lists ``fs.skipped``). Its ``meta["path"]``
    must name the audio files for the playlists to open.
    """
    t_start = time.perf_counter()
    params = _resolve_params(params, param_overrides)
    _check_train_args(k, k_range, method)
    out = Path(out_dir).expanduser()
    out.mkdir(parents=True, exist_ok=True)
    out = out.resolve()
    scan = Scan(root=Path(fs.source or "."), clips=[], ignored=pd.DataFrame(columns=["path", "reason"]),
                visited=set(), n_files=int(fs.meta["clip_id"].nunique() + len(fs.skipped)))
    return _train(fs, out, scan=scan, k=k, k_range=k_range, method=method, params=params,
                  progress=progress, timings={}, t_start=t_start, cache_root=None, scheduler=None, n_jobs=None,
                  auto_batch=auto_batch)


def _train(fs, out: Path, *, scan: Scan, k, k_range, method, params, progress, timings, t_start,
           cache_root, scheduler, n_jobs, release: bool = False, auto_batch: bool = False) -> LibraryResult:
    """Embedding, k, clusters, track assignment and every output, from extracted features.

    ``release``: drop ``fs.meta`` (one row per segment, ~4 KB per track) once the per-track
    table is made (for a FeatureSet nobody else holds).
    """
    from ..clustering import kmeans
    from .playlists import write_outputs

    log = _log(progress)
    lo, hi = k_range
    codes, tracks = track_codes(fs.meta)
    n_tracks = len(tracks)
    skipped = _skipped_frame(scan, fs.skipped)
    log(f"features of {n_tracks} track(s) ({fs.n_samples} segments) in {timings.get('features', 0.0):.1f} s; "
        f"{int((skipped['kind'] == 'failed').sum())} audio file(s) unusable")
    if k is not None and k > n_tracks:
        from .playlists import write_skipped

        write_skipped(skipped, out / "skipped.csv")
        raise ParameterError("k", f"is {k} but only {n_tracks} track(s) could be used "
                             f"(see {out / 'skipped.csv'})")

    t = time.perf_counter()
    X = fs.X
    if release:  # the per-segment metadata is no longer needed
        fs.meta = fs.meta.iloc[:0]
    if params.latent_dim > X.shape[1] and method != "raw":
        raise ParameterError("latent_dim", f"is {params.latent_dim} but there are only {X.shape[1]} features")
    if method == "vae" and X.shape[0] < 2:
        raise DataError("the VAE needs at least 2 segments; use more segments or another method")
    log(f"fitting the {method.upper()} embedding on {X.shape[0]} segments")
    if auto_batch and method == "vae":
        params = params.replace(batch_size=auto_batch_size(X.shape[0], params.batch_size))
    model, history = fit_embedding(X, method, params, progress)
    Z = model.embed(X)
    timings["embedding"] = time.perf_counter() - t

    t = time.perf_counter()
    k_info: dict[str, Any] = {"requested": k, "criterion": None, "range": None, "curve": [],
                              "sampled_tracks": None}
    if k is None:
        k_info.update(criterion=K_CRITERION, range=[lo, hi])
        if n_tracks < 3 or min(hi, n_tracks - 1) < lo:
            chosen, centers = 1, Z.mean(axis=0, keepdims=True)
            k_info["note"] = f"only {n_tracks} track(s): too few to choose k, one playlist"
        else:
            chosen, curve, fitted, n_sampled = choose_k(Z, codes, n_tracks, (lo, hi), params.seed, progress)
            k_info.update(curve=curve.to_dict(orient="records"), sampled_tracks=n_sampled)
            if n_sampled == n_tracks:
                centers = fitted[chosen]
            else:
                with single_threaded():
                    centers = np.asarray(kmeans(Z, chosen, params.seed).cluster_centers_, dtype=np.float64)
        log(f"k = {chosen} (highest silhouette over k = {lo}..{hi})" if chosen > 1 else k_info["note"])
    else:
        chosen = int(k)
        with single_threaded():
            centers = np.asarray(kmeans(Z, chosen, params.seed).cluster_centers_, dtype=np.float64)
    k_info["chosen"] = chosen
    first = assign_tracks(Z, codes, n_tracks, centers)
    model.centers = _order_by_size(first, centers)
    a = assign_tracks(Z, codes, n_tracks, model.centers)
    model.map_mean, model.map_components = _map_projection(a.position)
    timings["clustering"] = time.perf_counter() - t

    model.info = {
        "trained": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "music_dir": str(scan.root), "n_tracks": n_tracks, "n_segments_total": int(X.shape[0]),
        "params": params.to_dict() | {"data_dir": None}, "method": method, "k": k_info,
        **({"pca_explained_variance": model.info["pca_explained_variance"]} if "pca_explained_variance" in model.info else {}),
        **({"vae_final_epoch": {c: float(v) for c, v in history.iloc[-1].items()}} if history is not None and len(history) else {}),
    }
    t = time.perf_counter()
    df = _tracks_frame(tracks, a, model.project(a.position))
    model.save(out / "model")
    summary = _summary("train", scan, out, df, skipped, model, params, method, k_info, cache_root,
                       scheduler, n_jobs, X.shape[0], timings)
    files = write_outputs(out, df, skipped, model, summary, k_curve=k_info.get("curve"),
                          title=f"{method.upper()} + K-Means, k = {chosen}", timings=timings,
                          t_start=t_start, extra={"model": out / "model"})
    log(f"{n_tracks} track(s) in {int((df.groupby('cluster').size() > 0).sum())} playlist(s): {out / 'playlists'}")
    return LibraryResult(df, skipped, summary, model, out, files)


def assign_library(music_dir: str | os.PathLike[str], model_dir: str | os.PathLike[str],
                   out_dir: str | os.PathLike[str], *, cache: bool = True,
                   cache_dir: str | os.PathLike[str] | None = None, n_jobs: int = -1,
                   scheduler: str | None = None, progress: bool = True) -> LibraryResult:
    """Put the tracks of ``music_dir`` into the clusters of a saved model, without retraining.

    (``musiccluster cluster --assign NEW_DIR --model OUT_DIR/model --out OUT2``.)
    Features are extracted with the model's feature parameters; each track is
    assigned by the same rule as in training. Writes the same outputs as
    :func:`organize_library` (the map uses the training map's axes); the model
    is not copied.
    """
    from .playlists import write_outputs

    t_start = time.perf_counter()
    log = _log(progress)
    model = LibraryModel.load(model_dir)
    fp = model.feature_params
    if fp.get("feature_version") != _feature_version() or fp.get("sr") != SR:
        raise DataError(f"the model in {model_dir} was trained on features of version "
                        f"{fp.get('feature_version')} at {fp.get('sr')} Hz; this musiccluster computes "
                        f"version {_feature_version()} at {SR} Hz: retrain it")
    info_params = dict(model.info.get("params", {}))
    params = Params.from_dict({k: v for k, v in info_params.items() if k in Params.names()}).replace(
        n_segments=fp["n_segments"], n_mfcc=fp["n_mfcc"], min_segment_s=float(fp["min_segment_s"]))
    timings: dict[str, float] = {}
    t = time.perf_counter()
    scan, out, cache_root = _prepare(music_dir, out_dir, cache, cache_dir, progress, log)
    model_path = Path(model_dir).expanduser().resolve()
    if _inside(out, model_path):
        raise ParameterError("out", f"{out_dir} is inside the model folder {model_dir}")
    timings["scan"] = time.perf_counter() - t
    t = time.perf_counter()
    fs = _features(scan, params, out, cache, cache_root, n_jobs, scheduler, progress, log)
    timings["features"] = time.perf_counter() - t
    codes, tracks = track_codes(fs.meta)
    skipped = _skipped_frame(scan, fs.skipped)
    t = time.perf_counter()
    Z = model.embed(fs.X)
    n_rows = fs.n_samples
    del fs
    a = assign_tracks(Z, codes, len(tracks), model.centers)
    timings["assignment"] = time.perf_counter() - t
    df = _tracks_frame(tracks, a, model.project(a.position))
    k_info = {"requested": model.k, "chosen": model.k, "criterion": "fixed by the model",
              "curve": [], "model_dir": str(model_path)}
    summary = _summary("assign", scan, out, df, skipped, model, params, model.method, k_info, cache_root,
                       scheduler, n_jobs, n_rows, timings)
    files = write_outputs(out, df, skipped, model, summary, k_curve=None,
                          title=f"new tracks in the {model.k} clusters of {model_path.parent.name or model_path}",
                          timings=timings, t_start=t_start)
    log(f"{len(df)} track(s) assigned to the {model.k} clusters: {out / 'playlists'}")
    return LibraryResult(df, skipped, summary, model, out, files)


def _summary(mode, scan, out, df, skipped, model, params, method, k_info, cache_root, scheduler,
             n_jobs, n_rows, timings) -> dict[str, Any]:
    k = model.k
    width = playlist_width(k)
    n_failed = int((skipped["kind"] == "failed").sum())
    return {
        "command": "musiccluster cluster" + (" --assign" if mode == "assign" else ""),
        "mode": mode,
        "musiccluster_version": __version__,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "music_dir": str(scan.root),
        "out_dir": str(out),
        "method": method,
        "params": {name: getattr(params, name) for name in (
            "n_segments", "n_mfcc", "min_segment_s", "latent_dim", "hidden_dim", "epochs", "lr",
            "batch_size", "beta", "loss_reduction", "seed")},
        "assignment_rule": ASSIGNMENT_RULE,
        "playlist_order": ORDER_RULE,
        "k": k_info,
        "counts": {
            "files_seen": scan.n_files, "audio_files": int(len(df)) + n_failed, "tracks_used": int(len(df)),
            "audio_files_skipped": n_failed, "other_items_ignored": int(len(skipped) - n_failed),
            "segments": int(n_rows), "clusters": k,
            "nonempty_clusters": int(df["cluster"].nunique()),
        },
        "clusters": _cluster_table(df, k, width),
        "mean_confidence": float(df["confidence"].mean()),
        "label_agreement": _label_agreement(df),
        "feature_cache": str(cache_root) if cache_root is not None else None,
        "scheduler": scheduler,
        "n_jobs": n_jobs,
        "environment": {"python": platform.python_version(), "platform": platform.platform(),
                        "cpus": os.cpu_count()},
        "timings_s": timings,
    }


def playlist_width(k: int) -> int:
    """Digits in playlist numbers (``cluster-01.m3u``; three digits from k = 100)."""
    return max(2, len(str(max(k, 1))))
