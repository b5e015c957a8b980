"""The playlists ``musiccluster cluster`` writes: ``playlists/cluster-NN.m3u``.

Command: ``musiccluster cluster``. Extended M3U, UTF-8, one per non-empty cluster, tracks from most
to least typical (:data:`ORDER_RULE`), each entry a path **relative to the playlist's folder**
(``../../Music/a.flac``), with ``/`` separators, so the playlists keep working when the music and
output folders move together. Every file is written atomically.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from ..cache import atomic_write_bytes

#: How playlists are ordered (also in summary.json).
ORDER_RULE = ("most to least typical: ascending Euclidean distance from the track's mean segment "
              "embedding to its cluster's centre")


def playlist_width(k: int) -> int:
    """Digits in playlist numbers (``cluster-01.m3u``; three digits from k = 100).

    Command: ``musiccluster cluster``.
    """
    return max(2, len(str(max(k, 1))))


def playlist_entry(track: str | os.PathLike[str], playlist_folder: str | os.PathLike[str]) -> str:
    """The path to write in a playlist: relative to its folder, ``/``-separated.

    Command: ``musiccluster cluster``. Falls back to the absolute path where no relative path
    exists (another drive on Windows).
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

    Command: ``musiccluster cluster``. Playlists of an earlier run in ``folder``
    (``cluster-*.m3u``) are removed first, so a rerun with a smaller k leaves no stale
    playlist behind.
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
    """Entries of an M3U file (comment and directive lines dropped), as written.

    Command: ``musiccluster cluster`` (reading its playlists back).
    """
    text = Path(path).read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line.strip() and not line.startswith("#")]


def resolve_playlist(path: str | os.PathLike[str]) -> list[Path]:
    """Entries of an M3U file resolved the way a player does: against the playlist's folder.

    Command: ``musiccluster cluster`` (reading its playlists back).
    """
    folder = Path(path).parent
    return [(folder / entry) if not os.path.isabs(entry) else Path(entry) for entry in read_playlist(path)]
