"""The book's jupyter-cache reuses a chapter only when nothing its outputs depend on changed.

Guards ``musiccluster.book.execution_cache`` (the reason ``_config.yml`` may use ``cache`` mode).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

from musiccluster.book import execution_cache as ec

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "musiccluster"


@pytest.fixture()
def project(tmp_path):
    """A small project: a copy of the package, book/ with two chapters, benchmarks/ with a record."""
    pkg = tmp_path / "pkg" / "musiccluster"
    shutil.copytree(PACKAGE, pkg, ignore=shutil.ignore_patterns("__pycache__"))
    book = tmp_path / "book"
    book.mkdir()
    (book / "intro.md").write_text("```{code-cell}\ndata_dir = None\nk = 5\n```\n")
    (book / "data.md").write_text("```{code-cell}\ndata_dir = 'music'  # a folder beside the chapters\n```\n")
    music = book / "music"
    music.mkdir()
    (music / "a.wav").write_bytes(b"RIFF0000")
    (tmp_path / "benchmarks").mkdir()
    (tmp_path / "benchmarks" / "eval.json").write_text('{"silhouette": 0.3}')
    return SimpleNamespace(root=tmp_path, pkg=pkg, book=book, music=music)


def fp(p) -> str:
    return ec.book_fingerprint(p.book, p.root, p.pkg)


def test_the_fingerprint_is_stable_when_nothing_changed(project):
    assert fp(project) == fp(project)
    assert len(fp(project)) == 16


@pytest.mark.parametrize("change", ["library source", "package data", "record", "data folder", "new data file"])
def test_the_fingerprint_changes_with_what_the_outputs_depend_on(project, change):
    before = fp(project)
    if change == "library source":
        path = project.pkg / "clustering.py"
        path.write_text(path.read_text() + "\n# an edit\n")
    elif change == "package data":
        (project.pkg / "synth" / "extra.dat").write_bytes(b"\x00\x01")
    elif change == "record":
        (project.root / "benchmarks" / "eval.json").write_text('{"silhouette": 0.31}')
    elif change == "data folder":
        (project.music / "a.wav").write_bytes(b"RIFF00001")
    else:
        (project.music / "sub").mkdir()
        (project.music / "sub" / "b.flac").write_bytes(b"fLaC")
    assert fp(project) != before, change


def test_compiled_files_and_chapter_text_do_not_change_it(project):
    before = fp(project)
    (project.pkg / "__pycache__").mkdir(exist_ok=True)
    (project.pkg / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"\x00")
    # a chapter's own code is jupyter-cache's key, not this fingerprint's
    (project.book / "intro.md").write_text("```{code-cell}\ndata_dir = None\nk = 6\n```\n")
    assert fp(project) == before


def test_data_dirs_are_read_from_the_parameters_cells(project):
    assert ec.data_dirs(project.book) == ["music"]


def test_other_fingerprints_are_pruned_and_a_build_without_downloads_starts_afresh(tmp_path):
    cache = tmp_path / "_build" / ".jupyter_cache"
    current, old = cache / "0123456789abcdef", cache / "fedcba9876543210"
    lookalike = cache / "aaaaaaaaaaaaaaaa"  # a fingerprint's name, but no jupyter-cache inside: not ours
    for folder in (current, old, cache / "not-ours", lookalike):
        folder.mkdir(parents=True)
    for folder in (current, old):
        (folder / "global.db").write_bytes(b"")
    downloads = tmp_path / "_build" / "html" / "_static" / "downloads"
    downloads.mkdir(parents=True)
    assert ec.prune(current, downloads) == [old]
    assert current.is_dir() and (cache / "not-ours").is_dir() and lookalike.is_dir()
    shutil.rmtree(downloads)  # the HTML was deleted: reused chapters would not rewrite their downloads
    assert ec.prune(current, downloads) == [current] and not current.exists()


def _app(tmp_path, mode, path=""):
    book = tmp_path / "book"
    book.mkdir(exist_ok=True)
    (book / "intro.md").write_text("data_dir = None\n")
    config = SimpleNamespace(nb_execution_mode=mode, nb_execution_cache_path=path)
    return SimpleNamespace(srcdir=str(book), outdir=str(tmp_path / "_build" / "html")), config


def test_cache_mode_gets_the_fingerprinted_folder(tmp_path):
    app, config = _app(tmp_path, "cache")
    ec.use_fingerprinted_cache(app, config)
    folder = Path(config.nb_execution_cache_path)
    assert folder.parent == (tmp_path / "_build" / ".jupyter_cache").resolve()
    assert folder.name == ec.book_fingerprint(app.srcdir)


@pytest.mark.parametrize("mode,path", [("force", ""), ("cache", "/somewhere/of/the/users")])
def test_other_modes_and_a_chosen_folder_are_left_alone(tmp_path, mode, path):
    app, config = _app(tmp_path, mode, path)
    ec.use_fingerprinted_cache(app, config)
    assert config.nb_execution_cache_path == path
