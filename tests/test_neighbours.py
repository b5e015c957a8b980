"""metrics.neighbours (k-NN accuracy, random vs clip-grouped split) and the confusion tables."""

from __future__ import annotations

import numpy as np
import pytest

from musiccluster.metrics.external import cluster_sizes, confusion_table, cross_counts, hungarian_accuracy
from musiccluster.metrics.neighbours import neighbour_accuracy


def _clips(n_clips=60, per_clip=10, n_genres=3, seed=0, genre_signal=0.0):
    """Segments that sit tight around their clip's centre; the clip centres carry ``genre_signal``."""
    rng = np.random.default_rng(seed)
    genre = np.arange(n_clips) % n_genres
    centres = rng.normal(size=(n_clips, 4)) + genre_signal * np.eye(n_genres, 4)[genre]
    X = np.repeat(centres, per_clip, axis=0) + rng.normal(scale=0.05, size=(n_clips * per_clip, 4))
    return X, np.repeat(genre, per_clip).astype(str), np.repeat(np.arange(n_clips), per_clip)


def test_near_duplicates_inflate_the_random_split_only():
    X, labels, groups = _clips()                    # no genre information at all
    r = neighbour_accuracy(X, labels, groups, n_repeats=3)
    assert r.random_split > 0.9                     # the song is recognised, not the genre
    assert r.grouped_split < 0.5                    # chance is 1/3
    assert r.gap > 0.4 and r.chance == pytest.approx(1 / 3)


def test_grouped_split_finds_real_genre_signal():
    X, labels, groups = _clips(genre_signal=6.0, seed=1)
    r = neighbour_accuracy(X, labels, groups, n_repeats=3)
    assert r.grouped_split > 0.9


def test_grouped_split_never_shares_a_clip(monkeypatch):
    import musiccluster.metrics.neighbours as nb
    seen = []
    real = nb.knn_accuracy

    def spy(X, labels, train, test, n_neighbors=5):
        seen.append((train, test))
        return real(X, labels, train, test, n_neighbors)

    monkeypatch.setattr(nb, "knn_accuracy", spy)
    X, labels, groups = _clips(n_clips=12)
    nb.neighbour_accuracy(X, labels, groups, n_repeats=2)
    for train, test in seen[2:]:                    # the grouped splits come after the random ones
        assert not set(groups[train]) & set(groups[test])


def test_confusion_table_hungarian_order():
    labels = np.array(["a"] * 5 + ["b"] * 5 + ["c"] * 4)
    clusters = np.array([2] * 4 + [0] + [1] * 5 + [0] * 4)
    t = confusion_table(labels, clusters)
    assert list(t.columns) == ["a", "b", "c"]
    assert list(t.index) == ["cluster 2", "cluster 1", "cluster 0"]
    assert np.trace(t.to_numpy()) == 13 == round(hungarian_accuracy(labels, clusters) * 14)
    assert t.to_numpy().sum() == 14


def test_confusion_table_more_labels_than_clusters():
    labels = np.array(list("aabbccdd"))
    clusters = np.array([0, 0, 1, 1, 1, 0, 0, 0])
    t = confusion_table(labels, clusters)
    assert t.shape == (2, 4) and t.to_numpy().sum() == 8
    assert t.iloc[0, 0] == 2 and t.iloc[1, 1] == 2     # matched cells on the diagonal


def test_cluster_sizes_and_cross_counts():
    s = cluster_sizes({"x": np.array([0, 0, 2]), "y": np.array([1, 1, 1])}, 3)
    assert s.loc["x"].tolist() == [2, 0, 1] and s.loc["y"].tolist() == [0, 3, 0]
    c = cross_counts(np.array([0, 0, 1]), np.array([1, 1, 0]), "A", "B")
    assert c.loc[0, 1] == 2 and c.loc[1, 0] == 1 and c.index.name == "A"
