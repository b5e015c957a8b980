"""Clip-level descriptors beyond the paper's 26 numbers, all from one short-time Fourier transform.

Chapter *Similarity*. One pass over a whole clip (librosa's defaults: 22 050 Hz, n_fft 2048, hop
512, 128 mel bands, as :mod:`.mfcc`) gives:

* the MFCC frames, from which the single-Gaussian timbre model (:mod:`.timbre`) is made;
* **delta statistics**: mean and variance over time of the MFCCs, their deltas and their
  delta-deltas (:func:`librosa.feature.delta`, width 9), ``6 * n_mfcc`` numbers
  (:func:`delta_stats`);
* a **richer descriptor** (:data:`DESCRIPTOR_NAMES`): mean and variance of the spectral contrast
  (7 bands), the chroma (12 pitch classes), spectral centroid, bandwidth, roll-off, zero-crossing
  rate and RMS energy, and the tempo, beside the delta statistics. The chroma assumes A440 tuning
  (``tuning=0``: librosa's tuning estimate, a numba kernel, crashed this interpreter here, and it
  costs time). On a Kaggle-style table the
  descriptor is the columns it has (:data:`KAGGLE_DESCRIPTOR_COLUMNS`).
"""

from __future__ import annotations

from dataclasses import dataclass

import librosa
import numpy as np

from .._constants import HOP_LENGTH, N_FFT, N_MELS, SR
from .frontend import mel_filterbank, mel_power, mfcc_from_db, power_to_db, stft
from .timbre import gaussian_model

_SPECTRAL = ("spectral_centroid", "spectral_bandwidth", "rolloff", "zero_crossing_rate", "rms")
#: Names of the descriptor's spectral part, in order (the delta statistics follow).
DESCRIPTOR_NAMES: tuple[str, ...] = (
    *(f"contrast{i}_{s}" for s in ("mean", "var") for i in range(1, 8)),
    *(f"chroma{i}_{s}" for s in ("mean", "var") for i in range(1, 13)),
    *(f"{n}_{s}" for n in _SPECTRAL for s in ("mean", "var")),
    "tempo",
)
#: The columns of a Kaggle GTZAN table that make its richer descriptor (beside ``mfccN_mean/var``).
KAGGLE_DESCRIPTOR_COLUMNS: tuple[str, ...] = (
    "chroma_stft_mean", "chroma_stft_var", "rms_mean", "rms_var", "spectral_centroid_mean",
    "spectral_centroid_var", "spectral_bandwidth_mean", "spectral_bandwidth_var", "rolloff_mean",
    "rolloff_var", "zero_crossing_rate_mean", "zero_crossing_rate_var", "harmony_mean", "harmony_var",
    "perceptr_mean", "perceptr_var", "tempo",
)


@dataclass(frozen=True)
class ClipDescriptors:
    """Everything :func:`clip_descriptors` computes for one clip. Chapter: Similarity.

    Attributes
    ----------
    timbre_mean : ndarray (n_mfcc,)
    timbre_cov : ndarray (n_mfcc, n_mfcc)
    delta : ndarray (6 * n_mfcc,)
        :func:`delta_stats` of the clip's MFCC frames.
    spectral : ndarray (len(DESCRIPTOR_NAMES),)
    """

    timbre_mean: np.ndarray
    timbre_cov: np.ndarray
    delta: np.ndarray
    spectral: np.ndarray


def delta_stats(mfcc: np.ndarray, width: int = 9) -> np.ndarray:
    """Mean and variance over time of the MFCCs, their deltas and delta-deltas, ``(6 * n_mfcc,)``.

    Chapter: Similarity. Order: ``[mean(mfcc), var(mfcc), mean(delta), var(delta), mean(delta2),
    var(delta2)]``, each over the ``n_mfcc`` coefficients; deltas by :func:`librosa.feature.delta`
    (Savitzky-Golay, ``width`` frames, ``mode="interp"``). A clip shorter than ``width`` frames uses
    the largest odd width that fits (at least 3).
    """
    M = np.asarray(mfcc, dtype=np.float64)
    w = min(width, M.shape[1] if M.shape[1] % 2 else M.shape[1] - 1)
    if w < 3:
        d1 = d2 = np.zeros_like(M)
    else:
        d1 = librosa.feature.delta(M, width=w, order=1)
        d2 = librosa.feature.delta(M, width=w, order=2)
    return np.concatenate([f(a, axis=1) for a in (M, d1, d2) for f in (np.mean, np.var)])


