"""The book's Sphinx extension (named in ``_config.yml``).

It marks every page outdated on every build (Sphinx would otherwise re-execute only pages
whose text changed, leaving old numbers in the others), has the Jupyter kernels that execute
the chapters use CurveZMQ transport keys (keeps ipykernel's "running over TCP without
encryption" warning out of the build log), and serves MathJax from the book
(``sphinx-mathjax-offline``'s files) so formulas render without internet.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from .. import __version__


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


def setup(app: Any) -> dict[str, Any]:
    """Sphinx extension entry point (``sphinx: extra_extensions`` in ``_config.yml``).

    Chapter: the book build (``_config.yml``).
    """
    quiet_kernels()
    app.connect("env-get-outdated", every_page_is_outdated)
    app.connect("config-inited", use_offline_mathjax)
    app.connect("build-finished", copy_offline_mathjax)
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
