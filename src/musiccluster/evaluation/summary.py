"""The book's answer on one screen, as data: :func:`summarize` (chapter *Introduction*).

The paper's Table 1 (from :mod:`musiccluster.paper`), this build's evaluation (means over seeds with
95 % intervals), the recorded run on real GTZAN features (:mod:`.recorded`), the structureless
null's scores, and which verdict the numbers support. The chapter writes the sentences.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..paper import PAPER_TABLE1
from .findings import Comparison, NullFindings
from .views import RecordView

#: The verdicts :func:`summarize` can reach (the chapter has one sentence for each).
VERDICTS = ("reproduced", "own_space_only", "not_reproduced", "mixed")


@dataclass(frozen=True)
class SideSummary:
    """One evaluated corpus: Table 1's own-space comparison, the fair (common-space) one, the null.

    Chapter: Introduction
    """

    label: str
    kind: str              # "stand-in", "gtzan" or "other"
    n_rows: int
    n_clips: int
    n_seeds: int
    own: Comparison        # silhouette in each method's own space (Table 1's comparison)
    common: Comparison     # silhouette in the common standardised-feature space
    ari: Comparison | None
    null: NullFindings | None
    vae_active: float
    latent_dim: int

    @property
    def own_lead(self) -> str:
        """``"vae"``, ``"pca"`` or ``"neither"`` (within seed noise): who leads in Table 1's comparison."""
        return {"higher": "vae", "lower": "pca", "same": "neither"}[self.own.direction]

    @property
    def common_lead(self) -> str:
        """Who leads on equal terms (common space): ``"vae"``, ``"pca"`` or ``"neither"``."""
        return {"higher": "vae", "lower": "pca", "same": "neither"}[self.common.direction]


@dataclass(frozen=True)
class Summary:
    """The summary at the top of the book.

    Chapter: Introduction

    Attributes
    ----------
    paper : dict
        ``PAPER_TABLE1`` (silhouette and Calinski-Harabasz of both methods).
    sides : tuple of SideSummary
        This build's evaluation first, then the recorded real-GTZAN run where there is one.
    verdict : str
        One of :data:`VERDICTS`: ``"reproduced"`` (the VAE leads clearly in its own space and on
        equal terms on every corpus), ``"own_space_only"`` (a clear lead somewhere in the own
        spaces, none on equal terms), ``"not_reproduced"`` (no clear VAE lead anywhere), else
        ``"mixed"``.
    """

    paper: dict
    sides: tuple[SideSummary, ...]
    verdict: str

    @property
    def paper_gap(self) -> float:
        """The paper's VAE minus PCA silhouette."""
        return self.paper["vae"]["silhouette"] - self.paper["pca"]["silhouette"]

    def side(self, kind: str) -> SideSummary | None:
        """The first side of a corpus kind (``"stand-in"``, ``"gtzan"``), or None."""
        return next((s for s in self.sides if s.kind == kind), None)


def side_summary(result: RecordView, label: str) -> SideSummary:
    """The summary of one evaluation (computed in the build or recorded).

    Chapter: Introduction
    """
    f = result.findings()
    return SideSummary(label, f.corpus.kind, f.corpus.n_rows, f.corpus.n_clips, len(result.seeds), f.own_space,
                       f.common_space, f.labels, f.null, f.health.active_units, f.health.latent_dim)


def verdict_of(sides: tuple[SideSummary, ...]) -> str:
    """Which of :data:`VERDICTS` the sides support (see :class:`Summary`).

    Chapter: Introduction
    """
    own = [s.own_lead == "vae" for s in sides]
    common = [s.common_lead == "vae" for s in sides]
    if all(own) and all(common):
        return "reproduced"
    if not any(common) and any(own):
        return "own_space_only"
    if not any(common) and not any(own):
        return "not_reproduced"
    return "mixed"


def summarize(build: RecordView, recorded: RecordView | None = None, *, build_label: str = "this build",
              recorded_label: str = "recorded run on real GTZAN features (clip level)") -> Summary:
    """The paper's numbers, this build's and the recorded run's, and the verdict they support.

    Chapter: Introduction

    Parameters
    ----------
    build : EvaluationResult
        This build's :func:`~musiccluster.evaluation.evaluate` result.
    recorded : EvaluationResult, optional
        The recorded run (:func:`~musiccluster.evaluation.recorded.load_recorded`); left out when
        None or when the build itself ran on the same corpus kind and size.
    """
    sides = [side_summary(build, build_label)]
    if recorded is not None:
        sides.append(side_summary(recorded, recorded_label))
    sides_t = tuple(sides)
    return Summary(PAPER_TABLE1, sides_t, verdict_of(sides_t))
