"""Chapter helpers that put computed values into the prose: glue and admonitions."""

from __future__ import annotations

import numpy as np


def admonition(body: str, title: str | None = None, kind: str = "note"):
    """A MyST admonition as a cell output (rendered by the book, readable in Jupyter).

    For notes that depend on the data, e.g. "this corpus has no audio".

    Chapter: every chapter.
    """
    from IPython.display import Markdown

    head = f":::{{{kind}}}" if title is None else f":::{{admonition}} {title}\n:class: {kind}"
    return Markdown(f"{head}\n{body}\n:::\n")


def glue_md(name: str, text: str) -> str:
    """Glue a Markdown fragment for the ``{glue:md}`` role (bold, code, links survive).

    Chapter: every chapter.
    """
    from IPython.display import Markdown
    from myst_nb import glue

    glue(name, Markdown(text), display=False)
    return text


def glue_number(name: str, value: float, fmt: str = "{:.3f}", display: bool = False) -> str:
    """Glue a formatted number for ``{glue:text}`` in the prose; returns the text.

    Chapter: every chapter.
    """
    from myst_nb import glue

    text = fmt.format(value) if isinstance(value, (int, float, np.floating, np.integer)) else str(value)
    glue(name, text, display=display)
    return text


def glue_text(name: str, text: str) -> str:
    """Glue a computed sentence fragment (e.g. a verdict) for the prose.

    Chapter: every chapter.
    """
    from myst_nb import glue

    glue(name, text, display=False)
    return text
