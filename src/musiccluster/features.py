"""MFCC summary features: the paper's 26 numbers per segment.

Chapter *MFCC features* narrates this module. For every segment we compute
``n_mfcc`` MFCCs with librosa's defaults at 22 050 Hz (n_fft 2048, hop 512,
128 mel bands) and summarise each coefficient over time by its mean and its
variance (``ddof=0``). Those are exactly the ``mfccN_mean`` / ``mfccN_var``
columns of the public Kaggle GTZAN feature tables.
"""

from __future__ import annotations

import functools

import numpy as np
import librosa

from ._constants import HOP_LENGTH, N_FFT, N_MELS, SR


def feature_names(n_mfcc: int = 13) -> list[str]:
    """Column names in our order: all means first, then all variances."""
    return [f"mfcc{i}_mean" for i in range(1, n_mfcc + 1)] + [
        f"mfcc{i}_var" for i in range(1, n_mfcc + 1)
    ]


def mfcc_stats(y: np.ndarray, sr: int = SR, n_mfcc: int = 13) -> np.ndarray:
    """Mean and variance over time of each MFCC of one mono signal.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        Mono audio.
    sr : int
        Its sample rate (22 050 Hz to match GTZAN tables).
    n_mfcc : int
        Number of coefficients.

    Returns
    -------
    ndarray of shape (2 * n_mfcc,)
        ``[mean_1 .. mean_n, var_1 .. var_n]`` as float64.
    """
    y = np.asarray(y, dtype=np.float32)
    mfcc = librosa.feature.mfcc(S=librosa.power_to_db(_mel_power(y, sr)), n_mfcc=n_mfcc).astype(np.float64)
    return np.concatenate([mfcc.mean(axis=1), mfcc.var(axis=1)])


@functools.lru_cache(maxsize=16)
def _mel_basis(sr: int, n_fft: int, n_mels: int, dtype: str) -> np.ndarray:
    """librosa's Slaney mel filterbank, built once per process (librosa's own cache is off).

    Read-only, so a caller can never alter the shared copy.
    """
    basis = librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, norm="slaney", dtype=np.dtype(dtype))
    basis.flags.writeable = False
    return basis


def _mel_power(y: np.ndarray, sr: int) -> np.ndarray:
    """``librosa.feature.melspectrogram(y=y, sr=sr, n_fft=N_FFT, hop_length=HOP_LENGTH, n_mels=N_MELS)``.

    The same operations in the same order as librosa 0.11 (``|stft|**2.0`` with
    ``center=True`` and zero padding, then the einsum below), so the result is
    bit-identical; only the filterbank is reused instead of rebuilt per segment.
    """
    S = np.abs(librosa.stft(y, n_fft=N_FFT, hop_length=HOP_LENGTH, center=True, pad_mode="constant")) ** 2.0
    basis = _mel_basis(sr, N_FFT, N_MELS, "float32")  # filters.mel's default dtype
    return np.einsum("...ft,mf->...mt", S, basis, optimize=True)


# ---------------------------------------------------------------------------
# Feature sets: segments x features, with their clips, labels and skip report
# ---------------------------------------------------------------------------
import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

import pandas as pd

from .cache import (atomic_write_bytes, cache_dir as _cache_dir, source_fingerprint, stable_hash,
                    sweep_stale_temporaries)
from .corpus import Clip
from .errors import DataError
from .segments import SkipClip, load_audio, segment_bounds
from .threads import threadpools as _threadpools

#: Bump when the numbers produced for a clip change (invalidates the cache). The cache key also
#: holds a fingerprint of the source of this module and of ``segments``, so an edit there can never
#: serve features computed by the old code, and the versions of librosa, numpy, scipy, soundfile
#: (and libsndfile) and soxr, so an upgraded dependency cannot either (see ``_clip_key``).
FEATURE_VERSION = "1"
_FEATURE_SOURCES = ("features.py", "segments.py", "_constants.py")
#: Clips whose peak stays below this level (dBFS) are skipped as silent.
SILENCE_DBFS = -80.0

