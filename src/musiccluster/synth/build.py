"""Building the stand-in corpus on disk: the folder layout, the worker pool, the manifest, the cache.

The corpus is laid out like GTZAN (``blues/blues.00007.flac``), written once
as 16-bit FLAC, and read back through exactly the same code path as a user's
music folder. It is written atomically: clips render into a temporary sibling
folder that is renamed into place when complete, and ``manifest.json``
(arguments, :data:`GENERATOR_VERSION`, a fingerprint of this package's
source, soundfont and synthesiser) tells a complete corpus of these
arguments from anything else. Each clip renders in a worker process with a
time limit (:data:`RENDER_TIMEOUT_S`); a clip whose rendering times out is
rendered again in the plain arrangement. The files do not depend on the
number of workers or the order they take the clips in.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import shutil
import tempfile
import time
import warnings
from pathlib import Path

import soundfile as sf

from .._constants import GTZAN_GENRES, SR
from ..cache import cache_dir as _cache_dir
from ..cache import source_fingerprint
from .render import freed_memory_is_defined, render_clip, soundfont_path

__all__ = ["GENERATOR_VERSION", "default_corpus_dir", "ensure_default_corpus", "generate_corpus"]

#: Bump whenever the audio produced for the same arguments changes (the corpus manifest also holds a
#: fingerprint of this package's source, so an edit without a bump still renders the corpus anew).
GENERATOR_VERSION = "3"
#: Seconds one clip may take to render before it is rendered again in the plain arrangement.
RENDER_TIMEOUT_S = 60.0
#: Seconds a sibling temporary folder must be idle before a new run deletes it.
STALE_TEMPORARY_S = 3600.0


def _clip_name(style: str, index: int) -> str:
    """Where clip ``index`` of ``style`` lies in a corpus folder, GTZAN's way."""
    return f"{style}/{style}.{index:05d}.flac"


def _write_clip(job: tuple[str, int, float, int, str, bool]) -> str:
    """Render one job ``(style, index, duration, seed, folder, safe)`` and write it as 16-bit FLAC."""
    style, index, duration, seed, folder, safe = job
    y = render_clip(style, index, duration, seed, safe=safe)
    path = Path(folder) / _clip_name(style, index)
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, y, SR, format="FLAC", subtype="PCM_16", compression_level=1.0)  # FLAC -8
    return str(path)


def _n_workers(n_jobs: int | None, n_tasks: int) -> int:
    """How many worker processes: ``n_jobs`` as joblib reads it (-1 every core), at most ``n_tasks``."""
    if n_jobs is None or n_jobs == 0 or n_jobs < 0:
        try:
            cpus = len(os.sched_getaffinity(0))
        except AttributeError:  # not Linux
            cpus = os.cpu_count() or 1
        n = cpus if n_jobs in (None, 0, -1) else max(1, cpus + 1 + n_jobs)
    else:
        n = n_jobs
    return max(1, min(n, n_tasks))


def _render_all(jobs: list, n_jobs: int | None, progress: bool) -> None:
    """Render every job in worker processes; a job that hangs is redone in the plain arrangement."""
    from tqdm.auto import tqdm

    methods = mp.get_all_start_methods()
    ctx = mp.get_context("fork" if "fork" in methods else None)
    bar = tqdm(total=len(jobs), desc="rendering corpus", unit="clip", disable=not progress, leave=False)
    pending = list(jobs)
    try:
        while pending:
            pool = ctx.Pool(_n_workers(n_jobs, len(pending)))
            try:
                handles = [(job, pool.apply_async(_write_clip, (job,))) for job in pending]
                pending = []
                for i, (job, handle) in enumerate(handles):
                    try:
                        handle.get(timeout=RENDER_TIMEOUT_S)
                        bar.update(1)
                    except mp.TimeoutError:
                        if job[5]:
                            raise RuntimeError(
                                f"rendering {_clip_name(job[0], job[1])} hangs even in the plain arrangement"
                            ) from None
                        warnings.warn(
                            f"rendering {_clip_name(job[0], job[1])} took over {RENDER_TIMEOUT_S:g} s; it is "
                            "written in the plain arrangement instead, so this corpus differs from one "
                            "rendered where it did not time out", RuntimeWarning, stacklevel=2)
                        # a new pool: this job in the plain arrangement, the unfinished rest as composed
                        pending = [(*job[:5], True)] + [j for j, h in handles[i + 1:]]
                        break
            finally:
                pool.terminate()
                pool.join()
    finally:
        bar.close()


