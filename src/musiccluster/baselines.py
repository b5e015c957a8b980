"""Baselines for the evaluation (chapter *Evaluation*): what the VAE must beat.

* :class:`AEEmbedder`: a plain (non-variational) autoencoder of the paper's
  size, ``26 -> 64 ReLU -> 4 -> 64 ReLU -> 26``, trained like
  :class:`musiccluster.model.VAEEmbedder` (Adam, same epochs, learning rate and
  batch size, seeded, single-threaded) on the reconstruction error alone. It
  shows what the *variational* part of the VAE adds.
* :func:`gmm_labels`: a Gaussian mixture fitted to the 26 standardised
  features (full covariances), seeded.
* :func:`gaussian_null`: structureless data with the real data's mean and
  covariance, for calibrating scores that a method gets "for free".
* :func:`clip_null`: the same, but keeping the clips: every clip gets one
  Gaussian centre and its segments scatter around it, so groups of
  near-duplicate segments exist but there are no clusters beyond the clips.

K-Means directly on the 26 standardised features needs no helper: it is
:func:`musiccluster.cluster.kmeans` on the features.
"""

from __future__ import annotations

import warnings
from typing import Callable

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator, TransformerMixin
from torch import nn

from .model import check_training_data, train_minibatches

#: Added to every GMM covariance diagonal (the features are z-scored, so 1e-3 of a unit variance);
#: keeps small clusters in 26 dimensions from producing singular covariances.
GMM_REG_COVAR = 1e-3


class LinearAE(nn.Module):
    """The VAE's encoder and decoder without the variational part.

    ``x -> Linear(n_features, hidden) -> ReLU -> Linear(hidden, latent) = z``,
    ``z -> Linear(latent, hidden) -> ReLU -> Linear(hidden, n_features)``.
    """

    def __init__(self, n_features: int = 26, hidden_dim: int = 64, latent_dim: int = 4):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(n_features, hidden_dim), nn.ReLU(),
                                     nn.Linear(hidden_dim, latent_dim))
        self.decoder = nn.Sequential(nn.Linear(latent_dim, hidden_dim), nn.ReLU(),
                                     nn.Linear(hidden_dim, n_features))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        z = self.encoder(x)
        return self.decoder(z), z


class AEEmbedder(BaseEstimator, TransformerMixin):
    """scikit-learn style plain autoencoder: ``fit`` trains, ``transform`` returns the code ``z``.

    The loss is the squared reconstruction error summed over the features and
    averaged over the batch (the reconstruction term of the VAE's ``"sum"``
    convention; Adam makes the overall scale irrelevant).

    Parameters
    ----------
    latent_dim, hidden_dim : int
        Sizes (paper: 4, 64).
    epochs : int
        Passes over the data.
    lr : float
        Adam learning rate.
    batch_size : int
        Mini-batch size.
    seed : int
        Seeds the weight initialisation and the mini-batch order.

    Attributes
    ----------
    model_ : LinearAE
    history_ : DataFrame
        Per epoch: ``loss`` and ``recon_mse`` (mean squared error per feature).

    Notes
    -----
    Deterministic on the CPU like :class:`~musiccluster.model.VAEEmbedder`:
    the initialisation is drawn under ``torch.manual_seed(seed)`` inside a
    forked RNG state (the caller's global state is untouched), the batch order
    comes from a private ``torch.Generator``, and training runs on one thread.
    """

    def __init__(self, latent_dim: int = 4, hidden_dim: int = 64, epochs: int = 20,
                 lr: float = 1e-3, batch_size: int = 64, seed: int = 0):
        self.latent_dim = latent_dim
        self.hidden_dim = hidden_dim
        self.epochs = epochs
        self.lr = lr
        self.batch_size = batch_size
        self.seed = seed

    def fit(self, X: np.ndarray, y=None, callback: Callable[[int, dict], None] | None = None) -> "AEEmbedder":
        """Train on standardised features ``X`` of shape (n_samples, n_features)."""
        def step(model, xb, gen):
            x_hat, _ = model(xb)
            loss = (x_hat - xb).pow(2).sum(dim=1).mean()
            return loss, {"recon_mse": loss.item() / xb.shape[1]}

        X = check_training_data(X)
        model, rows = train_minibatches(
            lambda: LinearAE(X.shape[1], self.hidden_dim, self.latent_dim), X, step,
            epochs=self.epochs, lr=self.lr, batch_size=self.batch_size, seed=self.seed,
            name="autoencoder", callback=callback)
        self.model_ = model
        self.history_ = pd.DataFrame(rows, columns=["epoch", "loss", "recon_mse"])
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        """The code ``z`` of every row, ``(n_samples, latent_dim)`` float64."""
        if not hasattr(self, "model_"):
            raise RuntimeError("AEEmbedder is not fitted yet; call fit first")
        with torch.no_grad():
            z = self.model_.encoder(torch.from_numpy(np.asarray(X, dtype=np.float32)))
        return z.numpy().astype(np.float64)

    def reconstruct(self, X: np.ndarray) -> np.ndarray:
        """Decoder output for every row."""
        with torch.no_grad():
            x_hat, _ = self.model_(torch.from_numpy(np.asarray(X, dtype=np.float32)))
        return x_hat.numpy().astype(np.float64)


