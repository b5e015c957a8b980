"""The MFCC front end: librosa's numerics, without librosa's import.

Chapter *MFCC features* (and the benchmark of issue 17). The paper's features are librosa's MFCCs
with its defaults. ``librosa.stft`` lives in a module whose import pulls in ``scipy.signal``,
``scipy.stats``, numba and librosa's audio module: ~2.3 s of start-up that every ``musiccluster
features`` run and every worker process paid before its first clip, for four small computations.
This module does those four with what librosa itself computes them with (NumPy and ``scipy.fft``),
operation for operation, so the results are **bit-identical** to librosa 0.11's (tested against
librosa in ``tests/test_frontend.py``, on signals of many lengths and on the stand-in corpus):

* :func:`stft` — ``librosa.stft(y, n_fft, hop_length, window="hann", center, pad_mode="constant")``:
  the periodic Hann window of ``scipy.signal.get_window`` (:func:`hann_window`), zero padding by
  ``n_fft // 2`` at both ends, ``scipy.fft.rfft`` of the windowed frames in librosa's order and
  blocks, stored as complex64;
* :func:`mel_filterbank` — ``librosa.filters.mel(norm="slaney", htk=False)``;
* :func:`power_to_db` — ``librosa.power_to_db(S)`` (``ref=1``, ``amin=1e-10``, ``top_db=80``);
* :func:`mfcc_from_db` — ``librosa.feature.mfcc(S=...)``: ``scipy.fft.dct`` type II, orthonormal;
* :func:`resample` — ``librosa.resample(res_type="soxr_hq")``: soxr, then librosa's length fix.
"""

from __future__ import annotations

import functools

import numpy as np

#: librosa's ``util.MAX_MEM_BLOCK``: the STFT is computed in column blocks of at most this many bytes
#: of frames (the block boundaries are kept so the FFT calls match librosa's).
MAX_MEM_BLOCK = 2 ** 8 * 2 ** 10


@functools.lru_cache(maxsize=8)
def hann_window(n: int) -> np.ndarray:
    """``scipy.signal.get_window("hann", n, fftbins=True)``: the periodic Hann window (float64).

    Computed as SciPy does: the symmetric cosine sum ``0.5 - 0.5 cos`` over ``n + 1`` points of
    ``linspace(-pi, pi)``, the last point dropped. Read-only.
    """
    if n <= 1:
        w = np.ones(max(n, 0))
    else:
        fac = np.linspace(-np.pi, np.pi, n + 1, dtype=np.float64)
        w = np.zeros(n + 1, dtype=np.float64)
        for k, a in enumerate((0.5, 0.5)):
            w += a * np.cos(k * fac)
        w = w[:-1]
    w.flags.writeable = False
    return w


def _frames(y: np.ndarray, n_fft: int, hop: int) -> np.ndarray:
    """Frames of ``n_fft`` samples every ``hop``, as columns ``(n_fft, n_frames)`` (a read-only view)."""
    return np.lib.stride_tricks.sliding_window_view(y, n_fft)[::hop].T


def _rfft_into(out: np.ndarray, window: np.ndarray, frames: np.ndarray) -> None:
    import scipy.fft

    out[...] = scipy.fft.rfft(window * frames, axis=-2)


