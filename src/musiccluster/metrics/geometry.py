"""The shape of an embedding: how many of its dimensions carry the data (chapter *Results*).

:func:`active_units` (Burda et al. 2016) and :func:`effective_dimensions` (participation ratio).
A silhouette depends on this shape as much as on the clusters.
"""

from __future__ import annotations

import numpy as np


def effective_dimensions(Z: np.ndarray) -> float:
    """Participation ratio of an embedding's covariance spectrum, ``(Σλ)² / Σλ²``.

    Between 1 (all variance on one axis) and the number of dimensions (variance spread evenly).

    Chapter: Results (and Evaluation).
    """
    lam = np.clip(np.linalg.eigvalsh(np.cov(np.asarray(Z, dtype=np.float64), rowvar=False)), 0, None)
    return float(lam.sum() ** 2 / (lam ** 2).sum()) if lam.sum() > 0 else float("nan")


def active_units(Z: np.ndarray, threshold: float = 0.01) -> int:
    """Dimensions of an embedding whose values vary across the rows by more than ``threshold`` (variance).

    Chapter: Results (and Evaluation).
    """
    return int((np.asarray(Z, dtype=np.float64).var(axis=0) > threshold).sum())
