"""The single-Gaussian timbre model of a clip, and the divergences that compare two of them.

Chapter *Similarity*. As in musly's ``timbre`` method (Schnitzer and Schlüter), a whole clip is
summarised by one Gaussian over its MFCC frames: the mean vector and the full covariance matrix
(a covariance, unlike the 13 variances of the paper's features, also says which coefficients move
together). Two clips are compared by the symmetrised Kullback-Leibler divergence of their
Gaussians (closed form, :func:`symmetric_kl`) or by the Jensen-Shannon divergence with the mixture
replaced by the Gaussian of the same first two moments (:func:`gaussian_js`, musly's choice). On a
Kaggle-style table, which has per-coefficient means and variances only, the model is diagonal
(:func:`diagonal_models`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Added to a covariance diagonal, relative to its mean variance: keeps a near-singular covariance
#: (a constant or very short clip) invertible.
RIDGE = 1e-6


@dataclass(frozen=True)
class GaussianModels:
    """One Gaussian per clip: ``mean`` (n, d), ``cov`` (n, d, d). Chapter: Similarity."""

    mean: np.ndarray
    cov: np.ndarray

    def __len__(self) -> int:
        return len(self.mean)


def gaussian_model(frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and full covariance (``ddof=0``, ridged by :data:`RIDGE`) of MFCC frames ``(d, n_frames)``.

    Chapter: Similarity.
    """
    F = np.asarray(frames, dtype=np.float64)
    mu = F.mean(axis=1)
    C = np.cov(F, ddof=0)
    C = np.atleast_2d(C)
    C = C + RIDGE * max(float(np.trace(C)) / len(C), 1e-12) * np.eye(len(C))
    return mu, C


def stack_models(models: list[tuple[np.ndarray, np.ndarray]]) -> GaussianModels:
    """:class:`GaussianModels` from a list of ``(mean, cov)``."""
    return GaussianModels(np.stack([m for m, _ in models]), np.stack([c for _, c in models]))


def diagonal_models(means: np.ndarray, variances: np.ndarray) -> GaussianModels:
    """Diagonal Gaussians from per-coefficient means and variances (a Kaggle-style table's columns).

    Chapter: Similarity.
    """
    v = np.maximum(np.asarray(variances, dtype=np.float64), 1e-12)
    return GaussianModels(np.asarray(means, dtype=np.float64), np.einsum("ni,ij->nij", v, np.eye(v.shape[1])))


def kl_divergence(mu0, S0, mu1, S1) -> float:
    """KL(N(mu0, S0) || N(mu1, S1)) in nats (closed form). Chapter: Similarity."""
    mu0, mu1, S0, S1 = (np.asarray(a, dtype=np.float64) for a in (mu0, mu1, S0, S1))
    d = len(mu0)
    P1 = np.linalg.inv(S1)
    diff = mu1 - mu0
    _, ld0 = np.linalg.slogdet(S0)
    _, ld1 = np.linalg.slogdet(S1)
    return float(0.5 * (np.trace(P1 @ S0) + diff @ P1 @ diff - d + ld1 - ld0))


def symmetric_kl(models: GaussianModels) -> np.ndarray:
    """Symmetrised KL divergence ``KL(i||j) + KL(j||i)`` between every pair of Gaussians, (n, n).

    Chapter: Similarity. ``(tr(P_i S_j) + tr(P_j S_i) + (mu_i - mu_j)' (P_i + P_j) (mu_i - mu_j)) / 2 - d``
    with ``P = S^-1`` (the log-determinants cancel); zero on the diagonal.
    """
    mu, S = models.mean, models.cov
    P = np.linalg.inv(S)
    d = mu.shape[1]
    trace = np.einsum("iab,jba->ij", P, S)
    # Q[i, j] = (mu_j - mu_i)' P_i (mu_j - mu_i)
    Pmu = np.einsum("iab,ib->ia", P, mu)
    Q = np.einsum("ja,iab,jb->ij", mu, P, mu) - 2 * Pmu @ mu.T + np.einsum("ia,ia->i", Pmu, mu)[:, None]
    D = 0.5 * (trace + trace.T + Q + Q.T) - d
    np.fill_diagonal(D, 0.0)
    return np.maximum(D, 0.0)


def gaussian_js(models: GaussianModels) -> np.ndarray:
    """Jensen-Shannon divergence between every pair, the mixture replaced by its moment-matched Gaussian.

    Chapter: Similarity. ``JS(i, j) = log det S_m / 2 - (log det S_i + log det S_j) / 4`` with
    ``S_m = (S_i + S_j) / 2 + (mu_i - mu_j)(mu_i - mu_j)' / 4``, the covariance of the equal mixture
    of the two; (n, n), zero on the diagonal. This is the Gaussian-approximated JS musly's ``timbre``
    uses.
    """
    mu, S = models.mean, models.cov
    _, logdet = np.linalg.slogdet(S)
    n = len(mu)
    D = np.zeros((n, n))
    for i in range(n - 1):
        diff = mu[i + 1:] - mu[i]
        Sm = (S[i] + S[i + 1:]) / 2 + np.einsum("na,nb->nab", diff, diff) / 4
        _, ldm = np.linalg.slogdet(Sm)
        D[i, i + 1:] = ldm / 2 - (logdet[i] + logdet[i + 1:]) / 4
    D = D + D.T
    return np.maximum(D, 0.0)
