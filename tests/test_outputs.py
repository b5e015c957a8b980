"""What the tool writes: a user's output path is written, never replaced; only the tool's own
files in an output folder are replaced or deleted (issue 16, items 2 and 4)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from conftest import tone
from musiccluster.errors import MusicClusterError, ParameterError
from musiccluster.features.featureset import FeatureSet
from musiccluster.features.mfcc import feature_names
from musiccluster.organize.outdir import LOCK, MANIFEST, claim_output
from musiccluster.organize.run import cluster_features, organize_library
from musiccluster.userfiles import OutputError, write_user_file

ROOT = Path(__file__).resolve().parents[1]
FAST = dict(k=2, method="raw", params={"n_segments": 2}, progress=False)


# --------------------------------------------------------------------------- write_user_file
def test_a_new_file_gets_the_umask_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        p = write_user_file(tmp_path / "new" / "a.csv", b"x\n")
    finally:
        os.umask(old)
    assert p.read_bytes() == b"x\n"
    assert stat.S_IMODE(p.stat().st_mode) == 0o644  # was 0600 from mkstemp


def test_an_existing_file_is_replaced_atomically_and_keeps_its_mode(tmp_path):
    p = tmp_path / "a.json"
    p.write_text("old")
    os.chmod(p, 0o640)
    write_user_file(p, b"new")
    assert p.read_bytes() == b"new" and stat.S_IMODE(p.stat().st_mode) == 0o640
    assert sorted(x.name for x in tmp_path.iterdir()) == ["a.json"]  # no temporary left


def test_a_symlink_is_written_through_and_kept(tmp_path):
    target = tmp_path / "real" / "result.json"
    target.parent.mkdir()
    target.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    write_user_file(link, b"new")
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_bytes() == b"new"


def test_a_character_device_is_written_to_not_replaced():
    """The report: as root, ``features DIR --out /dev/null`` replaced /dev/null by a regular file."""
    before = os.stat("/dev/null")
    write_user_file("/dev/null", b"discarded\n")
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and after.st_ino == before.st_ino


def test_a_fifo_with_a_reader_gets_the_bytes_and_without_one_is_refused(tmp_path):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    with pytest.raises(OutputError, match="FIFO that no process reads"):
        write_user_file(fifo, b"x")
    got = []
    reader = threading.Thread(target=lambda: got.append(open(fifo, "rb").read()))
    reader.start()
    import time
    for _ in range(200):  # wait (bounded) until the reader has opened its end
        try:
            write_user_file(fifo, b"through the pipe")
            break
        except OutputError:
            time.sleep(0.01)
    reader.join(5)
    assert got == [b"through the pipe"] and stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_a_folder_as_a_file_is_a_one_line_error(tmp_path):
    with pytest.raises(OutputError, match="is a folder"):
        write_user_file(tmp_path, b"x")
    assert issubclass(OutputError, MusicClusterError)


def test_experiment_and_evaluation_json_and_feature_csv_use_it():
    """The three user-facing writers outside ``cluster`` go through write_user_file."""
    for rel in ("features/kaggle.py", "experiment.py", "evaluation/result.py"):
        text = (ROOT / "src" / "musiccluster" / rel).read_text()
        assert "write_user_file(" in text and "atomic_write_bytes(" not in text, rel


def test_the_feature_table_is_written_through_a_symlink(tmp_path):
    from musiccluster.features.kaggle import write_kaggle_csv

    meta = pd.DataFrame({"filename": ["a.0.wav"], "clip_id": ["a"], "segment": [0], "label": ["x"],
                         "path": [str(tmp_path / "a.wav")], "start_s": [0.0], "end_s": [3.0],
                         "clip_duration_s": [3.0]})
    fs = FeatureSet(np.zeros((1, 26)), feature_names(13), meta)
    target = tmp_path / "shared" / "features.csv"
    target.parent.mkdir()
    target.write_text("old")
    link = tmp_path / "features.csv"
    link.symlink_to(target)
    write_kaggle_csv(fs, link)
    assert link.is_symlink() and target.read_text().startswith("filename,")


def test_features_out_dev_null_from_the_command_line(audio_dir):
    before = os.stat("/dev/null")
    proc = subprocess.run([sys.executable, "-m", "musiccluster", "features", str(audio_dir),
                           "--segments", "2", "--quiet", "--out", "/dev/null"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and after.st_ino == before.st_ino


# --------------------------------------------------------------------------- cluster's OUT
def _music(root: Path, n: int = 4) -> Path:
    for i in range(n):
        (root / ("A" if i % 2 else "B")).mkdir(parents=True, exist_ok=True)
        sf.write(root / ("A" if i % 2 else "B") / f"t{i}.wav", tone(3, 110 * (1 + 0.3 * i), seed=i), 22050)
    return root


def test_cluster_outputs_are_readable_by_others_and_listed_in_a_manifest(tmp_path):
    old = os.umask(0o022)
    try:
        res = organize_library(_music(tmp_path / "m"), tmp_path / "out", cache=False, **FAST)
    finally:
        os.umask(old)
    out = res.out_dir
    for name in ("assignments.csv", "summary.json", "skipped.csv", "map.png"):
        assert stat.S_IMODE((out / name).stat().st_mode) == 0o644, name
    listed = json.loads((out / MANIFEST).read_text())["files"]
    assert {"assignments.csv", "summary.json", "model/config.json"} <= set(listed)
    assert any(f.startswith("playlists/") and f.endswith(".m3u8") for f in listed)


def test_an_existing_folder_of_other_files_is_refused_without_force(tmp_path):
    music = _music(tmp_path / "m")
    out = tmp_path / "docs"
    out.mkdir()
    (out / "summary.json").write_text("the user's own")
    (out / "k-selection.png").write_text("the user's own picture")
    with pytest.raises(ParameterError, match="--force"):
        organize_library(music, out, cache=False, **FAST)
    assert (out / "summary.json").read_text() == "the user's own"
    assert sorted(p.name for p in out.iterdir()) == ["k-selection.png", "summary.json"]  # nothing added
    res = organize_library(music, out, cache=False, force=True, **FAST)
    assert res.summary["counts"]["tracks_used"] == 4
    assert (out / "k-selection.png").read_text() == "the user's own picture"  # --k given: not rewritten
    # a run choosing k replaces k-selection.png (it is the tool's from then on); a later run
    # with --k removes it as stale
    organize_library(music, out, cache=False, k=None, k_range=(2, 3), method="raw",
                     params={"n_segments": 2}, progress=False)
    assert "k-selection.png" in json.loads((out / MANIFEST).read_text())["files"]
    organize_library(music, out, cache=False, **FAST)
    assert not (out / "k-selection.png").exists()


def test_only_files_the_manifest_lists_are_deleted(tmp_path):
    music = _music(tmp_path / "m")
    out = tmp_path / "out"
    organize_library(music, out, cache=False, k=3, method="raw", params={"n_segments": 2}, progress=False)
    assert (out / "playlists" / "cluster-03.m3u8").exists()
    (out / "playlists" / "mine.m3u8").write_text("#EXTM3U\n")
    (out / "playlists" / "cluster-09.m3u8").write_text("#EXTM3U\nthe user's\n")
    (out / "model" / "vae.pt").write_bytes(b"the user's weights")  # method raw writes no vae.pt
    organize_library(music, out, cache=False, **FAST)
    assert not (out / "playlists" / "cluster-03.m3u8").exists()  # stale, the tool's own: removed
    assert (out / "playlists" / "mine.m3u8").exists()
    assert (out / "playlists" / "cluster-09.m3u8").read_text() == "#EXTM3U\nthe user's\n"
    assert (out / "model" / "vae.pt").read_bytes() == b"the user's weights"


def test_music_inside_out_is_never_written_or_deleted(tmp_path):
    """The report: music = OUT/model, the user's vae.pt deleted and config.json overwritten."""
    out = tmp_path / "out"
    music = _music(out / "model")
    (music / "vae.pt").write_bytes(b"user weights")
    (music / "config.json").write_text("{}")
    with pytest.raises(ParameterError, match="music folder"):
        organize_library(music, out, cache=False, force=True, **FAST)
    assert (music / "vae.pt").read_bytes() == b"user weights" and (music / "config.json").read_text() == "{}"
    # music beside the outputs is fine
    res = organize_library(_music(tmp_path / "lib" / "songs"), tmp_path / "lib", cache=False, force=True,
                           **FAST)
    assert res.summary["counts"]["tracks_used"] == 4


