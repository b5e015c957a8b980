"""A chapter formats, it does not compute: no pandas/numpy reductions in the chapters' code cells.

Every number a chapter shows comes from a tested library function (a wrong share once came from
``DataFrame.stack()`` in a chapter cell). This reads the ```` ```{code-cell} ```` blocks of the listed
chapters and fails on a call that computes on data.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

BOOK = Path(__file__).resolve().parents[1] / "book"
#: Chapters under the guard: every chapter of the book with code cells (a new chapter is guarded too).
CHAPTERS = sorted(p.name for p in BOOK.glob("*.md") if "```{code-cell}" in p.read_text(encoding="utf-8"))
#: Calls that compute on data; a chapter asks the library instead.
FORBIDDEN = {
    r"\.stack\(": "DataFrame.stack",
    r"\.corr\(": "correlation",
    r"\bcorrcoef\(": "correlation",
    r"\.(mean|median|std|var|sum|min|max|idxmin|idxmax|cumsum|prod)\(": "a reduction",
    r"(?<![\w.])(sum|min|max)\(": "a builtin reduction",
    r"\.(groupby|agg|aggregate|pivot_table|value_counts|nunique|crosstab)\(": "grouping / counting",
    r"\bpd\.crosstab\(": "grouping / counting",
    r"\bnp\.(?!nan\b)\w+": "numpy on data",
    r"^\s*import numpy": "numpy on data",
}
CELL = re.compile(r"^```\{code-cell\}[^\n]*\n(.*?)^```", re.S | re.M)


def code_cells(text: str) -> list[str]:
    """The source of every code cell of a MyST chapter, options (``:tags:``) removed."""
    return ["\n".join(line for line in body.splitlines() if not line.startswith(":"))
            for body in CELL.findall(text)]


def violations(source: str) -> list[str]:
    """``"line: what"`` for each forbidden call in one cell's source (comments ignored)."""
    found = []
    for line in source.splitlines():
        code = line.split("#", 1)[0]
        for pattern, what in FORBIDDEN.items():
            if re.search(pattern, code):
                found.append(f"{line.strip()}  <- {what}")
    return found


def test_the_guard_catches_the_old_correlation_cell():
    old = ("pairs = corr.where(np.triu(np.ones(corr.shape, dtype=bool), 1)).stack()\n"
           "glue_number('share_strong', 100 * (pairs.abs() > 0.5).mean(), '{:.0f}')\n"
           "clips.groupby('label').agg(n=('clip_id', 'size'))\n"
           "glue_number('n_params', sum(p.numel() for p in model.parameters()))\n")
    found = violations(old)
    assert any("DataFrame.stack" in v for v in found) and any("a reduction" in v for v in found)
    assert any("grouping" in v for v in found) and any("builtin" in v for v in found)
    assert not violations("glue_number('share', 100 * red.share_strong, '{:.1f}')  # .mean( in a comment")


def test_code_cells_are_found():
    cells = code_cells("text\n```{code-cell} ipython3\n:tags: [remove-cell]\n\nx = f(1)\n```\nmore\n")
    assert cells == ["\nx = f(1)"]


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_cells_do_not_compute(chapter):
    cells = code_cells((BOOK / chapter).read_text(encoding="utf-8"))
    assert len(cells) >= 3, f"{chapter}: no code cells found"
    bad = [v for cell in cells for v in violations(cell)]
    assert not bad, f"{chapter} computes in its cells (move it into a tested library function):\n" + "\n".join(bad)


def test_every_chapter_is_guarded():
    assert {"intro.md", "results.md", "evaluation.md", "data.md", "listening.md"} <= set(CHAPTERS)


def test_the_sizes_chapters_ask_for_instead_of_computing():
    from musiccluster.book.figures import tsne_points
    from musiccluster.evaluation.config import EvalConfig
    from musiccluster.evaluation.dimensionality import null_rows

    assert (tsne_points(150), tsne_points(10_000)) == (150, 400)
    assert (null_rows(1999), null_rows(3994)) == (1999, 2000)
    assert EvalConfig().k_range == (2, 12) and EvalConfig(k_sweep=()).k_range is None
