"""The evaluation (chapter *Evaluation*, ``musiccluster evaluate``): metrics on known answers, the clip
bootstrap, the null, VAE health, the plain autoencoder, the whole evaluation and its command line."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

from musiccluster.baselines import AEEmbedder, gaussian_null, gmm_labels
from musiccluster.evaluation import (EvalConfig, active_units, clip_bootstrap_weights, compute_evaluation,
                                     effective_beta, effective_dimensions, majority_vote, resample_clips,
                                     weighted_calinski_harabasz)
from musiccluster.external import (EXTERNAL_METRICS, external_scores, hungarian_accuracy, purity,
                                   scores_from_contingency, weighted_contingency)
from musiccluster.features import FeatureSet, feature_names
from musiccluster.params import Params

#: The smallest evaluation that exercises every part (seconds, not minutes).
TINY_CONFIG = dict(n_seeds=2, n_boot=20, k_sweep=(2, 4), sweep_betas=(1.0, 4.0), sweep_reductions=("sum", "mean"))


def toy_features(n_clips: int = 24, n_seg: int = 3, n_groups: int = 4, spread: float = 4.0, seed: int = 0
                 ) -> FeatureSet:
    """Clips of ``n_seg`` near-identical segments around ``n_groups`` well-separated centres (26 features)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, spread, size=(n_groups, 26))
    rows, X = [], []
    for c in range(n_clips):
        g = c % n_groups
        base = centres[g] + rng.normal(size=26)
        for s in range(n_seg):
            X.append(base + 0.3 * rng.normal(size=26))
            rows.append({"filename": f"g{g}.{c:05d}.{s}.wav", "clip_id": f"g{g}.{c:05d}", "segment": s,
                         "label": f"g{g}", "path": "", "start_s": 3.0 * s, "end_s": 3.0 * (s + 1),
                         "clip_duration_s": 3.0 * n_seg})
    return FeatureSet(np.array(X), feature_names(13), pd.DataFrame(rows), source="toy")


# ------------------------------------------------------------------ external metrics
def test_perfect_clustering_scores_one_whatever_the_numbering():
    truth = np.repeat(["blues", "jazz", "metal", "pop"], [5, 7, 3, 9])
    codes = pd.factorize(truth)[0]
    for pred in (codes, (codes + 2) % 4, np.array([7, 1, 9, 4])[codes]):
        s = external_scores(truth, pred)
        for name in EXTERNAL_METRICS:
            assert s[name] == pytest.approx(1.0), name


def test_a_single_blob_has_no_agreement_with_random_labels():
    rng = np.random.default_rng(0)
    Z = rng.standard_normal((3000, 4))
    pred = skm.pairwise_distances_argmin(Z, Z[:5])  # 5 arbitrary clusters of a blob
    truth = rng.integers(0, 10, 3000)
    s = external_scores(truth, pred)
    assert abs(s["ari"]) < 0.01 and abs(s["ami"]) < 0.01
    assert s["accuracy"] < 0.15 and s["purity"] < 0.15


def test_hungarian_accuracy_and_purity_on_a_hand_made_confusion():
    # rows: labels a, b, c; columns: clusters 0, 1, 2
    table = np.array([[5, 1, 0],
                      [0, 3, 4],
                      [2, 0, 6]])
    truth, pred = [], []
    for i, row in enumerate(table):
        for j, count in enumerate(row):
            truth += ["abc"[i]] * count
            pred += [j] * count
    # best one-to-one: a->0 (5), b->1 (3), c->2 (6) = 14 of 21; a greedy b->2 (4) would give 5+4+0 = 9
    assert hungarian_accuracy(truth, pred) == pytest.approx(14 / 21)
    assert purity(truth, pred) == pytest.approx((5 + 3 + 6) / 21)
    # two clusters for three labels: at most two labels can be right
    pred2 = np.where(np.asarray(pred) == 2, 1, pred)
    # merged table: a [5, 1], b [0, 7], c [2, 6]; best: a->0 (5), b->1 (7)
    assert hungarian_accuracy(truth, pred2) == pytest.approx(12 / 21)
    assert purity(truth, pred2) == pytest.approx(12 / 21)


