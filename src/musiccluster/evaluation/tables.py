"""The evaluation's tables: one DataFrame per question, formatted ``mean [lo, hi]`` or as plain means.

Chapter *Evaluation*. Every function takes an evaluation result (a
:class:`~musiccluster.evaluation.views.RecordView`); the methods of the same names of
:class:`~musiccluster.evaluation.result.EvaluationResult` call them.
"""

from __future__ import annotations

import dataclasses
from typing import Sequence

import numpy as np
import pandas as pd

from ..metrics.external import EXTERNAL_METRICS
from .config import EMBEDDERS, METHODS, SWEEP_METRICS
from .views import RecordView, Stat


def fmt(s: Stat | str | None) -> str:
    """``mean [lo, hi]``; counts (integer per-seed values) with one decimal, or none when constant.

    Chapter: Evaluation
    """
    if not isinstance(s, Stat):
        return "" if s is None else str(s)
    mean, lo, hi = s.mean, s.lo, s.hi
    if mean is None or not np.isfinite(mean):
        return "n/a"
    per = np.asarray([v for v in s.per_seed if v is not None and np.isfinite(v)])
    if len(per) and np.all(per == np.round(per)) and np.abs(per).max() < 100:
        if np.all(per == per[0]):
            return f"{per[0]:.0f}"
        return f"{mean:.1f} [{lo:.1f},\u00a0{hi:.1f}]"
    big = max(abs(mean), abs(hi) if np.isfinite(hi) else 0) >= 100
    f = "{:.0f}" if big else "{:.3f}"
    if np.isfinite(lo) and np.isfinite(hi) and (hi - lo) > 1e-9 * max(1.0, abs(mean)):
        # a no-break space inside the interval: a narrow table cell wraps only before the "["
        return f"{f.format(mean)} [{f.format(lo)},\u00a0{f.format(hi)}]"
    return f.format(mean)


def _frame(rows: dict, formatted: bool) -> pd.DataFrame:
    if formatted:
        return pd.DataFrame({r: {c: fmt(v) for c, v in cols.items()} for r, cols in rows.items()}).T.fillna("")
    return pd.DataFrame({r: {c: (v.mean if isinstance(v, Stat) else np.nan) for c, v in cols.items()}
                         for r, cols in rows.items()}).T


def _mean_only(s: Stat) -> Stat:
    """A statistic shown without its interval (AMI's covers the seeds only)."""
    return dataclasses.replace(s, lo=float("nan"), hi=float("nan"))


def _get(result: RecordView, m: str, metric: str, k: int, scope: str) -> Stat | None:
    try:
        return result.stat(m, metric, k, scope)
    except KeyError:
        return None


def headline(result: RecordView, k: int | None = None, formatted: bool = True) -> pd.DataFrame:
    """Per method: own-space, common-space and null silhouettes, ARI, NMI, accuracy, active dims.

    Chapter: Evaluation
    """
    k = result.params.k if k is None else k
    data = result.data
    cols = [("silhouette (own space)", "segment", "silhouette_own"),
            (f"silhouette ({data.n_features}-d common)", "segment", "silhouette_common"),
            ("null silhouette (own)", "null", "silhouette_own"),
            ("null silhouette (common)", "null", "silhouette_common")]
    if not data.clip_null_is_null:
        cols += [("clip-null silhouette (own)", "clip_null", "silhouette_own"),
                 ("clip-null silhouette (common)", "clip_null", "silhouette_common")]
    if result.has_labels:
        cols += [("ARI", "segment", "ari"), ("NMI", "segment", "nmi"), ("accuracy", "segment", "accuracy")]
    cols += [("active dims", "health", "active_units")]
    rows = {METHODS[m]: {label: _get(result, m, metric, k, scope) for label, scope, metric in cols}
            for m in result.methods}
    return _frame(rows, formatted)


def external_table(result: RecordView, k: int | None = None, scope: str = "segment",
                   formatted: bool = True) -> pd.DataFrame:
    """All external metrics per method at ``k`` (scope 'segment' or 'clip').

    Chapter: Evaluation

    Formatted, AMI shows its mean alone: its chance correction is too slow
    to bootstrap, so its interval in the record covers the seeds only.
    """
    rows = {}
    for m in result.methods:
        block = result.block(m, k).scope(scope)
        if block:
            rows[METHODS[m]] = {name: block.get(name) for name in EXTERNAL_METRICS}
            if formatted and block.get("ami"):
                rows[METHODS[m]]["ami"] = _mean_only(block["ami"])
    return _frame(rows, formatted)


def internal_table(result: RecordView, k: int | None = None, formatted: bool = True) -> pd.DataFrame:
    """Silhouette and Calinski-Harabasz, own space and common space, real data, null and (on
    segmented corpora) clip null, per method.

    Chapter: Evaluation
    """
    scopes = [("segment", ""), ("null", "null ")]
    if not result.data.clip_null_is_null:
        scopes.append(("clip_null", "clip-null "))
    rows = {}
    for m in result.methods:
        blk = result.block(m, k)
        row = {}
        for scope, prefix in scopes:
            stats = blk.scope(scope)
            for metric in ("silhouette_own", "silhouette_common", "calinski_harabasz_own",
                           "calinski_harabasz_common"):
                if stats:
                    row[prefix + metric.replace("_", " ")] = stats.get(metric)
        rows[METHODS[m]] = row
    return _frame(rows, formatted)


