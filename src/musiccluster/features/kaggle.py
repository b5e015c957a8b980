"""Kaggle-style GTZAN feature tables in and out (``features_3_sec.csv``, ``features_30_sec.csv``).

Chapter *MFCC features*. ``musiccluster features --out`` writes one; ``data_dir=table.csv``
reads one.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pandas as pd

from .._constants import SR
from ..userfiles import write_user_file
from ..errors import DataError
from .featureset import META_COLUMNS, FeatureSet
from .mfcc import feature_names

_SEGMENT_NAME = re.compile(r"^(?P<clip>.+)\.(?P<seg>\d{1,3})\.(?P<ext>[A-Za-z0-9]+)$")


def _parse_filename(name: str) -> tuple[str, int]:
    """``blues.00000.3.wav`` -> ('blues.00000', 3); ``blues.00000.wav`` -> ('blues.00000', 0)."""
    m = _SEGMENT_NAME.match(name)
    if m:
        return m.group("clip"), int(m.group("seg"))
    return os.path.splitext(name)[0], 0


def read_kaggle_csv(path: str | os.PathLike[str], n_mfcc: int = 13) -> FeatureSet:
    """Read a Kaggle GTZAN-style feature table (``features_30_sec.csv`` / ``features_3_sec.csv``).

    Uses ``filename``, ``mfcc1_mean``/``mfcc1_var`` ... ``mfccN_mean``/``mfccN_var``
    and, where present, ``label`` and ``length``. Segment rows
    (``blues.00000.3.wav``) are grouped by clip (``blues.00000``).

    Raises
    ------
    DataError
        If the file is missing or lacks required columns.
    """
    path = Path(path)
    try:
        df = pd.read_csv(path)
    except FileNotFoundError:
        raise DataError(f"no such feature table: {path}") from None
    except Exception as exc:
        raise DataError(f"cannot read feature table {path}: {exc}") from None
    names = feature_names(n_mfcc)
    missing = [c for c in ["filename", *names] if c not in df.columns]
    if missing:
        raise DataError(
            f"{path.name} lacks columns {', '.join(missing[:5])}"
            + (" ..." if len(missing) > 5 else "") + f" (n_mfcc={n_mfcc})"
        )
    X = df[names].to_numpy(dtype=np.float64)
    finite = np.all(np.isfinite(X), axis=1)
    parsed = [_parse_filename(str(f)) for f in df["filename"]]
    length = df["length"].to_numpy() if "length" in df.columns else np.full(len(df), np.nan)
    labels = df["label"].astype(str).where(df["label"].notna(), None) if "label" in df.columns else [None] * len(df)
    meta = pd.DataFrame({
        "filename": df["filename"].astype(str),
        "clip_id": [c for c, _ in parsed],
        "segment": [s for _, s in parsed],
        "label": list(labels),
        "path": "",
        "start_s": [s * (n / SR) if np.isfinite(n) else np.nan for (_, s), n in zip(parsed, length)],
        "end_s": [(s + 1) * (n / SR) if np.isfinite(n) else np.nan for (_, s), n in zip(parsed, length)],
        "clip_duration_s": np.nan,  # a table does not say how long the clip was
    }, columns=META_COLUMNS)
    skipped = pd.DataFrame(
        {"path": meta.loc[~finite, "filename"], "reason": "non-finite feature values"},
        columns=["path", "reason"],
    )
    keep = np.flatnonzero(finite)
    return FeatureSet(X[keep], names, meta.iloc[keep].reset_index(drop=True), skipped,
                      source=f"feature table {path.name}")


def write_kaggle_csv(features: FeatureSet, path: str | os.PathLike[str]) -> Path:
    """Write a feature set in the Kaggle GTZAN table format.

    Columns: ``filename``, ``length`` (segment samples), then
    ``mfcc1_mean, mfcc1_var, mfcc2_mean, ...`` interleaved as Kaggle orders
    them, then ``label``. :func:`read_kaggle_csv` reads it back.
    """
    path = Path(path)
    n = features.n_features // 2
    df = pd.DataFrame({"filename": features.meta["filename"].to_numpy()})
    seconds = (features.meta["end_s"] - features.meta["start_s"]).reset_index(drop=True)
    df["length"] = (seconds * SR).round().astype("Int64")
    values = pd.DataFrame(features.X, columns=features.feature_names)
    for i in range(1, n + 1):
        df[f"mfcc{i}_mean"] = values[f"mfcc{i}_mean"].to_numpy()
        df[f"mfcc{i}_var"] = values[f"mfcc{i}_var"].to_numpy()
    df["label"] = features.meta["label"].to_numpy()
    path.parent.mkdir(parents=True, exist_ok=True)
    write_user_file(path, df.to_csv(index=False).encode("utf-8", "surrogateescape"))
    return path
