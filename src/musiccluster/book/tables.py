"""Small tables and counts the chapters show about a fitted model and an embedding.

Chapters *The VAE* and *Experiments*: computed here (and tested) so that the chapters only format.
"""

from __future__ import annotations

import re

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


#: Labels (of a row or a column) whose numbers are integers in every table: the Calinski-Harabasz
#: index and counts. Every other number is a score, shown with three decimals.
INTEGER_QUANTITIES = ("calinski", "ch ", "ch)", "(ch", "count", "clips", "segments", "units", "parameters",
                      "rows", "tracks", "size", "unanimous (shuffled)")


def _is_integer_quantity(*labels) -> bool:
    text = " ".join(str(x) for x in labels).lower() + " "
    return any(word in text for word in INTEGER_QUANTITIES)


_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def _format_cell(value, integer: bool, decimals: int) -> str:
    if isinstance(value, (bool, np.bool_)):
        return str(value)
    if isinstance(value, (int, np.integer)):
        return f"{int(value):d}"
    if isinstance(value, (float, np.floating)):
        if not np.isfinite(value):
            return "–" if np.isnan(value) else str(value)
        return f"{round(float(value)):d}" if integer else f"{float(value):.{decimals}f}"
    if integer and isinstance(value, str) and re.fullmatch(r"\s*-?[\d.]+ \[-?[\d.]+,\s-?[\d.]+\]\s*", value):
        return _NUMBER.sub(lambda m: f"{round(float(m.group(0))):d}", value)  # an interval of a CH or count
    return "" if value is None else str(value)


def _flat(label) -> str:
    return " · ".join(str(x) for x in label) if isinstance(label, tuple) else str(label)


def tidy(table: pd.DataFrame, corner: str | None = None, decimals: int = 3) -> pd.DataFrame:
    """A table ready to show: one number format per quantity and no empty header row.

    Chapters: every chapter that shows a table (*Data and augmentation*, *Results*, *Evaluation*).
    Numbers become text: scores with ``decimals`` decimals, the Calinski-Harabasz index and counts
    (a row or column label naming one of :data:`INTEGER_QUANTITIES`) and integers as integers;
    text cells (intervals such as ``0.215 [0.205, 0.227]``, already formatted by the library) are kept.
    A row MultiIndex is flattened to one label (``"sum · 0.3"``) and the index's name moves into the
    header's corner (``corner`` overrides it), where pandas would give it a header row of its own.
    """
    names = [n for n in table.index.names if n is not None]
    out = pd.DataFrame(
        [[_format_cell(v, _is_integer_quantity(r, c), decimals) for c, v in zip(table.columns, row)]
         for r, row in zip(table.index, table.itertuples(index=False, name=None))],
        index=pd.Index([_flat(r) for r in table.index]),
        columns=pd.Index([_flat(c) for c in table.columns]))
    out.columns.name = corner if corner is not None else (" · ".join(map(str, names)) or None)
    return out


def split_columns(table: pd.DataFrame, max_columns: int = 5) -> list[pd.DataFrame]:
    """A wide table as several tables of at most ``max_columns`` columns each (the index repeated),
    so that each fits the book's column at 1280 px. Chapter: *Evaluation* (Table E5).
    """
    n = max(1, int(max_columns))
    parts = [table.iloc[:, i:i + n] for i in range(0, table.shape[1], n)] or [table]
    return [part.copy() for part in parts]
