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
from dataclasses import dataclass
from pathlib import Path

from .._constants import AUDIO_EXTENSIONS, GTZAN_GENRES
from ..errors import DataError


@dataclass(frozen=True)
class Clip:
    """One audio file of the corpus.

    Attributes
    ----------
    path : Path
        Absolute path of the file.
    clip_id : str
        Identifier unique in the corpus: the path relative to the corpus
        folder, without extension (``blues/blues.00000``).
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


def _walk_audio(root: Path) -> list[Path]:
    """Audio files under ``root``, recursively, sorted, following no symlink loops."""
    found: list[Path] = []
    seen_dirs: set[tuple[int, int]] = set()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True, onerror=None):
        try:
            st = os.stat(dirpath)
        except OSError:
            dirnames[:] = []
            continue
        key = (st.st_dev, st.st_ino)
        if key in seen_dirs:  # a symlink loop or a second path to the same folder
            dirnames[:] = []
            continue
        seen_dirs.add(key)
        dirnames.sort()
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in filenames:
            if name.startswith("."):
                continue
            if os.path.splitext(name)[1].lower() in AUDIO_EXTENSIONS:
                found.append(Path(dirpath) / name)
    return sorted(found)


def find_clips(data_dir: str | os.PathLike[str]) -> list[Clip]:
    """List the audio clips under a folder, with labels where the layout gives them.

    Parameters
    ----------
    data_dir : path-like
        Folder to search recursively.

    Returns
    -------
    list of Clip
        Sorted by ``clip_id``. May be empty.

    Raises
    ------
    DataError
        If ``data_dir`` is not a folder.
    """
    root = Path(data_dir).expanduser().resolve()
    if not root.is_dir():
        raise DataError(f"not a folder: {data_dir}")
    files = _walk_audio(root)
    clips: list[Clip] = []
    for path in files:
        rel = path.relative_to(root) if path.is_relative_to(root) else Path(path.name)
        parent = path.parent.name
        label: str | None
        if parent.lower() in GTZAN_GENRES:
            label = parent.lower()
        elif len(rel.parts) == 2:
            label = rel.parts[0]
        else:
            label = None
        clip_id = rel.with_suffix("").as_posix()
        clips.append(Clip(path=path, clip_id=clip_id, label=label))
    clips.sort(key=lambda c: c.clip_id)
    return clips


def default_corpus_clips(
    n_per_style: int = 20, duration: float = 30.0, seed: int = 0, cache_dir=None,
    n_jobs: int = -1, progress: bool = True,
) -> tuple[Path, list[Clip]]:
    """Generate (once) the embedded stand-in corpus and list its clips.

    Returns the corpus folder and its clips; the generated files are then read
    through exactly the same path as a user's folder.
    """
    from ..synth import ensure_default_corpus

    folder = ensure_default_corpus(
        n_per_style=n_per_style, duration=duration, seed=seed, cache_dir=cache_dir,
        n_jobs=n_jobs, progress=progress,
    )
    return folder, find_clips(folder)


# ------------------------------------------------------------------ exclusion lists


