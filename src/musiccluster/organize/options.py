"""The choices ``musiccluster cluster`` offers, shared by the command's parser and the library.

Command: ``musiccluster cluster``. This module imports nothing heavy, so that building the
command line parser stays fast (:mod:`musiccluster.commands.cluster` reads it).
"""

from __future__ import annotations

#: What ``method`` can name: the paper's VAE, PCA, or the raw z-scored features (segment embeddings
#: clustered by K-Means), or a similarity between whole tracks clustered spectrally: the
#: single-Gaussian timbre model, or musly (:mod:`.similar`).
METHODS: tuple[str, ...] = ("vae", "pca", "raw", "timbre", "musly")
#: Segment length (seconds) of ``musiccluster cluster`` when ``--segment-seconds`` is not given: the
#: paper's segment length on GTZAN (30-s clips / 10), so tracks of any length give features on the
#: time scale of a model trained on GTZAN's segments. (The library and the book default to the
#: paper protocol, equal division: ``Params.segment_seconds = None``.)
CLUSTER_SEGMENT_SECONDS: float = 3.0
#: Range of k tried when k is not given (inclusive).
DEFAULT_K_RANGE: tuple[int, int] = (2, 12)

#: The method ``musiccluster cluster`` uses when ``--method`` is not given: the one that measures best
#: in ``benchmarks/similarity.md`` (P@5 of the style among a track's 5 nearest tracks, default
#: stand-in corpus), our single-Gaussian timbre model, ahead of musly.
DEFAULT_METHOD = "timbre"
#: Each method's figures in ``benchmarks/similarity.json`` (default stand-in corpus, 200 clips, 10
#: styles): benchmark row, P@5 [95 % clip-bootstrap interval], ARI of clustering into k = 10.
#: ``tests/test_similarity_default.py`` checks them against the committed record.
BENCHMARK: dict[str, dict] = {
    "timbre": {"row": "timbre-js-mp", "p5": 0.474, "p5_interval": [0.434, 0.512], "ari_k10": 0.231},
    "musly": {"row": "musly", "p5": 0.417, "p5_interval": [0.378, 0.457], "ari_k10": 0.234},
    "raw": {"row": "stats26", "p5": 0.370, "p5_interval": [0.328, 0.412], "ari_k10": 0.156},
    "vae": {"row": "vae", "p5": 0.303, "p5_interval": [0.260, 0.349], "ari_k10": 0.161},
    "pca": {"row": "pca", "p5": 0.291, "p5_interval": [0.248, 0.331], "ari_k10": 0.142},
}


def benchmark_line(method: str) -> str:
    """``P@5 0.474 [0.434, 0.512], ARI 0.231 at k = 10`` of one method (its benchmark figure)."""
    b = BENCHMARK[method]
    return (f"P@5 {b['p5']:.3f} [{b['p5_interval'][0]:.3f}, {b['p5_interval'][1]:.3f}], "
            f"ARI {b['ari_k10']:.3f} at k = 10")
