"""Constants shared by every stage of the pipeline.

The values follow the paper and librosa's defaults, which reproduce the public
Kaggle GTZAN feature tables.
"""

from __future__ import annotations

#: The ten GTZAN genres, in the dataset's alphabetical order.
GTZAN_GENRES: tuple[str, ...] = (
    "blues",
    "classical",
    "country",
    "disco",
    "hiphop",
    "jazz",
    "metal",
    "pop",
    "reggae",
    "rock",
)

#: Sample rate used everywhere (librosa's default; GTZAN's native rate).
SR: int = 22050
#: STFT size and hop of librosa's MFCC defaults.
N_FFT: int = 2048
HOP_LENGTH: int = 512
N_MELS: int = 128

#: Audio file extensions the corpus reader looks for (lower case, with dot).
AUDIO_EXTENSIONS: tuple[str, ...] = (
    ".wav", ".au", ".flac", ".ogg", ".mp3", ".aiff", ".aif", ".m4a", ".opus",
)
