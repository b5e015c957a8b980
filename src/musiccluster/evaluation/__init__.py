"""An honest evaluation of the paper's claim (chapter *Evaluation*, ``musiccluster evaluate``).

Table 1 compares a silhouette measured in the VAE's latent space with one measured in PCA's space;
this package measures what that comparison leaves out: agreement with the labels, one common
space, null calibration, the VAE's health, stability over seeds with clip-bootstrap intervals,
segment coherence, a k sweep and stronger simple baselines. One concept per module:

``config``    methods, metrics, :class:`EvalConfig` (light: no numpy)
``nulls``     structureless data with the real data's statistics
``bootstrap`` clip resampling, bias-corrected intervals, weighted metrics
``fits``      the seeded fits, run as independent tasks
``clips``     majority vote, clip means, clip-level scores
``aggregate`` per-seed values to the record's statistics
``compute``   :func:`compute_evaluation`: fits, bootstrap, record
``views``     typed views of the record (``Stat``, ``KBlock``, ``MethodResult``, ...)
``result``    :class:`EvaluationResult`
``tables``    the result's tables
``findings``  :class:`Findings`: what the numbers say, as data
``sentences`` the findings in short sentences, for the JSON record
``run``       :func:`evaluate`, with its cache

The names below are imported on first use, so importing the package (or ``config``) stays light.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "config": ("METHODS", "EMBEDDERS", "K_SWEEP_METHODS", "K_SWEEP_METRICS", "SWEEP_METRICS", "PAPER_TOLERANCE",
               "EvalConfig", "effective_beta"),
    "nulls": ("gaussian_null", "clip_null"),
    "bootstrap": ("resample_clips", "clip_bootstrap_weights", "weighted_calinski_harabasz"),
    "clips": ("majority_vote", "clip_features", "clip_internal_scores"),
    "compute": ("compute_evaluation", "corpus_kind"),
    "result": ("EvaluationResult",),
    "views": ("Stat", "KBlock", "MethodResult", "Health", "SweepSetting", "KSweepPoint", "DataSummary"),
    "findings": ("Findings",),
    "run": ("evaluate",),
}
_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}
__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
