"""The embeddings stage: standardised features -> a low-dimensional space to cluster in.

* :mod:`.vae`: the paper's "Linear VAE" (:class:`VAEEmbedder`);
* :mod:`.linear`: PCA to the same size (the paper's baseline);
* :mod:`.autoencoder`: a plain autoencoder of the VAE's size (what the *variational* part adds);
* :mod:`.training`: the seeded, single-threaded training loop they share.

Importing this package imports torch; the command line imports it only when a command trains.
"""

from .autoencoder import AEEmbedder, LinearAE
from .linear import pca_embedder
from .vae import LinearVAE, VAEEmbedder, kl_divergence, vae_loss

__all__ = ["AEEmbedder", "LinearAE", "LinearVAE", "VAEEmbedder", "kl_divergence", "pca_embedder", "vae_loss"]
