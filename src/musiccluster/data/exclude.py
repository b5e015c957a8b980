"""Exclusion lists: clips to leave out by name (e.g. GTZAN's known faults, Sturm 2013).

Chapter *Data and augmentation*; ``Params.exclude`` / ``--exclude FILE``.
"""

from __future__ import annotations

import os
from pathlib import Path

from .._constants import AUDIO_EXTENSIONS
from ..errors import DataError


def _name_parts(name: str) -> tuple[str, ...]:
    """``genres/jazz/jazz.00054.wav`` -> ``("genres", "jazz", "jazz.00054")``: path parts, audio extension dropped."""
    parts = [p for p in name.replace("\\", "/").strip().split("/") if p not in ("", ".")]
    if not parts:
        return ()
    suffix = Path(parts[-1]).suffix.lower()
    if suffix in AUDIO_EXTENSIONS:
        parts[-1] = parts[-1][: -len(suffix)]
    return tuple(parts)


class ExcludeList:
    """Clips to leave out, named as in a GTZAN fault list (``jazz.00054``) or by a path ending in the file.

    A clip is excluded when its ``clip_id`` (path below the corpus folder, no extension) and an entry
    agree part by part from the end, the shorter being a tail of the longer: ``jazz.00054`` names
    ``jazz/jazz.00054`` and the table row ``jazz.00054``; ``Album A/01 Song.flac`` names that track but
    not ``Album B/01 Song``.
    """

    def __init__(self, entries: list[str], source: str = "") -> None:
        self.entries = {p for p in map(_name_parts, entries) if p}
        self._tails = {e[i:] for e in self.entries for i in range(len(e))}
        self.source = source

    def __len__(self) -> int:
        return len(self.entries)

    def __contains__(self, clip_id: object) -> bool:
        parts = _name_parts(str(clip_id))
        return bool(parts) and (parts in self._tails or any(parts[i:] in self.entries for i in range(len(parts))))


def read_exclude_list(path: str | os.PathLike[str]) -> ExcludeList:
    """Read a text file of clips to leave out, one per line (``#`` starts a comment).

    Lines may name a clip (``jazz.00054``), its file (``jazz.00054.wav``) or a
    path ending in it; blank lines are ignored. Used for ``Params.exclude``, e.g.
    with a list of GTZAN's faults (Sturm 2013) to run the fault-filtered protocol.

    Raises
    ------
    DataError
        If the file cannot be read, or names nothing.
    """
    try:
        text = Path(path).expanduser().read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read the exclude list {path}: {exc}") from None
    entries = [line.split("#", 1)[0].strip() for line in text.splitlines()]
    listing = ExcludeList([e for e in entries if e], source=str(path))
    if not listing:
        raise DataError(f"the exclude list {path} names no clip")
    return listing