def test_assign_into_the_training_folder_is_refused(tmp_path):
    from musiccluster.organize.run import assign_library

    music = _music(tmp_path / "m")
    out = tmp_path / "out"
    organize_library(music, out, cache=False, **FAST)
    before = (out / "assignments.csv").read_bytes()
    new = _music(tmp_path / "new", 2)
    with pytest.raises(ParameterError, match="training"):
        assign_library(new, out / "model", out, cache=False, progress=False)
    assert (out / "assignments.csv").read_bytes() == before
    res = assign_library(new, out / "model", tmp_path / "out2", cache=False, progress=False)
    assert len(res.tracks) == 2
    organize_library(music, tmp_path / "out3", cache=False, **FAST)  # another training run's folder
    with pytest.raises(ParameterError, match="training"):
        assign_library(new, out / "model", tmp_path / "out3", cache=False, progress=False)


def test_a_second_run_into_a_locked_out_stops_at_once(tmp_path):
    out = tmp_path / "out"
    music = _music(tmp_path / "m")
    with claim_output(out, music, mode="train"):
        with pytest.raises(ParameterError, match="another musiccluster cluster run"):
            organize_library(music, out, cache=False, **FAST)
        # the lock is held by another process too (flock is per open file)
        code = ("import fcntl, os, sys; fd = os.open(sys.argv[1], os.O_RDWR)\n"
                "try:\n    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)\nexcept BlockingIOError:\n"
                "    sys.exit(3)\n")
        assert subprocess.run([sys.executable, "-c", code, str(out / LOCK)], timeout=60).returncode == 3
    assert organize_library(music, out, cache=False, **FAST).summary["counts"]["tracks_used"] == 4