def _generator_sources() -> list[str]:
    """The source files whose fingerprint the manifest holds: this package's modules and the constants.

    Names are relative to the ``musiccluster`` package, as :func:`musiccluster.cache.source_fingerprint`
    takes them.
    """
    here = Path(__file__).resolve().parent
    return [f"{here.name}/{p.name}" for p in sorted(here.glob("*.py"))] + ["_constants.py"]


def _manifest(n_per_style: int, duration: float, seed: int) -> dict:
    """What ``manifest.json`` of a complete corpus with these arguments holds."""
    import symusic

    sf2 = soundfont_path()
    return {
        "generator": "musiccluster.synth",
        "generator_version": GENERATOR_VERSION,
        # an edited generator renders the corpus anew (the book never shows numbers of an older corpus)
        "generator_source": source_fingerprint(*_generator_sources()),
        "n_per_style": int(n_per_style),
        "duration": float(duration),
        "seed": int(seed),
        "sample_rate": SR,
        "format": "FLAC PCM_16 mono",
        "styles": list(GTZAN_GENRES),
        "soundfont": {"file": sf2.name, "bytes": sf2.stat().st_size},
        "synthesizer": f"symusic {getattr(symusic, '__version__', '?')}",
        # False off glibc: symusic's stray reads unguarded, a few clips may differ (_defined_freed_memory)
        "stray_reads_guarded": freed_memory_is_defined(),
    }


def _expected_paths(folder: Path, n_per_style: int) -> list[Path]:
    return sorted(folder / _clip_name(style, i) for style in GTZAN_GENRES for i in range(n_per_style))


def _read_manifest(folder: Path) -> dict | None:
    try:
        return json.loads((folder / "manifest.json").read_text())
    except (OSError, ValueError):
        return None


def _is_complete(folder: Path, manifest: dict) -> bool:
    if _read_manifest(folder) != manifest:
        return False
    return all(p.is_file() for p in _expected_paths(folder, manifest["n_per_style"]))


def _sweep_stale_siblings(out: Path) -> None:
    """Delete temporary folders of killed earlier runs (only idle ones: a live run may own a new one)."""
    cutoff = time.time() - STALE_TEMPORARY_S
    for tmp in out.parent.glob(f".{out.name}.*.partial"):
        try:
            if tmp.is_dir() and tmp.stat().st_mtime < cutoff:
                shutil.rmtree(tmp, ignore_errors=True)
        except OSError:
            pass


def _check_corpus_arguments(n_per_style: int, duration: float) -> None:
    """Raise ValueError unless ``n_per_style`` is a positive integer and ``duration`` positive."""
    if int(n_per_style) != n_per_style or n_per_style < 1:
        raise ValueError(f"n_per_style must be a positive integer, got {n_per_style!r}")
    if not duration > 0:
        raise ValueError(f"duration must be positive, got {duration!r}")


def _refuse_foreign_folder(out: Path) -> None:
    """Raise FileExistsError if ``out`` holds files and is not a corpus written by this generator."""
    if out.exists() and any(out.iterdir()):
        old = _read_manifest(out)
        if not (isinstance(old, dict) and old.get("generator") in ("musiccluster.synth", None)
                and "generator_version" in old):
            raise FileExistsError(f"{out} exists and is not a corpus written by musiccluster.synth; "
                                  "choose another folder")


def _render_into(tmp: Path, n_per_style: int, duration: float, seed: int, n_jobs: int, progress: bool) -> None:
    """Render every clip of the corpus into ``tmp``; raise if any is missing afterwards."""
    jobs = [(style, i, float(duration), int(seed), str(tmp), False)
            for style in GTZAN_GENRES for i in range(n_per_style)]
    _render_all(jobs, n_jobs, progress)
    missing = [p for p in _expected_paths(tmp, n_per_style) if not p.is_file()]
    if missing:
        raise RuntimeError(f"{len(missing)} clips were not written, e.g. {missing[0].name}")


