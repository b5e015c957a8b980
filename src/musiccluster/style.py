"""One place for how the project's figures look: fonts, the colour of each method, category palettes.

Used by the book's figures (:mod:`musiccluster.book.figures`, ``evaluation_figures``), the
``musiccluster cluster`` figures (:mod:`musiccluster.organize.figures`) and the interactive map, so
that a method has the same colour everywhere. Every colour comes from colour-blind-safe palettes:
Okabe & Ito's eight colours for the methods and seaborn's ``colorblind`` palette (values copied, so
nothing heavy is imported) for clusters and labels. Plain data: importing this module imports nothing.
"""

from __future__ import annotations

#: Okabe & Ito (2008), "Color Universal Design": distinguishable with the common colour-vision deficiencies.
OKABE_ITO = {"black": "#000000", "orange": "#E69F00", "sky blue": "#56B4E9", "bluish green": "#009E73",
             "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00", "reddish purple": "#CC79A7"}

#: One fixed colour per method, in every chapter and in ``musiccluster cluster``'s figures.
METHOD_COLOURS = {
    "vae": OKABE_ITO["blue"],
    "pca": OKABE_ITO["vermillion"],
    "kmeans": OKABE_ITO["orange"],        # K-Means on all features
    "ae": OKABE_ITO["bluish green"],
    "gmm": OKABE_ITO["reddish purple"],
    "null": "#8C8C8C",                    # structureless data (drawn dashed or as a band)
    "paper": OKABE_ITO["black"],          # the paper's published values
}
#: The VAE's loss conventions (variants of the VAE: blues and purple, "sum" is the VAE's own colour).
LOSS_COLOURS = {"sum": METHOD_COLOURS["vae"], "mean": OKABE_ITO["sky blue"],
                "mse_mean_kl_sum": OKABE_ITO["reddish purple"]}
#: Reference marks that are not data (e.g. the k the chapters use): light and dotted, never a method's grey.
REFERENCE_COLOUR = "#C8C8C8"

#: seaborn's ``colorblind`` palette (10 colours), for clusters and labels.
CATEGORY_COLOURS = ("#0173B2", "#DE8F05", "#029E73", "#D55E00", "#CC78BC", "#CA9161", "#FBAFE4", "#949494",
                    "#ECE133", "#56B4E9")
#: Beyond ten categories: seaborn's colorblind palette, then the same hues lighter (pairs stay apart).
CATEGORY_COLOURS_LIGHT = ("#6CA6D1", "#EBBC69", "#6CC4AB", "#E69966", "#E0AED7", "#DFBFA0", "#FDD7F1",
                          "#BFBFBF", "#F4ED85", "#9AD2F2")

#: Matplotlib settings of every figure: sizes chosen so that a figure 9 in wide, shown ~700 px wide
#: in the book's column, has no text under 9 px (8 pt at 100 dpi is 11 px, ~9 px at that scale).
MPL_RC = {"font.size": 11, "axes.titlesize": 11, "axes.labelsize": 11, "xtick.labelsize": 10,
          "ytick.labelsize": 10, "legend.fontsize": 10, "legend.title_fontsize": 10, "figure.titlesize": 12,
          "svg.fonttype": "path", "svg.hashsalt": "musiccluster"}
#: The smallest font size (points) a figure may use for dense labels (ticks of many features).
MIN_FONT_PT = 9


def category_colours(n: int) -> list[str]:
    """``n`` colour-blind-safe colours for categories (clusters, labels), the same for the same ``n``.

    Chapter: Results (the latent maps).
    """
    base = list(CATEGORY_COLOURS) + list(CATEGORY_COLOURS_LIGHT)
    return [base[i % len(base)] for i in range(n)]


def rc_params() -> dict:
    """:data:`MPL_RC` as matplotlib ``rcParams`` (with the method colours as the colour cycle).

    Chapter: every chapter's figures (``musiccluster.book.figures``).
    """
    from cycler import cycler

    rc = dict(MPL_RC)
    rc["axes.prop_cycle"] = cycler(color=[METHOD_COLOURS[m] for m in ("vae", "pca", "kmeans", "ae", "gmm")])
    return rc
