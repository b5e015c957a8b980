"""Figures of the book, one small function each, returning a matplotlib Figure.

Used by the chapters *Data and augmentation* (:func:`waveform_segments`),
*MFCC features* (:func:`mel_and_mfcc`,
:func:`zscore_effect`, :func:`correlation_heatmap`), *The VAE*
(:func:`training_curves`), *Experiments* (:func:`explained_variance`),
*Results* (:func:`latent_maps`) and *Listening* (:func:`label_mix`).
"""

from __future__ import annotations

import functools

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .._constants import HOP_LENGTH, N_FFT, N_MELS, SR

#: Font sizes for figures shown about 700 pixels wide in the book.
STYLE = {"font.size": 11, "axes.titlesize": 11, "axes.labelsize": 11, "xtick.labelsize": 10,
         "ytick.labelsize": 10, "legend.fontsize": 10, "legend.title_fontsize": 10, "figure.titlesize": 12}


def _styled(fn):
    """Draw with :data:`STYLE` (fonts are fixed when the artists are created).

    Only the keys of :data:`STYLE` are restored afterwards: ``plt.rc_context``
    would also restore ``interactive``, which the notebook backend switches on
    when the first figure is made, and later figures would no longer be shown.
    """
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        old = {key: plt.rcParams[key] for key in STYLE}
        plt.rcParams.update(STYLE)
        try:
            return fn(*args, **kwargs)
        finally:
            plt.rcParams.update(old)
    return wrapper


def _palette(n: int):
    cmap = plt.get_cmap("tab10" if n <= 10 else "tab20")
    return [cmap(i % cmap.N) for i in range(n)]


@_styled
def waveform_segments(y: np.ndarray, bounds: list[tuple[int, int]], sr: int = SR, title: str = ""):
    """A clip's waveform (min/max envelope) with its segments shaded and numbered.

    Chapter *Data and augmentation*: shows the ten-segment "augmentation".
    """
    fig, ax = plt.subplots(figsize=(8.5, 2.4))
    n_bins = min(len(y), 4000)
    edges = np.linspace(0, len(y), n_bins + 1).astype(int)
    lo = np.minimum.reduceat(y, edges[:-1])
    hi = np.maximum.reduceat(y, edges[:-1])
    ax.fill_between(edges[:-1] / sr, lo, hi, color="0.3", lw=0)
    top = float(np.max(np.abs(y))) or 1.0
    pal = _palette(len(bounds))
    for i, (a, b) in enumerate(bounds):
        ax.axvspan(a / sr, b / sr, color=pal[i], alpha=0.2, lw=0)
        ax.axvline(a / sr, color="0.5", lw=0.6)
        ax.text((a + b) / 2 / sr, 1.05 * top, str(i), ha="center", va="bottom", fontsize=9)
    ax.set(xlabel="time (s)", ylabel="amplitude", xlim=(0, len(y) / sr), ylim=(-1.1 * top, 1.3 * top))
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


@_styled
def mel_and_mfcc(y: np.ndarray, sr: int = SR, n_mfcc: int = 13, title: str = ""):
    """Log-mel spectrogram and the MFCCs derived from it, for one segment."""
    import librosa
    import librosa.display

    mel = librosa.feature.melspectrogram(y=y, sr=sr, n_fft=N_FFT, hop_length=HOP_LENGTH, n_mels=N_MELS)
    mel_db = librosa.power_to_db(mel, ref=np.max)
    mfcc = librosa.feature.mfcc(S=librosa.power_to_db(mel), n_mfcc=n_mfcc)
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
    img = librosa.display.specshow(mel_db, sr=sr, hop_length=HOP_LENGTH, x_axis="time", y_axis="mel", ax=axes[0])
    fig.colorbar(img, ax=axes[0], format="%+.0f dB")
    axes[0].set(title=f"log-mel spectrogram ({N_MELS} bands)")
    img = librosa.display.specshow(mfcc, sr=sr, hop_length=HOP_LENGTH, x_axis="time", ax=axes[1], cmap="coolwarm")
    fig.colorbar(img, ax=axes[1])
    axes[1].set(title=f"{n_mfcc} MFCCs", ylabel="coefficient")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


