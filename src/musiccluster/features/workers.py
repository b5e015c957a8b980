"""How many worker processes a feature extraction uses, and how they start (chapter *MFCC features*).

The per-clip work is small (~15 ms of one core for a 30-s clip), so what decides whether workers
pay off is what they cost to start. A worker started fresh (joblib's loky, or any platform without
``fork``) imports numpy, scipy's FFT, soundfile, soxr and pandas again: ~1-2 s each (librosa's
heavy modules are no longer among them, :mod:`.frontend`). On Linux, from a process
with no other thread, the workers are forked from this one after those imports
(:func:`forked_map`): they start in milliseconds and share the loaded modules. The default number
of workers is then :func:`choose_workers` of the work (clips x seconds decoded) and that start-up
cost: one process whenever more would not be clearly faster. Measured in
``benchmarks/bench_workers.py`` (its committed output says on what machine).
"""

from __future__ import annotations

import math
import sys
import threading
from typing import Any, Callable, Iterable, Iterator, Sequence

#: Seconds to start one forked worker (it inherits the imported modules). Measured: a few ms.
FORK_START_S = 0.02
#: Seconds to start one fresh worker that imports the scientific stack itself (loky, spawn). Measured
#: 2026-12-02: two loky workers to their first MFCC in 1.1-1.2 s (2.5 s before the features path
#: stopped importing librosa's heavy modules).
FRESH_START_S = 1.2
#: One core's seconds per second of audio decoded and summarised (~1/2000 measured for 22 kHz WAV;
#: 1/1000 leaves room for MP3 decoding and resampling).
CORE_S_PER_AUDIO_S = 1 / 1000
#: One core's seconds per file beyond its audio (open, stat, cache key and entry).
CORE_S_PER_FILE = 0.003
#: Duration assumed for a clip under the paper protocol (its length is not known before decoding).
ASSUMED_CLIP_S = 30.0
#: More workers are used only if they are predicted to take at most this share of one process's time.
MIN_GAIN = 0.8


def choose_workers(n_clips: int, audio_seconds: float, n_cores: int, start_s: float) -> int:
    """The number of worker processes for ``n_clips`` clips (1: compute them in this process).

    Chapter *MFCC features*. A pure function of the work and the cost of starting a worker: one
    process takes ``n_clips * CORE_S_PER_FILE + audio_seconds * CORE_S_PER_AUDIO_S``; ``w``
    workers take that divided by ``w`` plus ``w * start_s`` (workers are started one after the
    other). The fastest ``w`` up to ``min(n_cores, n_clips)`` is chosen if it is predicted to take
    at most :data:`MIN_GAIN` of one process's time, else 1, so that the default is never
    noticeably slower than ``--jobs 1``.
    """
    serial = n_clips * CORE_S_PER_FILE + max(0.0, audio_seconds) * CORE_S_PER_AUDIO_S
    best, best_t = 1, serial
    for w in range(2, max(1, min(int(n_cores), int(n_clips))) + 1):
        t = serial / w + w * start_s
        if t < best_t:
            best, best_t = w, t
    return best if best_t <= MIN_GAIN * serial else 1


def audio_seconds(n_clips: int, n_segments: int, segment_seconds: float | None) -> float:
    """Seconds of audio decoded for ``n_clips`` clips: the spans of the fixed scheme, or whole clips
    of :data:`ASSUMED_CLIP_S` under the paper protocol. Chapter *MFCC features*."""
    if segment_seconds is not None:
        return n_clips * n_segments * segment_seconds
    return n_clips * ASSUMED_CLIP_S


def n_cores() -> int:
    """Cores this process may use (affinity and container quotas respected, as joblib counts them)."""
    from joblib import cpu_count

    return max(1, int(cpu_count()))


def can_fork() -> bool:
    """Whether workers can be forked from this process safely: Linux, and no other thread running.

    (A thread holding a lock at the moment of the fork would leave it held in the worker; a
    Jupyter kernel, or a process that started a Dask client, has such threads: it uses loky.)
    tqdm's monitor thread is the one exception: it only takes tqdm's own lock, which the workers
    never use.
    """
    import multiprocessing

    others = [t for t in threading.enumerate()
              if t is not threading.main_thread() and type(t).__name__ != "TMonitor"]
    return (sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()
            and threading.current_thread() is threading.main_thread() and not others)


def forked_map(fn: Callable[..., Any], argsets: Sequence[tuple], n_workers: int) -> Iterator[Any]:
    """``fn(*args)`` for each of ``argsets``, in order, on ``n_workers`` forked processes.

    Chapter *MFCC features*. Every worker is forked before this returns (and so before any
    progress-bar thread starts), from this process, with the modules it has imported. Results
    come back in ``argsets`` order as they finish, in chunks of :func:`chunk_size` clips.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    executor = ProcessPoolExecutor(n_workers, mp_context=multiprocessing.get_context("fork"))
    chunk = chunk_size(len(argsets), n_workers)
    try:
        results = executor.map(fn, *zip(*argsets), chunksize=chunk)  # forks all workers now
    except BaseException:
        executor.shutdown(wait=False, cancel_futures=True)
        raise
    return _drain(results, executor)


def chunk_size(n_items: int, n_workers: int) -> int:
    """Clips handed to a worker at a time: ``ceil(n / (64 w))``, 1 to 8.

    Chapter *MFCC features*. Small enough that the workers finish together (the last chunk of one
    worker is the time the other may wait: 2 clips, ~0.14 s of a 30-s clip's ~70 ms each, at
    N = 200; 13 clips, ~0.9 s, with the earlier ``ceil(n / 8w)``), and at most 8 so that a long run
    hands over one chunk (a few paths out, 26 numbers per segment back) per several clips of work.
    ``benchmarks/results_chunks.md`` compares the two rules.
    """
    return max(1, min(8, math.ceil(n_items / (64 * max(1, n_workers)))))


def _drain(results: Iterable[Any], executor) -> Iterator[Any]:
    try:
        yield from results
    finally:
        executor.shutdown(wait=True, cancel_futures=True)


def plan_workers(n_jobs: int, n_todo: int, n_segments: int, segment_seconds: float | None,
                 fork: bool) -> int:
    """Workers for ``n_todo`` clips given ``--jobs``: 1 and explicit counts as asked; -1 (the
    default): :func:`choose_workers` with the start-up cost of forked or fresh workers.

    Chapter *MFCC features*; command ``musiccluster features | cluster`` (``--jobs``).
    """
    cores = n_cores()
    if n_jobs == -1:
        return choose_workers(n_todo, audio_seconds(n_todo, n_segments, segment_seconds), cores,
                              FORK_START_S if fork else FRESH_START_S)
    if n_jobs < -1:  # joblib's convention: -2 is all cores but one
        return max(1, cores + 1 + n_jobs)
    return max(1, min(n_jobs, max(1, n_todo)))

