"""Finding the clips: the first stage of the pipeline.

Chapter *Data and augmentation* narrates this module. A corpus is a list of
:class:`Clip` records found under a folder:

* the original GTZAN layout ``genres/<genre>/<genre>.000NN.au``;
* the Kaggle layout ``genres_original/<genre>/<genre>.000NN.wav``;
* any folder of music (wav, au, flac, ogg, mp3, aiff, m4a ... whatever
  soundfile or audioread can decode), searched recursively.

Labels: a clip whose parent folder is named after a GTZAN genre gets that
genre; otherwise, when the folder holds its music in first-level sub-folders
(``my_music/<group>/<file>``), the sub-folder's name is the label; files
deeper down or directly in the folder have no label (``None``).

``data_dir=None`` means the embedded synthetic stand-in corpus, generated
once into the cache by :mod:`musiccluster.synth`.
"""

from __future__ import annotations

import os
import stat
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .._constants import AUDIO_EXTENSIONS, GTZAN_GENRES
from ..errors import DataError


@dataclass(frozen=True)
class Clip:
    """One audio file of the corpus (chapter *Data and augmentation*).

    Attributes
    ----------
    path : Path
        Absolute path of the file.
    clip_id : str
        Identifier unique in the corpus: the path relative to the corpus
        folder, without extension (``blues/blues.00000``); with it where two
        files differ only in extension (``pop/song.flac``, ``pop/song.wav``).
    label : str or None
        Genre / group label, when the layout gives one.
    """

    path: Path
    clip_id: str
    label: str | None = None

    @property
    def stem(self) -> str:
        """File name without extension (``blues.00000``)."""
        return self.path.stem


@dataclass
class FolderListing:
    """What one walk of a folder found: the audio clips and every item left out, with why.

    Chapter *Data and augmentation*; command ``musiccluster cluster``.

    Attributes
    ----------
    root : Path
        The resolved folder.
    clips : list of Clip
        Files with an audio extension (:data:`~musiccluster._constants.AUDIO_EXTENSIONS`),
        sorted by ``clip_id``.
    ignored : list of (path, reason)
        Every other file, and every folder not searched (hidden, unreadable, or
        reached a second time through a link), in walk order.
    visited : set of (st_dev, st_ino)
        Folders the walk went through (including those reached through links).
    n_files : int
        Files seen in those folders (audio or not).
    """

    root: Path
    clips: list[Clip]
    ignored: list[tuple[str, str]] = field(default_factory=list)
    visited: set[tuple[int, int]] = field(default_factory=set)
    n_files: int = 0

    @property
    def problems(self) -> list[tuple[str, str]]:
        """The ignored items that may hold music: folders not read (unreadable, reached twice) and
        audio-named files that are not regular files; not the non-audio or hidden files."""
        return [(p, r) for p, r in self.ignored if not r.startswith(("not an audio file", "hidden "))]


def _cannot_read(exc: OSError) -> str:
    return f"cannot read folder ({exc.strerror or exc})"


def _walk(root: Path, on_folder: Callable[[int], None] | None = None
          ) -> tuple[list[Path], list[tuple[str, str]], set[tuple[int, int]], int]:
    """The one walk of a music folder: (audio files sorted, ignored items, visited folders, files seen).

    Recursive, following symbolic links but entering each folder once (a link loop or a second
    link to a folder is listed as ignored, not searched again); hidden files and folders are
    skipped. ``on_folder(n)`` is called with the number of files of each folder searched.
    """
    found: list[Path] = []
    ignored: list[tuple[str, str]] = []
    visited: set[tuple[int, int]] = set()
    n_files = 0

    def onerror(exc: OSError) -> None:
        ignored.append((str(exc.filename or ""), _cannot_read(exc)))

    for dirpath, dirnames, filenames in os.walk(root, followlinks=True, onerror=onerror):
        try:
            st = os.stat(dirpath)
        except OSError as exc:
            ignored.append((dirpath, _cannot_read(exc)))
            dirnames[:] = []
            continue
        key = (st.st_dev, st.st_ino)
        if key in visited:  # a symlink loop or a second path to the same folder
            ignored.append((dirpath, ("folder already searched (a symbolic-link loop or a second "
                                      "link to it): not searched again")))
            dirnames[:] = []
            continue
        visited.add(key)
        dirnames.sort()
        ignored += [(os.path.join(dirpath, d), "hidden folder: not searched")
                    for d in dirnames if d.startswith(".")]
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in sorted(filenames):
            n_files += 1
            ext = os.path.splitext(name)[1].lower()
            if name.startswith("."):
                ignored.append((os.path.join(dirpath, name), "hidden file: ignored"))
            elif ext not in AUDIO_EXTENSIONS:
                ignored.append((os.path.join(dirpath, name),
                                f"not an audio file ({ext or 'no extension'}): ignored"))
            elif not _regular_or_unknown(os.path.join(dirpath, name)):
                ignored.append((os.path.join(dirpath, name),
                                "not a regular file (a pipe, device or socket): ignored"))
            else:
                found.append(Path(dirpath) / name)
        if on_folder is not None:
            on_folder(len(filenames))
    return sorted(found), ignored, visited, n_files


