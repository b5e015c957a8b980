"""The evaluation with its cache: :func:`evaluate` (chapter *Evaluation*, ``musiccluster evaluate``)."""

from __future__ import annotations

import os
import time
from typing import Any

from ..cache import atomic_pickle, load_pickle, package_fingerprint, stable_hash
from ..cache import cache_dir as _cache_dir
from ..features.featureset import FeatureSet
from ..params import Params
from .compute import compute_evaluation
from .config import EvalConfig
from .result import EvaluationResult


def evaluate(params: Params | dict | None = None, config: EvalConfig | dict | None = None, *,
             data: FeatureSet | None = None, cache: bool = True, cache_dir: str | os.PathLike[str] | None = None,
             n_jobs: int = 1, progress: bool = True, **overrides: Any) -> EvaluationResult:
    """Run (or fetch from the cache) the whole evaluation.

    Chapter: Evaluation

    Parameters
    ----------
    params : Params or dict, optional
        The experiment (default: the paper's protocol on the embedded corpus);
        keyword ``overrides`` are applied on top.
    config : EvalConfig or dict, optional
        What to measure (default: :class:`EvalConfig`).
    data : FeatureSet, optional
        The features of ``params`` when the caller has loaded them already
        (:func:`musiccluster.dataset.load_data`); else they are loaded here.
    cache : bool
        Reuse a stored result with the same parameters, configuration, data,
        library source and torch version, and store new ones.
    n_jobs : int
        joblib workers for the fits; the results do not depend on it.

    Returns
    -------
    EvaluationResult
    """
    from ..dataset import load_data

    params = Params.coerce(params, **overrides)
    if config is None:
        config = EvalConfig()
    elif isinstance(config, dict):
        config = EvalConfig(**config)
    t0 = time.perf_counter()
    if data is None:
        data = load_data(params, cache_dir=cache_dir, n_jobs=n_jobs, progress=progress)
    t_data = time.perf_counter() - t0
    import torch

    key = stable_hash({"params": params.to_dict(), "config": config.to_dict(), "data": data.identity(),
                       "code": package_fingerprint(), "torch": torch.__version__}, length=24)
    entry = _cache_dir(cache_dir) / "evaluations" / f"{key}.pkl"
    if cache:
        hit = load_pickle(entry)
        if isinstance(hit, EvaluationResult):
            hit.seconds = {**hit.seconds, "data": t_data}
            hit.from_cache = True
            return hit
    result = compute_evaluation(params, data, config, stand_in=params.data_dir is None, n_jobs=n_jobs,
                                progress=progress)
    result.seconds["data"] = t_data
    if cache:
        atomic_pickle(entry, result)
    return result
