"""An interactive map of clips or tracks that plays them on a click: Bokeh, its JavaScript inline.

Used by ``musiccluster cluster`` (``map.html`` beside ``map.png``: hover shows artist and title,
a click plays the user's own file by a relative link) and by the book's chapters *Results* and
*Listening* (:mod:`musiccluster.book.interactive`: one point per clip, a click plays a short Opus
excerpt). Nothing is fetched from a network: Bokeh's JavaScript is inlined (``bokeh`` and
``bokeh-widgets``, about 1.6 MB), so the page works offline and from ``file://``.

Why Bokeh rather than Plotly: Plotly 7.1.0's bundled ``plotly.min.js`` alone is 4,815,814 bytes, over
the ~3 MB a page with the map may weigh; Bokeh 3.9.2's two inline bundles are 1,650,236 bytes
(``bokeh`` 1,268,181 + ``bokeh-widgets`` 382,055; measured from the installed packages).
"""

from __future__ import annotations

import html
import json
import re
from typing import Iterable, Sequence

import pandas as pd

from .. import style

#: The Bokeh bundles the map needs (no WebGL, tables or MathJax bundles).
BOKEH_COMPONENTS = ("bokeh", "bokeh-widgets")
#: Columns the map reads from its points frame.
REQUIRED = ("x", "y", "audio")


def _safe_id(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "-", text) or "mc-map"


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def stable_ids(text: str, seed: str = "") -> str:
    """``text`` with every UUID replaced, consistently, by one derived from the text itself.

    Bokeh's ``components`` names its document and root element by random UUIDs, so the same map
    written twice differed byte for byte. Here the k-th distinct UUID becomes a version-4 UUID made
    from :func:`musiccluster.cache.stable_hash` of the text (its UUIDs blanked), ``seed`` and ``k``:
    the same map gives the same bytes, and different maps (or seeds, such as two element ids on one
    page) different ids.
    """
    import uuid

    from ..cache import stable_hash

    found = list(dict.fromkeys(_UUID.findall(text)))
    if not found:
        return text
    digest = stable_hash([seed, _UUID.sub("-", text)], length=64)
    new = {old: str(uuid.UUID(hex=stable_hash([digest, k], length=32), version=4)) for k, old in enumerate(found)}
    return _UUID.sub(lambda m: new[m.group(0)], text)


def resources_html() -> str:
    """The inline ``<script>`` tags of :data:`BOKEH_COMPONENTS` (once per page).

    Command: ``musiccluster cluster``; chapters *Results*, *Listening*.
    """
    from bokeh.resources import Resources

    return Resources(mode="inline", components=list(BOKEH_COMPONENTS)).render_js()


def _colour_columns(points: pd.DataFrame, colour_by: Sequence[str]) -> dict[str, list[str]]:
    data: dict[str, list[str]] = {}
    for col in colour_by:
        values = points[col].astype(str)
        cats = list(pd.Categorical(points[col]).categories.astype(str))
        palette = dict(zip(cats, style.category_colours(len(cats))))
        data[f"colour__{col}"] = [palette[v] for v in values]
        data[f"legend__{col}"] = [f"{col} {v}" for v in values]
    return data


