"""The fixed-length segment scheme (``segment_seconds``) and the decoding that reads only what it needs.

Issue 17 items 3 and 4: ``n_segments`` segments of ``segment_seconds`` evenly spaced over a track,
only those spans decoded; the paper protocol on a long track decoded and summarised block by block.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
import soundfile as sf

from musiccluster.cli import main
from musiccluster.errors import ParameterError
from musiccluster.features import decode
from musiccluster.features.extract import clip_features, extract_features
from musiccluster.features.mfcc import SegmentStats, mfcc_stats
from musiccluster.features.segments import SkipClip, fixed_bounds, load_audio, segment_bounds
from musiccluster.data.corpus import find_clips
from musiccluster.params import FeatureParams, Params
from conftest import tone

SR = 22050
PAPER = FeatureParams()
FIXED = FeatureParams(segment_seconds=3.0)


def test_fixed_bounds_of_a_30_s_clip_are_the_equal_division():
    n = 30 * SR
    assert fixed_bounds(n, 10, 3.0) == segment_bounds(n, 10)


def test_fixed_bounds_are_evenly_spaced_from_first_to_last_sample():
    n = 240 * SR + 17  # a 4-min track
    b = fixed_bounds(n, 10, 3.0)
    assert len(b) == 10 and all(stop - start == 3 * SR for start, stop in b)
    assert b[0][0] == 0 and b[-1][1] == n
    steps = np.diff([start for start, _ in b])
    assert steps.max() - steps.min() <= 1
    assert fixed_bounds(n, 1, 3.0) == [((n - 3 * SR) // 2, (n - 3 * SR) // 2 + 3 * SR)]  # centred


def test_a_track_shorter_than_the_segments_gets_overlapping_ones_and_shorter_than_one_is_skipped():
    b = fixed_bounds(20 * SR, 10, 3.0)  # 20 s < 10 x 3 s: still 10 segments of 3 s, overlapping
    assert len(b) == 10 and all(stop - start == 3 * SR for start, stop in b)
    assert b[1][0] < b[0][1] and b[-1][1] == 20 * SR
    assert len(fixed_bounds(3 * SR, 10, 3.0)) == 10  # exactly one segment long: ten copies of it
    with pytest.raises(SkipClip, match="too short: 2.50 s is shorter than one segment of 3 s"):
        fixed_bounds(int(2.5 * SR), 10, 3.0)


def test_features_of_a_30_s_clip_with_10_x_3_s_equal_the_paper_protocol(tmp_path):
    path = tmp_path / "clip.wav"
    sf.write(path, tone(30.0, 220.0), SR)
    X_paper, d_paper, b_paper = clip_features(path, PAPER)
    X_fixed, d_fixed, b_fixed = clip_features(path, FIXED)
    assert b_fixed == b_paper and d_fixed == d_paper == 30.0
    np.testing.assert_array_equal(X_fixed, X_paper)  # same samples: the same bits


def test_spans_resampled_alone_match_the_whole_file_resampling(tmp_path):
    """A 44.1 kHz stereo clip: each span is decoded and resampled alone (with a margin)."""
    path = tmp_path / "clip44.wav"
    sf.write(path, np.stack([tone(30.0, 220.0, 44100), tone(30.0, 330.0, 44100, seed=1)], axis=1), 44100)
    X_paper, _, b_paper = clip_features(path, PAPER)
    X_fixed, _, b_fixed = clip_features(path, FIXED)
    assert b_fixed == b_paper
    np.testing.assert_allclose(X_fixed, X_paper, rtol=1e-4, atol=1e-3)


def _count_reads(monkeypatch) -> list[int]:
    frames: list[int] = []
    original = sf.SoundFile.read

    def read(self, frames_=-1, *args, **kwargs):
        out = original(self, frames_, *args, **kwargs)
        frames.append(len(out))
        return out

    monkeypatch.setattr(sf.SoundFile, "read", read)
    return frames


@pytest.mark.parametrize("fmt, sr", [("WAV", 44100), ("FLAC", 22050), ("MP3", 44100)])
def test_only_the_spans_are_decoded(tmp_path, monkeypatch, fmt, sr):
    path = tmp_path / f"song.{fmt.lower()}"
    sf.write(path, tone(120.0, 220.0, sr), sr, format=fmt)
    frames = _count_reads(monkeypatch)
    X, duration, bounds = clip_features(path, FIXED)
    assert X.shape == (10, 26) and np.all(np.isfinite(X))
    assert duration == pytest.approx(120.0, abs=0.1)
    assert sum(frames) < 10 * (3.0 + 2 * decode.SPAN_MARGIN_S + 0.1) * sr < 0.3 * 120 * sr


def test_long_track_paper_protocol_is_streamed_and_equals_the_whole_file_path(tmp_path, monkeypatch):
    path = tmp_path / "long.wav"
    sf.write(path, np.stack([tone(40.0, 220.0, 44100), tone(40.0, 275.0, 44100, seed=3)], axis=1), 44100)
    X_whole, d_whole, b_whole = clip_features(path, FeatureParams(n_segments=4))
    monkeypatch.setattr(decode, "STREAM_ABOVE_S", 10.0)
    monkeypatch.setattr(decode, "BLOCK_FRAMES", 10_000)
    frames = _count_reads(monkeypatch)
    X_stream, d_stream, b_stream = clip_features(path, FeatureParams(n_segments=4))
    assert max(frames) <= 10_000 and sum(frames) >= 40 * 44100  # read in blocks, all of it
    assert (d_stream, b_stream) == (d_whole, b_whole)
    np.testing.assert_allclose(X_stream, X_whole, rtol=1e-5, atol=1e-4)


def test_segment_stats_fed_in_pieces_equal_mfcc_stats():
    y = tone(7.3, 440.0, seed=4)
    acc = SegmentStats(SR, 13, block_frames=37)
    for start in range(0, len(y), 5_001):
        acc.feed(y[start:start + 5_001])
    np.testing.assert_allclose(acc.result(), mfcc_stats(y), rtol=1e-5, atol=1e-4)


def test_streamed_decode_memory_does_not_grow_with_the_track(tmp_path, monkeypatch):
    """tracemalloc peak of the streamed path on a 2-min 44.1 kHz stereo WAV vs decoding it whole."""
    path = tmp_path / "two-minutes.wav"
    y = tone(120.0, 220.0, 44100)
    sf.write(path, np.stack([y, y], axis=1), 44100)
    del y
    monkeypatch.setattr(decode, "STREAM_ABOVE_S", 60.0)
    decode.stream_equal_segments(path, 10)  # librosa's and numpy's one-time caches (~40 MB) are not the track's
    tracemalloc.start()
    load_audio(path)
    whole = tracemalloc.get_traced_memory()[1]
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    out = decode.stream_equal_segments(path, 10)
    streamed = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    assert out is not None and out[0].shape == (10, 26)
    assert whole > 60e6  # 2 min of stereo float32 is 42 MB before the mono mix and resampling
    assert streamed < 30e6


def test_the_cache_key_holds_the_scheme(tmp_path):
    (tmp_path / "m").mkdir()
    sf.write(tmp_path / "m" / "a.wav", tone(40.0, 220.0), SR)
    clips = find_clips(tmp_path / "m")
    paper = extract_features(clips, FeatureParams(), cache_dir=tmp_path / "c", n_jobs=1, progress=False)
    fixed = extract_features(clips, FIXED, cache_dir=tmp_path / "c", n_jobs=1, progress=False)
    again = extract_features(clips, FIXED, cache_dir=tmp_path / "c", n_jobs=1, progress=False)
    assert not np.allclose(paper.X, fixed.X)
    np.testing.assert_array_equal(again.X, fixed.X)
    assert fixed.meta["end_s"].iloc[-1] == pytest.approx(40.0)
    assert (fixed.meta["end_s"] - fixed.meta["start_s"]).round(6).eq(3.0).all()


def test_segment_seconds_is_a_validated_parameter():
    assert Params().segment_seconds is None and Params().features.segment_seconds is None
    assert Params.from_dict({"segment_seconds": "3"}).features.segment_seconds == 3.0
    assert Params.from_dict({"segment_seconds": "None"}).segment_seconds is None
    for bad in ("x", 0.01, -3.0, float("nan"), 45.0):
        with pytest.raises(ParameterError, match="segment_seconds"):
            Params.from_dict({"segment_seconds": bad})


def test_features_command_takes_segment_seconds(tmp_path, capsys):
    (tmp_path / "m").mkdir()
    sf.write(tmp_path / "m" / "a.wav", tone(12.0, 220.0), SR)
    assert main(["features", str(tmp_path / "m"), "--segment-seconds", "2", "--segments", "3",
                 "--out", str(tmp_path / "f.csv"), "--jobs", "1", "--quiet"]) == 0
    import pandas as pd

    df = pd.read_csv(tmp_path / "f.csv")
    assert len(df) == 3 and (df["length"] == 2 * SR).all()
    with pytest.raises(SystemExit) as exc:
        main(["features", str(tmp_path / "m"), "--segment-seconds", "soon", "--out", str(tmp_path / "g.csv")])
    assert exc.value.code == 2
    assert "expected seconds" in capsys.readouterr().err


def test_cluster_defaults_to_10_x_3_s_records_it_and_assign_refuses_another_scheme(tmp_path, capsys):
    import json

    music = tmp_path / "music"
    music.mkdir()
    for i in range(6):
        sf.write(music / f"t{i}.wav", tone(8.0 + i, 110.0 * (1 + 0.3 * i), seed=i), SR)
    out = tmp_path / "out"
    assert main(["cluster", str(music), "--out", str(out), "--method", "pca", "--k", "2", "--jobs", "1",
                 "--quiet"]) == 0
    config = json.loads((out / "model" / "config.json").read_text())
    assert config["feature_params"]["segment_seconds"] == 3.0
    assert config["feature_params"]["n_segments"] == 10
    assert json.loads((out / "summary.json").read_text())["params"]["segment_seconds"] == 3.0
    capsys.readouterr()

    def assign(*extra: str) -> int:
        return main(["cluster", "--assign", str(music), "--model", str(out / "model"), "--out",
                     str(tmp_path / f"a{len(extra)}-{'-'.join(extra)}"), "--jobs", "1", "--quiet", *extra])

    assert assign() == 0  # the model's scheme
    assert assign("--segment-seconds", "3") == 0  # the same scheme, said out loud
    capsys.readouterr()
    for other in ("5", "paper"):
        assert assign("--segment-seconds", other) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and "segment-seconds" in err and "10 x 3 s" in err
        assert "Traceback" not in err
    # a model written before the scheme was recorded was trained on equal division
    del config["feature_params"]["segment_seconds"]
    (out / "model" / "config.json").write_text(json.dumps(config))
    assert assign("--segment-seconds", "3") == 2
    assert "paper protocol" in capsys.readouterr().err


# ------------------------------------------------------------------ workers (issue 17 item 2)
def test_worker_policy_pays_the_start_up_only_when_the_work_is_worth_it():
    from musiccluster.features.workers import FORK_START_S, FRESH_START_S, choose_workers

    assert choose_workers(10, 10 * 30.0, 2, FORK_START_S) == 2  # forked workers cost milliseconds
    assert choose_workers(1, 30.0, 2, FORK_START_S) == 1
    assert choose_workers(10, 10 * 30.0, 2, FRESH_START_S) == 1  # importing workers would lose
    assert choose_workers(200, 200 * 30.0, 2, FRESH_START_S) == 1
    assert choose_workers(2000, 2000 * 30.0, 2, FRESH_START_S) == 2
    assert choose_workers(1000, 1000 * 30.0, 1, FORK_START_S) == 1  # one core: one process
    assert choose_workers(3, 3 * 600.0, 16, FORK_START_S) == 3  # never more workers than clips
    counts = [choose_workers(n, n * 30.0, 8, FRESH_START_S) for n in (10, 100, 1000, 10_000, 100_000)]
    assert counts == sorted(counts) and counts[0] == 1 and counts[-1] == 8  # more work, never fewer


_FORK_CHECK = """
import sys
import joblib
import numpy as np
from musiccluster.data.corpus import find_clips
from musiccluster.features import extract, workers
from musiccluster.params import FeatureParams

