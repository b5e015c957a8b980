"""The book: every chapter runs under papermill, the real build reproduces Table 1 and Figure 1,
a failing chapter fails the build, and ``musiccluster report`` reruns the whole book.

The session-wide private cache of ``conftest.py`` (``MUSICCLUSTER_CACHE``) is inherited by the
kernels papermill and Jupyter Book start, so the chapters of one test share one training run.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
BIN = Path(sys.executable).parent
#: Small enough to render, extract and train in seconds, big enough for k = 5.
TINY = {"corpus_clips_per_style": 2, "corpus_duration": 6.0, "epochs": 2, "n_segments": 3}


def chapters() -> list[str]:
    from musiccluster.book.rerun import book_chapters

    return book_chapters(ROOT)


def code_chapters() -> list[str]:
    import jupytext

    return [c for c in chapters() if any(cell.cell_type == "code" for cell in jupytext.read(BOOK / f"{c}.md").cells)]


def run_chapter(name: str, parameters: dict, out: Path):
    import jupytext
    import papermill

    from musiccluster.book.sphinx import quiet_kernels

    quiet_kernels()
    return papermill.execute_notebook(jupytext.read(BOOK / f"{name}.md"), str(out / f"{name}.ipynb"),
                                      parameters=parameters, kernel_name="python3", cwd=str(BOOK),
                                      progress_bar=False)


def visible_stderr(nb) -> list[str]:
    """stderr printed by cells whose output the book shows."""
    found = []
    for cell in nb.cells:
        if cell.cell_type != "code" or {"remove-cell", "remove-output"} & set(cell.metadata.get("tags", [])):
            continue
        found += [o.get("text", "") for o in cell.get("outputs", []) if o.get("name") == "stderr"]
    return found


def n_images(nb) -> int:
    """Image outputs (SVG or PNG), shown or glued (figures must render even where MPLBACKEND=Agg, as in CI)."""
    return sum(any(key.endswith(("image/png", "image/svg+xml")) for key in o.get("data", {}))
               for cell in nb.cells for o in cell.get("outputs", []))


def fmt_table1(result) -> list[str]:
    """This run's Table-1 values as the book prints them."""
    t = result.table1()
    return [f"{v:.4f}" for v in t["silhouette"]] + [f"{v:.1f}" for v in t["calinski_harabasz"]]


# ------------------------------------------------------------------ fast checks
def test_every_chapter_has_one_parameters_cell_with_the_params_defaults():
    import jupytext

    from musiccluster.params import Params

    for name in code_chapters():
        nb = jupytext.read(BOOK / f"{name}.md")
        assert nb.metadata["kernelspec"]["name"] == "python3"
        assert nb.metadata["kernelspec"]["language"] == "python"
        cells = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(cells) == 1, f"{name}: {len(cells)} cells tagged parameters"
        namespace: dict = {}
        exec(cells[0].source, namespace)
        values = {k: namespace[k] for k in Params.names()}
        assert values == Params().to_dict(), f"{name}: parameters cell differs from Params()"
        assert "musiccluster" in "".join(c.source for c in nb.cells if c.cell_type == "code")


def test_toc_lists_every_chapter_file_and_the_bibliography():
    names = chapters()
    assert names[0] == "intro"
    for expected in ("data", "features", "vae", "experiments", "results", "listening", "references"):
        assert expected in names
    assert names.index("results") < names.index("listening")
    if (BOOK / "evaluation.md").exists():
        assert names.index("results") < names.index("evaluation") < names.index("listening")
    for name in names:
        assert (BOOK / f"{name}.md").is_file(), name
    assert "{bibliography}" in (BOOK / "references.md").read_text()


def test_report_rejects_an_unknown_parameter_naming_it(tmp_path, capsys):
    from musiccluster.cli import main

    assert main(["report", "--name", "x", "--runs-dir", str(tmp_path), "epochz=3"]) == 2
    assert "epochz" in capsys.readouterr().err
    assert main(["report", "--name", "x", "--runs-dir", str(tmp_path), "epochs=0"]) == 2
    assert "parameter 'epochs'" in capsys.readouterr().err
    assert not any(tmp_path.iterdir()), "nothing may run before the parameters are valid"