@_styled
def zscore_effect(X_raw: np.ndarray, X_scaled: np.ndarray, names: list[str]):
    """Per-feature distributions before and after z-scoring (box plots)."""
    fig, axes = plt.subplots(2, 1, figsize=(8.5, 5.2), sharex=True)
    for ax, X, title in ((axes[0], X_raw, "raw (symlog scale)"), (axes[1], X_scaled, "z-scored")):
        ax.boxplot(X, showfliers=False)
        ax.set_title(title)
        ax.axhline(0, color="0.7", lw=0.6)
    axes[0].set_yscale("symlog")
    axes[1].set_xticks(range(1, len(names) + 1), names, rotation=90, fontsize=8)
    fig.tight_layout()
    return fig


@_styled
def correlation_heatmap(X: np.ndarray, names: list[str]):
    """Pearson correlation between features."""
    corr = np.corrcoef(X, rowvar=False)
    fig, ax = plt.subplots(figsize=(7, 6))
    im = ax.imshow(corr, cmap="RdBu_r", vmin=-1, vmax=1)
    ax.set_xticks(range(len(names)), names, rotation=90, fontsize=8)
    ax.set_yticks(range(len(names)), names, fontsize=8)
    fig.colorbar(im, ax=ax, shrink=0.8, label="correlation")
    fig.tight_layout()
    return fig


@_styled
def training_curves(history: pd.DataFrame):
    """Reconstruction error and KL per epoch, on separate axes."""
    fig, axes = plt.subplots(1, 3, figsize=(9, 2.9))
    for ax, col, title in zip(axes, ("loss", "recon_mse", "kl"),
                              ("optimised loss", "reconstruction MSE per feature", "KL per segment (nats)")):
        ax.plot(history["epoch"], history[col], marker="o", ms=3)
        ax.set(title=title, xlabel="epoch")
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


@_styled
def explained_variance(ratios: np.ndarray, full: np.ndarray | None = None):
    """Explained-variance ratio per principal component (and cumulative)."""
    fig, ax = plt.subplots(figsize=(6, 3))
    r = np.asarray(full if full is not None else ratios)
    idx = np.arange(1, len(r) + 1)
    ax.bar(idx, r, color=["C0" if i <= len(ratios) else "0.75" for i in idx])
    ax.plot(idx, np.cumsum(r), color="C1", marker="o", ms=3, label="cumulative")
    ax.set(xlabel="principal component", ylabel="explained variance ratio", ylim=(0, 1.02))
    ax.legend(frameon=False)
    fig.tight_layout()
    return fig


def project_2d(Z: np.ndarray) -> np.ndarray:
    """The first two principal axes of an embedding (a linear, deterministic 2-d view)."""
    Zc = Z - Z.mean(axis=0)
    _, _, vt = np.linalg.svd(Zc, full_matrices=False)
    P = Zc @ vt[:2].T
    return P * np.sign(P[np.argmax(np.abs(P), axis=0), range(2)])  # fix the sign for stable figures


@_styled
def latent_maps(Z_vae: np.ndarray, Z_pca: np.ndarray, colours_vae, colours_pca, title: str = "",
                legend_title: str = "cluster"):
    """Figure 1 (chapter *Results*): the VAE latent map beside the PCA map.

    Each embedding is drawn on its own first two principal axes (:func:`project_2d`),
    points coloured by the categories in ``colours_vae`` / ``colours_pca``
    (cluster numbers or labels); the legend is shared.
    """
    fig, axes = plt.subplots(1, 2, figsize=(9, 4.2))
    cats_all = pd.Categorical(np.concatenate([np.asarray(colours_vae), np.asarray(colours_pca)]))
    pal = _palette(len(cats_all.categories))
    handles = {}
    for ax, Z, c, name in ((axes[0], Z_vae, colours_vae, "VAE latent means μ"), (axes[1], Z_pca, colours_pca, "PCA")):
        P = project_2d(Z)
        cats = pd.Categorical(np.asarray(c), categories=cats_all.categories)
        for j, cat in enumerate(cats.categories):
            m = cats.codes == j
            if m.any():
                handles[cat] = ax.scatter(P[m, 0], P[m, 1], s=6, alpha=0.6, color=pal[j], label=str(cat), lw=0)
        ax.set_title(f"{name} ({Z.shape[1]}-d)")
        ax.set(xlabel="principal axis 1", ylabel="principal axis 2")
    order = [h for cat, h in sorted(handles.items(), key=lambda kv: list(cats_all.categories).index(kv[0]))]
    fig.legend(order, [h.get_label() for h in order], title=legend_title, loc="center right",
               markerscale=3, frameon=False)
    if title:
        fig.suptitle(title)
    fig.tight_layout(rect=(0, 0, 0.86, 1))
    return fig