def _move_into_place(tmp: Path, out: Path, manifest: dict) -> None:
    """Make the finished corpus in ``tmp`` the folder ``out``, unless another process got there first."""
    if _is_complete(out, manifest):  # another process finished the same corpus meanwhile
        shutil.rmtree(tmp, ignore_errors=True)
        return
    if out.exists():  # an older or incomplete corpus: move it aside, then swap
        trash = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent))
        os.replace(out, trash / "old")
        shutil.rmtree(trash, ignore_errors=True)
    try:
        os.replace(tmp, out)
    except OSError:
        if not _is_complete(out, manifest):  # lost a race to a complete corpus: fine
            raise
        shutil.rmtree(tmp, ignore_errors=True)


def generate_corpus(out_dir: str | os.PathLike[str], n_per_style: int = 20, duration: float = 30.0,
                    seed: int = 0, n_jobs: int = -1, progress: bool = True) -> list[Path]:
    """Write the stand-in corpus as ``<out_dir>/<style>/<style>.000NN.flac``.

    Chapter: Data and augmentation

    Parameters
    ----------
    out_dir : path-like
        Folder of the corpus. If it already holds a complete corpus generated
        with the same arguments (and generator version), nothing is rendered.
        An existing folder that is not a corpus from this generator is never
        overwritten.
    n_per_style : int
        Clips per style (GTZAN has 100).
    duration : float
        Seconds per clip (GTZAN: 30).
    seed : int
        Corpus seed; the same arguments always give byte-identical files.
    n_jobs : int
        Worker processes (-1: one per available core). The files do not
        depend on it.
    progress : bool
        Show a tqdm progress bar.

    Returns
    -------
    list of Path
        The clip files, sorted.

    Raises
    ------
    ValueError
        For a non-positive ``n_per_style`` or ``duration``.
    FileExistsError
        If ``out_dir`` exists, is not empty and is not a corpus written by
        this generator.

    Notes
    -----
    Clips render in a temporary sibling folder (``.<name>.*.partial``) that is
    renamed to ``out_dir`` only when every clip and ``manifest.json`` are
    written, so an interrupted run never leaves a half corpus that looks
    complete. Each clip renders in a worker process with a time limit of
    :data:`RENDER_TIMEOUT_S` seconds; a clip that exceeds it is rendered
    again in the plain arrangement (see :func:`musiccluster.synth.render.render_clip`).
    """
    _check_corpus_arguments(n_per_style, duration)
    out = Path(out_dir).expanduser()
    n = int(n_per_style)
    manifest = _manifest(n, duration, seed)
    if _is_complete(out, manifest):
        return _expected_paths(out, n)
    _refuse_foreign_folder(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    _sweep_stale_siblings(out)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent))
    try:
        os.chmod(tmp, 0o755)  # mkdtemp's 0700 would become the corpus folder's mode
        _render_into(tmp, n, duration, seed, n_jobs, progress)
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
        _move_into_place(tmp, out, manifest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return _expected_paths(out, n)


def default_corpus_dir(n_per_style: int = 20, duration: float = 30.0, seed: int = 0,
                       cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """Folder of the default corpus with these arguments in the cache.

    ``<cache>/corpus/synth-v<GENERATOR_VERSION>-n<n_per_style>-d<duration>-s<seed>``,
    where ``<cache>`` is :func:`musiccluster.cache.cache_dir`.

    Chapter: Data and augmentation
    """
    return (_cache_dir(cache_dir) / "corpus"
            / f"synth-v{GENERATOR_VERSION}-n{n_per_style}-d{duration:g}-s{seed}")


def ensure_default_corpus(n_per_style: int = 20, duration: float = 30.0, seed: int = 0,
                          cache_dir: str | os.PathLike[str] | None = None, n_jobs: int = -1,
                          progress: bool = True) -> Path:
    """Generate the default corpus into the cache if it is not there yet; return its folder.

    Parameters are those of :func:`generate_corpus` and :func:`default_corpus_dir`.

    Chapter: Data and augmentation
    """
    folder = default_corpus_dir(n_per_style, duration, seed, cache_dir)
    generate_corpus(folder, n_per_style, duration, seed, n_jobs=n_jobs, progress=progress)
    return folder