def test_contingency_scores_match_scikit_learn_on_repeated_rows():
    rng = np.random.default_rng(1)
    for trial in range(5):
        t = rng.integers(0, 4, 80)
        p = np.where(rng.random(80) < 0.6, t, rng.integers(0, 3, 80)) if trial else rng.integers(0, 3, 80)
        w = rng.integers(0, 3, size=(3, 80)).astype(float)
        tables = weighted_contingency(t, p, w, 4, p.max() + 1)
        fast = scores_from_contingency(tables)
        for b in range(3):
            rep_t, rep_p = np.repeat(t, w[b].astype(int)), np.repeat(p, w[b].astype(int))
            ref = external_scores(rep_t, rep_p)
            for name in fast:
                assert fast[name][b] == pytest.approx(ref[name], abs=1e-10), (trial, b, name)
    # NMI (arithmetic) and V-measure are the same quantity
    assert np.allclose(fast["nmi"], fast["v_measure"])


def test_weighted_calinski_harabasz_matches_scikit_learn_on_repeated_rows():
    rng = np.random.default_rng(2)
    Z = rng.normal(size=(60, 3))
    labels = rng.integers(0, 4, 60)
    w = rng.integers(0, 3, size=(4, 60)).astype(float)
    got = weighted_calinski_harabasz(Z, labels, w)
    for b in range(4):
        idx = np.repeat(np.arange(60), w[b].astype(int))
        assert got[b] == pytest.approx(skm.calinski_harabasz_score(Z[idx], labels[idx]), rel=1e-9)
    assert weighted_calinski_harabasz(Z, labels, np.ones((1, 60)))[0] == pytest.approx(
        skm.calinski_harabasz_score(Z, labels), rel=1e-12)


# ------------------------------------------------------------------ bootstrap, null, health
def test_clip_bootstrap_keeps_a_clips_segments_together():
    groups = np.repeat([f"clip{i}" for i in range(30)], 10)
    rng = np.random.default_rng(0)
    idx = resample_clips(groups, rng)
    drawn = pd.Series(groups[idx]).value_counts()
    assert len(idx) == len(groups)
    assert all(count % 10 == 0 for count in drawn)  # whole clips, as often as drawn
    w = clip_bootstrap_weights(groups, 200, rng)
    assert w.shape == (200, 300)
    per_clip = w.reshape(200, 30, 10)
    assert np.all(per_clip == per_clip[:, :, :1])  # every segment of a clip has its clip's multiplicity
    assert np.all(w.sum(axis=1) == 300) and abs(w.mean() - 1.0) < 1e-12


def test_gaussian_null_matches_the_mean_and_covariance():
    rng = np.random.default_rng(3)
    A = rng.normal(size=(5, 5))
    X = rng.normal(size=(400, 5)) @ A + np.array([10, -3, 0, 2, 100])
    draw = gaussian_null(X, n=200_000, seed=0)
    assert draw.shape == (200_000, 5)
    np.testing.assert_allclose(draw.mean(axis=0), X.mean(axis=0), atol=0.05 * X.std(axis=0).max())
    np.testing.assert_allclose(np.cov(draw, rowvar=False), np.cov(X, rowvar=False), atol=0.03 * np.abs(np.cov(X, rowvar=False)).max())
    assert gaussian_null(X, seed=1).shape == X.shape
    np.testing.assert_array_equal(gaussian_null(X, seed=1), gaussian_null(X, seed=1))
    assert not np.array_equal(gaussian_null(X, seed=1), gaussian_null(X, seed=2))
    assert gaussian_null(X[:3], seed=0).shape == (3, 5)  # singular covariance is fine


def test_active_units_and_effective_dimensions_on_a_known_embedding():
    rng = np.random.default_rng(4)
    Z = rng.standard_normal((5000, 4)) * np.sqrt([2.0, 0.5, 0.001, 0.0])
    assert active_units(Z, 0.01) == 2
    assert active_units(Z, 0.0001) == 3
    assert effective_dimensions(rng.standard_normal((20000, 4))) == pytest.approx(4.0, rel=0.02)
    assert effective_dimensions(Z) == pytest.approx(2.5 ** 2 / (4 + 0.25), rel=0.05)