def gmm_labels(X: np.ndarray, k: int, seed: int = 0) -> np.ndarray:
    """Hard assignments of a ``k``-component Gaussian mixture (full covariances) fitted to ``X``.

    Seeded (k-means initialisation with ``random_state=seed``), one
    initialisation, :data:`GMM_REG_COVAR` on the covariance diagonals. Falls
    back to diagonal covariances, with a warning, if the full fit fails.
    """
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.mixture import GaussianMixture

    X = np.asarray(X, dtype=np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        try:
            gm = GaussianMixture(k, covariance_type="full", reg_covar=GMM_REG_COVAR, random_state=seed,
                                 max_iter=200).fit(X)
        except ValueError as exc:  # pragma: no cover - needs a pathological table
            warnings.warn(f"full-covariance GMM failed ({exc}); using diagonal covariances", stacklevel=2)
            gm = GaussianMixture(k, covariance_type="diag", reg_covar=GMM_REG_COVAR, random_state=seed,
                                 max_iter=200).fit(X)
    return gm.predict(X).astype(int)


def gaussian_null(X: np.ndarray, n: int | None = None, seed: int = 0) -> np.ndarray:
    """Draw ``n`` rows from one Gaussian with the mean and covariance of ``X``.

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
        Seeds the draw (``numpy.random.default_rng([seed, 7])``, so the draw is
        independent of anything else seeded with ``seed``).

    Returns
    -------
    ndarray of shape (n, n_features)
    """
    X = np.asarray(X, dtype=np.float64)
    n = X.shape[0] if n is None else int(n)
    rng = np.random.default_rng([seed, 7])
    cov = np.atleast_2d(np.cov(X, rowvar=False))
    # eigh tolerates the singular covariances of tables with fewer rows than features.
    return rng.multivariate_normal(X.mean(axis=0), cov, size=n, method="eigh")


def clip_null(X: np.ndarray, groups: np.ndarray, seed: int = 0) -> np.ndarray:
    """Structureless data that keeps the clip structure of ``X``: clips, but no clusters of clips.

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
        Seeds the draw (``numpy.random.default_rng([seed, 8])``).

    Returns
    -------
    ndarray of shape (n_samples, n_features)
    """
    X = np.asarray(X, dtype=np.float64)
    codes, uniques = pd.factorize(pd.Series(np.asarray(groups)), sort=False)
    if len(codes) != len(X):
        raise ValueError(f"groups has {len(codes)} entries for {len(X)} rows")
    n_clips = len(uniques)
    counts = np.bincount(codes, minlength=n_clips).astype(np.float64)
    if counts.max() <= 1:
        return gaussian_null(X, seed=seed)
    n, d = X.shape
    means = np.zeros((n_clips, d))
    np.add.at(means, codes, X)
    means /= counts[:, None]
    resid = X - means[codes]
    within = resid.T @ resid / max(n - n_clips, 1)
    between = np.atleast_2d(np.cov(means, rowvar=False)) if n_clips > 1 else np.zeros((d, d))
    rng = np.random.default_rng([seed, 8])
    centres = rng.multivariate_normal(means.mean(axis=0), between, size=n_clips, method="eigh")
    dev = rng.multivariate_normal(np.zeros(d), within, size=n, method="eigh")
    dev_means = np.zeros((n_clips, d))
    np.add.at(dev_means, codes, dev)
    dev -= (dev_means / counts[:, None])[codes]
    return centres[codes] + dev
