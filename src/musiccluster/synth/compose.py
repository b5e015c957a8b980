"""Composing one clip of the stand-in corpus: a style template and a seed in, a MIDI score out.

A clip is arranged in four-bar phrases that switch drum grooves, drop the
comping or the melody, or end in a drum fill, and humanised in timing and
velocity. The same call also draws the clip's "production" settings (tilt EQ,
band limits, reverb, drive, hiss, level), which
:func:`musiccluster.synth.render.render_clip` applies after synthesis.

Clip ``i`` of style ``s`` draws only from ``numpy.random.default_rng([seed, s, i])``,
in one fixed order: the clip's tempo, key and feel, its instruments, then
phrase by phrase and bar by bar the bass, comping, melody and drums, and last
the production. Every helper here takes that one generator and must keep
its draws in that order: the corpus is byte-identical from one version of
this code to the next unless :data:`musiccluster.synth.build.GENERATOR_VERSION`
says otherwise.

Rendering safety: symusic 0.5.9 can hang on a few programs at very high
pitches (:data:`HIGH_PITCH_HANG_PROGRAMS`) and the whistle program can produce
NaN samples. Melodic pitches are kept at or below :data:`MAX_PITCH`, and the
programs in :data:`EXCLUDED_PROGRAMS` are never used; ``safe=True`` gives the
plain arrangement (:data:`SAFE_PROGRAMS`, no drums) that replaces a clip
which cannot be rendered as composed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._constants import GTZAN_GENRES
from .styles import (
    CRASH, KICK, SCALES, SNARE, STYLE_TEMPLATES, TOM_HIGH, TOM_LOW, TOM_MID, StyleTemplate,
)

#: Highest MIDI pitch given to a melodic instrument (symusic 0.5.9 hangs on some at 93 and up).
MAX_PITCH = 84
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
#: The plain arrangement used when a clip cannot be rendered as composed.
SAFE_PROGRAMS = {"bass": 32, "comp": 0, "lead": 0}

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



@dataclass(frozen=True)
class _Feel:
    """What holds for a whole clip: its random stream, tempo, key, harmony and players."""

    tpl: StyleTemplate
    rng: np.random.Generator
    beat: float  # seconds per beat
    key: int
    scale: tuple[int, ...]
    prog: tuple[int, ...]
    scale_notes: list[int]
    swing: float
    timing_sd: float  # how tight the "players" are (seconds)
    level: float

    def t_of(self, bar: int, beats: float) -> float:
        """Onset in seconds of ``beats`` into ``bar``, swung and humanised (one draw)."""
        if abs(beats % 1.0 - 0.5) < 1e-9:
            beats += self.swing * 0.5
        return max(0.0, (bar * 4 + beats) * self.beat + float(self.rng.normal(0, self.timing_sd)))


@dataclass(frozen=True)
class _Phrase:
    """The arrangement of one phrase of :data:`PHRASE_BARS` bars."""

    start: int  # first bar
    lead_on: bool
    comp_on: bool
    dyn: float  # velocity scale
    groove: dict[int, str] | None
    fill: bool


def _note(t: float, length: float, pitch: int, velocity: float):
    """A ``symusic.Note`` in seconds, its velocity clipped to 20..127."""
    import symusic

    return symusic.Note(t, length, int(pitch), int(np.clip(velocity, 20, 127)), ttype="second")


def _draw_feel(tpl: StyleTemplate, rng: np.random.Generator) -> _Feel:
    """Tempo, key, scale, progression, swing, timing spread and level of one clip (in this order)."""
    bpm = float(rng.uniform(*tpl.tempo))
    beat = 60.0 / bpm
    key = int(rng.integers(0, 12))
    scale = SCALES[tpl.scales[int(rng.integers(len(tpl.scales)))]]
    prog = tpl.progressions[int(rng.integers(len(tpl.progressions)))]
    scale_notes = [key + 12 * o + s for o in range(1, 8) for s in scale]
    swing = tpl.swing * float(rng.uniform(0.6, 1.2))
    timing_sd = float(rng.uniform(0.003, 0.015))
    level = float(rng.uniform(0.75, 1.0))
    return _Feel(tpl, rng, beat, key, scale, prog, scale_notes, swing, timing_sd, level)


def _draw_phrase(feel: _Feel, start: int) -> _Phrase:
    """Whether the phrase starting at bar ``start`` has a melody, comping, the second groove, a fill."""
    tpl, rng = feel.tpl, feel.rng
    lead_on = rng.random() < tpl.lead_prob
    comp_on = rng.random() < 0.9
    dyn = feel.level * float(rng.uniform(0.85, 1.1))
    groove = tpl.alt_drums if (tpl.alt_drums and rng.random() < 0.3) else tpl.drums
    fill = rng.random() < tpl.fill_prob
    return _Phrase(start, lead_on, comp_on, dyn, groove, fill)


def _bass_bar(feel: _Feel, phrase: _Phrase, bar: int, chord: list[int], track) -> None:
    """Append one bar of bass to ``track``."""
    rng = feel.rng
    for off, length, p in _bass_notes(feel.tpl.bass, chord, feel.scale_notes, rng):
        track.notes.append(_note(feel.t_of(bar, off), length * feel.beat, p, 95 * phrase.dyn + rng.normal(0, 6)))


def _comp_bar(feel: _Feel, phrase: _Phrase, bar: int, chord: list[int], track) -> None:
    """Append one bar of comping to ``track``."""
    rng = feel.rng
    for off, length, ps in _comp_notes(feel.tpl.comp, chord, rng):
        t = feel.t_of(bar, off)
        for p in ps:
            track.notes.append(_note(t, length * feel.beat, min(p, MAX_PITCH), 75 * phrase.dyn + rng.normal(0, 8)))


def _lead_bar(feel: _Feel, phrase: _Phrase, bar: int, pitch: int, track) -> int:
    """Append one bar of melody to ``track``, a random walk on the scale from ``pitch``; return where it ends."""
    rng, scale_notes = feel.rng, feel.scale_notes
    t_beats = 0.0
    while t_beats < 4:
        length = float(rng.choice([0.5, 1.0, 1.5, 2.0])) / feel.tpl.lead_density
        if rng.random() < 0.8:
            step = int(rng.choice([-2, -1, -1, 0, 1, 1, 2, 3, -3]))
            idx = int(np.clip(np.searchsorted(scale_notes, pitch) + step, 0, len(scale_notes) - 1))
            pitch = _fit(scale_notes[idx], 60, MAX_PITCH)
            track.notes.append(_note(feel.t_of(bar, t_beats), length * feel.beat * 0.95, pitch,
                                     90 * phrase.dyn + rng.normal(0, 8)))
        t_beats += length
    return pitch


def _drum_bar(feel: _Feel, phrase: _Phrase, bar: int, track) -> None:
    """Append one bar of the phrase's groove to ``track``; the phrase's last bar may end in a fill."""
    rng, groove, dyn = feel.rng, phrase.groove, phrase.dyn
    last = bar == phrase.start + PHRASE_BARS - 1
    pattern = dict(groove)
    if phrase.fill and last:  # replace the second half of the bar by a fill
        pattern = {k: v[:8] + "." * 8 for k, v in groove.items()}
        pattern.update({k: "." * 8 + v[8:] for k, v in _FILL.items()})
        pattern[KICK] = groove.get(KICK, "." * 16)[:8] + "x......."
    for key_, steps in pattern.items():
        for step, ch in enumerate(steps):
            if ch == "." or (ch == "?" and rng.random() < 0.5):
                continue
            vel = (100 if ch in "x?" else 60) * dyn + rng.normal(0, 10)
            track.notes.append(_note(feel.t_of(bar, step / 4), 0.1, key_, vel))
    if (phrase.fill and last) or (bar == 0 and rng.random() < 0.5):  # crash on the next downbeat
        track.notes.append(_note(feel.t_of(bar + 1, 0.0), 0.1, CRASH, 105 * dyn))


def _draw_production(tpl: StyleTemplate, rng: np.random.Generator) -> dict:
    """The production settings of one clip, for :func:`musiccluster.synth.render._produce`."""
    return {
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


def _compose(style: str, index: int, duration: float, seed: int, safe: bool = False):
    """Compose one clip.

    Returns a ``symusic.Score`` (time in seconds) and the production settings
    for :func:`musiccluster.synth.render._produce`. ``safe`` gives the plain
    arrangement (piano and acoustic bass, no drums) used when the composed
    one cannot be rendered.
    """
    import symusic

    tpl = STYLE_TEMPLATES[style]
    rng = np.random.default_rng([seed, GTZAN_GENRES.index(style), index])
    feel = _draw_feel(tpl, rng)
    programs = {role: _pick_program(role, tpl, rng, safe) for role in ("bass", "comp", "lead")}
    tracks = {role: symusic.Track(name=role, program=p, ttype="second") for role, p in programs.items()}
    drums = symusic.Track(name="drums", program=0, is_drum=True, ttype="second")

    n_bars = int(np.ceil(duration / (4 * feel.beat))) + 1
    pitch = _fit(feel.scale_notes[len(feel.scale_notes) // 2], 60, MAX_PITCH)
    for phrase_start in range(0, n_bars, PHRASE_BARS):
        phrase = _draw_phrase(feel, phrase_start)
        for bar in range(phrase_start, min(phrase_start + PHRASE_BARS, n_bars)):
            chord = _chord(feel.scale, feel.prog[bar % len(feel.prog)], feel.key, tpl.seventh_chords)
            _bass_bar(feel, phrase, bar, chord, tracks["bass"])
            if phrase.comp_on:
                _comp_bar(feel, phrase, bar, chord, tracks["comp"])
            if phrase.lead_on:
                pitch = _lead_bar(feel, phrase, bar, pitch, tracks["lead"])
            if phrase.groove and not safe:
                _drum_bar(feel, phrase, bar, drums)

    score = symusic.Score(ttype="second")
    score.tracks.extend([t for t in tracks.values() if len(t.notes)])
    if len(drums.notes):
        score.tracks.append(drums)
    return score, _draw_production(tpl, rng)
