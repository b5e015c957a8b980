"""The choices ``musiccluster cluster`` offers, shared by the command's parser and the library.

Command: ``musiccluster cluster``. This module imports nothing heavy, so that building the
command line parser stays fast (:mod:`musiccluster.commands.cluster` reads it).
"""

from __future__ import annotations

#: Embeddings ``method`` can name: the paper's VAE, PCA, or the raw z-scored features.
METHODS: tuple[str, ...] = ("vae", "pca", "raw")
#: Segment length (seconds) of ``musiccluster cluster`` when ``--segment-seconds`` is not given: the
#: paper's segment length on GTZAN (30-s clips / 10), so tracks of any length give features on the
#: time scale of a model trained on GTZAN's segments. (The library and the book default to the
#: paper protocol, equal division: ``Params.segment_seconds = None``.)
CLUSTER_SEGMENT_SECONDS: float = 3.0
#: Range of k tried when k is not given (inclusive).
DEFAULT_K_RANGE: tuple[int, int] = (2, 12)
