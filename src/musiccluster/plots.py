"""Figures of the book, one small function each, returning a matplotlib Figure.

Used by the chapters *Data and augmentation* (:func:`waveform_segments`),
*MFCC features* (:func:`mel_and_mfcc`, :func:`zscore_effect`,
:func:`correlation_heatmap`), *The VAE* (:func:`training_curves`),
*Experiments* (:func:`explained_variance`) and *Results*
(:func:`latent_maps`, :func:`label_mix`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import matplotlib.pyplot as plt

from ._constants import HOP_LENGTH, N_FFT, N_MELS, SR


def _palette(n: int):
    cmap = plt.get_cmap("tab10" if n <= 10 else "tab20")
    return [cmap(i % cmap.N) for i in range(n)]


def waveform_segments(y: np.ndarray, bounds: list[tuple[int, int]], sr: int = SR, title: str = ""):
    """A clip's waveform with its segment boundaries and indices."""
    fig, ax = plt.subplots(figsize=(10, 2.6))
    t = np.arange(len(y)) / sr
    step = max(1, len(y) // 20000)
    ax.plot(t[::step], y[::step], lw=0.4, color="0.25")
    for i, (a, b) in enumerate(bounds):
        ax.axvspan(a / sr, b / sr, color=_palette(len(bounds))[i], alpha=0.18, lw=0)
        ax.text((a + b) / 2 / sr, 0.92 * np.max(np.abs(y)), str(i), ha="center", va="top", fontsize=9)
    ax.set(xlabel="time (s)", ylabel="amplitude", title=title, xlim=(0, len(y) / sr))
    fig.tight_layout()
    return fig


def mel_and_mfcc(y: np.ndarray, sr: int = SR, n_mfcc: int = 13, title: str = ""):
    """Log-mel spectrogram and the MFCCs derived from it, for one segment."""
    import librosa
    import librosa.display

    mel = librosa.feature.melspectrogram(y=y, sr=sr, n_fft=N_FFT, hop_length=HOP_LENGTH, n_mels=N_MELS)
    mel_db = librosa.power_to_db(mel, ref=np.max)
    mfcc = librosa.feature.mfcc(S=librosa.power_to_db(mel), n_mfcc=n_mfcc)
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.4))
    img = librosa.display.specshow(mel_db, sr=sr, hop_length=HOP_LENGTH, x_axis="time", y_axis="mel", ax=axes[0])
    fig.colorbar(img, ax=axes[0], format="%+.0f dB")
    axes[0].set(title="log-mel spectrogram (128 bands)")
    img = librosa.display.specshow(mfcc, sr=sr, hop_length=HOP_LENGTH, x_axis="time", ax=axes[1], cmap="coolwarm")
    fig.colorbar(img, ax=axes[1])
    axes[1].set(title=f"{n_mfcc} MFCCs", ylabel="coefficient")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def zscore_effect(X_raw: np.ndarray, X_scaled: np.ndarray, names: list[str]):
    """Per-feature distributions before and after z-scoring (box plots)."""
    fig, axes = plt.subplots(2, 1, figsize=(11, 5.5), sharex=True)
    for ax, X, title in ((axes[0], X_raw, "raw (symlog scale)"), (axes[1], X_scaled, "z-scored")):
        ax.boxplot(X, showfliers=False)
        ax.set_title(title, fontsize=10)
        ax.axhline(0, color="0.7", lw=0.6)
    axes[0].set_yscale("symlog")
    axes[1].set_xticks(range(1, len(names) + 1), names, rotation=90, fontsize=8)
    fig.tight_layout()
    return fig


def correlation_heatmap(X: np.ndarray, names: list[str]):
    """Pearson correlation between features."""
    corr = np.corrcoef(X, rowvar=False)
    fig, ax = plt.subplots(figsize=(7.5, 6.5))
    im = ax.imshow(corr, cmap="RdBu_r", vmin=-1, vmax=1)
    ax.set_xticks(range(len(names)), names, rotation=90, fontsize=7)
    ax.set_yticks(range(len(names)), names, fontsize=7)
    fig.colorbar(im, ax=ax, shrink=0.8, label="correlation")
    fig.tight_layout()
    return fig


def training_curves(history: pd.DataFrame):
    """Reconstruction error and KL per epoch, on separate axes."""
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.2))
    for ax, col, title in zip(axes, ("loss", "recon_mse", "kl"),
                              ("optimised loss", "reconstruction MSE per feature", "KL per sample (nats)")):
        ax.plot(history["epoch"], history[col], marker="o", ms=3)
        ax.set(title=title, xlabel="epoch")
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def explained_variance(ratios: np.ndarray, full: np.ndarray | None = None):
    """Explained-variance ratio per principal component (and cumulative)."""
    fig, ax = plt.subplots(figsize=(6.5, 3.2))
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


def latent_maps(Z_vae: np.ndarray, Z_pca: np.ndarray, colours_vae, colours_pca, title: str = "",
                legend_title: str = "cluster"):
    """Figure 1: the VAE latent map beside the PCA map (each projected to its own first two axes)."""
    fig, axes = plt.subplots(1, 2, figsize=(12, 5))
    for ax, Z, c, name in ((axes[0], Z_vae, colours_vae, "VAE latent (μ)"), (axes[1], Z_pca, colours_pca, "PCA")):
        P = project_2d(Z)
        cats = pd.Categorical(np.asarray(c))
        pal = _palette(len(cats.categories))
        for j, cat in enumerate(cats.categories):
            m = cats.codes == j
            ax.scatter(P[m, 0], P[m, 1], s=5, alpha=0.6, color=pal[j], label=str(cat), lw=0)
        ax.set(title=f"{name}, {Z.shape[1]}-d → first two principal axes", xlabel="axis 1", ylabel="axis 2")
    handles, labels = axes[1].get_legend_handles_labels()
    fig.legend(handles, labels, title=legend_title, loc="center right", markerscale=3, frameon=False)
    if title:
        fig.suptitle(title)
    fig.tight_layout(rect=(0, 0, 0.88, 1))
    return fig


def label_mix(clusters: np.ndarray, labels: np.ndarray, title: str = ""):
    """Heat map of how each cluster's members split over the labels (row-normalised)."""
    tab = pd.crosstab(pd.Series(clusters, name="cluster"), pd.Series(labels, name="label"), normalize="index")
    fig, ax = plt.subplots(figsize=(1 + 0.65 * tab.shape[1], 0.6 + 0.45 * tab.shape[0]))
    im = ax.imshow(tab.to_numpy(), cmap="Blues", vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(range(tab.shape[1]), tab.columns, rotation=45, ha="right")
    ax.set_yticks(range(tab.shape[0]), [f"cluster {i}" for i in tab.index])
    for (i, j), v in np.ndenumerate(tab.to_numpy()):
        if v >= 0.05:
            ax.text(j, i, f"{v:.0%}", ha="center", va="center", fontsize=7, color="white" if v > 0.5 else "black")
    fig.colorbar(im, ax=ax, label="share of the cluster")
    ax.set_title(title)
    fig.tight_layout()
    return fig
