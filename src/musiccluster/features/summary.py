"""Descriptive statistics of a feature matrix: spread, redundancy, per-feature moments, clips per label.

Chapters *MFCC features* and *Data and augmentation* show these numbers; they are computed here, once,
and tested against direct counts (the chapters only format them).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class CorrelationSummary:
    """How correlated the features are, over the ``n_pairs`` distinct pairs (upper triangle)."""

    n_pairs: int
    n_strong: int
    threshold: float
    share_strong: float
    top_pair: tuple[str, str]
    top_r: float


def correlation_summary(X: np.ndarray, names: list[str], threshold: float = 0.5) -> CorrelationSummary:
    """Share of feature pairs with ``|r| > threshold`` and the most correlated pair.

    Chapter: MFCC features. Counts each unordered pair once (the strict upper triangle of the
    Pearson correlation matrix), so ``n_pairs = p (p - 1) / 2``; a constant feature's NaN
    correlations count as not strong. (The chapter once used ``DataFrame.stack()`` on a masked
    matrix, which under pandas 3 keeps the masked NaNs and inflates the denominator.)

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    names : list of str
        Feature names, one per column.
    threshold : float
        Absolute correlation above which a pair counts as strong.
    """
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[1] < 2 or X.shape[1] != len(names):
        raise ValueError("X needs two or more columns, one name per column")
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = np.corrcoef(X, rowvar=False)
    i, j = np.triu_indices(X.shape[1], k=1)
    r = corr[i, j]
    strong = np.abs(np.nan_to_num(r, nan=0.0)) > threshold
    best = int(np.nanargmax(np.abs(r))) if np.isfinite(r).any() else 0
    return CorrelationSummary(n_pairs=len(r), n_strong=int(strong.sum()), threshold=float(threshold),
                              share_strong=float(strong.mean()), top_pair=(names[i[best]], names[j[best]]),
                              top_r=float(r[best]))


@dataclass(frozen=True)
class SpreadSummary:
    """The smallest and largest standard deviation over the features, and their ratio."""

    sd_min: float
    name_min: str
    sd_max: float
    name_max: str
    ratio: float


def spread_summary(X: np.ndarray, names: list[str]) -> SpreadSummary:
    """Smallest and largest per-feature standard deviation (``ddof=0``) and their ratio.

    Chapter: MFCC features.
    """
    sd = np.asarray(X, dtype=float).std(axis=0)
    lo, hi = int(np.argmin(sd)), int(np.argmax(sd))
    ratio = float(sd[hi] / sd[lo]) if sd[lo] > 0 else float("inf")
    return SpreadSummary(float(sd[lo]), names[lo], float(sd[hi]), names[hi], ratio)


def feature_moments(X: np.ndarray, names: list[str]) -> pd.DataFrame:
    """Per-feature mean and standard deviation (``ddof=0``), one row per feature.

    Chapter: Data and augmentation (the stand-in beside real GTZAN).
    """
    X = np.asarray(X, dtype=float)
    return pd.DataFrame({"mean": X.mean(axis=0), "sd": X.std(axis=0)}, index=pd.Index(list(names), name="feature"))


def max_abs_difference(a: np.ndarray, b: np.ndarray) -> float:
    """Largest absolute element-wise difference of two equally shaped arrays.

    Chapter: MFCC features (the extractor recomputed outside the cache).
    """
    return float(np.max(np.abs(np.asarray(a, dtype=float) - np.asarray(b, dtype=float))))


def clips_per_label(clips: pd.DataFrame) -> pd.DataFrame:
    """Clips, segments and duration range per label of a clip table (``FeatureSet.clip_table()``).

    Chapter: Data and augmentation. Missing labels are grouped as ``(no label)``.
    """
    by = clips["label"].astype(object).where(clips["label"].notna(), "(no label)").rename("label")
    return clips.groupby(by).agg(
        clips=("clip_id", "size"), segments=("n_segments", "sum"), **{
            "shortest (s)": ("duration_s", "min"), "mean duration (s)": ("duration_s", "mean"),
            "longest (s)": ("duration_s", "max")}).round(2)


def clip_level_features(X: np.ndarray, clip_ids, n_mfcc: int) -> np.ndarray:
    """Clip-level MFCC means and variances from equal-length segments' means and variances.

    Chapter: Data and augmentation (the stand-in beside the Kaggle 30-s table, which is clip level).
    By the law of total variance, a clip's mean of a coefficient is the mean of its segments' means
    and its variance is the mean of the segments' variances plus the variance (``ddof=0``) of their
    means; exact for segments of equal length (the few samples :func:`segment_bounds` drops at the end
    of a clip aside).

    Parameters
    ----------
    X : ndarray of shape (n_segments, 2 * n_mfcc)
        ``mfcc1_mean .. mfccN_mean, mfcc1_var .. mfccN_var`` per segment.
    clip_ids : array of shape (n_segments,)
    n_mfcc : int

    Returns
    -------
    ndarray of shape (n_clips, 2 * n_mfcc), clips in order of first appearance.
    """
    from ..groups import group_codes, group_means

    X = np.asarray(X, dtype=float)
    if X.shape[1] != 2 * n_mfcc:
        raise ValueError(f"expected {2 * n_mfcc} columns (means then variances), got {X.shape[1]}")
    codes, ids = group_codes(clip_ids)
    means = group_means(X[:, :n_mfcc], codes, len(ids))
    within = group_means(X[:, n_mfcc:], codes, len(ids))
    between = group_means(X[:, :n_mfcc] ** 2, codes, len(ids)) - means ** 2
    return np.hstack([means, within + np.maximum(between, 0.0)])
