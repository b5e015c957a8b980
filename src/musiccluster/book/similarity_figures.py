"""The figure of chapter *Similarity*: P@k of every representation, with its interval.

:func:`plot_precision` takes a :class:`~musiccluster.evaluation.similarity_bench.SimilarityBenchmark`
and returns a matplotlib Figure; it draws what the benchmark measured and computes nothing.
"""

from __future__ import annotations

import matplotlib.pyplot as plt

from .. import style

#: Representations that are the paper's methods keep their colour from every other chapter;
#: musly (the field's reference) is black, our timbre models green, the rest grey.
_COLOURS = {"vae": style.METHOD_COLOURS["vae"], "pca": style.METHOD_COLOURS["pca"],
            "musly": style.OKABE_ITO["black"]}
_OTHER = "#6E6E6E"


def _colour(name: str) -> str:
    if name in _COLOURS:
        return _COLOURS[name]
    return style.OKABE_ITO["bluish green"] if name.startswith("timbre") else _OTHER


def plot_precision(bench, ks=(1, 5, 10)):
    """One panel per k: each representation's P@k as a dot with its 95 % clip-bootstrap interval,
    best P@5 on top, chance as a dotted line.

    Chapter: Similarity.

    Parameters
    ----------
    bench : SimilarityBenchmark
        :func:`musiccluster.evaluation.similarity_bench.benchmark_for_params` (or ``audio_benchmark``).
    ks : sequence of int
        The P@k panels (those the benchmark measured).

    Returns
    -------
    matplotlib.figure.Figure
    """
    scores = bench.scores
    ks = [k for k in ks if all(k in s.precision for s in scores.values())]
    order = sorted(scores, key=lambda n: scores[n].p(5) if 5 in scores[n].precision else 0.0)
    with plt.rc_context(style.rc_params()):
        fig, axes = plt.subplots(1, len(ks), figsize=(9, 0.42 * len(order) + 1.5), sharey=True,
                                 layout="constrained", squeeze=False)
        for ax, k in zip(axes[0], ks):
            for y, name in enumerate(order):
                iv = scores[name].precision[k]
                ax.errorbar(iv.mean, y, xerr=[[iv.mean - iv.lo], [iv.hi - iv.mean]], fmt="o", ms=5,
                            capsize=3, color=_colour(name), lw=1.4)
            chance = next(iter(scores.values())).chance
            ax.axvline(chance, color=style.REFERENCE_COLOUR, ls=":", lw=1.5, label="chance")
            ax.set_title(f"P@{k}")
            ax.grid(axis="x", color="#E5E5E5", lw=0.8)
        axes[0][0].set_yticks(range(len(order)), order)
        axes[0][0].legend(loc="lower right", frameon=False)
        fig.supxlabel("share of a clip's k nearest clips that carry its label (P@k)")
    return fig
