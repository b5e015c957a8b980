"""The evaluation in one call: fits, bootstrap, and the JSON-able record (:func:`compute_evaluation`).

Chapter *Evaluation*. Three steps: the independent seeded fits (:mod:`.fits`: the real data, the
null draws, the sweep settings), one set of bootstrap replicates shared by every method (so
differences between methods get paired intervals), and the record, built block by block.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .._constants import GTZAN_GENRES
from ..cache import package_fingerprint
from ..errors import ParameterError
from ..features.featureset import FeatureSet
from ..features.scaling import standardize
from ..paper import PAPER_TABLE1
from ..params import Params
from ..seeds import rng as stream
from ..versions import versions
from .aggregate import clip_level, health_stats, summarise_runs
from .bootstrap import BootPlan, difference_stat, multiplicities
from .clips import standardized_clip_means
from .config import (
    EMBEDDERS,
    K_SWEEP_METHODS,
    K_SWEEP_METRICS,
    METHODS,
    SWEEP_METRICS,
    EvalConfig,
    effective_beta,
)
from .fits import pipeline_task, run_tasks, sweep_task
from .result import EvaluationResult

_SILHOUETTES = ("silhouette_own", "silhouette_common")


@dataclass
class _Setup:
    """What every step needs: the standardised data, labels, ks, seeds, clips and the sweep grid."""

    params: Params
    config: EvalConfig
    data: FeatureSet
    X: np.ndarray
    truth: np.ndarray | None
    label_names: list
    n_labels: int
    ks: list[int]
    k_sweep: list[int]
    seeds: list[int]
    s_k: int
    s_sw: int
    clip_codes: np.ndarray
    n_clips: int
    seg_per_clip: np.ndarray
    grid: list[tuple[str, float]]

    @property
    def default(self) -> tuple[str, float]:
        return (self.params.loss_reduction, float(self.params.beta))

    @property
    def segmented(self) -> bool:
        """Some clip has several rows (else the clip null is the i.i.d. null, and there is no clip level)."""
        return bool(self.seg_per_clip.max() > 1)

    @property
    def run_clip_null(self) -> bool:
        return bool(self.config.null and self.config.clip_null and self.segmented)


@dataclass
class _Runs:
    real: list[dict]
    null: list[dict]
    cnull: list[dict]
    sweep: list[dict]


@dataclass
class _Plans:
    seed_w: dict[int, np.ndarray]
    plan: BootPlan
    clip_plan: BootPlan
    null_plan: BootPlan
    clip_X: np.ndarray
    clip_truth: np.ndarray | None
    dists: dict[tuple, np.ndarray] = field(default_factory=dict)


def _resolve_ks(params: Params, config: EvalConfig, n_labels: int, n: int) -> list[int]:
    ks = [params.k] + (list(config.ks) if config.ks else ([n_labels] if n_labels >= 2 else []))
    ks = list(dict.fromkeys(int(k) for k in ks))
    for k in ks:
        if k > n - 1:
            raise ParameterError("k", f"is {k} but there are only {n} samples")
    return ks


def _setup(params: Params, data: FeatureSet, config: EvalConfig) -> _Setup:
    X, _ = standardize(data.X)
    n = data.n_samples
    if params.latent_dim > data.n_features:
        raise ParameterError("latent_dim", f"is {params.latent_dim} but there are only {data.n_features} features")
    truth, label_names, n_labels = None, [], 0
    if data.labels is not None:
        truth, label_names = pd.factorize(pd.Series(data.labels), sort=True)
        n_labels = len(label_names)
        if n_labels < 2:
            truth = None
    k_sweep = [k for k in config.k_sweep if k <= n - 1]
    clip_codes, clip_ids = pd.factorize(pd.Series(data.groups), sort=False)
    default = (params.loss_reduction, float(params.beta))
    grid = list(itertools.product(config.sweep_reductions, [float(b) for b in config.sweep_betas]))
    if grid and default not in grid:
        grid.append(default)
    return _Setup(params, config, data, X, truth, list(label_names), n_labels,
                  _resolve_ks(params, config, n_labels, n), k_sweep,
                  [params.seed + i for i in range(config.n_seeds)],
                  min(config.k_sweep_seeds or config.n_seeds, config.n_seeds) if k_sweep else 0,
                  min(config.sweep_seeds or config.n_seeds, config.n_seeds),
                  clip_codes, len(clip_ids), np.bincount(clip_codes), grid)


# ----------------------------------------------------------------------------- the fits
def _jobs(su: _Setup) -> list:
    """Every fit, in a fixed order: real data, i.i.d. null, clip null, sweep settings (real, then null)."""
    p, thr, methods, raw = su.params, su.config.active_threshold, su.config.method_list, su.data.X
    jobs = [(pipeline_task, (su.X, p, s, methods, su.ks, su.k_sweep if i < su.s_k else [], thr, False))
            for i, s in enumerate(su.seeds)]
    if su.config.null:
        jobs += [(pipeline_task, (raw, p, s, methods, su.ks, su.k_sweep if i < su.s_k else [], thr, True))
                 for i, s in enumerate(su.seeds)]
    if su.run_clip_null:
        jobs += [(pipeline_task, (raw, p, s, methods, su.ks, [], thr, "clip", np.asarray(su.data.groups)))
                 for s in su.seeds]
    jobs += [(sweep_task, (su.X if not is_null else raw, p, s, r, b, thr, is_null))
             for is_null in ([False, True] if su.config.null else [False])
             for r, b in su.grid if (r, b) != su.default for s in su.seeds[:su.s_sw]]
    return jobs


def _split_runs(su: _Setup, results: list) -> _Runs:
    S = len(su.seeds)
    n_pipe = S * (1 + bool(su.config.null) + su.run_clip_null)
    return _Runs(real=results[:S], null=results[S:2 * S] if su.config.null else [],
                 cnull=results[n_pipe - S:n_pipe] if su.run_clip_null else [], sweep=results[n_pipe:])


def _plans(su: _Setup) -> _Plans:
    """The bootstrap replicates, drawn in a fixed order from the ``"bootstrap"`` stream."""
    rng = stream(su.params.seed, "bootstrap")
    B, n = su.config.n_boot, su.data.n_samples
    seed_w = {s: multiplicities(s, B, rng) / s for s in sorted({su.config.n_seeds, su.s_k, su.s_sw} - {0})}
    clip_w = multiplicities(su.n_clips, B, rng)
    clip_truth = None
    if su.truth is not None:
        clip_truth = pd.Series(su.truth).groupby(su.clip_codes).first().to_numpy()
    return _Plans(seed_w, BootPlan(su.clip_codes, clip_w, seed_w), BootPlan(np.arange(su.n_clips), clip_w, seed_w),
                  BootPlan(np.arange(n), multiplicities(n, B, rng), seed_w),
                  standardized_clip_means(su.X, su.clip_codes, su.n_clips), clip_truth)


# ----------------------------------------------------------------------------- per method and k
def _minus(pl: _Plans, m: str, k: int, scope_a: str, scope_b: str, a: dict, b: dict, names, conf: float) -> dict:
    """Paired differences ``a - b`` of the named statistics (``scope_a`` vs ``scope_b`` distributions)."""
    return {name: difference_stat(pl.dists[(scope_a, m, k, name)], pl.dists[(scope_b, m, k, name)],
                                  a[name]["per_seed"], b[name]["per_seed"], conf) for name in names}


def _null_blocks(su: _Setup, runs: _Runs, pl: _Plans, m: str, k: int, blk: dict) -> None:
    """The i.i.d. null and the clip null of one method at one k, and the data minus each."""
    conf, key = su.config.confidence, (m, k)
    if not su.config.null:
        blk["null"] = blk["minus_null"] = blk["clip_null"] = blk["minus_clip_null"] = None
        return
    blk["null"], d = summarise_runs(runs.null, key, lambda r: r["X"], pl.null_plan, None, 0, conf)
    pl.dists.update({("null", m, k, name): v for name, v in d.items()})
    blk["minus_null"] = _minus(pl, m, k, "segment", "null", blk["segment"], blk["null"], _SILHOUETTES, conf)
    if su.run_clip_null:
        # the clip null keeps the clips: resampled by clip, like the real data
        blk["clip_null"], d = summarise_runs(runs.cnull, key, lambda r: r["X"], pl.plan, None, 0, conf)
        pl.dists.update({("clip_null", m, k, name): v for name, v in d.items()})
        blk["minus_clip_null"] = _minus(pl, m, k, "segment", "clip_null", blk["segment"], blk["clip_null"],
                                        _SILHOUETTES, conf)
    elif not su.segmented:  # one row per clip: the clip null is the i.i.d. null
        blk["clip_null"], blk["minus_clip_null"] = blk["null"], blk["minus_null"]
        pl.dists.update({("clip_null",) + kk[1:]: v for kk, v in list(pl.dists.items())
                         if kk[0] == "null" and kk[1:3] == (m, k)})
    else:
        blk["clip_null"] = blk["minus_clip_null"] = None


def _k_block(su: _Setup, runs: _Runs, pl: _Plans, m: str, k: int) -> dict[str, Any]:
    """Every statistic of one method at one k: segment level, nulls, clip level and coherence."""
    conf, key, X = su.config.confidence, (m, k), su.X
    blk: dict[str, Any] = {}
    blk["segment"], d = summarise_runs(runs.real, key, lambda r: X, pl.plan, su.truth, su.n_labels, conf)
    pl.dists.update({("segment", m, k, name): v for name, v in d.items()})
    _null_blocks(su, runs, pl, m, k, blk)
    if su.segmented:
        blk["clip"], blk["coherence"], blk["coherence_shuffled"], d = clip_level(
            runs.real, key, su.data.groups, pl.clip_plan, pl.clip_truth, su.n_labels, conf, pl.clip_X)
        pl.dists.update({(scope, m, k, name): v for (scope, name), v in d.items()})
    else:
        blk["clip"] = blk["coherence"] = blk["coherence_shuffled"] = None
    return blk


def _method_record(su: _Setup, runs: _Runs, pl: _Plans, m: str) -> dict[str, Any]:
    w, conf = pl.seed_w[su.config.n_seeds], su.config.confidence
    rec: dict[str, Any] = {"name": METHODS[m],
                           "space": (f"{su.params.latent_dim}-d embedding" if m in EMBEDDERS
                                     else f"{su.data.n_features}-d standardised features"),
                           "k": {}}
    rec["health"] = health_stats(runs.real, m, w, conf) if m in EMBEDDERS else None
    if su.config.null and m in EMBEDDERS:
        rec["null_health"] = health_stats(runs.null, m, w, conf)
    for k in su.ks:
        rec["k"][str(k)] = _k_block(su, runs, pl, m, k)
    return rec


def _add_minus_pca(su: _Setup, pl: _Plans, methods_rec: dict[str, Any]) -> None:
    """Every method's segment-level statistics minus PCA's, paired (None for PCA itself)."""
    for m, rec in methods_rec.items():
        for k in su.ks:
            blk = rec["k"][str(k)]
            pca = methods_rec["pca"]["k"][str(k)]["segment"]
            blk["minus_pca"] = None if m == "pca" else {
                name: difference_stat(pl.dists[("segment", m, k, name)], pl.dists[("segment", "pca", k, name)],
                                      blk["segment"][name]["per_seed"], pca[name]["per_seed"],
                                      su.config.confidence)
                for name in blk["segment"] if ("segment", "pca", k, name) in pl.dists}


# ----------------------------------------------------------------------------- the sweeps
def _sweep_entry(su: _Setup, pl: _Plans, r: str, b: float, runs: list[dict], null_runs: list[dict]) -> dict:
    conf, key, X = su.config.confidence, ("vae", su.params.k), su.X
    stats, d_real = summarise_runs(runs, key, lambda run: X, pl.plan, su.truth, su.n_labels, conf,
                                   metrics=SWEEP_METRICS, internal_ch=False)
    h = health_stats(runs, "vae", pl.seed_w[su.s_sw], conf)
    stats.update({name: h[name] for name in ("active_units", "effective_dims", "kl_total")})
    entry = {"loss_reduction": r, "beta": b, "is_default": (r, b) == su.default,
             "effective_beta": effective_beta(r, b, su.data.n_features, su.params.latent_dim,
                                              su.params.batch_size),
             "n_seeds": len(runs), "metrics": stats, "null": None, "minus_null": None}
    if su.config.null:
        entry["null"], d_null = summarise_runs(null_runs, key, lambda run: run["X"], pl.null_plan, None, 0, conf,
                                               metrics=_SILHOUETTES, internal_ch=False)
        entry["minus_null"] = {name: difference_stat(d_real[name], d_null[name], stats[name]["per_seed"],
                                                     entry["null"][name]["per_seed"], conf)
                               for name in _SILHOUETTES}
    return entry


def _sweep_record(su: _Setup, runs: _Runs, pl: _Plans) -> list[dict]:
    """The loss_reduction x beta sweep, clustered at ``params.k`` (the default setting reuses the real runs)."""
    by_setting: dict[tuple[str, float, bool], list[dict]] = {}
    for r in runs.sweep:
        by_setting.setdefault((r["reduction"], r["beta"], r["null"]), []).append(r)
    by_setting[su.default + (False,)] = runs.real[:su.s_sw]
    by_setting[su.default + (True,)] = runs.null[:su.s_sw]
    return [_sweep_entry(su, pl, r, b, by_setting[(r, b, False)], by_setting.get((r, b, True), []))
            for r, b in su.grid]


def _k_sweep_record(su: _Setup, runs: _Runs, pl: _Plans) -> list[dict]:
    conf, X, out = su.config.confidence, su.X, []
    for k in su.k_sweep:
        for m in K_SWEEP_METHODS:
            if m not in su.config.method_list:
                continue
            stats, _ = summarise_runs(runs.real[:su.s_k], (m, k), lambda r: X, pl.plan, su.truth, su.n_labels,
                                      conf, metrics=K_SWEEP_METRICS)
            out.append({"scope": "data", "method": m, "k": k, "metrics": stats})
            if su.config.null and m in EMBEDDERS:
                stats, _ = summarise_runs(runs.null[:su.s_k], (m, k), lambda r: r["X"], pl.null_plan, None, 0,
                                          conf, metrics=K_SWEEP_METRICS)
                out.append({"scope": "null", "method": m, "k": k, "metrics": stats})
    return out


# ----------------------------------------------------------------------------- the record
def corpus_kind(params: Params, labels, stand_in: bool = False) -> str:
    """What the evaluated corpus is: ``"stand-in"`` (the embedded synthetic corpus, ``data_dir`` None,
    as :func:`evaluate` loads it), ``"gtzan"`` (data from ``data_dir`` labelled with exactly GTZAN's ten
    genres) or ``"other"`` (anything else, e.g. features handed to :func:`compute_evaluation` directly).

    Chapter: Evaluation
    """
    if params.data_dir is None:
        return "stand-in" if stand_in else "other"
    if {str(x).lower() for x in labels} == set(GTZAN_GENRES):
        return "gtzan"
    return "other"


def _data_record(su: _Setup, stand_in: bool) -> dict[str, Any]:
    labels = [str(x) for x in su.label_names]
    return {"source": su.data.source, "identity": su.data.identity(), "n_samples": su.data.n_samples,
            "n_clips": su.n_clips, "n_features": su.data.n_features, "n_labels": su.n_labels, "labels": labels,
            "max_segments_per_clip": int(su.seg_per_clip.max()),
            "mean_segments_per_clip": float(su.seg_per_clip.mean()), "n_skipped": int(len(su.data.skipped)),
            "clip_null_is_null": not su.segmented, "corpus_kind": corpus_kind(su.params, labels, stand_in)}


def _definitions(su: _Setup) -> dict[str, str]:
    """What the record's words mean, for a reader of the JSON alone."""
    d, latent, conf = su.data.n_features, su.params.latent_dim, su.config.confidence
    return {
        "common_space": f"the {d} z-scored features every method starts from",
        "own_space": f"the space each method clustered: the {latent}-d embedding (VAE means, PCA "
                     f"scores, AE codes) or the {d}-d features (K-Means, GMM)",
        "null": "one Gaussian with the real features' mean and covariance, as many rows, no clusters; "
                "drawn anew for every seed and run through the same pipeline",
        "clip_null": ("the null with the clips kept: per clip one Gaussian centre with the mean and "
                      "covariance of the real clip means, its segments that centre plus Gaussian "
                      "deviations with the pooled within-clip covariance (centred within the clip); "
                      "near-duplicate segments, no clusters beyond the clips; resampled by clip"
                      if su.segmented else
                      "the null with the clips kept; every clip has one row here, so it is the i.i.d. "
                      "null itself (the same numbers)"),
        "clip_level": "a clip's cluster is the majority vote of its segments' clusters (ties: smallest id); "
                      "clip-level silhouette and Calinski-Harabasz are those of the clip clusters on the "
                      "clip means of the standardised features, z-scored again over the clips",
        "interval": f"{conf:.0%} percentile interval of {su.config.n_boot} bootstrap replicates resampling clips "
                    "(segments of a clip together) and seeds, shifted by the bootstrap bias ('bias': mean "
                    "of the replicates minus the estimate); fits are not repeated inside the bootstrap; "
                    "'ci_basis': 'seeds' marks intervals over seeds only (AMI, per-run health numbers)",
        "active_units": f"latent dimensions whose mean's variance across the data exceeds "
                        f"{su.config.active_threshold:g}",
        "effective_dims": "participation ratio of the embedding's covariance eigenvalues",
    }