def clip_table(result: RecordView, k: int | None = None, formatted: bool = True) -> pd.DataFrame | None:
    """Clip level (majority vote of the segments) per method: silhouette and Calinski-Harabasz on
    the standardised clip means, and the external metrics. None on clip-level tables (there the
    segment numbers are the clip numbers).

    Chapter: Evaluation
    """
    if result.data.clip_level:
        return None
    rows = {}
    for m in result.methods:
        block = result.block(m, k).clip or {}
        row = {"silhouette (clip means)": block.get("silhouette"),
               "Calinski-Harabasz (clip means)": block.get("calinski_harabasz")}
        for name in EXTERNAL_METRICS:
            if name in block:
                row[name] = _mean_only(block[name]) if formatted and name == "ami" else block[name]
        rows[METHODS[m]] = row
    return _frame(rows, formatted)


def seed_table(result: RecordView, metrics: Sequence[str] = ("silhouette_own", "silhouette_common", "ari"),
               k: int | None = None) -> pd.DataFrame:
    """Spread over seeds of single runs: mean, SD, min and max of each metric per method.

    Chapter: Evaluation
    """
    rows = {}
    for m in result.methods:
        segment = result.block(m, k).segment
        for metric in metrics:
            if metric not in segment:
                continue
            per = np.asarray(segment[metric].per_seed, dtype=float)
            rows[(METHODS[m], metric.replace("_", " "))] = {
                "mean": per.mean(), "SD over seeds": per.std(ddof=1) if len(per) > 1 else 0.0,
                "min": per.min(), "max": per.max()}
    df = pd.DataFrame(rows).T
    df.index.names = ["method", "metric"]
    return df


def coherence_table(result: RecordView, k: int | None = None, formatted: bool = True) -> pd.DataFrame | None:
    """Per method: mean majority share and unanimous clips, real and with shuffled assignments.

    Chapter: Evaluation
    """
    if result.data.clip_level:
        return None
    rows = {}
    for m in result.methods:
        blk = result.block(m, k)
        rows[METHODS[m]] = {"majority share": blk.coherence["majority_share"],
                            "unanimous clips": blk.coherence["unanimous"],
                            "majority share (shuffled)": blk.coherence_shuffled["majority_share"],
                            "unanimous (shuffled)": blk.coherence_shuffled["unanimous"]}
    return _frame(rows, formatted)


def health_table(result: RecordView, formatted: bool = True) -> pd.DataFrame:
    """Per embedding: active units, effective dimensions, KL per sorted latent dimension, reconstruction.

    Chapter: Evaluation
    """
    rows = {}
    for m in EMBEDDERS:
        h = result.method(m).health if m in result.methods else None
        if h is None:
            continue
        row = {"active units": h.active_units, "effective dims": h.effective_dims,
               "reconstruction MSE": h.recon_mse}
        for j, s in enumerate(h.latent_variance):
            row[f"var(z) #{j + 1}"] = s
        for j, s in enumerate(h.kl_per_dim):
            row[f"KL #{j + 1}"] = s
        rows[METHODS[m]] = row
    return _frame(rows, formatted)


def sweep_frame(result: RecordView) -> pd.DataFrame:
    """The loss_reduction x beta sweep, long format: one row per setting and metric.

    Chapter: Evaluation
    """
    rows = []
    for e in result.sweep:
        for scope, block in (("data", e.metrics), ("null", e.null or {})):
            for metric in SWEEP_METRICS:
                s = block.get(metric)
                if s is not None:
                    rows.append({"scope": scope, "loss_reduction": e.loss_reduction, "beta": e.beta,
                                 "effective_beta": e.effective_beta, "metric": metric,
                                 "mean": s.mean, "lo": s.lo, "hi": s.hi})
    return pd.DataFrame(rows, columns=["scope", "loss_reduction", "beta", "effective_beta", "metric", "mean",
                                       "lo", "hi"])


def k_sweep_frame(result: RecordView) -> pd.DataFrame:
    """The k sweep, long format: one row per scope (data/null), method, k and metric.

    Chapter: Evaluation
    """
    rows = [{"scope": p.scope, "method": p.method, "k": p.k, "metric": metric, "mean": s.mean, "lo": s.lo,
             "hi": s.hi} for p in result.k_sweep for metric, s in p.metrics.items()]
    return pd.DataFrame(rows, columns=["scope", "method", "k", "metric", "mean", "lo", "hi"])


def sweep_table(result: RecordView, formatted: bool = True) -> pd.DataFrame:
    """The sweep as a wide table: one row per (loss_reduction, beta).

    Chapter: Evaluation
    """
    rows = {}
    for e in result.sweep:
        row = {"effective beta": f"{e.effective_beta:g}"}
        for m in SWEEP_METRICS:
            if m in e.metrics:
                row[m.replace("_", " ")] = e.metrics[m]
            if e.null and m in e.null:
                row["null " + m.replace("_", " ")] = e.null[m]
        rows[(e.loss_reduction, e.beta)] = row
    df = _frame(rows, formatted)
    df.index = pd.MultiIndex.from_tuples(df.index, names=["loss_reduction", "beta"])
    return df
