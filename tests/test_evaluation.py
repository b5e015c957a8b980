"""The evaluation (chapter *Evaluation*, ``musiccluster evaluate``): metrics on known answers, the clip
bootstrap, the null, VAE health, the plain autoencoder, the whole evaluation and its command line."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

from musiccluster.models.autoencoder import AEEmbedder
from musiccluster.evaluation.nulls import clip_null, gaussian_null
from musiccluster.clustering import gmm_labels
from musiccluster.evaluation import K_SWEEP_METRICS, EvalConfig, clip_bootstrap_weights, clip_features, clip_internal_scores, compute_evaluation, effective_beta, majority_vote, resample_clips, weighted_calinski_harabasz
from musiccluster.metrics.geometry import active_units, effective_dimensions
from musiccluster.metrics.external import EXTERNAL_METRICS, external_scores, hungarian_accuracy, purity, scores_from_contingency, weighted_contingency
from musiccluster.features.featureset import FeatureSet
from musiccluster.features.mfcc import feature_names
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


def _clip_moments(X, groups):
    codes, uniques = pd.factorize(pd.Series(groups), sort=False)
    means = np.vstack([X[codes == g].mean(axis=0) for g in range(len(uniques))])
    resid = X - means[codes]
    return means, np.cov(means, rowvar=False), resid.T @ resid / (len(X) - len(uniques))


def test_clip_null_keeps_the_clips_and_their_moments_but_nothing_else():
    rng = np.random.default_rng(5)
    n_clips, n_seg, d = 400, 10, 3
    groups = np.repeat([f"c{i:03d}" for i in range(n_clips)], n_seg)
    # real data: two far-apart kinds of clip (cluster structure beyond the clips), tight segments
    kind = np.repeat(rng.integers(0, 2, n_clips), n_seg)
    X = 6.0 * kind[:, None] + np.repeat(rng.normal(size=(n_clips, d)), n_seg, axis=0) \
        + 0.3 * rng.normal(size=(n_clips * n_seg, d))
    draw = clip_null(X, groups, seed=0)
    assert draw.shape == X.shape
    np.testing.assert_array_equal(draw, clip_null(X, groups, seed=0))
    assert not np.array_equal(draw, clip_null(X, groups, seed=1))
    _, cov_means, within = _clip_moments(X, groups)
    draw_means, draw_cov_means, draw_within = _clip_moments(draw, groups)
    np.testing.assert_allclose(draw_cov_means, cov_means, atol=0.15 * np.abs(cov_means).max())
    np.testing.assert_allclose(draw_within, within, atol=0.1 * np.abs(within).max())
    # segments of a clip stay near-duplicates: within-clip spread far below the spread of the clip means
    assert np.trace(draw_within) < 0.05 * np.trace(draw_cov_means)
    # but the clips form one Gaussian blob: the two kinds of the real data are gone. Along the
    # clip means' main axis the real data is bimodal (kurtosis near 1), the draw Gaussian (near 3).
    from scipy.stats import kurtosis

    def main_axis_kurtosis(M):
        M = M - M.mean(axis=0)
        return kurtosis(M @ np.linalg.eigh(np.cov(M, rowvar=False))[1][:, -1], fisher=False)

    assert main_axis_kurtosis(_clip_moments(X, groups)[0]) < 1.6
    assert 2.3 < main_axis_kurtosis(draw_means) < 3.8
    # one row per clip: the clip null is the i.i.d. null, draw for draw
    singles = np.arange(len(X)).astype(str)
    np.testing.assert_array_equal(clip_null(X, singles, seed=3), gaussian_null(X, seed=3))


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


def test_clip_level_internal_scores_on_a_hand_made_case():
    # four clips of three segments in one feature; clip means 0, 1, 10, 11
    groups = np.repeat(["a", "b", "c", "d"], 3)
    X = (np.repeat([0.0, 1.0, 10.0, 11.0], 3) + np.tile([-0.5, 0.0, 0.5], 4))[:, None]
    # segment clusters: a and b mostly in 0, c and d in 1; one dissenting segment in b and one in d
    labels = np.array([0, 0, 0, 0, 1, 0, 1, 1, 1, 1, 0, 1])
    ids, Xc = clip_features(X, groups)
    assert list(ids) == ["a", "b", "c", "d"]
    np.testing.assert_allclose(Xc[:, 0], (np.array([0, 1, 10, 11]) - 5.5) / np.std([0, 1, 10, 11]))
    got = clip_internal_scores(X, groups, labels)
    # vote: a, b -> 0 and c, d -> 1; in one dimension both scores are scale-free:
    # silhouette of 0 is 1 - 1/10.5, of 1 is 1 - 1/9.5 (and symmetrically for 10, 11)
    assert got["silhouette"] == pytest.approx(1 - (1 / 10.5 + 1 / 9.5) / 2)
    # between 2 * 2 * 5^2 = 100 on 1 degree of freedom, within 4 * 0.25 = 1 on 2
    assert got["calinski_harabasz"] == pytest.approx(200.0)
    assert np.isnan(clip_internal_scores(X, groups, np.zeros(12, int))["silhouette"])


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
            assert {"silhouette_own", "silhouette_common"} <= set(blk["clip_null"])
            assert {"majority_share", "unanimous"} <= set(blk["coherence"])
            assert {"ari", "silhouette", "calinski_harabasz"} <= set(blk["clip"])
    assert rec["methods"]["vae"]["health"]["active_units"]["mean"] <= params.latent_dim
    assert len(rec["methods"]["vae"]["health"]["kl_per_dim_sorted"]) == params.latent_dim
    assert {(e["loss_reduction"], e["beta"]) for e in rec["sweep"]} == {("sum", 1.0), ("sum", 4.0), ("mean", 1.0),
                                                                       ("mean", 4.0)}
    assert {(e["method"], e["k"], e["scope"]) for e in rec["k_sweep"]} >= {("vae", 2, "data"), ("pca", 4, "null")}
    assert set(rec["verdict"]) >= {"own_space", "null", "clip_null", "common_space", "labels", "health",
                                   "paper_match", "granularity", "corpus_note", "outcome", "summary"}
    assert rec["data"]["corpus_kind"] == "other"  # features handed over directly: neither stand-in nor GTZAN
    assert "which is not GTZAN" in rec["verdict"]["corpus_note"]
    # intervals bracket the estimates of the well-behaved statistics
    for m in ("vae", "pca"):
        s = rec["methods"][m]["k"]["3"]["segment"]["silhouette_common"]
        assert s["lo"] <= s["mean"] <= s["hi"]
    assert ev.headline().shape[0] == 5 and ev.coherence_table() is not None


def test_k_sweep_reports_every_metric_and_the_figure_shows_them(toy_eval):
    import matplotlib.pyplot as plt

    from musiccluster.book.evaluation_figures import plot_k_sweep

    params, data, ev = toy_eval
    rec = json.loads(ev.to_json())
    data_entries = [e for e in rec["k_sweep"] if e["scope"] == "data"]
    assert {e["k"] for e in data_entries} == {2, 4}
    for e in data_entries:
        assert set(e["metrics"]) == set(K_SWEEP_METRICS), e["method"]
        assert {"silhouette_own", "calinski_harabasz_common", "ari", "ami", "nmi", "v_measure", "purity",
                "accuracy"} <= set(e["metrics"])
    for e in (e for e in rec["k_sweep"] if e["scope"] == "null"):
        assert set(e["metrics"]) == {"silhouette_own", "silhouette_common", "calinski_harabasz_own",
                                     "calinski_harabasz_common"}
    # the k sweep's numbers at a headline k are the headline's (same runs, same metrics)
    at4 = next(e for e in data_entries if e["method"] == "pca" and e["k"] == 4)["metrics"]
    assert at4["ami"]["mean"] == pytest.approx(ev.stat("pca", "ami", k=4).mean)
    assert at4["calinski_harabasz_own"]["mean"] == pytest.approx(ev.stat("pca", "calinski_harabasz_own", k=4).mean)
    fig = plot_k_sweep(ev)
    titles = [ax.get_title() for ax in fig.axes if ax.get_visible()]
    assert len(titles) == len(K_SWEEP_METRICS) - 1  # V-measure shares NMI's panel (the same number)
    for word in ("silhouette, own", "silhouette, 26-d common", "Calinski–Harabasz, own", "ARI", "AMI", "NMI",
                 "V-measure", "purity", "accuracy"):
        assert any(word in t for t in titles), word
    plt.close(fig)


def test_clip_level_record_has_internal_metrics_of_the_majority_vote(toy_eval):
    from musiccluster.clustering import kmeans
    from musiccluster.features.scaling import standardize

    params, data, ev = toy_eval
    X, _ = standardize(data.X)
    for k in ev.ks:
        clip = ev.record["methods"]["kmeans"]["k"][str(k)]["clip"]
        assert {"silhouette", "calinski_harabasz", "ari", "accuracy"} <= set(clip)
        want = clip_internal_scores(X, data.groups, kmeans(X, k, params.seed).labels_)
        assert clip["silhouette"]["per_seed"][0] == pytest.approx(want["silhouette"], abs=1e-12)
        assert clip["calinski_harabasz"]["per_seed"][0] == pytest.approx(want["calinski_harabasz"], rel=1e-9)
        assert clip["silhouette"]["lo"] <= clip["silhouette"]["mean"] <= clip["silhouette"]["hi"]
    table = ev.clip_table()
    assert {"silhouette (clip means)", "Calinski-Harabasz (clip means)", "ari"} <= set(table.columns)


def test_clip_null_beside_the_iid_null(toy_eval):
    params, data, ev = toy_eval
    rec = ev.record
    assert rec["data"]["clip_null_is_null"] is False
    vae = rec["methods"]["vae"]["k"]["3"]
    assert {"silhouette_own", "silhouette_common"} <= set(vae["clip_null"])
    assert vae["clip_null"]["silhouette_own"]["per_seed"] != vae["null"]["silhouette_own"]["per_seed"]
    diff = vae["minus_clip_null"]["silhouette_own"]
    assert diff["mean"] == pytest.approx(vae["segment"]["silhouette_own"]["mean"]
                                         - vae["clip_null"]["silhouette_own"]["mean"])
    assert "clip-null silhouette (own)" in ev.headline().columns
    assert "keeps them" in rec["verdict"]["clip_null"] and "within-clip" in rec["verdict"]["clip_null"]


def test_on_a_clip_level_table_the_clip_null_is_the_null():
    data = toy_features(n_clips=40, n_seg=1)
    ev = compute_evaluation(Params(epochs=2, k=3), data, EvalConfig(n_seeds=1, n_boot=10, k_sweep=(),
                                                                    sweep_betas=(), methods=("vae", "pca")),
                            progress=False)
    rec = json.loads(ev.to_json())
    assert rec["data"]["clip_null_is_null"] is True and rec["data"]["max_segments_per_clip"] == 1
    for m in ("vae", "pca"):
        blk = rec["methods"][m]["k"]["3"]
        assert blk["clip_null"] == blk["null"] and blk["clip"] is None
    assert "clip-null silhouette (own)" not in ev.headline().columns
    v = rec["verdict"]
    assert "same as this one" in v["clip_null"]
    assert "one row per clip" in v["granularity"] and "40 rows" in v["granularity"]
    assert "one per clip" in v["paper_match"]


def test_silhouette_common_is_scikit_learns_silhouette_on_the_standardised_features(toy_eval):
    from musiccluster.clustering import kmeans
    from musiccluster.features.scaling import standardize
    from musiccluster.experiment import compute_experiment

    params, data, ev = toy_eval
    X, _ = standardize(data.X)
    table1 = compute_experiment(params, data, progress=False)
    for m, labels in (("vae", table1.vae.labels), ("pca", table1.pca.labels),
                      ("kmeans", kmeans(X, params.k, params.seed).labels_)):
        got = ev.stat(m, "silhouette_common").per_seed[0]
        assert got == pytest.approx(skm.silhouette_score(X, labels), abs=1e-12), m
    # own space of the embedders is their embedding, not the features
    assert ev.stat("pca", "silhouette_own").per_seed[0] == pytest.approx(
        skm.silhouette_score(table1.pca.embedding, table1.pca.labels), abs=1e-12)


def test_evaluation_agrees_with_the_experiment_and_the_common_space_is_shared(toy_eval):
    from musiccluster.experiment import compute_experiment

    params, data, ev = toy_eval
    table1 = compute_experiment(params, data, progress=False)
    vae = ev.stat("vae", "silhouette_own").per_seed[0]
    pca = ev.stat("pca", "silhouette_own").per_seed[0]
    assert vae == pytest.approx(table1.vae.silhouette, abs=1e-12)  # seed params.seed is the experiment's run
    assert pca == pytest.approx(table1.pca.silhouette, abs=1e-12)
    # K-Means and GMM cluster the common space itself: own space == common space
    for m in ("kmeans", "gmm"):
        assert ev.stat(m, "silhouette_own") == ev.stat(m, "silhouette_common")
    # well-separated toy groups: every method finds them at k = number of labels
    for m in ("pca", "kmeans"):
        assert ev.stat(m, "ari", k=4).mean > 0.9
        assert ev.stat(m, "majority_share", k=4, scope="coherence").mean == pytest.approx(1.0)
    diff = ev.difference("silhouette_common", "vae", "pca")
    assert diff.mean == pytest.approx(ev.stat("vae", "silhouette_common").mean
                                      - ev.stat("pca", "silhouette_common").mean)


def test_evaluation_is_reproducible_and_cached(tmp_path, monkeypatch):
    from musiccluster import evaluation as E
    from musiccluster.evaluation import run

    data = toy_features(n_clips=16)
    params = Params(epochs=2, k=3)
    cfg = EvalConfig(n_seeds=2, n_boot=10, k_sweep=(), sweep_betas=(), methods=("vae", "pca"))
    a = E.evaluate(params, cfg, data=data, cache_dir=tmp_path, progress=False)
    monkeypatch.setattr(run, "compute_evaluation", lambda *a, **k: pytest.fail("should be cached"))
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
    from musiccluster.features.kaggle import write_kaggle_csv

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
    # the similarity benchmark (chapter Similarity): a feature table has no audio, so the paper's rows only
    assert "similarity:" in printed and "P@5" in printed
    sim = rec["similarity"]["scores"]
    assert set(sim) == {"stats26", "vae", "pca"} and sim["stats26"]["n_clips"] == 16
    assert 0 <= sim["stats26"]["precision"]["5"]["mean"] <= 1


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

    from musiccluster.evaluation import EvalConfig as Config

    out = tmp_path / "gtzan.json"
    # the CLI's default loss_reduction x beta grid (no --betas, no --reductions), two seeds to stay quick
    assert main(["evaluate", "--features", str(kaggle_30s), "--seeds", "2", "--boot", "100",
                 "--k-max", "6", "--json", str(out), "--quiet", "--no-cache", "--jobs", "1"]) == 0
    rec = json.loads(out.read_text())
    assert rec["data"]["n_samples"] == 1000 and rec["data"]["n_labels"] == 10 and rec["ks"] == [5, 10]
    d = Config()
    assert {(e["loss_reduction"], e["beta"]) for e in rec["sweep"]} == {
        (r, float(b)) for r in d.sweep_reductions for b in d.sweep_betas}
    # a clip-level table: the clip null is the i.i.d. null, and the verdict says the rows are clips
    assert rec["data"]["max_segments_per_clip"] == 1 and rec["data"]["clip_null_is_null"] is True
    assert rec["data"]["corpus_kind"] == "gtzan"
    assert rec["methods"]["vae"]["k"]["5"]["clip_null"] == rec["methods"]["vae"]["k"]["5"]["null"]
    assert "one row per clip (1000 rows)" in rec["verdict"]["granularity"]
    assert "at clip level" in rec["verdict"]["corpus_note"]
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
    # no setting of the whole grid reproduces 0.48 / 0.30; PCA's silhouette, which no VAE setting moves,
    # is far from 0.30 by itself
    pm = rec["paper_match"]
    assert pm["reproduced"] is False and pm["n_settings"] == len(d.sweep_reductions) * len(d.sweep_betas)
    assert pm["reason"] == "pca" and abs(pm["pca_silhouette"] - pm["paper_pca"]) > pm["tolerance"]
    text = rec["verdict"]["paper_match"]
    assert "does not depend on the VAE's loss convention or β" in text and "Table 1 is not reproduced" in text
    assert "one per clip" in text


# ------------------------------------------------------------------ known answers
@pytest.mark.parametrize("seed", [0, 1])
def test_kmeans_on_a_structureless_blob_scores_by_dimension(seed):
    """The chapter's opening argument: K-Means (k = 5) on one isotropic Gaussian, n = 2000."""
    from musiccluster.book.chapters import null_silhouettes

    blob = null_silhouettes([1, 2, 4], k=5, n=2000, seed=seed)
    assert list(blob.index) == [1, 2, 4]
    for d, expected in ((1, 0.52), (2, 0.31), (4, 0.17)):
        assert blob.loc[d, "silhouette"] == pytest.approx(expected, abs=0.02), d
    assert blob["calinski_harabasz"].is_monotonic_decreasing


