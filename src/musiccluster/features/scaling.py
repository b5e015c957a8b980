"""z-scoring the features over the data (the paper's protocol), chapter *MFCC features*."""

from __future__ import annotations

import numpy as np
from sklearn.preprocessing import StandardScaler


def standardize(X: np.ndarray) -> tuple[np.ndarray, StandardScaler]:
    """z-score every feature over the data (the paper's protocol); returns (X_scaled, scaler).

    Constant features get unit scale (scikit-learn's rule) instead of a division by 0.

    Chapter: MFCC features.
    """
    scaler = StandardScaler()
    return scaler.fit_transform(np.asarray(X, dtype=np.float64)), scaler
