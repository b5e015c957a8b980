"""Features of a whole corpus: every clip in parallel, cached per clip, with a skip report.

Chapter *MFCC features*. :func:`clip_features` decodes one clip, cuts it into
segments (:mod:`.segments`) and computes the 26 statistics of each
(:mod:`.mfcc`); :func:`extract_features` does that for every clip of a corpus
and returns a :class:`~musiccluster.features.featureset.FeatureSet`.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import stat
import warnings
from pathlib import Path
from typing import Any, Callable, ContextManager, Sequence

import librosa
import numpy as np
import pandas as pd

from ..cache import atomic_write_bytes, source_fingerprint, stable_hash, sweep_stale_temporaries
from ..cache import cache_path
from ..data.corpus import Clip
from ..errors import DataError
from ..params import FeatureParams
from ..threads import single_threaded
from .decoder_messages import decoder_messages
from .featureset import META_COLUMNS, FeatureSet
from .mfcc import feature_names, mfcc_stats
from .decode import fixed_segments, stream_equal_segments
from .segments import SkipClip, fixed_bounds, load_audio, segment_bounds
from .workers import can_fork, forked_map, plan_workers

#: Bump when the numbers produced for a clip change (invalidates the cache). The cache key also
#: holds a fingerprint of the source of this module and of ``segments``, so an edit there can never
#: serve features computed by the old code, and the versions of librosa, numpy, scipy, soundfile
#: (and libsndfile) and soxr, so an upgraded dependency cannot either (see ``_clip_key``).
FEATURE_VERSION = "1"
_FEATURE_SOURCES = ("features/extract.py", "features/mfcc.py", "features/segments.py", "features/decode.py",
                    "_constants.py")
#: Clips whose peak stays below this level (dBFS) are skipped as silent.
SILENCE_DBFS = -80.0


class NoUsableClips(DataError):
    """No clip of a corpus could be used; ``skipped`` (``path``, ``reason``) says why for each.

    Chapter *MFCC features*; command ``musiccluster cluster`` (its ``skipped.csv``).
    """

    def __init__(self, message: str, skipped: pd.DataFrame):
        super().__init__(message)
        self.skipped = skipped


# ------------------------------------------------------------ per-clip work
#: Bytes hashed at each end of a file for its content fingerprint.
_FINGERPRINT_BYTES = 64 * 1024


def _clip_key(path: Path, fp: FeatureParams) -> str:
    """Cache key of one clip's features.

    Made of the file's resolved path, size, modification and status-change times
    (``st_mtime_ns``, ``st_ctime_ns``: ``os.utime`` can set the first back, never the
    second), inode number, a BLAKE2b hash of its first and last 64 KiB and its size,
    the extraction parameters, :data:`FEATURE_VERSION`, a fingerprint of the feature
    source and the versions of the libraries that compute the numbers. Reading
    128 KiB keeps a cached rerun cheap.
    """
    st = path.stat()
    if not stat.S_ISREG(st.st_mode):  # a FIFO would block the fingerprint's open() forever
        raise OSError(f"not a regular file: {path}")
    return stable_hash({
        "path": str(path.resolve()), "size": st.st_size, "mtime_ns": st.st_mtime_ns,
        "ctime_ns": st.st_ctime_ns, "ino": st.st_ino, "content": _content_fingerprint(path, st.st_size),
        "n_segments": fp.n_segments, "n_mfcc": fp.n_mfcc, "min_segment_s": fp.min_segment_s,
        "segment_seconds": fp.segment_seconds, "sr": fp.sr, "version": FEATURE_VERSION, "code": _feature_code(), "libs": _dependency_versions(),
    }, length=32)


def _content_fingerprint(path: Path, size: int) -> str:
    """BLAKE2b of the first and last 64 KiB of a file and of its size (the whole file when smaller)."""
    digest = hashlib.blake2b(str(size).encode(), digest_size=16)
    with open(path, "rb") as fh:
        digest.update(fh.read(_FINGERPRINT_BYTES))
        if size > _FINGERPRINT_BYTES:
            fh.seek(max(size - _FINGERPRINT_BYTES, _FINGERPRINT_BYTES))
            digest.update(fh.read(_FINGERPRINT_BYTES))
    return digest.hexdigest()


@functools.lru_cache(maxsize=1)
def _feature_code() -> str:
    return source_fingerprint(*_FEATURE_SOURCES)


@functools.lru_cache(maxsize=1)
def _dependency_versions() -> dict[str, str]:
    """Versions of what decodes, resamples and transforms the audio: an upgrade never serves old features."""
    import scipy
    import soundfile

    versions = {"librosa": librosa.__version__, "numpy": np.__version__, "scipy": scipy.__version__,
                "soundfile": soundfile.__version__,
                "libsndfile": str(getattr(soundfile, "__libsndfile_version__", "?"))}
    try:
        import soxr
    except ImportError:
        versions["soxr"] = "absent"
    else:
        versions["soxr"] = str(getattr(soxr, "__version__", "?"))
    return versions


def clip_features(path: str | Path, fp: FeatureParams = FeatureParams()
                  ) -> tuple[np.ndarray, float, list[tuple[int, int]]]:
    """Features of one clip's segments (chapter *MFCC features*).

    Parameters
    ----------
    path : path-like
        The audio file.
    fp : FeatureParams
        Segments per clip, MFCCs, shortest segment, sample rate and segment scheme: equal
        division of the decoded clip (``segment_seconds`` None, the paper protocol; a track
        longer than :data:`~musiccluster.features.decode.STREAM_ABOVE_S` is decoded and
        summarised block by block) or ``n_segments`` spans of ``segment_seconds`` evenly spaced
        over the track, only those decoded (:func:`~musiccluster.features.decode.fixed_segments`).

    Returns
    -------
    X : ndarray of shape (n_segments, 2 * n_mfcc)
    duration_s : float
        Clip duration in seconds.
    bounds : list of (start, stop)
        Segment sample ranges.

    Raises
    ------
    SkipClip
        With the reason the clip cannot be used.
    """
    sr = fp.sr
    if fp.segment_seconds is not None:
        segments, n = fixed_segments(path, fp.n_segments, fp.segment_seconds, sr)
        bounds = fixed_bounds(n, fp.n_segments, fp.segment_seconds, sr)
        return _segment_features(segments, fp, "in its segments"), n / sr, bounds
    # One BLAS thread: the same bits in a worker process, in the main process and on
    # any core count (parallelism comes from processing clips side by side).
    with single_threaded():
        streamed = stream_equal_segments(path, fp.n_segments, fp.n_mfcc, sr, fp.min_segment_s)
    if streamed is not None:
        X, n, peak = streamed
        _check_peak(peak)
        _check_finite(X)
        return X, n / sr, segment_bounds(n, fp.n_segments, sr, fp.min_segment_s)
    y = load_audio(path, sr=sr)
    bounds = segment_bounds(len(y), fp.n_segments, sr, fp.min_segment_s)
    X = _segment_features([y[a:b] for a, b in bounds], fp, "")
    return X, len(y) / sr, bounds


def _check_peak(peak: float, where: str = "") -> None:
    if peak <= 10 ** (SILENCE_DBFS / 20):
        raise SkipClip(f"silent (peak below {SILENCE_DBFS:g} dBFS{' ' + where if where else ''})")


def _check_finite(X: np.ndarray) -> None:
    if not np.all(np.isfinite(X)):
        raise SkipClip("features are not finite")


def _segment_features(segments: list[np.ndarray], fp: FeatureParams, where: str) -> np.ndarray:
    """The 26 statistics of each segment, after the silence and finiteness checks (one BLAS thread)."""
    for seg in segments:
        if not np.all(np.isfinite(seg)):
            raise SkipClip("audio contains NaN or infinite samples")
    _check_peak(max((float(np.max(np.abs(s))) for s in segments if s.size), default=0.0), where)
    with single_threaded():
        X = np.stack([mfcc_stats(s, sr=fp.sr, n_mfcc=fp.n_mfcc) for s in segments])
    _check_finite(X)
    return X


def _cache_entry(path: Path, fp: FeatureParams, cache_folder: Path) -> Path:
    key = _clip_key(path, fp)
    return cache_folder / key[:2] / f"{key}.npz"


def _read_entry(entry: Path, fp: FeatureParams) -> tuple[np.ndarray, float, None] | None:
    """A cached clip, or None when absent, unreadable or wrong (then it is recomputed and overwritten).

    Wrong: not ``n_segments`` rows of ``2 * n_mfcc`` finite numbers, or a duration that is not a
    positive finite number.
    """
    try:
        with np.load(entry, allow_pickle=False) as npz:
            X, duration = npz["X"], float(npz["duration"])
    except Exception:
        return None
    if (X.dtype.kind != "f" or X.shape != (fp.n_segments, 2 * fp.n_mfcc) or not np.all(np.isfinite(X))
            or not np.isfinite(duration) or duration <= 0):
        return None
    return X, duration, None


def _cached_clip_features(path: Path, fp: FeatureParams, cache_folder: Path | None) -> tuple[np.ndarray | None, float, str | None, str | None]:
    """Worker: (features, duration, None, cache_problem) or (None, 0, reason, None). Never raises.

    ``cache_problem`` is None, or why the finished features could not be written to the
    cache (disk full, read-only folder): the clip is still used, only not cached.
    """
    try:
        entry = None
        if cache_folder is not None:
            try:
                entry = _cache_entry(path, fp, cache_folder)
            except OSError:
                entry = None  # unreadable file: clip_features below names the reason
            hit = _read_entry(entry, fp) if entry is not None and entry.exists() else None
            if hit is not None:
                return (*hit, None)
        with decoder_messages():  # libmpg123's notes stay off the terminal; the skip reason says enough
            X, duration, _ = clip_features(path, fp)
    except SkipClip as exc:
        return None, 0.0, str(exc), None
    except Exception as exc:  # anything else must not stop the corpus
        return None, 0.0, f"failed: {type(exc).__name__}: {str(exc)[:160]}", None
    problem = None
    if entry is not None:
        try:
            import io

            buf = io.BytesIO()
            np.savez(buf, X=X, duration=np.float64(duration))
            atomic_write_bytes(entry, buf.getvalue())
        except Exception as exc:  # the features are good: a cache that cannot be written costs only speed
            problem = f"{type(exc).__name__}: {str(exc)[:160]}"
    return X, duration, None, problem


def _read_cached(clips: list[Clip], fp: FeatureParams, folder: Path | None) -> list:
    """Per clip: its cached ``(X, duration, None)``, or None when it must be computed."""
    results: list = [None] * len(clips)
    if folder is None:
        return results
    for i, c in enumerate(clips):
        try:
            entry = _cache_entry(c.path, fp, folder)
        except Exception:
            continue  # unreadable file or symlink loop: the worker names the reason
        if entry.exists():
            results[i] = _read_entry(entry, fp)
    return results


def extract_features(
    clips: Sequence[Clip], fp: FeatureParams = FeatureParams(), *, cache: bool = True,
    cache_dir: str | os.PathLike[str] | None = None, n_jobs: int = -1,
    progress: bool = True, backend: str | None = None, source: str = "",
    warn_skips: bool = True, workers: Callable[[int], ContextManager[Any]] | None = None,
) -> FeatureSet:
    """Extract features of every clip's segments, in parallel and cached (chapter *MFCC features*).

    Clips are processed one at a time per worker (audio is never all in
    memory); each finished clip is cached on disk under a key made of the
    file's path, size, modification and status-change times, inode, a hash of
    its first and last 64 KiB, the parameters, the feature source and the
    versions of librosa, numpy, scipy, soundfile/libsndfile and soxr (see
    :func:`_clip_key`), so an unchanged rerun only reads small ``.npz`` files
    and a changed file or library is recomputed. A cache entry that cannot be
    written is a warning, not a skip. Bad clips are skipped and listed in
    :attr:`FeatureSet.skipped` with their reason; the rest goes on.

    Parameters
    ----------
    clips : sequence of Clip
        From :func:`musiccluster.data.corpus.find_clips`.
    fp : FeatureParams
        Segments per clip, MFCCs, shortest segment, sample rate (``Params.features``).
    cache : bool
        Read and write the feature cache.
    cache_dir : path-like, optional
        Cache root (default: :func:`musiccluster.cache.cache_dir`).
    n_jobs : int
        Worker processes: 1 computes in this process; -1 (default) chooses from the work and the
        cost of starting a worker (:func:`~musiccluster.features.workers.choose_workers`; forked
        workers on Linux start in milliseconds, so 2 cores pay off from a few clips on); another
        count is used as given.
    progress : bool
        Show a tqdm progress bar.
    backend : str, optional
        joblib backend (``"loky"`` by default, ``"dask"`` inside a
        ``joblib.parallel_config(backend="dask")`` block, ``"sequential"``).
    warn_skips : bool
        Warn once per skipped clip (``skipped PATH: REASON``); ``False``: the skip report only.
    workers : callable, optional
        Called once the cache has been read, with the number of clips left to compute (0 when
        every clip came from the cache); the computation runs inside the context manager it
        returns (``musiccluster cluster`` connects to a Dask cluster there, only if needed).

    Raises
    ------
    NoUsableClips
        If no clip at all could be used; its ``skipped`` holds every clip's reason.
    """
    from tqdm.auto import tqdm

    clips = list(clips)
    folder = cache_path(cache_dir) / "features" if cache else None
    if folder is not None and folder.exists():
        sweep_stale_temporaries(folder)
    # Finished clips are read here, so an unchanged rerun starts no worker process at all.
    results = _read_cached(clips, fp, folder)
    todo = [i for i, r in enumerate(results) if r is None]
    argsets = [(clips[i].path, fp, folder) for i in todo]
    unwritten: list[tuple[str, str]] = []
    with workers(len(todo)) if workers is not None else contextlib.nullcontext():
        results_iter = _computed(argsets, fp, n_jobs, backend)  # workers start before the bar's thread
        with tqdm(total=len(clips), initial=len(clips) - len(todo), desc="features", unit="clip",
                  disable=not progress, leave=False) as bar:
            for i, (X, duration, reason, problem) in zip(todo, results_iter):
                results[i] = (X, duration, reason)
                if problem is not None:
                    unwritten.append((str(clips[i].path), problem))
                bar.update()
    if unwritten:
        warnings.warn(
            f"feature cache not written for {len(unwritten)} clip(s) under {folder} (first: "
            f"{unwritten[0][0]}: {unwritten[0][1]}); their features are used but will be computed "
            "again next run", RuntimeWarning, stacklevel=2)
    return _assemble(clips, results, fp, source, warn_skips)


def _computed(argsets: list[tuple], fp: FeatureParams, n_jobs: int, backend: str | None):
    """The worker results of ``argsets``, in order: in this process, on forked workers, or by joblib.

    Local work (no joblib backend chosen, none configured by ``joblib.parallel_config``) uses
    :func:`~musiccluster.features.workers.plan_workers`: ``n_jobs=-1`` picks the count from the
    work and the start-up cost, and the workers are forked where that is safe (Linux, no other
    thread); otherwise joblib runs them (loky, or the configured backend such as Dask).
    """
    def serial():
        return (_cached_clip_features(*args) for args in argsets)

    if n_jobs == 1 or len(argsets) <= 1:
        return serial()
    from joblib.parallel import get_active_backend

    local = backend in (None, "loky") and type(get_active_backend()[0]).__name__ == "LokyBackend"
    if local:
        fork = can_fork()
        n_jobs = plan_workers(n_jobs, len(argsets), fp.n_segments, fp.segment_seconds, fork)
        if n_jobs == 1:
            return serial()
        if fork:
            _warm_up(fp)
            return forked_map(_cached_clip_features, argsets, n_jobs)
    from joblib import Parallel, delayed

    return Parallel(n_jobs=n_jobs, backend=backend, return_as="generator", batch_size="auto")(
        delayed(_cached_clip_features)(*args) for args in argsets)


def _warm_up(fp: FeatureParams) -> None:
    """Load, once in this process, what the first MFCC and resampling import lazily (scipy's FFT
    module, soxr, the mel filterbank), so that forked workers inherit it instead of paying for it."""
    from .frontend import resample

    with single_threaded():
        mfcc_stats(np.zeros(4 * 2048, dtype=np.float32), sr=fp.sr, n_mfcc=fp.n_mfcc)
        resample(np.zeros(256, dtype=np.float32), 2 * fp.sr, fp.sr)


def _assemble(clips, results, fp: FeatureParams, source: str, warn_skips: bool = True) -> FeatureSet:
    n_segments, n_mfcc, sr = fp.n_segments, fp.n_mfcc, fp.sr
    rows, blocks, skipped = [], [], []
    for clip, (X, duration, reason) in zip(clips, results):
        if reason is not None:
            skipped.append({"path": str(clip.path), "reason": reason})
            continue
        if fp.segment_seconds is None:
            seg_len = int(duration * sr) // n_segments
            spans = [(i * seg_len, (i + 1) * seg_len) for i in range(n_segments)]
        else:
            spans = fixed_bounds(int(round(duration * sr)), n_segments, fp.segment_seconds, sr)
        ext = clip.path.suffix.lstrip(".") or "wav"
        for i in range(X.shape[0]):
            name = f"{clip.stem}.{ext}" if n_segments == 1 else f"{clip.stem}.{i}.{ext}"
            rows.append({
                "filename": name, "clip_id": clip.clip_id, "segment": i, "label": clip.label,
                "path": str(clip.path), "start_s": spans[i][0] / sr, "end_s": spans[i][1] / sr,
                "clip_duration_s": duration,
            })
        blocks.append(X)
    skipped_df = pd.DataFrame(skipped, columns=["path", "reason"])
    if warn_skips:
        for row in skipped:
            warnings.warn(f"skipped {row['path']}: {row['reason']}", stacklevel=3)
    if not blocks:
        raise NoUsableClips(
            f"no usable clips among {len(clips)} files"
            + (f" (first problem: {skipped[0]['path']}: {skipped[0]['reason']})" if skipped else ""),
            skipped_df)
    meta = pd.DataFrame(rows, columns=META_COLUMNS)
    return FeatureSet(np.vstack(blocks), feature_names(n_mfcc), meta, skipped_df, source)


# ------------------------------------------------------ Kaggle-style tables


