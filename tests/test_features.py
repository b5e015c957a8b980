import numpy as np
import pandas as pd
import librosa
import pytest
import soundfile as sf

from musiccluster.params import FeatureParams
from musiccluster.data.corpus import find_clips
from musiccluster.errors import DataError
from musiccluster.features.extract import extract_features
from musiccluster.features.mfcc import feature_names, mfcc_stats
from musiccluster.features.kaggle import read_kaggle_csv, write_kaggle_csv
from conftest import tone


def test_mfcc_stats_match_a_direct_librosa_computation():
    y = tone(3.0, 220.0)
    direct = librosa.feature.mfcc(y=y, sr=22050, n_mfcc=13)  # librosa defaults
    ours = mfcc_stats(y, 22050, 13)
    assert ours.shape == (26,)
    np.testing.assert_allclose(ours[:13], direct.mean(axis=1), rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(ours[13:], np.var(direct, axis=1, ddof=0), rtol=1e-5, atol=1e-3)
    assert feature_names(2) == ["mfcc1_mean", "mfcc2_mean", "mfcc1_var", "mfcc2_var"]


def _test_signals():
    rng = np.random.default_rng(7)
    t = np.arange(3 * 22050) / 22050
    chord = sum(np.sin(2 * np.pi * f * t) for f in (261.63, 329.63, 392.0)) / 3
    return {
        "noise": (0.1 * rng.standard_normal(3 * 22050)).astype(np.float32),
        "chord": chord.astype(np.float32),
        "tone": tone(3.0, 220.0),
        "one second": tone(1.0, 440.0, seed=3),  # min_segment_s = 1.0: the shortest segment used
        "one second + 1": (0.05 * rng.standard_normal(22050 + 1)).astype(np.float32),
        "chord float64": chord,  # float64 input (mfcc_stats computes in float32)
        "quiet noise float64": 1e-4 * rng.standard_normal(2 * 22050),
    }


@pytest.mark.parametrize("one_thread", [True, False])
def test_mfcc_stats_are_bit_identical_to_librosa_mfcc_of_the_signal(one_thread):
    """The cached mel basis changes speed only: every bit equals ``librosa.feature.mfcc(y=...)``."""
    import contextlib

    import musiccluster.features.mfcc as F
    from musiccluster.threads import threadpools

    limit = threadpools().limit(limits=1) if one_thread else contextlib.nullcontext()
    with limit:
        for name, y in _test_signals().items():
            y32 = np.asarray(y, dtype=np.float32)
            direct = librosa.feature.mfcc(y=y32, sr=22050, n_mfcc=13, n_fft=2048, hop_length=512, n_mels=128)
            ours = librosa.feature.mfcc(S=librosa.power_to_db(F._mel_power(y32, 22050)), n_mfcc=13)
            assert ours.dtype == direct.dtype and np.array_equal(ours, direct), name
            d64 = direct.astype(np.float64)
            expected = np.concatenate([d64.mean(axis=1), d64.var(axis=1)])
            assert np.array_equal(mfcc_stats(y, 22050, 13), expected), name
            # the mel spectrogram itself, for float32 and float64 signals alike
            for x in (y32, np.asarray(y, dtype=np.float64)):
                mel = librosa.feature.melspectrogram(y=x, sr=22050, n_fft=2048, hop_length=512, n_mels=128)
                assert np.array_equal(F._mel_power(x, 22050), mel), (name, x.dtype)
    assert F.mel_filterbank.cache_info().currsize >= 1
    assert not F.mel_filterbank(22050, 2048, 128, "float32").flags.writeable


def test_extract_features_segments_and_metadata(audio_dir):
    clips = find_clips(audio_dir)
    fs = extract_features(clips, FeatureParams(n_segments=4, n_mfcc=13), n_jobs=1, progress=False)
    assert fs.X.shape == (6 * 4, 26)
    assert fs.n_clips == 6 and len(fs.skipped) == 0
    assert list(fs.meta["segment"][:4]) == [0, 1, 2, 3]
    assert fs.meta["filename"][0] == "blues.00000.0.au"
    assert np.allclose(fs.meta["end_s"][:4], [1, 2, 3, 4])
    # each row equals the statistics of that exact slice of the clip
    y, _ = librosa.load(clips[0].path, sr=22050)
    np.testing.assert_allclose(fs.X[2], mfcc_stats(y[2 * 22050:3 * 22050]), rtol=1e-5, atol=1e-3)
    assert set(fs.labels) == {"blues", "metal"}


def test_parallel_equals_sequential_and_cache_is_reused(audio_dir, tmp_path, monkeypatch):
    clips = find_clips(audio_dir)
    seq = extract_features(clips, FeatureParams(3), cache_dir=tmp_path / "c", n_jobs=1, progress=False)
    entries = sorted((tmp_path / "c" / "features").rglob("*.npz"))
    assert len(entries) == 6
    # a second run must read the cache, not recompute: break the computation to prove it
    import musiccluster.features.extract as F
    monkeypatch.setattr(F, "clip_features", lambda *a, **k: (_ for _ in ()).throw(AssertionError))
    again = extract_features(clips, FeatureParams(3), cache_dir=tmp_path / "c", n_jobs=1, progress=False)
    np.testing.assert_array_equal(seq.X, again.X)
    # ... and with n_jobs=2 no worker pool is started for finished clips
    import joblib
    monkeypatch.setattr(joblib, "Parallel", lambda *a, **k: (_ for _ in ()).throw(AssertionError("pool")))
    again = extract_features(clips, FeatureParams(3), cache_dir=tmp_path / "c", n_jobs=2, progress=False)
    np.testing.assert_array_equal(seq.X, again.X)
    monkeypatch.undo()
    par = extract_features(clips, FeatureParams(3), cache=False, n_jobs=2, progress=False)
    np.testing.assert_allclose(seq.X, par.X, rtol=0, atol=0)


def test_changed_file_is_recomputed(audio_dir, tmp_path):
    clips = find_clips(audio_dir)
    a = extract_features(clips[:1], FeatureParams(2), cache_dir=tmp_path, n_jobs=1, progress=False)
    sf.write(clips[0].path, tone(4.0, 900.0, seed=99), 22050)  # same name, new content
    b = extract_features(clips[:1], FeatureParams(2), cache_dir=tmp_path, n_jobs=1, progress=False)
    assert not np.allclose(a.X, b.X)


def test_bad_files_are_skipped_with_reasons_and_the_rest_goes_on(audio_dir):
    bad = audio_dir / "blues"
    (bad / "blues.00090.wav").write_bytes(b"")
    (bad / "blues.00091.wav").write_bytes(b"RIFF\x00\x00garbage" * 10)
    sf.write(bad / "blues.00092.wav", tone(0.5, 200), 22050)
    sf.write(bad / "blues.00093.wav", np.zeros(22050 * 4, dtype=np.float32), 22050)
    good = tone(4.0, 150.0)
    data = sf.read(audio_dir / "metal" / "metal.00000.wav")[0]
    sf.write(bad / "blues.00094.wav", data[: 2 * len(data) // 3], 22050)  # shorter but long enough
    with pytest.warns(UserWarning, match="skipped"):
        fs = extract_features(find_clips(audio_dir), FeatureParams(2), n_jobs=1, progress=False)
    reasons = dict(zip(fs.skipped["path"].map(lambda p: p.rsplit("/", 1)[-1]), fs.skipped["reason"]))
    assert set(reasons) == {"blues.00090.wav", "blues.00091.wav", "blues.00092.wav", "blues.00093.wav"}
    assert "empty" in reasons["blues.00090.wav"]
    assert "unreadable" in reasons["blues.00091.wav"]
    assert "too short" in reasons["blues.00092.wav"]
    assert "silent" in reasons["blues.00093.wav"]
    assert fs.n_clips == 7 and np.all(np.isfinite(fs.X))


def test_no_usable_clip_is_a_clear_error(tmp_path):
    (tmp_path / "a.wav").write_bytes(b"")
    with pytest.raises(DataError, match="no usable clips"), pytest.warns(UserWarning):
        extract_features(find_clips(tmp_path), FeatureParams(2), n_jobs=1, progress=False)


def test_kaggle_csv_round_trip(audio_dir, tmp_path):
    fs = extract_features(find_clips(audio_dir), FeatureParams(3), n_jobs=1, progress=False)
    path = write_kaggle_csv(fs, tmp_path / "f.csv")
    df = pd.read_csv(path)
    assert list(df.columns[:4]) == ["filename", "length", "mfcc1_mean", "mfcc1_var"]
    assert df["filename"][1] == "blues.00000.1.au" and df["length"][0] == 29400
    back = read_kaggle_csv(path)
    np.testing.assert_array_equal(back.X, fs.X)
    assert list(back.labels) == list(fs.labels)
    assert back.n_clips == fs.n_clips
    assert list(back.meta["segment"]) == list(fs.meta["segment"])


def test_reads_the_real_kaggle_table(kaggle_30s):
    fs = read_kaggle_csv(kaggle_30s)
    assert fs.X.shape == (1000, 26) and fs.n_clips == 1000
    assert sorted(set(fs.labels)) == ["blues", "classical", "country", "disco", "hiphop",
                                      "jazz", "metal", "pop", "reggae", "rock"]
    assert fs.meta["clip_id"][0] == "blues.00000"
    with pytest.raises(DataError, match="mfcc21_mean"):
        read_kaggle_csv(kaggle_30s, n_mfcc=21)


def test_segment_names_are_parsed_into_clips(tmp_path):
    rows = pd.DataFrame({"filename": ["rock.00001.0.wav", "rock.00001.1.wav", "pop.00002.0.wav"],
                         **{c: [1.0, 2.0, 3.0] for c in feature_names(13)}, "label": ["rock", "rock", "pop"]})
    rows.to_csv(tmp_path / "t.csv", index=False)
    fs = read_kaggle_csv(tmp_path / "t.csv")
    assert list(fs.groups) == ["rock.00001", "rock.00001", "pop.00002"]
    assert list(fs.meta["segment"]) == [0, 1, 0]


def test_feature_cache_is_keyed_by_the_feature_source(audio_dir, tmp_path, monkeypatch):
    """An edit of the feature code must never serve features computed by the old code."""
    import shutil
    from pathlib import Path

    import musiccluster
    import musiccluster.features.extract as F
    from musiccluster.cache import package_fingerprint, source_fingerprint

    copy = tmp_path / "pkg"
    shutil.copytree(Path(musiccluster.__file__).parent, copy, ignore=shutil.ignore_patterns("__pycache__"))
    before = (package_fingerprint(copy), source_fingerprint(*F._FEATURE_SOURCES, root=copy))
    with open(copy / "features" / "segments.py", "a") as fh:
        fh.write("\n# edited\n")
    after = (package_fingerprint(copy), source_fingerprint(*F._FEATURE_SOURCES, root=copy))
    assert before[0] != after[0] and before[1] != after[1]

    clips = find_clips(audio_dir)[:1]
    extract_features(clips, FeatureParams(2), cache_dir=tmp_path / "c", n_jobs=1, progress=False)
    calls = []
    real = F.clip_features
    monkeypatch.setattr(F, "clip_features", lambda *a, **k: calls.append(1) or real(*a, **k))
    extract_features(clips, FeatureParams(2), cache_dir=tmp_path / "c", n_jobs=1, progress=False)
    assert calls == []  # unchanged code: a cache hit
    monkeypatch.setattr(F, "_feature_code", lambda: after[1])  # as if features/segments had been edited
    extract_features(clips, FeatureParams(2), cache_dir=tmp_path / "c", n_jobs=1, progress=False)
    assert calls == [1]


def test_a_failed_cache_write_is_a_warning_and_the_clip_is_still_used(audio_dir, tmp_path, monkeypatch):
    """Disk full or a read-only cache folder: the features are good, only caching them failed."""
    import errno

    import musiccluster.features.extract as F

    clips = find_clips(audio_dir)[:2]
    expected = extract_features(clips, FeatureParams(2), cache=False, n_jobs=1, progress=False)

    def full_disk(path, data):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(F, "atomic_write_bytes", full_disk)
    with pytest.warns(RuntimeWarning, match=r"feature cache not written for 2 clip\(s\).*No space left"):
        fs = extract_features(clips, FeatureParams(2), cache_dir=tmp_path, n_jobs=1, progress=False)
    assert len(fs.skipped) == 0 and fs.n_clips == 2
    np.testing.assert_array_equal(fs.X, expected.X)
    assert not list((tmp_path / "features").rglob("*.npz"))
    monkeypatch.undo()  # the disk has room again: the next run writes the cache
    again = extract_features(clips, FeatureParams(2), cache_dir=tmp_path, n_jobs=1, progress=False)
    np.testing.assert_array_equal(again.X, expected.X)
    assert len(list((tmp_path / "features").rglob("*.npz"))) == 2


def test_same_size_rewrite_with_the_old_mtime_is_recomputed(audio_dir, tmp_path, monkeypatch):
    """New audio of the same size, with ``os.utime`` restoring the mtime, is not served from the cache."""
    import os

    import musiccluster.features.extract as F

    clip = find_clips(audio_dir)[0]
    before = os.stat(clip.path)
    a = extract_features([clip], FeatureParams(2), cache_dir=tmp_path, n_jobs=1, progress=False)
    sf.write(clip.path, tone(4.0, 900.0, seed=99), 22050)  # same format and length: same size
    os.utime(clip.path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = os.stat(clip.path)
    assert after.st_size == before.st_size and after.st_mtime_ns == before.st_mtime_ns
    calls = []
    real = F.clip_features
    monkeypatch.setattr(F, "clip_features", lambda *k, **kw: calls.append(1) or real(*k, **kw))
    b = extract_features([clip], FeatureParams(2), cache_dir=tmp_path, n_jobs=1, progress=False)
    assert calls == [1] and not np.allclose(a.X, b.X)
    c = extract_features([clip], FeatureParams(2), cache_dir=tmp_path, n_jobs=1, progress=False)
    assert calls == [1]  # unchanged since: a cache hit
    monkeypatch.undo()
    np.testing.assert_array_equal(c.X, extract_features([clip], FeatureParams(2), cache=False, n_jobs=1, progress=False).X)


def test_content_fingerprint_sees_either_end_of_a_file_of_the_same_size(tmp_path):
    from musiccluster.features.extract import _content_fingerprint

    base = bytes(range(256)) * 1024  # 256 KiB
    prints = {}
    for name, data in {"base": base, "first byte": b"\xff" + base[1:],
                       "last byte": base[:-1] + b"\x00"}.items():
        (tmp_path / name).write_bytes(data)
        prints[name] = _content_fingerprint(tmp_path / name, len(data))
    assert len(set(prints.values())) == 3
    (tmp_path / "small").write_bytes(b"abc")  # smaller than 64 KiB: the whole file
    assert _content_fingerprint(tmp_path / "small", 3) != _content_fingerprint(tmp_path / "base", len(base))


def test_feature_cache_is_keyed_by_the_library_versions(audio_dir, tmp_path, monkeypatch):
    """An upgraded librosa/numpy/scipy/soundfile/soxr never serves features computed by the old one."""
    import musiccluster.features.extract as F

    versions = F._dependency_versions()
    assert {"librosa", "numpy", "scipy", "soundfile", "libsndfile", "soxr"} <= set(versions)
    assert versions["librosa"] == librosa.__version__ and versions["numpy"] == np.__version__
    clips = find_clips(audio_dir)[:1]
    extract_features(clips, FeatureParams(2), cache_dir=tmp_path, n_jobs=1, progress=False)
    calls = []
    real = F.clip_features
    monkeypatch.setattr(F, "clip_features", lambda *k, **kw: calls.append(1) or real(*k, **kw))
    extract_features(clips, FeatureParams(2), cache_dir=tmp_path, n_jobs=1, progress=False)
    assert calls == []
    monkeypatch.setattr(F, "_dependency_versions", lambda: {**versions, "librosa": "99.0"})
    extract_features(clips, FeatureParams(2), cache_dir=tmp_path, n_jobs=1, progress=False)
    assert calls == [1]


@pytest.mark.parametrize("stage", ["fsync", "replace", "interrupt"])
def test_atomic_write_that_fails_midway_keeps_the_old_entry_and_no_temporary(tmp_path, monkeypatch, stage):
    import errno
    import os

    import musiccluster.cache as C

    entry = tmp_path / "ab" / "entry.npz"
    C.atomic_write_bytes(entry, b"old entry")
    assert entry.read_bytes() == b"old entry"

    def fail(*args, **kwargs):
        if stage == "interrupt":
            raise KeyboardInterrupt
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(C.os, "fsync" if stage == "fsync" else "replace", fail)
    with pytest.raises(KeyboardInterrupt if stage == "interrupt" else OSError):
        C.atomic_write_bytes(entry, b"new entry, much longer than the old one" * 1000)
    monkeypatch.undo()
    assert entry.read_bytes() == b"old entry"
    assert sorted(p.name for p in entry.parent.iterdir()) == ["entry.npz"]
    C.atomic_write_bytes(entry, b"new")  # and a later write still works
    assert entry.read_bytes() == b"new" and sorted(os.listdir(entry.parent)) == ["entry.npz"]


def test_sweep_stale_temporaries_removes_only_old_temporaries(tmp_path):
    import os
    import time

    from musiccluster.cache import sweep_stale_temporaries

    (tmp_path / "ab").mkdir()
    old = tmp_path / "ab" / ".x.npz.abc123.tmp"  # left by a writer killed 2 hours ago
    new = tmp_path / "ab" / ".y.npz.def456.tmp"  # a live writer's
    entry = tmp_path / "ab" / "x.npz"
    not_ours = tmp_path / "notes.tmp"  # not a hidden temporary
    for p in (old, new, entry, not_ours):
        p.write_bytes(b"data")
    two_hours_ago = time.time() - 7200
    for p in (old, entry, not_ours):
        os.utime(p, (two_hours_ago, two_hours_ago))
    assert sweep_stale_temporaries(tmp_path) == 1
    assert not old.exists() and new.exists() and entry.exists() and not_ours.exists()
    assert sweep_stale_temporaries(tmp_path, older_than_s=-60) == 1 and not new.exists()
    assert sweep_stale_temporaries(tmp_path / "missing") == 0
