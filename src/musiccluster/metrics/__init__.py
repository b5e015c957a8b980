"""The metrics stage: how good a clustering is.

* :mod:`.internal`: silhouette, Calinski-Harabasz, Davies-Bouldin (the paper's Table 1);
* :mod:`.external`: agreement with the labels (ARI, AMI, NMI, V-measure, purity, accuracy);
* :mod:`.geometry`: the shape of an embedding (active units, effective dimensions).
"""

from .external import EXTERNAL_METRICS, external_scores
from .geometry import active_units, effective_dimensions
from .internal import internal_scores

__all__ = ["EXTERNAL_METRICS", "active_units", "effective_dimensions", "external_scores", "internal_scores"]
