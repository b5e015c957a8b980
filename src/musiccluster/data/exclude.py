"""Exclusion lists: clips to leave out by name (e.g. GTZAN's known faults, Sturm 2013).

Chapter *Data and augmentation*; ``Params.exclude`` / ``--exclude FILE``. Besides a text file, a name
of :data:`musiccluster.params.NAMED_EXCLUDE_LISTS` selects a list shipped in ``data/faults/``:
``kereliuk-excluded`` leaves out the 70 GTZAN clips outside the fault-filtered split of Kereliuk,
Sturm & Larsen (2015), whose 443 train / 197 valid / 290 test clips (930) are kept
(:func:`kereliuk_split`). Sturm's (2013) lists of repetitions, mislabellings and distortions are not
shipped.
"""

from __future__ import annotations

import os
from pathlib import Path

from .._constants import AUDIO_EXTENSIONS, GTZAN_GENRES
from ..errors import DataError
from ..params import NAMED_EXCLUDE_LISTS

#: The published lists shipped with the package (names only, with their citations).
FAULTS_DIR = Path(__file__).with_name("faults")


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


def gtzan_clip_names() -> list[str]:
    """The 1000 clip names of GTZAN, ``blues.00000`` .. ``rock.00099``.

    Chapter: Data and augmentation.
    """
    return [f"{genre}.{i:05d}" for genre in GTZAN_GENRES for i in range(100)]


def kereliuk_split() -> dict[str, list[str]]:
    """Kereliuk, Sturm & Larsen (2015)'s fault-filtered GTZAN split: ``{"train", "valid", "test"}`` -> clips.

    Chapter: Data and augmentation. 443 / 197 / 290 clips (930 of GTZAN's 1000), read from the shipped
    ``data/faults/kereliuk2015.txt`` (typed in from torchaudio's GTZAN module; citation in the file).
    """
    parts: dict[str, list[str]] = {"train": [], "valid": [], "test": []}
    for line in (FAULTS_DIR / "kereliuk2015.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, part = line.split()
            parts[part].append(name)
    return parts


def named_exclude_list(name: str) -> ExcludeList:
    """A shipped exclude list by name (:data:`musiccluster.params.NAMED_EXCLUDE_LISTS`).

    Chapter: Data and augmentation. ``kereliuk-excluded``: the 70 GTZAN clips that are in none of the
    three parts of :func:`kereliuk_split`, so that excluding them runs on the 930 fault-filtered clips.
    """
    if name != "kereliuk-excluded":
        raise DataError(f"no shipped exclude list named {name!r}; known: {', '.join(NAMED_EXCLUDE_LISTS)}")
    kept = {clip for part in kereliuk_split().values() for clip in part}
    return ExcludeList([c for c in gtzan_clip_names() if c not in kept], source=name)


def read_exclude_list(path: str | os.PathLike[str]) -> ExcludeList:
    """Read a text file of clips to leave out, one per line (``#`` starts a comment), or a shipped list.

    Lines may name a clip (``jazz.00054``), its file (``jazz.00054.wav``) or a
    path ending in it; blank lines are ignored. Used for ``Params.exclude``, e.g.
    with a list of GTZAN's faults (Sturm 2013) to run the fault-filtered protocol.
    A name of :data:`musiccluster.params.NAMED_EXCLUDE_LISTS` (``kereliuk-excluded``)
    returns that shipped list (:func:`named_exclude_list`).

    Raises
    ------
    DataError
        If the file cannot be read, or names nothing.
    """
    if str(path) in NAMED_EXCLUDE_LISTS:
        return named_exclude_list(str(path))
    try:
        text = Path(path).expanduser().read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read the exclude list {path}: {exc}") from None
    entries = [line.split("#", 1)[0].strip() for line in text.splitlines()]
    listing = ExcludeList([e for e in entries if e], source=str(path))
    if not listing:
        raise DataError(f"the exclude list {path} names no clip")
    return listing
