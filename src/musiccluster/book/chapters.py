"""Tables and demonstrations that single chapters show.

:func:`table1_frame` and :func:`null_silhouettes` (chapter *Results*), :func:`skip_report_demo`
(chapter *Data and augmentation*).
"""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from ..experiment import ExperimentResult


def table1_frame(result: "ExperimentResult") -> pd.DataFrame:
    """The paper's Table 1 beside this run's, formatted as printed (silhouette 4 decimals, CH 1).

    Rows: the two methods; columns: (metric, "paper" / "this run").

    Chapter: Results.
    """
    from ..experiment import PAPER_TABLE1

    ours = result.table1()
    sil, ch = "{:.4f}".format, "{:.1f}".format
    df = pd.DataFrame({
        ("silhouette", "paper"): PAPER_TABLE1["silhouette"].map(sil),
        ("silhouette", "this run"): ours["silhouette"].map(sil),
        ("Calinski–Harabasz", "paper"): PAPER_TABLE1["calinski_harabasz"].map(ch),
        ("Calinski–Harabasz", "this run"): ours["calinski_harabasz"].map(ch),
    })
    df.columns = pd.MultiIndex.from_tuples(df.columns)
    df.index.name = None
    return df


def null_silhouettes(dims: Iterable[int], k: int = 5, n: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Silhouette and CH of K-Means on a single Gaussian blob (no clusters at all), per dimension.

    Shows that these scores depend on the space they are measured in: a
    lower-dimensional space scores higher on structureless data.

    Chapter: Results (and Evaluation).
    """
    from ..clustering import kmeans
    from ..metrics.internal import internal_scores

    rows = []
    rng = np.random.default_rng(seed)
    for d in sorted(set(int(d) for d in dims)):
        Z = rng.standard_normal((n, d))
        scores = internal_scores(Z, kmeans(Z, k, seed).labels_, seed)
        rows.append({"dimensions": d, "silhouette": scores["silhouette"],
                     "calinski_harabasz": scores["calinski_harabasz"]})
    return pd.DataFrame(rows).set_index("dimensions")


def skip_report_demo(n_segments: int = 10, min_segment_s: float = 1.0) -> tuple[pd.DataFrame, int]:
    """Run the feature extractor on a folder of deliberately bad files (chapter *Data*).

    The folder holds one good tone, and an empty, a silent, a too-short and a
    not-audio file. Returns the skip report (file name, reason) and the number
    of clips that were used.
    """
    import soundfile as sf

    from .._constants import SR
    from ..data.corpus import find_clips
    from ..features.extract import extract_features
    from ..params import FeatureParams

    seconds = max(n_segments * max(min_segment_s, 0.1), 1.0)
    t = np.arange(int((seconds + 1) * SR)) / SR
    tone = (0.3 * np.sin(2 * np.pi * 220 * t) * (1 + 0.5 * np.sin(2 * np.pi * 0.7 * t))).astype(np.float32)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "demo"
        folder.mkdir()
        sf.write(folder / "good.wav", tone, SR)
        sf.write(folder / "silent.wav", np.zeros_like(tone), SR)
        sf.write(folder / "short.wav", tone[: max(1, int(0.4 * seconds * SR))], SR)
        (folder / "empty.wav").write_bytes(b"")
        (folder / "notes.wav").write_bytes(b"these are liner notes, not audio\n" * 20)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fs = extract_features(find_clips(folder), FeatureParams(n_segments, 13, min_segment_s), cache=False,
                                  n_jobs=1, progress=False)
    report = pd.DataFrame({"file": [Path(p).name for p in fs.skipped["path"]],
                           "reason": fs.skipped["reason"].to_list()})
    return report, fs.n_clips


# ------------------------------------------------------------------ Sphinx hook


# ------------------------------------------------------------------------ reruns