def test_majority_vote_and_coherence():
    groups = np.array(["a"] * 4 + ["b"] * 3 + ["c"] * 2)
    labels = np.array([1, 1, 1, 0, 2, 2, 2, 0, 1])
    clips, vote, share = majority_vote(groups, labels)
    assert list(clips) == ["a", "b", "c"]
    assert list(vote) == [1, 2, 0]  # c is a tie: the smallest cluster wins
    np.testing.assert_allclose(share, [0.75, 1.0, 0.5])


def test_effective_beta_puts_the_reductions_on_one_scale():
    assert effective_beta("sum", 2.0, 26, 4, 64) == 2.0
    assert effective_beta("mean", 1.0, 26, 4, 64) == pytest.approx(6.5)
    assert effective_beta("mse_mean_kl_sum", 1.0, 26, 4, 64) == pytest.approx(26 * 64)


# ------------------------------------------------------------------ baselines
def test_plain_autoencoder_trains_deterministically_and_leaves_global_rng_alone():
    import torch

    X = toy_features().X
    X = (X - X.mean(0)) / X.std(0)
    state = torch.random.get_rng_state()
    a = AEEmbedder(epochs=5, seed=0).fit(X)
    assert torch.equal(torch.random.get_rng_state(), state)
    b = AEEmbedder(epochs=5, seed=0).fit(X)
    c = AEEmbedder(epochs=5, seed=1).fit(X)
    np.testing.assert_array_equal(a.transform(X), b.transform(X))
    assert not np.array_equal(a.transform(X), c.transform(X))
    assert a.transform(X).shape == (len(X), 4)
    assert a.history_["loss"].iloc[-1] < a.history_["loss"].iloc[0]
    assert not hasattr(a.model_, "fc_logvar")  # no variational part


def test_gmm_labels_are_seeded_and_find_separated_groups():
    data = toy_features()
    X = (data.X - data.X.mean(0)) / data.X.std(0)
    a, b = gmm_labels(X, 4, seed=0), gmm_labels(X, 4, seed=0)
    np.testing.assert_array_equal(a, b)
    assert skm.adjusted_rand_score(data.labels, a) > 0.9


# ------------------------------------------------------------------ the whole evaluation
@pytest.fixture(scope="module")
def toy_eval():
    data = toy_features()
    params = Params(epochs=3, k=3)
    return params, data, compute_evaluation(params, data, EvalConfig(**TINY_CONFIG), progress=False)


def test_evaluation_record_has_every_part(toy_eval):
    params, data, ev = toy_eval
    rec = json.loads(ev.to_json())
    assert rec["ks"] == [3, 4]  # params.k and the number of labels
    assert rec["seeds"] == [0, 1]
    for m in ("vae", "pca", "ae", "kmeans", "gmm"):
        for k in ("3", "4"):
            blk = rec["methods"][m]["k"][k]
            for name in ("silhouette_own", "silhouette_common", "calinski_harabasz_own",
                         "calinski_harabasz_common", *EXTERNAL_METRICS):
                s = blk["segment"][name]
                assert set(s) >= {"mean", "lo", "hi", "sd", "per_seed"} and len(s["per_seed"]) == 2
            assert {"silhouette_own", "silhouette_common"} <= set(blk["null"])
            assert {"majority_share", "unanimous"} <= set(blk["coherence"])
            assert "ari" in blk["clip"]
    assert rec["methods"]["vae"]["health"]["active_units"]["mean"] <= params.latent_dim
    assert len(rec["methods"]["vae"]["health"]["kl_per_dim_sorted"]) == params.latent_dim
    assert {(e["loss_reduction"], e["beta"]) for e in rec["sweep"]} == {("sum", 1.0), ("sum", 4.0), ("mean", 1.0),
                                                                       ("mean", 4.0)}
    assert {(e["method"], e["k"], e["scope"]) for e in rec["k_sweep"]} >= {("vae", 2, "data"), ("pca", 4, "null")}
    assert set(rec["verdict"]) >= {"own_space", "null", "common_space", "labels", "health", "paper_match", "summary"}
    # intervals bracket the estimates of the well-behaved statistics
    for m in ("vae", "pca"):
        s = rec["methods"][m]["k"]["3"]["segment"]["silhouette_common"]
        assert s["lo"] <= s["mean"] <= s["hi"]
    assert ev.headline().shape[0] == 5 and ev.coherence_table() is not None


