"""From segments to clips: a clip's majority cluster, its mean features, clip-level scores.

Chapter *Evaluation*. A clip's cluster is the majority vote of its segments (ties: the smallest
cluster label); clip-level silhouette and Calinski-Harabasz score those clip clusters on the clip
means of the features, z-scored again over the clips, so every clip counts once.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import calinski_harabasz_score

from ..features.scaling import standardize
from ..groups import group_codes, group_means
from .fits import silhouettes


def majority_vote(groups: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each clip's majority cluster and the share of its segments in it.

    Chapter: Evaluation

    Ties go to the smallest cluster label.

    Returns
    -------
    clip_ids : ndarray
        Clips in order of first appearance.
    vote : ndarray
        Majority cluster label of each clip.
    share : ndarray
        Share of the clip's segments in that cluster (1 = all segments agree).
    """
    codes, uniques = pd.factorize(pd.Series(np.asarray(groups)), sort=False)
    lab_codes, lab_uniques = pd.factorize(pd.Series(np.asarray(labels)), sort=True)
    counts = np.zeros((len(uniques), len(lab_uniques)))
    np.add.at(counts, (codes, lab_codes), 1.0)
    best = counts.argmax(axis=1)
    return np.asarray(uniques), np.asarray(lab_uniques)[best], counts.max(axis=1) / counts.sum(axis=1)


def standardized_clip_means(X: np.ndarray, codes: np.ndarray, n_clips: int) -> np.ndarray:
    """Mean row of each clip (codes 0..n_clips-1), z-scored over the clips.

    Chapter: Evaluation
    """
    return standardize(group_means(X, codes, n_clips))[0]


def clip_features(X: np.ndarray, groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The clip-level common space: each clip's mean row of ``X``, z-scored over the clips.

    Chapter: Evaluation

    Returns
    -------
    clip_ids : ndarray
        Clips in order of first appearance (as :func:`majority_vote`).
    Xc : ndarray of shape (n_clips, n_features)
    """
    codes, uniques = group_codes(groups)
    return uniques, standardized_clip_means(X, codes, len(uniques))


def clip_internal_scores(X: np.ndarray, groups: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """Silhouette and Calinski-Harabasz of the clip-level clustering.

    Chapter: Evaluation

    A clip's cluster is the majority vote of its rows' ``labels``
    (:func:`majority_vote`); both scores are measured on
    :func:`clip_features` (clip means of ``X``, z-scored over the clips). NaN
    when the vote leaves fewer than two clusters (or as many as clips).
    """
    _, Xc = clip_features(X, groups)
    _, vote, _ = majority_vote(groups, labels)
    n_lab = len(np.unique(vote))
    ok = 2 <= n_lab < len(vote)
    return {"silhouette": float(np.mean(silhouettes(Xc, vote))) if ok else float("nan"),
            "calinski_harabasz": float(calinski_harabasz_score(Xc, vote)) if ok else float("nan")}
