"""The report: what the chapters compute for their prose, the build's Sphinx hook, and reruns.

* Chapter helpers: :func:`admonition` (chapter notes that depend on the data),
  :func:`glue_md` (computed Markdown for the prose),
  :func:`table1_frame` and :func:`agreement` (chapter *Results*),
  :func:`null_silhouettes` and :func:`effective_dimensions` (the caveat in
  *Results*), :func:`skip_report_demo` (chapter *Data and augmentation*).
* :func:`setup`: a tiny Sphinx extension named in ``_config.yml``. It marks
  every page outdated on every build (Sphinx would otherwise re-execute only
  pages whose text changed, leaving old numbers in the others), and has the
  Jupyter kernels that execute the chapters use CurveZMQ transport keys, which
  keeps ipykernel's "running over TCP without encryption" warning out of the
  build log; it also serves MathJax from the book (``sphinx-mathjax-offline``'s
  files) so formulas render without internet.
* :func:`rerun_book` (``make rerun`` / ``musiccluster report``): each chapter
  (a Jupytext MyST file) is converted in memory with jupytext, executed by
  papermill with the overridden parameters and written to
  ``runs/<name>/book/<chapter>.ipynb``; then Jupyter Book renders those
  executed notebooks (execution off) into ``runs/<name>/_build/html``. The
  default book is never touched, and the chapters share one training run
  through the experiment cache.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping

import numpy as np
import pandas as pd

from . import __version__
from .errors import MusicClusterError
from .params import Params, parse_assignments

if TYPE_CHECKING:  # pragma: no cover
    from .experiment import ExperimentResult

#: The repository this module was installed from (editable install).
ROOT = Path(__file__).resolve().parents[2]


# --------------------------------------------------------------- chapter helpers
def admonition(body: str, title: str | None = None, kind: str = "note"):
    """A MyST admonition as a cell output (rendered by the book, readable in Jupyter).

    For notes that depend on the data, e.g. "this corpus has no audio".
    """
    from IPython.display import Markdown

    head = f":::{{{kind}}}" if title is None else f":::{{admonition}} {title}\n:class: {kind}"
    return Markdown(f"{head}\n{body}\n:::\n")


def glue_md(name: str, text: str) -> str:
    """Glue a Markdown fragment for the ``{glue:md}`` role (bold, code, links survive)."""
    from IPython.display import Markdown
    from myst_nb import glue

    glue(name, Markdown(text), display=False)
    return text


def table1_frame(result: "ExperimentResult") -> pd.DataFrame:
    """The paper's Table 1 beside this run's, formatted as printed (silhouette 4 decimals, CH 1).

    Rows: the two methods; columns: (metric, "paper" / "this run").
    """
    from .experiment import PAPER_TABLE1

    ours = result.table1()
    sil, ch = "{:.4f}".format, "{:.1f}".format
    df = pd.DataFrame({
        ("silhouette", "paper"): PAPER_TABLE1["silhouette"].map(sil),
        ("silhouette", "this run"): ours["silhouette"].map(sil),
        ("Calinski–Harabasz", "paper"): PAPER_TABLE1["calinski_harabasz"].map(ch),
        ("Calinski–Harabasz", "this run"): ours["calinski_harabasz"].map(ch),
    })
    df.columns = pd.MultiIndex.from_tuples(df.columns)
    df.index.name = None
    return df


def agreement(result: "ExperimentResult") -> dict[str, str]:
    """Plain-language comparison of this run with the paper's Table 1 (chapter *Results*).

    Returns
    -------
    dict
        ``verdict`` (Markdown sentence), ``sil_gap``, ``paper_sil_gap``,
        ``gap_share`` (this run's silhouette gap as a share of the paper's, in words),
        ``ch_ratio``, ``paper_ch_ratio`` and ``corpus_note``.
    """
    from .experiment import PAPER_TABLE1

    t, p = result.table1(), PAPER_TABLE1
    sv, sp = t["silhouette"].iloc[0], t["silhouette"].iloc[1]
    cv, cp = t["calinski_harabasz"].iloc[0], t["calinski_harabasz"].iloc[1]
    psv, psp = p["silhouette"].iloc[0], p["silhouette"].iloc[1]
    pcv, pcp = p["calinski_harabasz"].iloc[0], p["calinski_harabasz"].iloc[1]
    sil_ok, ch_ok = bool(sv > sp), bool(cv > cp)
    if sil_ok and ch_ok:
        verdict = ("**In direction, yes:** as in the paper, VAE + K-Means scores higher than PCA + K-Means "
                   "on both the silhouette and the Calinski–Harabasz index.")
    elif sil_ok:
        verdict = ("**Only partly:** the VAE's silhouette is higher than PCA's, as in the paper's Table 1, "
                   "but its Calinski–Harabasz index is lower, the reverse of what the paper's code printed.")
    elif ch_ok:
        verdict = ("**Only partly:** the VAE's Calinski–Harabasz index is higher than PCA's, as the paper's "
                   "code printed, but its silhouette is not, the reverse of the paper's Table 1.")
    else:
        verdict = ("**No:** PCA + K-Means scores at least as high as VAE + K-Means on both the silhouette "
                   "and the Calinski–Harabasz index, the opposite of the paper's claim.")
    if result.params.data_dir is None:
        note = ("This run used the synthetic stand-in corpus, not GTZAN, so its absolute values are not "
                "expected to match the paper's; what can be compared is the direction and rough size of "
                "the VAE-versus-PCA difference.")
    else:
        note = (f"This run used {result.data.source}; on GTZAN itself, the remaining differences measure "
                "how well the paper's recipe reproduces, including its unstated loss convention "
                "(`loss_reduction`).")
    gap, pgap = sv - sp, psv - psp
    return {
        "verdict": verdict, "sil_gap": f"{gap:+.4f}", "paper_sil_gap": f"{pgap:+.4f}",
        "gap_share": (f"{100 * gap / pgap:.0f} % of the paper's" if gap * pgap > 0
                      else "the opposite sign to the paper's" if gap * pgap < 0 else "no difference at all"),
        "ch_ratio": f"{cv / cp:.2f}",
        "paper_ch_ratio": f"{pcv / pcp:.2f}", "corpus_note": note,
    }


def null_silhouettes(dims: Iterable[int], k: int = 5, n: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Silhouette and CH of K-Means on a single Gaussian blob (no clusters at all), per dimension.

    Shows that these scores depend on the space they are measured in: a
    lower-dimensional space scores higher on structureless data.
    """
    from .cluster import kmeans
    from .metrics import internal_scores

    rows = []
    rng = np.random.default_rng(seed)
    for d in sorted(set(int(d) for d in dims)):
        Z = rng.standard_normal((n, d))
        scores = internal_scores(Z, kmeans(Z, k, seed).labels_, seed)
        rows.append({"dimensions": d, "silhouette": scores["silhouette"],
                     "calinski_harabasz": scores["calinski_harabasz"]})
    return pd.DataFrame(rows).set_index("dimensions")


