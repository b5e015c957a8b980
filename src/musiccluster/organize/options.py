"""The choices ``musiccluster cluster`` offers, shared by the command's parser and the library.

Command: ``musiccluster cluster``. This module imports nothing heavy, so that building the
command line parser stays fast (:mod:`musiccluster.commands.cluster` reads it).
"""

from __future__ import annotations

#: What ``method`` can name: the paper's VAE, PCA, or the raw z-scored features (segment embeddings
#: clustered by K-Means), or a similarity between whole tracks clustered spectrally: the
#: single-Gaussian timbre model, or musly (:mod:`.similar`).
METHODS: tuple[str, ...] = ("vae", "pca", "raw", "timbre", "musly")
#: Range of k tried when k is not given (inclusive).
DEFAULT_K_RANGE: tuple[int, int] = (2, 12)
