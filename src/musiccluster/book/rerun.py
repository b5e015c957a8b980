"""Rerun the whole book with other parameters (``make rerun`` / ``musiccluster report``).

Each chapter (a Jupytext MyST file) is converted in memory with jupytext, executed by
papermill with the overridden parameters and written to ``runs/<name>/book/<chapter>.ipynb``;
then Jupyter Book renders those executed notebooks (execution off) into
``runs/<name>/_build/html``. The default book is never touched, and the chapters share one
training run through the experiment cache.

The chapters run into a new folder (``runs/<name>/.book-new-*``); only when every chapter has
run does it replace ``runs/<name>/book/``, and only if that folder holds the marker
(:data:`MARKER`) an earlier run wrote: a ``book/`` this tool did not write is refused before any
chapter runs, and a failed run leaves the earlier book as it was.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Mapping

from ..errors import MusicClusterError
from ..params import Params, parse_assignments
from .sphinx import quiet_kernels

#: The file that marks a folder of executed chapters as this tool's own (the only kind it deletes).
MARKER = ".musiccluster-report"
#: The repository this module was installed from (editable install).
ROOT = Path(__file__).resolve().parents[3]


def find_root(start: str | os.PathLike[str] | None = None) -> Path:
    """The repository holding the book: the first folder, from ``start`` (default: the
    current folder) upwards, with ``_toc.yml`` and ``book/``; else the installed one."""
    here = Path(start or os.getcwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "_toc.yml").is_file() and (folder / "book").is_dir():
            return folder
    if (ROOT / "_toc.yml").is_file() and (ROOT / "book").is_dir():
        return ROOT
    raise MusicClusterError("cannot find the book (a folder with _toc.yml and book/); "
                            "run this from the musiccluster repository")


def book_chapters(root: Path | None = None) -> list[str]:
    """Chapter names (without extension) in table-of-contents order."""
    import yaml

    root = find_root() if root is None else Path(root)
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    names = [toc["root"]]

    def walk(entries: list) -> None:
        for entry in entries or []:
            if "file" in entry:
                names.append(entry["file"])
            walk(entry.get("sections", []))

    walk(toc.get("chapters", []))
    for part in toc.get("parts", []):
        walk(part.get("chapters", []))
    return names


def _hide_injected_parameters(path: Path) -> None:
    """Hide papermill's injected-parameters cell in the rendered page (the intro shows a table)."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        tags = cell.get("metadata", {}).get("tags", [])
        if "injected-parameters" in tags and "remove-cell" not in tags:
            cell["metadata"]["tags"] = [*tags, "remove-cell"]
    nbformat.write(nb, path)


def is_own_book(folder: Path) -> bool:
    """Whether ``folder`` is a real folder holding :data:`MARKER`. Command: ``musiccluster report``."""
    return folder.is_dir() and not folder.is_symlink() and (folder / MARKER).is_file()


def _new_book_folder(run: Path) -> Path:
    """A fresh folder for this run's chapters, marked; earlier runs' leftovers (marked) removed."""
    import tempfile

    run.mkdir(parents=True, exist_ok=True)
    for old in run.glob(".book-new-*"):
        if is_own_book(old):
            shutil.rmtree(old, ignore_errors=True)
    out = Path(tempfile.mkdtemp(prefix=".book-new-", dir=run))
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(out, 0o777 & ~mask)  # mkdtemp's 0700 would hide the book from a web server
    (out / MARKER).write_text("executed chapters written by musiccluster report\n")
    return out


def _replace_book(new: Path, final: Path) -> Path:
    """Put the finished ``new`` in place of ``final`` (deleted only when it is this tool's own)."""
    if final.exists() or final.is_symlink():
        if not is_own_book(final):
            raise MusicClusterError(f"{final} appeared during the run and was not written by "
                                    f"musiccluster report; the executed chapters are in {new}")
        shutil.rmtree(final)
    new.rename(final)
    return final


def rerun_book(name: str, overrides: Mapping[str, Any] | list[str] | str, *, root: Path | None = None,
               runs_dir: Path | None = None, build: bool = True, progress: bool = True) -> Path:
    """Execute every chapter with ``overrides`` and build the run's own HTML book.

    Parameters
    ----------
    name : str
        Run name; outputs go to ``<runs_dir>/<name>/``.
    overrides : mapping or list of "NAME=VALUE"
        Parameter values; unknown names and invalid values fail before anything runs,
        with a message naming the parameter.
    root : Path, optional
        The repository (default: found from the current folder).
    runs_dir : Path, optional
        Default ``<root>/runs``.
    build : bool
        Also render HTML (otherwise only the executed notebooks).

    Returns
    -------
    Path
        ``<runs_dir>/<name>/_build/html/index.html`` (or the notebook folder when ``build`` is False).
    """
    import jupytext
    import papermill
    import yaml

    if not name or any(c in name for c in "/\\") or name.startswith(".") or name != name.strip():
        raise MusicClusterError(f"invalid run name {name!r}: use letters, digits, '-' or '_'")
    values = dict(overrides) if isinstance(overrides, Mapping) else parse_assignments(overrides)
    params = Params.from_dict(values)  # fail fast, naming the parameter
    typed = {k: getattr(params, k) for k in values}
    root = find_root() if root is None else Path(root).resolve()
    run = (Path(runs_dir) if runs_dir else root / "runs").resolve() / name
    final = run / "book"
    if (final.exists() or final.is_symlink()) and not is_own_book(final):
        raise MusicClusterError(f"{final} exists and was not written by musiccluster report "
                                f"(no {MARKER} in it): move it away or choose another --name")
    out = _new_book_folder(run)
    quiet_kernels()
    for chapter in book_chapters(root):
        src = root / "book" / f"{chapter}.md"
        nb = jupytext.read(src)
        if not any(c.cell_type == "code" for c in nb.cells):
            shutil.copy(src, out / src.name)  # plain page (e.g. the references)
            continue
        has_params = any("parameters" in c.get("metadata", {}).get("tags", []) for c in nb.cells)
        if progress:
            print(f"running {chapter} ...", file=sys.stderr, flush=True)
        target = out / f"{chapter}.ipynb"
        try:
            papermill.execute_notebook(nb, str(target), parameters=typed if has_params else {},
                                       kernel_name="python3", cwd=str(root / "book"), progress_bar=False,
                                       log_output=False)
        except papermill.PapermillExecutionError as exc:
            raise MusicClusterError(f"chapter '{chapter}' failed: {exc.ename}: {exc.evalue} "
                                    f"(executed notebook: {target})") from None
        _hide_injected_parameters(target)
    shutil.copy(root / "book" / "references.bib", out / "references.bib")
    if (root / "book" / "_static").is_dir():
        shutil.copytree(root / "book" / "_static", out / "_static", dirs_exist_ok=True)
    config = yaml.safe_load((root / "_config.yml").read_text())
    config.setdefault("execute", {})["execute_notebooks"] = "off"
    config["title"] = f"{config.get('title', 'musiccluster')} (run '{name}')"
    (out / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True))
    (out / "_toc.yml").write_text((root / "_toc.yml").read_text())
    out = _replace_book(out, final)
    if not build:
        return out
    # runs/<name>/book is a complete book: `jupyter-book build runs/<name>/book` rebuilds it by hand
    cmd = [str(Path(sys.executable).parent / "jupyter-book"), "build", str(out), "--path-output", str(run)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=str(root))
    index = run / "_build" / "html" / "index.html"
    if proc.returncode != 0 or not index.exists():
        raise MusicClusterError(f"building the run's book failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return index
