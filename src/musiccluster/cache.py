"""Where musiccluster keeps what it computes once and reuses.

Used by the feature extractor (chapter *MFCC features*), the default corpus
generator (chapter *Data and augmentation*) and the experiment cache shared by
all book chapters.

The cache folder is, in order of precedence:

1. an explicit ``cache_dir`` argument (the CLI's ``--cache-dir``);
2. the ``MUSICCLUSTER_CACHE`` environment variable;
3. the user's cache folder (``~/.cache/musiccluster`` on Linux, via platformdirs).

Every file is written atomically (to a temporary name in the same folder, then
renamed), so an interrupted run never leaves a partial entry behind.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import tempfile
from pathlib import Path
from typing import Any

import platformdirs

ENV_VAR = "MUSICCLUSTER_CACHE"


def cache_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """Return (and create) the cache folder.

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
    path = path.expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


def stable_hash(obj: Any, length: int = 16) -> str:
    """Hex digest of a JSON-serialisable object (keys sorted), for cache keys."""
    text = json.dumps(obj, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the whole new one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def atomic_pickle(path: Path, obj: Any) -> None:
    """Pickle ``obj`` to ``path`` atomically."""
    atomic_write_bytes(path, pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL))


def load_pickle(path: Path) -> Any | None:
    """Load a pickle written by :func:`atomic_pickle`; ``None`` if missing or unreadable."""
    try:
        with open(path, "rb") as fh:
            return pickle.load(fh)
    except (FileNotFoundError, EOFError, pickle.UnpicklingError, AttributeError,
            ImportError, IndexError, TypeError, ValueError):
        return None


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