def effective_dimensions(Z: np.ndarray) -> float:
    """Participation ratio of an embedding's covariance spectrum, ``(Σλ)² / Σλ²``.

    Between 1 (all variance on one axis) and the number of dimensions (variance spread evenly).
    """
    lam = np.clip(np.linalg.eigvalsh(np.cov(np.asarray(Z, dtype=np.float64), rowvar=False)), 0, None)
    return float(lam.sum() ** 2 / (lam ** 2).sum()) if lam.sum() > 0 else float("nan")


def skip_report_demo(n_segments: int = 10, min_segment_s: float = 1.0) -> tuple[pd.DataFrame, int]:
    """Run the feature extractor on a folder of deliberately bad files (chapter *Data*).

    The folder holds one good tone, and an empty, a silent, a too-short and a
    not-audio file. Returns the skip report (file name, reason) and the number
    of clips that were used.
    """
    import soundfile as sf

    from ._constants import SR
    from .corpus import find_clips
    from .features import extract_features

    seconds = max(n_segments * max(min_segment_s, 0.1), 1.0)
    t = np.arange(int((seconds + 1) * SR)) / SR
    tone = (0.3 * np.sin(2 * np.pi * 220 * t) * (1 + 0.5 * np.sin(2 * np.pi * 0.7 * t))).astype(np.float32)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "demo"
        folder.mkdir()
        sf.write(folder / "good.wav", tone, SR)
        sf.write(folder / "silent.wav", np.zeros_like(tone), SR)
        sf.write(folder / "short.wav", tone[: max(1, int(0.4 * seconds * SR))], SR)
        (folder / "empty.wav").write_bytes(b"")
        (folder / "notes.wav").write_bytes(b"these are liner notes, not audio\n" * 20)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fs = extract_features(find_clips(folder), n_segments, 13, min_segment_s, cache=False,
                                  n_jobs=1, progress=False)
    report = pd.DataFrame({"file": [Path(p).name for p in fs.skipped["path"]],
                           "reason": fs.skipped["reason"].to_list()})
    return report, fs.n_clips


