"""Structureless data with the real data's statistics: the score a method gets for free.

Chapter *Evaluation*.

* :func:`gaussian_null`: i.i.d. rows from one Gaussian with the data's mean and covariance;
* :func:`clip_null`: the same, keeping the clips: every clip gets one Gaussian centre and its
  segments scatter around it, so groups of near-duplicate segments exist but there are no
  clusters beyond the clips.
"""

from __future__ import annotations

import numpy as np

from ..groups import group_codes, group_means
from ..seeds import rng as stream


def gaussian_null(X: np.ndarray, n: int | None = None, seed: int = 0) -> np.ndarray:
    """Draw ``n`` rows from one Gaussian with the mean and covariance of ``X``.

    Chapter: Evaluation

    Data with no cluster structure at all, but the same first two moments
    (scale, correlations) as the real features: every score a pipeline earns
    on it is earned without clusters.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The real (raw or standardised) features.
    n : int, optional
        Rows to draw (default: as many as ``X`` has).
    seed : int
        Seeds the draw (the stream ``"gaussian_null"`` of :mod:`musiccluster.seeds`, so the draw
        is independent of anything else seeded with ``seed``).

    Returns
    -------
    ndarray of shape (n, n_features)
    """
    X = np.asarray(X, dtype=np.float64)
    n = X.shape[0] if n is None else int(n)
    rng = stream(seed, "gaussian_null")
    cov = np.atleast_2d(np.cov(X, rowvar=False))
    # eigh tolerates the singular covariances of tables with fewer rows than features.
    return rng.multivariate_normal(X.mean(axis=0), cov, size=n, method="eigh")


def clip_null(X: np.ndarray, groups: np.ndarray, seed: int = 0) -> np.ndarray:
    """Structureless data that keeps the clip structure of ``X``: clips, but no clusters of clips.

    Chapter: Evaluation

    Every clip gets one centre drawn from a Gaussian with the mean and
    covariance of the real clip means; its segments are that centre plus
    Gaussian deviations with the pooled within-clip covariance of the real
    data, centred within the clip (so the clip's mean is exactly its centre,
    and the pooled within-clip covariance of the draw estimates the real one
    without bias). The draw thus has groups of near-duplicate segments, as a
    segmented corpus does, and nothing else: the silhouette it earns is what
    the clips alone are worth.

    When every clip has a single row (a clip-level table) there is no
    within-clip scatter, and the draw is exactly :func:`gaussian_null` with
    the same seed.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The real (raw or standardised) features.
    groups : array of shape (n_samples,)
        Clip id of every row; the draw's rows belong to the same clips.
    seed : int
        Seeds the draw (the stream ``"clip_null"`` of :mod:`musiccluster.seeds`).

    Returns
    -------
    ndarray of shape (n_samples, n_features)
    """
    X = np.asarray(X, dtype=np.float64)
    codes, uniques = group_codes(groups)
    if len(codes) != len(X):
        raise ValueError(f"groups has {len(codes)} entries for {len(X)} rows")
    n_clips = len(uniques)
    counts = np.bincount(codes, minlength=n_clips).astype(np.float64)
    if counts.max() <= 1:
        return gaussian_null(X, seed=seed)
    n, d = X.shape
    means = group_means(X, codes, n_clips)
    resid = X - means[codes]
    within = resid.T @ resid / max(n - n_clips, 1)
    between = np.atleast_2d(np.cov(means, rowvar=False)) if n_clips > 1 else np.zeros((d, d))
    rng = stream(seed, "clip_null")
    centres = rng.multivariate_normal(means.mean(axis=0), between, size=n_clips, method="eigh")
    dev = rng.multivariate_normal(np.zeros(d), within, size=n, method="eigh")
    dev -= group_means(dev, codes, n_clips)[codes]
    return centres[codes] + dev
