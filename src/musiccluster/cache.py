"""Where musiccluster keeps what it computes once and reuses.

Used by the feature extractor (chapter *MFCC features*), the default corpus
generator (chapter *Data and augmentation*) and the experiment cache shared by
all book chapters.

The cache folder is, in order of precedence:

1. an explicit ``cache_dir`` argument (the CLI's ``--cache-dir``);
2. the ``MUSICCLUSTER_CACHE`` environment variable;
3. the user's cache folder (``~/.cache/musiccluster`` on Linux, via platformdirs).

Every file is written atomically (to a temporary name in the same folder, then
renamed), so an interrupted run never leaves a partial entry behind. Nothing stored
can execute on load: entries are ``.npz`` arrays and JSON (:func:`write_entry`,
:func:`read_entry`, ``allow_pickle=False``), never pickles, so a cache folder others can
write (a shared ``MUSICCLUSTER_CACHE``) cannot run code as the user.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import platformdirs

ENV_VAR = "MUSICCLUSTER_CACHE"


def cache_path(override: str | os.PathLike[str] | None = None) -> Path:
    """The cache folder, not created (for caches that only warn when they cannot be written).

    Used by the feature, experiment and evaluation caches (commands ``features``,
    ``experiment``, ``evaluate``).

    Parameters
    ----------
    override : path-like, optional
        Use this folder instead of the environment variable or the default.
    """
    if override is not None:
        path = Path(override)
    elif os.environ.get(ENV_VAR):
        path = Path(os.environ[ENV_VAR])
    else:
        path = Path(platformdirs.user_cache_dir("musiccluster", appauthor=False))
    return path.expanduser()


def cache_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """Return (and create) the cache folder (see :func:`cache_path`)."""
    path = cache_path(override)
    path.mkdir(parents=True, exist_ok=True)
    return path


def stable_hash(obj: Any, length: int = 16) -> str:
    """Hex digest of a JSON-serialisable object (keys sorted), for cache keys."""
    text = json.dumps(obj, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]


def atomic_write_bytes(path: Path, data: bytes, mode: int | None = None) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the whole new one.

    A temporary file in the same folder, renamed over ``path``; ``mode`` sets its permissions
    (default: mkstemp's 0600, right for the tool's own cache). Users' outputs go through
    :func:`musiccluster.userfiles.write_user_file`, which uses this for regular files.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            if mode is not None:
                os.fchmod(fh.fileno(), mode)
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def write_entry(path: Path, meta: dict[str, Any], arrays: dict[str, Any]) -> None:
    """Store a cache entry as one ``.npz``: numeric ``arrays`` and a JSON ``meta`` (nothing executable).

    Used by the experiment and evaluation caches (:func:`musiccluster.experiment.run_experiment`,
    :func:`musiccluster.evaluation.evaluate`). Written atomically; read with :func:`read_entry`.
    """
    import io

    import numpy as np

    buf = io.BytesIO()
    np.savez(buf, __meta__=np.array(json.dumps(meta, sort_keys=True)),
             **{name: np.asarray(value) for name, value in arrays.items()})
    atomic_write_bytes(Path(path), buf.getvalue())


def read_entry(path: Path) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The ``(meta, arrays)`` of an entry written by :func:`write_entry`; None if absent or malformed.

    Read with ``allow_pickle=False``: an entry holding Python objects is refused, never loaded.
    The caller still checks the contents (shapes, keys) and recomputes what does not fit.
    """
    import numpy as np

    try:
        with np.load(Path(path), allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
        meta = json.loads(str(arrays.pop("__meta__")[()]))
    except Exception:  # missing, truncated, not an npz, object arrays, bad JSON: recompute
        return None
    return (meta, arrays) if isinstance(meta, dict) else None


def warn_unwritable(what: str, path: Path, exc: BaseException) -> None:
    """Warn that a cache entry could not be written (read-only folder, full disk): it only costs time."""
    import warnings

    warnings.warn(f"{what} cache not written ({path}: {type(exc).__name__}: {str(exc)[:160]}); "
                  "the result is used but will be computed again next run", RuntimeWarning, stacklevel=3)


def sweep_stale_temporaries(folder: Path, older_than_s: float = 3600.0) -> int:
    """Delete temporary files left by a killed writer (only old ones: a live writer may own a new one).

    Returns the number of files removed.
    """
    import time

    removed = 0
    cutoff = time.time() - older_than_s
    for tmp in Path(folder).rglob(".*.tmp"):
        try:
            if tmp.stat().st_mtime < cutoff:
                tmp.unlink()
                removed += 1
        except OSError:
            pass
    return removed


def package_fingerprint(root: str | os.PathLike[str] | None = None) -> str:
    """Hash of the installed musiccluster source files (all ``*.py`` below ``root``).

    Cached results include it in their keys, so editing the library can never
    show numbers computed by an older version (the stale-cache trap of
    Jupyter Book's ``cache`` mode).
    """
    root = Path(root) if root is not None else Path(__file__).resolve().parent
    return source_fingerprint(*sorted(f.relative_to(root).as_posix() for f in root.rglob("*.py")), root=root)


def source_fingerprint(*names: str, root: str | os.PathLike[str] | None = None) -> str:
    """Hash of some source files of the package (names relative to ``root``, default: the package)."""
    root = Path(root) if root is not None else Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for name in names:
        digest.update(name.encode())
        digest.update((root / name).read_bytes())
    return digest.hexdigest()[:16]
