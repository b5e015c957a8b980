"""What the evaluation's numbers say, as data: :class:`Findings` (chapter *Evaluation*).

Every finding is a number, an interval or a small decision computed from the record: which
method leads, whether a difference is clear (its interval excludes 0), what kind of corpus it is,
which sweep setting comes closest to the paper and by how much. The chapter writes the sentences
around them; :mod:`.sentences` writes the record's own short form.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from ..paper import PAPER_SEGMENTS_PER_CLIP, PAPER_TABLE1
from .config import PAPER_TOLERANCE, SWEEP_METRICS
from .views import RecordView, Stat

PAPER_VAE = PAPER_TABLE1["vae"]["silhouette"]
PAPER_PCA = PAPER_TABLE1["pca"]["silhouette"]


@dataclass(frozen=True)
class Comparison:
    """The VAE against PCA on one metric at ``params.k``: both statistics and the paired difference.

    Chapter: Evaluation
    """

    metric: str
    vae: Stat
    pca: Stat
    difference: Stat

    @property
    def direction(self) -> str:
        """``"higher"``, ``"lower"`` or ``"same"``: the VAE's side of a clear difference."""
        return self.difference.direction

    @property
    def clear(self) -> bool:
        return self.difference.clear


@dataclass(frozen=True)
class NullFindings:
    """The own-space silhouettes the same pipelines earn on the structureless i.i.d. null.

    Chapter: Evaluation
    """

    vae: Stat
    pca: Stat
    vae_gain: float  # data minus null, own space
    pca_gain: float
    own_gap: float   # VAE minus PCA on the data, own space

    @property
    def gap(self) -> float:
        """VAE minus PCA on the null: a difference that owes nothing to clusters."""
        return self.vae.mean - self.pca.mean

    @property
    def percent_of_lead(self) -> float | None:
        """The null's gap in per cent of the VAE's own-space lead (None unless both are positive)."""
        return 100 * self.gap / self.own_gap if self.own_gap > 0 and self.gap > 0 else None


@dataclass(frozen=True)
class ClipNullFindings:
    """The null that keeps a clip's segments together; on a clip-level table it is the i.i.d. null.

    Chapter: Evaluation
    """

    same_as_null: bool
    vae_own: Stat | None = None
    pca_own: Stat | None = None
    vae_common: float | None = None
    pca_common: float | None = None
    vae_gain: float | None = None
    pca_gain: float | None = None


@dataclass(frozen=True)
class HealthFindings:
    """How much of its latent space the VAE uses, beside PCA.

    Chapter: Evaluation
    """

    active_units: float
    latent_dim: int
    threshold: float
    effective_dims: float
    pca_effective_dims: float


@dataclass(frozen=True)
class CorpusFindings:
    """What the numbers were computed on.

    Chapter: Evaluation
    """

    kind: str  # "stand-in", "gtzan" or "other"
    source: str
    n_rows: int
    n_clips: int
    rows_per_clip: int  # the most rows of one clip
    mean_rows_per_clip: float
    n_features: int
    has_labels: bool
    paper_rows_per_clip: int = PAPER_SEGMENTS_PER_CLIP

    @property
    def clip_level(self) -> bool:
        """One row per clip, where the paper clustered segments."""
        return self.rows_per_clip < 2


@dataclass(frozen=True)
class PaperMatch:
    """The sweep setting closest to the paper's VAE silhouette, and whether Table 1 is reproduced.

    Chapter: Evaluation
    """

    paper_vae: float
    paper_pca: float
    tolerance: float
    pca_silhouette: float
    pca_within_tolerance: bool
    vae_within_tolerance: bool
    reproduced: bool
    reason: str  # "reproduced", "pca" (PCA alone rules it out) or "vae"
    n_settings: int
    closest_loss_reduction: str
    closest_beta: float
    closest_vae: Stat
    closest: Mapping[str, Stat | None]  # the closest setting's sweep metrics
    closest_null: Stat | None  # its own-space silhouette on the null
    default_common: float  # this build's setting: common-space silhouette
    default_ari: float | None

    @property
    def pca_distance(self) -> float:
        return abs(self.pca_silhouette - self.paper_pca)

    @property
    def vae_distance(self) -> float:
        return abs(self.closest_vae.mean - self.paper_vae)


@dataclass(frozen=True)
class Findings:
    """The evaluation's findings at ``k`` (= ``params.k``).

    Chapter: Evaluation

    ``outcome`` combines the common-space and the label-agreement directions of VAE minus PCA:
    ``better`` / ``worse`` (both agree, or the only one there is), ``mixed`` (one better, the other
    worse), ``partly_better`` / ``partly_worse`` (one clear, the other not), ``no_difference``.
    """

    k: int
    corpus: CorpusFindings
    own_space: Comparison
    common_space: Comparison
    labels: Comparison | None  # ARI; None without labels
    best_common: str  # method key with the highest common-space silhouette
    best_ari: str | None
    best_ari_stat: Stat | None
    null: NullFindings | None
    clip_null: ClipNullFindings | None
    health: HealthFindings
    paper: PaperMatch
    outcome: str

    @property
    def paper_gap(self) -> float:
        """The paper's VAE minus PCA silhouette."""
        return PAPER_VAE - PAPER_PCA

    @property
    def own_lead_is_geometry(self) -> bool:
        """The VAE leads clearly in its own space but not in the common space."""
        return self.own_space.direction == "higher" and self.common_space.direction != "higher"


def outcome(common: str, labels: str | None) -> str:
    """Combine the directions (``higher``/``lower``/``same``) of the common-space and label differences.

    Chapter: Evaluation
    """
    word = {"higher": "better", "lower": "worse", "same": "no_difference"}
    if labels is None or labels == common:
        return word[common]
    if {common, labels} == {"higher", "lower"}:
        return "mixed"
    return "partly_better" if "higher" in (common, labels) else "partly_worse"


