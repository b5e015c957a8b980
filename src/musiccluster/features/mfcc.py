"""MFCC summary statistics: the paper's 26 numbers of one segment.

Chapter *MFCC features* narrates this module. ``n_mfcc`` MFCCs with librosa's
defaults at 22 050 Hz (n_fft 2048, hop 512, 128 mel bands), each summarised over
time by its mean and its variance (``ddof=0``): exactly the ``mfccN_mean`` /
``mfccN_var`` columns of the public Kaggle GTZAN feature tables. The STFT, mel filterbank,
decibels and DCT are librosa's, computed by :mod:`.frontend` (bit-identical, without importing
librosa's heavy modules).
"""

from __future__ import annotations

import numpy as np

from .._constants import HOP_LENGTH, N_FFT, N_MELS, SR
from .frontend import mel_filterbank, mel_power, mfcc_from_db, power_to_db, stft


def feature_names(n_mfcc: int = 13) -> list[str]:
    """Column names in our order: all means first, then all variances.

    Chapter: MFCC features.
    """
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

    Chapter: MFCC features.
    """
    y = np.asarray(y, dtype=np.float32)
    return _stats_of_mel(_mel_power(y, sr), n_mfcc)


def _stats_of_mel(mel: np.ndarray, n_mfcc: int) -> np.ndarray:
    mfcc = mfcc_from_db(power_to_db(mel), n_mfcc).astype(np.float64)
    return np.concatenate([mfcc.mean(axis=1), mfcc.var(axis=1)])


class SegmentStats:
    """:func:`mfcc_stats` of a segment fed in pieces: memory bounded by the mel spectrogram.

    Chapter *MFCC features* (long tracks, :mod:`musiccluster.features.decode`). :meth:`feed`
    takes the segment's samples in order; :meth:`result` gives the 26 numbers. The frames are
    those of ``librosa.stft(center=True)`` (:func:`.frontend.stft`) with zero padding (a frame of ``N_FFT`` samples
    every ``HOP_LENGTH``), computed ``block_frames`` at a time; only their mel powers
    (``N_MELS`` floats per frame, ~8 MB for six minutes) are kept, since ``power_to_db``'s
    ``top_db`` floor needs the segment's maximum. Equal to :func:`mfcc_stats` of the whole
    segment to float tolerance (the mel products are computed in blocks).
    """

    def __init__(self, sr: int = SR, n_mfcc: int = 13, block_frames: int = 1024):
        self.sr, self.n_mfcc, self.block_frames = sr, n_mfcc, block_frames
        self._buf = np.zeros(N_FFT // 2, dtype=np.float32)  # center=True's left padding
        self._mels: list[np.ndarray] = []

    def _frames(self, y: np.ndarray) -> None:
        self._mels.append(mel_power(np.abs(stft(y, N_FFT, HOP_LENGTH, center=False)),
                                    mel_filterbank(self.sr, N_FFT, N_MELS, "float32")))

    def feed(self, y: np.ndarray) -> None:
        """Append the segment's next samples."""
        self._buf = np.concatenate([self._buf, np.asarray(y, dtype=np.float32)])
        need = N_FFT + HOP_LENGTH * (self.block_frames - 1)
        while len(self._buf) >= need:
            self._frames(self._buf[:need])
            self._buf = self._buf[self.block_frames * HOP_LENGTH:]

    def result(self) -> np.ndarray:
        """``[mean_1 .. mean_n, var_1 .. var_n]`` of the samples fed (float64)."""
        rest = np.concatenate([self._buf, np.zeros(N_FFT // 2, dtype=np.float32)])
        if len(rest) >= N_FFT:
            self._frames(rest)
        self._buf = np.zeros(0, dtype=np.float32)
        return _stats_of_mel(np.concatenate(self._mels, axis=1), self.n_mfcc)


def _mel_power(y: np.ndarray, sr: int) -> np.ndarray:
    """``librosa.feature.melspectrogram(y=y, sr=sr, n_fft=N_FFT, hop_length=HOP_LENGTH, n_mels=N_MELS)``.

    The same operations in the same order as librosa 0.11 (``|stft|**2.0`` with ``center=True``
    and zero padding, then the mel product), so the result is bit-identical; the filterbank is
    built once per process instead of once per segment.
    """
    S = np.abs(stft(y, n_fft=N_FFT, hop_length=HOP_LENGTH, center=True))
    return mel_power(S, mel_filterbank(sr, N_FFT, N_MELS, "float32"))  # filters.mel's default dtype
