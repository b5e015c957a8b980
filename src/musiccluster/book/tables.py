"""Small tables and counts the chapters show about a fitted model and an embedding.

Chapters *The VAE* and *Experiments*: computed here (and tested) so that the chapters only format.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..models.linear import pca_embedder


def parameter_count(module) -> int:
    """Trainable parameters of a torch module (all of its parameters).

    Chapter: The VAE.
    """
    return int(sum(p.numel() for p in module.parameters()))


def layer_table(model) -> pd.DataFrame:
    """One row per leaf layer of a torch model: type, ``in → out`` and parameter count.

    Chapter: The VAE.
    """
    rows = [(name, type(m).__name__, f"{m.in_features} → {m.out_features}" if hasattr(m, "in_features") else "",
             parameter_count(m))
            for name, m in model.named_modules() if name and not list(m.children())]
    return pd.DataFrame(rows, columns=["layer", "type", "in → out", "parameters"]).set_index("layer")


def latent_table(kl_per_dimension: np.ndarray, means: np.ndarray) -> pd.DataFrame:
    """KL (nats per segment) and the variance of the posterior means, one column per latent dimension.

    Chapter: The VAE.
    """
    kl = np.asarray(kl_per_dimension, dtype=float)
    var = np.asarray(means, dtype=float).var(axis=0)
    return pd.DataFrame({"KL (nats per segment)": kl, "variance of μ": var},
                        index=pd.Index(range(1, len(kl) + 1), name="latent dimension")).T.round(3)


def pca_spectrum(X_scaled: np.ndarray, kept: np.ndarray, seed: int = 0) -> dict[str, object]:
    """PCA's full explained-variance spectrum and the shares the kept components hold.

    Chapter: Experiments. Returns ``full`` (every component's share), ``kept_share`` (sum of ``kept``)
    and ``first_share`` (the first component's).
    """
    X_scaled = np.asarray(X_scaled, dtype=float)
    full = pca_embedder(min(X_scaled.shape), seed).fit(X_scaled).explained_variance_ratio_
    kept = np.asarray(kept, dtype=float)
    return {"full": full, "kept_share": float(kept.sum()), "first_share": float(kept[0])}
