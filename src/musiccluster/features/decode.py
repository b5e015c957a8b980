"""Decoding no more of a track than its features need: spans of it, or the whole of it block by block.

Chapter *Data and augmentation*; command ``musiccluster cluster``. :func:`fixed_segments` reads
only the spans of the fixed-length scheme (``segment_seconds``): soundfile seeks in WAV, FLAC,
OGG and MP3, so a 4-minute song costs ten 3-s reads; a file soundfile cannot read is decoded by
librosa/audioread up to each span (streamed, never whole in memory). :func:`stream_equal_segments`
computes the paper protocol's equal segments of a long track (over :data:`STREAM_ABOVE_S`) from
blocks of :data:`BLOCK_FRAMES` frames, resampled by a soxr stream (bit-identical to the one-shot
resampling), with the MFCC statistics accumulated block by block
(:class:`~musiccluster.features.mfcc.SegmentStats`): memory stays flat in the track's length.
Shorter tracks take the whole-file path of :func:`~musiccluster.features.segments.load_audio`.
"""

from __future__ import annotations

import math
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
import soundfile as sf

from .._constants import SR
from .mfcc import SegmentStats
from .segments import MAX_DURATION_S, SkipClip, _check_duration, _check_readable, _short
from .segments import fixed_bounds, segment_bounds

#: Tracks longer than this (seconds) are decoded block by block under the paper protocol.
STREAM_ABOVE_S = 120.0
#: Frames (at the file's rate) read per block when streaming.
BLOCK_FRAMES = 1 << 16
#: Extra audio (seconds) decoded on each side of a span, so that resampling a span gives the
#: samples the whole-file resampling gives (soxr's filter is a few milliseconds long).
SPAN_MARGIN_S = 0.1


@dataclass(frozen=True)
class AudioInfo:
    """What soundfile says of a file before decoding it (chapter *Data and augmentation*)."""

    frames: int
    samplerate: int
    channels: int
    seekable: bool

    def n_samples(self, sr: int = SR) -> int:
        """Length at ``sr`` of the decoded, resampled track (``librosa.resample``'s: rounded up)."""
        if self.samplerate == sr:
            return self.frames
        return int(math.ceil(self.frames * sr / self.samplerate))


def _open(path: Path) -> sf.SoundFile:
    return sf.SoundFile(os.fsencode(path))  # bytes: a name that is not UTF-8 opens too


def audio_info(path: str | Path, max_duration_s: float = MAX_DURATION_S) -> AudioInfo | None:
    """soundfile's view of a file, or None when libsndfile cannot read it (then audioread may).

    Raises
    ------
    SkipClip
        Unreadable or empty file, header-less raw data, or longer than ``max_duration_s``.
    """
    path = Path(path)
    if _check_readable(path) == 0:
        raise SkipClip("empty file (0 bytes)")
    try:
        with _open(path) as f:
            if f.format == "RAW":
                raise SkipClip("no valid audio header (libsndfile could only read it as raw "
                               "header-less samples)")
            _check_duration(f, max_duration_s)
            return AudioInfo(int(f.frames), int(f.samplerate), int(f.channels), bool(f.seekable()))
    except SkipClip:
        raise
    except Exception:
        return None


def _mono(block: np.ndarray) -> np.ndarray:
    y = block.mean(axis=1) if block.shape[1] > 1 else block[:, 0]
    return np.ascontiguousarray(y, dtype=np.float32)


def _fit(y: np.ndarray, length: int) -> np.ndarray:
    """``y`` cut or zero-padded to ``length`` samples."""
    if len(y) >= length:
        return y[:length]
    return np.concatenate([y, np.zeros(length - len(y), dtype=np.float32)])


