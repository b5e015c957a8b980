"""The paper's "Linear VAE" and its training (chapter *The VAE*).

Architecture (``n_features`` = 26 with 13 MFCCs)::

    encoder  x (26) -> Linear(26, 64) -> ReLU -> Linear(64, 4) = mu
                                              -> Linear(64, 4) = log sigma^2
    sample   z = mu + exp(0.5 log sigma^2) * eps,  eps ~ N(0, I)   (reparameterisation)
    decoder  z (4)  -> Linear(4, 64)  -> ReLU -> Linear(64, 26) = x_hat

Loss = reconstruction MSE + beta * KL(q(z|x) || N(0, I)). The paper does not
say how the two terms are reduced, and the choice decides how hard the KL term
pulls the latent towards the prior (posterior collapse), so it is an explicit
parameter, ``loss_reduction``:

``"sum"`` (default)
    Squared error summed over the features and KL summed over the latent
    dimensions, each averaged over the batch: the standard per-sample ELBO
    with a unit-variance Gaussian decoder (up to a factor 1/2 and constants).
``"mean"``
    Both averaged over every element (batch x features for the MSE, batch x
    latent dims for the KL). Weighs the KL 26/4 = 6.5 times more, relative to
    the reconstruction, than ``"sum"``.
``"mse_mean_kl_sum"``
    ``torch.nn.MSELoss()`` (mean over batch x features) plus KL summed over
    batch and latent dims: a frequent tutorial combination whose KL weight
    grows with the batch size and collapses most latent dimensions.

Training is seeded and deterministic on the CPU: the seed fixes the weight
initialisation, the mini-batch order and the reparameterisation noise, and
training runs single-threaded so that floating-point sums happen in one order.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator, TransformerMixin
from torch import nn

from ..params import LOSS_REDUCTIONS
from ..threads import single_threaded
from .training import check_training_data, train_minibatches


class LinearVAE(nn.Module):
    """Encoder/decoder MLP with one hidden ReLU layer each side (the paper's model).

    Chapter: The VAE.
    """

    def __init__(self, n_features: int = 26, hidden_dim: int = 64, latent_dim: int = 4):
        super().__init__()
        self.n_features, self.hidden_dim, self.latent_dim = n_features, hidden_dim, latent_dim
        self.encoder = nn.Sequential(nn.Linear(n_features, hidden_dim), nn.ReLU())
        self.fc_mu = nn.Linear(hidden_dim, latent_dim)
        self.fc_logvar = nn.Linear(hidden_dim, latent_dim)
        self.decoder = nn.Sequential(
            nn.Linear(latent_dim, hidden_dim), nn.ReLU(), nn.Linear(hidden_dim, n_features)
        )

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Posterior mean and log-variance, each ``(batch, latent_dim)``."""
        h = self.encoder(x)
        return self.fc_mu(h), self.fc_logvar(h)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)

    @staticmethod
    def reparameterize(mu: torch.Tensor, logvar: torch.Tensor,
                       generator: torch.Generator | None = None) -> torch.Tensor:
        """``z = mu + sigma * eps`` with ``eps ~ N(0, I)``: sampling made differentiable."""
        eps = torch.randn(mu.shape, generator=generator, dtype=mu.dtype)
        return mu + torch.exp(0.5 * logvar) * eps

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None):
        mu, logvar = self.encode(x)
        z = self.reparameterize(mu, logvar, generator)
        return self.decode(z), mu, logvar


def kl_divergence(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, sigma^2) || N(0, 1)) per sample and latent dimension (closed form).

    ``-0.5 * (1 + log sigma^2 - mu^2 - sigma^2)``, shape ``(batch, latent_dim)``.

    Chapter: The VAE.
    """
    return -0.5 * (1.0 + logvar - mu.pow(2) - logvar.exp())


def vae_loss(x_hat: torch.Tensor, x: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor,
             beta: float = 1.0, reduction: str = "sum") -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The training objective under a reduction convention (see the module docstring).

    Returns
    -------
    total, recon, kl : scalar tensors
        ``total = recon + beta * kl`` with both terms reduced as ``reduction`` says.

    Chapter: The VAE.
    """
    sq = (x_hat - x).pow(2)
    kl = kl_divergence(mu, logvar)
    if reduction == "sum":
        recon_t, kl_t = sq.sum(dim=1).mean(), kl.sum(dim=1).mean()
    elif reduction == "mean":
        recon_t, kl_t = sq.mean(), kl.mean()
    elif reduction == "mse_mean_kl_sum":
        recon_t, kl_t = sq.mean(), kl.sum()
    else:
        raise ValueError(f"loss_reduction must be one of {LOSS_REDUCTIONS}, got {reduction!r}")
    return recon_t + beta * kl_t, recon_t, kl_t


