"""The similarity benchmark (chapter Similarity): leave-one-out genre precision among a clip's nearest clips."""

from __future__ import annotations

import numpy as np
import pytest

from musiccluster.evaluation.similarity import similarity_scores
from musiccluster.metrics.similarity import chance_precision, clip_labels, clip_rows, neighbour_precision

# Four clips on a line: A at 0 and 3, B at 1 and 4. Worked by hand, every clip's nearest other clip has
# the other label; P@2 is 1/2 for the clips at 0 and 4 and 0 for the others; P@3 is 1/3 for all.
POS = np.array([[0.0], [3.0], [1.0], [4.0]])
LAB = np.array(["A", "A", "B", "B"])


def test_precision_by_hand():
    D = np.abs(POS - POS.T)
    hits = neighbour_precision(D, LAB, ks=(1, 2, 3))
    np.testing.assert_allclose(hits, [[0, 0.5, 1 / 3], [0, 0, 1 / 3], [0, 0, 1 / 3], [0, 0.5, 1 / 3]])
    # a clip counted as its own neighbour would give P@1 = 1; a k off by one would give other P@2s
    np.testing.assert_allclose(hits.mean(axis=0), [0.0, 0.25, 1 / 3])


def test_scores_from_features_and_from_distances_agree():
    a = similarity_scores("x", LAB, X=POS, ks=(1, 2, 3), n_boot=200)
    b = similarity_scores("d", LAB, D=np.abs(POS - POS.T), ks=(1, 2, 3), n_boot=200)
    assert [a.p(k) for k in (1, 2, 3)] == pytest.approx([0.0, 0.25, 1 / 3])
    assert [b.p(k) for k in (1, 2, 3)] == pytest.approx([0.0, 0.25, 1 / 3])
    assert a.chance == pytest.approx(1 / 3) == chance_precision(LAB)
    for s in (a, b):
        for iv in s.precision.values():
            assert iv.lo <= iv.mean + 1e-12 and iv.mean <= iv.hi + 1e-12


def test_segments_are_averaged_per_clip_so_own_segments_are_never_neighbours():
    """Ten near-identical segments per clip: at segment level each one's neighbours are its own clip."""
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(20, 3))
    labels_clip = np.repeat(["a", "b", "c", "d"], 5)
    rng.shuffle(labels_clip)                       # labels unrelated to position: chance-level P@k
    X = np.repeat(centres, 10, axis=0) + 1e-3 * rng.normal(size=(200, 3))
    groups = np.repeat([f"clip{i}" for i in range(20)], 10)
    rows, ids = clip_rows(X, groups)
    assert rows.shape == (20, 3) and list(ids[:2]) == ["clip0", "clip1"]
    np.testing.assert_allclose(rows, centres, atol=1e-3)
    assert list(clip_labels(np.repeat(labels_clip, 10), groups)) == list(labels_clip)
    seg_level = neighbour_precision(np.abs(X[:, None, 0] - X[None, :, 0]), np.repeat(labels_clip, 10), (5,))
    assert seg_level.mean() == 1.0                 # the shortcut the clip unit removes
    clip_level = similarity_scores("clip", labels_clip, X=rows, ks=(5,), n_boot=200)
    assert clip_level.p(5) < 0.6


def test_separated_styles_are_found_and_clustered():
    rng = np.random.default_rng(1)
    labels = np.repeat(list("abc"), 12)
    X = {"a": 0.0, "b": 10.0, "c": 20.0}
    X = np.array([[X[s], 0.0] for s in labels]) + rng.normal(scale=0.5, size=(36, 2))
    s = similarity_scores("sep", labels, X=X, ks=(1, 5, 10), n_clusters=3, n_boot=100)
    assert [s.p(k) for k in (1, 5, 10)] == [1.0, 1.0, 1.0]
    assert s.ari == pytest.approx(1.0) and s.nmi == pytest.approx(1.0) and s.clustering == "kmeans"
    d = similarity_scores("sep", labels, D=np.abs(X[:, :1] - X[:, :1].T), n_clusters=3, n_boot=100)
    assert d.ari == pytest.approx(1.0) and d.clustering == "spectral"
    assert s.to_dict()["precision"]["5"]["mean"] == 1.0


def test_interval_is_seeded_and_bad_input_is_refused():
    rng = np.random.default_rng(2)
    labels = np.repeat(list("ab"), 15)
    X = rng.normal(size=(30, 2)) + (labels == "a")[:, None]
    one = similarity_scores("r", labels, X=X, n_boot=300)
    two = similarity_scores("r", labels, X=X, n_boot=300)
    assert one.precision == two.precision
    assert one.precision[5].lo < one.precision[5].mean < one.precision[5].hi
    with pytest.raises(ValueError, match="exactly one"):
        similarity_scores("r", labels)
    with pytest.raises(ValueError, match="at least"):
        neighbour_precision(np.zeros((3, 3)), ["a", "b", "c"], ks=(5,))


def test_paired_difference_of_two_representations():
    from musiccluster.evaluation.similarity import precision_difference

    a = similarity_scores("d", LAB, D=np.abs(POS - POS.T), ks=(1, 2, 3), n_boot=200)
    perfect = np.array([[0.0], [0.1], [5.0], [5.1]])
    b = similarity_scores("p", LAB, X=perfect, ks=(1, 2, 3), n_boot=200)
    diff = precision_difference(b, a, 1, n_boot=200)
    assert diff.mean == pytest.approx(1.0) and diff.lo == pytest.approx(1.0) and diff.hi == pytest.approx(1.0)
    assert precision_difference(b, a, 2, n_boot=200).mean == pytest.approx(0.5 - 0.25)