def _spectral(y: np.ndarray, S: np.ndarray, mel_db: np.ndarray, sr: int, tempo: bool) -> np.ndarray:
    power = S ** 2
    parts = [librosa.feature.spectral_contrast(S=S, sr=sr, n_fft=N_FFT, hop_length=HOP_LENGTH),
             librosa.feature.chroma_stft(S=power, sr=sr, n_fft=N_FFT, hop_length=HOP_LENGTH,
                                         tuning=0.0)]
    stats = [f(p, axis=1) for p in parts for f in (np.mean, np.var)]
    rows = [librosa.feature.spectral_centroid(S=S, sr=sr, n_fft=N_FFT, hop_length=HOP_LENGTH),
            librosa.feature.spectral_bandwidth(S=S, sr=sr, n_fft=N_FFT, hop_length=HOP_LENGTH),
            librosa.feature.spectral_rolloff(S=S, sr=sr, n_fft=N_FFT, hop_length=HOP_LENGTH),
            librosa.feature.zero_crossing_rate(y, frame_length=N_FFT, hop_length=HOP_LENGTH),
            librosa.feature.rms(S=S, frame_length=N_FFT, hop_length=HOP_LENGTH)]
    scalars = [v for r in rows for v in (float(np.mean(r)), float(np.var(r)))]
    if tempo:
        onset = librosa.onset.onset_strength(S=mel_db, sr=sr, hop_length=HOP_LENGTH)
        bpm = float(np.atleast_1d(librosa.feature.tempo(onset_envelope=onset, sr=sr, hop_length=HOP_LENGTH))[0])
    else:
        bpm = 0.0
    return np.concatenate([*stats, scalars, [bpm]]).astype(np.float64)


def mfcc_frames(y: np.ndarray, sr: int = SR, n_mfcc: int = 13) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """MFCC frames ``(n_mfcc, n_frames)`` of a whole clip, with the STFT magnitude and mel dB they come from.

    Chapter: Similarity. The MFCCs of :func:`musiccluster.features.mfcc.mfcc_stats` (same STFT,
    Slaney mel filterbank and DCT), over the whole signal rather than per segment.
    """
    y = np.asarray(y, dtype=np.float32)
    S = np.abs(stft(y, n_fft=N_FFT, hop_length=HOP_LENGTH, center=True))
    mel_db = power_to_db(mel_power(S, mel_filterbank(sr, N_FFT, N_MELS, "float32")))
    return mfcc_from_db(mel_db, n_mfcc).astype(np.float64), S, mel_db


def timbre_model(y: np.ndarray, sr: int = SR, n_mfcc: int = 13) -> tuple[np.ndarray, np.ndarray]:
    """The single-Gaussian timbre model (mean, full covariance) of a clip's MFCC frames.

    Chapter: Similarity; command ``musiccluster cluster --method timbre``.
    """
    return gaussian_model(mfcc_frames(y, sr, n_mfcc)[0])


def clip_descriptors(y: np.ndarray, sr: int = SR, n_mfcc: int = 13, tempo: bool = True) -> ClipDescriptors:
    """Timbre model, delta statistics and spectral descriptor of one mono clip, from one STFT.

    Chapter: Similarity. The MFCCs are those of :func:`musiccluster.features.mfcc.mfcc_stats` (same
    STFT, Slaney mel filterbank and DCT), over the whole clip rather than per segment.
    """
    y = np.asarray(y, dtype=np.float32)
    mfcc, S, mel_db = mfcc_frames(y, sr, n_mfcc)
    mu, cov = gaussian_model(mfcc)
    return ClipDescriptors(mu, cov, delta_stats(mfcc), _spectral(y, S, mel_db, sr, tempo))
