"""The pictures ``musiccluster cluster`` writes: ``map.png`` and ``k-selection.png``.

Command: ``musiccluster cluster``. Drawn on a matplotlib ``Figure`` with its own Agg canvas (no
pyplot, no global backend switch in the caller's process) and written by :func:`musiccluster.userfiles.write_user_file`.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import pandas as pd

from .. import style
from ..userfiles import write_user_file

#: Above this many tracks the map draws a seeded random sample of them.
MAP_MAX_POINTS = 50_000


def _figure(width: float, height: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=120)
    FigureCanvasAgg(fig)
    return fig


def _save_png(fig, path: Path) -> Path:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    write_user_file(path, buf.getvalue())
    return path


def write_map(tracks: pd.DataFrame, centers_xy: np.ndarray, path: str | os.PathLike[str], k: int,
              title: str = "", width: int = 2, seed: int = 0) -> Path:
    """``map.png``: tracks (``x``, ``y``) coloured by ``cluster``; centres as numbered crosses.

    Command: ``musiccluster cluster``.
    """
    fig = _figure(8.0, 6.5)
    ax = fig.add_subplot(1, 1, 1)
    shown = tracks
    note = ""
    if len(tracks) > MAP_MAX_POINTS:
        shown = tracks.sample(MAP_MAX_POINTS, random_state=seed)
        note = f" (random {MAP_MAX_POINTS:,} of {len(tracks):,} tracks)"
    colours = style.category_colours(k)
    size = float(np.clip(4000 / max(len(shown), 1), 2, 30))
    for c in range(1, k + 1):
        sub = shown[shown["cluster"] == c]
        if len(sub) == 0:
            continue
        color = colours[c - 1]
        ax.scatter(sub["x"], sub["y"], s=size, color=color, alpha=0.7, linewidths=0,
                   label=f"{c:0{width}d} ({int((tracks['cluster'] == c).sum())})", rasterized=True)
        cx, cy = centers_xy[c - 1]
        ax.scatter([cx], [cy], marker="X", s=120, color=color, edgecolors="black", linewidths=1.0)
        ax.annotate(f"{c:0{width}d}", (cx, cy), xytext=(5, 5), textcoords="offset points", fontsize=9,
                    weight="bold")
    ax.set_xlabel("map axis 1 (first principal axis of the track embeddings)")
    ax.set_ylabel("map axis 2")
    ax.set_title((title or "tracks by cluster") + note, fontsize=10)
    ax.legend(title="cluster (tracks)", fontsize=8, title_fontsize=8, loc="center left",
              bbox_to_anchor=(1.01, 0.5), frameon=False, markerscale=max(1.0, 20 / size) ** 0.5)
    ax.grid(alpha=0.3)
    return _save_png(fig, Path(path))


def write_k_curve(curve: Iterable[dict[str, Any]], chosen: int, path: str | os.PathLike[str]) -> Path:
    """``k-selection.png``: silhouette against k, the chosen k marked.

    Command: ``musiccluster cluster`` (without ``--k``).
    """
    df = pd.DataFrame(list(curve))
    fig = _figure(6.0, 3.6)
    ax = fig.add_subplot(1, 1, 1)
    ax.plot(df["k"], df["silhouette"], color=style.METHOD_COLOURS["vae"], zorder=1)
    ok = df["admissible"].astype(bool) if "admissible" in df else pd.Series(True, index=df.index)
    ax.scatter(df.loc[ok, "k"], df.loc[ok, "silhouette"], color=style.METHOD_COLOURS["vae"], zorder=2, label="every cluster big enough")
    if (~ok).any():
        ax.scatter(df.loc[~ok, "k"], df.loc[~ok, "silhouette"], facecolors="white", edgecolors=style.METHOD_COLOURS["vae"], zorder=2,
                   label="a cluster below max(2, 1% of tracks): not eligible")
    ax.legend(fontsize=8, loc="best")
    if chosen in set(df["k"]):
        ax.axvline(chosen, color="grey", linestyle="--", linewidth=1)
        ax.annotate(f"k = {chosen}", (chosen, float(df.loc[df["k"] == chosen, "silhouette"].iloc[0])),
                    xytext=(6, -12), textcoords="offset points")
    ax.set_xlabel("k")
    ax.set_ylabel("silhouette of the track clusters")
    ax.set_xticks(list(df["k"]))
    ax.grid(alpha=0.3)
    return _save_png(fig, Path(path))
