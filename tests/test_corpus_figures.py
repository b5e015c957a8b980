"""book.corpus_figures and the excerpt players of the Data chapter; the committed real-GTZAN record."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from musiccluster.book.corpus_figures import (RECORDED_MOMENTS, moment_agreement, recorded_gtzan_moments,
                                              soundfont_facts, stand_in_beside_gtzan)
from musiccluster.book.listen import excerpt_starts

ROOT = Path(__file__).resolve().parents[1]


def test_soundfont_facts_name_the_file_and_its_size():
    f = soundfont_facts()
    assert f["file"] == "TimGM6mb.sf2" and f["bytes"] > 5_000_000 and f["mb"] == pytest.approx(f["bytes"] / 1e6)
    assert "GPL-2" in f["licence"]


def test_recorded_moments_are_committed_and_complete():
    rec = recorded_gtzan_moments()
    assert rec is not None and RECORDED_MOMENTS.is_file()
    assert rec["n_clips"] == 1000 and len(rec["features"]) == 26
    assert set(rec["features"]["mfcc1_mean"]) == {"mean", "sd"}
    assert recorded_gtzan_moments(ROOT / "no-such.json") is None


def test_stand_in_beside_gtzan_is_clip_level():
    names = ["mfcc1_mean", "mfcc1_var"]
    # two clips of two segments: clip means 1 and 3; clip variances 1 + 1 = 2 each
    X = np.array([[0.0, 1.0], [2.0, 1.0], [2.0, 1.0], [4.0, 1.0]])
    rec = {"features": {"mfcc1_mean": {"mean": 2.0, "sd": 2.0}, "mfcc1_var": {"mean": 2.0, "sd": 1.0}}}
    t = stand_in_beside_gtzan(X, names, np.array(["a", "a", "b", "b"]), 1, rec)
    assert t.loc["mfcc1_mean", "this corpus: mean"] == 2.0 and t.loc["mfcc1_mean", "this corpus: SD"] == 1.0
    assert t.loc["mfcc1_var", "this corpus: mean"] == 2.0 and t.loc["mfcc1_mean", "SD ratio"] == 0.5
    assert t.loc["mfcc1_mean", "mean shift (GTZAN SDs)"] == 0.0
    agree = moment_agreement(t.assign(**{"mean shift (GTZAN SDs)": [-1.5, 0.5]}))
    assert agree == {"shift_median": 1.0, "shift_max": 1.5, "sd_ratio_median": 0.25, "sd_ratio_min": 0.0,
                     "sd_ratio_max": 0.5, "n_features": 2}


def test_excerpt_starts_one_per_label_from_the_middle():
    clips = pd.DataFrame({"clip_id": ["a1", "a2", "b1", "c1"], "label": ["a", "a", "b", "c"],
                          "path": ["x"] * 4, "duration_s": [30.0, 30.0, 2.0, 10.0]})
    e = excerpt_starts(clips, 4.0)
    assert e["clip_id"].tolist() == ["a1", "b1", "c1"]
    assert e["start_s"].tolist() == [13.0, 0.0, 3.0]


@pytest.mark.slow
def test_the_committed_gtzan_moments_match_what_the_library_computes(kaggle_30s):
    spec = importlib.util.spec_from_file_location("gtzan_feature_moments", ROOT / "benchmarks" / "gtzan_feature_moments.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    fresh = module.compute(kaggle_30s)
    committed = json.loads(RECORDED_MOMENTS.read_text(encoding="utf-8"))
    assert fresh["sha256"] == committed["sha256"] and fresh["n_clips"] == committed["n_clips"]
    for name, m in committed["features"].items():
        assert fresh["features"][name]["mean"] == pytest.approx(m["mean"], rel=1e-9, abs=1e-9), name
        assert fresh["features"][name]["sd"] == pytest.approx(m["sd"], rel=1e-9, abs=1e-9), name


def test_kmeans_beside_gtzan_on_separated_clips_and_the_recorded_run():
    from musiccluster.book.corpus_figures import kmeans_beside_gtzan
    from musiccluster.evaluation.recorded import load_recorded

    rng = np.random.default_rng(0)
    n_mfcc, clips, segs = 2, 40, 3
    centre = np.repeat(np.arange(clips) % 4, segs) * 10.0                 # 4 labels, far apart
    X = np.column_stack([centre + rng.normal(0, 0.1, clips * segs) for _ in range(2)]
                        + [1 + centre + rng.uniform(0, 0.1, clips * segs) for _ in range(2)])
    ids = np.repeat([f"c{i}" for i in range(clips)], segs)
    labels = np.repeat([f"g{i % 4}" for i in range(clips)], segs)
    table = kmeans_beside_gtzan(X, ids, labels, n_mfcc, recorded=None, k=4)
    assert list(table.columns) == ["this corpus"]
    assert table.loc["ARI", "this corpus"] == pytest.approx(1.0) and table.loc["clips", "this corpus"] == 40
    shuffled = kmeans_beside_gtzan(X, ids, rng.permutation(labels), n_mfcc, k=4)   # labels unrelated to clips
    assert shuffled.loc["ARI", "this corpus"] < 0.2
    recorded = load_recorded()
    if recorded is not None:
        both = kmeans_beside_gtzan(X, ids, labels, n_mfcc, recorded=recorded, k=10)
        assert both.loc["ARI", "real GTZAN (recorded run)"] == recorded.stat("kmeans", "ari", k=10).mean
        assert both.loc["clips", "real GTZAN (recorded run)"] == 1000