META_COLUMNS = ["filename", "clip_id", "segment", "label", "path", "start_s", "end_s", "clip_duration_s"]


@dataclass
class FeatureSet:
    """Features of every segment, plus where each row came from.

    Attributes
    ----------
    X : ndarray of shape (n_segments_total, 2 * n_mfcc)
        Raw (unscaled) MFCC statistics, one row per segment.
    feature_names : list of str
        Column names of ``X`` (``mfcc1_mean`` ... ``mfccN_var``).
    meta : DataFrame
        One row per segment: ``filename`` (Kaggle style), ``clip_id``,
        ``segment`` index, ``label`` (None where unknown), ``path`` of the
        source file ('' when read from a table), ``start_s`` and ``end_s``
        of the segment and ``clip_duration_s`` of its clip (NaN from a table).
    skipped : DataFrame
        Columns ``path`` and ``reason``: every input that was not used.
    source : str
        Human-readable description of where the data came from.
    """

    X: np.ndarray
    feature_names: list[str]
    meta: pd.DataFrame
    skipped: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["path", "reason"])
    )
    source: str = ""

    def __post_init__(self) -> None:
        if self.X.shape[0] != len(self.meta):
            raise ValueError("X and meta must have the same number of rows")

    @property
    def n_samples(self) -> int:
        return int(self.X.shape[0])

    @property
    def n_features(self) -> int:
        return int(self.X.shape[1])

    @property
    def n_clips(self) -> int:
        return int(self.meta["clip_id"].nunique())

    @property
    def groups(self) -> np.ndarray:
        """Clip id of every row (to keep a clip's segments together)."""
        return self.meta["clip_id"].to_numpy()

    @property
    def labels(self) -> np.ndarray | None:
        """Label of every row, or ``None`` when no row has one."""
        lab = self.meta["label"]
        if lab.isna().all():
            return None
        return lab.fillna("(none)").astype(str).to_numpy()

    def identity(self) -> str:
        """Content hash of the data (values, names and row identities)."""
        digest = hashlib.sha256()
        digest.update(np.ascontiguousarray(self.X, dtype=np.float64).tobytes())
        digest.update("|".join(self.feature_names).encode())
        digest.update("|".join(self.meta["clip_id"].astype(str)).encode())
        digest.update("|".join(self.meta["label"].fillna("").astype(str)).encode())
        return digest.hexdigest()[:16]

    def clip_table(self) -> pd.DataFrame:
        """One row per clip: ``clip_id``, ``label``, ``path``, ``n_segments``."""
        g = self.meta.groupby("clip_id", sort=False)
        return pd.DataFrame({
            "label": g["label"].first(),
            "path": g["path"].first(),
            "n_segments": g.size(),
            "duration_s": g["clip_duration_s"].first(),
        }).reset_index()

    def to_frame(self) -> pd.DataFrame:
        """Meta columns and features side by side."""
        return pd.concat(
            [self.meta.reset_index(drop=True),
             pd.DataFrame(self.X, columns=self.feature_names)], axis=1
        )


# ------------------------------------------------------------ per-clip work
#: Bytes hashed at each end of a file for its content fingerprint.
_FINGERPRINT_BYTES = 64 * 1024


