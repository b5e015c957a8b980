"""The similarity benchmark: P@1/P@5/P@10 with clip-bootstrap intervals, and ARI/NMI of clustering.

Chapter *Similarity*. :func:`similarity_scores` takes one clip-level representation (a feature
matrix with its metric, or a precomputed distance matrix between clips) and returns a
:class:`SimilarityScores`: leave-one-out genre precision among the ``k`` nearest clips
(:func:`musiccluster.metrics.similarity.neighbour_precision`; a clip is never its own neighbour),
P@k the mean over clips, with an interval that resamples the query clips with replacement (the
clip bootstrap of :mod:`.bootstrap`: multinomial multiplicities, bias-corrected percentile
interval; numpy stream ``similarity_bootstrap``); the neighbour sets are those of the full corpus.
Beside it, the ARI and NMI of clustering the same representation into ``n_clusters`` (K-Means on
rows, spectral clustering on a distance matrix) against the labels.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Sequence

import numpy as np

from ..metrics.external import external_scores
from ..metrics.similarity import KS, chance_precision, distances, neighbour_precision
from ..seeds import rng
from .bootstrap import bias_corrected_interval, multiplicities

#: Bootstrap replicates and interval confidence of the benchmark.
N_BOOT = 1000
CONFIDENCE = 0.95


@dataclass(frozen=True)
class Interval:
    """An estimate with its clip-bootstrap interval."""

    mean: float
    lo: float
    hi: float


@dataclass(frozen=True)
class SimilarityScores:
    """Leave-one-out genre precision among nearest neighbours, and clustering agreement, of one representation.

    Chapter: Similarity.

    Attributes
    ----------
    name : str
        The representation.
    n_clips : int
    precision : dict of int to Interval
        P@k for every k of ``ks``.
    chance : float
        P@k of random neighbours: the mean over clips of (same-label clips - 1) / (n - 1).
    ari, nmi : float or None
        Of clustering the representation into ``n_clusters`` (None when not asked).
    n_clusters : int or None
    clustering : str
        How it was clustered (``kmeans`` on rows, ``spectral`` on distances).
    """

    name: str
    n_clips: int
    precision: dict[int, Interval]
    chance: float
    ari: float | None = None
    nmi: float | None = None
    n_clusters: int | None = None
    clustering: str = ""
    extra: dict = field(default_factory=dict)
    #: Per-clip precision at each k (k -> (n_clips,)), for paired comparisons (:func:`precision_difference`).
    hits: dict | None = field(default=None, repr=False, compare=False)

    def p(self, k: int) -> float:
        """P@k (the estimate)."""
        return self.precision[k].mean

    def to_dict(self) -> dict:
        d = asdict(self)
        d.pop("hits", None)
        d["precision"] = {str(k): asdict(v) for k, v in self.precision.items()}
        return d


def _interval(values: np.ndarray, n_boot: int, seed: int, confidence: float) -> Interval:
    w = multiplicities(len(values), n_boot, rng(seed, "similarity_bootstrap"))
    dist = w @ values / len(values)
    est = float(values.mean())
    lo, hi, _ = bias_corrected_interval(dist, est, confidence)
    return Interval(est, lo, hi)


def similarity_scores(name: str, labels: Sequence, *, X: np.ndarray | None = None, metric: str = "euclidean",
                      D: np.ndarray | None = None, ks: Sequence[int] = KS, n_clusters: int | None = None,
                      seed: int = 0, n_boot: int = N_BOOT, confidence: float = CONFIDENCE,
                      extra: dict | None = None, cluster_D: np.ndarray | None = None,
                      cluster_seeds: Sequence[int] = ()) -> SimilarityScores:
    """The similarity benchmark of one clip-level representation: P@k with intervals, and ARI/NMI.

    Chapter: Similarity.

    Parameters
    ----------
    name : str
    labels : array of shape (n_clips,)
        Every clip's genre (style).
    X : ndarray of shape (n_clips, n_features), optional
        One row per clip, compared with ``metric`` (:func:`scipy.spatial.distance.cdist`); clustered
        with K-Means.
    D : ndarray of shape (n_clips, n_clips), optional
        Precomputed distances between clips instead of ``X``; clustered spectrally
        (:func:`musiccluster.clustering.spectral_from_distances`).
    ks : sequence of int
    n_clusters : int, optional
        Also cluster into this many clusters and score ARI/NMI against ``labels``.
    seed : int
        Seeds the bootstrap (stream ``similarity_bootstrap``) and the clustering.
    cluster_D : ndarray of shape (n_clips, n_clips), optional
        Distances to cluster instead of ``D`` (``musiccluster cluster --method timbre`` finds
        neighbours by ``D`` = the mutual-proximity distances and clusters the Jensen-Shannon ones).
    cluster_seeds : sequence of int
        Also cluster with each of these seeds: ``extra["ari_over_seeds"]`` (how much ARI moves
        with the clustering's seed alone).
    """
    if (X is None) == (D is None):
        raise ValueError("give exactly one of X (a feature matrix) and D (a distance matrix)")
    labels = np.asarray(labels).astype(str)
    dist = distances(X, metric) if X is not None else np.asarray(D, dtype=np.float64)
    hits = neighbour_precision(dist, labels, ks)
    precision = {int(k): _interval(hits[:, j], n_boot, seed, confidence) for j, k in enumerate(ks)}
    chance = chance_precision(labels)
    ari = nmi = None
    how = ""
    if n_clusters is not None:
        from ..clustering import kmeans, spectral_from_distances

        if X is not None:
            pred, how = kmeans(np.asarray(X, dtype=np.float64), n_clusters, seed).labels_, "kmeans"
        else:
            on = dist if cluster_D is None else np.asarray(cluster_D, dtype=np.float64)
            pred, how = spectral_from_distances(on, n_clusters, seed), "spectral" if cluster_D is None else "spectral on JS"
        scores = external_scores(labels, pred)
        ari, nmi = scores["ari"], scores["nmi"]
        if cluster_seeds:
            again = [pred if s == seed else kmeans(np.asarray(X, dtype=np.float64), n_clusters, s).labels_
                     if X is not None else spectral_from_distances(on, n_clusters, s) for s in cluster_seeds]
            extra = {**(extra or {}), "ari_over_seeds": {int(s): external_scores(labels, p)["ari"]
                                                         for s, p in zip(cluster_seeds, again)}}
    return SimilarityScores(name, len(labels), precision, chance, ari, nmi, n_clusters, how, dict(extra or {}),
                            hits=dict(zip([int(k) for k in ks], hits.T)))


def precision_difference(a: SimilarityScores, b: SimilarityScores, k: int, *, seed: int = 0,
                         n_boot: int = N_BOOT, confidence: float = CONFIDENCE) -> Interval:
    """P@k of ``a`` minus that of ``b`` on the same clips, with a paired clip-bootstrap interval.

    Chapter: Similarity. The same query clips are drawn for both (one set of multiplicities), so the
    interval is that of the difference itself, narrower than comparing two separate intervals.
    """
    if a.n_clips != b.n_clips or a.hits is None or b.hits is None:
        raise ValueError("a paired difference needs two scores of the same clips, with their per-clip hits")
    return _interval(np.asarray(a.hits[k]) - np.asarray(b.hits[k]), n_boot, seed, confidence)
