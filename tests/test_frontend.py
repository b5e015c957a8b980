"""The MFCC front end (``musiccluster.features.frontend``) is librosa's numerics, bit for bit: every
function equals the librosa (or SciPy) call it replaces exactly (``np.array_equal``, not a
tolerance), on signals of many lengths, so the features, and every number of the book, are those
librosa gives. And the ``features`` path no longer imports librosa's heavy modules (issue 17)."""

from __future__ import annotations

import subprocess
import sys

import librosa
import numpy as np
import pytest
import scipy.signal

from musiccluster.features import frontend as F

#: Lengths around every case of librosa's centred framing: shorter than a frame, head and tail
#: frames overlapping, exactly one frame, a partial last hop, several column blocks (32 frames each).
LENGTHS = (1, 100, 1023, 1024, 1025, 2047, 2048, 2049, 2560, 3071, 3072, 4096, 5000, 22050 * 3 + 7, 22050 * 30)


def signal(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed + n)
    t = np.arange(n) / 22050
    return (0.3 * np.sin(2 * np.pi * 440 * t) + 0.1 * rng.standard_normal(n)).astype(np.float32)


@pytest.mark.parametrize("n", (1, 2, 512, 2048, 4096))
def test_hann_window_is_scipys_periodic_hann(n):
    assert np.array_equal(F.hann_window(n), scipy.signal.get_window("hann", n, fftbins=True))


@pytest.mark.filterwarnings("ignore:n_fft=2048 is too large")
@pytest.mark.parametrize("n", LENGTHS)
def test_stft_is_librosas_bit_for_bit(n):
    y = signal(n)
    ours = F.stft(y, n_fft=2048, hop_length=512, center=True)
    theirs = librosa.stft(y, n_fft=2048, hop_length=512, center=True, pad_mode="constant")
    assert ours.dtype == theirs.dtype == np.complex64 and ours.shape == theirs.shape
    assert np.array_equal(ours, theirs)
    y64 = y.astype(np.float64)  # a float64 signal stays float64, as in librosa
    assert np.array_equal(F.stft(y64), librosa.stft(y64, n_fft=2048, hop_length=512, pad_mode="constant"))
    if n >= 2048:
        assert np.array_equal(F.stft(y, 2048, 512, center=False), librosa.stft(y, n_fft=2048, hop_length=512, center=False))


def test_uncentred_stft_of_a_short_signal_is_refused():
    with pytest.raises(ValueError, match="too large"):
        F.stft(signal(100), 2048, 512, center=False)


@pytest.mark.parametrize(("sr", "n_fft", "n_mels"), [(22050, 2048, 128), (16000, 1024, 40), (44100, 4096, 128)])
def test_mel_filterbank_is_librosas(sr, n_fft, n_mels):
    ours = F.mel_filterbank(sr, n_fft, n_mels, "float32")
    assert np.array_equal(ours, librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, norm="slaney"))
    assert not ours.flags.writeable


@pytest.mark.parametrize("n", (2048, 22050 * 3, 22050 * 30 + 11))
def test_mel_db_and_mfcc_are_librosas(n):
    y = signal(n, seed=3)
    mel = F.mel_power(np.abs(F.stft(y)), F.mel_filterbank(22050, 2048, 128))
    theirs = librosa.feature.melspectrogram(y=y, sr=22050, n_fft=2048, hop_length=512, n_mels=128)
    assert np.array_equal(mel, theirs)
    assert np.array_equal(F.power_to_db(mel), librosa.power_to_db(theirs))
    db = F.power_to_db(mel)
    assert np.array_equal(F.mfcc_from_db(db, 13), librosa.feature.mfcc(S=db, n_mfcc=13))
    silent = np.zeros((128, 5), dtype=np.float32)  # the amin floor and the top_db clip
    assert np.array_equal(F.power_to_db(silent), librosa.power_to_db(silent))


@pytest.mark.parametrize(("orig", "n"), [(44100, 44100 * 2 + 3), (48000, 4801), (8000, 999), (22050, 100)])
def test_resample_is_librosas_soxr_hq(orig, n):
    y = signal(n, seed=5)
    assert np.array_equal(F.resample(y, orig, 22050), librosa.resample(y, orig_sr=orig, target_sr=22050, res_type="soxr_hq"))
    stereo = np.stack([y, -y])
    ours = F.resample(stereo, orig, 22050)
    assert ours.dtype == np.float32 and np.array_equal(ours, librosa.resample(stereo, orig_sr=orig, target_sr=22050,
                                                                                res_type="soxr_hq"))


def test_the_features_path_imports_neither_librosas_spectrum_nor_scipy_signal():
    code = ("import sys, numpy as np\n"
            "from musiccluster.features.mfcc import mfcc_stats\n"
            "from musiccluster.features.segments import load_audio\n"
            "from musiccluster.features.extract import extract_features\n"
            "mfcc_stats(np.zeros(22050, dtype=np.float32))\n"
            "heavy = [m for m in ('librosa.core.spectrum', 'librosa.core.audio', 'scipy.signal', 'numba', 'torch')"
            " if m in sys.modules]\n"
            "print(heavy)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[]", out.stdout
