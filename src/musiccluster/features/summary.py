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