def compute_evaluation(params: Params, data: FeatureSet, config: EvalConfig | None = None, *,
                       stand_in: bool = False, n_jobs: int = 1, progress: bool = True) -> EvaluationResult:
    """Run every measurement of chapter *Evaluation* on already-extracted features (no caching).

    Chapter: Evaluation

    Parameters
    ----------
    params : Params
        The experiment (the VAE and PCA settings; ``params.seed`` is the first seed).
    data : FeatureSet
    config : EvalConfig, optional
    stand_in : bool
        ``data`` is the embedded stand-in corpus of ``params`` (``data_dir`` None); :func:`evaluate`
        says so when it loaded them. Only the record's ``corpus_kind`` depends on it.
    n_jobs : int
        joblib workers for the fits (results do not depend on it).
    progress : bool
        Show a progress bar.
    """
    from .findings import paper_match_record
    from .sentences import verdict_sentences

    config = config or EvalConfig()
    t0 = time.perf_counter()
    su = _setup(params, data, config)
    runs = _split_runs(su, run_tasks(_jobs(su), n_jobs, progress))
    t1 = time.perf_counter()
    pl = _plans(su)
    methods_rec = {m: _method_record(su, runs, pl, m) for m in config.method_list}
    _add_minus_pca(su, pl, methods_rec)
    record: dict[str, Any] = {
        "data": _data_record(su, stand_in), "params": params.to_dict(), "config": config.to_dict(),
        "seeds": su.seeds, "ks": su.ks, "k_sweep_seeds": su.seeds[:su.s_k], "sweep_seeds": su.seeds[:su.s_sw],
        "definitions": _definitions(su), "methods": methods_rec,
        "sweep": _sweep_record(su, runs, pl) if su.grid else [], "k_sweep": _k_sweep_record(su, runs, pl),
        "paper": {f"{metric}_{m}": v for m, row in PAPER_TABLE1.items() for metric, v in row.items()},
        "library_fingerprint": package_fingerprint(),
        "environment": versions(),
    }
    t2 = time.perf_counter()
    result = EvaluationResult(params, config, record, pl.dists, {"fit": t1 - t0, "bootstrap": t2 - t1})
    record["paper_match"] = paper_match_record(result)
    record["verdict"] = verdict_sentences(result.findings())
    result.seconds["total"] = time.perf_counter() - t0
    return result