# ------------------------------------------------------------------ the verdict, on hand-made records
def _s(mean: float, lo: float | None = None, hi: float | None = None) -> dict:
    return {"mean": mean, "lo": mean - 0.01 if lo is None else lo, "hi": mean + 0.01 if hi is None else hi,
            "sd": 0.0, "per_seed": [mean], "bias": 0.0}


def _fake_result(common: tuple, ari: tuple | None = None, own: tuple = (0.10, 0.05, 0.15),
                 vae_own: float = 0.45, pca_own: float = 0.35, sweep: list | None = None,
                 per_clip: int = 10, corpus: str = "stand-in"):
    """An EvaluationResult whose record holds only what the findings read.

    ``common``, ``ari``, ``own``: (mean, lo, hi) of VAE minus PCA; ``ari`` None: no labels.
    """
    from musiccluster._constants import GTZAN_GENRES
    from musiccluster.evaluation import EvaluationResult, corpus_kind
    from musiccluster.evaluation.findings import paper_match_record
    from musiccluster.evaluation.sentences import verdict_sentences

    labels = list(GTZAN_GENRES) if ari is not None else []
    if corpus == "other" and labels:
        labels = ["a", "b"]
    params = Params(k=5) if corpus == "stand-in" else Params(k=5, data_dir=__file__.rsplit("/", 1)[0])  # a data folder (a .py file is no table)
    source = ("synthetic GTZAN-shaped stand-in (20 clips per style x 10 styles, 30 s): 200 clips, 2000 segments"
              if corpus == "stand-in" else "feature table x.csv")
    n_clips = 1000
    seg = {"vae": {"silhouette_own": _s(vae_own), "silhouette_common": _s(0.15 + common[0])},
           "pca": {"silhouette_own": _s(pca_own), "silhouette_common": _s(0.15)}}
    if ari is not None:
        seg["vae"]["ari"], seg["pca"]["ari"] = _s(0.2 + ari[0]), _s(0.2)
    methods = {}
    for m in ("vae", "pca"):
        null = {"silhouette_own": _s(0.3 if m == "vae" else 0.2), "silhouette_common": _s(0.05)}
        blk = {"segment": seg[m], "null": null, "clip_null": null if per_clip == 1 else
               {"silhouette_own": _s(0.33), "silhouette_common": _s(0.07)},
               "minus_null": {n: _s(seg[m][n]["mean"] - null[n]["mean"]) for n in null},
               "minus_clip_null": {n: _s(0.01) for n in null},
               "minus_pca": None if m == "pca" else {
                   "silhouette_own": _s(*own), "silhouette_common": _s(*common),
                   **({"ari": _s(*ari)} if ari is not None else {})}}
        methods[m] = {"k": {"5": blk}, "health": {"active_units": _s(4.0), "effective_dims": _s(2.5)}}
    record = {"data": {"n_features": 26, "n_labels": len(labels), "labels": labels, "source": source,
                       "n_samples": n_clips * per_clip, "n_clips": n_clips, "max_segments_per_clip": per_clip,
                       "mean_segments_per_clip": float(per_clip), "clip_null_is_null": per_clip == 1,
                       "corpus_kind": corpus_kind(params, labels, stand_in=corpus == "stand-in")},
              "methods": methods, "sweep": sweep or []}
    result = EvaluationResult(params, EvalConfig(n_seeds=1, n_boot=10), record)
    record["paper_match"] = paper_match_record(result)
    record["verdict"] = verdict_sentences(result.findings())
    return result


