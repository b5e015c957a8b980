"""The embedded default corpus: a GTZAN-shaped synthetic stand-in.

Chapter *Data and augmentation* narrates this module.

GTZAN cannot be shipped or downloaded here, so with ``data_dir=None`` the
library *generates* a stand-in: ten styles named after the GTZAN genres, 30 s
mono clips at 22 050 Hz, laid out like GTZAN (``blues/blues.00007.flac``).

Each clip is composed from its style's :class:`StyleTemplate` (tempo range,
swing, drum grooves, a bass pattern, a comping pattern, chord progressions and
pools of General MIDI instruments that partly overlap other styles), arranged
in four-bar phrases that switch grooves, drop the melody or add drum fills,
humanised in timing and velocity, rendered through a real General MIDI
soundfont (``TimGM6mb.sf2``, shipped inside the ``pretty_midi`` wheel) by the
``symusic`` synthesiser, and finally given light "production" variation (tilt
EQ, band limits, reverb, drive, hiss, level). The styles are therefore neither
trivially separable nor noise: plain K-Means on whole-clip MFCC statistics
lands near its score on real GTZAN (see the tests and the book).

Everything is deterministic: clip ``i`` of style ``s`` draws only from
``numpy.random.default_rng([seed, s, i])`` and is rendered by a synthesiser
made for it alone (symusic's carries state from one render to the next), so
the same arguments give byte-identical files whatever the number of workers
or the order they take the clips in. (On Linux with glibc, that is: symusic
also reads one sample past an instrument sample's end on a few notes, and
only glibc can be told to make the memory it reads there hold a fixed value;
see :func:`freed_memory_is_defined`.) The corpus is written once as
16-bit FLAC into the cache folder (atomically: a temporary sibling folder is
renamed into place when complete) and read back through exactly the same code
path as a user's music folder.

Rendering safety: symusic 0.5.9 can hang on a few programs at very high pitches
(distortion guitars, trombone, French horn, calliope at MIDI pitch 93 and up)
and the whistle program can produce NaN samples. Melodic pitches are kept at or
below :data:`MAX_PITCH`, the programs in :data:`EXCLUDED_PROGRAMS` are never
used, a clip with non-finite samples is rendered again in a plain piano
arrangement, and each clip renders in a worker process with a time limit
(:data:`RENDER_TIMEOUT_S`); a clip whose rendering times out is rendered again
in that plain arrangement.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing as mp
import os
import shutil
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy import signal

from ._constants import GTZAN_GENRES, SR
from .cache import cache_dir as _cache_dir, source_fingerprint

__all__ = [
    "GENERATOR_VERSION", "STYLE_TEMPLATES", "StyleTemplate", "default_corpus_dir",
    "ensure_default_corpus", "freed_memory_is_defined", "generate_corpus", "render_clip", "style_table",
]

#: Bump whenever the audio produced for the same arguments changes (the corpus manifest also holds a
#: fingerprint of this module's source, so an edit without a bump still renders the corpus anew).
GENERATOR_VERSION = "3"
#: Highest MIDI pitch given to a melodic instrument (symusic 0.5.9 hangs on some at 93 and up).
MAX_PITCH = 84
#: Seconds one clip may take to render before it is rendered again in the plain arrangement.
RENDER_TIMEOUT_S = 60.0
#: Chance that a part borrows its instrument from another style's pool (style overlap).
CROSSOVER = 0.3
#: Programs never used: 78 (whistle) yields NaN samples in symusic 0.5.9.
EXCLUDED_PROGRAMS = frozenset({78})
#: Programs that hang symusic 0.5.9 at MIDI pitch >= 93; :data:`MAX_PITCH` keeps them safe.
HIGH_PITCH_HANG_PROGRAMS = frozenset({29, 30, 57, 60, 82})
#: Bars per phrase; the arrangement may change at every phrase boundary.
PHRASE_BARS = 4
#: Peak level range of a finished clip (dBFS).
PEAK_DBFS = (-3.0, -1.0)
#: Seconds a sibling temporary folder must be idle before a new run deletes it.
STALE_TEMPORARY_S = 3600.0

SCALES: dict[str, tuple[int, ...]] = {
    "major": (0, 2, 4, 5, 7, 9, 11),
    "minor": (0, 2, 3, 5, 7, 8, 10),
    "dorian": (0, 2, 3, 5, 7, 9, 10),
    "mixolydian": (0, 2, 4, 5, 7, 9, 10),
    "phrygian": (0, 1, 3, 5, 7, 8, 10),
}

# General MIDI percussion keys (channel 10)
KICK, SIDE, SNARE, CLAP, HAT, PEDAL, OPEN, CRASH, RIDE, TAMB, COWBELL, SHAKER = (
    36, 37, 38, 39, 42, 44, 46, 49, 51, 54, 56, 70)
TOM_LOW, TOM_MID, TOM_HIGH = 45, 47, 50


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
        Main groove: a 16-step pattern per GM drum key (``x`` hit, ``o`` soft
        hit, ``?`` hit half of the time); ``None`` for no drums.
    alt_drums : dict or None
        Second groove that some phrases switch to (ride instead of hats,
        double kick, ...).
    bass, comp : str
        Pattern names (see :func:`_bass_notes` and :func:`_comp_notes`).
    bass_programs, comp_programs, lead_programs : tuple of int
        General MIDI instrument pools (shared with other styles on purpose).
    lead_prob : float
        Chance that a phrase carries a melody line.
    lead_density : float
        Melody notes per beat, roughly.
    seventh_chords : bool
        Four-note chords (jazz, blues) instead of triads.
    fill_prob : float
        Chance that a phrase ends with a drum fill.
    drive : (float, float)
        Soft-clipping amount range (distorted styles).
    brightness : (float, float)
        Tilt-EQ gain range (negative darker, positive brighter).
    description : str
        One line for people.
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
    alt_drums: dict[int, str] | None = None
    lead_prob: float = 0.6
    lead_density: float = 1.0
    seventh_chords: bool = False
    fill_prob: float = 0.3
    drive: tuple[float, float] = (0.0, 0.0)
    brightness: tuple[float, float] = (-0.3, 0.3)
    description: str = field(default="", compare=False)


#: The ten style templates, keyed by GTZAN genre name (see :func:`style_table` for a table).
STYLE_TEMPLATES: dict[str, StyleTemplate] = {
    "blues": StyleTemplate(
        (70, 110), 0.33, ("mixolydian", "dorian"),
        ((0, 0, 0, 0, 3, 3, 0, 0, 4, 3, 0, 4), (0, 3, 0, 0, 3, 3, 0, 0, 4, 3, 0, 0)),
        {KICK: "x.......x.......", SNARE: "....x.......x...", HAT: "x.x.x.x.x.x.x.x."},
        "walking", "stabs", (32, 33, 34), (0, 4, 16, 26, 27), (22, 26, 27, 65, 66, 29),
        alt_drums={KICK: "x.......x.......", SNARE: "....x.......x...", RIDE: "x.x.x.x.x.x.x.x."},
        lead_prob=0.8, seventh_chords=True, fill_prob=0.3, drive=(0.0, 0.3),
        description="12-bar shuffle, walking bass, harmonica/guitar lead"),
    "classical": StyleTemplate(
        (60, 120), 0.0, ("major", "minor"),
        ((0, 3, 4, 0), (0, 5, 3, 4), (0, 4, 5, 2, 3, 0, 3, 4), (5, 3, 0, 4)),
        None, "sustain", "arpeggio", (42, 43, 32, 48), (0, 6, 46, 48, 49, 45),
        (40, 41, 68, 71, 73, 0, 60), lead_prob=0.85, lead_density=1.5, fill_prob=0.0,
        brightness=(-0.5, 0.1),
        description="no drums; strings, piano, harp and woodwinds, arpeggios"),
    "country": StyleTemplate(
        (90, 140), 0.05, ("major", "mixolydian"),
        ((0, 3, 4, 0), (0, 0, 3, 4), (0, 4, 0, 3)),
        {KICK: "x.......x.......", SNARE: "....x.......x...", HAT: "x.x.x.x.x.x.x.x.",
         SIDE: "..o...o...o...o."},
        "root_fifth", "block", (32, 33, 34), (24, 25, 27, 0, 105), (110, 25, 22, 21, 27),
        alt_drums={KICK: "x.......x.......", SIDE: "....x.......x...", SHAKER: "x.x.x.x.x.x.x.x."},
        lead_prob=0.75, lead_density=1.3, fill_prob=0.25,
        description="train beat, root-fifth bass, acoustic guitars, fiddle, banjo"),
    "disco": StyleTemplate(
        (110, 130), 0.0, ("minor", "dorian", "major"),
        ((0, 3, 4, 3), (0, 5, 3, 4), (1, 4, 0, 0)),
        {KICK: "x...x...x...x...", CLAP: "....x.......x...", HAT: "xxxxxxxxxxxxxxxx",
         OPEN: "..x...x...x...x."},
        "octave", "stabs", (33, 36, 38, 39), (28, 27, 4, 48, 61, 50), (48, 61, 56, 81, 4),
        alt_drums={KICK: "x...x...x...x...", CLAP: "....x.......x...", OPEN: "..x...x...x...x.",
                   TAMB: "x.x.x.x.x.x.x.x."},
        lead_prob=0.6, fill_prob=0.2, brightness=(0.0, 0.5),
        description="four-on-the-floor, 16th hats, octave bass, strings and brass stabs"),
    "hiphop": StyleTemplate(
        (75, 100), 0.2, ("minor", "dorian", "phrygian"),
        ((0, 0, 5, 4), (0, 3, 0, 3), (0, 5, 6, 4)),
        {KICK: "x......x..x.....", SNARE: "....x.......x...", HAT: "x.x.x.x.x?x.x.xx"},
        "sub", "pad", (38, 39, 33, 87), (4, 0, 89, 88, 11, 50), (80, 4, 11, 0, 52),
        alt_drums={KICK: "x.....x...x..x..", CLAP: "....x.......x...", HAT: "x.x.x.x.x.x.x.x."},
        lead_prob=0.5, lead_density=0.7, fill_prob=0.1, brightness=(-0.4, 0.2),
        description="slow boom-bap, heavy kick and sub bass, pads and keys"),
    "jazz": StyleTemplate(
        (90, 180), 0.33, ("dorian", "major", "mixolydian"),
        ((1, 4, 0, 0), (1, 4, 0, 5), (2, 5, 1, 4)),
        {RIDE: "x...x.x.x...x.x.", PEDAL: "....x.......x...", KICK: "?.......?.......",
         SNARE: "......o.......o?"},
        "walking", "stabs", (32, 35, 33), (0, 26, 4, 11, 5), (65, 66, 56, 64, 0, 26, 73),
        alt_drums={RIDE: "x...x.x.x...x.x.", PEDAL: "....x.......x...", SNARE: "o.?...o.?..o...."},
        lead_prob=0.9, lead_density=1.5, seventh_chords=True, fill_prob=0.2,
        brightness=(-0.4, 0.2),
        description="swing ride, walking bass, seventh chords, sax/trumpet/piano"),
    "metal": StyleTemplate(
        (100, 190), 0.0, ("minor", "phrygian"),
        ((0, 0, 5, 6), (0, 1, 0, 5), (0, 5, 3, 4)),
        {KICK: "x.x.x.x.x.x.x.x.", SNARE: "....x.......x...", CRASH: "x.......x.......",
         HAT: "x.x.x.x.x.x.x.x."},
        "eighths", "power", (33, 34, 38), (30, 29, 30), (30, 29, 81, 19),
        alt_drums={KICK: "xxxxxxxxxxxxxxxx", SNARE: "....x.......x...", CRASH: "x...x...x...x..."},
        lead_prob=0.5, lead_density=2.0, fill_prob=0.4, drive=(0.4, 0.9), brightness=(0.1, 0.6),
        description="fast, distorted power chords, double kick, crashes"),
    "pop": StyleTemplate(
        (90, 130), 0.0, ("major", "minor"),
        ((0, 4, 5, 3), (5, 3, 0, 4), (0, 5, 3, 4)),
        {KICK: "x.......x.x.....", CLAP: "....x.......x...", HAT: "x.x.x.x.x.x.x.x.",
         TAMB: "....x.......x..."},
        "eighths", "block", (33, 38, 34, 36), (0, 4, 27, 90, 48, 5), (80, 0, 52, 73, 11, 81),
        alt_drums={KICK: "x...x...x...x...", CLAP: "....x.......x...", HAT: "..x...x...x...x."},
        lead_prob=0.85, lead_density=1.2, fill_prob=0.25, brightness=(0.0, 0.5),
        description="I-V-vi-IV, straight 8ths, keys, synth lead and voices"),
    "reggae": StyleTemplate(
        (65, 95), 0.15, ("major", "minor", "dorian"),
        ((0, 3, 0, 4), (0, 0, 3, 3), (0, 5, 3, 4)),
        {KICK: "........x.......", SIDE: "........x.......", HAT: "x.x.x.x.x.x.x.x.",
         SHAKER: "..x...x...x...x."},
        "offbeat", "skank", (33, 32, 35), (16, 17, 27, 28, 4), (16, 56, 65, 22, 27),
        alt_drums={KICK: "x...x...x...x...", SIDE: "........x.......", HAT: "..x...x...x...x."},
        lead_prob=0.6, fill_prob=0.15, brightness=(-0.3, 0.2),
        description="one-drop, off-beat skank on organ/guitar, syncopated bass"),
    "rock": StyleTemplate(
        (100, 150), 0.0, ("major", "mixolydian", "minor"),
        ((0, 3, 4, 3), (0, 6, 3, 0), (0, 4, 5, 3)),
        {KICK: "x.......x.x.....", SNARE: "....x.......x...", HAT: "x.x.x.x.x.x.x.x.",
         CRASH: "x..............."},
        "eighths", "power", (33, 34), (29, 27, 30, 25, 18), (29, 30, 18, 27, 65),
        alt_drums={KICK: "x.......x.x.....", SNARE: "....x.......x...", RIDE: "x.x.x.x.x.x.x.x."},
        lead_prob=0.7, lead_density=1.5, fill_prob=0.35, drive=(0.2, 0.6), brightness=(0.0, 0.5),
        description="backbeat, overdriven power chords, 8th-note bass"),
}

#: The plain arrangement used when a clip cannot be rendered as composed.
SAFE_PROGRAMS = {"bass": 32, "comp": 0, "lead": 0}


# --------------------------------------------------------------------- composition
def _chord(scale: tuple[int, ...], degree: int, root: int, seventh: bool) -> list[int]:
    """Pitches of the triad (or seventh chord) on a scale degree above ``root``."""
    n = len(scale)
    steps = (0, 2, 4, 6) if seventh else (0, 2, 4)
    return [scale[(degree + s) % n] + 12 * ((degree + s) // n) + root for s in steps]


def _fit(pitch: int, low: int, high: int) -> int:
    """Move a pitch by octaves into ``[low, high]``."""
    while pitch < low:
        pitch += 12
    while pitch > high:
        pitch -= 12
    return pitch


def _bass_notes(kind: str, chord: list[int], scale_notes: list[int],
                rng: np.random.Generator) -> list[tuple[float, float, int]]:
    """``(beat offset, length in beats, pitch)`` of one bar of bass."""
    root = _fit(chord[0], 28, 45)
    fifth = _fit(chord[2], 31, 50)
    if kind == "walking":
        pool = [p for p in scale_notes if 28 <= p <= 50]
        notes, cur = [], root
        for b in range(4):
            notes.append((float(b), 0.9, cur))
            cur = int(rng.choice([p for p in pool if 0 < abs(p - cur) <= 4] or [root]))
        return notes
    if kind == "root_fifth":
        low_fifth = fifth - 12 if fifth - 12 >= 28 else fifth
        return [(0.0, 0.9, root), (1.0, 0.5, low_fifth), (2.0, 0.9, fifth), (3.0, 0.5, root)]
    if kind == "eighths":
        return [(i / 2, 0.45, root if rng.random() > 0.1 else fifth) for i in range(8)]
    if kind == "octave":
        return [(i / 2, 0.4, root + 12 * (i % 2)) for i in range(8)]
    if kind == "offbeat":
        return [(0.5, 0.4, root), (1.0, 0.9, root), (2.5, 0.4, fifth), (3.0, 0.5, root)]
    if kind == "sub":
        return [(0.0, 1.4, root), (1.75, 0.5, root), (2.5, 1.2, root if rng.random() > 0.3 else fifth)]
    return [(0.0, 3.9, root)]  # sustain


def _comp_notes(kind: str, chord: list[int], rng: np.random.Generator) -> list[tuple[float, float, list[int]]]:
    """``(beat offset, length in beats, pitches)`` of one bar of comping."""
    voiced = [_fit(p, 48, 72) for p in chord]
    if kind == "block":
        return [(float(b), 0.8, voiced) for b in range(4)]
    if kind == "skank":
        return [(b + 0.5, 0.25, voiced) for b in range(4)]
    if kind == "pad":
        return [(0.0, 3.9, voiced)]
    if kind == "power":
        r = _fit(chord[0], 40, 55)
        return [(i / 2, 0.45, [r, r + 7, r + 12]) for i in range(8)]
    if kind == "arpeggio":
        order = sorted(voiced) + sorted(voiced)[1:-1][::-1]
        return [(i / 2, 0.5, [order[i % len(order)]]) for i in range(8)]
    # stabs: syncopated short chords
    hits = [0.0, 1.5, 2.5, 3.5] if rng.random() < 0.5 else [0.5, 1.5, 3.0]
    return [(h, 0.3, voiced) for h in hits]


_FILL = {SNARE: "....o.o.x.x.....", TOM_HIGH: "............x...", TOM_MID: ".............x..",
         TOM_LOW: "..............xx"}


def _pick_program(role: str, tpl: StyleTemplate, rng: np.random.Generator, safe: bool) -> int:
    """A General MIDI program for ``role``, sometimes borrowed from another style."""
    if rng.random() < CROSSOVER:  # borrow from another style, as real genres do
        tpl = STYLE_TEMPLATES[GTZAN_GENRES[int(rng.integers(len(GTZAN_GENRES)))]]
    program = int(rng.choice(getattr(tpl, f"{role}_programs")))
    if safe or program in EXCLUDED_PROGRAMS:
        return SAFE_PROGRAMS[role]
    return program


def _compose(style: str, index: int, duration: float, seed: int, safe: bool = False):
    """Compose one clip.

    Returns a ``symusic.Score`` (time in seconds) and the production settings
    for :func:`_produce`. ``safe`` gives the plain arrangement (piano and
    acoustic bass, no drums) used when the composed one cannot be rendered.
    """
    import symusic

    tpl = STYLE_TEMPLATES[style]
    rng = np.random.default_rng([seed, GTZAN_GENRES.index(style), index])
    bpm = float(rng.uniform(*tpl.tempo))
    beat = 60.0 / bpm
    key = int(rng.integers(0, 12))
    scale = SCALES[tpl.scales[int(rng.integers(len(tpl.scales)))]]
    prog = tpl.progressions[int(rng.integers(len(tpl.progressions)))]
    scale_notes = [key + 12 * o + s for o in range(1, 8) for s in scale]
    swing = tpl.swing * float(rng.uniform(0.6, 1.2))
    timing_sd = float(rng.uniform(0.003, 0.015))  # how tight the "players" are
    level = float(rng.uniform(0.75, 1.0))

    def t_of(bar: int, beats: float) -> float:
        if abs(beats % 1.0 - 0.5) < 1e-9:
            beats += swing * 0.5
        return max(0.0, (bar * 4 + beats) * beat + float(rng.normal(0, timing_sd)))

    def note(t: float, length: float, pitch: int, velocity: float) -> symusic.Note:
        return symusic.Note(t, length, int(pitch), int(np.clip(velocity, 20, 127)), ttype="second")

    programs = {role: _pick_program(role, tpl, rng, safe) for role in ("bass", "comp", "lead")}
    tracks = {role: symusic.Track(name=role, program=p, ttype="second") for role, p in programs.items()}
    drums = symusic.Track(name="drums", program=0, is_drum=True, ttype="second")

    n_bars = int(np.ceil(duration / (4 * beat))) + 1
    pitch = _fit(scale_notes[len(scale_notes) // 2], 60, MAX_PITCH)
    for phrase_start in range(0, n_bars, PHRASE_BARS):
        # the arrangement of this phrase
        lead_on = rng.random() < tpl.lead_prob
        comp_on = rng.random() < 0.9
        dyn = level * float(rng.uniform(0.85, 1.1))
        groove = tpl.alt_drums if (tpl.alt_drums and rng.random() < 0.3) else tpl.drums
        fill = rng.random() < tpl.fill_prob
        for bar in range(phrase_start, min(phrase_start + PHRASE_BARS, n_bars)):
            chord = _chord(scale, prog[bar % len(prog)], key, tpl.seventh_chords)
            for off, length, p in _bass_notes(tpl.bass, chord, scale_notes, rng):
                tracks["bass"].notes.append(note(t_of(bar, off), length * beat, p,
                                                 95 * dyn + rng.normal(0, 6)))
            if comp_on:
                for off, length, ps in _comp_notes(tpl.comp, chord, rng):
                    t = t_of(bar, off)
                    for p in ps:
                        tracks["comp"].notes.append(note(t, length * beat, min(p, MAX_PITCH),
                                                         75 * dyn + rng.normal(0, 8)))
            if lead_on:
                t_beats = 0.0
                while t_beats < 4:
                    length = float(rng.choice([0.5, 1.0, 1.5, 2.0])) / tpl.lead_density
                    if rng.random() < 0.8:
                        step = int(rng.choice([-2, -1, -1, 0, 1, 1, 2, 3, -3]))
                        idx = int(np.clip(np.searchsorted(scale_notes, pitch) + step, 0, len(scale_notes) - 1))
                        pitch = _fit(scale_notes[idx], 60, MAX_PITCH)
                        tracks["lead"].notes.append(note(t_of(bar, t_beats), length * beat * 0.95, pitch,
                                                         90 * dyn + rng.normal(0, 8)))
                    t_beats += length
            if groove and not safe:
                last = bar == phrase_start + PHRASE_BARS - 1
                pattern = dict(groove)
                if fill and last:  # replace the second half of the bar by a fill
                    pattern = {k: v[:8] + "." * 8 for k, v in groove.items()}
                    pattern.update({k: "." * 8 + v[8:] for k, v in _FILL.items()})
                    pattern[KICK] = groove.get(KICK, "." * 16)[:8] + "x......."
                for key_, steps in pattern.items():
                    for step, ch in enumerate(steps):
                        if ch == "." or (ch == "?" and rng.random() < 0.5):
                            continue
                        vel = (100 if ch in "x?" else 60) * dyn + rng.normal(0, 10)
                        drums.notes.append(note(t_of(bar, step / 4), 0.1, key_, vel))
                if (fill and last) or (bar == 0 and rng.random() < 0.5):  # crash on the next downbeat
                    drums.notes.append(note(t_of(bar + 1, 0.0), 0.1, CRASH, 105 * dyn))

    score = symusic.Score(ttype="second")
    score.tracks.extend([t for t in tracks.values() if len(t.notes)])
    if len(drums.notes):
        score.tracks.append(drums)
    production = {
        "brightness": float(rng.uniform(*tpl.brightness) + rng.normal(0, 0.4)),
        "lowpass_hz": float(np.exp(rng.uniform(np.log(4500), np.log(10500)))) if rng.random() < 0.7 else None,
        "highpass_hz": float(rng.uniform(20, 120)),
        "reverb_s": float(rng.uniform(0.1, 1.2)),
        "reverb_mix": float(rng.uniform(0.0, 0.4)),
        "drive": float(rng.uniform(*tpl.drive)),
        "noise_db": float(rng.uniform(-70, -45)),
        "peak_db": float(rng.uniform(*PEAK_DBFS)),
        "noise_seed": int(rng.integers(2**31)),
    }
    return score, production


# ------------------------------------------------------------------------ audio
def soundfont_path() -> Path:
    """The General MIDI soundfont shipped inside the ``pretty_midi`` wheel."""
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

    This is the audio :func:`generate_corpus` writes (before 16-bit quantisation).

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


# ------------------------------------------------------------------ the corpus
def _clip_name(style: str, index: int) -> str:
    return f"{style}/{style}.{index:05d}.flac"


def _write_clip(job: tuple[str, int, float, int, str, bool]) -> str:
    style, index, duration, seed, folder, safe = job
    y = render_clip(style, index, duration, seed, safe=safe)
    path = Path(folder) / _clip_name(style, index)
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, y, SR, format="FLAC", subtype="PCM_16", compression_level=1.0)  # FLAC -8
    return str(path)


def _n_workers(n_jobs: int | None, n_tasks: int) -> int:
    if n_jobs is None or n_jobs == 0 or n_jobs < 0:
        try:
            cpus = len(os.sched_getaffinity(0))
        except AttributeError:  # not Linux
            cpus = os.cpu_count() or 1
        n = cpus if n_jobs in (None, 0, -1) else max(1, cpus + 1 + n_jobs)
    else:
        n = n_jobs
    return max(1, min(n, n_tasks))


def _render_all(jobs: list, n_jobs: int | None, progress: bool) -> None:
    """Render every job in worker processes; a job that hangs is redone in the plain arrangement."""
    from tqdm.auto import tqdm

    methods = mp.get_all_start_methods()
    ctx = mp.get_context("fork" if "fork" in methods else None)
    bar = tqdm(total=len(jobs), desc="rendering corpus", unit="clip", disable=not progress, leave=False)
    pending = list(jobs)
    try:
        while pending:
            pool = ctx.Pool(_n_workers(n_jobs, len(pending)))
            try:
                handles = [(job, pool.apply_async(_write_clip, (job,))) for job in pending]
                pending = []
                for i, (job, handle) in enumerate(handles):
                    try:
                        handle.get(timeout=RENDER_TIMEOUT_S)
                        bar.update(1)
                    except mp.TimeoutError:
                        if job[5]:
                            raise RuntimeError(
                                f"rendering {_clip_name(job[0], job[1])} hangs even in the plain arrangement"
                            ) from None
                        warnings.warn(
                            f"rendering {_clip_name(job[0], job[1])} took over {RENDER_TIMEOUT_S:g} s; it is "
                            "written in the plain arrangement instead, so this corpus differs from one "
                            "rendered where it did not time out", RuntimeWarning, stacklevel=2)
                        # a new pool: this job in the plain arrangement, the unfinished rest as composed
                        pending = [(*job[:5], True)] + [j for j, h in handles[i + 1:]]
                        break
            finally:
                pool.terminate()
                pool.join()
    finally:
        bar.close()


def _manifest(n_per_style: int, duration: float, seed: int) -> dict:
    import symusic

    sf2 = soundfont_path()
    return {
        "generator": "musiccluster.synth",
        "generator_version": GENERATOR_VERSION,
        # an edited generator renders the corpus anew (the book never shows numbers of an older corpus)
        "generator_source": source_fingerprint("synth.py", "_constants.py"),
        "n_per_style": int(n_per_style),
        "duration": float(duration),
        "seed": int(seed),
        "sample_rate": SR,
        "format": "FLAC PCM_16 mono",
        "styles": list(GTZAN_GENRES),
        "soundfont": {"file": sf2.name, "bytes": sf2.stat().st_size},
        "synthesizer": f"symusic {getattr(symusic, '__version__', '?')}",
        # False off glibc: symusic's stray reads unguarded, a few clips may differ (_defined_freed_memory)
        "stray_reads_guarded": freed_memory_is_defined(),
    }


def _expected_paths(folder: Path, n_per_style: int) -> list[Path]:
    return sorted(folder / _clip_name(style, i) for style in GTZAN_GENRES for i in range(n_per_style))


def _read_manifest(folder: Path) -> dict | None:
    try:
        return json.loads((folder / "manifest.json").read_text())
    except (OSError, ValueError):
        return None


def _is_complete(folder: Path, manifest: dict) -> bool:
    if _read_manifest(folder) != manifest:
        return False
    return all(p.is_file() for p in _expected_paths(folder, manifest["n_per_style"]))


def _sweep_stale_siblings(out: Path) -> None:
    """Delete temporary folders of killed earlier runs (only idle ones: a live run may own a new one)."""
    cutoff = time.time() - STALE_TEMPORARY_S
    for tmp in out.parent.glob(f".{out.name}.*.partial"):
        try:
            if tmp.is_dir() and tmp.stat().st_mtime < cutoff:
                shutil.rmtree(tmp, ignore_errors=True)
        except OSError:
            pass


def generate_corpus(out_dir: str | os.PathLike[str], n_per_style: int = 20, duration: float = 30.0,
                    seed: int = 0, n_jobs: int = -1, progress: bool = True) -> list[Path]:
    """Write the stand-in corpus as ``<out_dir>/<style>/<style>.000NN.flac``.

    Parameters
    ----------
    out_dir : path-like
        Folder of the corpus. If it already holds a complete corpus generated
        with the same arguments (and generator version), nothing is rendered.
        An existing folder that is not a corpus from this generator is never
        overwritten.
    n_per_style : int
        Clips per style (GTZAN has 100).
    duration : float
        Seconds per clip (GTZAN: 30).
    seed : int
        Corpus seed; the same arguments always give byte-identical files.
    n_jobs : int
        Worker processes (-1: one per available core). The files do not
        depend on it.
    progress : bool
        Show a tqdm progress bar.

    Returns
    -------
    list of Path
        The clip files, sorted.

    Raises
    ------
    ValueError
        For a non-positive ``n_per_style`` or ``duration``.
    FileExistsError
        If ``out_dir`` exists, is not empty and is not a corpus written by
        this generator.

    Notes
    -----
    Clips render in a temporary sibling folder (``.<name>.*.partial``) that is
    renamed to ``out_dir`` only when every clip and ``manifest.json`` are
    written, so an interrupted run never leaves a half corpus that looks
    complete. Each clip renders in a worker process with a time limit of
    :data:`RENDER_TIMEOUT_S` seconds; a clip that exceeds it is rendered
    again in the plain arrangement (see :func:`render_clip`).
    """
    if int(n_per_style) != n_per_style or n_per_style < 1:
        raise ValueError(f"n_per_style must be a positive integer, got {n_per_style!r}")
    if not duration > 0:
        raise ValueError(f"duration must be positive, got {duration!r}")
    out = Path(out_dir).expanduser()
    manifest = _manifest(int(n_per_style), duration, seed)
    if _is_complete(out, manifest):
        return _expected_paths(out, int(n_per_style))
    if out.exists() and any(out.iterdir()):
        old = _read_manifest(out)
        if not (isinstance(old, dict) and old.get("generator") in ("musiccluster.synth", None)
                and "generator_version" in old):
            raise FileExistsError(f"{out} exists and is not a corpus written by musiccluster.synth; "
                                  "choose another folder")
    out.parent.mkdir(parents=True, exist_ok=True)
    _sweep_stale_siblings(out)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent))
    try:
        os.chmod(tmp, 0o755)  # mkdtemp's 0700 would become the corpus folder's mode
        jobs = [(style, i, float(duration), int(seed), str(tmp), False)
                for style in GTZAN_GENRES for i in range(int(n_per_style))]
        _render_all(jobs, n_jobs, progress)
        missing = [p for p in _expected_paths(tmp, int(n_per_style)) if not p.is_file()]
        if missing:
            raise RuntimeError(f"{len(missing)} clips were not written, e.g. {missing[0].name}")
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
        if _is_complete(out, manifest):  # another process finished the same corpus meanwhile
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            if out.exists():  # an older or incomplete corpus: move it aside, then swap
                trash = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent))
                os.replace(out, trash / "old")
                shutil.rmtree(trash, ignore_errors=True)
            try:
                os.replace(tmp, out)
            except OSError:
                if not _is_complete(out, manifest):  # lost a race to a complete corpus: fine
                    raise
                shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return _expected_paths(out, int(n_per_style))


def default_corpus_dir(n_per_style: int = 20, duration: float = 30.0, seed: int = 0,
                       cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """Folder of the default corpus with these arguments in the cache.

    ``<cache>/corpus/synth-v<GENERATOR_VERSION>-n<n_per_style>-d<duration>-s<seed>``,
    where ``<cache>`` is :func:`musiccluster.cache.cache_dir`.
    """
    return (_cache_dir(cache_dir) / "corpus"
            / f"synth-v{GENERATOR_VERSION}-n{n_per_style}-d{duration:g}-s{seed}")


def ensure_default_corpus(n_per_style: int = 20, duration: float = 30.0, seed: int = 0,
                          cache_dir: str | os.PathLike[str] | None = None, n_jobs: int = -1,
                          progress: bool = True) -> Path:
    """Generate the default corpus into the cache if it is not there yet; return its folder.

    Parameters are those of :func:`generate_corpus` and :func:`default_corpus_dir`.
    """
    folder = default_corpus_dir(n_per_style, duration, seed, cache_dir)
    generate_corpus(folder, n_per_style, duration, seed, n_jobs=n_jobs, progress=progress)
    return folder


def style_table():
    """The templates as a DataFrame, one row per style (for the book)."""
    import pandas as pd

    def drum_names(groove):
        names = {KICK: "kick", SIDE: "rim", SNARE: "snare", CLAP: "clap", HAT: "hat", PEDAL: "pedal hat",
                 OPEN: "open hat", CRASH: "crash", RIDE: "ride", TAMB: "tambourine", COWBELL: "cowbell",
                 SHAKER: "shaker"}
        return ", ".join(names.get(k, str(k)) for k in groove) if groove else "none"

    rows = []
    for name, t in STYLE_TEMPLATES.items():
        rows.append({"style": name, "tempo (BPM)": f"{t.tempo[0]:g}-{t.tempo[1]:g}", "swing": t.swing,
                     "drums": drum_names(t.drums), "bass": t.bass, "comping": t.comp,
                     "bass programs": t.bass_programs, "comping programs": t.comp_programs,
                     "lead programs": t.lead_programs, "drive": t.drive[1], "character": t.description})
    return pd.DataFrame(rows).set_index("style")
