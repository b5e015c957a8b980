"""The findings in short sentences, for the JSON record's ``verdict`` (chapter *Evaluation*).

A reader of ``musiccluster evaluate --json`` gets the findings in words beside the numbers. Every
decision is made in :mod:`.findings`; this module only fills sentence templates. The book's chapter
writes its own text around the same findings.
"""

from __future__ import annotations

from .config import METHODS
from .findings import PAPER_PCA, PAPER_VAE, Findings
from .views import Stat

_WORDS = {"higher": "better", "lower": "worse", "same": "neither better nor worse"}
_LEAD = {"higher": "holds in direction here", "lower": "goes the other way here",
         "same": "shows no clear difference here"}
_IN_COMMON, _VS_LABELS = "in the common space", "against the labels"


def _pm(s: Stat, fmt: str = "{:.3f}") -> str:
    return f"{fmt.format(s.mean)} [{fmt.format(s.lo)}, {fmt.format(s.hi)}]"


def _ci(s: Stat) -> str:
    return f"[{s.lo:+.3f}, {s.hi:+.3f}]"


def _count(x: float) -> str:
    """A mean count: '4' when whole, '3.7' otherwise."""
    return f"{x:.0f}" if float(x).is_integer() else f"{x:.1f}"


def _conclusion(f: Findings) -> str:
    """The one-sentence conclusion of ``f.outcome``."""
    labels = f.labels is not None
    common = f.common_space.direction
    if f.outcome == "better":
        return ("On this corpus the VAE's advantage survives the fair comparison: its clusters are better "
                "separated than PCA's in the common space"
                + (" and agree better with the labels." if labels
                   else "; without labels, agreement with known classes cannot be checked."))
    if f.outcome == "worse":
        return ("On this corpus the paper's conclusion does not hold: the VAE clusters worse than PCA, "
                + ("both in the common space and against the labels." if labels else "in the common space."))
    if f.outcome == "mixed":
        better, worse = (("are better separated than PCA's in the common space", "agree worse with the labels")
                         if common == "higher" else
                         ("agree better with the labels than PCA's", "are separated worse in the common space"))
        return (f"On this corpus the evidence is mixed: the VAE's clusters {better} but {worse}, so neither "
                "method clusters better on both counts.")
    if f.outcome in ("partly_better", "partly_worse"):
        clear = "higher" if f.outcome == "partly_better" else "lower"
        on, off = (_IN_COMMON, _VS_LABELS) if common == clear else (_VS_LABELS, _IN_COMMON)
        if f.outcome == "partly_better":
            return (f"On this corpus the evidence for the VAE is mixed: it does better than PCA {on}, but "
                    f"{off} the difference is not clear.")
        return (f"On this corpus the paper's conclusion does not hold: the VAE does worse than PCA {on} and "
                f"no better {off}.")
    return ("On this corpus the VAE does not cluster better than PCA: the difference is not clear "
            + ("in the common space or against the labels." if labels else "in the common space."))


def _summary(f: Findings) -> str:
    do, dc = f.own_space.difference, f.common_space.difference
    parts = [f"Table 1's comparison {_LEAD[f.own_space.direction]}: in their own spaces, the VAE's silhouette "
             f"minus PCA's is {do.mean:+.3f} {_ci(do)} (paper: {f.paper_gap:+.4f})."]
    fair = (f"Measured on equal terms, the VAE's clusters are separated {_WORDS[f.common_space.direction]} than "
            f"PCA's in the common space ({dc.mean:+.3f} {_ci(dc)})")
    if f.labels is not None:
        da = f.labels.difference
        fair += f" and agree {_WORDS[f.labels.direction]} with the labels (ARI {da.mean:+.3f} {_ci(da)})"
    parts += [fair + ".", _conclusion(f)]
    if f.own_lead_is_geometry:
        parts.append("The VAE's higher own-space silhouette is a property of its latent geometry, not evidence "
                     "of better clusters.")
    return " ".join(parts)


def _null(f: Findings) -> str:
    n = f.null
    share = f", {n.percent_of_lead:.0f} % of the VAE's own-space lead" if n.percent_of_lead is not None else ""
    return (f"On structureless Gaussian data with the same mean, covariance and size, the same pipeline "
            f"scores {_pm(n.vae)} with the VAE and {_pm(n.pca)} with PCA: a difference of "
            f"{n.gap:+.3f} that owes nothing to clusters{share}. Above that free score, the VAE "
            f"gains {n.vae_gain:+.3f} and PCA {n.pca_gain:+.3f}.")


def _clip_null(f: Findings) -> str:
    c = f.clip_null
    if c.same_as_null:
        return ("Every clip of this corpus has a single row, so a null that keeps the clip structure is the "
                "same as this one: there are no near-duplicate segments to imitate.")
    return ("That null draws every row independently, so it lacks the near-duplicate segments of a clip. "
            "A second null keeps them: one Gaussian centre per clip, with the mean and covariance of the "
            "real clip means, and the clip's segments scattered around it with the pooled within-clip "
            f"covariance: groups of segments, no clusters beyond the clips. On it the VAE scores {_pm(c.vae_own)} "
            f"and PCA {_pm(c.pca_own)} in their own spaces, and {c.vae_common:.3f} and {c.pca_common:.3f} in the "
            f"common space; above it the VAE gains {c.vae_gain:+.3f} and PCA {c.pca_gain:+.3f}.")