def _comparison(result: RecordView, metric: str) -> Comparison:
    vae, pca = result.block("vae"), result.block("pca")
    return Comparison(metric, vae.segment[metric], pca.segment[metric], vae.minus_pca[metric])


def _best(result: RecordView, metric: str) -> str:
    return max(result.methods, key=lambda m: result.block(m).segment[metric].mean)


def _null(result: RecordView) -> tuple[NullFindings | None, ClipNullFindings | None]:
    vae, pca = result.block("vae"), result.block("pca")
    if not vae.null:
        return None, None
    null = NullFindings(vae.null["silhouette_own"], pca.null["silhouette_own"],
                        vae.minus_null["silhouette_own"].mean, pca.minus_null["silhouette_own"].mean,
                        vae.segment["silhouette_own"].mean - pca.segment["silhouette_own"].mean)
    if result.data.clip_null_is_null:
        return null, ClipNullFindings(same_as_null=True)
    if not vae.clip_null:
        return null, None
    return null, ClipNullFindings(False, vae.clip_null["silhouette_own"], pca.clip_null["silhouette_own"],
                                  vae.clip_null["silhouette_common"].mean, pca.clip_null["silhouette_common"].mean,
                                  vae.minus_clip_null["silhouette_own"].mean, pca.minus_clip_null["silhouette_own"].mean)


def _corpus(result: RecordView) -> CorpusFindings:
    d = result.data
    return CorpusFindings(d.corpus_kind, d.source, d.n_samples, d.n_clips, d.max_segments_per_clip,
                          d.mean_segments_per_clip, d.n_features, result.has_labels)


def paper_match_record(result: RecordView) -> dict[str, Any]:
    """The record's ``paper_match``: the sweep setting whose VAE silhouette is closest to the paper's,
    and whether it reproduces Table 1.

    Chapter: Evaluation

    PCA's own-space silhouette does not depend on the VAE's loss convention or
    beta, so a PCA value outside the tolerance rules out reproduction by any
    sweep setting (``reason`` is then ``"pca"``).
    """
    pca = result.block("pca").segment["silhouette_own"]
    out: dict[str, Any] = {"tolerance": PAPER_TOLERANCE, "pca_silhouette": pca.mean,
                           "paper_vae": PAPER_VAE, "paper_pca": PAPER_PCA,
                           "pca_within_tolerance": abs(pca.mean - PAPER_PCA) <= PAPER_TOLERANCE,
                           "pca_depends_on_sweep": False,
                           "rows_per_clip": result.data.max_segments_per_clip,
                           "paper_rows_per_clip": PAPER_SEGMENTS_PER_CLIP}
    candidates = result.sweep or [None]
    own = [e.metrics["silhouette_own"] if e else result.block("vae").segment["silhouette_own"] for e in candidates]
    i = min(range(len(candidates)), key=lambda j: abs(own[j].mean - PAPER_VAE))
    best = candidates[i]
    out.update({"closest_loss_reduction": best.loss_reduction if best else result.params.loss_reduction,
                "closest_beta": best.beta if best else result.params.beta,
                "closest_vae_silhouette": own[i].to_record(),
                "vae_within_tolerance": abs(own[i].mean - PAPER_VAE) <= PAPER_TOLERANCE,
                "n_settings": len(candidates),
                "closest": {name: _record_of((best.metrics if best else {"silhouette_own": own[i]}).get(name))
                            for name in SWEEP_METRICS},
                "closest_null": _record_of(((best.null or {}) if best else {}).get("silhouette_own"))})
    out["reproduced"] = bool(out["vae_within_tolerance"] and out["pca_within_tolerance"])
    out["reason"] = ("reproduced" if out["reproduced"] else "pca" if not out["pca_within_tolerance"] else "vae")
    return out


def _record_of(s: Stat | None) -> dict | None:
    return None if s is None else s.to_record()


def _paper(result: RecordView) -> PaperMatch:
    pm = result.record["paper_match"]
    default = result.block("vae").segment
    return PaperMatch(pm["paper_vae"], pm["paper_pca"], pm["tolerance"], pm["pca_silhouette"],
                      pm["pca_within_tolerance"], pm["vae_within_tolerance"], pm["reproduced"], pm["reason"],
                      pm["n_settings"], pm["closest_loss_reduction"], pm["closest_beta"],
                      Stat.of(pm["closest_vae_silhouette"]),
                      {name: Stat.of(s) for name, s in pm["closest"].items()}, Stat.of(pm.get("closest_null")),
                      default["silhouette_common"].mean, default["ari"].mean if "ari" in default else None)


def findings(result: RecordView) -> Findings:
    """The findings of an evaluation at ``params.k`` (see :class:`Findings`).

    Chapter: Evaluation
    """
    common = _comparison(result, "silhouette_common")
    labels = _comparison(result, "ari") if result.has_labels else None
    best_ari = _best(result, "ari") if labels else None
    null, clip_null = _null(result)
    vae_health, pca_health = result.method("vae").health, result.method("pca").health
    health = HealthFindings(vae_health.active_units.mean, result.params.latent_dim, result.config.active_threshold,
                            vae_health.effective_dims.mean, pca_health.effective_dims.mean)
    return Findings(
        k=result.params.k, corpus=_corpus(result), own_space=_comparison(result, "silhouette_own"),
        common_space=common, labels=labels, best_common=_best(result, "silhouette_common"), best_ari=best_ari,
        best_ari_stat=result.block(best_ari).segment["ari"] if best_ari else None, null=null, clip_null=clip_null,
        health=health, paper=_paper(result),
        outcome=outcome(common.direction, labels.direction if labels else None))
