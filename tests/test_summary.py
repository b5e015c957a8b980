"""The one-screen summary (chapter Introduction), the recorded real-GTZAN run as data, and the
structureless-data answer of chapter Results."""

from __future__ import annotations

import json

import numpy as np
import pytest

from musiccluster.evaluation import dimensionality as D
from musiccluster.evaluation.recorded import (RECORDED_GTZAN, comparable, load_provenance, load_recorded,
                                              provenance_path, result_of_record)
from musiccluster.evaluation.summary import VERDICTS, side_summary, summarize, verdict_of
from musiccluster.metrics.geometry import effective_dimensions
from musiccluster.paper import PAPER_TABLE1


@pytest.fixture(scope="module")
def recorded():
    rec = load_recorded()
    assert rec is not None, f"{RECORDED_GTZAN} is committed in the project"
    return rec


def test_recorded_run_reads_as_typed_findings(recorded):
    raw = json.loads(RECORDED_GTZAN.read_text())
    f = recorded.findings()
    own = raw["methods"]["vae"]["k"]["5"]["segment"]["silhouette_own"]
    assert f.own_space.vae.mean == own["mean"] and f.own_space.vae.lo == own["lo"]
    assert f.own_space.difference.mean == pytest.approx(
        raw["methods"]["vae"]["k"]["5"]["minus_pca"]["silhouette_own"]["mean"])
    assert recorded.data.corpus_kind == "gtzan" and recorded.data.n_clips == 1000 and recorded.data.clip_level


def test_recorded_run_has_provenance():
    prov = load_provenance()
    assert prov is not None, f"{provenance_path(RECORDED_GTZAN)} is committed beside the record"
    assert prov.command.startswith("musiccluster evaluate")
    assert prov.library_fingerprint == json.loads(RECORDED_GTZAN.read_text())["library_fingerprint"]
    assert {"torch", "numpy", "scikit-learn"} <= set(prov.versions)


def test_comparable_drops_only_what_differs_between_runs(recorded):
    rec = recorded.record
    a = comparable(rec)
    assert "runtime_s" not in a and "library_fingerprint" not in a and a["params"]["data_dir"] is None
    assert rec["params"]["data_dir"] not in json.dumps(a)
    other = json.loads(json.dumps(rec).replace(rec["params"]["data_dir"], "/elsewhere/features_30_sec.csv"))
    other["runtime_s"] = {"total": 1.0}
    assert comparable(other) == a
    other["methods"]["vae"]["k"]["5"]["segment"]["silhouette_own"]["mean"] += 1e-6
    assert comparable(other) != a


def test_summary_of_the_recorded_run(recorded):
    s = summarize(recorded, recorded)
    assert s.verdict in VERDICTS
    assert s.paper == PAPER_TABLE1 and s.paper_gap == pytest.approx(0.4811 - 0.3015)
    side = s.side("gtzan")
    # the record: PCA 0.352 beats the VAE 0.337 in their own spaces, clearly; no clear difference in common space
    assert side.own_lead == "pca" and side.own.difference.hi < 0
    assert side.common_lead == "neither"
    assert s.verdict == "not_reproduced"
    assert side.null.vae.mean < side.own.vae.mean


def test_verdict_of_each_case(recorded):
    base = side_summary(recorded, "x")
    from dataclasses import replace

    from musiccluster.evaluation.views import Stat

    def with_dirs(own, common):
        d = {"higher": Stat(0.1, 0.05, 0.15), "lower": Stat(-0.1, -0.15, -0.05), "same": Stat(0, -0.1, 0.1)}
        return replace(base, own=replace(base.own, difference=d[own]), common=replace(base.common, difference=d[common]))
    assert verdict_of((with_dirs("higher", "higher"),)) == "reproduced"
    assert verdict_of((with_dirs("higher", "same"), with_dirs("lower", "lower"))) == "own_space_only"
    assert verdict_of((with_dirs("same", "same"), with_dirs("lower", "same"))) == "not_reproduced"
    assert verdict_of((with_dirs("higher", "higher"), with_dirs("lower", "same"))) == "mixed"