BETTER, WORSE, SAME = (0.05, 0.02, 0.08), (-0.05, -0.08, -0.02), (0.0, -0.03, 0.03)
#: The direction of a difference whose interval is BETTER, WORSE or SAME (clear above 0, below 0, or not).
DIRECTION = {BETTER: "higher", WORSE: "lower", SAME: "same"}


@pytest.mark.parametrize("common, ari, outcome, words, absent", [
    (BETTER, BETTER, "better", ["survives", "better separated", "agree better"], ["does not hold", "mixed"]),
    (WORSE, WORSE, "worse", ["does not hold", "clusters worse than PCA", "against the labels"],
     ["survives", "mixed"]),
    (BETTER, WORSE, "mixed", ["evidence is mixed", "better separated than PCA's in the common space",
                              "agree worse with the labels"], ["clusters worse than PCA", "survives"]),
    (WORSE, BETTER, "mixed", ["evidence is mixed", "agree better with the labels", "separated worse"],
     ["clusters worse than PCA", "survives"]),
    (BETTER, SAME, "partly_better", ["mixed", "better than PCA in the common space", "not clear"],
     ["does not hold", "survives"]),
    (SAME, WORSE, "partly_worse", ["does not hold", "worse than PCA against the labels",
                                   "no better in the common space"], ["survives", "mixed"]),
    (SAME, SAME, "no_difference", ["does not cluster better than PCA"], ["survives", "mixed", "does not hold"]),
])
def test_verdict_states_the_combined_direction(common, ari, outcome, words, absent):
    ev = _fake_result(common, ari)
    f = ev.findings()
    assert f.outcome == outcome
    assert f.common_space.direction == DIRECTION[common] and f.labels.direction == DIRECTION[ari]
    assert f.common_space.clear == (common != SAME) and f.labels.clear == (ari != SAME)
    assert f.common_space.difference.mean == pytest.approx(common[0]) and f.labels.difference.mean == ari[0]
    v = ev.verdict()
    assert v["outcome"] == outcome
    conclusion = v["summary"].split("with the labels (ARI")[1]  # after the two measured differences
    for w in words:
        assert w in conclusion, (w, v["summary"])
    for w in absent:
        assert w not in conclusion, (w, v["summary"])
    assert f"{common[0]:+.3f}" in v["summary"] and f"ARI {ari[0]:+.3f}" in v["summary"]