def _granularity(f: Findings) -> str:
    c = f.corpus
    if c.clip_level:
        return (f"This corpus has one row per clip ({c.n_rows} rows), while the paper clustered "
                f"{c.paper_rows_per_clip} segments per clip; silhouettes of clip-level rows are a different "
                "quantity from Table 1's, without the near-duplicate segments that raise segment-level scores.")
    m = c.mean_rows_per_clip
    seg = f"{m:.0f}" if abs(m - round(m)) < 1e-9 else f"{m:.1f} on average"
    return (f"This corpus has {seg} segments per clip ({c.n_rows} rows from {c.n_clips} clips; "
            f"the paper: {c.paper_rows_per_clip} per clip).")


def _paper_verdict(f: Findings) -> str:
    pm, tol = f.paper, f.paper.tolerance
    if pm.reproduced:
        return f"Both are within {tol:g} of the paper's values, so Table 1 is reproduced by that setting."
    if not pm.pca_within_tolerance:
        return (f"PCA's own-space silhouette does not depend on the VAE's loss convention or β, so PCA "
                f"alone, {pm.pca_distance:.3f} away from the paper's value (tolerance {tol:g}), rules out "
                "reproducing Table 1 with any VAE setting"
                + ("; the closest VAE is within tolerance of its value, which cannot rescue the pair."
                   if pm.vae_within_tolerance else "; the closest VAE is not within tolerance either.")
                + " Table 1 is not reproduced.")
    return (f"PCA is within {tol:g} of the paper's value, but no VAE setting tried is, so "
            "Table 1 is not reproduced by any setting tried.")


def _paper_match(f: Findings) -> str:
    pm, c = f.paper, f.corpus
    tried = "setting tried" if pm.n_settings == 1 else f"{pm.n_settings} settings tried"
    text = (f"Of the {tried}, loss_reduction='{pm.closest_loss_reduction}' with beta = "
            f"{pm.closest_beta:g} comes closest to the paper's VAE silhouette ({_pm(pm.closest_vae)} against "
            f"{PAPER_VAE:.4f}); PCA scores {pm.pca_silhouette:.3f} against {PAPER_PCA:.4f}. " + _paper_verdict(f))
    if c.clip_level:
        text += (f" These rows are whole clips ({c.n_rows} rows, one per clip), while the paper clustered "
                 f"{c.paper_rows_per_clip} segments per clip, so the paper's numbers are not expected here.")
    closest = pm.closest
    if closest.get("active_units") is not None:
        text += (f" That setting keeps {_count(closest['active_units'].mean)} of {f.health.latent_dim} latent "
                 "dimensions active"
                 + (f"; on structureless Gaussian data it already scores {pm.closest_null.mean:.3f}"
                    if pm.closest_null else "")
                 + f"; its clusters score {closest['silhouette_common'].mean:.3f} in the common space (this "
                 f"build's setting: {pm.default_common:.3f})"
                 + (f" and reach an ARI of {closest['ari'].mean:.3f} ({pm.default_ari:.3f})"
                    if c.has_labels and closest.get("ari") else "") + ".")
    return text


def _corpus_note(f: Findings) -> str:
    c = f.corpus
    source = c.source or "this corpus"
    if c.kind == "stand-in":
        return (f"These sentences are computed on this build's corpus, the embedded {source}. They describe "
                "the method on synthetic music, not GTZAN; run the same evaluation on GTZAN to judge the paper "
                "on its own data.")
    if c.kind == "gtzan":
        return (f"These sentences are computed on {source}, labelled with GTZAN's ten genres, so they judge the "
                "paper's claim on its own data"
                + (f", but at clip level: one row per clip, where the paper used {c.paper_rows_per_clip} "
                   "segments per clip." if c.clip_level else "."))
    return (f"These sentences are computed on {source}, which is not GTZAN: they describe the method on this "
            "corpus, not the paper's result; run the same evaluation on GTZAN to judge the paper on its own data.")


def verdict_sentences(f: Findings) -> dict[str, str]:
    """The record's ``verdict``: one sentence (or a few) per finding, keyed for readers of the JSON.

    Chapter: Evaluation
    """
    sv, sp = f.own_space.vae, f.own_space.pca
    cv, cp, dc = f.common_space.vae, f.common_space.pca, f.common_space.difference
    h = f.health
    out = {"own_space": f"In their own spaces the VAE's clusters score a silhouette of {_pm(sv)} and PCA's "
                        f"{_pm(sp)} (paper: {PAPER_VAE:.4f} and {PAPER_PCA:.4f}).",
           "common_space": f"Measured in one common space (the {f.corpus.n_features} standardised features), "
                           f"the VAE's clusters score {_pm(cv)} and PCA's {_pm(cp)}; difference "
                           f"{_pm(dc, '{:+.3f}')}.",
           "best_common": METHODS[f.best_common],
           "health": f"The VAE keeps {_count(h.active_units)} of {h.latent_dim} latent dimensions active "
                     f"(variance of the means above {h.threshold:g}) and spreads its variance over "
                     f"{h.effective_dims:.2f} effective dimensions, against {h.pca_effective_dims:.2f} for PCA.",
           "granularity": _granularity(f), "paper_match": _paper_match(f), "corpus_note": _corpus_note(f),
           "outcome": f.outcome, "summary": _summary(f)}
    if f.null is not None:
        out["null"] = _null(f)
    if f.clip_null is not None:
        out["clip_null"] = _clip_null(f)
    if f.labels is not None:
        a = f.labels
        out["labels"] = (f"Against the labels at k = {f.k}, the VAE's clusters reach an ARI of {_pm(a.vae)} and "
                         f"PCA's {_pm(a.pca)} (difference {_pm(a.difference, '{:+.3f}')}); the best method by "
                         f"ARI is {METHODS[f.best_ari]} with {_pm(f.best_ari_stat)}.")
        out["best_ari"] = METHODS[f.best_ari]
    return out