def test_cluster_features_takes_the_same_care(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    rng = np.random.default_rng(0)
    meta = pd.DataFrame({"clip_id": np.repeat([f"c{i}" for i in range(4)], 2), "segment": [0, 1] * 4,
                         "path": np.repeat([str(tmp_path / f"c{i}.wav") for i in range(4)], 2),
                         "label": None, "duration_s": 3.0})
    fs = FeatureSet(rng.standard_normal((8, 26)), feature_names(13), meta)
    with pytest.raises(ParameterError, match="--force"):
        cluster_features(fs, out, **FAST)


# --------------------------------------------------------------------------- report's run folder
def test_report_never_deletes_a_book_folder_it_did_not_write(tmp_path):
    from musiccluster.book.rerun import MARKER, rerun_book

    book = tmp_path / "runs" / "x" / "book"
    book.mkdir(parents=True)
    (book / "notes.md").write_text("the user's")
    with pytest.raises(MusicClusterError, match="not written by musiccluster report"):
        rerun_book("x", {"epochs": 1}, root=ROOT, runs_dir=tmp_path / "runs", build=False, progress=False)
    assert (book / "notes.md").read_text() == "the user's"
    assert not list((tmp_path / "runs" / "x").glob(".book-new-*"))
    assert MARKER.startswith(".")


def test_report_keeps_the_earlier_book_when_the_run_fails(tmp_path, monkeypatch):
    """The report: the old book/ was rmtree'd before any chapter ran, even when the run then failed."""
    import papermill

    from musiccluster.book import rerun

    book = tmp_path / "runs" / "x" / "book"
    book.mkdir(parents=True)
    (book / rerun.MARKER).write_text("")
    (book / "results.ipynb").write_text("the earlier run")

    def fail(*a, **k):
        raise papermill.PapermillExecutionError(0, 1, "boom", "RuntimeError", "boom", [])

    monkeypatch.setattr(papermill, "execute_notebook", fail)
    with pytest.raises(MusicClusterError, match="failed"):
        rerun.rerun_book("x", {"epochs": 1}, root=ROOT, runs_dir=tmp_path / "runs", build=False, progress=False)
    assert (book / "results.ipynb").read_text() == "the earlier run"