@pytest.mark.parametrize("common, outcome, word", [(BETTER, "better", "survives"),
                                                    (WORSE, "worse", "clusters worse than PCA, in the common"),
                                                    (SAME, "no_difference", "does not cluster better")])
def test_verdict_without_labels_judges_the_common_space_alone(common, outcome, word):
    ev = _fake_result(common, None)
    f = ev.findings()
    assert f.outcome == outcome and f.labels is None and f.best_ari is None
    assert f.common_space.direction == DIRECTION[common]
    v = ev.verdict()
    assert v["outcome"] == outcome and word in v["summary"]
    assert "labels" not in v and "ARI" not in v["summary"]
    if outcome == "better":
        assert "cannot be checked" in v["summary"]


def test_verdict_reads_the_own_space_lead_as_geometry_unless_the_common_space_agrees():
    assert _fake_result(SAME, SAME, own=BETTER).findings().own_lead_is_geometry
    assert _fake_result(WORSE, SAME, own=BETTER).findings().own_lead_is_geometry
    assert not _fake_result(BETTER, BETTER, own=BETTER).findings().own_lead_is_geometry
    assert not _fake_result(SAME, SAME, own=WORSE).findings().own_lead_is_geometry
    assert _fake_result(SAME, SAME, own=WORSE).findings().own_space.direction == "lower"
    lead = "property of its latent geometry"
    assert lead in _fake_result(SAME, SAME, own=BETTER).verdict()["summary"]
    assert "holds in direction here" in _fake_result(SAME, SAME, own=BETTER).verdict()["summary"]
    assert lead not in _fake_result(BETTER, BETTER, own=BETTER).verdict()["summary"]
    assert "goes the other way" in _fake_result(SAME, SAME, own=WORSE).verdict()["summary"]


