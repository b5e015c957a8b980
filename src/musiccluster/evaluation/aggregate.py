"""From the fits of several seeds to the record's statistics: every metric with its interval.

Chapter *Evaluation*. For each run (one seed) and clustering, every metric is computed on the full
data and in every bootstrap replicate (:class:`~musiccluster.evaluation.bootstrap.BootPlan`); the
seeds' values are then combined into one statistic (mean, interval, SD, per-seed values) by
:func:`~musiccluster.evaluation.bootstrap.bootstrap_stat`. Segment level, health (seeds only) and
clip level (majority vote, segment coherence) live here.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd
from sklearn.metrics import calinski_harabasz_score

from ..metrics.external import EXTERNAL_METRICS, external_scores, scores_from_contingency
from ..seeds import rng as stream
from .bootstrap import BootPlan, bootstrap_stat
from .clips import majority_vote
from .fits import silhouettes

#: A metric's full-data value and its bootstrap values (None: no bootstrap, the seeds only).
Values = tuple[float, "np.ndarray | None"]


def combine_seeds(values: Mapping[Any, Sequence[Values]], seed_w: np.ndarray, confidence: float
                  ) -> tuple[dict[Any, dict], dict[Any, np.ndarray]]:
    """One statistic per metric from the runs' values; intervals over seeds only where a run had none.

    Chapter: Evaluation
    """
    stats, dists = {}, {}
    for name, vals in values.items():
        per = np.array([v[0] for v in vals])
        boot = None if any(v[1] is None for v in vals) else np.vstack([v[1] for v in vals])
        stats[name], dists[name] = bootstrap_stat(per, boot, seed_w, confidence)
        if boot is None:
            stats[name]["ci_basis"] = "seeds"
    return stats, dists


def _external_values(truth: np.ndarray, labels: np.ndarray, codes: np.ndarray, n_clusters: int,
                     n_labels: int, plan: BootPlan) -> dict[str, Values]:
    full = external_scores(truth, labels)
    boot = scores_from_contingency(plan.contingency(truth, codes, n_labels, n_clusters))
    return {m: (full[m], boot.get(m)) for m in EXTERNAL_METRICS}


def run_values(run: dict, key: tuple[str, int], X: np.ndarray, plan: BootPlan, truth: np.ndarray | None,
               n_labels: int, internal_ch: bool = True) -> dict[str, Values]:
    """Full-data value and bootstrap values of every segment-level metric of one run's clustering.

    Chapter: Evaluation
    """
    cell = run["cells"][key]
    labels = cell["labels"].astype(int)
    codes, uniques = pd.factorize(pd.Series(labels), sort=True)
    K = len(uniques)
    out: dict[str, Values] = {}
    for name in ("sil_own", "sil_common"):
        s = cell[name]
        out["silhouette_" + name[4:]] = (float(np.mean(s)), plan.mean(s))
    if internal_ch:
        Z = run["emb"].get(key[0], X)
        for space, M in (("own", Z), ("common", X)):
            if space == "common" and key[0] not in run["emb"]:
                out["calinski_harabasz_common"] = out["calinski_harabasz_own"]
                continue
            full = float(calinski_harabasz_score(M, labels)) if K >= 2 else float("nan")
            out[f"calinski_harabasz_{space}"] = (full, plan.calinski_harabasz(M, codes, K))
    if truth is not None:
        out.update(_external_values(truth, labels, codes, K, n_labels, plan))
    return out


def summarise_runs(runs: list[dict], key: tuple[str, int], X_of: Callable[[dict], np.ndarray], plan: BootPlan,
                   truth: np.ndarray | None, n_labels: int, confidence: float,
                   metrics: Sequence[str] | None = None, internal_ch: bool = True
                   ) -> tuple[dict[str, dict], dict[str, np.ndarray]]:
    """The statistics of one clustering ``key`` = (method, k) over ``runs`` (seeds), and their
    bootstrap distributions; ``X_of(run)`` is the common space of a run (the data or its null draw).

    Chapter: Evaluation
    """
    per = [run_values(r, key, X_of(r), plan, truth, n_labels, internal_ch) for r in runs]
    names = [name for name in per[0] if metrics is None or name in metrics]
    return combine_seeds({name: [p[name] for p in per] for name in names}, plan.seed_w[len(runs)], confidence)


def health_stats(runs: list[dict], method: str, seed_w: np.ndarray, confidence: float) -> dict[str, Any]:
    """An embedding's health over seeds (intervals over seeds only): active units, effective dims,
    KL, reconstruction error, and the sorted KL and variance of each latent dimension.

    Chapter: Evaluation
    """
    out: dict[str, Any] = {}
    h0 = runs[0]["health"].get(method)
    if h0 is None:
        return out
    for name in ("active_units", "effective_dims", "kl_total", "recon_mse"):
        if name in h0:
            out[name], _ = bootstrap_stat(np.array([r["health"][method][name] for r in runs]), None, seed_w,
                                          confidence)
    for name in ("kl_per_dim", "latent_variance"):
        if name in h0:
            arr = np.vstack([r["health"][method][name] for r in runs])
            out[name + "_sorted"] = [bootstrap_stat(arr[:, j], None, seed_w, confidence)[0]
                                     for j in range(arr.shape[1])]
    return out


# ----------------------------------------------------------------------------- clip level
def _coherence_values(groups: np.ndarray, labels: np.ndarray, seed: int, clip_plan: BootPlan,
                      into: dict[tuple[str, str], list]) -> None:
    """Majority share and unanimous clips of one clustering, and of its labels shuffled over all rows."""
    _, _, share = majority_vote(groups, labels)
    shuffled = stream(seed, "shuffled_coherence").permutation(labels)
    _, _, share_s = majority_vote(groups, shuffled)
    for scope, sh in (("coherence", share), ("coherence_shuffled", share_s)):
        into.setdefault((scope, "majority_share"), []).append((sh.mean(), clip_plan.mean(sh)))
        u = (sh >= 1.0 - 1e-12).astype(float)
        into.setdefault((scope, "unanimous"), []).append((u.mean(), clip_plan.mean(u)))


def _clip_values(clip_X: np.ndarray, vote: np.ndarray, clip_truth: np.ndarray | None, n_labels: int,
                 clip_plan: BootPlan) -> dict[str, Values]:
    """Silhouette and Calinski-Harabasz of the clip clusters on the clip means, and the external metrics."""
    codes, uniq = pd.factorize(pd.Series(vote), sort=True)
    K = len(uniq)
    sil = silhouettes(clip_X, vote)
    out: dict[str, Values] = {"silhouette": (float(np.mean(sil)), clip_plan.mean(sil))}
    ch_full = float(calinski_harabasz_score(clip_X, vote)) if 2 <= K < len(vote) else float("nan")
    out["calinski_harabasz"] = (ch_full, clip_plan.calinski_harabasz(clip_X, codes, K))
    if clip_truth is not None:
        out.update(_external_values(clip_truth, vote, codes, K, n_labels, clip_plan))
    return out


def clip_level(runs: list[dict], key: tuple[str, int], groups: np.ndarray, clip_plan: BootPlan,
               clip_truth: np.ndarray | None, n_labels: int, conf: float, clip_X: np.ndarray):
    """Clip-level metrics of the majority vote (internal on ``clip_X``, the standardised clip means, and
    external) and segment coherence, real and shuffled.

    Chapter: Evaluation

    Returns the ``clip``, ``coherence`` and ``coherence_shuffled`` statistics and the bootstrap
    distributions keyed ``(scope, metric)``.
    """
    values: dict[tuple[str, str], list] = {}
    clip_vals: dict[tuple[str, str], list] = {}
    for r in runs:
        labels = r["cells"][key]["labels"].astype(int)
        _coherence_values(groups, labels, r["seed"], clip_plan, values)
        _, vote, _ = majority_vote(groups, labels)
        for name, v in _clip_values(clip_X, vote, clip_truth, n_labels, clip_plan).items():
            clip_vals.setdefault(("clip", name), []).append(v)
    values.update(clip_vals)
    stats, dists = combine_seeds(values, clip_plan.seed_w[len(runs)], conf)
    out: dict[str, dict] = {"clip": {}, "coherence": {}, "coherence_shuffled": {}}
    for (scope, name), s in stats.items():
        out[scope][name] = s
    return out["clip"] or None, out["coherence"], out["coherence_shuffled"], dists
