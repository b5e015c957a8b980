"""What the evaluation measured: :class:`EvaluationResult` (chapter *Evaluation*).

The result keeps the JSON-able record (:meth:`EvaluationResult.to_record`, written by
``musiccluster evaluate --json``) and reads it through the typed views of :mod:`.views`.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from ..userfiles import write_user_file
from ..params import Params
from .config import EvalConfig
from .views import RecordView

if TYPE_CHECKING:
    import pandas as pd

    from .findings import Findings


@dataclass
class EvaluationResult(RecordView):
    """Everything :func:`~musiccluster.evaluation.evaluate` measured.

    Chapter: Evaluation

    Attributes
    ----------
    params : Params
    config : EvalConfig
    record : dict
        The JSON-able results (:meth:`to_record`); read it through the typed views of
        :class:`~musiccluster.evaluation.views.RecordView` (:meth:`block`, :meth:`method`,
        :attr:`data`, :attr:`sweep`, :attr:`k_sweep`, :meth:`stat`) and :meth:`findings`.
    dists : dict
        Bootstrap distributions, keyed ``(scope, method, k, metric)``; for
        intervals of differences between methods (:meth:`difference`).
    seconds : dict
        Wall time of each stage (of the run that computed the result).
    from_cache : bool
        True when :func:`evaluate` found the result in the cache.
    """

    params: Params
    config: EvalConfig
    record: dict[str, Any]
    dists: dict[tuple, np.ndarray] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    from_cache: bool = False

    def findings(self) -> Findings:
        """What the numbers say, as data (:class:`~musiccluster.evaluation.findings.Findings`)."""
        from .findings import findings

        return findings(self)

    def verdict(self) -> dict[str, str]:
        """The findings in sentences, as the JSON record carries them (key ``verdict``)."""
        return self.record["verdict"]

    # ------------------------------------------------------------ tables (see musiccluster.evaluation.tables)
    def headline(self, k: int | None = None, formatted: bool = True) -> pd.DataFrame:
        """Per method: own-space, common-space and null silhouettes, ARI, NMI, accuracy, active dims."""
        from . import tables

        return tables.headline(self, k, formatted)

    def external_table(self, k: int | None = None, scope: str = "segment", formatted: bool = True) -> pd.DataFrame:
        """All external metrics per method at ``k`` (scope 'segment' or 'clip')."""
        from . import tables

        return tables.external_table(self, k, scope, formatted)

    def internal_table(self, k: int | None = None, formatted: bool = True) -> pd.DataFrame:
        """Silhouette and Calinski-Harabasz, own and common space, on the data and the nulls."""
        from . import tables

        return tables.internal_table(self, k, formatted)

    def clip_table(self, k: int | None = None, formatted: bool = True) -> pd.DataFrame | None:
        """Clip level (majority vote of the segments) per method; None on clip-level tables."""
        from . import tables

        return tables.clip_table(self, k, formatted)

    def seed_table(self, metrics: Sequence[str] = ("silhouette_own", "silhouette_common", "ari"),
                   k: int | None = None) -> pd.DataFrame:
        """Spread over seeds of single runs: mean, SD, min and max of each metric per method."""
        from . import tables

        return tables.seed_table(self, metrics, k)

    def coherence_table(self, k: int | None = None, formatted: bool = True) -> pd.DataFrame | None:
        """Per method: mean majority share and unanimous clips, real and with shuffled assignments."""
        from . import tables

        return tables.coherence_table(self, k, formatted)

    def health_table(self, formatted: bool = True) -> pd.DataFrame:
        """Per embedding: active units, effective dimensions, KL and variance per latent dimension."""
        from . import tables

        return tables.health_table(self, formatted)

    def sweep_frame(self) -> pd.DataFrame:
        """The loss_reduction x beta sweep, long format: one row per setting and metric."""
        from . import tables

        return tables.sweep_frame(self)

    def k_sweep_frame(self) -> pd.DataFrame:
        """The k sweep, long format: one row per scope (data/null), method, k and metric."""
        from . import tables

        return tables.k_sweep_frame(self)

    def sweep_table(self, formatted: bool = True) -> pd.DataFrame:
        """The sweep as a wide table: one row per (loss_reduction, beta)."""
        from . import tables

        return tables.sweep_table(self, formatted)

    # ------------------------------------------------------------ output
    def to_record(self, timing: bool = True) -> dict[str, Any]:
        """All results as JSON-able data; ``timing=False`` leaves out the wall times (byte-stable)."""
        rec = dict(self.record)
        if timing:
            rec["runtime_s"] = {k: round(v, 2) for k, v in self.seconds.items()}
        return rec

    def to_json(self, path: str | os.PathLike[str] | None = None, timing: bool = True) -> str:
        """Serialise :meth:`to_record` (sorted keys, NaN as null); write it to ``path`` if given."""
        text = json.dumps(_jsonable(self.to_record(timing)), indent=1, sort_keys=True, allow_nan=False) + "\n"
        if path is not None:
            write_user_file(Path(path), text.encode())
        return text


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [_jsonable(v) for v in obj.tolist()]
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return float(obj) if math.isfinite(obj) else None
    return obj
