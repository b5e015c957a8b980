"""The embedded default corpus: a GTZAN-shaped synthetic stand-in (chapter *Data and augmentation*).

GTZAN cannot be shipped or downloaded here, so with ``data_dir=None`` the
library *generates* ten styles named after the GTZAN genres. Each clip is
composed from its style's template (tempo range, swing, a drum pattern, a bass
pattern, a comping pattern, chord progressions, a pool of General MIDI
instruments that partly overlaps other styles), rendered through a real
soundfont (``TimGM6mb.sf2``, shipped inside the ``pretty_midi`` wheel) by the
``symusic`` synthesiser, then given light "production" variation (tilt EQ,
band limit, reverb, drive, noise, level) so that the styles are not trivially
separable: plain K-Means on its MFCC statistics lands near real GTZAN's
difficulty (see the tests and the book).

Everything is deterministic: clip ``i`` of style ``s`` draws from
``numpy.random.default_rng([seed, s, i])`` only, whatever the number of workers.
The corpus is written once as 16-bit FLAC into the cache folder and read back
through exactly the same code path as a user's music folder.

Rendering safety: symusic 0.5.9 can hang on a few programs at very high pitches
and the whistle program can produce NaN samples. Melodic pitches are kept at or
below :data:`MAX_PITCH`, the whistle is never used, non-finite samples are
replaced, and each clip renders in a worker process with a time limit; a clip
whose rendering times out is rendered again with a plain piano arrangement.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy import signal

from ._constants import GTZAN_GENRES, SR
from .cache import cache_dir as _cache_dir

#: Bump whenever the audio produced for the same arguments changes.
GENERATOR_VERSION = "1"
#: Highest MIDI pitch given to a melodic instrument (symusic hangs on some above ~92).
MAX_PITCH = 84
#: Seconds one clip may take to render before it is re-rendered with a safe arrangement.
RENDER_TIMEOUT_S = 60.0
#: Chance that a part borrows its instrument from another style's pool (style overlap).
CROSSOVER = 0.3
#: Programs never used (78 = whistle: NaN samples in symusic 0.5.9).
EXCLUDED_PROGRAMS = frozenset({78})

SCALES = {
    "major": (0, 2, 4, 5, 7, 9, 11),
    "minor": (0, 2, 3, 5, 7, 8, 10),
    "dorian": (0, 2, 3, 5, 7, 9, 10),
    "mixolydian": (0, 2, 4, 5, 7, 9, 10),
    "phrygian": (0, 1, 3, 5, 7, 8, 10),
}

# General MIDI percussion keys
KICK, SIDE, SNARE, CLAP, HAT, PEDAL, OPEN, CRASH, RIDE, TAMB, COWBELL, SHAKER, TOM = (
    36, 37, 38, 39, 42, 44, 46, 49, 51, 54, 56, 70, 45)


@dataclass(frozen=True)
class StyleTemplate:
    """How one style is composed and produced.

    Attributes
    ----------
    tempo : (float, float)
        BPM range.
    swing : float
        Delay of off-beat 8ths as a fraction of an 8th (0 straight, ~0.33 shuffle).
    scales : tuple of str
        Modes to draw from (keys of :data:`SCALES`).
    progressions : tuple of tuple of int
        Chord roots as scale degrees (0-based), one chord per bar.
    drums : dict or None
        16-step patterns per GM drum key (``x`` hit, ``o`` soft hit, ``?`` 50 %).
    bass, comp : str
        Pattern names (see :func:`_bass_notes` and :func:`_comp_notes`).
    bass_programs, comp_programs, lead_programs : tuple of int
        General MIDI instrument pools (shared with other styles on purpose).
    lead_prob, lead_density : float
        Chance of a melody line, and notes per beat when there is one.
    seventh_chords : bool
        Four-note chords (jazz, blues) instead of triads.
    drive : (float, float)
        Soft-clipping amount range (distorted styles).
    brightness : (float, float)
        Tilt-EQ gain range (negative darker, positive brighter).
    """

    tempo: tuple[float, float]
    swing: float
    scales: tuple[str, ...]
    progressions: tuple[tuple[int, ...], ...]
    drums: dict[int, str] | None
    bass: str
    comp: str
    bass_programs: tuple[int, ...]
    comp_programs: tuple[int, ...]
    lead_programs: tuple[int, ...]
    lead_prob: float = 0.6
    lead_density: float = 1.0
    seventh_chords: bool = False
    drive: tuple[float, float] = (0.0, 0.0)
    brightness: tuple[float, float] = (-0.3, 0.3)


STYLE_TEMPLATES: dict[str, StyleTemplate] = {
    "blues": StyleTemplate(
        (70, 110), 0.33, ("mixolydian", "dorian"),
        ((0, 0, 0, 0, 3, 3, 0, 0, 4, 3, 0, 4), (0, 3, 0, 0, 3, 3, 0, 0, 4, 3, 0, 0)),
        {KICK: "x.......x.......", SNARE: "....x.......x...", HAT: "x.x.x.x.x.x.x.x."},
        "walking", "stabs", (32, 33, 34), (0, 4, 16, 26, 27), (22, 26, 27, 65, 66, 29),
        lead_prob=0.8, seventh_chords=True, drive=(0.0, 0.3)),
    "classical": StyleTemplate(
        (60, 120), 0.0, ("major", "minor"),
        ((0, 3, 4, 0), (0, 5, 3, 4), (0, 4, 5, 2, 3, 0, 3, 4), (5, 3, 0, 4)),
        None, "sustain", "arpeggio", (42, 43, 32, 48), (0, 6, 46, 48, 49, 45),
        (40, 41, 68, 71, 73, 0, 60), lead_prob=0.85, lead_density=1.5, brightness=(-0.5, 0.1)),
    "country": StyleTemplate(
        (90, 140), 0.05, ("major", "mixolydian"),
        ((0, 3, 4, 0), (0, 0, 3, 4), (0, 4, 0, 3)),
        {KICK: "x.......x.......", SNARE: "....x.......x...", HAT: "x.x.x.x.x.x.x.x.", SIDE: "..o...o...o...o."},
        "root_fifth", "block", (32, 33, 34), (24, 25, 27, 0, 105), (110, 25, 22, 21, 27),
        lead_prob=0.75, lead_density=1.3),
    "disco": StyleTemplate(
        (110, 130), 0.0, ("minor", "dorian", "major"),
        ((0, 3, 4, 3), (0, 5, 3, 4), (1, 4, 0, 0)),
        {KICK: "x...x...x...x...", CLAP: "....x.......x...", HAT: "xxxxxxxxxxxxxxxx", OPEN: "..x...x...x...x."},
        "octave", "stabs", (33, 36, 38, 39), (28, 27, 4, 48, 61, 50), (48, 61, 56, 81, 4),
        lead_prob=0.6, brightness=(0.0, 0.5)),
    "hiphop": StyleTemplate(
        (75, 100), 0.2, ("minor", "dorian", "phrygian"),
        ((0, 0, 5, 4), (0, 3, 0, 3), (0, 5, 6, 4)),
        {KICK: "x......x..x.....", SNARE: "....x.......x...", HAT: "x.x.x.x.x?x.x.xx"},
        "sub", "pad", (38, 39, 33, 87), (4, 0, 89, 88, 11, 50), (80, 4, 11, 0, 52),
        lead_prob=0.5, lead_density=0.7, brightness=(-0.4, 0.2)),
    "jazz": StyleTemplate(
        (90, 180), 0.33, ("dorian", "major", "mixolydian"),
        ((1, 4, 0, 0), (1, 4, 0, 5), (2, 5, 1, 4)),
        {RIDE: "x...x.x.x...x.x.", PEDAL: "....x.......x...", KICK: "?.......?.......", SNARE: "......o.......o?"},
        "walking", "stabs", (32, 35, 33), (0, 26, 4, 11, 5), (65, 66, 56, 64, 0, 26, 73),
        lead_prob=0.9, lead_density=1.5, seventh_chords=True, brightness=(-0.4, 0.2)),
    "metal": StyleTemplate(
        (100, 190), 0.0, ("minor", "phrygian"),
        ((0, 0, 5, 6), (0, 1, 0, 5), (0, 5, 3, 4)),
        {KICK: "x.x.x.x.x.x.x.x.", SNARE: "....x.......x...", CRASH: "x.......x.......", HAT: "x.x.x.x.x.x.x.x."},
        "eighths", "power", (33, 34, 38), (30, 29, 30), (30, 29, 81, 19),
        lead_prob=0.5, lead_density=2.0, drive=(0.4, 0.9), brightness=(0.1, 0.6)),
    "pop": StyleTemplate(
        (90, 130), 0.0, ("major", "minor"),
        ((0, 4, 5, 3), (5, 3, 0, 4), (0, 5, 3, 4)),
        {KICK: "x.......x.x.....", CLAP: "....x.......x...", HAT: "x.x.x.x.x.x.x.x.", TAMB: "....x.......x..."},
        "eighths", "block", (33, 38, 34, 36), (0, 4, 27, 90, 48, 5), (80, 0, 52, 73, 11, 81),
        lead_prob=0.85, lead_density=1.2, brightness=(0.0, 0.5)),
    "reggae": StyleTemplate(
        (65, 95), 0.15, ("major", "minor", "dorian"),
        ((0, 3, 0, 4), (0, 0, 3, 3), (0, 5, 3, 4)),
        {KICK: "........x.......", SIDE: "........x.......", HAT: "x.x.x.x.x.x.x.x.", SHAKER: "..x...x...x...x."},
        "offbeat", "skank", (33, 32, 35), (16, 17, 27, 28, 4), (16, 56, 65, 22, 27),
        lead_prob=0.6, brightness=(-0.3, 0.2)),
    "rock": StyleTemplate(
        (100, 150), 0.0, ("major", "mixolydian", "minor"),
        ((0, 3, 4, 3), (0, 6, 3, 0), (0, 4, 5, 3)),
        {KICK: "x.......x.x.....", SNARE: "....x.......x...", HAT: "x.x.x.x.x.x.x.x.", CRASH: "x..............."},
        "eighths", "power", (33, 34), (29, 27, 30, 25, 18), (29, 30, 18, 27, 65),
        lead_prob=0.7, lead_density=1.5, drive=(0.2, 0.6), brightness=(0.0, 0.5)),
}


# --------------------------------------------------------------------- composition
def _chord(scale: tuple[int, ...], degree: int, root: int, seventh: bool) -> list[int]:
    """Pitches (semitones above ``root``) of the triad/seventh on a scale degree."""
    n = len(scale)
    steps = (0, 2, 4, 6) if seventh else (0, 2, 4)
    return [scale[(degree + s) % n] + 12 * ((degree + s) // n) + root for s in steps]


def _fit(pitch: int, low: int, high: int) -> int:
    """Move a pitch by octaves into [low, high]."""
    while pitch < low:
        pitch += 12
    while pitch > high:
        pitch -= 12
    return pitch


def _bass_notes(kind: str, chord: list[int], scale_notes: list[int], rng) -> list[tuple[float, float, int]]:
    """(beat offset, length in beats, pitch) of one bar of bass."""
    root = _fit(chord[0], 28, 45)
    fifth = _fit(chord[2] if len(chord) > 2 else chord[0] + 7, 31, 50)
    if kind == "walking":
        pool = [p for p in scale_notes if 28 <= p <= 50]
        notes, cur = [], root
        for b in range(4):
            notes.append((b, 0.9, cur))
            cur = int(rng.choice([p for p in pool if 0 < abs(p - cur) <= 4] or [root]))
        return notes
    if kind == "root_fifth":
        return [(0, 0.9, root), (1, 0.5, fifth - 12 if fifth - 12 >= 28 else fifth), (2, 0.9, fifth), (3, 0.5, root)]
    if kind == "eighths":
        return [(i / 2, 0.45, root if rng.random() > 0.1 else fifth) for i in range(8)]
    if kind == "octave":
        return [(i / 2, 0.4, root + 12 * (i % 2)) for i in range(8)]
    if kind == "offbeat":
        return [(0.5, 0.4, root), (1.0, 0.9, root), (2.5, 0.4, fifth), (3.0, 0.5, root)]
    if kind == "sub":
        return [(0, 1.4, root), (1.75, 0.5, root), (2.5, 1.2, root if rng.random() > 0.3 else fifth)]
    return [(0, 3.9, root)]  # sustain


def _comp_notes(kind: str, chord: list[int], rng) -> list[tuple[float, float, list[int]]]:
    """(beat offset, length in beats, pitches) of one bar of comping."""
    voiced = [_fit(p, 48, 72) for p in chord]
    if kind == "block":
        return [(b, 0.8, voiced) for b in range(4)]
    if kind == "skank":
        return [(b + 0.5, 0.25, voiced) for b in range(4)]
    if kind == "pad":
        return [(0, 3.9, voiced)]
    if kind == "power":
        r = _fit(chord[0], 40, 55)
        return [(i / 2, 0.45, [r, r + 7, r + 12]) for i in range(8)]
    if kind == "arpeggio":
        order = sorted(voiced) + sorted(voiced)[1:-1][::-1]
        return [(i / 2, 0.5, [order[i % len(order)]]) for i in range(8)]
    # stabs: syncopated short chords
    hits = [0.0, 1.5, 2.5, 3.5] if rng.random() < 0.5 else [0.5, 1.5, 3.0]
    return [(h, 0.3, voiced) for h in hits]


def _compose(style: str, index: int, duration: float, seed: int, safe: bool = False):
    """Compose one clip: returns a symusic Score (seconds) and the production settings."""
    import symusic

    tpl = STYLE_TEMPLATES[style]
    rng = np.random.default_rng([seed, GTZAN_GENRES.index(style), index])
    bpm = rng.uniform(*tpl.tempo)
    beat = 60.0 / bpm
    key = int(rng.integers(0, 12))
    scale = SCALES[tpl.scales[rng.integers(len(tpl.scales))]]
    prog = tpl.progressions[rng.integers(len(tpl.progressions))]
    scale_notes = [key + 12 * o + s for o in range(1, 8) for s in scale]
    swing = tpl.swing * rng.uniform(0.6, 1.2)

    def t_of(bar: int, beats: float) -> float:
        frac = beats % 1.0
        if abs(frac - 0.5) < 1e-9:
            beats += swing * 0.5
        return (bar * 4 + beats) * beat + rng.normal(0, 0.008)  # humanised timing

    def pick(pool):
        if rng.random() < CROSSOVER:  # borrow from another style, as real genres do
            other = STYLE_TEMPLATES[GTZAN_GENRES[rng.integers(len(GTZAN_GENRES))]]
            pool = {id(tpl.bass_programs): other.bass_programs, id(tpl.comp_programs): other.comp_programs,
                    id(tpl.lead_programs): other.lead_programs}[id(pool)]
        program = int(rng.choice(pool))
        return 0 if (safe or program in EXCLUDED_PROGRAMS) else program

    score = symusic.Score(ttype="second")
    bass = symusic.Track(name="bass", program=pick(tpl.bass_programs) if not safe else 32, ttype="second")
    comp = symusic.Track(name="comp", program=pick(tpl.comp_programs), ttype="second")
    lead = symusic.Track(name="lead", program=pick(tpl.lead_programs), ttype="second")
    has_lead = rng.random() < tpl.lead_prob
    level = rng.uniform(0.75, 1.0)
    n_bars = int(np.ceil(duration / (4 * beat))) + 1
    pitch = _fit(scale_notes[len(scale_notes) // 2], 60, MAX_PITCH)
    for bar in range(n_bars):
        chord = _chord(scale, prog[bar % len(prog)], key, tpl.seventh_chords)
        for off, length, p in _bass_notes(tpl.bass, chord, scale_notes, rng):
            bass.notes.append(symusic.Note(max(0.0, t_of(bar, off)), length * beat, int(p),
                                           int(np.clip(95 * level + rng.normal(0, 6), 30, 127)), ttype="second"))
        for off, length, ps in _comp_notes(tpl.comp, chord, rng):
            for p in ps:
                comp.notes.append(symusic.Note(max(0.0, t_of(bar, off)), length * beat, int(min(p, MAX_PITCH)),
                                               int(np.clip(75 * level + rng.normal(0, 8), 25, 127)), ttype="second"))
        if has_lead:
            t_beats = 0.0
            while t_beats < 4:
                length = float(rng.choice([0.5, 1.0, 1.5, 2.0]) / tpl.lead_density)
                if rng.random() < 0.8:
                    step = int(rng.choice([-2, -1, -1, 0, 1, 1, 2, 3, -3]))
                    idx = int(np.clip(np.searchsorted(scale_notes, pitch) + step, 0, len(scale_notes) - 1))
                    pitch = _fit(scale_notes[idx], 60, MAX_PITCH)
                    lead.notes.append(symusic.Note(max(0.0, t_of(bar, t_beats)), length * beat * 0.95, int(pitch),
                                                   int(np.clip(90 * level + rng.normal(0, 8), 30, 127)), ttype="second"))
                t_beats += length
    score.tracks.extend([bass, comp] + ([lead] if has_lead else []))
    if tpl.drums and not safe:
        drums = symusic.Track(name="drums", program=0, is_drum=True, ttype="second")
        for bar in range(n_bars):
            for key_, pattern in tpl.drums.items():
                for step, ch in enumerate(pattern):
                    if ch == "." or (ch == "?" and rng.random() < 0.5):
                        continue
                    vel = (100 if ch == "x" else 60) * level + rng.normal(0, 10)
                    drums.notes.append(symusic.Note(max(0.0, t_of(bar, step / 4)), 0.1, key_,
                                                    int(np.clip(vel, 20, 127)), ttype="second"))
        score.tracks.append(drums)
    production = {
        "brightness": float(rng.uniform(*tpl.brightness) + rng.normal(0, 0.4)),
        "cutoff_hz": float(rng.uniform(2500, 10500)),
        "reverb_s": float(rng.uniform(0.1, 1.2)),
        "reverb_mix": float(rng.uniform(0.0, 0.4)),
        "drive": float(rng.uniform(*tpl.drive)),
        "noise_db": float(rng.uniform(-70, -40)),
        "peak_db": float(rng.uniform(-6, -1)),
        "noise_seed": int(rng.integers(2**31)),
    }
    return score, production


# ------------------------------------------------------------------------ audio
_SYNTH = None


def _synthesizer():
    global _SYNTH
    if _SYNTH is None:
        import pretty_midi
        import symusic

        sf2 = Path(pretty_midi.__file__).parent / "TimGM6mb.sf2"
        _SYNTH = symusic.Synthesizer(str(sf2), sample_rate=SR)
    return _SYNTH


def _produce(y: np.ndarray, p: dict) -> np.ndarray:
    """Tilt EQ, band limit, reverb, drive, noise and peak level."""
    rng = np.random.default_rng(p["noise_seed"])
    b, a = signal.butter(1, 1000, "highpass", fs=SR)
    y = y + p["brightness"] * signal.lfilter(b, a, y)
    b, a = signal.butter(2, p["cutoff_hz"], "lowpass", fs=SR)
    y = signal.lfilter(b, a, y)
    n_ir = int(p["reverb_s"] * SR)
    ir = rng.standard_normal(n_ir) * np.exp(-np.arange(n_ir) / (0.25 * n_ir))
    wet = signal.fftconvolve(y, ir / np.sqrt(np.sum(ir**2)), mode="full")[: len(y)]
    y = (1 - p["reverb_mix"]) * y + p["reverb_mix"] * wet
    if p["drive"] > 0:
        gain = 1 + 8 * p["drive"]
        y = np.tanh(gain * y / (np.max(np.abs(y)) + 1e-9)) / np.tanh(gain)
    rms = np.sqrt(np.mean(y**2)) + 1e-9
    y = y + rms * 10 ** (p["noise_db"] / 20) * rng.standard_normal(len(y))
    return (y / (np.max(np.abs(y)) + 1e-9) * 10 ** (p["peak_db"] / 20)).astype(np.float32)


def render_clip(style: str, index: int, duration: float = 30.0, seed: int = 0, safe: bool = False) -> np.ndarray:
    """Render one clip of a style as float32 mono audio at 22 050 Hz.

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
        Piano-only arrangement without drums (the fallback after a render time-out).

    Returns
    -------
    ndarray of shape (round(duration * 22050),)
    """
    if style not in STYLE_TEMPLATES:
        raise ValueError(f"unknown style {style!r}; choose from {', '.join(GTZAN_GENRES)}")
    score, production = _compose(style, index, duration, seed, safe=safe)
    audio = np.asarray(_synthesizer().render(score, stereo=False), dtype=np.float64)
    y = audio.reshape(-1) if audio.ndim == 1 else audio.mean(axis=0)
    y = np.nan_to_num(y, nan=0.0, posinf=0.0, neginf=0.0)
    n = int(round(duration * SR))
    y = np.pad(y[:n], (0, max(0, n - len(y))))
    return _produce(y, production)


def _write_clip(job: tuple[str, int, float, int, str, bool]) -> str:
    style, index, duration, seed, folder, safe = job
    y = render_clip(style, index, duration, seed, safe=safe)
    path = Path(folder) / style / f"{style}.{index:05d}.flac"
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, y, SR, format="FLAC", subtype="PCM_16")
    return str(path)


def _render_all(jobs: list, n_jobs: int, progress: bool) -> None:
    """Render every job in worker processes; a job that hangs is redone in the safe arrangement."""
    from tqdm.auto import tqdm

    n_jobs = (os.cpu_count() or 1) if n_jobs in (-1, 0, None) else max(1, n_jobs)
    ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else mp.get_context()
    bar = tqdm(total=len(jobs), desc="rendering corpus", unit="clip", disable=not progress, leave=False)
    pending = list(jobs)
    while pending:
        pool = ctx.Pool(n_jobs)
        try:
            handles = [(job, pool.apply_async(_write_clip, (job,))) for job in pending]
            pending = []
            for i, (job, handle) in enumerate(handles):
                try:
                    handle.get(timeout=RENDER_TIMEOUT_S)
                    bar.update(1)
                except mp.TimeoutError:
                    if job[5]:
                        raise RuntimeError(f"rendering {job[0]} #{job[1]} hangs even in the safe arrangement")
                    # restart the pool: redo this job safely, and the unfinished rest normally
                    pending = [(*job[:5], True)] + [j for j, h in handles[i + 1:]]
                    break
        finally:
            pool.terminate()
            pool.join()
    bar.close()


def generate_corpus(out_dir: str | os.PathLike[str], n_per_style: int = 20, duration: float = 30.0,
                    seed: int = 0, n_jobs: int = -1, progress: bool = True) -> list[Path]:
    """Write the stand-in corpus as ``<out_dir>/<style>/<style>.000NN.flac`` (atomically).

    A folder that already holds a complete corpus with the same arguments is
    returned as is. Generation happens in a temporary sibling folder that is
    renamed into place at the end, so an interrupted run never leaves a
    half-written corpus that looks complete.

    Returns
    -------
    list of Path
        The clip files, sorted.
    """
    out = Path(out_dir)
    manifest = {"generator_version": GENERATOR_VERSION, "n_per_style": int(n_per_style),
                "duration": float(duration), "seed": int(seed), "sample_rate": SR,
                "styles": list(GTZAN_GENRES), "soundfont": "TimGM6mb.sf2 (pretty_midi)"}
    existing = out / "manifest.json"
    if existing.exists():
        try:
            if json.loads(existing.read_text()) == manifest:
                return sorted(out.glob("*/*.flac"))
        except (OSError, ValueError):
            pass
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        jobs = [(style, i, float(duration), int(seed), str(tmp), False)
                for style in GTZAN_GENRES for i in range(n_per_style)]
        _render_all(jobs, n_jobs, progress)
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return sorted(out.glob("*/*.flac"))


def default_corpus_dir(n_per_style: int = 20, duration: float = 30.0, seed: int = 0, cache_dir=None) -> Path:
    """Where the default corpus with these arguments lives in the cache."""
    return (_cache_dir(cache_dir) / "corpus"
            / f"synth-v{GENERATOR_VERSION}-n{n_per_style}-d{duration:g}-s{seed}")


def ensure_default_corpus(n_per_style: int = 20, duration: float = 30.0, seed: int = 0, cache_dir=None,
                          n_jobs: int = -1, progress: bool = True) -> Path:
    """Generate the default corpus into the cache if needed; return its folder."""
    folder = default_corpus_dir(n_per_style, duration, seed, cache_dir)
    generate_corpus(folder, n_per_style, duration, seed, n_jobs=n_jobs, progress=progress)
    return folder


def style_table():
    """The templates as a DataFrame (one row per style) for the book."""
    import pandas as pd

    rows = []
    for name, t in STYLE_TEMPLATES.items():
        d = asdict(t)
        rows.append({"style": name, "tempo (BPM)": f"{t.tempo[0]:g}-{t.tempo[1]:g}", "swing": t.swing,
                     "drums": "none" if not t.drums else len(t.drums), "bass": t.bass, "comping": t.comp,
                     "bass programs": d["bass_programs"], "comping programs": d["comp_programs"],
                     "lead programs": d["lead_programs"], "drive": t.drive[1]})
    return pd.DataFrame(rows).set_index("style")