def map_body(points: pd.DataFrame, *, colour_by: Sequence[str], hover: Iterable[tuple[str, str]],
             title: str = "", element_id: str = "mc-map", width: int = 640, height: int = 480) -> str:
    """The map's HTML (a Bokeh plot, a colour toggle, an ``<audio>`` player), without the resources.

    Parameters
    ----------
    points : DataFrame
        One row per point: ``x``, ``y``, ``audio`` (a URL: relative link or data URI; empty: no
        sound) and the columns named in ``colour_by`` and ``hover``.
    colour_by : sequence of str
        Categorical columns to colour by; the first is shown first, a toggle switches between them.
    hover : iterable of (label, column)
        What the tooltip shows.

    Command: ``musiccluster cluster``; chapters *Results*, *Listening*.
    """
    from bokeh.embed import components
    from bokeh.layouts import column
    from bokeh.models import ColumnDataSource, CustomJS, HoverTool, RadioButtonGroup, TapTool
    from bokeh.plotting import figure

    missing = [c for c in (*REQUIRED, *colour_by, *(c for _, c in hover)) if c not in points.columns]
    if missing:
        raise ValueError(f"the map's points lack column(s) {missing}")
    colour_by = list(colour_by)
    element_id = _safe_id(element_id)
    points = points.sort_values(colour_by[0], kind="stable")  # the legend lists the groups in this order
    data = {c: points[c].astype(str).tolist() for c in dict.fromkeys([*(c for _, c in hover), *colour_by, "audio"])}
    data.update(x=points["x"].astype(float).tolist(), y=points["y"].astype(float).tolist())
    data.update(_colour_columns(points, colour_by))
    data["colour"] = list(data[f"colour__{colour_by[0]}"])
    data["legend"] = list(data[f"legend__{colour_by[0]}"])
    source = ColumnDataSource(data, name=f"{element_id}-points")
    plot = figure(width=width, height=height, title=title or None, tools="pan,wheel_zoom,box_zoom,reset",
                  toolbar_location="above", sizing_mode="scale_width", output_backend="canvas")
    plot.scatter("x", "y", source=source, size=8, color="colour", alpha=0.85, legend_field="legend",
                 line_color="white", line_width=0.5)
    legend = plot.legend[0]
    legend.orientation, legend.label_text_font_size = "horizontal", "9pt"
    plot.add_layout(legend, "below")  # never over the points, also at 420 px
    plot.xaxis.axis_label, plot.yaxis.axis_label = "map axis 1", "map axis 2"
    plot.add_tools(HoverTool(tooltips=[(label, f"@{{{col}}}") for label, col in hover]), TapTool())
    play = CustomJS(args=dict(source=source), code=f"""
        const i = source.selected.indices[0];
        if (i === undefined) return;
        const url = source.data.audio[i];
        const player = document.getElementById("{element_id}-audio");
        const now = document.getElementById("{element_id}-now");
        if (!player || !url) return;
        player.src = url;
        now.textContent = "playing: " + (source.data["{hover_first(hover)}"][i] || "");
        player.play().catch(() => {{}});
    """)
    source.selected.js_on_change("indices", play)
    parts = [plot]
    if len(colour_by) > 1:
        toggle = RadioButtonGroup(labels=[f"colour by {c}" for c in colour_by], active=0)
        toggle.js_on_change("active", CustomJS(args=dict(source=source, names=colour_by), code="""
            const name = names[this.active];
            source.data.colour = source.data["colour__" + name].slice();
            source.data.legend = source.data["legend__" + name].slice();
            source.change.emit();
        """))
        parts.insert(0, toggle)
    script, div = components(column(*parts, sizing_mode="scale_width"))
    return stable_ids(f'<div class="mc-map" id="{element_id}">{div}'
                      f'<p class="mc-map-player"><audio id="{element_id}-audio" controls preload="none"></audio> '
                      f'<span id="{element_id}-now">click a point to hear it</span></p>{script}</div>', element_id)


def hover_first(hover: Iterable[tuple[str, str]]) -> str:
    """The column of the tooltip's first line (named in the player's caption)."""
    return next(iter(hover))[1]


def map_fragment(points: pd.DataFrame, **kwargs) -> str:
    """:func:`resources_html` and :func:`map_body` in one HTML fragment (for a notebook cell).

    Chapters *Results*, *Listening*.
    """
    return resources_html() + map_body(points, **kwargs)


def standalone_html(points: pd.DataFrame, title: str, **kwargs) -> str:
    """A whole offline page with the map (``map.html`` of ``musiccluster cluster``).

    Command: ``musiccluster cluster``.
    """
    head = html.escape(title)
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{head}</title>"
            f"{resources_html()}<style>body{{font-family:sans-serif;max-width:900px;margin:1em auto;"
            f"padding:0 1em}}audio{{max-width:100%}}</style></head><body><h1>{head}</h1>"
            f"<p>Hover a point to see its track; click it to play the file (a relative link from this "
            f"folder to the music folder).</p>{map_body(points, title='', **kwargs)}</body></html>\n")



