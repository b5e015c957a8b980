"""What a reader can take away from a chapter: its run's JSON and its embeddings and clusters as CSV.

A chapter calls :func:`publish_experiment` / :func:`publish_evaluation`; the files go into the
folder the book's Sphinx extension (:mod:`musiccluster.book.sphinx`) names in the environment
variable :data:`DOWNLOADS_ENV` of the kernels it starts (``_build/html/_static/downloads/<page>/``).
The extension then links every file of a page's folder, with the page's executed notebook, from
that page's footer. Outside a book build (the variable unset) nothing is written.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np

from ..cache import atomic_write_bytes

#: The environment variable naming the folder of the build's downloads.
DOWNLOADS_ENV = "MUSICCLUSTER_BOOK_DOWNLOADS"
#: Where the executed notebooks and the chapters' downloads go inside the HTML output.
DOWNLOADS_DIR = "_static/downloads"
#: The file (at the folder's top) that names the corpus the build ran on.
CORPUS_FILE = "corpus.json"


def downloads_folder() -> Path | None:
    """The build's downloads folder, or ``None`` outside a book build. Chapter: every chapter."""
    value = os.environ.get(DOWNLOADS_ENV)
    return Path(value) if value else None


def corpus_identity(data) -> dict[str, str]:
    """``source`` (what the library says it read) and ``features_sha256`` (the first 16 hex digits of
    the SHA-256 of the feature matrix as float64): the same corpus and features give the same identity.

    Chapter: every chapter (its provenance footer).
    """
    X = np.ascontiguousarray(np.asarray(data.X, dtype=np.float64))
    return {"source": str(data.source), "features_sha256": hashlib.sha256(X.tobytes()).hexdigest()[:16],
            "rows": str(X.shape[0]), "features": str(X.shape[1])}


def publish(page: str, files: dict[str, bytes | str], folder: Path | None = None) -> list[Path]:
    """Write ``files`` (name -> content) into ``<downloads>/<page>/``; ``[]`` outside a book build.

    Chapter: every chapter with downloads.
    """
    folder = folder if folder is not None else downloads_folder()
    if folder is None:
        return []
    written = []
    for name, content in files.items():
        if Path(name).name != name or name.startswith("."):
            raise ValueError(f"not a plain file name: {name!r}")
        path = folder / page / name
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, content.encode("utf-8") if isinstance(content, str) else content, mode=0o644)
        written.append(path)
    return written


def publish_experiment(page: str, result, folder: Path | None = None) -> list[Path]:
    """``result.json`` (:meth:`~musiccluster.experiment.ExperimentResult.to_json`) and
    ``segments.csv`` (one row per segment: metadata, both embeddings, both cluster labels), plus the
    corpus identity (:func:`corpus_identity`) for every page's footer.

    Chapters: Results, Listening (and every chapter that runs the experiment).
    """
    folder = folder if folder is not None else downloads_folder()
    if folder is None:
        return []
    csv = result.segments_frame().to_csv(index=False, float_format="%.6g")
    written = publish(page, {"result.json": result.to_json(), "segments.csv": csv}, folder)
    atomic_write_bytes(folder / CORPUS_FILE, (json.dumps(corpus_identity(result.data), indent=1) + "\n").encode(),
                       mode=0o644)
    return written


def publish_evaluation(page: str, evaluation, folder: Path | None = None) -> list[Path]:
    """``eval.json`` (:meth:`~musiccluster.evaluation.result.EvaluationResult.to_json`).

    Chapters: Introduction, Results, Evaluation.
    """
    return publish(page, {"eval.json": evaluation.to_json()}, folder)
