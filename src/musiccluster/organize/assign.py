"""From segments to tracks: each track's cluster, its confidence, its place on the map.

Command: ``musiccluster cluster``. The paper clusters segments; a playlist holds tracks. This
module holds every track-level computation of the command: the segment-to-track bookkeeping
(:func:`track_codes`, :func:`track_means`), the assignment rule (:func:`assign_tracks`, stated
in :data:`ASSIGNMENT_RULE`), the numbering of clusters by size and the 2-d map projection.

(The book computes clip means and a 2-d projection of its own, in
:func:`musiccluster.book.figures.project_2d`; these are the command's, kept apart.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..groups import group_means

#: Rows embedded / assigned per chunk (bounds temporary memory).
CHUNK_ROWS = 65_536

#: The rule that turns segment clusters into a track's cluster (also in summary.json).
ASSIGNMENT_RULE = (
    "each segment goes to its nearest K-Means centre; a track goes to the cluster most of its "
    "segments went to (majority vote); a tie goes to the tied cluster whose centre is nearest on "
    "average over the track's segments; confidence = share of the track's segments in that cluster"
)


def track_codes(meta: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame]:
    """Track index of every segment row, and one row per track.

    Command: ``musiccluster cluster``.

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


def track_means(Z: np.ndarray, codes: np.ndarray, n_tracks: int) -> np.ndarray:
    """Mean segment embedding of each track, ``(n_tracks, dim)``.

    Command: ``musiccluster cluster`` (a track's position: map, distances, playlist order).
    """
    return group_means(Z, codes, n_tracks)


def _distances(Z: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """Euclidean distances (rows x centres), one centre at a time (small temporaries)."""
    out = np.empty((Z.shape[0], centers.shape[0]), dtype=np.float64)
    for j, c in enumerate(centers):
        out[:, j] = np.sqrt(np.square(Z - c).sum(axis=1))
    return out


@dataclass
class TrackAssignment:
    """Result of :func:`assign_tracks` (arrays over tracks). Command: ``musiccluster cluster``."""

    labels: np.ndarray          # cluster index 0..k-1
    confidence: np.ndarray      # share of the track's segments in that cluster
    votes: np.ndarray           # (n_tracks, k) segment counts
    mean_distance: np.ndarray   # (n_tracks, k) mean segment distance to each centre
    position: np.ndarray        # (n_tracks, dim) mean segment embedding
    distance: np.ndarray        # distance of ``position`` to the assigned centre


def assign_tracks(Z: np.ndarray, codes: np.ndarray, n_tracks: int, centers: np.ndarray) -> TrackAssignment:
    """Put every track into one cluster from its segments (the rule of :data:`ASSIGNMENT_RULE`).

    Command: ``musiccluster cluster`` (training and ``--assign``).

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


def order_by_size(a: TrackAssignment, centers: np.ndarray) -> np.ndarray:
    """Centres reordered so that cluster 1 has the most tracks (ties: original order).

    Command: ``musiccluster cluster`` (playlist ``cluster-01`` is the largest).
    """
    sizes = np.bincount(a.labels, minlength=centers.shape[0])
    order = np.lexsort((np.arange(len(sizes)), -sizes))
    return centers[order]


def map_projection(positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and top-2 principal axes (rows) of the track positions; signs fixed for stability.

    Command: ``musiccluster cluster`` (the axes of ``map.png``, saved with the model so that
    ``--assign`` draws new tracks on the training map).
    """
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
