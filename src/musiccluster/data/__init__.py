"""The corpus stage: which clips there are (:mod:`.corpus`) and which to leave out (:mod:`.exclude`).

The embedded stand-in corpus itself is rendered by :mod:`musiccluster.synth`.
"""

from .corpus import Clip, default_corpus_clips, find_clips
from .exclude import ExcludeList, read_exclude_list

__all__ = ["Clip", "ExcludeList", "default_corpus_clips", "find_clips", "read_exclude_list"]
