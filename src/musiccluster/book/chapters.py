"""Tables and demonstrations that single chapters show.

:func:`table1_frame`, :func:`null_silhouettes` and :func:`null_pca_embedding` (chapter *Results*),
:func:`book_eval_config` (the evaluation the chapters share), :func:`skip_report_demo`
(chapter *Data and augmentation*).
"""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from ..experiment import ExperimentResult


def table1_frame(result: "ExperimentResult", evaluation=None, recorded=None) -> pd.DataFrame:
    """The paper's Table 1 beside this run's, formatted as printed (silhouette 4 decimals, CH 1).

    Rows: the two methods; columns: (metric, "paper" / "this run"), and where given the mean over
    seeds [95 % interval] of this build's ``evaluation`` and of the ``recorded`` real-GTZAN run
    (:func:`musiccluster.evaluation.recorded.load_recorded`; clip level, so fewer rows and a CH on
    another n).

    Chapter: Results.
    """
    from ..experiment import PAPER_TABLE1

    ours = result.table1()
    sil, ch = "{:.4f}".format, "{:.1f}".format
    cols = {("silhouette", "paper"): PAPER_TABLE1["silhouette"].map(sil),
            ("silhouette", "this run (seed 0)"): ours["silhouette"].map(sil)}
    extra = [(ev, name) for ev, name in ((evaluation, "this build"), (recorded, "real GTZAN, recorded"))
             if ev is not None]
    for ev, name in extra:
        cols[("silhouette", f"{name} ({len(ev.seeds)} seeds)")] = _over_seeds(ev, ours.index, "silhouette_own", 4)
    cols[("Calinski–Harabasz", "paper")] = PAPER_TABLE1["calinski_harabasz"].map(ch)
    cols[("Calinski–Harabasz", "this run (seed 0)")] = ours["calinski_harabasz"].map(ch)
    for ev, name in extra:
        cols[("Calinski–Harabasz", f"{name} ({ev.data.n_samples} rows)")] = _over_seeds(
            ev, ours.index, "calinski_harabasz_own", 1)
    df = pd.DataFrame(cols)
    df.columns = pd.MultiIndex.from_tuples(df.columns)
    df.index.name = None
    return df


def _over_seeds(ev, index, metric: str, digits: int) -> pd.Series:
    """Mean [interval] of one own-space metric per Table-1 row (index: the methods' display names)."""
    from ..paper import TABLE1_METHODS

    keys = {name: key for key, name in TABLE1_METHODS.items()}
    f = "{:." + str(digits) + "f}"
    out = {}
    for name in index:
        st = ev.block(keys[name]).segment[metric]
        out[name] = f"{f.format(st.mean)} [{f.format(st.lo)}, {f.format(st.hi)}]"
    return pd.Series(out)