def test_evaluation_agrees_with_the_experiment_and_the_common_space_is_shared(toy_eval):
    from musiccluster.experiment import compute_experiment

    params, data, ev = toy_eval
    table1 = compute_experiment(params, data, progress=False)
    vae = ev.stat("vae", "silhouette_own")["per_seed"][0]
    pca = ev.stat("pca", "silhouette_own")["per_seed"][0]
    assert vae == pytest.approx(table1.vae.silhouette, abs=1e-12)  # seed params.seed is the experiment's run
    assert pca == pytest.approx(table1.pca.silhouette, abs=1e-12)
    # K-Means and GMM cluster the common space itself: own space == common space
    for m in ("kmeans", "gmm"):
        assert ev.stat(m, "silhouette_own") == ev.stat(m, "silhouette_common")
    # well-separated toy groups: every method finds them at k = number of labels
    for m in ("pca", "kmeans"):
        assert ev.stat(m, "ari", k=4)["mean"] > 0.9
        assert ev.stat(m, "majority_share", k=4, scope="coherence")["mean"] == pytest.approx(1.0)
    diff = ev.difference("silhouette_common", "vae", "pca")
    assert diff["mean"] == pytest.approx(ev.stat("vae", "silhouette_common")["mean"]
                                         - ev.stat("pca", "silhouette_common")["mean"])


def test_evaluation_is_reproducible_and_cached(tmp_path, monkeypatch):
    from musiccluster import evaluation as E

    data = toy_features(n_clips=16)
    params = Params(epochs=2, k=3)
    cfg = EvalConfig(n_seeds=2, n_boot=10, k_sweep=(), sweep_betas=(), methods=("vae", "pca"))
    a = E.evaluate(params, cfg, data=data, cache_dir=tmp_path, progress=False)
    monkeypatch.setattr(E, "compute_evaluation", lambda *a, **k: pytest.fail("should be cached"))
    b = E.evaluate(params, cfg, data=data, cache_dir=tmp_path, progress=False)
    assert b.from_cache and a.to_json(timing=False) == b.to_json(timing=False)
    monkeypatch.undo()
    c = E.evaluate(params.replace(seed=5), cfg, data=data, cache=False, progress=False)
    assert c.to_json(timing=False) != a.to_json(timing=False)
    assert a.record["sweep"] == [] and a.record["k_sweep"] == []


def test_config_rejects_bad_values_naming_them():
    from musiccluster.errors import ParameterError

    for kwargs, name in (({"n_seeds": 0}, "n_seeds"), ({"sweep_reductions": ("sums",)}, "sweep_reductions"),
                         ({"methods": ("vae", "tsne")}, "methods"), ({"k_sweep": (1, 2)}, "k_sweep"),
                         ({"confidence": 1.5}, "confidence"), ({"sweep_betas": (-1.0,)}, "sweep_betas")):
        with pytest.raises(ParameterError, match=f"'{name}'"):
            EvalConfig(**kwargs)


def test_unlabelled_data_skips_external_metrics():
    data = toy_features(n_clips=12)
    data.meta["label"] = None
    ev = compute_evaluation(Params(epochs=2, k=3), data, EvalConfig(n_seeds=1, n_boot=10, k_sweep=(), sweep_betas=(),
                                                                   methods=("vae", "pca"), null=False),
                            progress=False)
    assert ev.ks == [3] and not ev.has_labels
    assert "ari" not in ev.record["methods"]["vae"]["k"]["3"]["segment"]
    assert "ARI" not in ev.headline().columns
    json.loads(ev.to_json())