def _table(n_per=6, seed=3):
    import pandas as pd

    from musiccluster.features.descriptors import KAGGLE_DESCRIPTOR_COLUMNS

    rng = np.random.default_rng(seed)
    labels = np.repeat(["blues", "rock", "jazz"], n_per)
    shift = {"blues": 0.0, "rock": 3.0, "jazz": 6.0}
    cols = {}
    for i in range(1, 21):
        cols[f"mfcc{i}_mean"] = np.array([shift[g] for g in labels]) + rng.normal(size=len(labels))
        cols[f"mfcc{i}_var"] = np.exp(rng.normal(size=len(labels)))
    for c in KAGGLE_DESCRIPTOR_COLUMNS:
        cols[c] = rng.normal(size=len(labels))
    return pd.DataFrame({"filename": [f"x{i}.wav" for i in range(len(labels))], "length": 661794, **cols,
                         "label": labels})


def test_table_benchmark_scores_every_table_representation():
    from musiccluster.evaluation.similarity_bench import table_benchmark

    b = table_benchmark(_table(), n_clusters=3)
    assert set(b.scores) == {"stats26", "stats40", "timbre-diag-js-mp", "timbre-diag-js", "descriptor"}
    for s in b.scores.values():
        assert s.n_clips == 18 and 0.0 <= s.p(5) <= 1.0 and s.ari is not None
    assert b.scores["stats40"].p(1) > 0.8                  # the means separate the three genres
    assert b.to_dict()["scores"]["stats26"]["precision"]["1"]["mean"] == b.scores["stats26"].p(1)


def test_committed_kaggle_figures_recompute():
    """benchmarks/similarity.json's Kaggle rows are what the table gives now (skips without ../shared)."""
    import json
    from pathlib import Path

    import pandas as pd

    from musiccluster.evaluation.similarity_bench import table_benchmark

    root = Path(__file__).resolve().parents[1]
    table = root.parent / "shared" / "data" / "gtzan-kaggle" / "features_30_sec.csv"
    if not table.is_file():
        pytest.skip(f"needs {table}")
    record = json.loads((root / "benchmarks" / "similarity.json").read_text())
    kaggle = next(b for b in record["benchmarks"] if b["corpus"].startswith("Kaggle"))
    df = pd.read_csv(table)
    got = table_benchmark(df[[c for c in df.columns]], n_clusters=10)
    for name in ("stats26", "descriptor", "timbre-diag-js-mp"):
        want = kaggle["scores"][name]
        assert got.scores[name].p(5) == pytest.approx(want["precision"]["5"]["mean"], abs=1e-9)
        assert got.scores[name].precision[5].lo == pytest.approx(want["precision"]["5"]["lo"], abs=1e-9)
        assert got.scores[name].ari == pytest.approx(want["ari"], abs=1e-9)


def test_affinity_kernels_by_hand():
    from musiccluster.clustering import affinity_from_distances
    from musiccluster.errors import ParameterError

    D = np.array([[0.0, 1.0, 4.0], [1.0, 0.0, 2.0], [4.0, 2.0, 0.0]])
    np.testing.assert_allclose(affinity_from_distances(D), [[1, 0.75, 0], [0.75, 1, 0.5], [0, 0.5, 1]])
    np.testing.assert_allclose(affinity_from_distances(D, "exp"), np.exp(-D / 2.0))  # median off-diagonal 2
    with pytest.raises(ParameterError, match="kernel"):
        affinity_from_distances(D, "gauss")


def test_clusters_follow_the_distances_given_for_clustering():
    """`cluster --method timbre` finds neighbours in one matrix and clusters another: the labels must
    follow the second (cluster_D), neighbours and the silhouette-free k stay on the first."""
    from musiccluster.organize.similar import group_tracks

    rng = np.random.default_rng(3)
    blocks = np.repeat([0, 1, 2], 8)
    C = np.where(blocks[:, None] == blocks[None, :], 0.1, 1.0) + 0.01 * rng.random((24, 24))
    C = (C + C.T) / 2
    np.fill_diagonal(C, 0.0)
    D = rng.random((24, 24))
    D = (D + D.T) / 2
    np.fill_diagonal(D, 0.0)
    labels = np.repeat(list("abc"), 8)
    from sklearn.metrics import adjusted_rand_score

    assert adjusted_rand_score(labels, group_tracks(D, 3, (2, 6), 0, cluster_D=C).labels) == pytest.approx(1.0)
    assert adjusted_rand_score(labels, group_tracks(D, 3, (2, 6), 0).labels) < 0.5
    chosen = group_tracks(D, None, (2, 6), 0, cluster_D=C)
    assert chosen.k_info["chosen"] == 3  # the silhouette is read on what was clustered
    s = similarity_scores("mp", labels, D=D, cluster_D=C, n_clusters=3, n_boot=50, cluster_seeds=(0, 1))
    assert s.ari == pytest.approx(1.0) and s.clustering == "spectral on JS"
    assert s.extra["ari_over_seeds"] == {0: pytest.approx(1.0), 1: pytest.approx(1.0)}
