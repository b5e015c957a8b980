"""The random streams of the pipeline, each derived from the run's ``seed`` and named once here.

numpy streams are ``numpy.random.default_rng([seed, SALT])``: the salt keeps two uses of one seed
(a null draw and a bootstrap, say) independent. The values are those every recorded number was
computed with; changing one changes results, so they are fixed here and nowhere else.
"""

from __future__ import annotations

import numpy as np

#: What each salted numpy stream is for (salt -> purpose). Models, K-Means, PCA and the GMM take
#: ``seed`` itself (their own generators), as do the corpus clips (``[seed, style, index]``, see
#: :mod:`musiccluster.synth`).
STREAMS: dict[str, int] = {
    "gaussian_null": 7,       # the i.i.d. null's rows (evaluation.nulls.gaussian_null)
    "clip_null": 8,           # the clip null's centres and scatter (evaluation.nulls.clip_null)
    "shuffled_coherence": 11,  # the label permutation of the shuffled segment-coherence baseline
    "bootstrap": 2026,        # the clip and seed multiplicities of the evaluation's bootstrap
    "similarity_bootstrap": 15,  # the query-clip multiplicities of the similarity benchmark (metrics.similarity)
}


def rng(seed: int, stream: str) -> np.random.Generator:
    """The numpy generator of one named stream (:data:`STREAMS`) for ``seed``.

    Chapter: Evaluation (the nulls and the bootstrap).
    """
    return np.random.default_rng([int(seed), STREAMS[stream]])
