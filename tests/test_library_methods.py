"""``musiccluster cluster --method pca|raw``: training and ``--assign`` with a model that has no network."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from musiccluster.cli import main
from musiccluster.organize.playlists import resolve_playlist
from test_library import FAST, music, write_music  # noqa: F401  (fixture)


@pytest.mark.parametrize("method", ["pca", "raw"])
def test_other_methods_train_assign_and_round_trip(method, music, tmp_path):  # noqa: F811
    root, good, _, _ = music
    out = tmp_path / f"out-{method}"
    assert main(["cluster", str(root), "--k", "3", *FAST, "--method", method, "--out", str(out),
                 "--jobs", "1"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary.get("method", method) == method
    trained = pd.read_csv(out / "assignments.csv").set_index("path")
    assert len(trained) == len(good) and set(trained["cluster"]) == {1, 2, 3}
    assert 1 / 3 <= trained["confidence"].min() and trained["confidence"].max() <= 1
    listed = [p for pl in sorted((out / "playlists").glob("cluster-*.m3u8")) for p in resolve_playlist(pl)]
    assert sorted(str(p.resolve()) for p in listed) == sorted(trained.index)

    # the saved model re-assigns the same tracks to the same clusters without retraining
    new = tmp_path / f"new-{method}"
    new.mkdir()
    picks = ["Guitar/riff 1.wav", "Piano/ballad 2.flac"]
    for p in picks:
        shutil.copy(root / p, new / Path(p).name)
    again = tmp_path / f"again-{method}"
    assert main(["cluster", "--assign", str(new), "--model", str(out / "model"), "--out", str(again),
                 "--jobs", "1", "--quiet"]) == 0
    got = pd.read_csv(again / "assignments.csv").set_index("path")
    for p in picks:
        assert got.loc[str((new / Path(p).name).resolve()), "cluster"] == \
            trained.loc[str((root / p).resolve()), "cluster"]


@pytest.mark.parametrize("method", ["timbre", "musly"])
def test_similarity_methods_run_on_a_small_folder_and_refuse_assign(method, music, tmp_path, capsys):  # noqa: F811
    root, good, _, _ = music
    out = tmp_path / f"out-{method}"
    assert main(["cluster", str(root), "--k", "3", "--method", method, "--out", str(out),
                 "--jobs", "1", "--quiet"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["method"] == method and summary["k"]["chosen"] == 3
    assert "spectral clustering" in summary["assignment_rule"]
    trained = pd.read_csv(out / "assignments.csv").set_index("path")
    assert len(trained) == len(good) and set(trained["cluster"]) == {1, 2, 3}
    assert trained["confidence"].between(0, 1).all()
    listed = [p for pl in sorted((out / "playlists").glob("cluster-*.m3u8")) for p in resolve_playlist(pl)]
    assert sorted(str(p.resolve()) for p in listed) == sorted(trained.index)
    skipped = pd.read_csv(out / "skipped.csv")
    assert len(skipped[skipped["kind"] == "failed"]) >= 1    # the fixture's broken files are named, not lost

    # a rerun reads every analysis from the cache and gives the same playlists
    again = tmp_path / f"again-{method}"
    assert main(["cluster", str(root), "--k", "3", "--method", method, "--out", str(again),
                 "--jobs", "1", "--quiet"]) == 0
    pd.testing.assert_frame_equal(pd.read_csv(again / "assignments.csv"), pd.read_csv(out / "assignments.csv"))

    capsys.readouterr()
    assert main(["cluster", "--assign", str(root), "--model", str(out / "model"), "--out", str(tmp_path / "x"),
                 "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert "--assign needs a model of --method vae, pca or raw" in err and len(err.splitlines()) == 1
