"""The clip bootstrap: resampling, bias-corrected intervals, and metrics under row weights.

Chapter *Evaluation*. Each replicate draws clips with replacement (a clip's segments always come
together, so near-duplicate segments cannot pose as independent evidence) and seeds with
replacement, and averages the metric over the drawn seeds on the drawn clips; the interval is the
percentile interval of those averages, shifted by the bootstrap's bias estimate
(:func:`bias_corrected_interval`). Clusterings are not refitted inside the bootstrap. A replicate is
a vector of row multiplicities, so every metric is computed from weighted sums
(:class:`BootPlan`): silhouettes as means of per-row values, Calinski-Harabasz and the external
metrics from weighted cluster statistics and contingency tables.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pandas as pd
from scipy import sparse

from ..metrics.external import contingency_cells


def resample_clips(groups: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Row indices of one clip bootstrap sample: clips drawn with replacement, all their rows together.

    Chapter: Evaluation

    Parameters
    ----------
    groups : array of shape (n,)
        Clip id of every row.
    rng : numpy Generator

    Returns
    -------
    int ndarray
        Indices into the rows; a drawn clip contributes all its rows, as often as it was drawn.
    """
    codes, _ = pd.factorize(pd.Series(np.asarray(groups)), sort=False)
    order = np.argsort(codes, kind="stable")
    starts = np.searchsorted(codes[order], np.arange(codes.max() + 2))
    drawn = rng.integers(0, codes.max() + 1, size=codes.max() + 1)
    return np.concatenate([order[starts[g]:starts[g + 1]] for g in drawn])