def track_tags(path: str) -> tuple[str, str]:
    """``(artist, title)`` read with mutagen's easy tags; ``("", "")`` where none or unreadable.

    Command: ``musiccluster cluster`` (``map.html``'s hover).
    """
    try:
        import mutagen

        tags = mutagen.File(path, easy=True)
    except Exception:  # mutagen missing, unreadable or unknown file: the file name stands in
        return "", ""
    if tags is None or not getattr(tags, "tags", None):
        return "", ""

    def first(key: str) -> str:
        value = tags.tags.get(key) if hasattr(tags.tags, "get") else None
        return str(value[0]).strip() if value else ""

    return first("artist"), first("title")


def relative_link(path: str, out) -> str:
    """A URL from the folder ``out`` to the file ``path`` (relative, each part percent-encoded).

    Command: ``musiccluster cluster`` (``map.html`` plays the user's own file).
    """
    import os
    from pathlib import PurePath
    from urllib.parse import quote

    rel = os.path.relpath(os.path.abspath(path), os.path.abspath(out))
    return "/".join(quote(os.fsencode(part)) for part in PurePath(rel).parts)  # a name's own bytes


def track_points(tracks: pd.DataFrame, out, max_points: int | None = None, seed: int = 0) -> pd.DataFrame:
    """The points of ``map.html``: one per track (a seeded sample above ``max_points``), with
    ``artist``, ``title`` (tags, else the file name), ``file``, ``cluster``, ``confidence``, ``x``, ``y``
    and ``audio`` (:func:`relative_link` from ``out``).

    Command: ``musiccluster cluster``.
    """
    import os

    def shown_text(text: str) -> str:  # a name that is not valid UTF-8 is shown as its escaped bytes
        return os.fsencode(str(text)).decode("utf-8", "backslashreplace")

    shown = tracks if max_points is None or len(tracks) <= max_points else tracks.sample(max_points, random_state=seed)
    tags = [tuple(shown_text(t) for t in track_tags(p)) for p in shown["path"]]
    files = [shown_text(os.path.basename(str(p))) for p in shown["path"]]
    return pd.DataFrame({
        "artist": [a or "(no artist tag)" for a, _ in tags],
        "title": [t or f for (_, t), f in zip(tags, files)],
        "file": files,
        "cluster": shown["cluster"].astype(int).to_numpy(),
        "confidence": shown["confidence"].astype(float).round(3).to_numpy(),
        "x": shown["x"].astype(float).to_numpy(), "y": shown["y"].astype(float).to_numpy(),
        "audio": [relative_link(str(p), out) for p in shown["path"]],
        "label": [shown_text(v) for v in shown["label"].fillna("")] if "label" in shown else "",
    })


def write_map_html(tracks: pd.DataFrame, out, path, title: str = "", max_points: int | None = None,
                   seed: int = 0):
    """``map.html``: the tracks' map (:func:`standalone_html`), colour by cluster (or label, where the
    folders give labels); hover: artist, title, file, cluster, confidence; a click plays the file.

    Command: ``musiccluster cluster``. Written by :func:`musiccluster.userfiles.write_user_file`.
    """
    from pathlib import Path

    from ..userfiles import write_user_file

    points = track_points(tracks, out, max_points, seed)
    colour_by = ["cluster"] + (["label"] if points["label"].str.len().gt(0).any() else [])
    hover = [("title", "title"), ("artist", "artist"), ("file", "file"), ("cluster", "cluster"),
             ("confidence", "confidence")]
    page = standalone_html(points, title or "tracks by cluster", colour_by=colour_by, hover=hover,
                           element_id="mc-map")
    write_user_file(Path(path), page.encode("utf-8"))
    return Path(path)