def _regular_or_unknown(path: str) -> bool:
    """False for a FIFO, device or socket (opening one can block forever); True for a file or a
    path that cannot be examined (a broken link: the extractor names its reason)."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return True


def _unique_ids(clips: list[Clip]) -> list[Clip]:
    """Clips whose ids clash (``song.wav`` + ``song.flac``) get the extension added; others keep theirs."""
    counts = Counter(c.clip_id for c in clips)
    taken = set(counts)
    out = []
    for c in clips:
        if counts[c.clip_id] > 1:
            new_id = c.clip_id + c.path.suffix
            while new_id in taken:
                new_id += "_"
            taken.add(new_id)
            c = Clip(path=c.path, clip_id=new_id, label=c.label)
        out.append(c)
    return out


def _clip(root: Path, path: Path) -> Clip:
    """The clip of an audio file: its id relative to ``root`` and its label from the layout."""
    rel = path.relative_to(root) if path.is_relative_to(root) else Path(path.name)
    parent = path.parent.name
    label: str | None
    if parent.lower() in GTZAN_GENRES:
        label = parent.lower()
    elif len(rel.parts) == 2:
        label = rel.parts[0]
    else:
        label = None
    return Clip(path=path, clip_id=rel.with_suffix("").as_posix(), label=label)


def list_folder(data_dir: str | os.PathLike[str],
                on_folder: Callable[[int], None] | None = None) -> FolderListing:
    """Walk a folder once: its audio clips (with labels) and every item left out, with the reason.

    Chapter *Data and augmentation*; command ``musiccluster cluster`` (its ``skipped.csv``).
    :func:`find_clips` is this listing's ``clips``.

    Parameters
    ----------
    data_dir : path-like
        Folder to search recursively.
    on_folder : callable, optional
        Called with the number of files of each folder searched (a progress bar).

    Raises
    ------
    DataError
        If ``data_dir`` is not a folder.
    """
    root = Path(data_dir).expanduser().resolve()
    if not root.is_dir():
        raise DataError(f"not a folder: {data_dir}")
    files, ignored, visited, n_files = _walk(root, on_folder)
    clips = sorted(_unique_ids([_clip(root, path) for path in files]), key=lambda c: c.clip_id)
    return FolderListing(root=root, clips=clips, ignored=ignored, visited=visited, n_files=n_files)


def find_clips(data_dir: str | os.PathLike[str]) -> list[Clip]:
    """List the audio clips under a folder, with labels where the layout gives them.

    Chapter *Data and augmentation*.

    Parameters
    ----------
    data_dir : path-like
        Folder to search recursively (:func:`list_folder`).

    Returns
    -------
    list of Clip
        Sorted by ``clip_id``. May be empty.

    Raises
    ------
    DataError
        If ``data_dir`` is not a folder.
    """
    return list_folder(data_dir).clips


def default_corpus_clips(
    n_per_style: int = 20, duration: float = 30.0, seed: int = 0, cache_dir=None,
    n_jobs: int = -1, progress: bool = True,
) -> tuple[Path, list[Clip]]:
    """Generate (once) the embedded stand-in corpus and list its clips (chapter *Data and augmentation*).

    Returns the corpus folder and its clips; the generated files are then read
    through exactly the same path as a user's folder.
    """
    from ..synth import ensure_default_corpus

    folder = ensure_default_corpus(
        n_per_style=n_per_style, duration=duration, seed=seed, cache_dir=cache_dir,
        n_jobs=n_jobs, progress=progress,
    )
    return folder, find_clips(folder)
