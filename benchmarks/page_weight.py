"""The built book's weight: the whole folder, and what each page loads when opened.

    python benchmarks/page_weight.py _build/html [--label after] [--out benchmarks/page_weight.md]

A page's weight is its HTML plus every local file its ``<script src>``, ``<link rel=stylesheet>``,
``<img src>`` and ``<audio src>``/``<source src>`` name (each counted once). Not counted: what a
script or stylesheet loads later (MathJax's fonts and extensions, the theme's icon font: its size is
reported on a line of its own) and what plays only on
a click (the map's excerpts, which are files beside the page). Bytes as stored, and as a web server
with gzip compression (level 6, the common default) would send them.
"""

from __future__ import annotations

import argparse
import gzip
import re
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import unquote, urlsplit

REF = re.compile(r"<(?:script|img|audio|source)\b[^>]*?\bsrc=\"([^\"]+)\"|<link\b[^>]*?rel=\"stylesheet\"[^>]*?href=\"([^\"]+)\"",
                 re.I)


def folder_bytes(root: Path) -> int:
    return sum(f.stat().st_size for f in root.rglob("*") if f.is_file())


def _gzipped(path: Path) -> int:
    return len(gzip.compress(path.read_bytes(), compresslevel=6))


def page_weight(page: Path) -> tuple[int, int, int]:
    """(bytes of the HTML, bytes of the HTML and every local file it names, the same gzip-compressed)."""
    html = page.read_text(encoding="utf-8", errors="replace")
    seen, total, packed = set(), page.stat().st_size, _gzipped(page)
    for a, b in REF.findall(html):
        ref = a or b
        if ref.startswith(("data:", "http:", "https:", "//")):
            continue
        path = (page.parent / unquote(urlsplit(ref).path)).resolve()
        if path.is_file() and path not in seen:
            seen.add(path)
            total += path.stat().st_size
            packed += _gzipped(path)
    return page.stat().st_size, total, packed


def fonts(root: Path) -> str:
    """The WOFF2 web fonts of the build (Font Awesome's, MathJax's are counted apart) and their bytes."""
    found = sorted((root / "_static" / "vendor").rglob("*.woff2"))
    return ", ".join(f"{f.name} {f.stat().st_size:,}" for f in found) or "none"


def report(root: Path, label: str) -> str:
    maps = sum(f.stat().st_size for f in root.rglob("*.map"))
    lines = [f"### {label} ({datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, `{root}`)", "",
             f"whole build: {folder_bytes(root):,} bytes; `_static`: {folder_bytes(root / '_static'):,}; "
             f"source maps: {maps:,}", "", f"web fonts (not in the columns; a browser fetches one when a glyph of "
             f"it shows, the icons use the solid set): {fonts(root)}", "", "| page | HTML | HTML + what it names | the same, gzip |",
             "|---|---:|---:|---:|"]
    for page in sorted(root.glob("*.html")):
        own, total, packed = page_weight(page)
        lines.append(f"| {page.name} | {own:,} | {total:,} | {packed:,} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("html", type=Path)
    ap.add_argument("--label", default="build")
    ap.add_argument("--out", type=Path, default=None, help="append the report to this Markdown file")
    args = ap.parse_args()
    text = report(args.html, args.label)
    print(text)
    if args.out is not None:
        with args.out.open("a", encoding="utf-8") as fh:
            fh.write(text + "\n")


if __name__ == "__main__":
    main()
