"""Rendering one clip of the stand-in corpus: a composed score to finished mono audio.

The score of :func:`musiccluster.synth.compose._compose` is synthesised
through a real General MIDI soundfont (``TimGM6mb.sf2``, shipped inside the
``pretty_midi`` wheel) by the ``symusic`` synthesiser, then given its light
"production" (tilt EQ, band limits, reverb, drive, hiss, level).

Every render gets a synthesiser made for it alone (symusic's carries state
from one render to the next), so a clip is a function of its style, index,
duration and seed alone. On Linux with glibc, that is: symusic also reads one
sample past an instrument sample's end on a few notes, and only glibc can be
told to make the memory it reads there hold a fixed value; see
:func:`freed_memory_is_defined`. A clip whose render has non-finite samples
(the whistle program can produce NaN) is rendered again in the plain
arrangement.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import numpy as np
from scipy import signal

from .._constants import GTZAN_GENRES, SR
from .compose import _compose
from .styles import STYLE_TEMPLATES

__all__ = ["freed_memory_is_defined", "render_clip", "soundfont_path"]


def soundfont_path() -> Path:
    """The General MIDI soundfont shipped inside the ``pretty_midi`` wheel.

    Chapter: Data and augmentation
    """
    import pretty_midi

    return Path(pretty_midi.__file__).parent / "TimGM6mb.sf2"


#: glibc's ``mallopt`` option that fills freed heap memory with a given byte.
_M_PERTURB = -6


def _glibc():
    """The C library as a ctypes handle where it is glibc (which has ``M_PERTURB``), else None."""
    import ctypes
    import platform

    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return None
    try:
        return ctypes.CDLL(None)
    except OSError:  # pragma: no cover - a Linux without a loadable C library
        return None


def freed_memory_is_defined() -> bool:
    """Whether this platform lets :func:`render_clip` make symusic's stray reads deterministic.

    True on Linux with glibc. Elsewhere a few clips (2 of the default 200)
    may differ from one rendering to the next, and from Linux's; see
    :func:`_defined_freed_memory`.

    Chapter: Data and augmentation
    """
    return _glibc() is not None


@contextlib.contextmanager
def _defined_freed_memory():
    """While rendering, freed heap memory reads as 0x01 bytes (float32 2.4e-38), not as old data.

    symusic 0.5.9 reads one sample past the end of a looped instrument sample
    for some programs and pitches (2 of the default corpus's 200 clips, jazz 17
    and reggae 18, have such notes: measured with glibc filling freed memory
    with NaN bytes, which turns exactly those reads into NaN samples). What
    it reads there is heap memory freed earlier, usually old audio, so that
    one sample, and through the peak normalisation the whole clip, depended
    on the process's history. With glibc's ``M_PERTURB`` the stray read sees a
    value ~1e-38, which leaves every sample of the render bit-identical to one
    where it had read zero. Other platforms render unguarded.
    """
    libc = _glibc()
    if libc is None:
        yield
        return
    libc.mallopt(_M_PERTURB, 1)
    try:
        yield
    finally:  # back to what glibc set at start-up (MALLOC_PERTURB_ from the environment, else off)
        try:
            before = int(os.environ.get("MALLOC_PERTURB_", "0")) & 0xFF
        except ValueError:
            before = 0
        libc.mallopt(_M_PERTURB, before)


def _render_score(score, n: int) -> np.ndarray:
    """Synthesise a score to mono float64, cut or padded to ``n`` samples.

    Every call builds a new synthesizer (about 2 ms). symusic 0.5.9's
    ``Synthesizer`` carries state from one render to the next: measured here,
    the same score rendered by one instance differs (by up to half full scale)
    depending on which scores that instance rendered before. Sharing one per
    worker process therefore made each clip depend on how the pool happened
    to schedule the corpus; a fresh instance makes a clip a function of its
    style, index, duration and seed alone (with :func:`_defined_freed_memory`
    guarding its one stray read).
    """
    import symusic

    with _defined_freed_memory():
        synth = symusic.Synthesizer(str(soundfont_path()), sample_rate=SR)
        audio = np.asarray(synth.render(score, stereo=False), dtype=np.float64)
        del synth
    y = audio.reshape(-1) if audio.ndim == 1 else audio.mean(axis=0)
    return np.pad(y[:n], (0, max(0, n - len(y))))


def _produce(y: np.ndarray, p: dict) -> np.ndarray:
    """Tilt EQ, band limits, reverb, drive, hiss and peak level."""
    rng = np.random.default_rng(p["noise_seed"])
    b, a = signal.butter(1, 1000, "highpass", fs=SR)
    y = y + p["brightness"] * signal.lfilter(b, a, y)
    y = signal.sosfilt(signal.butter(2, p["highpass_hz"], "highpass", fs=SR, output="sos"), y)
    if p["lowpass_hz"] is not None:
        y = signal.sosfilt(signal.butter(6, p["lowpass_hz"], "lowpass", fs=SR, output="sos"), y)
    n_ir = max(1, int(p["reverb_s"] * SR))
    ir = rng.standard_normal(n_ir) * np.exp(-np.arange(n_ir) / (0.25 * n_ir))
    wet = signal.fftconvolve(y, ir / np.sqrt(np.sum(ir**2)), mode="full")[: len(y)]
    y = (1 - p["reverb_mix"]) * y + p["reverb_mix"] * wet
    if p["drive"] > 0:
        gain = 1 + 8 * p["drive"]
        y = np.tanh(gain * y / (np.max(np.abs(y)) + 1e-9)) / np.tanh(gain)
    rms = np.sqrt(np.mean(y**2)) + 1e-9
    y = y + rms * 10 ** (p["noise_db"] / 20) * rng.standard_normal(len(y))
    return (y / (np.max(np.abs(y)) + 1e-12) * 10 ** (p["peak_db"] / 20)).astype(np.float32)


def render_clip(style: str, index: int, duration: float = 30.0, seed: int = 0, *, safe: bool = False) -> np.ndarray:
    """Render one clip of the stand-in corpus.

    This is the audio :func:`musiccluster.synth.build.generate_corpus` writes (before 16-bit
    quantisation).

    Chapter: Data and augmentation

    Parameters
    ----------
    style : str
        One of :data:`musiccluster._constants.GTZAN_GENRES`.
    index : int
        Clip number within the style.
    duration : float
        Seconds.
    seed : int
        Corpus seed.
    safe : bool
        Render the plain arrangement (piano and acoustic bass, no drums) that
        replaces a clip whose rendering hangs.

    Returns
    -------
    ndarray of shape (round(duration * 22050),), float32
        Mono audio at 22 050 Hz, peak between -3 and -1 dBFS.

    Raises
    ------
    ValueError
        For an unknown style or a non-positive duration.
    """
    if style not in STYLE_TEMPLATES:
        raise ValueError(f"unknown style {style!r}; choose from {', '.join(GTZAN_GENRES)}")
    if not duration > 0:
        raise ValueError(f"duration must be positive, got {duration!r}")
    n = int(round(duration * SR))
    score, production = _compose(style, index, duration, seed, safe=safe)
    y = _render_score(score, n)
    if not np.all(np.isfinite(y)) and not safe:
        # an instrument produced NaN/inf: the plain arrangement instead
        score, production = _compose(style, index, duration, seed, safe=True)
        y = _render_score(score, n)
    y = np.nan_to_num(y, nan=0.0, posinf=0.0, neginf=0.0)
    return _produce(y, production)
