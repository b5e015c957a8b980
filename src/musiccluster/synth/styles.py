"""The ten style templates of the stand-in corpus: what makes a clip blues, metal or reggae.

Each GTZAN genre name maps to a :class:`StyleTemplate` (tempo range, swing,
drum grooves, a bass pattern, a comping pattern, chord progressions and pools
of General MIDI instruments that partly overlap other styles). This module is
data only; :mod:`musiccluster.synth.compose` turns a template into a score.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["SCALES", "STYLE_TEMPLATES", "StyleTemplate", "style_table"]

#: The modes a template may draw from, as semitones above the key.
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

    Chapter: Data and augmentation

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
        Pattern names (see :func:`musiccluster.synth.compose._bass_notes` and
        :func:`musiccluster.synth.compose._comp_notes`).
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


def style_table():
    """The templates as a DataFrame, one row per style (for the book).

    Chapter: Data and augmentation
    """
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
