"""Writing a file the user named (``--out``, ``--json``, everything ``cluster`` writes into OUT).

Commands: ``musiccluster features --out``, ``experiment --json``, ``evaluate --json``, ``cluster``.
The cache keeps :func:`musiccluster.cache.atomic_write_bytes` (the cache is the tool's own); a
user's path gets these rules instead:

* a **regular file or a new path** is written atomically (a temporary file in the same folder,
  then a rename), so a reader sees the old or the whole new file. A new file gets the permissions
  the umask gives (``0666 & ~umask``, as ``open()`` would); an existing file keeps its mode;
* a **symbolic link** is written *through*: its target is replaced (by the rule above, in the
  target's folder) and the link is kept. A dangling link creates its target;
* a **device, FIFO or other special file** is written to directly, never replaced (``--out
  /dev/null`` or ``--out /dev/stdout`` work and stay what they are). A FIFO with no reader is
  refused (opening it would block), and so is a socket;
* a **folder** given as a file is a one-line error (:class:`OutputError`).
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING

from .cache import atomic_write_bytes
from .errors import MusicClusterError

if TYPE_CHECKING:
    import pandas as pd


class OutputError(MusicClusterError):
    """An output path that cannot be written (a folder, a FIFO nobody reads, a socket)."""


def default_mode() -> int:
    """``0666 & ~umask``: the permissions a new user file gets. Command: every output."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _write_special(path: str, data: bytes, st: os.stat_result) -> None:
    if stat.S_ISSOCK(st.st_mode):
        raise OutputError(f"{path} is a socket, not a file: give a file name")
    flags = os.O_WRONLY | (os.O_NONBLOCK if stat.S_ISFIFO(st.st_mode) else 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ENXIO:
            raise OutputError(f"{path} is a FIFO that no process reads: not written") from None
        raise OutputError(f"cannot write {path}: {exc.strerror}") from None
    try:
        os.set_blocking(fd, True)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


def _write_regular(path: Path, data: bytes, mode: int) -> None:
    atomic_write_bytes(path, data, mode=mode)


def write_user_file(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to the user's ``path`` by the rules of this module; return ``path``.

    Command: ``musiccluster features --out``, ``experiment --json``, ``evaluate --json`` and
    every file of ``musiccluster cluster``. Missing parent folders are created.

    Raises
    ------
    OutputError
        ``path`` is a folder, a socket, or a FIFO without a reader, or it cannot be written.
    """
    given = Path(path).expanduser()
    target = Path(os.path.realpath(given)) if given.is_symlink() else given
    try:
        st = os.stat(target)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise OutputError(f"cannot write {given}: {exc.strerror}") from None
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise OutputError(f"{given} is a folder: give a file name")
    if st is not None and not stat.S_ISREG(st.st_mode):
        _write_special(str(target), data, st)
        return given
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        _write_regular(target, data, stat.S_IMODE(st.st_mode) if st is not None else default_mode())
    except OSError as exc:
        raise OutputError(f"cannot write {given}: {exc.strerror or exc}") from None
    return given


#: First characters that make a spreadsheet evaluate a cell (OWASP, CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_escape(value: str) -> str:
    """``value`` with one ``'`` in front where a spreadsheet would evaluate it (``=1+1.wav``).

    A value that is already quotes followed by a formula character (``'=x``) gets one more, so
    :func:`spreadsheet_unescape` gives back exactly what was escaped. Commands ``features --out``,
    ``cluster`` (``assignments.csv``, ``skipped.csv``).
    """
    return "'" + value if value.lstrip("'").startswith(FORMULA_START) else value


def spreadsheet_unescape(value: str) -> str:
    """The inverse of :func:`spreadsheet_escape` (``'=1+1.wav`` -> ``=1+1.wav``); other text unchanged."""
    return value[1:] if value.startswith("'") and value.lstrip("'").startswith(FORMULA_START) else value



def spreadsheet_safe(df: "pd.DataFrame") -> "pd.DataFrame":
    """``df`` with every text cell escaped by :func:`spreadsheet_escape`; numbers are left alone.

    Commands ``features --out`` (read back by :func:`~musiccluster.features.kaggle.read_kaggle_csv`,
    which unescapes), ``cluster`` (``assignments.csv``, ``skipped.csv``).
    """
    out = df.copy()
    for col in text_columns(out):
        out[col] = out[col].map(lambda v: spreadsheet_escape(v) if isinstance(v, str) else v)
    return out


def text_columns(df: "pd.DataFrame") -> list[str]:
    """The columns of ``df`` that are not numeric."""
    import pandas as pd

    return [c for c in df.columns if not pd.api.types.is_numeric_dtype(df[c])]