def _sweep_entry(reduction, beta, sil):
    return {"loss_reduction": reduction, "beta": beta, "metrics": {
        "silhouette_own": _s(sil), "silhouette_common": _s(0.12), "ari": _s(0.2), "active_units": _s(2.0)},
        "null": {"silhouette_own": _s(0.4)}}


def test_paper_match_reproduced_when_both_silhouettes_are_within_tolerance():
    sweep = [_sweep_entry("sum", 1.0, 0.40), _sweep_entry("mean", 3.0, 0.475), _sweep_entry("sum", 10.0, 0.6)]
    ev = _fake_result(BETTER, BETTER, pca_own=0.31, sweep=sweep)
    pm = ev.findings().paper
    assert pm.reproduced is True and pm.reason == "reproduced"
    assert (pm.closest_loss_reduction, pm.closest_beta) == ("mean", 3.0) and pm.n_settings == 3
    assert pm.closest_vae.mean == 0.475 and pm.vae_distance == pytest.approx(0.0061)
    assert pm.pca_distance == pytest.approx(0.0085) and pm.closest_null.mean == 0.4
    assert ev.record["paper_match"]["closest_vae_silhouette"] == sweep[1]["metrics"]["silhouette_own"]
    text = ev.verdict()["paper_match"]
    assert "Of the 3 settings tried, loss_reduction='mean' with beta = 3" in text
    assert "Table 1 is reproduced by that setting" in text and "not reproduced" not in text
    assert "0.475" in text and "0.310" in text


