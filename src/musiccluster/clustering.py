"""Embeddings and clustering (chapter *Experiments*).

Two embeddings of the standardised features, each followed by K-Means:

* the VAE's posterior means (:class:`musiccluster.model.VAEEmbedder`);
* PCA to the same number of dimensions (:func:`pca_embedder`).
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.cluster import KMeans, MiniBatchKMeans

from .errors import ParameterError
from .threads import single_threaded

#: Above this many rows :func:`kmeans` switches to MiniBatchKMeans (memory and time).
MINIBATCH_THRESHOLD = 50_000


def kmeans(Z: np.ndarray, k: int = 5, seed: int = 0, n_init: int = 10) -> KMeans | MiniBatchKMeans:
    """Fit K-Means with ``k`` clusters (10 restarts, k-means++), seeded, on one thread.

    Above :data:`MINIBATCH_THRESHOLD` rows it uses MiniBatchKMeans (bounded memory).

    Raises
    ------
    ParameterError
        If ``k`` < 2 or ``k`` exceeds the number of samples.

    Chapter: Experiments.
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
    with single_threaded():
        return model.fit(Z)


#: Added to every GMM covariance diagonal (the features are z-scored, so 1e-3 of a unit variance);
#: keeps small clusters in 26 dimensions from producing singular covariances.
GMM_REG_COVAR = 1e-3


def gmm_labels(X: np.ndarray, k: int, seed: int = 0) -> np.ndarray:
    """Hard assignments of a ``k``-component Gaussian mixture (full covariances) fitted to ``X``.

    Seeded (k-means initialisation with ``random_state=seed``), one
    initialisation, :data:`GMM_REG_COVAR` on the covariance diagonals. Falls
    back to diagonal covariances, with a warning, if the full fit fails.

    Chapter: Evaluation (the GMM baseline).
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


def affinity_from_distances(D: np.ndarray) -> np.ndarray:
    """Similarities ``exp(-D / m)`` of a symmetric distance matrix, ``m`` its median off-diagonal value.

    Chapter: Similarity. The scale-free kernel lets one rule serve divergences, Euclidean distances and
    musly's normalised distances alike; the diagonal is 1.
    """
    D = np.asarray(D, dtype=np.float64)
    D = (D + D.T) / 2.0
    off = D[~np.eye(len(D), dtype=bool)]
    scale = float(np.median(off)) if off.size and np.median(off) > 0 else 1.0
    A = np.exp(-np.clip(D, 0.0, None) / scale)
    np.fill_diagonal(A, 1.0)
    return A


def spectral_from_distances(D: np.ndarray, k: int, seed: int = 0) -> np.ndarray:
    """Cluster labels of spectral clustering on :func:`affinity_from_distances` of ``D``.

    Chapter: Similarity. For representations that come as a distance matrix between tracks (musly's
    similarity, the Gaussian timbre model's divergences): scikit-learn's
    :class:`~sklearn.cluster.SpectralClustering` with a precomputed affinity, k-means label assignment,
    seeded.
    """
    from sklearn.cluster import SpectralClustering

    n = int(np.asarray(D).shape[0])
    if k < 2:
        raise ParameterError("k", f"must be >= 2, got {k}")
    if k > n:
        raise ParameterError("k", f"is {k} but there are only {n} items to cluster")
    with single_threaded():
        model = SpectralClustering(n_clusters=k, affinity="precomputed", random_state=seed,
                                   assign_labels="kmeans", n_init=10)
        return model.fit_predict(affinity_from_distances(D)).astype(int)