clips = find_clips(sys.argv[1])
seq = extract.extract_features(clips, FeatureParams(3), cache=False, n_jobs=1, progress=False)
workers.n_cores = lambda: 2
def no_loky(*a, **k):
    raise AssertionError("loky")
joblib.Parallel = no_loky
forked = []
original = extract.forked_map
extract.forked_map = lambda fn, argsets, n: forked.append(n) or original(fn, argsets, n)
par = extract.extract_features(clips, FeatureParams(3), cache=False, n_jobs=-1, progress=False)
assert forked == [2], forked
np.testing.assert_array_equal(seq.X, par.X)
print("forked", forked)
"""


def test_default_workers_are_forked_and_give_the_same_bits(audio_dir, monkeypatch):
    import subprocess
    import sys

    import joblib

    # in a fresh interpreter: a test run leaves threads behind (and with another thread, no fork)
    run = subprocess.run([sys.executable, "-c", _FORK_CHECK, str(audio_dir)], capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0 and "forked [2]" in run.stdout, run.stderr[-2000:]
    clips = find_clips(audio_dir)
    monkeypatch.setattr(joblib, "Parallel", lambda *a, **k: (_ for _ in ()).throw(AssertionError("loky")))
    # with another thread running, no fork: joblib's loky workers (here: the patched joblib) instead
    import threading

    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        with pytest.raises(AssertionError, match="loky"):
            extract_features(clips, FeatureParams(3), cache=False, n_jobs=2, progress=False)
    finally:
        stop.set()
        thread.join()


def test_chunks_are_small_enough_for_the_workers_to_finish_together():
    from musiccluster.features.workers import chunk_size

    assert [chunk_size(n, 2) for n in (1, 10, 128, 200, 1000, 100_000)] == [1, 1, 1, 2, 8, 8]
    assert chunk_size(5, 0) == 1
