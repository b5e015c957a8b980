"""File names the OS allows but text formats do not: non-UTF-8 bytes, line breaks, spreadsheet
formulas (issue 16, item 6), and the playlists' encoding (issue 18, item 5)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import soundfile as sf

from conftest import tone
from musiccluster.commands import print_skip_report
from musiccluster.userfiles import spreadsheet_safe
from musiccluster.organize.playlists import read_playlist, resolve_playlist
from musiccluster.organize.run import organize_library

FAST = dict(method="raw", params={"n_segments": 2}, progress=False, cache=False)


def _name(folder: Path, raw: bytes) -> str:
    """A path under ``folder`` whose last part is the bytes ``raw`` (surrogate-escaped, as os gives it)."""
    return os.fsdecode(os.fsencode(str(folder)) + b"/" + raw)


def _wav(path: str, seed: int, freq: float = 200.0) -> None:
    Path(os.fsdecode(os.path.dirname(os.fsencode(path)))).mkdir(parents=True, exist_ok=True)
    sf.write(os.fsencode(path), tone(3, freq, seed=seed), 22050)


def _read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, encoding="utf-8", encoding_errors="surrogateescape")


@pytest.fixture
def awkward(tmp_path) -> tuple[Path, dict[str, str]]:
    root = tmp_path / "Music"
    names = {
        "latin1": _name(root / "A", b"caf\xe9.wav"),             # not UTF-8
        "newline": str(root / "A" / "two\nlines.wav"),
        "newline_folder": str(root / "B\rC" / "song.wav"),
        "formula": str(root / "B" / "=1+1.wav"),
        "minus": str(root / "B" / "-2+3.wav"),
        "unicode": str(root / "B" / "déjà vu.wav"),
        "plain": str(root / "A" / "plain.wav"),
    }
    for i, p in enumerate(names.values()):
        _wav(p, i, 110 * (1 + 0.25 * i))
    return root, names


def test_cluster_uses_and_writes_every_awkward_name(awkward, tmp_path):
    root, names = awkward
    res = organize_library(root, tmp_path / "out", k=2, **FAST)
    out = res.out_dir
    assert sorted(res.tracks["path"]) == sorted(names.values())  # the non-UTF-8 WAV is used
    assert len(res.skipped) == 0
    raw = (out / "assignments.csv").read_bytes()
    assert b"caf\xe9.wav" in raw  # the OS bytes, so the path names the file
    back = _read_csv(out / "assignments.csv")
    assert _name(root / "A", b"caf\xe9.wav") in set(back["path"])


def test_a_line_break_never_splits_a_playlist_entry(awkward, tmp_path):
    root, names = awkward
    out = organize_library(root, tmp_path / "out", k=2, **FAST).out_dir
    playlists = sorted((out / "playlists").glob("cluster-*.m3u8"))
    entries = [p for pl in playlists for p in resolve_playlist(pl)]
    assert all(p.is_file() for p in entries)  # every entry line is a whole, existing path
    listed = {str(p.resolve()) for p in entries}
    assert listed == {names[k] for k in ("formula", "minus", "unicode", "plain")}
    skipped = _read_csv(out / "skipped.csv")
    unlisted = skipped[skipped["kind"] == "unlisted"]
    assert sorted(unlisted["path"]) == sorted(names[k] for k in ("latin1", "newline", "newline_folder"))
    reasons = dict(zip(unlisted["path"], unlisted["reason"]))
    assert "line break" in reasons[names["newline"]] and "line break" in reasons[names["newline_folder"]]
    assert "not valid UTF-8" in reasons[names["latin1"]]


def test_playlists_are_m3u8_in_utf8(awkward, tmp_path):
    root, names = awkward
    out = organize_library(root, tmp_path / "out", k=2, **FAST).out_dir
    playlists = sorted((out / "playlists").glob("*"))
    assert playlists and all(p.suffix == ".m3u8" for p in playlists)
    for pl in playlists:
        text = pl.read_bytes().decode("utf-8")  # strict: valid UTF-8
        assert text.startswith("#EXTM3U\n#EXTENC:UTF-8\n")
    assert any(e.endswith("déjà vu.wav") for pl in playlists for e in read_playlist(pl))


def test_formula_names_are_quoted_in_user_csv_files(awkward, tmp_path):
    root, names = awkward
    out = organize_library(root, tmp_path / "out", k=2, **FAST).out_dir
    rows = _read_csv(out / "assignments.csv")
    assert not any(str(p).startswith(("=", "+", "-", "@")) for p in rows["path"])  # absolute anyway
    df = spreadsheet_safe(pd.DataFrame({"label": ["=1+1", "+x", "-2", "@a", "\tt", "\rr", "ok"],
                                        "n": [-1, 2, 3, 4, 5, 6, 7]}))
    assert list(df["label"]) == ["'=1+1", "'+x", "'-2", "'@a", "'\tt", "'\rr", "ok"]
    assert list(df["n"]) == [-1, 2, 3, 4, 5, 6, 7]  # numbers untouched


def test_formula_label_from_a_folder_name_is_quoted(tmp_path):
    root = tmp_path / "Music"
    for i in range(3):
        _wav(str(root / "=HYPERLINK(1)" / f"t{i}.wav"), i, 150 * (1 + 0.3 * i))
        _wav(str(root / "calm" / f"t{i}.wav"), 10 + i, 400 * (1 + 0.3 * i))
    out = organize_library(root, tmp_path / "out", k=2, **FAST).out_dir
    text = (out / "assignments.csv").read_text(encoding="utf-8")
    assert ",'=HYPERLINK(1)," in text and ",=HYPERLINK" not in text


def test_skip_report_under_a_strict_utf8_stream():
    buf = io.BytesIO()
    stream = io.TextIOWrapper(buf, encoding="utf-8", errors="strict")
    skipped = pd.DataFrame({"path": [os.fsdecode(b"/m/caf\xe9.wav"), "/m/ok.wav"], "reason": ["empty", "silent"]})
    print_skip_report(skipped, stream)
    stream.flush()
    text = buf.getvalue().decode("utf-8")
    assert "/m/caf\\udce9.wav: empty" in text and "/m/ok.wav: silent" in text


def test_features_command_with_a_non_utf8_name_under_strict_stdout(tmp_path):
    root = tmp_path / "genres"
    for i in range(2):
        _wav(str(root / "blues" / f"blues.{i:05d}.wav"), i)
    _wav(_name(root / "blues", b"bl\xfces.wav"), 5)            # valid audio, non-UTF-8 name
    with open(os.fsencode(_name(root / "blues", b"\xff-empty.wav")), "wb"):
        pass                                                   # skipped: empty
    env = dict(os.environ, PYTHONIOENCODING="utf-8:strict")
    proc = subprocess.run([sys.executable, "-m", "musiccluster", "features", str(root), "--segments", "2",
                           "--quiet", "--out", str(tmp_path / "f.csv")], capture_output=True, env=env,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    assert b"\\udcff-empty.wav" in proc.stdout
    assert b"bl\xfces.0.wav" in (tmp_path / "f.csv").read_bytes()  # used, its name written as its bytes


def test_spreadsheet_escape_round_trips_every_name():
    from musiccluster.userfiles import spreadsheet_escape, spreadsheet_unescape

    names = ["=1+1.wav", "'=1+1.wav", "''@x", "-2.wav", "+a", "\tt", "plain.wav", "'quoted.wav", "", "'"]
    escaped = [spreadsheet_escape(n) for n in names]
    assert not any(e.startswith(("=", "+", "-", "@", "\t", "\r")) for e in escaped)
    assert escaped[:3] == ["'=1+1.wav", "''=1+1.wav", "'''@x"] and escaped[6:] == names[6:]
    assert [spreadsheet_unescape(e) for e in escaped] == names


def test_features_table_escapes_formula_names_and_reads_them_back(tmp_path, capsys):
    from musiccluster.cli import main
    from musiccluster.features.kaggle import read_kaggle_csv

    music = tmp_path / "music"
    names = ["=1+1.wav", "@SUM(A1).wav", "-loud.wav", "plain.wav"]
    for i, name in enumerate(names):
        _wav(str(music / "=HYPERLINK(1)" / name), i, 150 * (1 + 0.3 * i))
    out = tmp_path / "f.csv"
    assert main(["features", str(music), "--out", str(out), "--segments", "2", "--quiet", "--jobs", "1",
                 "--cache-dir", str(tmp_path / "cache")]) == 0
    text = out.read_text(encoding="utf-8")
    for line in text.splitlines()[1:]:
        assert not line.startswith(("=", "+", "-", "@")) and ",=" not in line and ",@" not in line, line
    back = read_kaggle_csv(out)
    assert sorted(set(back.meta["filename"])) == sorted(f"{n[:-4]}.{s}.wav" for n in names for s in (0, 1))
    assert set(back.meta["label"]) == {"=HYPERLINK(1)"}
    assert back.n_clips == 4


def test_cluster_command_with_non_utf8_names_under_strict_stdout(tmp_path):
    root = tmp_path / "Music"
    for i in range(3):
        _wav(_name(root / "calm", b"caf\xe9%d.wav" % i), i, 150 * (1 + 0.3 * i))
        _wav(str(root / "loud" / f"t{i}.wav"), 10 + i, 400 * (1 + 0.3 * i))
    with open(os.fsencode(_name(root / "calm", b"\xff-empty.wav")), "wb"):
        pass                                                   # skipped: empty
    env = dict(os.environ, PYTHONIOENCODING="utf-8:strict")   # log lines on stderr, summary on stdout
    proc = subprocess.run([sys.executable, "-m", "musiccluster", "cluster", str(root), "--out", str(tmp_path / "out"),
                           "--k", "2", "--method", "raw", "--segments", "2", "--cache-dir", str(tmp_path / "cache")],
                          capture_output=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    assert b"organised into 2 playlist(s)" in proc.stdout and b"Traceback" not in proc.stderr
    assert b"\xff-empty.wav" in (tmp_path / "out" / "skipped.csv").read_bytes()
    assert b"caf\xe90.wav" in (tmp_path / "out" / "assignments.csv").read_bytes()
