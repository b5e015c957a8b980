"""What the evaluation measures: methods, metrics and :class:`EvalConfig` (chapter *Evaluation*).

Plain Python (no numpy), so the command-line parser can import it without the numerical stack.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from numbers import Integral
from typing import Any

from ..errors import ParameterError
from ..params import LOSS_REDUCTIONS

#: Methods compared, key -> display name.
METHODS: dict[str, str] = {
    "vae": "VAE + K-Means",
    "pca": "PCA + K-Means",
    "ae": "AE + K-Means",
    "kmeans": "K-Means (all features)",
    "gmm": "GMM (all features)",
}
#: Methods that cluster an embedding of their own (the others cluster the standardised features).
EMBEDDERS: tuple[str, ...] = ("vae", "pca", "ae")
#: Methods drawn in the k sweep.
K_SWEEP_METHODS: tuple[str, ...] = ("vae", "pca", "kmeans")
#: A sweep setting "reproduces" the paper when its mean silhouettes are this close to the paper's.
PAPER_TOLERANCE = 0.02
#: Metrics of the k sweep (data; the null gets the internal ones), in panel order.
K_SWEEP_METRICS: tuple[str, ...] = ("silhouette_own", "silhouette_common", "calinski_harabasz_own",
                                    "calinski_harabasz_common", "ari", "ami", "nmi", "v_measure", "purity",
                                    "accuracy")
#: Metrics of the loss_reduction x beta sweep.
SWEEP_METRICS: tuple[str, ...] = ("silhouette_own", "silhouette_common", "ari", "nmi", "accuracy",
                                  "active_units", "effective_dims", "kl_total")


@dataclass(frozen=True)
class EvalConfig:
    """What :func:`~musiccluster.evaluation.evaluate` measures, beyond the experiment's
    :class:`~musiccluster.params.Params`.

    Chapter: Evaluation

    Attributes
    ----------
    n_seeds : int
        Seeds per method: ``params.seed``, ``params.seed + 1``, ...
    n_boot : int
        Bootstrap replicates (clips and seeds resampled).
    confidence : float
        Level of the percentile intervals.
    active_threshold : float
        A latent dimension is *active* when the variance of its means across
        the data exceeds this (Burda et al. 2016 use 0.01).
    ks : tuple of int, optional
        Numbers of clusters for the headline tables; default ``params.k`` and
        the number of labels (when the data has labels).
    k_sweep : tuple of int
        Numbers of clusters of the k sweep (empty: no k sweep).
    k_sweep_seeds : int, optional
        Seeds used in the k sweep (default: all ``n_seeds``).
    sweep_reductions, sweep_betas : tuples
        The ``loss_reduction`` x ``beta`` grid of the VAE sweep (empty: no sweep).
    sweep_seeds : int, optional
        Seeds per sweep setting (default: all ``n_seeds``).
    methods : tuple of str
        Methods to compare (keys of :data:`METHODS`; ``vae`` and ``pca`` always).
    null : bool
        Run the null calibration.
    clip_null : bool
        With ``null``, also run the clip null (at the headline ks; on
        clip-level tables it is the plain null and is not run again).
    """

    n_seeds: int = 10
    n_boot: int = 200
    confidence: float = 0.95
    active_threshold: float = 0.01
    ks: tuple[int, ...] | None = None
    k_sweep: tuple[int, ...] = tuple(range(2, 13))
    k_sweep_seeds: int | None = None
    sweep_reductions: tuple[str, ...] = LOSS_REDUCTIONS
    sweep_betas: tuple[float, ...] = (0.1, 0.3, 1.0, 3.0, 10.0)
    sweep_seeds: int | None = None
    methods: tuple[str, ...] = tuple(METHODS)
    null: bool = True
    clip_null: bool = True

    def __post_init__(self) -> None:
        for name in ("ks", "k_sweep", "sweep_reductions", "sweep_betas", "methods"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, tuple):
                object.__setattr__(self, name, tuple(value))
        self.validate()

    @property
    def k_range(self) -> tuple[int, int] | None:
        """Smallest and largest k of the k sweep; None when there is no sweep."""
        return (min(self.k_sweep), max(self.k_sweep)) if self.k_sweep else None

    def validate(self) -> None:
        """Raise :class:`ParameterError` naming the first invalid setting."""
        for name, low in (("n_seeds", 1), ("n_boot", 10)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ParameterError(name, f"must be an integer >= {low}, got {value!r}")
        for name in ("k_sweep_seeds", "sweep_seeds"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise ParameterError(name, f"must be a positive integer or None, got {value!r}")
        if not 0 < self.confidence < 1:
            raise ParameterError("confidence", f"must be in (0, 1), got {self.confidence!r}")
        if not self.active_threshold >= 0:
            raise ParameterError("active_threshold", f"must be >= 0, got {self.active_threshold!r}")
        for name in ("ks", "k_sweep"):
            for k in getattr(self, name) or ():
                if isinstance(k, bool) or not isinstance(k, Integral) or k < 2:
                    raise ParameterError(name, f"every k must be an integer >= 2, got {k!r}")
        bad = [r for r in self.sweep_reductions if r not in LOSS_REDUCTIONS]
        if bad:
            raise ParameterError("sweep_reductions", f"unknown loss_reduction {bad[0]!r} "
                                 f"(known: {', '.join(LOSS_REDUCTIONS)})")
        for b in self.sweep_betas:
            if isinstance(b, bool) or not isinstance(b, (int, float)) or not math.isfinite(b) or b < 0:
                raise ParameterError("sweep_betas", f"every beta must be a finite number >= 0, got {b!r}")
        bad = [m for m in self.methods if m not in METHODS]
        if bad:
            raise ParameterError("methods", f"unknown method {bad[0]!r} (known: {', '.join(METHODS)})")

    @property
    def method_list(self) -> list[str]:
        """Methods in :data:`METHODS` order, always including ``vae`` and ``pca``."""
        return [m for m in METHODS if m in self.methods or m in ("vae", "pca")]

    def to_dict(self) -> dict[str, Any]:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(self).items()}


def effective_beta(loss_reduction: str, beta: float, n_features: int, latent_dim: int, batch_size: int) -> float:
    """The KL weight of a (reduction, beta) setting in the units of the ``"sum"`` convention.

    Chapter: Evaluation

    Adam is (almost) invariant to the overall scale of the loss, so only the
    ratio of the KL weight to the reconstruction weight matters: ``"mean"``
    weighs the KL ``n_features / latent_dim`` times more than ``"sum"``, and
    ``"mse_mean_kl_sum"`` ``n_features * batch_size`` times more (see
    :func:`musiccluster.models.vae.vae_loss`).
    """
    factor = {"sum": 1.0, "mean": n_features / latent_dim, "mse_mean_kl_sum": float(n_features * batch_size)}
    return float(beta) * factor[loss_reduction]
