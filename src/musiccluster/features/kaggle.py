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
from ..userfiles import spreadsheet_safe, spreadsheet_unescape, write_user_file
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


#: Largest magnitude accepted in a feature column: beyond it squares overflow (±1e308 rows are skipped).
_MAX_ABS = 1e100


def _numeric(df: pd.DataFrame, names: list[str], path: Path) -> np.ndarray:
    """The feature columns as floats; DataError naming the first column and row holding text."""
    for name in names:
        values = pd.to_numeric(df[name], errors="coerce")
        bad = values.isna() & df[name].notna()
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise DataError(f"{path.name}: column {name} holds text ({str(df[name].iloc[row])[:40]!r}, "
                            f"row {row + 2}), not a number")
    return df[names].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=np.float64)


def read_kaggle_csv(path: str | os.PathLike[str], n_mfcc: int = 13) -> FeatureSet:
    """Read a Kaggle GTZAN-style feature table (``features_30_sec.csv`` / ``features_3_sec.csv``).

    Uses ``filename``, ``mfcc1_mean``/``mfcc1_var`` ... ``mfccN_mean``/``mfccN_var``
    and, where present, ``label``, ``length`` and ``clip_id``. Segment rows
    (``blues.00000.3.wav``) are grouped by clip (``blues.00000``), or by ``clip_id``
    where the table has one (:func:`write_kaggle_csv` adds it when file names alone
    would merge two clips).

    Raises
    ------
    DataError
        If the file is missing, lacks required columns, or holds text or values too large
        for the statistics in a feature column.
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
    for col in ("filename", "label", "clip_id"):  # undo write_kaggle_csv's spreadsheet escape
        if col in df.columns:
            df[col] = df[col].map(lambda v: spreadsheet_unescape(v) if isinstance(v, str) else v)
    X = _numeric(df, names, path)
    finite = np.all(np.isfinite(X), axis=1) & np.all(np.abs(X) <= _MAX_ABS, axis=1)
    parsed = [_parse_filename(str(f)) for f in df["filename"]]
    if "clip_id" in df.columns and df["clip_id"].notna().all():
        parsed = [(str(c), s) for c, (_, s) in zip(df["clip_id"], parsed)]
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
        {"path": meta.loc[~finite, "filename"], "reason": f"non-finite or out-of-range (above {_MAX_ABS:g}) feature values"},
        columns=["path", "reason"],
    )
    keep = np.flatnonzero(finite)
    if not len(keep):
        raise DataError(f"{path.name}: no row has finite feature values in range")
    return FeatureSet(X[keep], names, meta.iloc[keep].reset_index(drop=True), skipped,
                      source=f"feature table {path.name}")


def write_kaggle_csv(features: FeatureSet, path: str | os.PathLike[str]) -> Path:
    """Write a feature set in the Kaggle GTZAN table format.

    Columns: ``filename``, ``length`` (segment samples), then
    ``mfcc1_mean, mfcc1_var, mfcc2_mean, ...`` interleaved as Kaggle orders
    them, then ``label``, and ``clip_id`` only when file names alone would merge two clips
    (same-stem files of two folders or extensions). Text a spreadsheet would evaluate (``=1+1.wav``)
    is written with a leading ``'`` (:func:`~musiccluster.userfiles.spreadsheet_escape`).
    :func:`read_kaggle_csv` reads it back, names included.
    Command ``musiccluster features``.
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
    if _names_merge_clips(features.meta):
        df["clip_id"] = features.meta["clip_id"].astype(str).to_numpy()
    path.parent.mkdir(parents=True, exist_ok=True)
    # a name like "=1+1.wav" is written "'=1+1.wav" so that no spreadsheet evaluates it; read_kaggle_csv unescapes
    write_user_file(path, spreadsheet_safe(df).to_csv(index=False).encode("utf-8", "surrogateescape"))
    return path


def _names_merge_clips(meta: pd.DataFrame) -> bool:
    """True when grouping rows by their file name would join rows of different clips."""
    pairs = pd.DataFrame({"parsed": [_parse_filename(str(f))[0] for f in meta["filename"]],
                          "clip": meta["clip_id"].astype(str).to_numpy()}).drop_duplicates()
    return bool(pairs["parsed"].duplicated().any())
