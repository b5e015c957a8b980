"""The playlists ``musiccluster cluster`` writes: ``playlists/cluster-NN.m3u8``.

Command: ``musiccluster cluster``. Extended M3U in UTF-8 (``.m3u8``: UTF-8 by definition, also
marked ``#EXTENC:UTF-8``), one per non-empty cluster, tracks from most to least typical
(:data:`ORDER_RULE`), each entry a path **relative to the playlist's folder**
(``../../Music/a.flac``), with ``/`` separators, so the playlists keep working when the music and
output folders move together. A track whose path an M3U line cannot carry (a newline or carriage
return in a file or folder name, or a name that is not valid UTF-8) is left out of its playlist and
named, with the reason, by :func:`unlisted_tracks` (``skipped.csv``, kind ``unlisted``); it stays in
``assignments.csv``. Files are written by :func:`musiccluster.userfiles.write_user_file`.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from ..userfiles import write_user_file

#: How playlists are ordered (also in summary.json).
ORDER_RULE = ("most to least typical: ascending Euclidean distance from the track's mean segment "
              "embedding to its cluster's centre")


def playlist_width(k: int) -> int:
    """Digits in playlist numbers (``cluster-01.m3u8``; three digits from k = 100).

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


#: Suffix of the playlists.
PLAYLIST_SUFFIX = ".m3u8"


def unlistable_reason(path: str) -> str | None:
    """Why ``path`` cannot be an M3U entry (``None`` if it can). Command: ``musiccluster cluster``."""
    if "\n" in path or "\r" in path:
        return "not in its playlist: the path holds a line break, which would split the M3U entry"
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return "not in its playlist: the path is not valid UTF-8, which an .m3u8 playlist must be"
    return None


def unlisted_tracks(tracks: pd.DataFrame) -> pd.DataFrame:
    """Tracks left out of the playlists (``path``, ``kind`` = ``unlisted``, ``reason``).

    Command: ``musiccluster cluster`` (rows of ``skipped.csv``; the tracks stay in ``assignments.csv``).
    """
    rows = [(p, "unlisted", r) for p in tracks["path"] if (r := unlistable_reason(str(p))) is not None]
    return pd.DataFrame(rows, columns=["path", "kind", "reason"])


def playlist_name(c: int, width: int) -> str:
    """``cluster-NN.m3u8``. Command: ``musiccluster cluster``."""
    return f"cluster-{c:0{width}d}{PLAYLIST_SUFFIX}"


def write_playlists(tracks: pd.DataFrame, folder: str | os.PathLike[str], k: int, width: int = 2,
                    title: str = "musiccluster") -> list[Path]:
    """Write ``cluster-NN.m3u8`` for every cluster that has tracks, in ``rank`` order.

    Command: ``musiccluster cluster``. Deletes nothing: playlists of an earlier run that this
    run does not rewrite are removed by the output folder's manifest (:mod:`.outdir`), which
    knows which files musiccluster wrote.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    real = folder.resolve()
    for c in range(1, k + 1):
        sub = tracks[tracks["cluster"] == c].sort_values("rank", kind="mergesort")
        if len(sub) == 0:
            continue
        sub = sub[[unlistable_reason(str(p)) is None for p in sub["path"]]]
        hours = float(np.nansum(sub["duration_s"])) / 3600
        lines = ["#EXTM3U", "#EXTENC:UTF-8",
                 f"#PLAYLIST:{title}: cluster {c:0{width}d} ({len(sub)} tracks, {hours:.1f} h)"]
        for row in sub.itertuples(index=False):
            secs = int(round(row.duration_s)) if np.isfinite(row.duration_s) else -1
            lines.append(f"#EXTINF:{secs},{Path(row.path).stem}")
            lines.append(playlist_entry(row.path, real))
        path = folder / playlist_name(c, width)
        write_user_file(path, ("\n".join(lines) + "\n").encode("utf-8"))
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