# ----------------------------------------------------------- chapters, papermill
@pytest.mark.slow
def test_every_chapter_runs_under_papermill_with_tiny_parameters(tmp_path):
    from musiccluster.experiment import run_experiment

    figures = {"data": 1, "features": 3, "vae": 1, "experiments": 1, "results": 2, "evaluation": 2, "listening": 1}
    for name in code_chapters():
        nb = run_chapter(name, TINY, tmp_path)
        assert not visible_stderr(nb), f"{name} shows stderr: {visible_stderr(nb)}"
        assert n_images(nb) >= figures.get(name, 0), f"{name}: figures missing"
    results = (tmp_path / "results.ipynb").read_text()
    for value in fmt_table1(run_experiment(TINY, progress=False)):
        assert value in results


@pytest.mark.slow
def test_chapters_run_on_a_feature_table_without_audio(tmp_path):
    """data_dir may be a Kaggle-style CSV: chapters skip waveforms and players with a note."""
    from musiccluster.dataset import load_data
    from musiccluster.features.kaggle import write_kaggle_csv
    from musiccluster.params import Params

    csv = write_kaggle_csv(load_data(Params.from_dict(TINY), progress=False), tmp_path / "features.csv")
    for name in ("intro", "data", "features", "results", "listening"):
        nb = run_chapter(name, {"data_dir": str(csv), "epochs": 2}, tmp_path)
        text = str(nb)
        if name in ("data", "features", "listening"):
            assert "feature table" in text and "<audio" not in text


# ------------------------------------------------------------------- the build
@pytest.mark.slow
def test_a_failing_chapter_fails_the_build(tmp_path):
    book = tmp_path / "book"
    book.mkdir()
    for name in ("_config.yml", "_toc.yml"):
        shutil.copy(ROOT / name, book / name)
    shutil.copy(BOOK / "references.bib", book / "references.bib")
    (book / "_toc.yml").write_text("format: jb-book\nroot: intro\n")
    header = (BOOK / "intro.md").read_text().split("---", 2)[1]
    page = "---{}---\n\n# A chapter\n\n```{{code-cell}} ipython3\n{}\n```\n"
    (book / "intro.md").write_text(page.format(header, "x = 1 + 1"))
    cmd = [str(BIN / "jupyter-book"), "build", str(book), "--path-output", str(tmp_path / "ok")]
    good = subprocess.run(cmd, capture_output=True, text=True)
    assert good.returncode == 0, good.stdout[-3000:] + good.stderr[-3000:]
    (book / "intro.md").write_text(page.format(header, 'raise RuntimeError("chapter failed on purpose")'))
    for extra in ([], ["--keep-going"]):  # the README's command, and `make book`'s
        bad = subprocess.run([*cmd[:-1], str(tmp_path / f"bad{len(extra)}"), *extra], capture_output=True, text=True)
        assert bad.returncode != 0
        assert "chapter failed on purpose" in bad.stdout + bad.stderr


