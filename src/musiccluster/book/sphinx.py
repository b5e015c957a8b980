"""The book's Sphinx extension (named in ``_config.yml``).

It marks every page outdated on every build (Sphinx would otherwise re-execute only pages
whose text changed, leaving old numbers in the others), has the Jupyter kernels that execute
the chapters use CurveZMQ transport keys (keeps ipykernel's "running over TCP without
encryption" warning out of the build log), serves MathJax from the book
(``sphinx-mathjax-offline``'s files) so formulas render without internet, and gives every page a
footer with its provenance (commit, build date, corpus, versions, the chapter's run time) and its
downloads (the executed notebook and what the chapter published through
:mod:`musiccluster.book.downloads`). What the theme makes a reader download is kept small by
:mod:`musiccluster.book.theme_weight` (icons from the theme's CSS, no unused files).
"""

from __future__ import annotations

import datetime as _dt
import html
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from .. import __version__
from .downloads import DOWNLOADS_DIR
from .execution_cache import use_fingerprinted_cache
from .theme_weight import icons_from_css, slim_build


def quiet_kernels() -> None:
    """Have Jupyter kernel managers provision CurveZMQ keys where pyzmq supports them.

    ipykernel 7 logs a warning when a kernel talks over plain TCP; with keys it
    encrypts instead and stays quiet. Harmless where unsupported (nothing changes).

    Chapter: the book build (``_config.yml``).
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
    """MathJax 3 as shipped by the ``sphinx-mathjax-offline`` package, if it is installed.

    Chapter: the book build (``_config.yml``).
    """
    import importlib.util

    spec = importlib.util.find_spec("sphinx-mathjax-offline")
    if spec is None or spec.origin is None:
        return None
    folder = Path(spec.origin).parent / "static" / "mathjax"
    return folder if (folder / "tex-chtml.js").is_file() else None


def use_offline_mathjax(app: Any, config: Any) -> None:
    """``config-inited``: serve MathJax from the book itself instead of a CDN (readers offline
    would otherwise see raw TeX), unless ``_config.yml`` names another ``mathjax_path``.

    Chapter: the book build (``_config.yml``).
    """
    if offline_mathjax() is not None and str(config.mathjax_path).startswith("https://cdn.jsdelivr.net/npm/mathjax@3"):
        config.mathjax_path = "mathjax/tex-chtml.js"


def copy_offline_mathjax(app: Any, exc: Exception | None) -> None:
    """``build-finished``: copy :data:`MATHJAX_PARTS` into ``_static/mathjax`` of an HTML build.

    Chapter: the book build (``_config.yml``).
    """
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


#: The versions every page's footer names (distribution names; python is added).
FOOTER_VERSIONS = ("torch", "librosa", "scikit-learn", "numpy")


def git_commit(folder: str | Path) -> str:
    """The checkout's commit (short hash, ``+dirty`` with uncommitted changes) or ``"unknown"``.

    Chapter: the book build (every page's footer).
    """
    try:
        run = lambda *a: subprocess.run(["git", *a], cwd=folder, capture_output=True, text=True, timeout=20)
        head = run("rev-parse", "--short=12", "HEAD")
        if head.returncode != 0:
            return "unknown"
        dirty = run("status", "--porcelain", "--untracked-files=no").stdout.strip()
        return head.stdout.strip() + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def start_provenance(app: Any) -> None:
    """``builder-inited``: note the commit and build date, and name the downloads folder for the
    chapters' kernels (:data:`musiccluster.book.downloads.DOWNLOADS_ENV`; kernels inherit it).

    Chapter: the book build (every page's footer).
    """
    from ..versions import versions
    from .downloads import DOWNLOADS_ENV

    found = versions(FOOTER_VERSIONS)
    now = _dt.datetime.now(_dt.timezone.utc)
    app.musiccluster_started = now.timestamp()
    app.musiccluster_provenance = {
        "commit": git_commit(app.srcdir),
        "built": now.strftime("%Y-%m-%d %H:%M UTC"),
        "versions": ", ".join(f"{name} {found[name]}" for name in ("python", *FOOTER_VERSIONS)),
    }
    if getattr(app.builder, "format", "") == "html":
        folder = Path(app.outdir) / DOWNLOADS_DIR
        folder.mkdir(parents=True, exist_ok=True)
        os.environ[DOWNLOADS_ENV] = str(folder)


def _run_time(app: Any, pagename: str) -> str | None:
    try:
        from myst_nb.sphinx_ import NbMetadataCollector

        data = NbMetadataCollector.get_exec_data(app.env, pagename)
    except Exception:  # not a notebook page, or another myst-nb: no run time to show
        return None
    runtime = (data or {}).get("runtime")
    if runtime is None:
        return None
    started = getattr(app, "musiccluster_started", None)
    mtime = (data or {}).get("mtime")
    if started is not None and mtime is not None and float(mtime) < started:
        when = _dt.datetime.fromtimestamp(float(mtime), _dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        return (f"{float(runtime):.1f} s (outputs reused from the run of {when}: same library, data and "
                "environment)")
    return f"{float(runtime):.1f} s (executed in this build)"


def footer_html(app: Any, pagename: str) -> str:
    """The provenance and downloads footer of one page (HTML).

    Chapter: the book build (every page's footer).
    """
    prov = getattr(app, "musiccluster_provenance", None) or {}
    folder = Path(app.outdir) / DOWNLOADS_DIR
    corpus = folder / "corpus.json"
    corpus_text = "not recorded by this build"
    if corpus.is_file():
        c = json.loads(corpus.read_text(encoding="utf-8"))
        corpus_text = f"{c.get('source')} (features SHA-256 {c.get('features_sha256')})"
    rows = [("commit", prov.get("commit", "unknown")), ("built", prov.get("built", "")),
            ("corpus", corpus_text), ("versions", prov.get("versions", ""))]
    runtime = _run_time(app, pagename)
    if runtime is not None:
        rows.append(("this chapter ran", runtime))
    depth = "../" * pagename.count("/")
    links = []
    if runtime is not None:
        links.append((f"{depth}{DOWNLOADS_DIR}/{pagename}.ipynb", f"{Path(pagename).name}.ipynb (executed notebook)"))
    page_dir = folder / pagename
    if page_dir.is_dir():
        links += [(f"{depth}{DOWNLOADS_DIR}/{pagename}/{f.name}", f.name) for f in sorted(page_dir.iterdir())
                  if f.is_file()]
    items = "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(str(v))}</dd>" for k, v in rows)
    if links:
        items += "<dt>downloads</dt><dd>" + " · ".join(
            f'<a href="{html.escape(href)}" download>{html.escape(text)}</a>' for href, text in links) + "</dd>"
    return f'<aside class="mc-provenance" aria-label="provenance"><dl>{items}</dl></aside>'


def add_footer(app: Any, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    """``html-page-context``: append :func:`footer_html` to the body of every page with content.

    Chapter: the book build (every page's footer).
    """
    if doctree is None or "body" not in context:
        return
    context["body"] += footer_html(app, pagename)


def unique_scripts(app: Any, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    """``html-page-context`` (late): drop repeated ``<script>`` entries of a page.

    sphinx-thebe's inline configuration (``const THEBE_JS_URL = ...``) reaches every page twice under
    Jupyter Book 1.x, and the second copy throws "Identifier 'THEBE_JS_URL' has already been
    declared" in the reader's console. Identical entries (file and attributes, inline body
    included) are kept once, in their first place.

    Chapter: the book build (the browser test, ``tests/test_browser.py``).
    """
    scripts = context.get("script_files")
    if not isinstance(scripts, list):
        return
    seen, kept = set(), []
    for js in scripts:
        # the two copies of an inline script differ only in filename None against "" (both: no file)
        key = (str(getattr(js, "filename", js) or ""), repr(sorted(getattr(js, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            kept.append(js)
    context["script_files"] = kept


#: Set before the theme reads it: on a reader's first visit pydata-sphinx-theme 0.17 finds an empty
#: colour mode and logs "Got invalid theme mode" as a console error before falling back to "auto".
THEME_MODE_DEFAULT = "if (!document.documentElement.dataset.mode) { document.documentElement.dataset.mode = 'auto'; }"


def default_theme_mode(app: Any) -> None:
    """:data:`THEME_MODE_DEFAULT` as an inline script in every page's head (called by :func:`setup`).

    Chapter: the book build (the browser test, ``tests/test_browser.py``).
    """
    app.add_js_file(None, body=THEME_MODE_DEFAULT, priority=100)


def copy_executed_notebooks(app: Any, exc: Exception | None) -> None:
    """``build-finished``: copy myst-nb's executed notebooks (``jupyter_execute/``) into the downloads.

    Chapter: the book build (every page's footer).
    """
    if exc is not None or getattr(app.builder, "format", "") != "html":
        return
    source = Path(app.outdir).parent / "jupyter_execute"
    target = Path(app.outdir) / DOWNLOADS_DIR
    for nb in sorted(source.rglob("*.ipynb")) if source.is_dir() else []:
        dst = target / nb.relative_to(source)
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(nb, dst)


def setup(app: Any) -> dict[str, Any]:
    """Sphinx extension entry point (``sphinx: extra_extensions`` in ``_config.yml``).

    Chapter: the book build (``_config.yml``).
    """
    quiet_kernels()
    app.connect("env-get-outdated", every_page_is_outdated)
    app.connect("config-inited", use_offline_mathjax)
    app.connect("config-inited", use_fingerprinted_cache)
    app.connect("config-inited", icons_from_css)
    app.connect("build-finished", copy_offline_mathjax)
    app.connect("builder-inited", start_provenance)
    app.connect("html-page-context", add_footer)
    app.connect("html-page-context", unique_scripts, priority=900)
    default_theme_mode(app)  # at setup: once (added at builder-inited it reached each page twice)
    app.connect("build-finished", copy_executed_notebooks)
    app.connect("build-finished", slim_build)
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
