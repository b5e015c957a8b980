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

from typing import Callable

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator, TransformerMixin
from torch import nn

from .training import check_training_data, train_minibatches


class LinearAE(nn.Module):
    """The VAE's encoder and decoder without the variational part.

    ``x -> Linear(n_features, hidden) -> ReLU -> Linear(hidden, latent) = z``,
    ``z -> Linear(latent, hidden) -> ReLU -> Linear(hidden, n_features)``.

    Chapter: Evaluation (the plain-autoencoder baseline).
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

    Chapter: Evaluation (the plain-autoencoder baseline).
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


