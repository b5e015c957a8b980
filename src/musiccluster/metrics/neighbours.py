"""Nearest-neighbour genre accuracy, with a random segment split against a clip-grouped split.

Chapter *Experiments*. The segments of one clip are near-duplicates (same instruments, tempo and mix):
with a random split of segments, a test segment's nearest neighbours are mostly its own clip's other
segments, so a k-NN classifier "recognises the genre" by recognising the song. Holding out whole clips
(a split grouped by clip) removes that shortcut; the gap between the two accuracies measures the
near-duplicate effect.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import GroupShuffleSplit, ShuffleSplit
from sklearn.neighbors import KNeighborsClassifier


@dataclass(frozen=True)
class NeighbourAccuracy:
    """k-NN genre accuracy on held-out segments, both ways of holding them out."""

    random_split: float
    grouped_split: float
    n_neighbors: int
    test_size: float
    n_repeats: int
    chance: float

    @property
    def gap(self) -> float:
        """How much of the random split's accuracy the clip grouping takes away."""
        return self.random_split - self.grouped_split


def knn_accuracy(X: np.ndarray, labels: np.ndarray, train: np.ndarray, test: np.ndarray,
                 n_neighbors: int = 5) -> float:
    """Share of ``test`` rows whose k-NN vote (fitted on ``train``) is their label.

    Chapter: Experiments.
    """
    clf = KNeighborsClassifier(n_neighbors=min(n_neighbors, len(train)))
    clf.fit(X[train], labels[train])
    return float(np.mean(clf.predict(X[test]) == labels[test]))


def neighbour_accuracy(X: np.ndarray, labels: np.ndarray, groups: np.ndarray, n_neighbors: int = 5,
                       test_size: float = 0.25, n_repeats: int = 5, seed: int = 0) -> NeighbourAccuracy:
    """k-NN genre accuracy with a random segment split and with a split that keeps clips together.

    Chapter: Experiments. Both are means over ``n_repeats`` seeded splits holding out ``test_size``
    of the segments (random) or of the clips (grouped, :class:`sklearn.model_selection.GroupShuffleSplit`).

    Parameters
    ----------
    X : ndarray of shape (n_segments, n_features)
        The features (z-scored) or an embedding.
    labels : array of shape (n_segments,)
        The genre of every segment.
    groups : array of shape (n_segments,)
        The clip of every segment.
    """
    X, labels, groups = np.asarray(X, dtype=float), np.asarray(labels).astype(str), np.asarray(groups)
    if len(np.unique(groups)) < 2:
        raise ValueError("a grouped split needs two or more clips")
    random = ShuffleSplit(n_splits=n_repeats, test_size=test_size, random_state=seed)
    grouped = GroupShuffleSplit(n_splits=n_repeats, test_size=test_size, random_state=seed)
    acc_random = [knn_accuracy(X, labels, tr, te, n_neighbors) for tr, te in random.split(X)]
    acc_grouped = [knn_accuracy(X, labels, tr, te, n_neighbors) for tr, te in grouped.split(X, groups=groups)]
    _, counts = np.unique(labels, return_counts=True)
    return NeighbourAccuracy(float(np.mean(acc_random)), float(np.mean(acc_grouped)), n_neighbors,
                             test_size, n_repeats, float(counts.max() / counts.sum()))
