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


#: Affinity kernels of :func:`affinity_from_distances`; ``linear`` is the default (see there).
KERNELS = ("linear", "exp")


def affinity_from_distances(D: np.ndarray, kernel: str = "linear") -> np.ndarray:
    """Similarities of a symmetric distance matrix for spectral clustering; the diagonal is 1.

    Chapter: Similarity. ``linear``: ``1 - D / max D`` (off-diagonal maximum); ``exp``:
    ``exp(-D / m)`` with ``m`` the median off-diagonal distance. Both are scale-free, so one rule
    serves divergences, Euclidean distances and musly's normalised distances alike. ``linear`` is
    the default because it clustered closer to the labels on both corpora of
    ``benchmarks/similarity.md`` (stand-in: Jensen-Shannon distances of the timbre model, ARI at
    k = 10 over seeds 0-4, 0.226 against 0.204; musly's distances 0.214 against 0.172; Kaggle GTZAN
    table, diagonal timbre model: 0.219 against 0.184); it was chosen on those corpora.
    """
    if kernel not in KERNELS:
        raise ParameterError("kernel", f"must be one of {', '.join(KERNELS)}, got {kernel!r}")
    D = np.asarray(D, dtype=np.float64)
    D = np.clip((D + D.T) / 2.0, 0.0, None)
    off = D[~np.eye(len(D), dtype=bool)]
    if kernel == "linear":
        top = float(off.max()) if off.size and off.max() > 0 else 1.0
        A = 1.0 - D / top
    else:
        scale = float(np.median(off)) if off.size and np.median(off) > 0 else 1.0
        A = np.exp(-D / scale)
    np.fill_diagonal(A, 1.0)
    return A


def spectral_from_distances(D: np.ndarray, k: int, seed: int = 0, kernel: str = "linear") -> np.ndarray:
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
        return model.fit_predict(affinity_from_distances(D, kernel)).astype(int)
