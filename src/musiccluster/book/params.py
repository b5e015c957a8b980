"""The chapters' parameters, in one place.

Every chapter starts with the same ``parameters`` cell (papermill overrides it; papermill needs
the values as literals in the notebook, so the cell cannot import them). That cell is generated
from :class:`~musiccluster.params.Params` by :func:`parameters_cell`; ``python -m
musiccluster.book.params --write`` (``make chapter-params``) rewrites it in every chapter after
a default changes, and a test fails while any chapter's cell differs. A chapter may add settings
of its own below the shared lines. The chapter then calls :func:`chapter_params` to validate.
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
from pathlib import Path
from typing import Any, Iterable, Mapping

import pandas as pd

from ..errors import ParameterError
from ..params import Params


#: First line of the shared part of every chapter's ``parameters`` cell.
PARAMETERS_COMMENT = "# Parameters (the paper's protocol). papermill and `make rerun` override them."


def parameters_cell(params: Params | None = None) -> list[str]:
    """The shared lines of a chapter's ``parameters`` cell: the comment, then ``name = value``.

    Chapter: every chapter (its first cell).
    """
    values = (params or Params()).to_dict()
    return [PARAMETERS_COMMENT] + [f"{name} = {_literal(value)}" for name, value in values.items()]


def _literal(value: Any) -> str:
    return json.dumps(value) if isinstance(value, str) else repr(value)


def sync_parameter_cells(book_dir: str | Path, write: bool = False) -> list[Path]:
    """Chapters of ``book_dir`` whose ``parameters`` cell differs from :func:`parameters_cell`.

    With ``write``, their shared lines are replaced by the generated ones (lines a chapter adds
    below them are kept). A chapter without a ``parameters`` cell is not touched.
    """
    wanted = parameters_cell()
    stale = []
    for path in sorted(Path(book_dir).glob("*.md")):
        lines = path.read_text(encoding="utf-8").split("\n")
        try:
            tag = next(i for i, line in enumerate(lines) if line.startswith(":tags: [parameters"))
        except StopIteration:
            continue
        start = tag + 2  # the tag line, a blank line, then the cell's code
        end = start
        while end < len(lines) and lines[end] != "```" and (end - start < len(wanted)):
            end += 1
        if lines[start:end] != wanted:
            stale.append(path)
            if write:
                lines[start:end] = wanted
                path.write_text("\n".join(lines), encoding="utf-8")
    return stale


def main(argv: list[str] | None = None) -> int:
    """``python -m musiccluster.book.params [--write] [BOOK_DIR]``: check (or rewrite) the cells.

    Chapter: every chapter (its first cells).
    """
    ap = argparse.ArgumentParser(description=main.__doc__)
    ap.add_argument("book_dir", nargs="?", default="book")
    ap.add_argument("--write", action="store_true", help="rewrite the stale cells")
    args = ap.parse_args(argv)
    stale = sync_parameter_cells(args.book_dir, write=args.write)
    for path in stale:
        print(f"{'rewrote' if args.write else 'stale'}: {path}")
    return 1 if stale and not args.write else 0


def chapter_params(namespace: Mapping[str, Any], extra: Iterable[str] = ()) -> Params:
    """Build and validate :class:`Params` from a chapter's global variables.

    Only the names of :class:`Params` are read; an invalid value raises a
    :class:`~musiccluster.errors.ParameterError` naming the parameter, which
    fails the chapter (and the book build) at its first cell. A name that
    papermill injected (``-p NAME VALUE``) but that is neither a parameter nor
    one of the chapter's own settings in ``extra`` fails the same way: papermill
    itself only logs a typo and would run the defaults. It also sets the book's figure style
    (:mod:`musiccluster.style`: fonts, colours) and, in a kernel, SVG output
    (:func:`~musiccluster.book.figures.use_book_style`).
    """
    import matplotlib.pyplot as plt

    from .. import style
    from .figures import use_book_style

    extra = tuple(extra)
    unknown = sorted(set(injected_names(namespace)) - set(Params.names()) - set(extra))
    if unknown:
        known = ", ".join([*Params.names(), *extra])
        raise ParameterError(unknown[0], f"unknown parameter (known: {known})")
    plt.rcParams.update({"figure.dpi": 110, "savefig.dpi": 200,  # 200: the SVGs' bitmap layers (scatter points) "axes.spines.top": False,
                         "axes.spines.right": False, **style.rc_params()})
    use_book_style()
    pd.set_option("display.precision", 4)
    pd.set_option("display.max_colwidth", None)  # never cut a cell with "..."
    return Params.from_dict({name: namespace[name] for name in Params.names() if name in namespace})


#: The first line of the cell papermill injects (tagged ``injected-parameters``).
PAPERMILL_HEADER = "# Parameters"


def injected_names(namespace: Mapping[str, Any]) -> list[str]:
    """Names assigned by papermill's injected-parameters cell, read from the kernel's input history.

    papermill writes that cell as ``# Parameters`` followed by one assignment per
    line; its text is in IPython's ``In`` list. Outside a papermill run: ``[]``.

    Chapter: every chapter (its first cells).
    """
    history = namespace.get("In")
    if not isinstance(history, list):
        return []
    names: list[str] = []
    for source in history:
        if not isinstance(source, str) or source.strip().splitlines()[:1] != [PAPERMILL_HEADER]:
            continue
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, ast.Assign):
                names += [t.id for t in node.targets if isinstance(t, ast.Name)]
    return names


def params_table(params: Params) -> pd.DataFrame:
    """The parameters of this build as a two-column table, marking values that differ from the paper's.

    Chapter: every chapter (its first cells).
    """
    default = Params()
    rows = [{"parameter": k, "value": "None (embedded corpus)" if (k == "data_dir" and v is None) else v,
             "paper / default": getattr(default, k), "changed": "" if v == getattr(default, k) else "◀ changed"}
            for k, v in params.to_dict().items()]
    return pd.DataFrame(rows).set_index("parameter")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
