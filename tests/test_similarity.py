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
