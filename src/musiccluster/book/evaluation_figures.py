"""The figures of chapter *Evaluation*: the loss_reduction x beta sweep and the k sweep.

Each function takes an :class:`~musiccluster.evaluation.result.EvaluationResult` and returns a
matplotlib Figure.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.ticker import MaxNLocator

from .. import style
from ..evaluation.config import K_SWEEP_METRICS, METHODS
from ..evaluation.result import EvaluationResult
from ..paper import PAPER_TABLE1

#: The methods' and loss conventions' colours (:mod:`musiccluster.style`: the same in every chapter).
_COLOURS = {**style.METHOD_COLOURS, **style.LOSS_COLOURS}
#: Smallest text of these figures (points): 9 pt at 100 dpi, shown ~700 px wide, stays above 9 px.
_SMALL = style.MIN_FONT_PT + 1


def _legend_below(fig, ax) -> None:
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=min(len(labels), 3), fontsize=_SMALL,
               frameon=False)


def _sweep_panel(ax, df, metric: str, pca_mean: float | None) -> None:
    """One metric of the sweep: a line per loss convention (dashed: on the null), PCA as a level."""
    first_null = True
    for (scope, red), g in df[df.metric == metric].groupby(["scope", "loss_reduction"], sort=False):
        g = g.sort_values("effective_beta")
        if scope == "null":
            ax.plot(g.effective_beta, g["mean"], ls="--", lw=1, color=_COLOURS.get(red),
                    label="dashed: the same on the null" if first_null else None)
            first_null = False
            continue
        ax.errorbar(g.effective_beta, g["mean"], yerr=[g["mean"] - g.lo, g.hi - g["mean"]], marker="o", ms=4,
                    capsize=2, lw=1.2, color=_COLOURS.get(red), label=f"VAE, {red}")
    if pca_mean is not None:
        ax.axhline(pca_mean, color=_COLOURS["pca"], ls="--", lw=1, label="PCA")
    if metric == "silhouette_own":
        paper = PAPER_TABLE1["vae"]["silhouette"]
        ax.axhline(paper, color=_COLOURS["paper"], ls=":", lw=1, label=f"paper's VAE ({paper})")


def plot_sweep(result: EvaluationResult):
    """The loss_reduction x beta sweep against the effective KL weight: one panel per metric.

    Chapter: Evaluation

    Returns the matplotlib Figure.
    """
    df = result.sweep_frame()
    panels = [("silhouette_own", "silhouette, own (latent) space"),
              ("silhouette_common", f"silhouette, {result.data.n_features}-d common space"),
              ("active_units", "active latent units")]
    if result.has_labels:
        panels.append(("ari", "ARI with the labels"))
    ncol = 2 if len(panels) == 4 else len(panels)  # 2 x 2 stays legible in the book's column
    nrow = -(-len(panels) // ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(4.4 * ncol, 3.0 * nrow + 0.4), constrained_layout=True,
                             squeeze=False)
    axes = axes.ravel()
    pca = result.block("pca").segment
    for ax, (metric, title) in zip(axes, panels):
        _sweep_panel(ax, df, metric, pca[metric].mean if metric in pca else None)
        if metric == "active_units":
            ax.set_ylim(-0.2, result.params.latent_dim + 0.2)
        ax.set_xscale("log")
        ax.set_xlabel("effective KL weight (β in 'sum' units)")
        ax.set_title(title, fontsize=_SMALL + 1)
        ax.tick_params(labelsize=_SMALL)
        ax.xaxis.label.set_size(_SMALL)
    _legend_below(fig, axes[0])
    return fig


def _k_panel(ax, df, metric: str, ks: list[int]) -> None:
    """One metric of the k sweep: a line per method (shaded: interval; dashed: on the null)."""
    for (scope, m), g in df[df.metric == metric].groupby(["scope", "method"], sort=False):
        g = g.sort_values("k")
        line = dict(ls="--", lw=1, alpha=0.8) if scope == "null" else dict(ls="-", lw=1.5, marker="o", ms=3)
        ax.plot(g.k, g["mean"], color=_COLOURS[m], label=METHODS[m] + (" (null)" if scope == "null" else ""),
                **line)
        if scope != "null":
            ax.fill_between(g.k, g.lo, g.hi, color=_COLOURS[m], alpha=0.15, lw=0)
    for k in ks:
        if len(df) and df.k.min() <= k <= df.k.max():  # a headline k outside the sweep would stretch the axis
            ax.axvline(k, color=style.REFERENCE_COLOUR, ls=":", lw=1.0, zorder=0)


def plot_k_sweep(result: EvaluationResult):
    """Every metric of the k sweep against k (small multiples) for the VAE, PCA and K-Means on the
    features; dashed: the same pipeline on the null. Returns the Figure.

    Chapter: Evaluation
    """
    df = result.k_sweep_frame()
    d = result.data.n_features
    titles = {"silhouette_own": "silhouette, own space", "silhouette_common": f"silhouette, {d}-d common space",
              "calinski_harabasz_own": "Calinski–Harabasz, own space",
              "calinski_harabasz_common": f"Calinski–Harabasz, {d}-d common",
              "ari": "ARI", "ami": "AMI (interval: seeds only)", "nmi": "NMI (= V-measure)",
              "purity": "purity", "accuracy": "Hungarian accuracy"}
    # V-measure is NMI with arithmetic normalisation, the same number: it stays in the JSON, not in a panel
    panels = [m for m in K_SWEEP_METRICS if m in set(df.metric) and m != "v_measure"] or ["silhouette_own"]
    ncol = min(len(panels), 3)
    nrow = -(-len(panels) // ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(3.0 * ncol, 2.6 * nrow + 0.9), constrained_layout=True,
                             squeeze=False)
    flat = axes.ravel()
    for ax, metric in zip(flat, panels):
        _k_panel(ax, df, metric, result.ks)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("k", fontsize=_SMALL)
        ax.tick_params(labelsize=_SMALL)
        ax.set_title(titles.get(metric, metric), fontsize=_SMALL + 1)
    for ax in flat[len(panels):]:
        ax.set_visible(False)
    _legend_below(fig, flat[0])
    return fig


def plot_dimensionality(points, band, recorded_points=None, paper_n: int = 3994):
    """Own-space silhouette and Calinski-Harabasz per row against effective dimensionality, over the
    band that structureless Gaussian data scores (:func:`musiccluster.evaluation.dimensionality.null_band`).

    Chapter: Results

    ``points`` (and ``recorded_points``, drawn hollow) are
    :class:`~musiccluster.evaluation.dimensionality.EmbeddingPoint` lists; the paper's values are
    marked as levels (its CH divided by ``paper_n`` rows). Returns the matplotlib Figure.
    """
    fig, axes = plt.subplots(1, 2, figsize=(9.6, 3.9), constrained_layout=True)
    panels = (("silhouette", "silhouette", "own-space silhouette"),
              ("ch_per_row", "calinski_harabasz", "Calinski–Harabasz per row"))
    for ax, (metric, paper_key, ylabel) in zip(axes, panels):
        mean_, lo, hi = band.band(metric)
        ax.fill_between(band.effective_dims, lo, hi, color="0.85", label=f"structureless Gaussian (n = {band.n})")
        ax.plot(band.effective_dims, mean_, color=_COLOURS["null"], lw=1)
        for pts, hollow in ((points, False), (recorded_points or [], True)):
            for p in pts:
                y = p.silhouette if metric == "silhouette" else p.ch_per_row
                if y is None:
                    continue
                colour = _COLOURS["pca"] if p.method == "pca" else _COLOURS.get(p.loss_reduction or "sum")
                ax.scatter(p.effective_dims, y, s=40 if p.method == "pca" or p.is_default else 22,
                           marker="s" if p.method == "pca" else "o", facecolors="none" if hollow else colour,
                           edgecolors=colour, lw=1.2, zorder=3)
        for m, ls in (("vae", ":"), ("pca", "--")):
            v = PAPER_TABLE1[m][paper_key] / (paper_n if metric == "ch_per_row" else 1)
            ax.axhline(v, color="k", ls=ls, lw=1, label=f"paper's {m.upper()} ({v:.4g})")
        ax.set(xlabel="effective dimensions (participation ratio)", ylabel=ylabel)
        if metric == "ch_per_row":
            ax.set_yscale("log")
    for red in ("sum", "mean", "mse_mean_kl_sum"):
        axes[0].scatter([], [], color=_COLOURS[red], s=22, label=f"VAE, {red}")
    axes[0].scatter([], [], color=_COLOURS["pca"], marker="s", s=40, label="PCA")
    if recorded_points:
        axes[0].scatter([], [], facecolors="none", edgecolors="k", s=30, label="hollow: real GTZAN (recorded)")
    _legend_below(fig, axes[0])
    return fig
