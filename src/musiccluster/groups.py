"""Rows grouped by clip (or by track): the codes of the groups and their mean rows.

The ten segments of a clip are one group; a clip's (or a music track's) position is the mean of
its segments' rows. Used by the evaluation's clip level and null (chapter *Evaluation*) and by
``musiccluster cluster`` (a track's position). Plain numpy and pandas, no later stage.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def group_codes(ids) -> tuple[np.ndarray, np.ndarray]:
    """Code ``0..n_groups-1`` of every row's group id, in order of first appearance, and the ids.

    Chapter: Evaluation.
    """
    codes, uniques = pd.factorize(pd.Series(np.asarray(ids)), sort=False)
    return codes, np.asarray(uniques)


def group_means(X: np.ndarray, codes: np.ndarray, n_groups: int) -> np.ndarray:
    """Mean row of every group, ``(n_groups, n_columns)``; a group without rows gets 0.

    Summed one column at a time (``numpy.bincount``), so memory stays at one column of
    temporaries whatever the number of rows.

    Chapter: Evaluation.
    """
    X = np.asarray(X, dtype=np.float64)
    counts = np.bincount(codes, minlength=n_groups).astype(np.float64)
    out = np.empty((n_groups, X.shape[1]), dtype=np.float64)
    for j in range(X.shape[1]):
        out[:, j] = np.bincount(codes, weights=X[:, j], minlength=n_groups) / np.maximum(counts, 1)
    return out
