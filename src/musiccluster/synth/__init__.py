"""The embedded default corpus: a GTZAN-shaped synthetic stand-in.

Chapter *Data and augmentation* narrates this package.

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

Everything is deterministic: the same arguments give byte-identical files
whatever the number of workers or the order they take the clips in (on Linux
with glibc; see :func:`freed_memory_is_defined`).

The package, in the order a clip is made:

- :mod:`~musiccluster.synth.styles`: the ten style templates (data);
- :mod:`~musiccluster.synth.compose`: a template and a seed to a MIDI score
  and production settings, kept clear of symusic's traps;
- :mod:`~musiccluster.synth.render`: the score to audio (symusic, the guard
  against its stray reads, the production);
- :mod:`~musiccluster.synth.build`: the corpus on disk (worker pool with a
  time limit, atomic folder, manifest, the cache's default corpus).
"""

from __future__ import annotations

from .build import GENERATOR_VERSION, default_corpus_dir, ensure_default_corpus, generate_corpus
from .render import freed_memory_is_defined, render_clip
from .styles import STYLE_TEMPLATES, StyleTemplate, style_table

# The rest of what the single module ``synth.py`` once held, reachable here as before.
from .build import RENDER_TIMEOUT_S, STALE_TEMPORARY_S  # noqa: F401
from .compose import (  # noqa: F401
    CROSSOVER, EXCLUDED_PROGRAMS, HIGH_PITCH_HANG_PROGRAMS, MAX_PITCH, PEAK_DBFS, PHRASE_BARS, SAFE_PROGRAMS,
)
from .render import soundfont_path  # noqa: F401
from .styles import (  # noqa: F401
    CLAP, COWBELL, CRASH, HAT, KICK, OPEN, PEDAL, RIDE, SCALES, SHAKER, SIDE, SNARE, TAMB, TOM_HIGH, TOM_LOW,
    TOM_MID,
)

__all__ = [
    "GENERATOR_VERSION", "STYLE_TEMPLATES", "StyleTemplate", "default_corpus_dir",
    "ensure_default_corpus", "freed_memory_is_defined", "generate_corpus", "render_clip", "style_table",
]
