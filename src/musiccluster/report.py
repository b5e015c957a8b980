"""Rerunning the whole book with other parameters (``make rerun`` / ``musiccluster report``).

Each chapter (a Jupytext MyST file) is converted in memory with jupytext,
executed by papermill with the overridden parameters, and written to
``runs/<name>/book/<chapter>.ipynb``; then Jupyter Book renders those executed
notebooks (execution off) into ``runs/<name>/_build/html``. The default book is
never touched, and chapters share one training run through the experiment cache.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Mapping

from .errors import MusicClusterError
from .params import Params, parse_assignments

ROOT = Path(__file__).resolve().parents[2]


def book_chapters(root: Path = ROOT) -> list[str]:
    """Chapter names (without extension) in table-of-contents order."""
    import yaml

    toc = yaml.safe_load((root / "_toc.yml").read_text())
    names = [toc["root"]]
    for entry in toc.get("chapters", []):
        names.append(entry["file"])
    return names


def rerun_book(name: str, overrides: Mapping[str, str] | list[str] | str, *, root: Path = ROOT,
               runs_dir: Path | None = None, build: bool = True, progress: bool = True) -> Path:
    """Execute every chapter with ``overrides`` and build the run's own HTML book.

    Parameters
    ----------
    name : str
        Run name; outputs go to ``runs/<name>/``.
    overrides : mapping or list of "NAME=VALUE"
        Parameter values; unknown names and invalid values fail before anything runs.
    build : bool
        Also render HTML (otherwise only the executed notebooks).

    Returns
    -------
    Path
        ``runs/<name>/_build/html/index.html`` (or the notebook folder when ``build`` is False).
    """
    import jupytext
    import papermill

    if not name or any(c in name for c in "/\\") or name.startswith("."):
        raise MusicClusterError(f"invalid run name {name!r}: use letters, digits, '-' or '_'")
    values = dict(overrides) if isinstance(overrides, Mapping) else parse_assignments(overrides)
    params = Params.from_dict(values)  # fail fast, naming the parameter
    typed = {k: getattr(params, k) for k in values}
    run = (runs_dir or root / "runs") / name
    out = run / "book"
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    for chapter in book_chapters(root):
        src = root / "book" / f"{chapter}.md"
        nb = jupytext.read(src)
        has_params = any("parameters" in c.get("metadata", {}).get("tags", []) for c in nb.cells)
        if progress:
            print(f"running {chapter} ...", file=sys.stderr, flush=True)
        try:
            papermill.execute_notebook(nb, str(out / f"{chapter}.ipynb"), parameters=typed if has_params else {},
                                       kernel_name="python3", cwd=str(root / "book"), progress_bar=False,
                                       log_output=False)
        except papermill.PapermillExecutionError as exc:
            raise MusicClusterError(f"chapter '{chapter}' failed: {exc.ename}: {exc.evalue} "
                                    f"(executed notebook: {out / (chapter + '.ipynb')})") from None
    shutil.copy(root / "book" / "references.bib", out / "references.bib")
    import yaml

    config = yaml.safe_load((root / "_config.yml").read_text())
    config["execute"]["execute_notebooks"] = "off"
    config["title"] = f"{config.get('title', 'musiccluster')} — run '{name}'"
    (run / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    (out / "_toc.yml").write_text((root / "_toc.yml").read_text())
    if not build:
        return out
    cmd = [str(Path(sys.executable).parent / "jupyter-book"), "build", str(out), "--config",
           str(run / "_config.yml"), "--path-output", str(run)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    index = run / "_build" / "html" / "index.html"
    if proc.returncode != 0 or not index.exists():
        raise MusicClusterError(f"building the run's book failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return index
