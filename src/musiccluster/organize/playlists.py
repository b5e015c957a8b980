"""The files ``musiccluster cluster`` writes (see :mod:`musiccluster.library`).

``OUT_DIR/``

* ``assignments.csv``: one row per track: ``path`` (absolute), ``cluster``
  (1..k, 1 = the largest), ``confidence`` (share of the track's segments in
  its cluster), ``distance`` (of the track's mean embedding to the cluster
  centre), ``rank`` (1 = most typical track of its cluster), ``duration_s``,
  ``n_segments``, ``label`` (from the folder layout, empty if none), ``x``,
  ``y`` (map coordinates). UTF-8.
* ``playlists/cluster-NN.m3u``: extended M3U, UTF-8, one per non-empty
  cluster, tracks from most to least typical, each entry a path **relative to
  the playlist's folder** (``../../Music/a.flac``), with ``/`` separators, so
  the playlists keep working when the music and output folders move together.
* ``map.png``: the tracks on the first two principal axes of their
  embeddings, coloured by cluster, centres marked.
* ``k-selection.png``: the silhouette curve, when k was chosen.
* ``skipped.csv``: ``path``, ``kind`` (``failed``: an audio file that could
  not be used; ``ignored``: not audio, hidden, or a folder not searched),
  ``reason``.
* ``summary.json``: parameters, counts, the k choice and its curve, cluster
  sizes, timings, the file list.

Every file is written atomically (a reader sees the old or the whole new file).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import pandas as pd

from ..cache import atomic_write_bytes

ASSIGNMENT_COLUMNS = ["path", "cluster", "confidence", "distance", "rank", "duration_s",
                      "n_segments", "label", "x", "y"]
#: Above this many tracks the map draws a seeded random sample of them.
MAP_MAX_POINTS = 50_000


def playlist_entry(track: str | os.PathLike[str], playlist_folder: str | os.PathLike[str]) -> str:
    """The path to write in a playlist: relative to its folder, ``/``-separated.

    Falls back to the absolute path where no relative path exists (another
    drive on Windows).
    """
    try:
        rel = os.path.relpath(os.path.abspath(track), os.path.abspath(playlist_folder))
    except ValueError:
        return Path(track).resolve().as_posix()
    return rel.replace(os.sep, "/")


def _extinf_title(path: str) -> str:
    return Path(path).stem.replace("\n", " ").replace("\r", " ")


def write_playlists(tracks: pd.DataFrame, folder: str | os.PathLike[str], k: int, width: int = 2,
                    title: str = "musiccluster") -> list[Path]:
    """Write ``cluster-NN.m3u`` for every cluster that has tracks, in ``rank`` order.

    Playlists of an earlier run in ``folder`` (``cluster-*.m3u``) are removed
    first, so a rerun with a smaller k leaves no stale playlist behind.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("cluster-*.m3u"):
        old.unlink()
    written = []
    real = folder.resolve()
    for c in range(1, k + 1):
        sub = tracks[tracks["cluster"] == c].sort_values("rank", kind="mergesort")
        if len(sub) == 0:
            continue
        hours = float(np.nansum(sub["duration_s"])) / 3600
        lines = ["#EXTM3U", "#EXTENC:UTF-8",
                 f"#PLAYLIST:{title}: cluster {c:0{width}d} ({len(sub)} tracks, {hours:.1f} h)"]
        for row in sub.itertuples(index=False):
            secs = int(round(row.duration_s)) if np.isfinite(row.duration_s) else -1
            lines.append(f"#EXTINF:{secs},{_extinf_title(row.path)}")
            lines.append(playlist_entry(row.path, real))
        path = folder / f"cluster-{c:0{width}d}.m3u"
        atomic_write_bytes(path, ("\n".join(lines) + "\n").encode("utf-8"))
        written.append(path)
    return written


def read_playlist(path: str | os.PathLike[str]) -> list[str]:
    """Entries of an M3U file (comment and directive lines dropped), as written."""
    text = Path(path).read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line.strip() and not line.startswith("#")]


def resolve_playlist(path: str | os.PathLike[str]) -> list[Path]:
    """Entries of an M3U file resolved the way a player does: against the playlist's folder."""
    folder = Path(path).parent
    return [(folder / entry) if not os.path.isabs(entry) else Path(entry) for entry in read_playlist(path)]