class VAEEmbedder(BaseEstimator, TransformerMixin):
    """scikit-learn style wrapper: ``fit`` trains the VAE, ``transform`` returns mu.

    Parameters
    ----------
    latent_dim, hidden_dim : int
        Sizes (paper: 4, 64).
    epochs : int
        Passes over the data (paper: 20).
    lr : float
        Adam learning rate (paper: 1e-3).
    batch_size : int
        Mini-batch size.
    beta : float
        KL weight.
    loss_reduction : str
        See :func:`vae_loss`.
    seed : int
        Seeds everything random in training.
    progress : bool
        Show a tqdm bar over epochs.

    Attributes
    ----------
    model_ : LinearVAE
    history_ : DataFrame
        Per epoch: ``loss`` (the optimised objective), ``recon_mse`` (mean
        squared error per feature) and ``kl`` (KL per sample, summed over the
        latent dimensions, in nats), averaged over the epoch's batches.

    Chapter: The VAE.
    """

    def __init__(self, latent_dim: int = 4, hidden_dim: int = 64, epochs: int = 20,
                 lr: float = 1e-3, batch_size: int = 64, beta: float = 1.0,
                 loss_reduction: str = "sum", seed: int = 0, progress: bool = False):
        self.latent_dim = latent_dim
        self.hidden_dim = hidden_dim
        self.epochs = epochs
        self.lr = lr
        self.batch_size = batch_size
        self.beta = beta
        self.loss_reduction = loss_reduction
        self.seed = seed
        self.progress = progress

    @classmethod
    def from_params(cls, params, progress: bool = False) -> "VAEEmbedder":
        """The VAE of a :class:`~musiccluster.params.Params` (``latent_dim``, ``hidden_dim``,
        ``epochs``, ``lr``, ``batch_size``, ``beta``, ``loss_reduction``, ``seed``), not fitted."""
        return cls(params.latent_dim, params.hidden_dim, params.epochs, params.lr, params.batch_size,
                   params.beta, params.loss_reduction, params.seed, progress=progress)

    def fit(self, X: np.ndarray, y=None, callback: Callable[[int, dict], None] | None = None):
        """Train on standardised features ``X`` (n_samples, n_features)."""
        def step(model, xb, gen):
            x_hat, mu, logvar = model(xb, gen)
            loss, _, _ = vae_loss(x_hat, xb, mu, logvar, self.beta, self.loss_reduction)
            with torch.no_grad():
                return loss, {"recon_mse": (x_hat - xb).pow(2).mean().item(),
                              "kl": kl_divergence(mu, logvar).sum(dim=1).mean().item()}

        X = check_training_data(X)
        model, rows = train_minibatches(
            lambda: LinearVAE(X.shape[1], self.hidden_dim, self.latent_dim), X, step,
            epochs=self.epochs, lr=self.lr, batch_size=self.batch_size, seed=self.seed,
            name="VAE", progress=self.progress, callback=callback)
        self.model_ = model
        self.history_ = pd.DataFrame(rows, columns=["epoch", "loss", "recon_mse", "kl"])
        self.n_features_in_ = X.shape[1]
        return self

    def _encode(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if not hasattr(self, "model_"):
            raise RuntimeError("VAEEmbedder is not fitted yet; call fit first")
        with torch.no_grad(), single_threaded():
            mu, logvar = self.model_.encode(torch.from_numpy(np.asarray(X, dtype=np.float32)))
        return mu.numpy().astype(np.float64), logvar.numpy().astype(np.float64)

    def transform(self, X: np.ndarray) -> np.ndarray:
        """Posterior means mu (the paper clusters these), ``(n_samples, latent_dim)``."""
        return self._encode(X)[0]

    def encode(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Posterior means and log-variances."""
        return self._encode(X)

    def reconstruct(self, X: np.ndarray) -> np.ndarray:
        """Decoder output at the posterior means."""
        mu = torch.from_numpy(self.transform(X).astype(np.float32))
        with torch.no_grad(), single_threaded():
            return self.model_.decode(mu).numpy().astype(np.float64)

    def kl_per_dimension(self, X: np.ndarray) -> np.ndarray:
        """Average KL (nats) of each latent dimension over ``X``: near 0 means collapsed."""
        mu, logvar = self._encode(X)
        with torch.no_grad():
            kl = kl_divergence(torch.from_numpy(mu), torch.from_numpy(logvar)).numpy()
        return kl.mean(axis=0)

    def active_units(self, X: np.ndarray, threshold: float = 0.01) -> int:
        """Latent dimensions whose mu varies across ``X`` by more than ``threshold``
        (variance; Burda et al. 2016's activity criterion)."""
        return int((self.transform(X).var(axis=0) > threshold).sum())
