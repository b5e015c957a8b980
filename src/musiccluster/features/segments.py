"""Reading audio and cutting it into segments (the paper's "augmentation").

Chapter *Data and augmentation* narrates this module. Each clip is loaded as
mono 22 050 Hz (stereo is averaged, other rates resampled with soxr, as
``librosa.load`` does) and cut into ``n_segments`` non-overlapping segments of
equal length ``len(y) // n_segments``; the few samples left over at the end are
dropped. A clip whose segments would be shorter than ``min_segment_s`` is not
segmented: it is skipped with that reason.

The other scheme, for music libraries (``segment_seconds``; command ``musiccluster cluster``
by default): ``n_segments`` segments of a fixed length, evenly spaced over the track
(:func:`fixed_bounds`), so that tracks of any length give features on the same time scale.
"""

from __future__ import annotations

import os
import stat
import warnings
from pathlib import Path

import numpy as np
import soundfile as sf

from .._constants import SR


#: Longest file decoded (seconds): a longer one is skipped, never decoded whole into memory.
MAX_DURATION_S = 3600.0


class SkipClip(Exception):
    """Raised for a clip that cannot be used; the message is the skip reason."""


def _check_readable(path: Path) -> int:
    """The size of a regular, readable file; SkipClip with the reason otherwise (never opens a FIFO)."""
    try:
        st = path.stat()
    except OSError as exc:
        raise SkipClip(f"cannot read file ({exc.strerror or exc})") from None
    if not stat.S_ISREG(st.st_mode):
        raise SkipClip("not a regular file (a pipe, device or socket): not read")
    try:
        with open(path, "rb", buffering=0) as fh:
            fh.read(1)
    except PermissionError:
        raise SkipClip("permission denied: cannot read file") from None
    except OSError as exc:
        raise SkipClip(f"cannot read file ({exc.strerror or exc})") from None
    return st.st_size


def _check_duration(f: sf.SoundFile, max_s: float) -> None:
    if f.samplerate > 0 and f.frames / f.samplerate > max_s:
        raise SkipClip(f"too long: {f.frames / f.samplerate / 60:.0f} min is over the limit of "
                       f"{max_s / 60:g} min (not decoded)")


def load_audio(path: str | Path, sr: int = SR, max_duration_s: float = MAX_DURATION_S) -> np.ndarray:
    """Load a file as mono float32 at ``sr`` (chapter *Data and augmentation*, command ``features``).

    soundfile (libsndfile) reads wav/au/flac/ogg/aiff/mp3; anything else falls
    back to librosa/audioread (e.g. m4a where ffmpeg is installed). Only regular
    files are opened; a file longer than ``max_duration_s`` (default one hour,
    :data:`MAX_DURATION_S`) is skipped before it is decoded.

    Raises
    ------
    SkipClip
        With a human-readable reason if the file cannot be decoded or is empty.
    """
    path = Path(path)
    size = _check_readable(path)
    if size == 0:
        raise SkipClip("empty file (0 bytes)")
    try:
        with sf.SoundFile(os.fsencode(path)) as f:  # bytes: a name that is not UTF-8 opens too
            if f.format == "RAW":
                # libsndfile reads a .au/.snd whose header is missing or broken as header-less
                # 8 kHz mu-law, i.e. as noise; real audio always has a header here
                raise SkipClip("no valid audio header (libsndfile could only read it as raw "
                               "header-less samples)")
            _check_duration(f, max_duration_s)
            data, file_sr = f.read(dtype="float32", always_2d=True), f.samplerate
    except SkipClip:
        raise
    except Exception as sf_exc:  # libsndfile refuses: try audioread via librosa
        try:
            import librosa

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if librosa.get_duration(path=str(path)) > max_duration_s:
                    raise SkipClip(f"too long: over the limit of {max_duration_s / 60:g} min (not decoded)")
                y, _ = librosa.load(str(path), sr=sr, mono=True)
            data, file_sr = y[:, None], sr
        except SkipClip:
            raise
        except Exception:
            raise SkipClip(f"unreadable audio ({_short(sf_exc)})") from None
    if data.size == 0:
        raise SkipClip("no audio samples")
    y = data.mean(axis=1) if data.shape[1] > 1 else data[:, 0]
    if file_sr != sr:
        from .frontend import resample

        y = resample(y, file_sr, sr)
    y = np.ascontiguousarray(y, dtype=np.float32)
    if not np.all(np.isfinite(y)):
        raise SkipClip("audio contains NaN or infinite samples")
    return y


