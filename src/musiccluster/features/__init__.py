"""The features stage: segments of a clip -> 13 MFCC means + 13 variances each, z-scored.

* :mod:`.segments`: decoding a clip and cutting it into equal segments;
* :mod:`.mfcc`: the 26 statistics of one segment;
* :mod:`.extract`: every clip of a corpus, in parallel, cached, with a skip report;
* :mod:`.featureset`: the :class:`FeatureSet` that later stages read;
* :mod:`.kaggle`: Kaggle-style feature tables in and out;
* :mod:`.scaling`: z-scoring over the data.
"""

from .extract import clip_features, extract_features
from .featureset import META_COLUMNS, FeatureSet
from .kaggle import read_kaggle_csv, write_kaggle_csv
from .mfcc import feature_names, mfcc_stats
from .scaling import standardize
from .segments import SkipClip, load_audio, segment_bounds, split_segments

__all__ = ["META_COLUMNS", "FeatureSet", "SkipClip", "clip_features", "extract_features", "feature_names",
           "load_audio", "mfcc_stats", "read_kaggle_csv", "segment_bounds", "split_segments", "standardize",
           "write_kaggle_csv"]
