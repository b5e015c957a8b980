"""Feature sets: segments x features, with their clips, labels and skip report.

Chapter *MFCC features*. Every later stage (embeddings, clusters, metrics) reads a
:class:`FeatureSet`, whatever it was made from (audio or a feature table).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

META_COLUMNS = ["filename", "clip_id", "segment", "label", "path", "start_s", "end_s", "clip_duration_s"]


@dataclass
class FeatureSet:
    """Features of every segment, plus where each row came from.

    Attributes
    ----------
    X : ndarray of shape (n_segments_total, 2 * n_mfcc)
        Raw (unscaled) MFCC statistics, one row per segment.
    feature_names : list of str
        Column names of ``X`` (``mfcc1_mean`` ... ``mfccN_var``).
    meta : DataFrame
        One row per segment: ``filename`` (Kaggle style), ``clip_id``,
        ``segment`` index, ``label`` (None where unknown), ``path`` of the
        source file ('' when read from a table), ``start_s`` and ``end_s``
        of the segment and ``clip_duration_s`` of its clip (NaN from a table).
    skipped : DataFrame
        Columns ``path`` and ``reason``: every input that was not used.
    source : str
        Human-readable description of where the data came from.

    Chapter: MFCC features.
    """

    X: np.ndarray
    feature_names: list[str]
    meta: pd.DataFrame
    skipped: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["path", "reason"])
    )
    source: str = ""

    def __post_init__(self) -> None:
        if self.X.shape[0] != len(self.meta):
            raise ValueError("X and meta must have the same number of rows")

    @property
    def n_samples(self) -> int:
        return int(self.X.shape[0])

    @property
    def n_features(self) -> int:
        return int(self.X.shape[1])

    @property
    def n_clips(self) -> int:
        return int(self.meta["clip_id"].nunique())

    @property
    def groups(self) -> np.ndarray:
        """Clip id of every row (to keep a clip's segments together)."""
        return self.meta["clip_id"].to_numpy()

    @property
    def labels(self) -> np.ndarray | None:
        """Label of every row, or ``None`` when no row has one."""
        lab = self.meta["label"]
        if lab.isna().all():
            return None
        return lab.fillna("(none)").astype(str).to_numpy()

    def identity(self) -> str:
        """Content hash of the data (values, names and row identities)."""
        digest = hashlib.sha256()
        digest.update(np.ascontiguousarray(self.X, dtype=np.float64).tobytes())
        digest.update("|".join(self.feature_names).encode())
        digest.update("|".join(self.meta["clip_id"].astype(str)).encode())
        digest.update("|".join(self.meta["label"].fillna("").astype(str)).encode())
        return digest.hexdigest()[:16]

    def clip_table(self) -> pd.DataFrame:
        """One row per clip: ``clip_id``, ``label``, ``path``, ``n_segments``."""
        g = self.meta.groupby("clip_id", sort=False)
        return pd.DataFrame({
            "label": g["label"].first(),
            "path": g["path"].first(),
            "n_segments": g.size(),
            "duration_s": g["clip_duration_s"].first(),
        }).reset_index()

    def to_frame(self) -> pd.DataFrame:
        """Meta columns and features side by side."""
        return pd.concat(
            [self.meta.reset_index(drop=True),
             pd.DataFrame(self.X, columns=self.feature_names)], axis=1
        )
