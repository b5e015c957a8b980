"""Listening to clusters: the most typical segments of each cluster (chapter *Listening*).

A segment is *typical* of its cluster when it lies close to the cluster's
K-Means centre in the space that was clustered.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._constants import SR


def typical_segments(embedding: np.ndarray, labels: np.ndarray, centers: np.ndarray, meta: pd.DataFrame,
                     n: int = 3, distinct_clips: bool = True) -> pd.DataFrame:
    """The ``n`` segments nearest each cluster centre.

    Parameters
    ----------
    embedding, labels, centers
        The clustered space, the assignments and the K-Means centres.
    meta : DataFrame
        Row metadata (``FeatureSet.meta``).
    n : int
        Segments per cluster.
    distinct_clips : bool
        At most one segment per clip (otherwise one song's near-duplicate segments fill the list).

    Returns
    -------
    DataFrame
        ``cluster``, ``rank``, ``distance`` and the metadata columns, ordered by cluster then rank.
    """
    dist = np.linalg.norm(embedding - centers[labels], axis=1)
    df = meta.reset_index(drop=True).assign(cluster=labels, distance=dist)
    out = []
    for c in sorted(np.unique(labels)):
        members = df[df["cluster"] == c].sort_values("distance")
        if distinct_clips:
            members = members.drop_duplicates("clip_id")
        out.append(members.head(n).assign(rank=np.arange(1, min(n, len(members)) + 1)))
    cols = ["cluster", "rank", "distance"] + [c for c in meta.columns]
    return pd.concat(out, ignore_index=True)[cols]


def segment_audio(row: pd.Series | dict, seconds: float = 3.0, sr: int = SR) -> np.ndarray:
    """Up to ``seconds`` of a segment's audio, read from its source file."""
    import soundfile as sf

    from .segments import load_audio

    start = float(row["start_s"])
    try:  # read only the part we need when the file allows seeking
        info = sf.info(row["path"])
        if info.samplerate == sr:
            y, _ = sf.read(row["path"], start=int(start * sr), frames=int(seconds * sr), dtype="float32",
                           always_2d=True)
            return y.mean(axis=1)
    except Exception:
        pass
    y = load_audio(row["path"], sr)
    return y[int(start * sr): int((start + seconds) * sr)]
