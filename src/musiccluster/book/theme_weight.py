"""What the book's theme makes a reader download, and how the book keeps it small.

Two measures, both connected by :mod:`musiccluster.book.sphinx`:

* **Icons from the theme's CSS, not from a 1.5 MB script.** pydata-sphinx-theme (under
  sphinx-book-theme) draws its icons twice over: its stylesheet carries Font Awesome's web-font
  CSS (every ``.fa-*`` glyph rule, ``@font-face`` pointing at the WOFF2 fonts it ships), and every
  page also loads Font Awesome's SVG-replacement script (``scripts/fontawesome.js``, 1,489,308
  bytes in 0.16), which swaps each ``<i class="fa-...">`` for an inline ``<svg>``. The script is
  there "so that users can add custom icons"; this book adds none, so :func:`icons_from_css`
  serves the theme a copy of its own ``webpack-macros.html`` without that one ``<script>`` line,
  and the icons are drawn by the web font (the browser fetches only the WOFF2 files a page uses,
  156 kB for the solid set). Where the installed theme differs (no such line, or a stylesheet
  without the web-font rules), nothing is changed.
* **No files a reader's browser never loads** (:data:`UNUSED_STATIC`, :func:`slim_static`).

Chapter: the book build (its weight; ``benchmarks/page_weight.md`` and the README give the sizes).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

#: Theme files a reader's browser never loads: source maps (fetched only by a developer's open
#: DevTools), the theme's translation catalogues (used at build time), Font Awesome's TrueType
#: fonts (the theme's CSS lists the WOFF2 files first, which every current browser reads) and the
#: theme's Jinja macros, which Sphinx copies with the theme's static folder.
UNUSED_STATIC = ("**/*.map", "locales", "vendor/fontawesome/webfonts/*.ttf", "webpack-macros.html")

#: The theme's script that replaces icon elements by SVG, relative to ``_static``.
ICON_SCRIPT = "scripts/fontawesome.js"
_SCRIPT_LINE = re.compile(r"^[ \t]*<script\b[^>]*\bsrc=\"[^\"]*" + re.escape(ICON_SCRIPT) + r"[^\"]*\"[^>]*>\s*</script>[ \t]*\n?",
                          re.M)
#: Sign that a stylesheet draws Font Awesome glyphs by itself (its web-font rules).
_WEBFONT_RULES = ("Font Awesome", ".fa-solid", ".fa-bars:before")


def theme_files() -> tuple[Path, Path] | None:
    """The installed pydata-sphinx-theme's ``webpack-macros.html`` and main stylesheet, or None."""
    try:
        import pydata_sphinx_theme
    except ImportError:
        return None
    root = Path(pydata_sphinx_theme.__file__).parent / "theme" / "pydata_sphinx_theme"
    macros, css = root / "static" / "webpack-macros.html", root / "static" / "styles" / "pydata-sphinx-theme.css"
    return (macros, css) if macros.is_file() and css.is_file() else None


def macros_without_icon_script(macros: str, css: str) -> str | None:
    """``webpack-macros.html`` without the line that loads :data:`ICON_SCRIPT`, or None to keep it.

    None when the template has no such line or the stylesheet ``css`` cannot draw the icons itself.
    """
    if not all(sign in css for sign in _WEBFONT_RULES):
        return None
    kept, n = _SCRIPT_LINE.subn("", macros)
    return kept if n == 1 else None


def icons_from_css(app: Any, config: Any) -> None:
    """``config-inited``: put a template folder first in ``templates_path`` whose
    ``static/webpack-macros.html`` is the theme's own without the icon script (see the module).

    The folder is ``_build/theme-templates`` (beside the doctrees), rewritten on every build from the
    installed theme, so a theme upgrade is followed.
    """
    found = theme_files()
    if found is None:
        return
    macros, css = found
    kept = macros_without_icon_script(macros.read_text(encoding="utf-8"), css.read_text(encoding="utf-8"))
    if kept is None:
        return
    folder = Path(app.doctreedir).parent / "theme-templates"
    target = folder / "static" / "webpack-macros.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.is_file() or target.read_text(encoding="utf-8") != kept:
        target.write_text(kept, encoding="utf-8")
    config.templates_path = [str(folder), *[p for p in config.templates_path if p != str(folder)]]


def pages_naming(root: Path, relative: str) -> list[Path]:
    """The book's HTML pages under ``root`` (not the files of its ``_static``) that name ``relative``."""
    return [p for p in sorted(root.rglob("*.html")) if "_static" not in p.relative_to(root).parts
            and relative in p.read_text(encoding="utf-8", errors="replace")]


def slim_static(static: Path) -> int:
    """Delete :data:`UNUSED_STATIC` from a built ``_static`` folder, and :data:`ICON_SCRIPT` when no
    page beside it names it; the bytes removed.

    A deleted source map's ``sourceMappingURL`` comment is removed from the file that named it
    (a browser with DevTools open would otherwise ask for it).
    """
    removed = 0
    for pattern in UNUSED_STATIC:
        for path in sorted(static.glob(pattern)):
            removed += _remove_unused(path)
    script = static / ICON_SCRIPT
    if script.is_file() and not pages_naming(static.parent, ICON_SCRIPT):
        for path in (script, script.with_name(script.name + ".LICENSE.txt")):
            if path.is_file():
                removed += path.stat().st_size
                path.unlink()
    return removed


def _remove_unused(path: Path) -> int:
    if path.is_dir():
        size = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
        shutil.rmtree(path)
        return size
    if path.suffix == ".ttf" and not path.with_suffix(".woff2").is_file():
        return 0
    size = path.stat().st_size
    path.unlink()
    named = path.with_suffix("")  # fontawesome.js.map -> fontawesome.js
    if path.suffix == ".map" and named.is_file():
        text = named.read_text(encoding="utf-8", errors="surrogateescape")
        kept = "\n".join(line for line in text.split("\n") if f"sourceMappingURL={path.name}" not in line)
        if kept != text:
            named.write_text(kept, encoding="utf-8", errors="surrogateescape")
    return size


def slim_build(app: Any, exc: Exception | None) -> None:
    """``build-finished``: :func:`slim_static` on an HTML build's ``_static``."""
    if exc is None and getattr(app.builder, "format", "") == "html":
        slim_static(Path(app.outdir) / "_static")
