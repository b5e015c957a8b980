"""How many playlists: k chosen by the silhouette of the track clusters.

Command: ``musiccluster cluster`` without ``--k`` (over ``--k-range``); the criterion is stated in
:data:`K_CRITERION` and copied into ``summary.json``, the curve into ``k-selection.png``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..threads import single_threaded
from .assign import assign_tracks
from .options import DEFAULT_K_RANGE

#: k is chosen on a seeded random sample of at most this many tracks.
K_SELECTION_MAX_TRACKS = 20_000
#: Smallest admissible cluster when choosing k: max(2, this share of the tracks).
K_MIN_CLUSTER_SHARE = 0.01
#: How k is chosen when not given (also in summary.json).
K_CRITERION = (
    "for each k in the range: K-Means on the segment embeddings, tracks assigned by the vote rule, "
    "silhouette of the tracks' mean embeddings under those track clusters; among the k whose every "
    "cluster gets at least max(2, 1% of the tracks) tracks, the one with the highest silhouette wins "
    "(if no k qualifies: the highest silhouette overall; ties: the smaller k)"
)
CURVE_COLUMNS = ["k", "silhouette", "calinski_harabasz", "nonempty_clusters", "smallest_cluster", "admissible"]


def _sample_tracks(Z: np.ndarray, codes: np.ndarray, n_tracks: int,
                   seed: int) -> tuple[np.ndarray, np.ndarray, int]:
    """(segments, track codes, number of tracks) of at most :data:`K_SELECTION_MAX_TRACKS` tracks."""
    if n_tracks <= K_SELECTION_MAX_TRACKS:
        return Z, codes, n_tracks
    rng = np.random.default_rng(seed)
    chosen = np.sort(rng.choice(n_tracks, K_SELECTION_MAX_TRACKS, replace=False))
    remap = np.full(n_tracks, -1, dtype=np.int64)
    remap[chosen] = np.arange(len(chosen))
    keep = remap[codes] >= 0
    return Z[keep], remap[codes[keep]], len(chosen)


def _sklearn_memory():
    """scikit-learn's chunked pairwise distances (silhouette) in 256 MB pieces, not its 1 GB default."""
    import sklearn

    return sklearn.config_context(working_memory=256)


def choose_k(Z: np.ndarray, codes: np.ndarray, n_tracks: int, k_range: tuple[int, int] = DEFAULT_K_RANGE,
             seed: int = 0, progress: bool = False) -> tuple[int, pd.DataFrame, dict[int, np.ndarray], int]:
    """Pick k by the criterion of :data:`K_CRITERION`.

    Command: ``musiccluster cluster`` (without ``--k``). For libraries above
    :data:`K_SELECTION_MAX_TRACKS` tracks the curve is computed on a seeded random sample of
    that many tracks (all their segments); the final clustering at the chosen k uses every track.

    Returns
    -------
    k : int
    curve : DataFrame
        ``k``, ``silhouette``, ``calinski_harabasz``, ``nonempty_clusters``,
        ``smallest_cluster``, ``admissible``.
    centers : dict k -> ndarray
        Centres fitted at each k (on the sample).
    n_sampled : int
        Tracks the curve was computed on.
    """
    from tqdm.auto import tqdm

    from ..clustering import kmeans
    from ..metrics.internal import internal_scores

    Zs, cs, n = _sample_tracks(Z, codes, n_tracks, seed)
    lo, hi = k_range
    ks = list(range(lo, min(hi, n - 1) + 1))
    min_size = max(2, int(np.ceil(K_MIN_CLUSTER_SHARE * n)))
    rows, centers = [], {}
    for k in tqdm(ks, desc="choosing k", unit="k", disable=not progress, leave=False):
        with single_threaded():
            c = np.asarray(kmeans(Zs, k, seed).cluster_centers_, dtype=np.float64)
            a = assign_tracks(Zs, cs, n, c)
            with _sklearn_memory():
                s = internal_scores(a.position, a.labels, seed)
        sizes = np.bincount(a.labels, minlength=k)
        centers[k] = c
        rows.append({"k": k, "silhouette": s["silhouette"], "calinski_harabasz": s["calinski_harabasz"],
                     "nonempty_clusters": int((sizes > 0).sum()), "smallest_cluster": int(sizes.min()),
                     "admissible": bool(sizes.min() >= min_size)})
    curve = pd.DataFrame(rows, columns=CURVE_COLUMNS)
    finite = curve[np.isfinite(curve["silhouette"])]
    if len(finite[finite["admissible"]]):
        finite = finite[finite["admissible"]]
    if len(finite) == 0:
        best = ks[0]
    else:
        best = int(finite.sort_values(["silhouette", "k"], ascending=[False, True]).iloc[0]["k"])
    return best, curve, centers, n
