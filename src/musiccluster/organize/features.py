"""The features of a music library: the cached extractor, on local cores or on a Dask cluster.

Command: ``musiccluster cluster`` (``--jobs``, ``--scheduler``, ``--cache-dir``, ``--no-cache``).
The extraction itself, its cache and its skip report are
:func:`musiccluster.features.extract.extract_features`; this module only chooses where the
clips not in the cache are computed.
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import Any, Iterator, Sequence

from ..data.corpus import Clip
from ..errors import ParameterError
from ..params import Params

#: Seconds to wait for a Dask scheduler to answer.
SCHEDULER_TIMEOUT_S = 15.0


@contextlib.contextmanager
def parallel_backend(scheduler: str | None = None) -> Iterator[Any]:
    """Run joblib work on a Dask cluster while the block runs (``None``: local cores).

    Command: ``musiccluster cluster --scheduler tcp://host:8786``. Every worker must have
    musiccluster installed and see the music folder and the cache folder at the same paths as
    this machine (e.g. a shared network folder): workers read the audio and write each track's
    features into the cache themselves; only the small feature arrays travel back. Start them
    with one thread each (``dask worker ADDRESS --nthreads 1 --nworkers N``) for features
    identical to the bit with a local run.

    Raises
    ------
    ParameterError
        If ``distributed`` is missing or the scheduler cannot be reached.
    """
    if not scheduler:
        yield None
        return
    try:
        import joblib
        from distributed import Client
    except ImportError:  # pragma: no cover - distributed is a pinned requirement
        raise ParameterError("scheduler", "needs the 'distributed' package (pip install 'musiccluster[dask]', "
                             "or the pinned requirements.txt)") from None
    try:
        client = Client(scheduler, timeout=f"{SCHEDULER_TIMEOUT_S:g}s", set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ParameterError("scheduler", f"cannot connect to {scheduler}: {exc}") from None
    try:
        with joblib.parallel_config(backend="dask", client=client):
            yield client
    finally:
        client.close()


def extract_library_features(clips: Sequence[Clip], params: Params, *, cache: bool = True,
                             cache_dir: str | os.PathLike[str] | None = None, n_jobs: int = -1,
                             scheduler: str | None = None, progress: bool = True, source: str = ""):
    """Features of every track, in ``clips`` order (skips recorded, never raised per track).

    Command: ``musiccluster cluster``. :func:`musiccluster.features.extract.extract_features`
    reads the tracks already in the feature cache in this process and sends only the others to
    the workers: local processes, or the Dask cluster at ``scheduler``, which is connected to
    only when some track is left to compute. Skips are reported in ``skipped`` (for
    ``skipped.csv``), not warned one by one.

    Raises
    ------
    NoUsableClips
        A :class:`~musiccluster.errors.DataError`, if no track at all could be used; its
        ``skipped`` holds every file's reason.
    """
    from ..features.extract import NoUsableClips, extract_features

    clips = list(clips)

    def workers(n_todo: int):
        if progress and cache:
            where = f" on {scheduler}" if scheduler and n_todo else ""
            print(f"musiccluster: features of {len(clips) - n_todo} track(s) from the cache, {n_todo} to "
                  f"compute{where}", file=sys.stderr, flush=True)
        return parallel_backend(scheduler if n_todo else None)

    try:
        return extract_features(clips, params.features,
                                cache=cache, cache_dir=cache_dir, n_jobs=-1 if scheduler else n_jobs,
                                progress=progress, source=source, warn_skips=False, workers=workers)
    except NoUsableClips as exc:
        skipped = exc.skipped
        first = (f" (first problem: {skipped['path'].iloc[0]}: {skipped['reason'].iloc[0]})"
                 if len(skipped) else "")
        raise NoUsableClips(f"no usable track among {len(clips)} audio file(s){first}", skipped) from None

