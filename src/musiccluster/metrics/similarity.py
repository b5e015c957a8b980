"""Music similarity as a listener meets it: are a clip's nearest neighbours of its genre?

Chapter *Similarity*. A playlist built around a seed track is good when the tracks nearest to it
share its genre (style, on the stand-in corpus). For every clip in turn (leave one out), the ``k``
clips nearest to it are found, and P@k is the share of them with the clip's label. The clip is the
unit: a clip's representation is one row (the mean of its segments' rows, :func:`clip_rows`, or a
model of the whole clip), or a distance matrix between clips is given, so a clip's own segments can
never be its neighbours. The benchmark around it (intervals, clustering agreement) is
:mod:`musiccluster.evaluation.similarity`.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ..groups import group_codes, group_means

#: The ks of the benchmark (P@1, P@5, P@10).
KS: tuple[int, ...] = (1, 5, 10)


def clip_rows(X: np.ndarray, groups: Sequence) -> tuple[np.ndarray, np.ndarray]:
    """Mean row of every clip (``groups`` names each row's clip) and the clip ids, in order of first appearance.

    Chapter: Similarity.
    """
    codes, ids = group_codes(groups)
    return group_means(X, codes, len(ids)), ids


def clip_labels(labels: Sequence, groups: Sequence) -> np.ndarray:
    """The label of every clip (its first row's), in the order of :func:`clip_rows`."""
    codes, ids = group_codes(groups)
    labels = np.asarray(labels)
    first = np.full(len(ids), -1)
    first[codes[::-1]] = np.arange(len(codes))[::-1]
    return labels[first]


def distances(X: np.ndarray, metric: str = "euclidean") -> np.ndarray:
    """Pairwise distances between the rows of ``X`` (:func:`scipy.spatial.distance.cdist`)."""
    from scipy.spatial.distance import cdist

    X = np.asarray(X, dtype=np.float64)
    return cdist(X, X, metric=metric)


def neighbour_precision(D: np.ndarray, labels: Sequence, ks: Sequence[int] = KS) -> np.ndarray:
    """Per clip, the share of its ``k`` nearest other clips that have its label: shape (n_clips, len(ks)).

    Chapter: Similarity. ``D[i, j]`` is the distance from query ``i`` to clip ``j`` (need not be
    symmetric); ``D[i, i]`` is never used: a clip is not its own neighbour. Ties are broken by clip
    order (a stable sort), so the result is deterministic.
    """
    D = np.array(D, dtype=np.float64)
    labels = np.asarray(labels)
    n = len(D)
    if D.shape != (n, n) or len(labels) != n:
        raise ValueError(f"need a square distance matrix and one label per clip; got {D.shape}, {len(labels)}")
    if max(ks) > n - 1:
        raise ValueError(f"k = {max(ks)} needs at least {max(ks) + 1} clips; there are {n}")
    D[~np.isfinite(D)] = np.inf
    np.fill_diagonal(D, np.inf)
    order = np.argsort(D, axis=1, kind="stable")[:, : max(ks)]
    same = labels[order] == labels[:, None]
    return np.stack([same[:, :k].mean(axis=1) for k in ks], axis=1)


def chance_precision(labels: Sequence) -> float:
    """P@k of random neighbours: the mean over clips of (clips with its label - 1) / (clips - 1).

    Chapter: Similarity.
    """
    _, inverse, counts = np.unique(np.asarray(labels).astype(str), return_inverse=True, return_counts=True)
    return float(np.mean((counts[inverse] - 1) / (len(inverse) - 1)))


def mutual_proximity(D: np.ndarray) -> np.ndarray:
    """Empirical mutual proximity of a distance matrix (Schnitzer et al. 2012), as musly normalises.

    Chapter: Similarity. ``MP[x, y] = 1 - P(D[x, :] > D[x, y]) * P(D[y, :] > D[x, y])``, each
    probability the share of the *other* clips (not ``x``, not ``y``) farther than the pair: a pair is
    close when each is among the other's nearest, which removes "hubs" that are near to everything.
    Symmetric, 0 on the diagonal.
    """
    D = np.asarray(D, dtype=np.float64)
    n = len(D)
    if n < 3:
        return D.copy()
    off = D.copy()
    np.fill_diagonal(off, np.inf)               # a clip is never counted among its own distances
    sorted_rows = np.sort(off, axis=1)[:, : n - 1]
    # farther[x, y]: clips z != x with D[x, z] > D[x, y] (y itself is never farther than itself)
    farther = np.stack([(n - 1) - np.searchsorted(sorted_rows[x], D[x], side="right") for x in range(n)])
    share = farther / (n - 2)
    mp = 1.0 - share * share.T
    np.fill_diagonal(mp, 0.0)
    return mp
