"""The data of a run: ``params.data_dir`` -> a :class:`~musiccluster.features.FeatureSet`.

Chapter *Data and augmentation*. ``data_dir`` is None (the embedded stand-in corpus), a folder
of audio (GTZAN layout or any music folder) or a Kaggle-style feature table; clips named in
``params.exclude`` are left out before any audio is read.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from .data.corpus import default_corpus_clips, list_folder
from .data.exclude import ExcludeList, read_exclude_list
from .errors import DataError, ParameterError
from .features.extract import extract_features
from .features.featureset import FeatureSet
from .features.kaggle import read_kaggle_csv
from .params import Params


def describe_source(params: Params) -> str:
    """A one-line name of the corpus a parameter set points at."""
    if params.data_dir is None:
        return (f"synthetic GTZAN-shaped stand-in ({params.corpus_clips_per_style} clips per style x 10 "
                f"styles, {params.corpus_duration:g} s)")
    return str(Path(params.data_dir).expanduser())


def load_data(params: Params, *, cache_dir: str | os.PathLike[str] | None = None,
              n_jobs: int = -1, progress: bool = True, check_k: bool = True) -> FeatureSet:
    """Features for ``params.data_dir``: the default corpus, an audio folder or a feature CSV.

    Clips named in ``params.exclude`` are left out (before any audio is read) and
    listed in the skip report. ``k`` larger than the number of segments there can
    be fails here, before extraction, with a :class:`ParameterError` naming ``k``
    (unless ``check_k`` is False: ``musiccluster features`` has no ``k``).
    """
    excluded = read_exclude_list(params.exclude) if params.exclude is not None else None
    dropped: list[str] = []
    problems: list[tuple[str, str]] = []
    if params.data_dir is None:
        folder, clips = default_corpus_clips(
            params.corpus_clips_per_style, params.corpus_duration, seed=0,
            cache_dir=cache_dir, n_jobs=n_jobs, progress=progress)
        source = describe_source(params)
    else:
        path = Path(params.data_dir).expanduser()
        if path.is_file():
            if path.suffix.lower() != ".csv":
                raise ParameterError("data_dir", f"a file must be a Kaggle-style .csv feature table: {path}")
            fs = read_kaggle_csv(path, n_mfcc=params.n_mfcc)
            if excluded:
                fs = _drop_clips(fs, excluded)
            if check_k:
                _check_k(params.k, fs.n_samples, "rows in the table")
            fs.source = f"feature table {path} ({fs.n_clips} clips, {fs.n_samples} rows)"
            return fs
        listing = list_folder(path)
        clips, problems = listing.clips, listing.problems
        if not clips:
            raise DataError(f"no audio files found under {path}"
                            + (f" ({len(problems)} item(s) not searched, first: {problems[0][0]}: "
                               f"{problems[0][1]})" if problems else ""))
        source = str(path)
    if excluded:
        dropped = [str(c.path) for c in clips if c.clip_id in excluded]
        clips = [c for c in clips if c.clip_id not in excluded]
        if not clips:
            raise DataError(f"every clip is named in the exclude list {params.exclude}")
    if check_k:
        _check_k(params.k, len(clips) * params.n_segments, "segments to be made")
    fs = extract_features(clips, params.features,
                          cache_dir=cache_dir, n_jobs=n_jobs, progress=progress, source=source)
    if dropped:
        fs.skipped = _with_skipped(fs.skipped, dropped, f"excluded: named in {params.exclude}")
    for item, reason in problems:  # an unreadable sub-folder may hold tracks: name it
        fs.skipped = _with_skipped(fs.skipped, [item], reason)
    fs.source = f"{source}: {fs.n_clips} clips, {fs.n_samples} segments"
    if dropped:
        fs.source += f" ({len(dropped)} excluded by {Path(params.exclude).name})"
    return fs


def _check_k(k: int, n: int, what: str) -> None:
    if k > n:
        raise ParameterError("k", f"is {k} but there are at most {n} {what}")


def _with_skipped(skipped: pd.DataFrame, paths: list[str], reason: str) -> pd.DataFrame:
    """The skip report with ``paths`` added, all for one ``reason``."""
    extra = pd.DataFrame({"path": paths, "reason": reason})
    return pd.concat([skipped, extra], ignore_index=True) if len(skipped) else extra


def _drop_clips(fs: FeatureSet, excluded: ExcludeList) -> FeatureSet:
    """``fs`` without the rows of the excluded clips; they go to the skip report."""
    list_path = excluded.source
    keep = ~fs.meta["clip_id"].astype(str).map(lambda c: c in excluded).to_numpy(dtype=bool)
    if not keep.any():
        raise DataError(f"every clip is named in the exclude list {list_path}")
    gone = fs.meta.loc[~keep].drop_duplicates("clip_id")["clip_id"].astype(str).tolist()
    skipped = _with_skipped(fs.skipped, gone, f"excluded: named in {list_path}")
    return FeatureSet(X=fs.X[keep], feature_names=list(fs.feature_names),
                      meta=fs.meta.loc[keep].reset_index(drop=True), skipped=skipped, source=fs.source)