def _read_span(f: sf.SoundFile, info: AudioInfo, a: int, b: int, sr: int) -> np.ndarray:
    """Samples ``[a, b)`` at ``sr`` of an open file, decoding only that span (and a margin)."""
    fs = info.samplerate
    if fs == sr:
        f.seek(a)
        return _fit(_mono(f.read(b - a, dtype="float32", always_2d=True)), b - a)
    from .frontend import resample

    g = math.gcd(fs, sr)
    step_in, step_out = fs // g, sr // g  # step_out output samples are exactly step_in frames
    margin = int(math.ceil(SPAN_MARGIN_S * sr))
    t0 = max(0, (a - margin) // step_out * step_out)
    s0 = t0 // step_out * step_in
    s1 = min(info.frames, int(math.ceil((b + margin) * fs / sr)))
    f.seek(s0)
    x = _mono(f.read(max(0, s1 - s0), dtype="float32", always_2d=True))
    y = resample(x, fs, sr) if len(x) else x
    return _fit(y[a - t0:], b - a)


def fixed_segments(path: str | Path, n_segments: int, segment_seconds: float, sr: int = SR,
                   max_duration_s: float = MAX_DURATION_S) -> tuple[list[np.ndarray], int]:
    """The ``n_segments`` fixed-length segments of a track, decoding only them.

    Command: ``musiccluster cluster --segment-seconds``. The spans are
    :func:`~musiccluster.features.segments.fixed_bounds` of the track's length (from the
    file's header); returns the segments (mono float32 at ``sr``) and that length in samples.

    Raises
    ------
    SkipClip
        With the reason the track cannot be used.
    """
    path = Path(path)
    info = audio_info(path, max_duration_s)
    if info is None:
        return _fixed_segments_audioread(path, n_segments, segment_seconds, sr, max_duration_s)
    n = info.n_samples(sr)
    if n == 0:
        raise SkipClip("no audio samples")
    bounds = fixed_bounds(n, n_segments, segment_seconds, sr)
    try:
        if not info.seekable:  # a stream that cannot seek: decode it once, keep only the spans
            return _spans_of_stream(path, info, bounds, sr), n
        with _open(path) as f:
            return [_read_span(f, info, a, b, sr) for a, b in bounds], n
    except Exception as exc:
        raise SkipClip(f"unreadable audio ({_short(exc)})") from None


def _spans_of_stream(path: Path, info: AudioInfo, bounds: list[tuple[int, int]], sr: int) -> list[np.ndarray]:
    out = [np.zeros(b - a, dtype=np.float32) for a, b in bounds]
    pos = 0
    for y in mono_blocks(path, info, sr):
        for (a, b), seg in zip(bounds, out):
            lo, hi = max(a, pos), min(b, pos + len(y))
            if lo < hi:
                seg[lo - a:hi - a] = y[lo - pos:hi - pos]
        pos += len(y)
        if pos >= bounds[-1][1]:
            break
    return out


def _fixed_segments_audioread(path: Path, n_segments: int, segment_seconds: float, sr: int,
                              max_duration_s: float) -> tuple[list[np.ndarray], int]:
    """Spans of a file libsndfile cannot read, each decoded by librosa/audioread up to its end."""
    import librosa

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            duration = float(librosa.get_duration(path=str(path)))
            if duration > max_duration_s:
                raise SkipClip(f"too long: over the limit of {max_duration_s / 60:g} min (not decoded)")
            n = int(math.ceil(duration * sr))
            bounds = fixed_bounds(n, n_segments, segment_seconds, sr)
            segs = [librosa.load(str(path), sr=sr, mono=True, offset=a / sr, duration=(b - a) / sr)[0]
                    for a, b in bounds]
    except SkipClip:
        raise
    except Exception as exc:
        raise SkipClip(f"unreadable audio ({_short(exc)})") from None
    return [_fit(np.asarray(s, dtype=np.float32), b - a) for s, (a, b) in zip(segs, bounds)], n


def mono_blocks(path: str | Path, info: AudioInfo, sr: int = SR) -> Iterator[np.ndarray]:
    """The whole track, mono float32 at ``sr``, in blocks of about :data:`BLOCK_FRAMES` frames.

    Exactly ``info.n_samples(sr)`` samples in all (cut or zero-padded at the end, as
    ``librosa.resample`` fixes its length). Chapter *Data and augmentation*.
    """
    import soxr

    fs, total, done = info.samplerate, info.n_samples(sr), 0
    stream = soxr.ResampleStream(fs, sr, 1, dtype="float32", quality="HQ") if fs != sr else None
    with _open(Path(path)) as f:
        while done < total:
            block = f.read(BLOCK_FRAMES, dtype="float32", always_2d=True)
            last = len(block) < BLOCK_FRAMES
            y = _mono(block) if len(block) else np.zeros(0, dtype=np.float32)
            if stream is not None:
                y = stream.resample_chunk(y, last=last)
            if last:
                y = _fit(y, total - done)
            y = y[:total - done]
            done += len(y)
            if len(y):
                yield y
            if last:
                break


def stream_equal_segments(path: str | Path, n_segments: int, n_mfcc: int = 13, sr: int = SR,
                          min_segment_s: float = 1.0, max_duration_s: float = MAX_DURATION_S,
                          ) -> tuple[np.ndarray, int, float] | None:
    """The paper protocol's features of a long track, computed block by block; None for a short one.

    Chapter *MFCC features*. Returns ``(X, n_samples, peak)`` for a track soundfile reads that is
    longer than :data:`STREAM_ABOVE_S`, else None (the caller decodes it whole). The segments are
    :func:`~musiccluster.features.segments.segment_bounds` of the track's length; their MFCC
    statistics equal :func:`~musiccluster.features.mfcc.mfcc_stats` of the whole-file path to
    float tolerance (the mel products are computed in blocks).

    Raises
    ------
    SkipClip
        Unreadable file, too short, or samples that are not finite.
    """
    info = audio_info(path, max_duration_s)
    if info is None or info.samplerate <= 0 or info.frames / info.samplerate <= STREAM_ABOVE_S:
        return None
    n = info.n_samples(sr)
    bounds = segment_bounds(n, n_segments, sr, min_segment_s)
    X = np.empty((len(bounds), 2 * n_mfcc))
    current, acc = 0, SegmentStats(sr, n_mfcc)  # one segment at a time: they do not overlap
    pos, peak = 0, 0.0
    try:
        for y in mono_blocks(path, info, sr):
            if not np.all(np.isfinite(y)):
                raise SkipClip("audio contains NaN or infinite samples")
            peak = max(peak, float(np.max(np.abs(y))))
            while current < len(bounds):
                a, b = bounds[current]
                lo, hi = max(a, pos), min(b, pos + len(y))
                if lo < hi:
                    acc.feed(y[lo - pos:hi - pos])
                if b > pos + len(y):
                    break
                X[current], current, acc = acc.result(), current + 1, SegmentStats(sr, n_mfcc)
            pos += len(y)
    except SkipClip:
        raise
    except Exception as exc:
        raise SkipClip(f"unreadable audio ({_short(exc)})") from None
    return X, n, peak
