"""The output folder of ``musiccluster cluster``: what it may write, replace and delete there.

Command: ``musiccluster cluster``. A run

* **locks** ``OUT`` (``fcntl.flock`` on ``OUT/.musiccluster.lock``) for its whole length: a second
  run into the same folder at the same time stops at once with a one-line error;
* refuses an existing ``OUT`` that holds files but no **manifest** (``OUT/.musiccluster.json``, the
  list of files an earlier run wrote) unless ``force``;
* refuses an ``OUT`` where one of its outputs would be, or contain, the music folder
  (music = ``OUT/model``), and ``--assign`` into a training run's folder;
* **deletes only files the manifest lists** (an earlier run's playlists, ``k-selection.png`` or
  ``vae.pt`` that this run did not rewrite), and records what it wrote.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from pathlib import Path
from typing import Iterable, Iterator

from ..errors import ParameterError
from ..userfiles import write_user_file
from .scan import inside

MANIFEST = ".musiccluster.json"
LOCK = ".musiccluster.lock"
#: The top-level names a run writes in OUT (files and folders).
OUTPUT_NAMES = ("assignments.csv", "skipped.csv", "map.png", "map.html", "k-selection.png", "summary.json",
                "playlists", "model", MANIFEST, LOCK)


def read_manifest(out: Path) -> dict | None:
    """The manifest of an earlier run in ``out`` (``None``: none, or not readable).

    Command: ``musiccluster cluster``.
    """
    try:
        data = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("format") != "musiccluster-cluster-output":
        return None
    files = data.get("files")
    data["files"] = [f for f in files if isinstance(f, str)] if isinstance(files, list) else []
    return data


def _write_manifest(out: Path, mode: str, files: Iterable[str], state: str) -> None:
    record = {"format": "musiccluster-cluster-output", "mode": mode, "state": state,
              "files": sorted(set(files))}
    write_user_file(out / MANIFEST, (json.dumps(record, indent=1, ensure_ascii=False) + "\n")
                    .encode("utf-8", "backslashreplace"))


def _check_music(out: Path, music: Path) -> None:
    for name in OUTPUT_NAMES:
        p = out / name
        if inside(music, p) or inside(p, music):
            raise ParameterError("out", f"{out} would write {p}, which is or holds the music folder "
                                 f"{music}; musiccluster never writes inside the music folder")


def _foreign(out: Path) -> list[str]:
    return sorted(e.name for e in os.scandir(out) if e.name not in (MANIFEST, LOCK))


def _check_owner(out: Path, mode: str, force: bool) -> dict | None:
    """The earlier run's manifest, after refusing a folder of other files or a training run's (assign)."""
    old = read_manifest(out)
    if old is None and not force and _foreign(out):
        raise ParameterError("out", f"{out} already holds files that musiccluster did not write "
                             f"({', '.join(_foreign(out)[:3])}...); choose a new or empty folder, "
                             f"or --force to write there anyway (only same-named files are replaced)")
    if old is not None and mode == "assign" and old.get("mode") == "train":
        raise ParameterError("out", f"{out} holds the results of a training run: --assign would "
                             f"overwrite them; choose another --out")
    return old


@contextlib.contextmanager
def claim_output(out: Path, music: Path, *, mode: str, force: bool = False,
                 model_dir: Path | None = None) -> Iterator["OutputClaim"]:
    """Lock ``out`` for one run and check that the run may write there.

    Command: ``musiccluster cluster`` (``mode`` ``train`` or ``assign``).

    Raises
    ------
    ParameterError
        Another run holds ``out``; ``out`` holds files of something else (without ``force``);
        an output would be the music folder; ``--assign`` into a training run's folder.
    """
    out = Path(out).resolve()
    _check_music(out, Path(music).resolve())
    if model_dir is not None and inside(Path(model_dir).resolve(), out):
        raise ParameterError("out", f"{out} holds the model {model_dir}: --assign would overwrite "
                             f"the training results; choose another --out")
    out.mkdir(parents=True, exist_ok=True)
    _check_owner(out, mode, force)  # before the lock file: a refused folder is left as it was
    fd = os.open(out / LOCK, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ParameterError("out", f"another musiccluster cluster run is writing into {out}; "
                                 f"wait for it or choose another --out") from None
        old = _check_owner(out, mode, force)  # again, under the lock
        claim = OutputClaim(out, mode, list(old["files"]) if old else [])
        _write_manifest(out, mode, claim.previous, "running")
        yield claim
    finally:
        os.close(fd)


class OutputClaim:
    """What a locked run knows of its output folder. Command: ``musiccluster cluster``."""

    def __init__(self, out: Path, mode: str, previous: list[str]):
        self.out, self.mode, self.previous = out, mode, previous

    def finish(self, written: Iterable[str]) -> list[str]:
        """Record ``written`` (paths relative to OUT); delete the earlier run's files not rewritten.

        Command: ``musiccluster cluster``. Returns the paths deleted. Only regular files (not links)
        that the manifest lists are deleted.
        """
        written = set(written)
        removed = []
        for rel in self.previous:
            p = self.out / rel
            if rel in written or ".." in Path(rel).parts or Path(rel).is_absolute():
                continue
            with contextlib.suppress(OSError):
                if p.is_file() and not p.is_symlink():
                    p.unlink()
                    removed.append(rel)
        kept = {rel for rel in self.previous if rel not in removed and (self.out / rel).exists()}
        _write_manifest(self.out, self.mode, written | kept, "done")
        return removed


def written_files(summary: dict, model_files: Iterable[str] = ()) -> list[str]:
    """The files (relative to OUT) that a finished run wrote, from its ``summary.json``.

    Command: ``musiccluster cluster``.
    """
    outputs = dict(summary.get("outputs", {}))
    files = [v for k, v in outputs.items() if k not in ("playlists", "model", "playlist_files")]
    return [*files, "summary.json", *outputs.get("playlist_files", []), *model_files]
