"""When a book build may reuse a chapter's outputs: jupyter-cache, keyed by what the numbers depend on.

Jupyter Book's ``cache`` mode (myst-nb + jupyter-cache) re-executes a chapter only when its code
cells change; alone it would keep numbers computed by an older library, corpus or environment
(why the book used ``force`` mode). Here the cache folder is named by a fingerprint of everything
else a chapter's outputs depend on, so a build reuses a chapter only when *nothing* it reads has
changed, and a change to any of them starts from an empty cache:

* every file of the installed ``musiccluster`` package (source, the soundfont, package data);
* the versions of the scientific stack (:func:`musiccluster.versions.versions`);
* the committed records the chapters read (``benchmarks/*.json``);
* each folder named by a chapter's ``data_dir`` parameter (names, sizes and modification times).

Chapter: the book build (``_config.yml``; ``musiccluster.book.sphinx`` connects it).
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import re
import shutil
from pathlib import Path
from typing import Any, Iterable

#: Distributions whose versions can change a number (or a figure) of the book.
STACK = ("torch", "numpy", "scipy", "scikit-learn", "librosa", "pandas", "matplotlib", "bokeh", "soundfile",
         "soxr", "symusic", "pretty_midi", "pymusly", "myst-nb", "jupyter-book")
#: The ``data_dir = ...`` line of a chapter's parameters cell.
_DATA_DIR = re.compile(r"^data_dir\s*=\s*(.+?)\s*(#.*)?$", re.MULTILINE)


def _package_files(root: Path) -> Iterable[Path]:
    for path in sorted(root.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix not in (".pyc", ".pyo"):
            yield path


def data_dirs(book_dir: str | os.PathLike[str]) -> list[str]:
    """The ``data_dir`` values (other than None) of the chapters' parameters cells.

    Chapter: the book build.
    """
    found = set()
    for chapter in sorted(Path(book_dir).glob("*.md")):
        for match in _DATA_DIR.finditer(chapter.read_text(encoding="utf-8", errors="replace")):
            try:
                value = ast.literal_eval(match.group(1))
            except (ValueError, SyntaxError):
                value = match.group(1)  # an expression: its text is what can be fingerprinted
            if value is not None:
                found.add(str(value))
    return sorted(found)


def _folder_signature(folder: Path, digest) -> None:
    digest.update(f"folder {folder}\n".encode())
    if not folder.is_dir():
        digest.update(b"absent\n")
        return
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames.sort()
        for name in sorted(filenames):
            try:
                st = os.stat(os.path.join(dirpath, name))
            except OSError:
                continue
            rel = os.path.relpath(os.path.join(dirpath, name), folder)
            digest.update(f"{rel}\t{st.st_size}\t{st.st_mtime_ns}\n".encode("utf-8", "surrogateescape"))


def book_fingerprint(book_dir: str | os.PathLike[str], project_dir: str | os.PathLike[str] | None = None,
                     package_dir: str | os.PathLike[str] | None = None) -> str:
    """Hash of everything but the chapters' own code that their outputs depend on (module docstring).

    Chapter: the book build.

    Parameters
    ----------
    book_dir : path
        The folder of the chapters (``book/``).
    project_dir : path, optional
        Where ``benchmarks/`` is (default: ``book_dir``'s parent).
    package_dir : path, optional
        The ``musiccluster`` package (default: the one imported).
    """
    from ..cache import source_fingerprint
    from ..versions import versions

    book_dir = Path(book_dir).resolve()
    project_dir = Path(project_dir) if project_dir is not None else book_dir.parent
    package_dir = Path(package_dir) if package_dir is not None else Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    names = [path.relative_to(package_dir).as_posix() for path in _package_files(package_dir)]
    digest.update(source_fingerprint(*names, root=package_dir).encode())
    digest.update(json.dumps(versions(STACK), sort_keys=True, default=str).encode())
    for record in sorted((project_dir / "benchmarks").glob("*.json")):
        digest.update(record.name.encode())
        digest.update(hashlib.sha256(record.read_bytes()).digest())
    for folder in data_dirs(book_dir):
        path = Path(folder)
        _folder_signature(path if path.is_absolute() else (book_dir / path), digest)
    return digest.hexdigest()[:16]


def cache_folder(outdir: str | os.PathLike[str], fingerprint: str) -> Path:
    """``_build/.jupyter_cache/<fingerprint>`` for an HTML output folder ``_build/html``.

    Chapter: the book build.
    """
    return Path(outdir).resolve().parent / ".jupyter_cache" / fingerprint


def prune(folder: Path, downloads: Path) -> list[Path]:
    """Delete the other fingerprints' caches beside ``folder`` (this tool wrote them: a folder named
    by a fingerprint that holds a jupyter-cache database), and ``folder`` itself when the build's
    downloads are gone (a reused chapter does not rewrite its downloads, so it must run again).
    Returns what was deleted.

    Chapter: the book build.
    """
    removed = []
    parent = folder.parent
    for other in sorted(parent.iterdir()) if parent.is_dir() else []:
        if (other.is_dir() and other != folder and re.fullmatch(r"[0-9a-f]{16}", other.name)
                and (other / "global.db").is_file()):
            shutil.rmtree(other, ignore_errors=True)
            removed.append(other)
    if folder.is_dir() and not downloads.is_dir():
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed


def use_fingerprinted_cache(app: Any, config: Any) -> None:
    """Sphinx ``config-inited``: in ``cache`` mode, point myst-nb's jupyter-cache at
    :func:`cache_folder` of :func:`book_fingerprint` (set ``execute.cache`` in ``_config.yml``
    to choose another folder yourself).

    Chapter: the book build (``_config.yml``).
    """
    if getattr(config, "nb_execution_mode", None) != "cache" or getattr(config, "nb_execution_cache_path", ""):
        return
    from .downloads import DOWNLOADS_DIR

    folder = cache_folder(app.outdir, book_fingerprint(app.srcdir))
    prune(folder, Path(app.outdir) / DOWNLOADS_DIR)
    config.nb_execution_cache_path = str(folder)