def test_paper_match_pca_far_from_the_paper_rules_reproduction_out_alone():
    sweep = [_sweep_entry("sum", 1.0, 0.48), _sweep_entry("mean", 1.0, 0.2)]
    ev = _fake_result(BETTER, BETTER, pca_own=0.45, sweep=sweep)
    pm = ev.findings().paper
    assert pm.reproduced is False and pm.reason == "pca" and pm.vae_within_tolerance is True
    assert not pm.pca_within_tolerance and pm.pca_distance == pytest.approx(0.1485)
    assert ev.record["paper_match"]["pca_depends_on_sweep"] is False
    text = ev.verdict()["paper_match"]
    assert "does not depend on the VAE's loss convention or β" in text
    assert "rules out reproducing Table 1 with any VAE setting" in text and "Table 1 is not reproduced" in text
    assert "0.149 away" in text


def test_paper_match_vae_never_close_enough():
    ev = _fake_result(BETTER, BETTER, pca_own=0.30, sweep=[_sweep_entry("sum", 1.0, 0.3)])
    pm = ev.findings().paper
    assert pm.reason == "vae" and not pm.reproduced and pm.pca_within_tolerance and not pm.vae_within_tolerance
    text = ev.verdict()["paper_match"]
    assert "PCA is within 0.02" in text and "no VAE setting tried is" in text
    assert "does not depend" not in text