@pytest.mark.slow
def test_a_rebuild_reexecutes_a_chapter_whose_data_changed_and_reuses_it_otherwise(tmp_path):
    """Rebuilding into the same output folder must not keep a chapter's old outputs when only what
    it computes from changed and its text did not (here: a file in the chapter's data_dir; the library,
    the stack's versions and the records are the fingerprint's other parts, tests/test_execution_cache.py);
    with nothing changed, the chapter is reused, not executed again."""
    book = tmp_path / "book"
    book.mkdir()
    shutil.copy(ROOT / "_config.yml", book / "_config.yml")
    shutil.copy(BOOK / "references.bib", book / "references.bib")
    (book / "_toc.yml").write_text("format: jb-book\nroot: intro\n")
    header = (BOOK / "intro.md").read_text().split("---", 2)[1]
    data = tmp_path / "music"
    data.mkdir()
    source = data / "value.txt"
    cell = f"data_dir = {str(data)!r}\nprint('value=' + open(data_dir + '/value.txt').read())"
    (book / "intro.md").write_text(f"---{header}---\n\n# A chapter\n\n```{{code-cell}} ipython3\n{cell}\n```\n")
    cmd = [str(BIN / "jupyter-book"), "build", str(book), "--path-output", str(tmp_path / "out")]
    page = tmp_path / "out" / "_build" / "html" / "intro.html"
    for value in ("first", "second", None):
        if value is not None:
            source.write_text(value)
        proc = subprocess.run(cmd, capture_output=True, text=True)
        log = proc.stdout + proc.stderr
        assert proc.returncode == 0, log[-3000:]
        assert f"value={value or 'second'}" in page.read_text()
        assert ("Using cached notebook" in log) == (value is None), log[-3000:]
    assert "outputs reused from the run of" in page.read_text()


@pytest.mark.slow
def test_formulas_render_without_internet(tmp_path):
    """MathJax is served from the book, not a CDN: an offline reader sees typeset formulas."""
    book = tmp_path / "book"
    book.mkdir()
    shutil.copy(ROOT / "_config.yml", book / "_config.yml")
    shutil.copy(BOOK / "references.bib", book / "references.bib")
    (book / "_toc.yml").write_text("format: jb-book\nroot: intro\n")
    (book / "intro.md").write_text("# Formulas\n\n$$\\mathcal{L} = \\lVert x - \\hat x \\rVert^2 + \\beta\\,"
                                   "\\mathrm{KL}$$\n")
    proc = subprocess.run([str(BIN / "jupyter-book"), "build", str(book), "--path-output", str(tmp_path / "out")],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    html = tmp_path / "out" / "_build" / "html"
    page = (html / "intro.html").read_text()
    assert "cdn.jsdelivr.net" not in page and 'src="_static/mathjax/tex-chtml.js' in page
    assert (html / "_static" / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2").is_dir()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if chromium:  # typeset by MathJax (this machine has no internet: it can only be the local copy)
        dom = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                              "--disable-background-networking", f"--user-data-dir={tmp_path / 'profile'}",
                              "--virtual-time-budget=10000", "--dump-dom", (html / "intro.html").as_uri()],
                             capture_output=True, text=True, timeout=120).stdout
        assert "<mjx-container" in dom


@pytest.mark.slow
def test_the_book_builds_without_warnings_and_shows_table1_and_figure1(built_book, tmp_path):
    """The README's build command on the default corpus (into a temporary output folder)."""
    from musiccluster.experiment import run_experiment

    log = built_book.log
    assert built_book.returncode == 0, log[-5000:]
    warnings = [line for line in log.splitlines() if re.search(r"WARNING|ERROR", line)]
    assert not warnings, "\n".join(warnings)
    html = built_book.html
    page = (html / "results.html").read_text()
    table = page[page.index('id="table-1"'):page.index('id="a-figure-1-analogue"')]
    for value in ("0.4811", "0.3015", "8788.7", "2200.9", *fmt_table1(run_experiment(progress=False))):
        assert f">{value}<" in table, value
    figure = re.search(r'<figure[^>]*id="fig-figure1".*?</figure>', page, re.S)
    assert figure and re.search(r'<img[^>]+src="[^"]+\.svg"', figure.group(0))  # vector figures (issue 14)
    assert re.search(r'<img[^>]+alt="[^"]*VAE', figure.group(0))  # alt text that says what is drawn
    assert (html / "listening.html").read_text().count("<audio") >= 5
    intro = re.sub(r"<[^>]+>", "", (html / "intro.html").read_text())  # text only (code is highlighted)
    assert "synthetic stand-in" in intro and 'make rerun NAME=gtzan PARAMS="data_dir=' in intro
    # issue 14: provenance and downloads on the pages, no source maps, the maps' excerpts beside them
    downloads = html / "_static" / "downloads"
    for name in ("intro", "results", "evaluation", "listening"):
        text = (html / f"{name}.html").read_text()
        assert 'class="mc-provenance"' in text and "scikit-learn" in text and "this chapter ran" in text, name
        assert f'href="_static/downloads/{name}.ipynb"' in text and (downloads / f"{name}.ipynb").is_file(), name
    for rel in ("results/result.json", "results/eval.json", "results/segments.csv", "evaluation/eval.json",
                "listening/segments.csv", "corpus.json"):
        assert (downloads / rel).is_file(), rel
    assert 'href="_static/downloads/results/segments.csv"' in page
    assert not list(html.rglob("*.map")) and len(list((downloads / "excerpts").glob("*.ogg"))) >= 10
    # the theme's icons come from its CSS web font: no page loads Font Awesome's 1.5 MB script
    assert not (html / "_static" / "scripts" / "fontawesome.js").exists()
    assert not [p.name for p in html.glob("*.html") if "fontawesome.js" in p.read_text()]
    assert '<i class="fa-solid' in page or '<i class="fas' in page  # icons are still there, as elements
    browser_check(html / "results.html", tmp_path / "results.png")


