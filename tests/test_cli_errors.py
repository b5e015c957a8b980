"""One-line errors, not tracebacks, for bad command-line input (issue 16, items 8-10)."""

import json
import math

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from conftest import tone
from musiccluster.cli import main
from musiccluster.errors import ParameterError
from musiccluster.params import Params


def _error(capsys, argv) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("\n") == 1, err
    return err


def _table(path, values=None):
    cols = {f"mfcc{i}_{s}": np.linspace(1, 2, 12) + i for i in range(1, 14) for s in ("mean", "var")}
    df = pd.DataFrame({"filename": [f"c{j // 2}.{j % 2}.wav" for j in range(12)], **cols,
                       "label": ["a", "b"] * 6})
    for col, row, value in values or []:
        df[col] = df[col].astype(object)
        df.loc[row, col] = value
    df.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("argv", [
    ["experiment", "--json", "{tmp}", "--features", "{table}"],
    ["evaluate", "--json", "{tmp}", "--features", "{table}"],
    ["features", "{music}", "--out", "{tmp}"],
    ["experiment", "--cache-dir", "{file}", "--features", "{table}"],
    ["experiment", "--jobs", "0", "--features", "{table}"],
    ["features", "{music}", "--out", "{tmp}/o.csv", "--jobs", "0"],
])
def test_unusable_options_are_one_line_errors(tmp_path, capsys, argv):
    music = tmp_path / "music"
    music.mkdir()
    sf.write(music / "a.wav", tone(3, 220), 22050)
    (tmp_path / "plain.txt").write_text("x")
    table = _table(tmp_path / "t.csv")
    argv = [a.format(tmp=tmp_path, table=table, music=music, file=tmp_path / "plain.txt") for a in argv]
    err = _error(capsys, argv)
    assert "error:" in err


def test_text_in_a_numeric_column_is_a_one_line_error(tmp_path, capsys):
    table = _table(tmp_path / "t.csv", [("mfcc3_var", 4, "oops")])
    err = _error(capsys, ["experiment", "--features", str(table), "--epochs", "1", "--no-cache"])
    assert "mfcc3_var" in err and "text" in err


def test_huge_values_are_skipped_rows_not_overflows(tmp_path):
    from musiccluster.features.kaggle import read_kaggle_csv

    table = _table(tmp_path / "t.csv", [("mfcc1_mean", 0, 1e308), ("mfcc2_var", 1, -1e308)])
    fs = read_kaggle_csv(table)
    assert fs.n_samples == 10 and len(fs.skipped) == 2
    assert np.all(np.isfinite(fs.X.var(axis=0)))


def test_min_segment_below_one_fft_frame_is_refused():
    with pytest.raises(ParameterError, match="min_segment_s"):
        Params(min_segment_s=0)
    with pytest.raises(ParameterError, match="min_segment_s"):
        Params(min_segment_s=2047 / 22050)
    assert Params(min_segment_s=2048 / 22050).min_segment_s == pytest.approx(0.0929, abs=1e-4)


def test_a_data_dir_that_is_not_a_csv_fails_in_params(tmp_path):
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(ParameterError, match="data_dir"):
        Params(data_dir=tmp_path / "notes.txt")


def test_features_does_not_check_k(tmp_path, capsys):
    music = tmp_path / "music"
    music.mkdir()
    for i in range(3):
        sf.write(music / f"c{i}.wav", tone(3, 200 + 50 * i, seed=i), 22050)
    assert main(["features", str(music), "--segments", "1", "--out", str(tmp_path / "o.csv"), "--quiet",
                 "--jobs", "1", "--cache-dir", str(tmp_path / "cache")]) == 0
    assert len(pd.read_csv(tmp_path / "o.csv")) == 3


def test_an_undefined_metric_is_null_in_the_experiment_json():
    from musiccluster.experiment import _finite_or_none

    text = json.dumps(_finite_or_none({"a": math.nan, "b": [1.0, math.inf], "c": (2, -math.inf)}),
                      allow_nan=False)
    assert json.loads(text) == {"a": None, "b": [1.0, None], "c": [2, None]}


def test_experiment_to_json_writes_null_for_nan(tmp_path):
    from musiccluster.experiment import run_experiment
    from test_evaluation import toy_features

    result = run_experiment(Params(epochs=1, k=3), data=toy_features(n_clips=8), cache=False, progress=False)
    result.vae.scores["silhouette"] = math.nan
    record = json.loads(result.to_json())  # strict parsers reject a bare NaN
    assert record["silhouette_vae"] is None


