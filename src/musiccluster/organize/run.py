"""Organise your own music: a folder of tracks in, playlists out (``musiccluster cluster``).

Command: ``musiccluster cluster``. The paper clusters 3-second segments of GTZAN clips; this
applies the same pipeline to a user's library and turns the segment clusters into one playlist
per cluster:

1. **scan** the folder (:mod:`.scan`: never write inside it; one walk lists the audio and every
   item ignored, with the reason);
2. **features**: 13 MFCC means + variances for each of ``n_segments`` segments per track, with
   the cached, parallel extractor, on local cores or on a Dask cluster (:mod:`.features`);
3. **embed** the z-scored features: the paper's VAE (posterior means), PCA, or the raw 26
   z-scores (``method="vae" | "pca" | "raw"``; :mod:`.model`);
4. **cluster** the segment embeddings with K-Means; ``k`` is given, or chosen by
   :func:`~.choose_k.choose_k`;
5. **assign every track** by :func:`~.assign.assign_tracks` (the rule is stated in
   :data:`~.assign.ASSIGNMENT_RULE`); clusters are numbered 1..k from the largest;
6. **write** ``assignments.csv``, ``playlists/cluster-NN.m3u8``, ``map.png``, ``skipped.csv``,
   ``summary.json`` (:mod:`.outputs`) and the reusable model ``model/`` (:mod:`.model`).

It is resumable (each finished track's features are cached, by default in the user cache folder,
so reruns with another ``k``, ``method`` or output folder, and ``--assign`` of tracks seen before,
reuse them; files that could not be used are not cached, so they are retried and reported on every
run). Memory and time at scale, and what Dask workers need: ``benchmarks/README.md``.
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from .._constants import SR
from ..data.corpus import FolderListing
from ..errors import DataError, ParameterError
from ..params import Params
from ..threads import single_threaded
from .assign import assign_tracks, map_projection, order_by_size, track_codes
from .choose_k import K_CRITERION, choose_k
from .features import extract_library_features
from .model import LibraryModel, auto_batch_size, feature_version, fit_embedding
from .options import DEFAULT_K_RANGE, METHODS
from .outdir import claim_output, written_files
from .outputs import run_summary, skipped_frame, tracks_frame, write_outputs, write_skipped
from .scan import inside, prepare
from .similar import ASSIGN_REFUSAL, MARKER as SIMILARITY_MARKER, SIMILARITY_METHODS, organize_by_similarity


@dataclass
class LibraryResult:
    """What :func:`organize_library` / :func:`assign_library` produced (command: ``musiccluster cluster``).

    Attributes
    ----------
    tracks : DataFrame
        One row per used track: ``path``, ``cluster`` (1..k), ``confidence``,
        ``distance``, ``rank`` (1 = most typical of its cluster),
        ``duration_s``, ``n_segments``, ``label``, map coordinates ``x``/``y``.
    skipped : DataFrame
        ``path``, ``kind`` (``failed`` audio or ``ignored`` file), ``reason``.
    summary : dict
        What ``summary.json`` holds.
    model : LibraryModel
    out_dir : Path
    files : dict name -> Path
    """

    tracks: pd.DataFrame
    skipped: pd.DataFrame
    summary: dict[str, Any]
    model: LibraryModel
    out_dir: Path
    files: dict[str, Path] = field(default_factory=dict)


def _log(progress: bool) -> Callable[[str], None]:
    def log(message: str) -> None:
        if progress:
            print(f"musiccluster: {message}", file=sys.stderr, flush=True)
    return log


def _resolve_params(params: Params | dict | None, overrides: dict[str, Any]) -> Params:
    return Params.coerce(params, **{k: v for k, v in overrides.items() if v is not None})


def _check_train_args(k, k_range, method) -> None:
    if method not in METHODS:
        raise ParameterError("method", f"must be one of {', '.join(METHODS)}; got {method!r}")
    if k is not None and (isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 2):
        raise ParameterError("k", f"must be an integer >= 2, got {k!r}")
    lo, hi = k_range
    if not (isinstance(lo, int) and isinstance(hi, int) and 2 <= lo <= hi):
        raise ParameterError("k_range", f"must be two integers 2 <= min <= max, got {k_range!r}")


def _features(listing: FolderListing, params: Params, out: Path, cache: bool, cache_root, n_jobs,
              scheduler, progress):
    """Extract; on total failure still write skipped.csv before raising."""
    from ..features.extract import NoUsableClips

    try:
        return extract_library_features(listing.clips, params, cache=cache, cache_dir=cache_root,
                                        n_jobs=n_jobs, scheduler=scheduler, progress=progress,
                                        source=str(listing.root))
    except NoUsableClips as exc:
        write_skipped(skipped_frame(listing.ignored, exc.skipped), out / "skipped.csv")
        raise


def organize_library(music_dir: str | os.PathLike[str], out_dir: str | os.PathLike[str], *,
                     k: int | None = None, k_range: tuple[int, int] = DEFAULT_K_RANGE,
                     method: str = "vae", params: Params | dict | None = None,
                     cache: bool = True, cache_dir: str | os.PathLike[str] | None = None,
                     n_jobs: int = -1, scheduler: str | None = None, progress: bool = True,
                     auto_batch: bool = True, force: bool = False, **param_overrides: Any) -> LibraryResult:
    """Turn a music folder into ``k`` playlists.

    Command: ``musiccluster cluster MUSIC_DIR --out OUT_DIR``.

    Parameters
    ----------
    music_dir : path-like
        Folder searched recursively. Nothing is ever written inside it.
    out_dir : path-like
        Where the outputs go (created). Must not be inside ``music_dir``.
    k : int, optional
        Number of clusters; ``None`` chooses it in ``k_range`` by
        :data:`~.choose_k.K_CRITERION`.
    k_range : (int, int)
        Inclusive range tried when ``k`` is None.
    method : {'vae', 'pca', 'raw', 'timbre', 'musly'}
        Segment embedding clustered by K-Means, or a similarity between whole tracks clustered
        spectrally (:mod:`.similar`; the command's default is
        :data:`~.options.DEFAULT_METHOD`, this function's stays the paper's VAE).
    params : Params or dict, optional
        Feature and VAE parameters (``n_segments``, ``n_mfcc``, ``min_segment_s``,
        ``latent_dim``, ``hidden_dim``, ``epochs``, ``lr``, ``batch_size``, ``beta``,
        ``loss_reduction``, ``seed``); keyword ``param_overrides`` (``None`` values
        ignored) apply on top.
    cache, cache_dir
        Feature cache (default: ``$MUSICCLUSTER_CACHE`` or the user cache
        folder). Must not be inside ``music_dir``.
    n_jobs : int
        Local worker processes (-1: all cores). Ignored with ``scheduler``.
    scheduler : str, optional
        Dask scheduler address: extract features on that cluster.
    progress : bool
        Progress bars and step messages on stderr.
    auto_batch : bool
        Grow the VAE's mini-batch with the library (:func:`~.model.auto_batch_size`)
        so that training time stops growing; ``False`` uses ``params.batch_size`` as given.
    force : bool
        Write into an existing ``out_dir`` that holds files no musiccluster run wrote (only
        same-named files are replaced; nothing is deleted that musiccluster did not write).

    Raises
    ------
    ParameterError
        Invalid parameter, output inside the music folder (or the music folder among the
        outputs), an ``out_dir`` of other files without ``force``, another run writing into it,
        unreachable scheduler.
    DataError
        No audio file, or no usable track (``skipped.csv`` is still written).
    """
    t_start = time.perf_counter()
    log = _log(progress)
    params = _resolve_params(params, param_overrides)
    _check_train_args(k, k_range, method)
    if scheduler and method in SIMILARITY_METHODS:
        raise ParameterError("scheduler", f"is for --method vae, pca or raw; {method} analyses the tracks locally")
    timings: dict[str, float] = {}
    t = time.perf_counter()
    listing, out, cache_root = prepare(music_dir, out_dir, cache, cache_dir, progress, log)
    timings["scan"] = time.perf_counter() - t
    with claim_output(out, listing.root, mode="train", force=force) as claim:
        if method in SIMILARITY_METHODS:
            df, skipped, summary, model, files = organize_by_similarity(
                listing, out, method=method, k=k, k_range=k_range, params=params, cache=cache,
                cache_root=cache_root, n_jobs=n_jobs, progress=progress, timings=timings, t_start=t_start, log=log)
            claim.finish(written_files(summary, [f"model/{SIMILARITY_MARKER}"]))
            return LibraryResult(df, skipped, summary, model, out, files)
        t = time.perf_counter()
        fs = _features(listing, params, out, cache, cache_root, n_jobs, scheduler, progress)
        timings["features"] = time.perf_counter() - t
        result = _train(fs, out, listing=listing, k=k, k_range=k_range, method=method, params=params,
                        progress=progress, timings=timings, t_start=t_start, cache_root=cache_root,
                        scheduler=scheduler, n_jobs=n_jobs, release=True, auto_batch=auto_batch)
        claim.finish(written_files(result.summary, _model_files(result.model)))
    return result


def _model_files(model: LibraryModel) -> list[str]:
    return ["model/config.json", "model/arrays.npz"] + (["model/vae.pt"] if model.method == "vae" else [])


def cluster_features(fs, out_dir: str | os.PathLike[str], *, k: int | None = None,
                     k_range: tuple[int, int] = DEFAULT_K_RANGE, method: str = "vae",
                     params: Params | dict | None = None, progress: bool = True,
                     auto_batch: bool = True, force: bool = False, **param_overrides: Any) -> LibraryResult:
    """Playlists from features already extracted (a :class:`~musiccluster.features.FeatureSet`).

    Command: ``musiccluster cluster`` without its scan and extraction (``benchmarks/bench_scale.py``).
    The steps of :func:`organize_library` after feature extraction, with the
    same outputs (``skipped.csv`` lists ``fs.skipped``). Its ``meta["path"]``
    must name the audio files for the playlists to open.
    """
    t_start = time.perf_counter()
    params = _resolve_params(params, param_overrides)
    _check_train_args(k, k_range, method)
    if method in SIMILARITY_METHODS:
        raise ParameterError("method", f"{method} analyses the audio itself: use organize_library, not features")
    out = Path(out_dir).expanduser()
    out.mkdir(parents=True, exist_ok=True)
    out = out.resolve()
    listing = FolderListing(root=Path(fs.source or "."), clips=[],
                            n_files=int(fs.meta["clip_id"].nunique() + len(fs.skipped)))
    with claim_output(out, listing.root, mode="train", force=force) as claim:
        result = _train(fs, out, listing=listing, k=k, k_range=k_range, method=method, params=params,
                        progress=progress, timings={}, t_start=t_start, cache_root=None, scheduler=None,
                        n_jobs=None, auto_batch=auto_batch)
        claim.finish(written_files(result.summary, _model_files(result.model)))
    return result


def _embed(fs, method: str, params: Params, *, auto_batch: bool, release: bool, progress: bool, log):
    """Fit the embedding on the segments of ``fs``: (model, history, Z, rows, params used).

    ``release``: drop ``fs.meta`` (one row per segment, ~4 KB per track) once it is no longer
    needed (for a FeatureSet nobody else holds).
    """
    X = fs.X
    if release:  # the per-segment metadata is no longer needed
        fs.meta = fs.meta.iloc[:0]
    if params.latent_dim > X.shape[1] and method != "raw":
        raise ParameterError("latent_dim", f"is {params.latent_dim} but there are only {X.shape[1]} features")
    if method == "vae" and X.shape[0] < 2:
        raise DataError("the VAE needs at least 2 segments; use more segments or another method")
    log(f"fitting the {method.upper()} embedding on {X.shape[0]} segments")
    if auto_batch and method == "vae":
        params = params.replace(batch_size=auto_batch_size(X.shape[0], params.batch_size))
    model, history = fit_embedding(X, method, params, progress)
    return model, history, model.embed(X), int(X.shape[0]), params


def _centers(Z: np.ndarray, codes: np.ndarray, n_tracks: int, k: int | None, k_range: tuple[int, int],
             seed: int, progress: bool, log) -> tuple[np.ndarray, dict[str, Any]]:
    """K-Means centres at the given or chosen k, and the ``k`` record of summary.json."""
    from ..clustering import kmeans

    lo, hi = k_range
    k_info: dict[str, Any] = {"requested": k, "criterion": None, "range": None, "curve": [],
                              "sampled_tracks": None}
    if k is not None:
        chosen = int(k)
        with single_threaded():
            centers = np.asarray(kmeans(Z, chosen, seed).cluster_centers_, dtype=np.float64)
    else:
        k_info.update(criterion=K_CRITERION, range=[lo, hi])
        if n_tracks < 3 or min(hi, n_tracks - 1) < lo:
            chosen, centers = 1, Z.mean(axis=0, keepdims=True)
            k_info["note"] = f"only {n_tracks} track(s): too few to choose k, one playlist"
        else:
            chosen, curve, fitted, n_sampled = choose_k(Z, codes, n_tracks, (lo, hi), seed, progress)
            k_info.update(curve=curve.to_dict(orient="records"), sampled_tracks=n_sampled)
            if n_sampled == n_tracks:
                centers = fitted[chosen]
            else:
                with single_threaded():
                    centers = np.asarray(kmeans(Z, chosen, seed).cluster_centers_, dtype=np.float64)
        log(f"k = {chosen} (highest silhouette over k = {lo}..{hi})" if chosen > 1 else k_info["note"])
    k_info["chosen"] = chosen
    return centers, k_info


def _train(fs, out: Path, *, listing: FolderListing, k, k_range, method, params, progress, timings, t_start,
           cache_root, scheduler, n_jobs, release: bool = False, auto_batch: bool = False) -> LibraryResult:
    """Embedding, k, clusters, track assignment and every output, from extracted features."""
    log = _log(progress)
    codes, tracks = track_codes(fs.meta)
    n_tracks = len(tracks)
    skipped = skipped_frame(listing.ignored, fs.skipped)
    log(f"features of {n_tracks} track(s) ({fs.n_samples} segments) in {timings.get('features', 0.0):.1f} s; "
        f"{int((skipped['kind'] == 'failed').sum())} audio file(s) unusable")
    if k is not None and k > n_tracks:
        write_skipped(skipped, out / "skipped.csv")
        raise ParameterError("k", f"is {k} but only {n_tracks} track(s) could be used "
                             f"(see {out / 'skipped.csv'})")
    t = time.perf_counter()
    model, history, Z, n_rows, params = _embed(fs, method, params, auto_batch=auto_batch, release=release,
                                               progress=progress, log=log)
    timings["embedding"] = time.perf_counter() - t

    t = time.perf_counter()
    centers, k_info = _centers(Z, codes, n_tracks, k, k_range, params.seed, progress, log)
    model.centers = order_by_size(assign_tracks(Z, codes, n_tracks, centers), centers)
    a = assign_tracks(Z, codes, n_tracks, model.centers)
    model.map_mean, model.map_components = map_projection(a.position)
    timings["clustering"] = time.perf_counter() - t

    model.info = {
        "trained": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "music_dir": str(listing.root), "n_tracks": n_tracks, "n_segments_total": n_rows,
        "params": params.to_dict() | {"data_dir": None}, "method": method, "k": k_info,
        **({"pca_explained_variance": model.info["pca_explained_variance"]} if "pca_explained_variance" in model.info else {}),
        **({"vae_final_epoch": {c: float(v) for c, v in history.iloc[-1].items()}} if history is not None and len(history) else {}),
    }
    df = tracks_frame(tracks, a, model.project(a.position))
    model.save(out / "model")
    summary = run_summary("train", music_dir=listing.root, n_files=listing.n_files, out=out, tracks=df,
                          skipped=skipped, k=model.k, params=params, method=method, k_info=k_info,
                          cache_root=cache_root, scheduler=scheduler, n_jobs=n_jobs, n_rows=n_rows,
                          timings=timings)
    files = write_outputs(out, df, skipped, model, summary, k_curve=k_info.get("curve"),
                          title=f"{method.upper()} + K-Means, k = {k_info['chosen']}", timings=timings,
                          t_start=t_start, extra={"model": out / "model"})
    log(f"{n_tracks} track(s) in {int((df.groupby('cluster').size() > 0).sum())} playlist(s): {out / 'playlists'}")
    return LibraryResult(df, skipped, summary, model, out, files)


def _model_params(model: LibraryModel, model_dir) -> Params:
    """The parameters a saved model was trained with, its feature parameters checked against this code."""
    fp = model.feature_params
    if fp.get("feature_version") != feature_version() or fp.get("sr") != SR:
        raise DataError(f"the model in {model_dir} was trained on features of version "
                        f"{fp.get('feature_version')} at {fp.get('sr')} Hz; this musiccluster computes "
                        f"version {feature_version()} at {SR} Hz: retrain it")
    info_params = dict(model.info.get("params", {}))
    seconds = fp.get("segment_seconds")  # absent: a model from before the fixed-length scheme
    return Params.from_dict({k: v for k, v in info_params.items() if k in Params.names()}).replace(
        n_segments=fp["n_segments"], n_mfcc=fp["n_mfcc"], min_segment_s=float(fp["min_segment_s"]),
        segment_seconds=None if seconds is None else float(seconds))


def check_segment_scheme(params: Params, segment_seconds: Any, model_dir) -> None:
    """Refuse to assign with a segment scheme other than the model's (one-line ParameterError).

    Command: ``musiccluster cluster --assign --segment-seconds S``. ``segment_seconds`` is what the
    user asked for: ``...`` (nothing: the model's scheme is used), None (the paper protocol) or
    seconds. Features on another time scale than the model was trained on would be assigned to
    clusters they do not fit.
    """
    from ..features.segments import scheme_name

    if segment_seconds is ...:
        return
    asked = None if segment_seconds is None else float(segment_seconds)
    if asked != params.segment_seconds:
        raise ParameterError(
            "segment-seconds", f"the model in {model_dir} was trained on "
            f"{scheme_name(params.n_segments, params.segment_seconds)}, not "
            f"{scheme_name(params.n_segments, asked)}: leave --segment-seconds out (the model's scheme "
            f"is used) or retrain")


def assign_library(music_dir: str | os.PathLike[str], model_dir: str | os.PathLike[str],
                   out_dir: str | os.PathLike[str], *, cache: bool = True,
                   cache_dir: str | os.PathLike[str] | None = None, n_jobs: int = -1,
                   scheduler: str | None = None, progress: bool = True, force: bool = False,
                   segment_seconds: Any = ...) -> LibraryResult:
    """Put the tracks of ``music_dir`` into the clusters of a saved model, without retraining.

    Command: ``musiccluster cluster --assign NEW_DIR --model OUT_DIR/model --out OUT2``.
    Features are extracted with the model's feature parameters; each track is
    assigned by the same rule as in training. Writes the same outputs as
    :func:`organize_library` (the map uses the training map's axes); the model
    is not copied. The tracks are segmented as the model's were (its ``segment_seconds``, recorded
    in ``config.json``); a ``segment_seconds`` given here (seconds, or None for the paper
    protocol) that differs is refused (:func:`check_segment_scheme`). ``out_dir`` may not hold the model or a training run's results; ``force`` as
    in :func:`organize_library`.
    """
    t_start = time.perf_counter()
    log = _log(progress)
    marker = Path(model_dir).expanduser() / SIMILARITY_MARKER
    if marker.is_file():
        method = str(json.loads(marker.read_text(encoding="utf-8")).get("method", "similarity"))
        raise ParameterError("model", ASSIGN_REFUSAL.format(method=method))
    model = LibraryModel.load(model_dir)
    params = _model_params(model, model_dir)
    check_segment_scheme(params, segment_seconds, model_dir)
    timings: dict[str, float] = {}
    t = time.perf_counter()
    listing, out, cache_root = prepare(music_dir, out_dir, cache, cache_dir, progress, log)
    model_path = Path(model_dir).expanduser().resolve()
    if inside(out, model_path):
        raise ParameterError("out", f"{out_dir} is inside the model folder {model_dir}")
    timings["scan"] = time.perf_counter() - t
    with claim_output(out, listing.root, mode="assign", force=force, model_dir=model_path) as claim:
        t = time.perf_counter()
        fs = _features(listing, params, out, cache, cache_root, n_jobs, scheduler, progress)
        timings["features"] = time.perf_counter() - t
        codes, tracks = track_codes(fs.meta)
        skipped = skipped_frame(listing.ignored, fs.skipped)
        t = time.perf_counter()
        Z = model.embed(fs.X)
        n_rows = fs.n_samples
        del fs
        a = assign_tracks(Z, codes, len(tracks), model.centers)
        timings["assignment"] = time.perf_counter() - t
        df = tracks_frame(tracks, a, model.project(a.position))
        k_info = {"requested": model.k, "chosen": model.k, "criterion": "fixed by the model",
                  "curve": [], "model_dir": str(model_path)}
        summary = run_summary("assign", music_dir=listing.root, n_files=listing.n_files, out=out, tracks=df,
                              skipped=skipped, k=model.k, params=params, method=model.method, k_info=k_info,
                              cache_root=cache_root, scheduler=scheduler, n_jobs=n_jobs, n_rows=n_rows,
                              timings=timings)
        files = write_outputs(out, df, skipped, model, summary, k_curve=None,
                              title=f"new tracks in the {model.k} clusters of {model_path.parent.name or model_path}",
                              timings=timings, t_start=t_start)
        log(f"{len(df)} track(s) assigned to the {model.k} clusters: {out / 'playlists'}")
        claim.finish(written_files(summary))
    return LibraryResult(df, skipped, summary, model, out, files)
