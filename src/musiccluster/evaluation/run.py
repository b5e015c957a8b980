"""The evaluation with its cache: :func:`evaluate` (chapter *Evaluation*, ``musiccluster evaluate``)."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from ..cache import package_fingerprint, read_entry, stable_hash, warn_unwritable, write_entry
from ..cache import cache_path as _cache_path
from ..features.featureset import FeatureSet
from ..params import Params
from .bootstrap import few_clips_warning
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
    few = few_clips_warning(data.groups)
    if few is not None:
        import warnings

        warnings.warn(few, UserWarning, stacklevel=2)
    import torch

    key = stable_hash({"params": params.to_dict(), "config": config.to_dict(), "data": data.identity(),
                       "code": package_fingerprint(), "torch": torch.__version__}, length=24)
    entry = _cache_path(cache_dir) / "evaluations" / f"{key}.npz"
    if cache:
        hit = _load_result(entry, params, config)
        if hit is not None:
            hit.seconds = {**hit.seconds, "data": t_data}
            hit.from_cache = True
            return hit
    result = compute_evaluation(params, data, config, stand_in=params.data_dir is None, n_jobs=n_jobs,
                                progress=progress)
    result.seconds["data"] = t_data
    if cache:
        try:
            _store_result(entry, result)
        except (OSError, TypeError, ValueError) as exc:  # read-only folder, full disk; a record JSON cannot hold
            warn_unwritable("evaluation", entry, exc)
    return result


def _store_result(entry: Path, result: EvaluationResult) -> None:
    """Write ``result`` as JSON (the record) and arrays (the bootstrap distributions), no pickle."""
    keys = list(result.dists)
    meta = {"format": 1, "record": result.record, "seconds": result.seconds, "dist_keys": [list(k) for k in keys]}
    write_entry(entry, _plain(meta), {f"dist.{i}": np.asarray(result.dists[k], dtype=np.float64)
                                      for i, k in enumerate(keys)})


def _load_result(entry: Path, params: Params, config: EvalConfig) -> EvaluationResult | None:
    """The cached evaluation; None when absent or malformed (then it is recomputed)."""
    stored = read_entry(entry)
    if stored is None:
        return None
    meta, arrays = stored
    try:
        if meta.get("format") != 1 or not isinstance(meta["record"], dict):
            return None
        dists = {tuple(k): arrays[f"dist.{i}"] for i, k in enumerate(meta["dist_keys"])}
        if any(v.dtype.kind != "f" for v in dists.values()):
            return None
        return EvaluationResult(params=params, config=config, record=meta["record"], dists=dists,
                                seconds={str(k): float(v) for k, v in meta["seconds"].items()})
    except Exception:  # wrong keys or types: recompute, never trust
        return None


def _plain(obj: Any) -> Any:
    """``obj`` with numpy scalars and arrays as Python numbers and lists (NaN kept: the cache's JSON has it)."""
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _plain(obj.tolist())
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj
