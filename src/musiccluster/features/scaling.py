"""z-scoring the features over the data (the paper's protocol), chapter *MFCC features*."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # scikit-learn costs ~1.3 s to import; `musiccluster features` never z-scores
    from sklearn.preprocessing import StandardScaler


def standardize(X: np.ndarray) -> tuple[np.ndarray, StandardScaler]:
    """z-score every feature over the data (the paper's protocol); returns (X_scaled, scaler).

    Constant features get unit scale (scikit-learn's rule) instead of a division by 0.

    Chapter: MFCC features.
    """
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler()
    return scaler.fit_transform(np.asarray(X, dtype=np.float64)), scaler
