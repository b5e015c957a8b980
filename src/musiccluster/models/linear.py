"""The linear embedding: PCA to the latent size (the paper's baseline), chapter *Experiments*."""

from __future__ import annotations

from sklearn.decomposition import PCA


def pca_embedder(n_components: int = 4, seed: int = 0) -> PCA:
    """PCA with a deterministic full SVD (the paper's baseline).

    Chapter: Experiments.
    """
    return PCA(n_components=n_components, svd_solver="full", random_state=seed)
