"""What the Data chapter shows about the synthetic stand-in: its soundfont and its features beside GTZAN's.

Chapter *Data and augmentation*. The real-GTZAN side is a committed record
(``benchmarks/gtzan-30s-feature-moments.json``, per-feature means and SDs of the 1000 clips of the
Kaggle 30-s table, made by ``benchmarks/gtzan_feature_moments.py``); it is read from the project
checkout and is absent from an installed wheel.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from ..features.summary import clip_level_features, feature_moments

#: The committed record of real GTZAN's per-feature moments (in a checkout of the project).
RECORDED_MOMENTS = Path(__file__).resolve().parents[3] / "benchmarks" / "gtzan-30s-feature-moments.json"
#: What is known of the soundfont's licence (THIRD_PARTY_NOTICES.md has the sources).
SOUNDFONT_LICENCE = ("pretty_midi's copy states no author or licence; Debian packages the TimGM6mb soundfont "
                     "(a different revision) as GPL-2, by Tim Brechbill and David Bolton")


def soundfont_facts() -> dict[str, object]:
    """The stand-in's soundfont: ``file``, ``bytes``, ``mb`` (10^6 bytes), ``package`` and ``licence``.

    Chapter: Data and augmentation.
    """
    from ..synth import soundfont_path

    path = soundfont_path()
    size = path.stat().st_size
    return {"file": path.name, "bytes": int(size), "mb": size / 1e6, "package": "pretty_midi",
            "licence": SOUNDFONT_LICENCE}


def recorded_gtzan_moments(path: str | Path | None = None) -> dict | None:
    """The committed record of real GTZAN's per-feature means and SDs, or ``None`` where it is absent.

    Chapter: Data and augmentation.
    """
    path = Path(path) if path is not None else RECORDED_MOMENTS
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def stand_in_beside_gtzan(X: np.ndarray, names: list[str], clip_ids, n_mfcc: int, recorded: dict) -> pd.DataFrame:
    """Per-feature mean and SD of this corpus at clip level beside the recorded real-GTZAN ones.

    Chapter: Data and augmentation. The segments' features are turned into whole-clip features
    (:func:`~musiccluster.features.summary.clip_level_features`) so that both sides describe 30-s clips
    like the Kaggle table. Columns: ``this corpus: mean``, ``GTZAN: mean``, ``this corpus: SD``,
    ``GTZAN: SD``, ``mean shift (GTZAN SDs)`` (the difference of the means in units of GTZAN's SD) and
    ``SD ratio`` (this corpus / GTZAN); one row per feature both sides have.
    """
    ours = feature_moments(clip_level_features(X, clip_ids, n_mfcc), names)
    real = pd.DataFrame(recorded["features"]).T.reindex(ours.index)
    table = pd.DataFrame({"this corpus: mean": ours["mean"], "GTZAN: mean": real["mean"],
                          "this corpus: SD": ours["sd"], "GTZAN: SD": real["sd"]})
    table["mean shift (GTZAN SDs)"] = (table["this corpus: mean"] - table["GTZAN: mean"]) / table["GTZAN: SD"]
    table["SD ratio"] = table["this corpus: SD"] / table["GTZAN: SD"]
    return table.dropna()


def moment_agreement(table: pd.DataFrame) -> dict[str, float]:
    """How close the two sides of :func:`stand_in_beside_gtzan` are, as numbers a sentence can quote.

    Chapter: Data and augmentation. ``shift_median``, ``shift_max``: median and largest absolute mean
    shift in GTZAN SDs (scale-free, unlike a correlation of means that ``mfcc1_var`` dominates);
    ``sd_ratio_median``, ``sd_ratio_min``, ``sd_ratio_max``: the SD ratios' median and range;
    ``n_features``.
    """
    ratio = table["SD ratio"].to_numpy(dtype=float)
    shift = np.abs(table["mean shift (GTZAN SDs)"].to_numpy(dtype=float))
    return {"shift_median": float(np.median(shift)), "shift_max": float(shift.max()),
            "sd_ratio_median": float(np.median(ratio)), "sd_ratio_min": float(ratio.min()),
            "sd_ratio_max": float(ratio.max()), "n_features": int(len(table))}


def kmeans_beside_gtzan(X: np.ndarray, clip_ids, labels, n_mfcc: int, recorded=None, k: int = 10,
                        seeds: tuple[int, ...] = (0, 1, 2)) -> pd.DataFrame | None:
    """Plain K-Means on the clip-level features, ARI and NMI with the labels, beside real GTZAN's.

    Chapter: Data and augmentation. This corpus's segments become whole-clip features
    (:func:`~musiccluster.features.summary.clip_level_features`), are z-scored and clustered into
    ``k`` groups once per seed, as the evaluation's "K-Means (all features)" method does; the real-GTZAN
    column is that method at ``k`` in the recorded run on the Kaggle 30-s table
    (:func:`musiccluster.evaluation.recorded.load_recorded`; ``recorded`` None or without ``k``: no
    such column). Rows ``ARI``, ``NMI`` (means over the seeds), ``seeds`` and ``clips``; None when
    a clip has no label or there are fewer than ``k`` clips.
    """
    from ..clustering import kmeans
    from ..features.scaling import standardize
    from ..groups import group_codes
    from ..metrics.external import external_scores

    codes, ids = group_codes(clip_ids)
    first_row = np.unique(codes, return_index=True)[1]
    clip_labels = np.asarray(labels, dtype=object)[first_row]
    if len(ids) < k or any(label is None or label != label for label in clip_labels):
        return None
    Z, _ = standardize(clip_level_features(X, clip_ids, n_mfcc))
    scores = [external_scores(clip_labels, kmeans(Z, k, seed).labels_) for seed in seeds]
    table = {"this corpus": {"ARI": float(np.mean([s["ari"] for s in scores])),
                             "NMI": float(np.mean([s["nmi"] for s in scores])),
                             "seeds": len(seeds), "clips": len(ids)}}
    if recorded is not None and k in recorded.ks and "kmeans" in recorded.record["methods"]:
        table["real GTZAN (recorded run)"] = {
            "ARI": recorded.stat("kmeans", "ari", k=k).mean, "NMI": recorded.stat("kmeans", "nmi", k=k).mean,
            "seeds": len(recorded.seeds), "clips": int(recorded.record["data"]["n_clips"])}
    return pd.DataFrame(table)
