"""Typed views of the evaluation's record: a statistic, a method's block at one k, and the rest.

Chapter *Evaluation*. The record (:meth:`~musiccluster.evaluation.result.EvaluationResult.to_record`)
is the JSON that ``musiccluster evaluate --json`` writes; these frozen dataclasses read it, so
callers name fields instead of indexing nested dicts: a :class:`Stat` (mean over seeds, interval,
SD, per-seed values), a :class:`KBlock` (every statistic of one method at one k),
:class:`MethodResult`, :class:`Health`, :class:`SweepSetting`, :class:`KSweepPoint` and
:class:`DataSummary`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from .bootstrap import difference_stat
from .config import METHODS

@dataclass(frozen=True)
class Stat:
    """One statistic: the mean over seeds, its interval [lo, hi], the SD over seeds, per-seed values.

    Chapter: Evaluation

    ``ci_basis`` is ``"seeds"`` where the interval covers the seeds only (AMI, health numbers).
    """

    mean: float
    lo: float
    hi: float
    sd: float = 0.0
    per_seed: tuple[float, ...] = ()
    bias: float = float("nan")
    ci_basis: str | None = None

    @classmethod
    def of(cls, d: Mapping[str, Any] | None) -> Stat | None:
        """The statistic of a record entry (None stays None)."""
        if d is None:
            return None
        nan = float("nan")
        return cls(d["mean"], d.get("lo", nan), d.get("hi", nan), d.get("sd", 0.0), tuple(d.get("per_seed", ())),
                   d.get("bias", nan), d.get("ci_basis"))

    @property
    def direction(self) -> str:
        """``"higher"`` / ``"lower"`` when the interval excludes 0 above / below it, else ``"same"``."""
        if self.lo > 0:
            return "higher"
        if self.hi < 0:
            return "lower"
        return "same"

    @property
    def clear(self) -> bool:
        """The interval excludes 0 (for a difference: a clear difference)."""
        return self.direction != "same"

    def to_record(self) -> dict[str, Any]:
        """The record's form of the statistic."""
        out = {"mean": self.mean, "lo": self.lo, "hi": self.hi, "sd": self.sd, "bias": self.bias,
               "per_seed": list(self.per_seed)}
        if self.ci_basis is not None:
            out["ci_basis"] = self.ci_basis
        return out


#: Statistics by metric name.
Stats = Mapping[str, Stat]


def _stats(d: Mapping[str, Any] | None) -> dict[str, Stat] | None:
    if d is None:
        return None
    return {name: Stat.of(s) for name, s in d.items()}


#: The scopes of a :class:`KBlock`.
SCOPES = ("segment", "null", "clip_null", "minus_null", "minus_clip_null", "minus_pca", "clip", "coherence",
          "coherence_shuffled")


@dataclass(frozen=True)
class KBlock:
    """Every statistic of one method at one k, by scope (None where not measured).

    Chapter: Evaluation

    ``segment``: the data, per segment; ``null`` / ``clip_null``: the same pipeline on the i.i.d. and
    the clip null; ``minus_*``: paired differences (data minus null, method minus PCA); ``clip``:
    clip level (majority vote); ``coherence`` / ``coherence_shuffled``: segment coherence.
    """

    method: str
    k: int
    segment: Stats
    null: Stats | None = None
    clip_null: Stats | None = None
    minus_null: Stats | None = None
    minus_clip_null: Stats | None = None
    minus_pca: Stats | None = None
    clip: Stats | None = None
    coherence: Stats | None = None
    coherence_shuffled: Stats | None = None

    @classmethod
    def of(cls, method: str, k: int, d: Mapping[str, Any]) -> KBlock:
        return cls(method, k, **{scope: _stats(d.get(scope)) for scope in SCOPES})

    def scope(self, name: str) -> Stats | None:
        return getattr(self, name)


@dataclass(frozen=True)
class Health:
    """An embedding's health over seeds: active units, effective dims, reconstruction, KL (VAE).

    Chapter: Evaluation
    """

    active_units: Stat | None = None
    effective_dims: Stat | None = None
    recon_mse: Stat | None = None
    kl_total: Stat | None = None
    kl_per_dim: tuple[Stat, ...] = ()
    latent_variance: tuple[Stat, ...] = ()

    @classmethod
    def of(cls, d: Mapping[str, Any] | None) -> Health | None:
        if not d:
            return None
        return cls(*(Stat.of(d.get(n)) for n in ("active_units", "effective_dims", "recon_mse", "kl_total")),
                   tuple(Stat.of(s) for s in d.get("kl_per_dim_sorted", ())),
                   tuple(Stat.of(s) for s in d.get("latent_variance_sorted", ())))


@dataclass(frozen=True)
class MethodResult:
    """One method: its name, the space it clustered, its health and its blocks by k.

    Chapter: Evaluation
    """

    key: str
    name: str
    space: str
    health: Health | None
    null_health: Health | None
    blocks: Mapping[int, KBlock]

    def at(self, k: int) -> KBlock:
        return self.blocks[int(k)]