def clip_bootstrap_weights(groups: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """Row multiplicities of ``n_boot`` clip bootstrap samples, shape (n_boot, n).

    Chapter: Evaluation

    Row ``i`` of replicate ``b`` appears ``w[b, i]`` times; every row of a clip has its
    clip's multiplicity (clips drawn with replacement, segments kept together).
    """
    codes, uniques = pd.factorize(pd.Series(np.asarray(groups)), sort=False)
    return multiplicities(len(uniques), n_boot, rng)[:, codes]


def multiplicities(n_units: int, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """How often each of ``n_units`` units is drawn in each of ``n_boot`` resamples of size ``n_units``.

    Chapter: Evaluation
    """
    return rng.multinomial(n_units, np.full(n_units, 1.0 / n_units), size=n_boot).astype(np.float64)


#: Fewer clips than this and the clip bootstrap cannot say much: its intervals shrink towards zero width.
MIN_CLIPS = 10


def few_clips_warning(groups: np.ndarray, min_clips: int = MIN_CLIPS) -> str | None:
    """The warning to give when the clip bootstrap has too few clips to resample, else None.

    Chapter: Evaluation

    A feature table whose rows all share one file name is one clip: every bootstrap replicate then
    draws that clip, and the intervals are as wide as the seeds alone make them (zero with one seed).
    """
    codes, uniques = pd.factorize(pd.Series(np.asarray(groups)), sort=False)
    n = len(uniques)
    if n >= min_clips:
        return None
    what = f"all {len(codes)} rows belong to one clip ({uniques[0]})" if n == 1 else f"only {n} clips"
    return (f"{what}: the intervals resample clips and cannot show the spread of {min_clips} or more; "
            "read them as seed spread only (a table names its clips in 'filename' or a 'clip_id' column)")


class BootPlan:
    """Shared bootstrap replicates: group (clip) multiplicities and seed multiplicities.

    Chapter: Evaluation

    ``group_codes`` gives each row's group; ``group_w`` (B, n_groups) the groups' multiplicities in
    every replicate; ``seed_w`` maps a number of seeds S to the seed weights (B, S), multiplicities / S.
    """

    def __init__(self, group_codes: np.ndarray, group_w: np.ndarray, seed_w: dict[int, np.ndarray]):
        self.group_codes = np.asarray(group_codes)
        g = group_w.shape[1]
        n = len(self.group_codes)
        self.A = sparse.csr_matrix((np.ones(n), (self.group_codes, np.arange(n))), shape=(g, n))
        self.group_w = group_w
        self.seed_w = seed_w
        self.total = self.boot(np.ones((n, 1)))[:, 0]

    def boot(self, row_values: np.ndarray) -> np.ndarray:
        """Weighted column sums of ``row_values`` (n, m) in every replicate: (B, m)."""
        return self.group_w @ np.asarray(self.A @ row_values)

    def mean(self, values: np.ndarray) -> np.ndarray:
        """Bootstrap means of one per-row value."""
        return self.boot(np.asarray(values, dtype=np.float64)[:, None])[:, 0] / self.total

    def contingency(self, true_codes: np.ndarray, pred_codes: np.ndarray, n_labels: int,
                    n_clusters: int) -> np.ndarray:
        """Contingency tables (B, n_labels, n_clusters) of one labelling in every replicate."""
        cells = contingency_cells(true_codes, pred_codes, n_labels, n_clusters)
        return self.boot(cells).reshape(-1, n_labels, n_clusters)

    def calinski_harabasz(self, Z: np.ndarray, codes: np.ndarray, n_clusters: int) -> np.ndarray:
        """Calinski-Harabasz of the cluster ``codes`` in ``Z`` in every replicate (B,)."""
        return ch_from_sums(self.boot(ch_features(Z, codes, n_clusters)), n_clusters, Z.shape[1])


def bootstrap_stat(per_seed: np.ndarray, boot: np.ndarray | None, seed_w: np.ndarray, confidence: float
                   ) -> tuple[dict[str, Any], np.ndarray]:
    """Mean over seeds, percentile interval of the seed-and-clip bootstrap, seed SD.

    Chapter: Evaluation

    ``per_seed`` (S,) full-data values; ``boot`` (S, B) their clip bootstrap
    values (None: resample the seeds only); ``seed_w`` (B, S) seed weights
    (multiplicities / S). Returns the record's statistic and the bootstrap distribution (B,).
    """
    per_seed = np.asarray(per_seed, dtype=np.float64)
    vals = np.repeat(per_seed[:, None], seed_w.shape[0], axis=1) if boot is None else np.asarray(boot)
    ok = np.isfinite(vals)
    w = seed_w.T * ok
    with np.errstate(invalid="ignore", divide="ignore"):
        dist = (np.where(ok, vals, 0.0) * w).sum(axis=0) / w.sum(axis=0)
    good = per_seed[np.isfinite(per_seed)]
    mean = float(good.mean()) if len(good) else float("nan")
    lo, hi, bias = bias_corrected_interval(dist, mean, confidence)
    stat = {"mean": mean, "lo": lo, "hi": hi, "sd": float(good.std(ddof=1)) if len(good) > 1 else 0.0,
            "bias": bias, "per_seed": [float(v) for v in per_seed]}
    return stat, dist


def bias_corrected_interval(dist: np.ndarray, estimate: float, confidence: float) -> tuple[float, float, float]:
    """Bias-corrected percentile interval: the bootstrap percentiles shifted by the bootstrap bias.

    Chapter: Evaluation

    Resampling clips repeats clips, which inflates pair-counting and information
    metrics (a repeated clip always agrees with itself); the mean of the
    replicates minus the estimate measures that inflation, and the interval is
    moved back by it. Silhouettes, being means, have no such bias.
    """
    finite = np.asarray(dist)[np.isfinite(dist)]
    if not len(finite) or not np.isfinite(estimate):
        return float("nan"), float("nan"), float("nan")
    alpha = (1 - confidence) / 2
    bias = float(finite.mean() - estimate)
    lo, hi = np.quantile(finite, [alpha, 1 - alpha]) - bias
    return float(lo), float(hi), bias


def difference_stat(a: np.ndarray, b: np.ndarray, per_a: Sequence[float], per_b: Sequence[float],
                    confidence: float) -> dict[str, Any]:
    """Difference a - b of two bootstrapped statistics (paired when they share replicates).

    Chapter: Evaluation
    """
    diff = np.asarray(per_a, dtype=float) - np.asarray(per_b, dtype=float)
    mean = float(np.nanmean(np.asarray(per_a, dtype=float)) - np.nanmean(np.asarray(per_b, dtype=float)))
    lo, hi, bias = bias_corrected_interval(np.asarray(a) - np.asarray(b), mean, confidence)
    return {"mean": mean, "lo": lo, "hi": hi, "bias": bias,
            "sd": float(np.nanstd(diff, ddof=1)) if len(diff) > 1 else 0.0, "per_seed": [float(v) for v in diff]}


# ----------------------------------------------------------------------------- Calinski-Harabasz from sums
def _ch_from_stats(N: np.ndarray, S: np.ndarray, Q: np.ndarray) -> np.ndarray:
    """Calinski-Harabasz from cluster weights N (B, K), cluster sums S (B, K, d) and total sum of squares Q (B,)."""
    n = N.sum(axis=1)
    k_eff = (N > 0).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        per_cluster = np.where(N > 0, (S ** 2).sum(axis=2) / np.where(N > 0, N, 1.0), 0.0).sum(axis=1)
        T = S.sum(axis=1)
        between = per_cluster - (T ** 2).sum(axis=1) / n
        within = Q - per_cluster
        ch = np.where(within <= 1e-12 * np.maximum(Q, 1e-300), 1.0,
                      between * (n - k_eff) / (within * (k_eff - 1)))
    return np.where(k_eff >= 2, ch, np.nan)


def ch_features(Z: np.ndarray, codes: np.ndarray, n_clusters: int) -> np.ndarray:
    """Per-row statistics whose weighted sums give Calinski-Harabasz: [one-hot, one-hot x z, |z|^2].

    Chapter: Evaluation
    """
    n, d = Z.shape
    F = np.zeros((n, n_clusters * (d + 1) + 1))
    F[np.arange(n), codes] = 1.0
    cols = n_clusters + codes[:, None] * d + np.arange(d)[None, :]
    F[np.arange(n)[:, None], cols] = Z
    F[:, -1] = (Z ** 2).sum(axis=1)
    return F


def ch_from_sums(sums: np.ndarray, n_clusters: int, d: int) -> np.ndarray:
    """Calinski-Harabasz of every row of ``sums``, weighted column sums of :func:`ch_features`.

    Chapter: Evaluation
    """
    N = sums[:, :n_clusters]
    S = sums[:, n_clusters:n_clusters * (d + 1)].reshape(-1, n_clusters, d)
    return _ch_from_stats(N, S, sums[:, -1])


def weighted_calinski_harabasz(Z: np.ndarray, labels: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Calinski-Harabasz of ``labels`` in ``Z`` with rows repeated as ``weights`` (n_weightings, n) say.

    Chapter: Evaluation

    Equal to :func:`sklearn.metrics.calinski_harabasz_score` on the repeated rows.
    """
    Z = np.asarray(Z, dtype=np.float64)
    codes, uniques = pd.factorize(pd.Series(np.asarray(labels)), sort=True)
    F = ch_features(Z, codes, len(uniques))
    return ch_from_sums(np.atleast_2d(weights) @ F, len(uniques), Z.shape[1])