@_styled
def label_mix(clusters: np.ndarray, labels: np.ndarray, title: str = ""):
    """Heat map of how each cluster's members split over the labels (row-normalised)."""
    tab = pd.crosstab(pd.Series(clusters, name="cluster"), pd.Series(labels, name="label"), normalize="index")
    fig, ax = plt.subplots(figsize=(1 + 0.65 * tab.shape[1], 0.6 + 0.45 * tab.shape[0]))
    im = ax.imshow(tab.to_numpy(), cmap="Blues", vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(range(tab.shape[1]), tab.columns, rotation=45, ha="right")
    ax.set_yticks(range(tab.shape[0]), [f"cluster {i}" for i in tab.index])
    for (i, j), v in np.ndenumerate(tab.to_numpy()):
        if v >= 0.05:
            ax.text(j, i, f"{v:.0%}", ha="center", va="center", fontsize=9, color="white" if v > 0.5 else "black")
    fig.colorbar(im, ax=ax, label="share of the cluster")
    ax.set_title(title)
    fig.tight_layout()
    return fig


#: The most rows a t-SNE map draws (exact t-SNE: a few seconds at 400 rows).
TSNE_MAX_POINTS = 400


def tsne_points(n_samples: int, cap: int = TSNE_MAX_POINTS) -> int:
    """Rows one t-SNE map of a corpus of ``n_samples`` rows draws: all of them, at most ``cap`` (chapter *Results*)."""
    return int(min(int(n_samples), int(cap)))


@_styled
def tsne_maps(embeddings: dict, colours: dict, n: int = 400, seed: int = 0, legend_title: str = "cluster"):
    """t-SNE maps of several embeddings side by side (chapter *Results*), on one seeded subsample.

    ``embeddings`` maps a panel title to an array of rows; ``colours`` the same titles to the
    categories to colour by. Each map is sklearn's exact t-SNE (perplexity 30, PCA initialisation,
    500 iterations, seeded) of at most ``n`` rows drawn once with ``seed`` (a few seconds each at 400
    rows; Barnes-Hut was slower at this size here); the clusters were computed in the full spaces.
    """
    from sklearn.manifold import TSNE

    names = list(embeddings)
    fig, axes = plt.subplots(1, len(names), figsize=(3.3 * len(names), 3.4), squeeze=False)
    rng = np.random.default_rng(seed)
    cats_all = pd.Categorical(np.concatenate([np.asarray(colours[k]) for k in names]))
    pal = _palette(len(cats_all.categories))
    drawn: dict[int, np.ndarray] = {}  # one subsample per number of rows: the same rows in every panel
    for ax, name in zip(axes[0], names):
        Z = np.asarray(embeddings[name], dtype=np.float64)
        if len(Z) not in drawn:
            drawn[len(Z)] = np.sort(rng.choice(len(Z), size=min(n, len(Z)), replace=False))
        idx = drawn[len(Z)]
        P = TSNE(n_components=2, perplexity=min(30.0, (len(idx) - 1) / 3), init="pca", random_state=seed,
                 method="exact", max_iter=500).fit_transform(Z[idx])
        cats = pd.Categorical(np.asarray(colours[name])[idx], categories=cats_all.categories)
        for j in range(len(cats.categories)):
            m = cats.codes == j
            if m.any():
                ax.scatter(P[m, 0], P[m, 1], s=5, alpha=0.7, color=pal[j], lw=0, label=str(cats.categories[j]))
        ax.set_title(name)
        ax.set_xticks([])
        ax.set_yticks([])
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, title=legend_title, loc="center right", markerscale=3, frameon=False)
    fig.tight_layout(rect=(0, 0, 0.88, 1))
    return fig