@dataclass(frozen=True)
class SweepSetting:
    """One (loss_reduction, beta) setting of the VAE sweep, clustered at ``params.k``.

    Chapter: Evaluation
    """

    loss_reduction: str
    beta: float
    effective_beta: float
    is_default: bool
    n_seeds: int
    metrics: Stats
    null: Stats | None
    minus_null: Stats | None

    @classmethod
    def of(cls, e: Mapping[str, Any]) -> SweepSetting:
        return cls(e["loss_reduction"], e["beta"], e.get("effective_beta", float("nan")), e.get("is_default", False),
                   e.get("n_seeds", 0), _stats(e["metrics"]), _stats(e.get("null")), _stats(e.get("minus_null")))


@dataclass(frozen=True)
class KSweepPoint:
    """One point of the k sweep: a method at one k, on the data or (``scope="null"``) the null.

    Chapter: Evaluation
    """

    scope: str
    method: str
    k: int
    metrics: Stats


@dataclass(frozen=True)
class DataSummary:
    """The evaluated corpus: its size, clips, labels and kind (``"stand-in"``, ``"gtzan"``, ``"other"``).

    Chapter: Evaluation
    """

    source: str
    n_samples: int
    n_clips: int
    n_features: int
    n_labels: int
    labels: tuple[str, ...]
    max_segments_per_clip: int
    mean_segments_per_clip: float
    clip_null_is_null: bool
    corpus_kind: str
    n_skipped: int = 0

    @classmethod
    def of(cls, d: Mapping[str, Any]) -> DataSummary:
        return cls(d.get("source", ""), d.get("n_samples", 0), d.get("n_clips", 0), d.get("n_features", 0),
                   d.get("n_labels", 0), tuple(d.get("labels", ())), d.get("max_segments_per_clip", 1),
                   d.get("mean_segments_per_clip", 1.0), d.get("clip_null_is_null", True),
                   d.get("corpus_kind", "other"), d.get("n_skipped", 0))

    @property
    def clip_level(self) -> bool:
        """One row per clip (a clip-level table): no segments, no segment coherence."""
        return self.max_segments_per_clip < 2


class RecordView:
    """The typed accessors of an evaluation record; :class:`~musiccluster.evaluation.result.EvaluationResult`
    is one (it provides ``params``, ``config``, ``record`` and ``dists``).

    Chapter: Evaluation
    """

    @property
    def ks(self) -> list[int]:
        return [int(k) for k in self.record["ks"]]

    @property
    def seeds(self) -> list[int]:
        return list(self.record.get("seeds", []))

    @property
    def sweep_seeds(self) -> list[int]:
        return list(self.record.get("sweep_seeds", []))

    @property
    def k_sweep_seeds(self) -> list[int]:
        return list(self.record.get("k_sweep_seeds", []))

    @property
    def data(self) -> DataSummary:
        return DataSummary.of(self.record["data"])

    @property
    def has_labels(self) -> bool:
        return self.record["data"]["n_labels"] >= 2

    @property
    def methods(self) -> list[str]:
        """Keys of the methods compared, in :data:`~musiccluster.evaluation.config.METHODS` order."""
        return list(self.record["methods"])

    def method(self, method: str) -> MethodResult:
        m = self.record["methods"][method]
        return MethodResult(method, m.get("name", METHODS[method]), m.get("space", ""), Health.of(m.get("health")),
                            Health.of(m.get("null_health")),
                            {int(k): KBlock.of(method, int(k), blk) for k, blk in m["k"].items()})

    def block(self, method: str, k: int | None = None) -> KBlock:
        """Every statistic of ``method`` at ``k`` (default ``params.k``)."""
        k = self.params.k if k is None else int(k)
        return KBlock.of(method, k, self.record["methods"][method]["k"][str(k)])

    @property
    def sweep(self) -> list[SweepSetting]:
        return [SweepSetting.of(e) for e in self.record.get("sweep") or []]

    @property
    def k_sweep(self) -> list[KSweepPoint]:
        return [KSweepPoint(e["scope"], e["method"], e["k"], _stats(e["metrics"]))
                for e in self.record.get("k_sweep") or []]

    def stat(self, method: str, metric: str, k: int | None = None, scope: str = "segment") -> Stat:
        """One statistic; scope 'segment', 'clip', 'null', 'clip_null', 'coherence',
        'coherence_shuffled', 'minus_null', 'minus_clip_null', 'minus_pca' or 'health'."""
        if scope == "health":
            health = self.method(method).health
            s = getattr(health, metric, None) if health is not None else None
        else:
            block = self.block(method, k).scope(scope)
            s = None if block is None else block.get(metric)
        if s is None:
            raise KeyError(f"{method}: no {scope} metric {metric!r} at k={self.params.k if k is None else k}")
        return s

    def difference(self, metric: str, a: str, b: str = "pca", k: int | None = None,
                   scope: str = "segment") -> Stat:
        """Mean difference a - b over seeds with its paired bootstrap interval."""
        k = self.params.k if k is None else k
        return Stat.of(difference_stat(self.dists[(scope, a, k, metric)], self.dists[(scope, b, k, metric)],
                                       self.stat(a, metric, k, scope).per_seed,
                                       self.stat(b, metric, k, scope).per_seed, self.config.confidence))
