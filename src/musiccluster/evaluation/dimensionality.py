"""What structureless data scores at a given effective dimensionality (chapter *Results*).

A Gaussian with no clusters, whose variance is spread over ``p`` effective dimensions
(participation ratio, :func:`musiccluster.metrics.geometry.effective_dimensions`), cut by K-Means:
:func:`null_band` gives its silhouette and Calinski-Harabasz per row over several seeds, and
:func:`matching_dimensionality` answers at which ``p`` such data reaches a target score (e.g. the
paper's Table 1 at its n = 3,994).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..clustering import kmeans
from ..metrics.internal import internal_scores


def spectrum(pr: float, dims: int = 4) -> np.ndarray:
    """Variances ``(1, a, ..., a)`` of ``dims`` axes whose participation ratio is ``pr`` (1 <= pr <= dims).

    Chapter: Results
    """
    if not 1.0 <= pr <= dims:
        raise ValueError(f"pr must lie in [1, {dims}], got {pr}")
    m = dims - 1
    lo, hi = 0.0, 1.0
    for _ in range(60):  # the ratio grows monotonically with a on [0, 1]
        a = (lo + hi) / 2
        if (1 + m * a) ** 2 / (1 + m * a * a) < pr:
            lo = a
        else:
            hi = a
    return np.array([1.0] + [(lo + hi) / 2] * m)


def structureless_scores(pr: float, n: int, k: int = 5, seed: int = 0, dims: int = 4) -> tuple[float, float]:
    """Silhouette and Calinski-Harabasz *per row* of K-Means on one structureless Gaussian.

    Chapter: Results
    """
    rng = np.random.default_rng([seed, 13, int(round(pr * 1000)), n])
    Z = rng.standard_normal((n, dims)) * np.sqrt(spectrum(pr, dims))
    s = internal_scores(Z, kmeans(Z, k, seed).labels_, seed)
    return s["silhouette"], s["calinski_harabasz"] / n


@dataclass(frozen=True)
class NullBand:
    """Scores of structureless data per effective dimensionality (mean, min and max over seeds).

    Chapter: Results
    """

    effective_dims: np.ndarray
    silhouette: np.ndarray        # shape (len(effective_dims), n_seeds)
    ch_per_row: np.ndarray
    n: int
    k: int

    def band(self, metric: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(mean, min, max) over seeds of ``"silhouette"`` or ``"ch_per_row"``."""
        v = getattr(self, metric)
        return v.mean(axis=1), v.min(axis=1), v.max(axis=1)


#: The most rows a structureless comparison draws (its K-Means and silhouettes cost O(n^2) at build time).
NULL_MAX_ROWS = 2000


def null_rows(n_samples: int, cap: int = NULL_MAX_ROWS) -> int:
    """Rows to draw for structureless data compared with a corpus of ``n_samples`` rows: as many, at most ``cap``.

    Chapter: Results
    """
    return int(min(int(n_samples), int(cap)))


def null_band(effective_dims: Sequence[float], n: int, k: int = 5, seeds: Sequence[int] = (0, 1, 2),
              dims: int = 4) -> NullBand:
    """Structureless scores over a grid of effective dimensionalities.

    Chapter: Results
    """
    grid = np.asarray(effective_dims, dtype=float)
    scores = np.array([[structureless_scores(p, n, k, s, dims) for s in seeds] for p in grid])
    return NullBand(grid, scores[:, :, 0], scores[:, :, 1], int(n), int(k))


@dataclass(frozen=True)
class DimensionAnswer:
    """The effective dimensionality at which structureless data reaches ``target`` (None: not in range).

    Chapter: Results
    """

    metric: str
    target: float
    effective_dims: float | None
    n: int


def _crossing(grid: np.ndarray, values: np.ndarray, target: float) -> float | None:
    """Linear interpolation of the first crossing of ``target`` (values fall as dimensionality grows)."""
    for i in range(len(grid) - 1):
        a, b = values[i], values[i + 1]
        if (a - target) * (b - target) <= 0 and a != b:
            return float(grid[i] + (target - a) / (b - a) * (grid[i + 1] - grid[i]))
    return None


