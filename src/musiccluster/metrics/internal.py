"""Internal cluster-quality metrics, as in the paper's Table 1 (chapter *Results*).

Silhouette (in [-1, 1], higher = tighter, better-separated clusters) and
Calinski-Harabasz (between- over within-cluster dispersion, unbounded). Both are
computed **in the space they are given**: the paper measured the VAE's score in
its latent space and PCA's in PCA space, which is why the evaluation chapter
also measures both in one common space.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score, silhouette_score

#: Above this many rows the silhouette is estimated on a seeded random sample.
SILHOUETTE_MAX_EXACT = 20_000


def internal_scores(Z: np.ndarray, labels: np.ndarray, seed: int = 0) -> dict[str, float]:
    """Silhouette, Calinski-Harabasz and Davies-Bouldin of ``labels`` in space ``Z``.

    Returns NaN for all three when there is only one cluster. Silhouette is
    exact up to :data:`SILHOUETTE_MAX_EXACT` rows, estimated on that many
    sampled rows beyond.

    Chapter: Results.
    """
    Z = np.asarray(Z, dtype=np.float64)
    labels = np.asarray(labels)
    if len(np.unique(labels)) < 2 or len(np.unique(labels)) >= len(labels):
        return {"silhouette": float("nan"), "calinski_harabasz": float("nan"),
                "davies_bouldin": float("nan")}
    sample = SILHOUETTE_MAX_EXACT if len(Z) > SILHOUETTE_MAX_EXACT else None
    return {
        "silhouette": float(silhouette_score(Z, labels, sample_size=sample, random_state=seed)),
        "calinski_harabasz": float(calinski_harabasz_score(Z, labels)),
        "davies_bouldin": float(davies_bouldin_score(Z, labels)),
    }