@pytest.mark.parametrize("pr", [1.0, 1.5, 2.7, 4.0])
def test_spectrum_has_the_asked_participation_ratio(pr):
    lam = D.spectrum(pr, 4)
    assert (lam ** 2).sum() and lam.sum() ** 2 / (lam ** 2).sum() == pytest.approx(pr, abs=1e-9)
    Z = np.random.default_rng(0).standard_normal((20000, 4)) * np.sqrt(lam)
    assert effective_dimensions(Z) == pytest.approx(pr, rel=0.03)


def test_structureless_scores_fall_with_dimensionality():
    band = D.null_band([1.0, 2.0, 4.0], n=600, k=5, seeds=(0, 1))
    sil = band.band("silhouette")[0]
    assert sil[0] > 0.5 > sil[1] > sil[2] > 0.1  # a 1-d blob cut in 5 scores ~0.52, a round 4-d one ~0.17
    assert np.all(np.diff(band.band("ch_per_row")[0]) < 0)


def test_matching_dimensionality_inverts_the_band():
    n = 600
    target = D.structureless_scores(1.5, n, 5, 0)[0]
    ans = D.matching_dimensionality({"t": ("silhouette", target), "far": ("silhouette", 0.99)}, n=n,
                                    grid=(1.0, 1.25, 1.5, 2.0, 3.0), seeds=(0,))
    assert ans["t"].effective_dims == pytest.approx(1.5, abs=0.01)
    assert ans["far"].effective_dims is None
    assert set(D.paper_targets()) == {"vae_silhouette", "vae_calinski_harabasz", "pca_silhouette",
                                      "pca_calinski_harabasz"}


def test_embedding_points_cover_pca_the_vae_and_the_sweep(recorded):
    pts = D.embedding_points(recorded)
    assert [p.method for p in pts[:2]] == ["vae", "pca"]
    assert len(pts) == 2 + sum(not e.is_default for e in recorded.sweep)
    pca = pts[1]
    assert pca.silhouette == recorded.block("pca").segment["silhouette_own"].mean
    assert pca.ch_per_row == pytest.approx(recorded.block("pca").segment["calinski_harabasz_own"].mean / 1000)


def test_summary_frame_shows_the_paper_each_side_and_its_null(recorded):
    from musiccluster.book.chapters import summary_frame

    df = summary_frame(summarize(recorded, recorded, build_label="this build"))
    assert list(df.index)[0].startswith("paper") and df.iloc[0, 0] == "0.4811" and df.iloc[0, 2] == "+0.1796"
    own = recorded.findings().own_space
    assert df.iloc[1, 0] == f"{own.vae.mean:.3f} [{own.vae.lo:.3f}, {own.vae.hi:.3f}]"
    assert df.iloc[1, 2].startswith(f"{own.difference.mean:+.3f}")
    assert df.index[2] == "↳ its structureless null" and len(df) == 5


def test_figures_of_the_argument_draw(recorded):
    import matplotlib

    matplotlib.use("Agg")
    from musiccluster.book.evaluation_figures import plot_dimensionality
    from musiccluster.book.figures import tsne_maps

    band = D.null_band([1.0, 2.0, 4.0], n=300, k=5, seeds=(0,))
    pts = D.embedding_points(recorded)
    fig = plot_dimensionality(pts, band, pts)
    sil_ax = fig.axes[0]
    assert len(sil_ax.collections) >= 1 + 2 * len(pts)  # the band, then every point twice (filled, hollow)
    assert {round(l.get_ydata()[0], 4) for l in sil_ax.lines if len(l.get_ydata()) == 2} >= {0.4811, 0.3015}
    rng = np.random.default_rng(0)
    Z = rng.standard_normal((90, 4))
    fig = tsne_maps({"a": Z, "b": Z[:, :2]}, {"a": np.arange(90) % 3, "b": np.arange(90) % 3}, n=60)
    assert [ax.get_title() for ax in fig.axes] == ["a", "b"]
    assert sum(len(c.get_offsets()) for c in fig.axes[0].collections) == 60