def _short(exc: BaseException) -> str:
    import re

    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    text = re.sub(r"^Error opening b?'.*?':\s*", "", text)  # the path is already in the report
    if "possibly a pipe" in text or text.startswith("System error"):
        # libsndfile's words for "no decoder recognised the data" (e.g. a random or header-only .mp3)
        text = "not a recognised audio format, or corrupt"
    return text[:160]


def segment_bounds(
    n_samples: int, n_segments: int = 10, sr: int = SR, min_segment_s: float = 1.0
) -> list[tuple[int, int]]:
    """Sample ranges ``[start, stop)`` of ``n_segments`` equal, non-overlapping segments.

    Parameters
    ----------
    n_samples : int
        Length of the clip.
    n_segments : int
        Number of segments.
    sr : int
        Sample rate (to express ``min_segment_s`` in samples).
    min_segment_s : float
        Minimum segment length in seconds.

    Raises
    ------
    SkipClip
        If the segments would be shorter than ``min_segment_s``.
    """
    seg_len = n_samples // n_segments
    if seg_len <= 0 or seg_len < min_segment_s * sr:
        raise SkipClip(
            f"too short: {n_samples / sr:.2f} s cannot make {n_segments} segments "
            f"of at least {min_segment_s:g} s"
        )
    return [(i * seg_len, (i + 1) * seg_len) for i in range(n_segments)]


def split_segments(
    y: np.ndarray, n_segments: int = 10, sr: int = SR, min_segment_s: float = 1.0
) -> list[np.ndarray]:
    """Cut a signal into segments (views, no copies); see :func:`segment_bounds`."""
    return [y[a:b] for a, b in segment_bounds(len(y), n_segments, sr, min_segment_s)]


def fixed_bounds(
    n_samples: int, n_segments: int = 10, segment_seconds: float = 3.0, sr: int = SR
) -> list[tuple[int, int]]:
    """Sample ranges of ``n_segments`` segments of ``segment_seconds`` each, evenly spaced over a track.

    Command: ``musiccluster cluster`` (``--segment-seconds``). The first segment starts at the
    first sample, the last one ends at the last sample, the others start at equal steps in
    between (rounded down to a sample); a single segment is centred. On a track of exactly
    ``n_segments * segment_seconds`` the segments are the equal division of the paper protocol
    (:func:`segment_bounds`). A track shorter than that but at least one segment long still gets
    ``n_segments`` segments: they overlap (every track has the same number of segments, so the
    same weight in a cluster vote); a track shorter than one segment is skipped.

    Raises
    ------
    SkipClip
        If the track is shorter than one segment.
    """
    length = int(round(segment_seconds * sr))
    if length <= 0 or n_samples < length:
        raise SkipClip(f"too short: {n_samples / sr:.2f} s is shorter than one segment of "
                       f"{segment_seconds:g} s")
    if n_segments == 1:
        starts = [(n_samples - length) // 2]
    else:
        starts = [i * (n_samples - length) // (n_segments - 1) for i in range(n_segments)]
    return [(a, a + length) for a in starts]


def scheme_bounds(n_samples: int, n_segments: int, segment_seconds: float | None, sr: int = SR,
                  min_segment_s: float = 1.0) -> list[tuple[int, int]]:
    """The segments of a track under either scheme: equal division (``segment_seconds`` None,
    :func:`segment_bounds`) or fixed length (:func:`fixed_bounds`).

    Chapter *Data and augmentation*; command ``musiccluster cluster``.
    """
    if segment_seconds is None:
        return segment_bounds(n_samples, n_segments, sr, min_segment_s)
    return fixed_bounds(n_samples, n_segments, segment_seconds, sr)


def scheme_name(n_segments: int, segment_seconds: float | None) -> str:
    """How a segment scheme is written for a person: ``10 equal segments`` or ``10 x 3 s``.

    Command: ``musiccluster cluster --assign`` (its refusal names both schemes).
    """
    if segment_seconds is None:
        return f"{n_segments} equal segments per track (paper protocol)"
    return f"{n_segments} x {segment_seconds:g} s segments per track"