def test_paper_match_on_a_clip_level_table_says_the_rows_are_clips():
    ev = _fake_result(BETTER, BETTER, pca_own=0.45, per_clip=1, corpus="gtzan")
    f = ev.findings()
    assert f.corpus.clip_level and f.corpus.n_rows == 1000 and f.corpus.paper_rows_per_clip == 10
    assert f.clip_null.same_as_null and f.paper.n_settings == 1  # no sweep: the build's own setting
    v = ev.verdict()
    assert "1000 rows, one per clip" in v["paper_match"] and "10 segments per clip" in v["paper_match"]
    assert v["granularity"].startswith("This corpus has one row per clip (1000 rows)")
    assert "same as this one" in v["clip_null"]


@pytest.mark.parametrize("corpus, per_clip, words, absent", [
    ("stand-in", 10, ["embedded synthetic GTZAN-shaped stand-in", "synthetic music, not GTZAN",
                      "run the same evaluation on GTZAN"], ["judge the paper's"]),
    ("gtzan", 10, ["GTZAN's ten genres", "judge the paper's claim on its own data."], ["stand-in", "clip level"]),
    ("gtzan", 1, ["GTZAN's ten genres", "at clip level", "10 segments per clip"], ["stand-in"]),
    ("other", 10, ["which is not GTZAN"], ["stand-in", "GTZAN's ten genres"]),
])
def test_corpus_note_depends_on_the_corpus_used(corpus, per_clip, words, absent):
    ev = _fake_result(BETTER, BETTER, per_clip=per_clip, corpus=corpus)
    assert ev.findings().corpus.kind == corpus and ev.findings().corpus.clip_level == (per_clip == 1)
    note = ev.verdict()["corpus_note"]
    for w in words:
        assert w in note, (w, note)
    for w in absent:
        assert w not in note, (w, note)


