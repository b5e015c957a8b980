"""The report: what the chapters compute for their prose, the build's Sphinx hook, and reruns.

* Chapter helpers: :func:`admonition` (chapter notes that depend on the data),
  :func:`glue_md` (computed Markdown for the prose),
  :func:`table1_frame` and :func:`agreement` (chapter *Results*),
  :func:`null_silhouettes` and :func:`effective_dimensions` (the caveat in
  *Results*), :func:`skip_report_demo` (chapter *Data and augmentation*).
* :func:`setup`: a tiny Sphinx extension named in ``_config.yml``. It marks
  every page outdated on every build (Sphinx would otherwise re-execute only
  pages whose text changed, leaving old numbers in the others), and has the
  Jupyter kernels that execute the chapters use CurveZMQ transport keys, which
  keeps ipykernel's "running over TCP without encryption" warning out of the
  build log; it also serves MathJax from the book (``sphinx-mathjax-offline``'s
  files) so formulas render without internet.
* :func:`rerun_book` (``make rerun`` / ``musiccluster report``): each chapter
  (a Jupytext MyST file) is converted in memory with jupytext, executed by
  papermill with the overridden parameters and written to
  ``runs/<name>/book/<chapter>.ipynb``; then Jupyter Book renders those
  executed notebooks (execution off) into ``runs/<name>/_build/html``. The
  default book is never touched, and the chapters share one training run
  through the experiment cache.
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


# --------------------------------------------------------------- chapter helpers


def table1_frame(result: "ExperimentResult") -> pd.DataFrame:
    """The paper's Table 1 beside this run's, formatted as printed (silhouette 4 decimals, CH 1).

    Rows: the two methods; columns: (metric, "paper" / "this run").
    """
    from ..experiment import PAPER_TABLE1

    ours = result.table1()
    sil, ch = "{:.4f}".format, "{:.1f}".format
    df = pd.DataFrame({
        ("silhouette", "paper"): PAPER_TABLE1["silhouette"].map(sil),
        ("silhouette", "this run"): ours["silhouette"].map(sil),
        ("Calinski–Harabasz", "paper"): PAPER_TABLE1["calinski_harabasz"].map(ch),
        ("Calinski–Harabasz", "this run"): ours["calinski_harabasz"].map(ch),
    })
    df.columns = pd.MultiIndex.from_tuples(df.columns)
    df.index.name = None
    return df


def agreement(result: "ExperimentResult") -> dict[str, str]:
    """Plain-language comparison of this run with the paper's Table 1 (chapter *Results*).

    Returns
    -------
    dict
        ``verdict`` (Markdown sentence), ``sil_gap``, ``paper_sil_gap``,
        ``gap_share`` (this run's silhouette gap as a share of the paper's, in words),
        ``ch_ratio``, ``paper_ch_ratio`` and ``corpus_note``.
    """
    from ..experiment import PAPER_TABLE1

    t, p = result.table1(), PAPER_TABLE1
    sv, sp = t["silhouette"].iloc[0], t["silhouette"].iloc[1]
    cv, cp = t["calinski_harabasz"].iloc[0], t["calinski_harabasz"].iloc[1]
    psv, psp = p["silhouette"].iloc[0], p["silhouette"].iloc[1]
    pcv, pcp = p["calinski_harabasz"].iloc[0], p["calinski_harabasz"].iloc[1]
    sil_ok, ch_ok = bool(sv > sp), bool(cv > cp)
    if sil_ok and ch_ok:
        verdict = ("**In direction, yes:** as in the paper, VAE + K-Means scores higher than PCA + K-Means "
                   "on both the silhouette and the Calinski–Harabasz index.")
    elif sil_ok:
        verdict = ("**Only partly:** the VAE's silhouette is higher than PCA's, as in the paper's Table 1, "
                   "but its Calinski–Harabasz index is lower, the reverse of what the paper's code printed.")
    elif ch_ok:
        verdict = ("**Only partly:** the VAE's Calinski–Harabasz index is higher than PCA's, as the paper's "
                   "code printed, but its silhouette is not, the reverse of the paper's Table 1.")
    else:
        verdict = ("**No:** PCA + K-Means scores at least as high as VAE + K-Means on both the silhouette "
                   "and the Calinski–Harabasz index, the opposite of the paper's claim.")
    if result.params.data_dir is None:
        note = ("This run used the synthetic stand-in corpus, not GTZAN, so its absolute values are not "
                "expected to match the paper's; what can be compared is the direction and rough size of "
                "the VAE-versus-PCA difference.")
    else:
        note = (f"This run used {result.data.source}; on GTZAN itself, the remaining differences measure "
                "how well the paper's recipe reproduces, including its unstated loss convention "
                "(`loss_reduction`).")
    gap, pgap = sv - sp, psv - psp
    return {
        "verdict": verdict, "sil_gap": f"{gap:+.4f}", "paper_sil_gap": f"{pgap:+.4f}",
        "gap_share": (f"{100 * gap / pgap:.0f} % of the paper's" if gap * pgap > 0
                      else "the opposite sign to the paper's" if gap * pgap < 0 else "no difference at all"),
        "ch_ratio": f"{cv / cp:.2f}",
        "paper_ch_ratio": f"{pcv / pcp:.2f}", "corpus_note": note,
    }


def null_silhouettes(dims: Iterable[int], k: int = 5, n: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Silhouette and CH of K-Means on a single Gaussian blob (no clusters at all), per dimension.

    Shows that these scores depend on the space they are measured in: a
    lower-dimensional space scores higher on structureless data.
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
            fs = extract_features(find_clips(folder), n_segments, 13, min_segment_s, cache=False,
                                  n_jobs=1, progress=False)
    report = pd.DataFrame({"file": [Path(p).name for p in fs.skipped["path"]],
                           "reason": fs.skipped["reason"].to_list()})
    return report, fs.n_clips


# ------------------------------------------------------------------ Sphinx hook


# ------------------------------------------------------------------------ reruns


