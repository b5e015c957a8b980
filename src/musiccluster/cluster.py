"""Embeddings and clustering (chapter *Experiments*).

Two embeddings of the standardised features, each followed by K-Means:

* the VAE's posterior means (:class:`musiccluster.model.VAEEmbedder`);
* PCA to the same number of dimensions (:func:`pca_embedder`).
"""

from __future__ import annotations

import numpy as np
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.decomposition import PCA
from sklearn.preprocessing import StandardScaler

from .errors import ParameterError
from .threads import threadpools

#: Above this many rows :func:`kmeans` switches to MiniBatchKMeans (memory and time).
MINIBATCH_THRESHOLD = 50_000


def standardize(X: np.ndarray) -> tuple[np.ndarray, StandardScaler]:
    """z-score every feature over the data (the paper's protocol); returns (X_scaled, scaler).

    Constant features get unit scale (scikit-learn's rule) instead of a division by 0.
    """
    scaler = StandardScaler()
    return scaler.fit_transform(np.asarray(X, dtype=np.float64)), scaler


def pca_embedder(n_components: int = 4, seed: int = 0) -> PCA:
    """PCA with a deterministic full SVD (the paper's baseline)."""
    return PCA(n_components=n_components, svd_solver="full", random_state=seed)


def kmeans(Z: np.ndarray, k: int = 5, seed: int = 0, n_init: int = 10) -> KMeans | MiniBatchKMeans:
    """Fit K-Means with ``k`` clusters (10 restarts, k-means++), seeded, on one thread.

    Above :data:`MINIBATCH_THRESHOLD` rows it uses MiniBatchKMeans (bounded memory).

    Raises
    ------
    ParameterError
        If ``k`` < 2 or ``k`` exceeds the number of samples.
    """
    n = int(np.asarray(Z).shape[0])
    if k < 2:
        raise ParameterError("k", f"must be >= 2, got {k}")
    if k > n:
        raise ParameterError("k", f"is {k} but there are only {n} samples to cluster")
    if n > MINIBATCH_THRESHOLD:
        model = MiniBatchKMeans(n_clusters=k, n_init=n_init, random_state=seed, batch_size=4096)
    else:
        model = KMeans(n_clusters=k, n_init=n_init, random_state=seed)
    # One OpenMP/BLAS thread: scikit-learn's Lloyd step adds per-thread partial sums in the order
    # the threads finish, so the centres' last bits (and, rarely, a label) would depend on the core count.
    with threadpools().limit(limits=1):
        return model.fit(Z)