def write_csv(df: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    path = Path(path)
    atomic_write_bytes(path, df.to_csv(index=False).encode("utf-8"))
    return path


def write_skipped(skipped: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """``skipped.csv``: ``path``, ``kind``, ``reason``."""
    cols = ["path", "kind", "reason"]
    return write_csv(skipped.reindex(columns=cols), path)


def _figure(width: float, height: float):
    # Figure + Agg canvas directly: no pyplot, no global backend switch in the caller's process.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=120)
    FigureCanvasAgg(fig)
    return fig


def _save_png(fig, path: Path) -> Path:
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    atomic_write_bytes(path, buf.getvalue())
    return path


def write_map(tracks: pd.DataFrame, centers_xy: np.ndarray, path: str | os.PathLike[str], k: int,
              title: str = "", width: int = 2, seed: int = 0) -> Path:
    """``map.png``: tracks (``x``, ``y``) coloured by ``cluster``; centres as numbered crosses."""
    from matplotlib import colormaps

    fig = _figure(8.0, 6.5)
    ax = fig.add_subplot(1, 1, 1)
    shown = tracks
    note = ""
    if len(tracks) > MAP_MAX_POINTS:
        shown = tracks.sample(MAP_MAX_POINTS, random_state=seed)
        note = f" (random {MAP_MAX_POINTS:,} of {len(tracks):,} tracks)"
    cmap = colormaps["tab10" if k <= 10 else "tab20"]
    size = float(np.clip(4000 / max(len(shown), 1), 2, 30))
    for c in range(1, k + 1):
        sub = shown[shown["cluster"] == c]
        if len(sub) == 0:
            continue
        color = cmap((c - 1) % cmap.N)
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
    """``k-selection.png``: silhouette against k, the chosen k marked."""
    df = pd.DataFrame(list(curve))
    fig = _figure(6.0, 3.6)
    ax = fig.add_subplot(1, 1, 1)
    ax.plot(df["k"], df["silhouette"], color="C0", zorder=1)
    ok = df["admissible"].astype(bool) if "admissible" in df else pd.Series(True, index=df.index)
    ax.scatter(df.loc[ok, "k"], df.loc[ok, "silhouette"], color="C0", zorder=2, label="every cluster big enough")
    if (~ok).any():
        ax.scatter(df.loc[~ok, "k"], df.loc[~ok, "silhouette"], facecolors="white", edgecolors="C0", zorder=2,
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


def write_outputs(out: Path, tracks: pd.DataFrame, skipped: pd.DataFrame, model, summary: dict[str, Any],
                  *, k_curve=None, title: str = "", timings: dict[str, float] | None = None,
                  t_start: float | None = None, extra: dict[str, Path] | None = None) -> dict[str, Path]:
    """Write every output file of a run into ``out``; ``summary.json`` last."""
    from .library import _jsonable, playlist_width

    t = time.perf_counter()
    out = Path(out)
    k = model.k
    width = playlist_width(k)
    files: dict[str, Path] = dict(extra or {})
    files["assignments"] = write_csv(tracks.reindex(columns=ASSIGNMENT_COLUMNS), out / "assignments.csv")
    files["playlists"] = out / "playlists"
    playlists = write_playlists(tracks, out / "playlists", k, width)
    files["skipped"] = write_skipped(skipped, out / "skipped.csv")
    files["map"] = write_map(tracks, model.project(model.centers), out / "map.png", k, title, width)
    old_curve = out / "k-selection.png"
    if k_curve:
        files["k_curve"] = write_k_curve(k_curve, summary["k"]["chosen"], old_curve)
    elif old_curve.exists():
        old_curve.unlink()
    if timings is not None:
        timings["outputs"] = time.perf_counter() - t
        if t_start is not None:
            timings["total"] = time.perf_counter() - t_start
    summary["timings_s"] = {name: round(v, 3) for name, v in (timings or {}).items()}
    summary["outputs"] = {name: p.relative_to(out).as_posix() for name, p in files.items()}
    summary["outputs"]["playlist_files"] = [p.relative_to(out).as_posix() for p in playlists]
    files["summary"] = out / "summary.json"
    atomic_write_bytes(files["summary"], (json.dumps(_jsonable(summary), indent=2, ensure_ascii=False)
                                          + "\n").encode("utf-8"))
    return files