def null_silhouettes(dims: Iterable[int], k: int = 5, n: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Silhouette and CH of K-Means on a single Gaussian blob (no clusters at all), per dimension.

    Shows that these scores depend on the space they are measured in: a
    lower-dimensional space scores higher on structureless data.

    Chapter: Results (and Evaluation).
    """
    from ..clustering import kmeans
    from ..metrics.internal import internal_scores

    rows = []
    rng = np.random.default_rng(seed)
    for d in sorted(set(int(d) for d in dims)):
        Z = rng.standard_normal((n, d))
        scores = internal_scores(Z, kmeans(Z, k, seed).labels_, seed)
        rows.append({"dimensions": d, "silhouette": scores["silhouette"],
                     "calinski_harabasz": scores["calinski_harabasz"]})
    return pd.DataFrame(rows).set_index("dimensions")


def null_pca_embedding(X_scaled: np.ndarray, n_components: int = 4, k: int = 5,
                       seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The structureless null through the PCA pipeline: one Gaussian with the data's mean and
    covariance (:func:`musiccluster.evaluation.gaussian_null`), standardised, PCA, K-Means.

    Returns (scores, cluster labels), for drawing beside the real embeddings.

    Chapter: Results.
    """
    from ..clustering import kmeans
    from ..evaluation.nulls import gaussian_null
    from ..features.scaling import standardize
    from ..models.linear import pca_embedder

    Z = pca_embedder(n_components, seed).fit_transform(standardize(gaussian_null(X_scaled, seed=seed))[0])
    return Z, kmeans(Z, k, seed).labels_


def book_eval_config(n_seeds: int = 10, n_boot: int = 200, sweep_betas=(0.3, 1.0, 3.0), sweep_seeds: int = 3,
                     k_max: int = 12, k_sweep_seeds: int = 3):
    """The evaluation the book runs (lighter than ``musiccluster evaluate``'s defaults): one place, so
    the Introduction, Results and Evaluation chapters share one cached :func:`evaluate` result.

    Chapter: Introduction (also Results and Evaluation).
    """
    from ..evaluation.config import EvalConfig

    return EvalConfig(n_seeds=n_seeds, n_boot=n_boot, sweep_betas=tuple(sweep_betas), sweep_seeds=sweep_seeds,
                      k_sweep=tuple(range(2, k_max + 1)), k_sweep_seeds=k_sweep_seeds)


def skip_report_demo(n_segments: int = 10, min_segment_s: float = 1.0) -> tuple[pd.DataFrame, int]:
    """Run the feature extractor on a folder of deliberately bad files (chapter *Data*).

    The folder holds one good tone, and an empty, a silent, a too-short and a
    not-audio file. Returns the skip report (file name, reason) and the number
    of clips that were used.
    """
    import soundfile as sf

    from .._constants import SR
    from ..data.corpus import find_clips
    from ..features.extract import extract_features
    from ..params import FeatureParams

    seconds = max(n_segments * max(min_segment_s, 0.1), 1.0)
    t = np.arange(int((seconds + 1) * SR)) / SR
    tone = (0.3 * np.sin(2 * np.pi * 220 * t) * (1 + 0.5 * np.sin(2 * np.pi * 0.7 * t))).astype(np.float32)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "demo"
        folder.mkdir()
        sf.write(folder / "good.wav", tone, SR)
        sf.write(folder / "silent.wav", np.zeros_like(tone), SR)
        sf.write(folder / "short.wav", tone[: max(1, int(0.4 * seconds * SR))], SR)
        (folder / "empty.wav").write_bytes(b"")
        (folder / "notes.wav").write_bytes(b"these are liner notes, not audio\n" * 20)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fs = extract_features(find_clips(folder), FeatureParams(n_segments, 13, min_segment_s), cache=False,
                                  n_jobs=1, progress=False)
    report = pd.DataFrame({"file": [Path(p).name for p in fs.skipped["path"]],
                           "reason": fs.skipped["reason"].to_list()})
    return report, fs.n_clips


# ------------------------------------------------------------------ Sphinx hook


# ------------------------------------------------------------------------ reruns




def _pm(s, sign: str = "") -> str:
    """A statistic as 'mean [lo, hi]'; '–' when missing."""
    if s is None:
        return "–"
    f = "{:" + sign + ".3f}"
    return f"{f.format(s.mean)} [{f.format(s.lo)}, {f.format(s.hi)}]"


def summary_frame(summary) -> pd.DataFrame:
    """The one-screen summary as a table: the paper, each evaluated corpus and its structureless null.

    Rows: the paper, then per side (:class:`~musiccluster.evaluation.summary.SideSummary`) its data and
    its null; columns: own-space silhouettes of both methods, their difference, and the VAE minus PCA
    in the common space and in ARI. Means over seeds [95 % interval].

    Chapter: Introduction.
    """
    p = summary.paper
    names, rows = ["paper (GTZAN, one run)"], [[f"{p['vae']['silhouette']:.4f}", f"{p['pca']['silhouette']:.4f}",
                                                f"{summary.paper_gap:+.4f}", "not reported", "not reported"]]
    for s in summary.sides:
        names.append(f"{s.label} ({s.n_rows} rows, {s.n_seeds} seeds)")
        rows.append([_pm(s.own.vae), _pm(s.own.pca), _pm(s.own.difference, "+"), _pm(s.common.difference, "+"),
                     _pm(s.ari.difference, "+") if s.ari else "no labels"])
        if s.null is not None:
            names.append("↳ its structureless null")
            rows.append([_pm(s.null.vae), _pm(s.null.pca), f"{s.null.gap:+.3f}", "", ""])
    df = pd.DataFrame(rows, index=names, columns=["VAE silhouette (own space)", "PCA silhouette (own space)",
                                                  "VAE − PCA (own space, Table 1)", "VAE − PCA (common space)",
                                                  "VAE − PCA (ARI)"])
    return df