def matching_dimensionality(targets: dict[str, tuple[str, float]], n: int, k: int = 5,
                            grid: Sequence[float] = (1.0, 1.05, 1.1, 1.2, 1.35, 1.6, 2.0, 3.0),
                            seeds: Sequence[int] = (0, 1)) -> dict[str, DimensionAnswer]:
    """For each named target ``(metric, value)`` (metric ``"silhouette"`` or ``"calinski_harabasz"``,
    the latter total, as printed), the effective dimensionality of structureless data that scores it.

    Chapter: Results

    Returns the answers by name; ``effective_dims`` is interpolated linearly between grid points
    (mean over ``seeds``), None when the target lies outside what the grid scores.
    """
    band = null_band(grid, n, k, seeds)
    sil, ch = band.band("silhouette")[0], band.band("ch_per_row")[0] * n
    out = {}
    for name, (metric, value) in targets.items():
        values = sil if metric == "silhouette" else ch
        out[name] = DimensionAnswer(metric, float(value), _crossing(band.effective_dims, values, value), int(n))
    return out


def paper_answer(grid: Sequence[float] = (1.0, 1.05, 1.1, 1.2, 1.35, 1.6, 2.0, 3.0),
                 seeds: Sequence[int] = (0, 1)) -> dict[str, DimensionAnswer]:
    """At the paper's n and k, the effective dimensionality at which structureless data scores each of
    its Table-1 numbers (:func:`matching_dimensionality` of :func:`paper_targets`).

    Chapter: Results
    """
    from ..paper import PAPER_K, PAPER_ROWS

    return matching_dimensionality(paper_targets(), PAPER_ROWS, PAPER_K, grid, seeds)


def paper_targets() -> dict[str, tuple[str, float]]:
    """The paper's four Table-1 numbers as targets for :func:`matching_dimensionality`.

    Chapter: Results
    """
    from ..paper import PAPER_TABLE1

    return {f"{m}_{metric}": (metric, v) for m, row in PAPER_TABLE1.items() for metric, v in row.items()}


@dataclass(frozen=True)
class EmbeddingPoint:
    """One embedding of an evaluation: its effective dimensionality and own-space scores at ``params.k``.

    Chapter: Results

    ``ch_per_row`` is None where the evaluation did not record a Calinski-Harabasz (sweep settings).
    """

    label: str
    method: str            # "vae" or "pca"
    loss_reduction: str | None
    beta: float | None
    effective_dims: float
    silhouette: float
    ch_per_row: float | None
    is_default: bool


def embedding_points(result) -> list[EmbeddingPoint]:
    """PCA, this build's VAE and every VAE setting of the loss x beta sweep of an evaluation.

    Chapter: Results
    """
    n = result.data.n_samples
    out = []
    for m in ("vae", "pca"):
        blk, health = result.block(m).segment, result.method(m).health
        out.append(EmbeddingPoint("PCA" if m == "pca" else "VAE (this setting)", m, None, None,
                                  health.effective_dims.mean, blk["silhouette_own"].mean,
                                  blk["calinski_harabasz_own"].mean / n, m == "vae"))
    for e in result.sweep:
        if e.is_default or "effective_dims" not in e.metrics:
            continue
        out.append(EmbeddingPoint(f"VAE, {e.loss_reduction}, β = {e.beta:g}", "vae", e.loss_reduction, e.beta,
                                  e.metrics["effective_dims"].mean, e.metrics["silhouette_own"].mean, None, False))
    return out


def most_collapsed(result):
    """The sweep setting with the fewest active latent units (ties: the highest effective KL weight),
    or None without a sweep.

    Chapter: Evaluation
    """
    settings = [e for e in result.sweep if "active_units" in e.metrics]
    if not settings:
        return None
    return min(settings, key=lambda e: (e.metrics["active_units"].mean, -e.effective_beta))