def _clip_key(path: Path, n_segments: int, n_mfcc: int, min_segment_s: float, sr: int) -> str:
    """Cache key of one clip's features.

    Made of the file's resolved path, size, modification and status-change times
    (``st_mtime_ns``, ``st_ctime_ns``: ``os.utime`` can set the first back, never the
    second), inode number, a BLAKE2b hash of its first and last 64 KiB and its size,
    the extraction parameters, :data:`FEATURE_VERSION`, a fingerprint of the feature
    source and the versions of the libraries that compute the numbers. Reading
    128 KiB keeps a cached rerun cheap.
    """
    st = path.stat()
    return stable_hash({
        "path": str(path.resolve()), "size": st.st_size, "mtime_ns": st.st_mtime_ns,
        "ctime_ns": st.st_ctime_ns, "ino": st.st_ino, "content": _content_fingerprint(path, st.st_size),
        "n_segments": n_segments, "n_mfcc": n_mfcc, "min_segment_s": min_segment_s,
        "sr": sr, "version": FEATURE_VERSION, "code": _feature_code(), "libs": _dependency_versions(),
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


def clip_features(
    path: str | Path, n_segments: int = 10, n_mfcc: int = 13,
    min_segment_s: float = 1.0, sr: int = SR,
) -> tuple[np.ndarray, float, list[tuple[int, int]]]:
    """Features of one clip's segments.

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
    y = load_audio(path, sr=sr)
    bounds = segment_bounds(len(y), n_segments, sr, min_segment_s)
    peak = float(np.max(np.abs(y))) if y.size else 0.0
    if peak <= 10 ** (SILENCE_DBFS / 20):
        raise SkipClip(f"silent (peak below {SILENCE_DBFS:g} dBFS)")
    # One BLAS thread: the same bits in a worker process, in the main process and on
    # any core count (parallelism comes from processing clips side by side).
    with _threadpools().limit(limits=1):
        X = np.stack([mfcc_stats(y[a:b], sr=sr, n_mfcc=n_mfcc) for a, b in bounds])
    if not np.all(np.isfinite(X)):
        raise SkipClip("features are not finite")
    return X, len(y) / sr, bounds


def _cache_entry(path: Path, n_segments: int, n_mfcc: int, min_segment_s: float, sr: int,
                 cache_folder: Path) -> Path:
    key = _clip_key(path, n_segments, n_mfcc, min_segment_s, sr)
    return cache_folder / key[:2] / f"{key}.npz"


def _read_entry(entry: Path) -> tuple[np.ndarray, float, None] | None:
    """A cached clip, or None when absent or unreadable (then it is recomputed and overwritten)."""
    try:
        with np.load(entry) as npz:
            return npz["X"], float(npz["duration"]), None
    except Exception:
        return None


def _cached_clip_features(
    path: Path, n_segments: int, n_mfcc: int, min_segment_s: float, sr: int,
    cache_folder: Path | None,
) -> tuple[np.ndarray | None, float, str | None, str | None]:
    """Worker: (features, duration, None, cache_problem) or (None, 0, reason, None). Never raises.

    ``cache_problem`` is None, or why the finished features could not be written to the
    cache (disk full, read-only folder): the clip is still used, only not cached.
    """
    try:
        entry = None
        if cache_folder is not None:
            try:
                entry = _cache_entry(path, n_segments, n_mfcc, min_segment_s, sr, cache_folder)
            except OSError:
                entry = None  # unreadable file: clip_features below names the reason
            hit = _read_entry(entry) if entry is not None and entry.exists() else None
            if hit is not None:
                return (*hit, None)
        X, duration, _ = clip_features(path, n_segments, n_mfcc, min_segment_s, sr)
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


def extract_features(
    clips: Sequence[Clip], n_segments: int = 10, n_mfcc: int = 13,
    min_segment_s: float = 1.0, sr: int = SR, *, cache: bool = True,
    cache_dir: str | os.PathLike[str] | None = None, n_jobs: int = -1,
    progress: bool = True, backend: str | None = None, source: str = "",
) -> FeatureSet:
    """Extract features of every clip's segments, in parallel and cached.

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
        From :func:`musiccluster.corpus.find_clips`.
    n_segments, n_mfcc, min_segment_s, sr
        See :class:`musiccluster.params.Params`.
    cache : bool
        Read and write the feature cache.
    cache_dir : path-like, optional
        Cache root (default: :func:`musiccluster.cache.cache_dir`).
    n_jobs : int
        joblib workers (-1: all cores).
    progress : bool
        Show a tqdm progress bar.
    backend : str, optional
        joblib backend (``"loky"`` by default, ``"dask"`` inside a
        ``joblib.parallel_config(backend="dask")`` block, ``"sequential"``).

    Raises
    ------
    DataError
        If no clip at all could be used.
    """
    from joblib import Parallel, delayed
    from tqdm.auto import tqdm

    clips = list(clips)
    folder = _cache_dir(cache_dir) / "features" if cache else None
    if folder is not None and folder.exists():
        sweep_stale_temporaries(folder)
    # Finished clips are read here, so an unchanged rerun starts no worker process at all.
    results: list = [None] * len(clips)
    if folder is not None:
        for i, c in enumerate(clips):
            try:
                entry = _cache_entry(c.path, n_segments, n_mfcc, min_segment_s, sr, folder)
            except Exception:
                continue  # unreadable file or symlink loop: the worker names the reason
            if entry.exists():
                results[i] = _read_entry(entry)
    todo = [i for i, r in enumerate(results) if r is None]
    jobs = [delayed(_cached_clip_features)(clips[i].path, n_segments, n_mfcc, min_segment_s, sr, folder)
            for i in todo]
    if n_jobs == 1 or len(jobs) <= 1:
        results_iter = (fn(*args, **kw) for fn, args, kw in jobs)
    else:
        results_iter = Parallel(n_jobs=n_jobs, backend=backend, return_as="generator",
                                batch_size="auto")(jobs)
    bar = tqdm(total=len(clips), initial=len(clips) - len(todo), desc="features", unit="clip",
               disable=not progress, leave=False)
    unwritten: list[tuple[str, str]] = []
    with bar:
        for i, (X, duration, reason, problem) in zip(todo, results_iter):
            results[i] = (X, duration, reason)
            if problem is not None:
                unwritten.append((str(clips[i].path), problem))
            bar.update()
    if unwritten:
        import warnings

        warnings.warn(
            f"feature cache not written for {len(unwritten)} clip(s) under {folder} (first: "
            f"{unwritten[0][0]}: {unwritten[0][1]}); their features are used but will be computed "
            "again next run", RuntimeWarning, stacklevel=2)
    return _assemble(clips, results, n_segments, n_mfcc, sr, source)


def _assemble(clips, results, n_segments, n_mfcc, sr, source) -> FeatureSet:
    rows, blocks, skipped = [], [], []
    for clip, (X, duration, reason) in zip(clips, results):
        if reason is not None:
            skipped.append({"path": str(clip.path), "reason": reason})
            continue
        seg_len = int(duration * sr) // n_segments
        ext = clip.path.suffix.lstrip(".") or "wav"
        for i in range(X.shape[0]):
            name = f"{clip.stem}.{ext}" if n_segments == 1 else f"{clip.stem}.{i}.{ext}"
            rows.append({
                "filename": name, "clip_id": clip.clip_id, "segment": i, "label": clip.label,
                "path": str(clip.path), "start_s": i * seg_len / sr, "end_s": (i + 1) * seg_len / sr,
                "clip_duration_s": duration,
            })
        blocks.append(X)
    skipped_df = pd.DataFrame(skipped, columns=["path", "reason"])
    for row in skipped:
        import warnings

        warnings.warn(f"skipped {row['path']}: {row['reason']}", stacklevel=3)
    if not blocks:
        raise DataError(
            f"no usable clips among {len(clips)} files"
            + (f" (first problem: {skipped[0]['path']}: {skipped[0]['reason']})" if skipped else "")
        )
    meta = pd.DataFrame(rows, columns=META_COLUMNS)
    return FeatureSet(np.vstack(blocks), feature_names(n_mfcc), meta, skipped_df, source)


# ------------------------------------------------------ Kaggle-style tables
_SEGMENT_NAME = re.compile(r"^(?P<clip>.+)\.(?P<seg>\d{1,3})\.(?P<ext>[A-Za-z0-9]+)$")


def _parse_filename(name: str) -> tuple[str, int]:
    """``blues.00000.3.wav`` -> ('blues.00000', 3); ``blues.00000.wav`` -> ('blues.00000', 0)."""
    m = _SEGMENT_NAME.match(name)
    if m:
        return m.group("clip"), int(m.group("seg"))
    return os.path.splitext(name)[0], 0


def read_kaggle_csv(path: str | os.PathLike[str], n_mfcc: int = 13) -> FeatureSet:
    """Read a Kaggle GTZAN-style feature table (``features_30_sec.csv`` / ``features_3_sec.csv``).

    Uses ``filename``, ``mfcc1_mean``/``mfcc1_var`` ... ``mfccN_mean``/``mfccN_var``
    and, where present, ``label`` and ``length``. Segment rows
    (``blues.00000.3.wav``) are grouped by clip (``blues.00000``).

    Raises
    ------
    DataError
        If the file is missing or lacks required columns.
    """
    path = Path(path)
    try:
        df = pd.read_csv(path)
    except FileNotFoundError:
        raise DataError(f"no such feature table: {path}") from None
    except Exception as exc:
        raise DataError(f"cannot read feature table {path}: {exc}") from None
    names = feature_names(n_mfcc)
    missing = [c for c in ["filename", *names] if c not in df.columns]
    if missing:
        raise DataError(
            f"{path.name} lacks columns {', '.join(missing[:5])}"
            + (" ..." if len(missing) > 5 else "") + f" (n_mfcc={n_mfcc})"
        )
    X = df[names].to_numpy(dtype=np.float64)
    finite = np.all(np.isfinite(X), axis=1)
    parsed = [_parse_filename(str(f)) for f in df["filename"]]
    length = df["length"].to_numpy() if "length" in df.columns else np.full(len(df), np.nan)
    labels = df["label"].astype(str).where(df["label"].notna(), None) if "label" in df.columns else [None] * len(df)
    meta = pd.DataFrame({
        "filename": df["filename"].astype(str),
        "clip_id": [c for c, _ in parsed],
        "segment": [s for _, s in parsed],
        "label": list(labels),
        "path": "",
        "start_s": [s * (n / SR) if np.isfinite(n) else np.nan for (_, s), n in zip(parsed, length)],
        "end_s": [(s + 1) * (n / SR) if np.isfinite(n) else np.nan for (_, s), n in zip(parsed, length)],
        "clip_duration_s": np.nan,  # a table does not say how long the clip was
    }, columns=META_COLUMNS)
    skipped = pd.DataFrame(
        {"path": meta.loc[~finite, "filename"], "reason": "non-finite feature values"},
        columns=["path", "reason"],
    )
    keep = np.flatnonzero(finite)
    return FeatureSet(X[keep], names, meta.iloc[keep].reset_index(drop=True), skipped,
                      source=f"feature table {path.name}")


def write_kaggle_csv(features: FeatureSet, path: str | os.PathLike[str]) -> Path:
    """Write a feature set in the Kaggle GTZAN table format.

    Columns: ``filename``, ``length`` (segment samples), then
    ``mfcc1_mean, mfcc1_var, mfcc2_mean, ...`` interleaved as Kaggle orders
    them, then ``label``. :func:`read_kaggle_csv` reads it back.
    """
    path = Path(path)
    n = features.n_features // 2
    df = pd.DataFrame({"filename": features.meta["filename"].to_numpy()})
    seconds = (features.meta["end_s"] - features.meta["start_s"]).reset_index(drop=True)
    df["length"] = (seconds * SR).round().astype("Int64")
    values = pd.DataFrame(features.X, columns=features.feature_names)
    for i in range(1, n + 1):
        df[f"mfcc{i}_mean"] = values[f"mfcc{i}_mean"].to_numpy()
        df[f"mfcc{i}_var"] = values[f"mfcc{i}_var"].to_numpy()
    df["label"] = features.meta["label"].to_numpy()
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, df.to_csv(index=False).encode())
    return path
