"""MFCC summary features: the paper's 26 numbers per segment.

Chapter *MFCC features* narrates this module. For every segment we compute
``n_mfcc`` MFCCs with librosa's defaults at 22 050 Hz (n_fft 2048, hop 512,
128 mel bands) and summarise each coefficient over time by its mean and its
variance (``ddof=0``). Those are exactly the ``mfccN_mean`` / ``mfccN_var``
columns of the public Kaggle GTZAN feature tables.
"""

from __future__ import annotations

import numpy as np
import librosa

from ._constants import HOP_LENGTH, N_FFT, N_MELS, SR


def feature_names(n_mfcc: int = 13) -> list[str]:
    """Column names in our order: all means first, then all variances."""
    return [f"mfcc{i}_mean" for i in range(1, n_mfcc + 1)] + [
        f"mfcc{i}_var" for i in range(1, n_mfcc + 1)
    ]


def mfcc_stats(y: np.ndarray, sr: int = SR, n_mfcc: int = 13) -> np.ndarray:
    """Mean and variance over time of each MFCC of one mono signal.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        Mono audio.
    sr : int
        Its sample rate (22 050 Hz to match GTZAN tables).
    n_mfcc : int
        Number of coefficients.

    Returns
    -------
    ndarray of shape (2 * n_mfcc,)
        ``[mean_1 .. mean_n, var_1 .. var_n]`` as float64.
    """
    y = np.asarray(y, dtype=np.float32)
    mfcc = librosa.feature.mfcc(
        y=y, sr=sr, n_mfcc=n_mfcc, n_fft=N_FFT, hop_length=HOP_LENGTH, n_mels=N_MELS
    ).astype(np.float64)
    return np.concatenate([mfcc.mean(axis=1), mfcc.var(axis=1)])
