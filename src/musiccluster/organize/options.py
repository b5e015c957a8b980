"""The choices ``musiccluster cluster`` offers, shared by the command's parser and the library.

Command: ``musiccluster cluster``. This module imports nothing heavy, so that building the
command line parser stays fast (:mod:`musiccluster.commands.cluster` reads it).
"""

from __future__ import annotations

#: Embeddings ``method`` can name: the paper's VAE, PCA, or the raw z-scored features.
METHODS: tuple[str, ...] = ("vae", "pca", "raw")
#: Range of k tried when k is not given (inclusive).
DEFAULT_K_RANGE: tuple[int, int] = (2, 12)
