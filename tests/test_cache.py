"""The experiment and evaluation caches (issue 16, items 3, 7): nothing executes, nothing crashes."""

import os
import pickle
import warnings

import numpy as np
import pytest

from musiccluster import cache as C
from musiccluster.evaluation import run as evalrun
from musiccluster.evaluation.config import EvalConfig
from musiccluster.params import Params
from test_evaluation import toy_features


class _Boom:
    def __reduce__(self):
        return (os.system, (f"touch {os.environ['BOOM_FILE']}",))


def _plant(path, boom):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(_Boom()))


def test_no_pickle_helpers_remain():
    assert not hasattr(C, "atomic_pickle") and not hasattr(C, "load_pickle")


def test_write_and_read_entry_round_trip_and_refuse_objects(tmp_path):
    C.write_entry(tmp_path / "e.npz", {"a": [1, float("nan")]}, {"x": np.arange(3)})
    meta, arrays = C.read_entry(tmp_path / "e.npz")
    assert meta["a"][0] == 1 and np.isnan(meta["a"][1]) and arrays["x"].tolist() == [0, 1, 2]
    np.savez(tmp_path / "obj.npz", __meta__=np.array("{}"), x=np.array([{"a": 1}], dtype=object))
    assert C.read_entry(tmp_path / "obj.npz") is None
    (tmp_path / "junk.npz").write_bytes(b"not an npz")
    assert C.read_entry(tmp_path / "junk.npz") is None


def _experiment(tmp_path, monkeypatch, **kw):
    from musiccluster.experiment import run_experiment

    return run_experiment(Params(epochs=2, k=3), data=toy_features(n_clips=12), cache_dir=tmp_path,
                          progress=False, **kw)


def test_a_malicious_pickle_in_the_experiment_cache_never_runs(tmp_path, monkeypatch):
    import musiccluster.experiment as E

    boom = tmp_path / "BOOM"
    monkeypatch.setenv("BOOM_FILE", str(boom))
    first = _experiment(tmp_path, monkeypatch)
    entries = list((tmp_path / "experiments").iterdir())
    assert [e.suffix for e in entries] == [".npz"]
    for entry in entries:  # the new entry path, and the old .pkl one
        _plant(entry, boom)
        _plant(entry.with_suffix(".pkl"), boom)
    again = _experiment(tmp_path, monkeypatch)
    assert not boom.exists()
    assert again.to_json() == first.to_json()  # recomputed, the same numbers
    # a good entry is used: no recomputation, the same record, a working VAE
    monkeypatch.setattr(E, "compute_experiment", lambda *a, **k: pytest.fail("should be cached"))
    hit = _experiment(tmp_path, monkeypatch)
    assert hit.to_json() == first.to_json()
    np.testing.assert_array_equal(hit.vae_model.transform(hit.X_scaled), first.vae.embedding)


def test_a_malformed_experiment_entry_is_recomputed(tmp_path, monkeypatch):
    first = _experiment(tmp_path, monkeypatch)
    entry = next((tmp_path / "experiments").iterdir())
    meta, arrays = C.read_entry(entry)
    arrays["vae.labels"] = arrays["vae.labels"][:-1]  # wrong shape
    C.write_entry(entry, meta, arrays)
    assert _experiment(tmp_path, monkeypatch).to_json() == first.to_json()


def _evaluation(tmp_path, **kw):
    cfg = EvalConfig(n_seeds=1, n_boot=10, k_sweep=(), sweep_betas=(), methods=("vae", "pca"))
    return evalrun.evaluate(Params(epochs=2, k=3), cfg, data=toy_features(n_clips=12), cache_dir=tmp_path,
                            progress=False, **kw)


def test_a_malicious_pickle_in_the_evaluation_cache_never_runs(tmp_path, monkeypatch):
    boom = tmp_path / "BOOM"
    monkeypatch.setenv("BOOM_FILE", str(boom))
    first = _evaluation(tmp_path)
    entries = list((tmp_path / "evaluations").iterdir())
    assert [e.suffix for e in entries] == [".npz"]
    for entry in entries:
        _plant(entry, boom)
        _plant(entry.with_suffix(".pkl"), boom)
    again = _evaluation(tmp_path)
    assert not boom.exists() and not again.from_cache
    monkeypatch.setattr(evalrun, "compute_evaluation", lambda *a, **k: pytest.fail("should be cached"))
    hit = _evaluation(tmp_path)
    assert hit.from_cache and hit.to_json(timing=False) == first.to_json(timing=False)
    assert set(hit.dists) == set(first.dists)
    key = next(iter(first.dists))
    np.testing.assert_array_equal(hit.dists[key], first.dists[key])


@pytest.mark.parametrize("how", ["file", "readonly"])
def test_a_cache_that_cannot_be_written_only_warns(tmp_path, monkeypatch, how):
    if how == "file":
        root = tmp_path / "cachefile"
        root.write_text("not a folder")
    else:
        root = tmp_path / "ro"
        root.mkdir()
        monkeypatch.setattr(C, "atomic_write_bytes",
                            lambda *a, **k: (_ for _ in ()).throw(OSError(30, "Read-only file system")))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _experiment(root, monkeypatch)
        _evaluation(root)
    messages = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    assert any("experiment cache not written" in m for m in messages)
    assert any("evaluation cache not written" in m for m in messages)


def test_a_feature_cache_under_a_file_only_warns(tmp_path):
    import soundfile as sf

    from conftest import tone
    from musiccluster.data.corpus import find_clips
    from musiccluster.features.extract import extract_features
    from musiccluster.params import FeatureParams

    (tmp_path / "m").mkdir()
    sf.write(tmp_path / "m" / "a.wav", tone(3, 220), 22050)
    (tmp_path / "cachefile").write_text("x")
    with pytest.warns(RuntimeWarning, match="feature cache not written"):
        fs = extract_features(find_clips(tmp_path / "m"), FeatureParams(n_segments=2), n_jobs=1,
                              progress=False, cache_dir=tmp_path / "cachefile")
    assert fs.n_clips == 1