def test_corpus_kind_comes_from_the_parameters_and_the_labels():
    from musiccluster._constants import GTZAN_GENRES
    from musiccluster.evaluation import corpus_kind

    assert corpus_kind(Params(), [], stand_in=True) == "stand-in"
    assert corpus_kind(Params(), list(GTZAN_GENRES)) == "other"  # features handed over, not loaded
    table = Params(data_dir=__file__.rsplit("/", 1)[0])
    assert corpus_kind(table, [g.upper() for g in GTZAN_GENRES]) == "gtzan"
    assert corpus_kind(table, list(GTZAN_GENRES)[:9]) == "other"
    assert corpus_kind(table, list(GTZAN_GENRES), stand_in=True) == "gtzan"  # a data_dir is never the stand-in


def test_the_chapters_facts_follow_the_record(toy_eval):
    """What the chapter's sentences are built from (seeds note, coherence introduction)."""
    _, data, ev = toy_eval
    assert ev.seeds == ev.record["seeds"] == [0, 1] and ev.sweep_seeds == ev.record["sweep_seeds"]
    assert ev.k_sweep_seeds == ev.record["k_sweep_seeds"] and len(ev.sweep_seeds) <= len(ev.seeds)
    full = EvalConfig()  # what `musiccluster evaluate --seeds 10` runs
    assert full.n_seeds == 10 and (min(full.k_sweep), max(full.k_sweep)) == (2, 12)
    d = ev.data
    assert (d.n_samples, d.n_clips) == (data.n_samples, data.n_clips) and d.mean_segments_per_clip == 3.0
    assert not d.clip_level and ev.has_labels and ev.coherence_table() is not None
    f = ev.findings()
    assert f.corpus.kind == "other" and f.corpus.n_rows == data.n_samples and f.corpus.has_labels
    assert f.best_common in ev.methods and f.best_ari in ev.methods


def test_the_record_names_the_versions_it_was_computed_with():
    """Every JSON the CLI writes says which versions made it, symusic (the corpus renderer) included."""
    from musiccluster.evaluation.recorded import comparable
    from musiccluster.versions import versions

    ev = compute_evaluation(Params(epochs=1, k=3), toy_features(), EvalConfig(
        n_seeds=1, n_boot=10, k_sweep=(), sweep_betas=(), methods=("vae", "pca"), null=False), progress=False)
    record = json.loads(ev.to_json())
    assert record["environment"] == versions() and record["environment"]["symusic"] != "absent"
    assert "environment" not in comparable(record)  # provenance, not a number to recompute