def test_report_with_a_non_csv_data_file_fails_before_any_kernel(tmp_path, capsys, monkeypatch):
    import musiccluster.book.rerun as rerun

    (tmp_path / "notes.txt").write_text("x")
    monkeypatch.setattr(rerun, "rerun_book", lambda *a, **k: pytest.fail("a kernel would start"))
    err = _error(capsys, ["report", "--name", "x", "--out", str(tmp_path / "runs"),
                          f"data_dir={tmp_path / 'notes.txt'}"])
    assert "data_dir" in err


def test_one_clip_table_warns_that_the_intervals_are_seed_spread_only():
    from musiccluster.evaluation.bootstrap import few_clips_warning

    assert few_clips_warning(np.array(["x"] * 50)).startswith("all 50 rows belong to one clip (x)")
    assert "only 3 clips" in few_clips_warning(np.repeat(["a", "b", "c"], 4))
    assert few_clips_warning(np.repeat([f"c{i}" for i in range(10)], 3)) is None


def test_evaluate_on_a_table_whose_rows_share_one_filename_warns_in_one_line(tmp_path):
    import subprocess
    import sys

    table = tmp_path / "one.csv"
    df = pd.read_csv(_table(tmp_path / "t.csv"))
    df["filename"] = "same.wav"
    df.to_csv(table, index=False)
    run = subprocess.run([sys.executable, "-m", "musiccluster", "evaluate", "--features", str(table), "--seeds", "1",
                          "--boot", "10", "--epochs", "1", "--k", "2", "--no-sweep", "--no-k-sweep", "--no-null",
                          "--quiet", "--jobs", "1", "--cache-dir", str(tmp_path / "cache")],
                         capture_output=True, text=True, timeout=300)
    err = run.stderr
    assert run.returncode == 0, err
    lines = [line for line in err.splitlines() if "one clip" in line]
    assert lines == ["musiccluster evaluate: warning: all 12 rows belong to one clip (same): the intervals "
                     "resample clips and cannot show the spread of 10 or more; read them as seed spread only "
                     "(a table names its clips in 'filename' or a 'clip_id' column)"], err


@pytest.fixture(scope="module")
def trained_models(tmp_path_factory):
    """A VAE and a PCA model of a tiny folder (the --assign cases edit copies of them)."""
    from musiccluster.organize.run import organize_library

    root = tmp_path_factory.mktemp("assign")
    for i in range(6):
        folder = root / "music" / f"g{i % 2}"
        folder.mkdir(parents=True, exist_ok=True)
        sf.write(folder / f"t{i}.wav", tone(4.0, 150 * (1 + 0.4 * i), seed=i), 22050)
    models = {}
    for method in ("vae", "pca"):
        out = root / f"out-{method}"
        organize_library(root / "music", out, k=2, method=method, params={"n_segments": 2, "epochs": 1},
                         progress=False, cache=False)
        models[method] = out / "model"
    return root / "music", models


@pytest.mark.parametrize("case,method,expect", [
    ("n_features", "vae", "the VAE expects 30 features, the scaler 26"),
    ("method_pca_on_vae_files", "vae", "arrays.npz lacks pca_mean, pca_components"),
    ("unknown_method", "vae", "unknown method 'tsne'"),
    ("k", "pca", "centers (2, 4) (expected (7, 4))"),
    ("not_weights", "vae", "vae.pt does not hold this model's weights"),
])
def test_assign_with_an_inconsistent_model_is_a_one_line_error(trained_models, tmp_path, capsys, case, method,
                                                                expect):
    import hashlib
    import shutil

    music, models = trained_models
    model = tmp_path / "model"
    shutil.copytree(models[method], model)
    cfg = json.loads((model / "config.json").read_text())
    if case == "n_features":
        cfg["vae"]["n_features"] = 30
    elif case == "method_pca_on_vae_files":
        cfg["method"] = "pca"
    elif case == "unknown_method":
        cfg["method"] = "tsne"
    elif case == "k":
        cfg["k"] = 7
    elif case == "not_weights":  # a vae.pt that is not weights, with a matching checksum
        (model / "vae.pt").write_bytes(b"not weights")
        cfg["files"]["vae.pt"] = {"sha256": hashlib.sha256(b"not weights").hexdigest(), "bytes": 11}
    (model / "config.json").write_text(json.dumps(cfg))
    err = _error(capsys, ["cluster", "--assign", str(music), "--model", str(model), "--out", str(tmp_path / "o"),
                          "--quiet", "--no-cache"])
    assert expect in err and "retrain" in err, err
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").rglob("*.m3u8"))