def stft(y: np.ndarray, n_fft: int = 2048, hop_length: int = 512, center: bool = True) -> np.ndarray:
    """``librosa.stft(y, n_fft=n_fft, hop_length=hop_length, center=center, pad_mode="constant")``.

    Mono ``y``, float64 kept, anything else as float32; returns ``(1 + n_fft // 2, n_frames)``,
    complex128 or complex64 (librosa's ``dtype_r2c``). With ``center``, frames
    touching the zero padding are transformed apart from the middle ones, as librosa does (the
    values are those of the padded signal either way). Chapter: MFCC features.
    """
    real = np.float64 if np.asarray(y).dtype == np.float64 else np.float32
    y = np.ascontiguousarray(y, dtype=real)
    window = hann_window(n_fft)[:, None]
    half = n_fft // 2
    head = tail = np.zeros((n_fft, 0), dtype=real)
    start = 0
    if center:
        start_k = int(np.ceil(half / hop_length))  # frames that reach into the left padding
        tail_k = (len(y) + half - n_fft) // hop_length + 1  # first frame reaching into the right padding
        if tail_k <= start_k:
            y = np.pad(y, (half, half))
        else:
            start = start_k * hop_length - half
            pre = np.pad(y[: (start_k - 1) * hop_length - half + n_fft + 1], (half, 0))
            head = _frames(pre, n_fft, hop_length)[:, :start_k]
            if tail_k * hop_length - half + n_fft <= len(y) + half:
                tail = _frames(np.pad(y[tail_k * hop_length - half:], (0, half)), n_fft, hop_length)
    elif n_fft > len(y):
        raise ValueError(f"n_fft={n_fft} is too large for uncentered analysis of {len(y)} samples")
    middle = _frames(y[start:], n_fft, hop_length)
    n_head, n_tail = head.shape[1], tail.shape[1]
    out = np.zeros((1 + half, n_head + middle.shape[1] + n_tail), dtype=np.complex128 if real is np.float64 else np.complex64, order="F")
    if n_head:
        _rfft_into(out[:, :n_head], window, head)
        if n_tail:
            _rfft_into(out[:, out.shape[1] - n_tail:], window, tail)
    block = max(int(MAX_MEM_BLOCK // (n_fft * middle.itemsize)), 1)
    for s in range(0, middle.shape[1], block):
        t = min(s + block, middle.shape[1])
        _rfft_into(out[:, n_head + s:n_head + t], window, middle[:, s:t])
    return out


def _hz_to_mel(f: np.ndarray) -> np.ndarray:
    """Slaney's mel scale (librosa's ``hz_to_mel(htk=False)``): linear below 1 kHz, log above."""
    f = np.asanyarray(f)
    f_sp = 200.0 / 3
    mels = f / f_sp
    min_log_hz, logstep = 1000.0, np.log(6.4) / 27.0
    min_log_mel = min_log_hz / f_sp
    if f.ndim:
        above = f >= min_log_hz
        mels[above] = min_log_mel + np.log(f[above] / min_log_hz) / logstep
    elif f >= min_log_hz:
        mels = min_log_mel + np.log(f / min_log_hz) / logstep
    return mels


def _mel_to_hz(m: np.ndarray) -> np.ndarray:
    """Inverse of :func:`_hz_to_mel` (librosa's ``mel_to_hz(htk=False)``)."""
    m = np.asanyarray(m)
    f_sp = 200.0 / 3
    freqs = f_sp * m
    min_log_hz, logstep = 1000.0, np.log(6.4) / 27.0
    min_log_mel = min_log_hz / f_sp
    above = m >= min_log_mel
    freqs[above] = min_log_hz * np.exp(logstep * (m[above] - min_log_mel))
    return freqs


@functools.lru_cache(maxsize=16)
def mel_filterbank(sr: int, n_fft: int, n_mels: int = 128, dtype: str = "float32") -> np.ndarray:
    """``librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, norm="slaney", dtype=dtype)``, read-only.

    Triangles on Slaney's mel scale from 0 Hz to ``sr / 2``, each scaled to unit area
    (``2 / bandwidth``). Chapter: MFCC features.
    """
    fmax = float(sr) / 2
    weights = np.zeros((n_mels, int(1 + n_fft // 2)), dtype=np.dtype(dtype))
    fftfreqs = np.fft.rfftfreq(n=n_fft, d=1.0 / sr)
    mel_f = _mel_to_hz(np.linspace(_hz_to_mel(0.0), _hz_to_mel(fmax), n_mels + 2))
    fdiff = np.diff(mel_f)
    ramps = np.subtract.outer(mel_f, fftfreqs)
    for i in range(n_mels):
        lower = -ramps[i] / fdiff[i]
        upper = ramps[i + 2] / fdiff[i + 1]
        weights[i] = np.maximum(0, np.minimum(lower, upper))
    enorm = 2.0 / (mel_f[2: n_mels + 2] - mel_f[:n_mels])
    weights *= enorm[:, np.newaxis]
    weights.flags.writeable = False
    return weights


def mel_power(S: np.ndarray, basis: np.ndarray) -> np.ndarray:
    """Mel powers of a magnitude STFT ``S``: ``basis @ |S|**2`` as librosa's ``melspectrogram``
    computes it (``np.einsum``, float32)."""
    return np.einsum("...ft,mf->...mt", S ** 2.0, basis, optimize=True)


def power_to_db(S: np.ndarray, amin: float = 1e-10, top_db: float | None = 80.0) -> np.ndarray:
    """``librosa.power_to_db(S)`` with ``ref=1.0``: ``10 log10(max(amin, S))``, floored ``top_db``
    below its maximum. Chapter: MFCC features."""
    S = np.asarray(S)
    log_spec = 10.0 * np.log10(np.maximum(amin, S))  # minus 10 log10(ref) = 0: exactly unchanged
    if top_db is not None:
        log_spec = np.maximum(log_spec, log_spec.max() - top_db)
    return log_spec


def mfcc_from_db(S_db: np.ndarray, n_mfcc: int = 13) -> np.ndarray:
    """``librosa.feature.mfcc(S=S_db, n_mfcc=n_mfcc)``: the first ``n_mfcc`` rows of the orthonormal
    type-II DCT over the mel axis. Chapter: MFCC features."""
    import scipy.fft

    return scipy.fft.dct(S_db, axis=-2, type=2, norm="ortho")[..., :n_mfcc, :]


def resample(y: np.ndarray, orig_sr: int, target_sr: int) -> np.ndarray:
    """``librosa.resample(y, orig_sr=orig_sr, target_sr=target_sr, res_type="soxr_hq")`` along the
    last axis: soxr's high-quality resampler, the result cut or zero-padded to
    ``ceil(n * target_sr / orig_sr)`` samples, in ``y``'s dtype. Chapter: Data and augmentation."""
    if orig_sr == target_sr:
        return y
    import soxr

    n = int(np.ceil(y.shape[-1] * float(target_sr) / orig_sr))
    y_hat = np.apply_along_axis(soxr.resample, -1, y, in_rate=orig_sr, out_rate=target_sr, quality="soxr_hq")
    if y_hat.shape[-1] > n:
        y_hat = y_hat[..., :n]
    elif y_hat.shape[-1] < n:
        y_hat = np.pad(y_hat, [(0, 0)] * (y_hat.ndim - 1) + [(0, n - y_hat.shape[-1])])
    return np.asarray(y_hat, dtype=y.dtype)
