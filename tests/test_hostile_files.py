"""Hostile files in a music folder (issue 16, items 1, 5, 10-12; decoder noise under --quiet, item 11): no hang, no lost track, named skips."""

import os
import threading

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from conftest import tone
from musiccluster.data.corpus import list_folder
from musiccluster.features import segments
from musiccluster.features.extract import _read_entry, extract_features
from musiccluster.features.kaggle import read_kaggle_csv, write_kaggle_csv
from musiccluster.features.segments import SkipClip, load_audio
from musiccluster.params import FeatureParams

SR = 22050
FP = FeatureParams(n_segments=2, min_segment_s=1.0)


def _in_thread(fn, timeout=60):
    """Run ``fn`` in a daemon thread; fail (instead of hanging the suite) if it blocks."""
    out = {}

    def target():
        try:
            out["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - reported below
            out["error"] = exc

    t = threading.Thread(target=target, daemon=True)
    t.start()
    t.join(timeout)
    assert not t.is_alive(), "blocked (opened a FIFO?)"
    if "error" in out:
        raise out["error"]
    return out["value"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_a_fifo_named_like_audio_is_ignored_not_opened(tmp_path):
    music = tmp_path / "music"
    music.mkdir()
    sf.write(music / "x.wav", tone(3, 220), SR)
    os.mkfifo(music / "y.wav")
    listing = list_folder(music)
    assert [c.path.name for c in listing.clips] == ["x.wav"]
    assert any(p.endswith("y.wav") and "not a regular file" in r for p, r in listing.ignored)
    fs = _in_thread(lambda: extract_features(listing.clips, FP, cache_dir=tmp_path / "c", n_jobs=1,
                                             progress=False, warn_skips=False))
    assert fs.n_clips == 1
    # handed a FIFO directly (a list made before it appeared), extraction skips it without opening it
    from musiccluster.data.corpus import Clip
    fifo = Clip(path=music / "y.wav", clip_id="y")
    fs = _in_thread(lambda: extract_features([*listing.clips, fifo], FP, cache_dir=tmp_path / "c",
                                             n_jobs=1, progress=False, warn_skips=False))
    assert fs.skipped["reason"].str.contains("not a regular file").all() and len(fs.skipped) == 1


def test_same_stem_different_extension_are_two_clips(tmp_path):
    music = tmp_path / "music" / "pop"
    music.mkdir(parents=True)
    sf.write(music / "song.wav", tone(3, 220), SR)
    sf.write(music / "song.flac", tone(3, 440, seed=1), SR)
    sf.write(music / "other.wav", tone(3, 330, seed=2), SR)
    clips = list_folder(tmp_path / "music").clips
    ids = [c.clip_id for c in clips]
    assert len(set(ids)) == 3
    assert "pop/other" in ids  # an id without a clash is today's id
    fs = extract_features(clips, FP, cache=False, n_jobs=1, progress=False)
    assert fs.n_clips == 3 and fs.n_samples == 6
    assert fs.meta.groupby("clip_id").size().tolist() == [2, 2, 2]


def test_a_written_table_keeps_same_stem_files_of_two_folders_apart(tmp_path):
    for genre, freq in (("blues", 220), ("rock", 440)):
        (tmp_path / "m" / genre).mkdir(parents=True)
        sf.write(tmp_path / "m" / genre / "track.wav", tone(3, freq), SR)
    fs = extract_features(list_folder(tmp_path / "m").clips, FP, cache=False, n_jobs=1, progress=False)
    back = read_kaggle_csv(write_kaggle_csv(fs, tmp_path / "t.csv"))
    assert back.n_clips == 2 and back.n_samples == 4
    assert sorted(back.meta.groupby("clip_id")["label"].first()) == ["blues", "rock"]


def test_a_public_style_table_with_only_filename_reads_as_before(tmp_path):
    cols = {f"mfcc{i}_{s}": [1.0, 2.0, 3.0] for i in range(1, 14) for s in ("mean", "var")}
    df = pd.DataFrame({"filename": ["blues.00000.0.wav", "blues.00000.1.wav", "rock.00001.0.wav"], **cols,
                       "label": ["blues", "blues", "rock"]})
    df.to_csv(tmp_path / "k.csv", index=False)
    fs = read_kaggle_csv(tmp_path / "k.csv")
    assert fs.meta["clip_id"].tolist() == ["blues.00000", "blues.00000", "rock.00001"]


def test_wrong_feature_cache_entries_are_not_used(tmp_path):
    good = np.ones((2, 26))
    cases = {"nan": (np.full((2, 26), np.nan), 3.0), "rows": (np.ones((3, 26)), 3.0),
             "cols": (np.ones((2, 25)), 3.0), "negative": (good, -1.0), "zero": (good, 0.0),
             "inf_duration": (good, np.inf)}
    for name, (X, duration) in cases.items():
        np.savez(tmp_path / f"{name}.npz", X=X, duration=np.float64(duration))
        assert _read_entry(tmp_path / f"{name}.npz", FP) is None, name
    np.savez(tmp_path / "ok.npz", X=good, duration=np.float64(3.0))
    assert _read_entry(tmp_path / "ok.npz", FP) is not None


def test_a_random_mp3_is_named_unreadable_not_a_pipe(tmp_path):
    (tmp_path / "noise.mp3").write_bytes(np.random.default_rng(0).bytes(20000))
    (tmp_path / "header.mp3").write_bytes(b"ID3\x03\x00\x00\x00\x00\x00\x00")
    for name in ("noise.mp3", "header.mp3"):
        with pytest.raises(SkipClip) as err:
            load_audio(tmp_path / name)
        assert "pipe" not in str(err.value) and "System error" not in str(err.value), str(err.value)


def test_permission_denied_is_named(tmp_path, monkeypatch):
    path = tmp_path / "locked.wav"
    sf.write(path, tone(2, 220), SR)
    real_open = open

    def fake_open(file, *a, **k):  # root can read a chmod-000 file: simulate the refusal
        if str(file) == str(path):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *a, **k)

    monkeypatch.setattr("builtins.open", fake_open)
    with pytest.raises(SkipClip, match="permission denied"):
        load_audio(path)


def test_a_file_over_the_duration_limit_is_skipped_before_decoding(tmp_path, monkeypatch):
    path = tmp_path / "long.wav"
    sf.write(path, tone(5, 220), SR)
    monkeypatch.setattr(sf.SoundFile, "read", lambda *a, **k: pytest.fail("decoded"))
    with pytest.raises(SkipClip, match="too long"):
        load_audio(path, max_duration_s=4.0)
    assert segments.MAX_DURATION_S == 3600.0


def test_decoder_messages_catch_what_native_code_prints_on_descriptor_2(capfd):
    from musiccluster.features.decoder_messages import decoder_messages

    with decoder_messages() as said:
        os.write(2, b"Note: Trying to resync...\n")
    os.write(2, b"after\n")
    assert said.text == "Note: Trying to resync...\n"
    assert capfd.readouterr().err == "after\n"


def test_quiet_features_print_no_libmpg123_notes(tmp_path, capfd):
    from musiccluster.cli import main

    music = tmp_path / "music" / "pop"
    music.mkdir(parents=True)
    sf.write(music / "ok.wav", tone(12.0, 440), SR)
    sf.write(music / "ok.mp3", tone(12.0, 330), SR, format="MP3")
    good = (music / "ok.mp3").read_bytes()
    (music / "resync.mp3").write_bytes(good[: len(good) // 3] + b"\xff" * 500 + good[len(good) // 3:])
    (music / "noise.mp3").write_bytes(np.random.default_rng(0).bytes(20000))
    (music / "header.mp3").write_bytes(b"ID3\x03\x00\x00\x00\x00\x00\x00")
    rc = main(["features", str(tmp_path / "music"), "--out", str(tmp_path / "f.csv"), "--quiet", "--jobs", "1",
               "--cache-dir", str(tmp_path / "cache")])
    out, err = capfd.readouterr()
    assert rc == 0
    assert "Note:" not in err + out and "libmpg123" not in err + out and "Warning: Xing" not in err + out
    assert "noise.mp3: unreadable audio" in out and "header.mp3: unreadable audio" in out
    assert "resync.mp3" in out or "resync" in pd.read_csv(tmp_path / "f.csv")["filename"].str.cat()


def _walk_with_an_unreadable_folder(real_walk, name):
    """os.walk that reports ``name`` (a sub-folder) as unreadable, as a permission error would (even as root)."""
    def walk(top, topdown=True, onerror=None, followlinks=False):
        for dirpath, dirnames, filenames in real_walk(top, topdown, onerror, followlinks):
            if os.path.basename(dirpath) == name:
                onerror(PermissionError(13, "Permission denied", dirpath))
                continue
            yield dirpath, dirnames, filenames
    return walk


def test_features_names_an_unreadable_sub_folder_and_a_link_loop(tmp_path, monkeypatch, capsys):
    from musiccluster.cli import main
    from musiccluster.data import corpus

    for genre in ("pop", "locked"):
        (tmp_path / "music" / genre).mkdir(parents=True)
        sf.write(tmp_path / "music" / genre / "a.wav", tone(12.0, 220), SR)
    (tmp_path / "music" / "pop" / "again").symlink_to(tmp_path / "music" / "pop")
    monkeypatch.setattr(corpus.os, "walk", _walk_with_an_unreadable_folder(os.walk, "locked"))
    rc = main(["features", str(tmp_path / "music"), "--out", str(tmp_path / "f.csv"), "--quiet", "--jobs", "1",
               "--cache-dir", str(tmp_path / "cache")])
    out = capsys.readouterr().out
    assert rc == 0
    assert f"{tmp_path / 'music' / 'locked'}: cannot read folder (Permission denied)" in out, out
    assert f"{tmp_path / 'music' / 'pop' / 'again'}: folder already searched" in out, out
    assert "wrote 10 rows (1 clips" in out


def test_an_unrecognised_file_reason_does_not_repeat_its_path(tmp_path):
    (tmp_path / "notes.wav").write_text("not audio at all")
    with pytest.raises(SkipClip) as err:
        load_audio(tmp_path / "notes.wav")
    assert str(tmp_path) not in str(err.value) and "Error opening" not in str(err.value), str(err.value)