def browser_check(page: Path, png: Path) -> None:
    """Render the page in headless Chromium (where installed) and check that the figures drew:
    a page of text alone has a few hundred colours, scatter plots add thousands."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if chromium is None:
        return
    from PIL import Image

    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    f"--user-data-dir={png.parent / 'chromium-profile'}", "--window-size=1300,2600",
                    f"--screenshot={png}", page.as_uri()], capture_output=True, timeout=120)
    assert png.is_file(), "headless Chromium wrote no screenshot"
    with Image.open(png) as im:
        colours = im.convert("RGB").getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 2000, f"{page.name}: figures did not render ({len(colours or [])} colours)"


# ------------------------------------------------------------------- reruns
@pytest.mark.slow
def test_musiccluster_report_reruns_the_book_with_other_parameters(tmp_path):
    from musiccluster.experiment import run_experiment

    params = {**TINY, "k": 4, "seed": 1}
    args = [f"{k}={v}" for k, v in params.items()]
    proc = subprocess.run([str(BIN / "musiccluster"), "report", "--name", "tiny", "--runs-dir", str(tmp_path),
                           *args], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    index = tmp_path / "tiny" / "_build" / "html" / "index.html"
    assert index.exists() and str(index) in proc.stdout
    html = index.parent
    page = (html / "results.html").read_text()
    for value in ("0.4811", *fmt_table1(run_experiment(params, progress=False))):
        assert f">{value}<" in page, value
    intro = (html / "intro.html").read_text()
    assert intro.count("◀ changed") == len(params)
    assert "injected-parameters" not in (html / "results.html").read_text()


def test_every_chapter_parameters_cell_is_the_generated_one(tmp_path):
    """The parameters cell of every chapter comes from one place (Params' defaults)."""
    from musiccluster.book.params import parameters_cell, sync_parameter_cells
    from musiccluster.params import Params

    assert sync_parameter_cells(BOOK) == []
    names = [line.split(" = ")[0] for line in parameters_cell()[1:]]
    assert names == Params.names()
    # a stale copy is found, and --write repairs it without touching the chapter's own settings
    for name in ("results.md", "evaluation.md"):
        shutil.copy(BOOK / name, tmp_path / name)
    text = (tmp_path / "evaluation.md").read_text()
    (tmp_path / "evaluation.md").write_text(text.replace("\nepochs = 20\n", "\nepochs = 3\n", 1))
    assert sync_parameter_cells(tmp_path) == [tmp_path / "evaluation.md"]
    assert sync_parameter_cells(tmp_path, write=True) == [tmp_path / "evaluation.md"]
    assert (tmp_path / "evaluation.md").read_text() == text
    assert sync_parameter_cells(tmp_path) == []