# ------------------------------------------------------------------ Sphinx hook
def quiet_kernels() -> None:
    """Have Jupyter kernel managers provision CurveZMQ keys where pyzmq supports them.

    ipykernel 7 logs a warning when a kernel talks over plain TCP; with keys it
    encrypts instead and stays quiet. Harmless where unsupported (nothing changes).
    """
    try:
        import zmq
        from jupyter_client.manager import KernelManager
    except ImportError:  # pragma: no cover
        return
    trait = KernelManager.class_traits().get("transport_encryption")
    if trait is not None and zmq.has("curve"):
        trait.default_value = "auto"


def every_page_is_outdated(app: Any, env: Any, added: set, changed: set, removed: set) -> list[str]:
    """Sphinx ``env-get-outdated`` handler: re-read (so re-execute) every page on every build.

    Sphinx re-reads only pages whose *source* changed since the last build into the same
    output folder, and myst-nb executes only pages that are re-read, even with
    ``execute_notebooks: force``; a chapter whose text is unchanged would keep the numbers of
    an older library or corpus. Re-reading everything makes every build a fresh one.
    """
    return sorted(env.found_docs)


#: The parts of MathJax 3 a page with TeX needs: the combined TeX/CHTML component, its fonts and
#: what it loads on demand (TeX extensions, accessibility, the context menu); ~3 MB of 24.
MATHJAX_PARTS = ("tex-chtml.js", "output/chtml", "input/tex/extensions", "a11y", "ui")


def offline_mathjax() -> Path | None:
    """MathJax 3 as shipped by the ``sphinx-mathjax-offline`` package, if it is installed."""
    import importlib.util

    spec = importlib.util.find_spec("sphinx-mathjax-offline")
    if spec is None or spec.origin is None:
        return None
    folder = Path(spec.origin).parent / "static" / "mathjax"
    return folder if (folder / "tex-chtml.js").is_file() else None


def use_offline_mathjax(app: Any, config: Any) -> None:
    """``config-inited``: serve MathJax from the book itself instead of a CDN (readers offline
    would otherwise see raw TeX), unless ``_config.yml`` names another ``mathjax_path``."""
    if offline_mathjax() is not None and str(config.mathjax_path).startswith("https://cdn.jsdelivr.net/npm/mathjax@3"):
        config.mathjax_path = "mathjax/tex-chtml.js"


def copy_offline_mathjax(app: Any, exc: Exception | None) -> None:
    """``build-finished``: copy :data:`MATHJAX_PARTS` into ``_static/mathjax`` of an HTML build."""
    source = offline_mathjax()
    if exc is not None or source is None or getattr(app.builder, "format", "") != "html" \
            or app.config.mathjax_path != "mathjax/tex-chtml.js":
        return
    target = Path(app.outdir) / "_static" / "mathjax"
    for part in MATHJAX_PARTS:
        src, dst = source / part, target / part
        if src.is_dir():
            shutil.copytree(src, dst, dirs_exist_ok=True)
        else:
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)


def setup(app: Any) -> dict[str, Any]:
    """Sphinx extension entry point (``sphinx: extra_extensions`` in ``_config.yml``)."""
    quiet_kernels()
    app.connect("env-get-outdated", every_page_is_outdated)
    app.connect("config-inited", use_offline_mathjax)
    app.connect("build-finished", copy_offline_mathjax)
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}


# ------------------------------------------------------------------------ reruns
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
    out = run / "book"
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
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
    if not build:
        return out
    # runs/<name>/book is a complete book: `jupyter-book build runs/<name>/book` rebuilds it by hand
    cmd = [str(Path(sys.executable).parent / "jupyter-book"), "build", str(out), "--path-output", str(run)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=str(root))
    index = run / "_build" / "html" / "index.html"
    if proc.returncode != 0 or not index.exists():
        raise MusicClusterError(f"building the run's book failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return index
