"""What the paper reports, typed in once ("Unsupervised Clustering of Musical Audio using Linear
Variational Autoencoders", 2026): its Table 1 and the protocol constants the rest compares with.

Chapter *Results*. Plain Python (no numpy/pandas), so anything may import it.
"""

from __future__ import annotations

#: Table 1 of the paper: silhouette, and the Calinski-Harabasz values its code printed.
PAPER_TABLE1: dict[str, dict[str, float]] = {
    "vae": {"silhouette": 0.4811, "calinski_harabasz": 8788.7},
    "pca": {"silhouette": 0.3015, "calinski_harabasz": 2200.9},
}
#: Display names of the two rows of Table 1.
TABLE1_METHODS: dict[str, str] = {"vae": "VAE + K-Means", "pca": "PCA + K-Means"}
#: Segments per clip of the paper's protocol (ten 3-second segments of each 30-second GTZAN clip).
PAPER_SEGMENTS_PER_CLIP = 10
#: Rows the paper clustered (segments of its GTZAN clips; the n of its Table 1) and its number of clusters.
PAPER_ROWS = 3994
PAPER_K = 5