# ------------------------------------------------------------------ command line
def test_cli_writes_the_evaluation_json(tmp_path, capsys):
    from musiccluster.cli import main
    from musiccluster.features import write_kaggle_csv

    csv = write_kaggle_csv(toy_features(n_clips=16), tmp_path / "toy.csv")
    out = tmp_path / "eval.json"
    rc = main(["evaluate", "--features", str(csv), "--seeds", "2", "--boot", "20", "--epochs", "2", "--k", "3",
               "--betas", "1", "--reductions", "sum", "--k-max", "3", "--json", str(out), "--quiet", "--jobs", "1",
               "--cache-dir", str(tmp_path / "cache")])
    assert rc == 0
    printed = capsys.readouterr().out
    assert "runtime:" in printed and "VAE + K-Means" in printed and str(out) in printed
    rec = json.loads(out.read_text())
    vae = rec["methods"]["vae"]
    for name in ("silhouette_own", "silhouette_common", "calinski_harabasz_own", "calinski_harabasz_common", "ari"):
        assert {"mean", "lo", "hi"} <= set(vae["k"]["3"]["segment"][name])
    assert "silhouette_own" in vae["k"]["3"]["null"] and "active_units" in vae["health"]
    assert rec["runtime_s"]["total"] > 0 and rec["params"]["epochs"] == 2


def test_cli_rejects_a_bad_option_before_any_work(tmp_path, capsys):
    from musiccluster.cli import main

    assert main(["evaluate", "--seeds", "0", "--cache-dir", str(tmp_path)]) == 2
    assert "n_seeds" in capsys.readouterr().err
    assert main(["evaluate", "--reductions", "sum,avg", "--cache-dir", str(tmp_path)]) == 2
    assert "avg" in capsys.readouterr().err
    assert not (tmp_path / "evaluations").exists()


# ------------------------------------------------------------------ slow: parallel, real GTZAN features
@pytest.mark.slow
def test_results_do_not_depend_on_the_number_of_workers():
    data = toy_features(n_clips=16)
    params = Params(epochs=2, k=3)
    cfg = EvalConfig(n_seeds=2, n_boot=20, k_sweep=(2, 3), sweep_betas=(2.0,), sweep_reductions=("sum",))
    one = compute_evaluation(params, data, cfg, n_jobs=1, progress=False)
    two = compute_evaluation(params, data, cfg, n_jobs=2, progress=False)
    assert one.to_json(timing=False) == two.to_json(timing=False)


@pytest.mark.slow
def test_evaluate_on_the_shared_gtzan_table(kaggle_30s, tmp_path):
    """The 1000 real GTZAN clips (clip-level features): the facts the chapter's verdict rests on."""
    from musiccluster.cli import main

    out = tmp_path / "gtzan.json"
    assert main(["evaluate", "--features", str(kaggle_30s), "--seeds", "3", "--boot", "100", "--betas", "1",
                 "--k-max", "6", "--json", str(out), "--quiet", "--no-cache", "--jobs", "1"]) == 0
    rec = json.loads(out.read_text())
    assert rec["data"]["n_samples"] == 1000 and rec["data"]["n_labels"] == 10 and rec["ks"] == [5, 10]
    vae, pca = rec["methods"]["vae"]["k"]["5"], rec["methods"]["pca"]["k"]["5"]
    # silhouettes in 4-d spaces are far above the same clusters' silhouettes in the common 26-d space,
    # and a structureless Gaussian already earns a large part of them
    for blk in (vae, pca):
        assert blk["segment"]["silhouette_own"]["mean"] > blk["segment"]["silhouette_common"]["mean"] + 0.05
        assert blk["null"]["silhouette_own"]["mean"] > 0.15
        assert 0.08 < blk["segment"]["ari"]["mean"] < 0.3
    # the tutorial loss convention collapses every latent dimension and destroys the clusters
    by_setting = {(e["loss_reduction"], e["beta"]): e for e in rec["sweep"]}
    collapsed = by_setting[("mse_mean_kl_sum", 1.0)]["metrics"]
    assert collapsed["active_units"]["mean"] == 0 and collapsed["ari"]["mean"] < 0.03
    assert by_setting[("sum", 1.0)]["metrics"]["active_units"]["mean"] == 4
    assert rec["paper_match"]["reproduced"] is False
