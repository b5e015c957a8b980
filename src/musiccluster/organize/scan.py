"""Where ``musiccluster cluster`` may write, and what the music folder holds.

Command: ``musiccluster cluster``. Nothing is ever written inside the music folder: an output (or
cache) folder inside it is refused with :class:`~musiccluster.errors.ParameterError` before any
audio is read, including one reached through a symbolic link inside the folder. The folder is
listed by the one walk of :func:`musiccluster.data.corpus.list_folder`, which also names every
item it leaves out (for ``skipped.csv``).
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path
from typing import Callable

from .._constants import AUDIO_EXTENSIONS
from ..cache import ENV_VAR
from ..cache import cache_dir as _cache_dir
from ..data.corpus import FolderListing, list_folder
from ..errors import DataError, ParameterError


def inside(path: Path, folder: Path) -> bool:
    """Whether ``path`` is ``folder`` or under it (both resolved). Command: ``musiccluster cluster``."""
    return path == folder or path.is_relative_to(folder)


def _nearest_existing(path: Path) -> Path:
    path = Path(os.path.abspath(path))
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def check_output_location(music_dir: str | os.PathLike[str], out_dir: str | os.PathLike[str],
                          name: str = "out", visited: set[tuple[int, int]] | None = None) -> None:
    """Refuse an output folder inside the music folder (musiccluster never writes there).

    Command: ``musiccluster cluster`` (``--out``, ``--cache-dir``).

    Parameters
    ----------
    music_dir, out_dir : path-like
    name : str
        Parameter name for the error message (``out``, ``cache_dir``).
    visited : set of (st_dev, st_ino), optional
        Folders the scan went through (including those reached through
        symbolic links inside the music folder). An ``out_dir`` that is, or
        would be created under, one of them is refused too.

    Raises
    ------
    ParameterError
    """
    music = Path(music_dir).expanduser().resolve()
    out = Path(out_dir).expanduser().resolve()
    message = (f"{out_dir} is inside the music folder {music_dir}; musiccluster never writes "
               f"inside the music folder: choose a folder outside it"
               + (" (--cache-dir DIR), or --no-cache" if name == "cache_dir" else ""))
    if inside(out, music):
        raise ParameterError(name, message)
    if visited:
        anchor = _nearest_existing(out)
        with contextlib.suppress(OSError):
            for folder in (anchor, *anchor.parents):
                st = folder.stat()
                if (st.st_dev, st.st_ino) in visited:
                    raise ParameterError(name, message + " (it is reached through a link in it)")


def scan_folder(music_dir: str | os.PathLike[str], progress: bool = False) -> FolderListing:
    """List the audio under ``music_dir`` and every item that will be ignored, with the reason.

    Command: ``musiccluster cluster``. One walk (:func:`musiccluster.data.corpus.list_folder`:
    recursive, symbolic-link loops followed once, hidden files and folders skipped), with a
    progress bar when ``progress``.

    Raises
    ------
    DataError
        If ``music_dir`` is not a folder.
    """
    from tqdm.auto import tqdm

    with tqdm(desc="scanning", unit="file", disable=not progress, leave=False) as bar:
        return list_folder(music_dir, on_folder=bar.update)


def cache_location(cache_dir: str | os.PathLike[str] | None) -> Path:
    """The folder :func:`musiccluster.cache.cache_dir` would use, without creating it.

    Command: ``musiccluster cluster`` (checked before it is created).
    """
    if cache_dir is not None:
        return Path(cache_dir).expanduser()
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR]).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("musiccluster", appauthor=False))


def prepare(music_dir: str | os.PathLike[str], out_dir: str | os.PathLike[str], cache: bool,
            cache_dir: str | os.PathLike[str] | None, progress: bool,
            log: Callable[[str], None]) -> tuple[FolderListing, Path, Path | None]:
    """The checks before any audio is read, and the scan: (listing, output folder, cache folder or None).

    Command: ``musiccluster cluster`` (both forms). Creates the output folder.

    Raises
    ------
    ParameterError
        An output or cache folder inside the music folder.
    DataError
        ``music_dir`` is not a folder, or holds no audio file.
    """
    music = Path(music_dir).expanduser()
    if not music.is_dir():
        raise DataError(f"not a folder: {music_dir}")
    check_output_location(music, out_dir, "out")
    cache_root = None
    if cache:
        check_output_location(music, cache_location(cache_dir), "cache_dir")  # before creating it
        cache_root = _cache_dir(cache_dir)
    t = time.perf_counter()
    scan = scan_folder(music, progress=progress)
    check_output_location(music, out_dir, "out", scan.visited)
    if cache_root is not None:
        check_output_location(music, cache_root, "cache_dir", scan.visited)
    log(f"found {len(scan.clips)} audio file(s) and {len(scan.ignored)} other item(s) under {scan.root} "
        f"({time.perf_counter() - t:.1f} s)")
    if not scan.clips:
        raise DataError(f"no audio files under {music_dir} (looked for "
                        f"{', '.join(e.lstrip('.') for e in AUDIO_EXTENSIONS)})")
    out = Path(out_dir).expanduser()
    out.mkdir(parents=True, exist_ok=True)
    return scan, out.resolve(), cache_root
