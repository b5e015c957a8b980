"""The similarity benchmark of chapter *Similarity* and ``benchmarks/similarity.py``: every representation.

Chapter *Similarity*. On a corpus of audio clips with labels (the default stand-in corpus, or a
``data_dir`` of audio), :func:`audio_benchmark` scores, with :func:`.similarity.similarity_scores`:

=====================  ======================================================================
``musly``              musly's ``timbre`` (:mod:`musiccluster.models.musly`), its own distances
``timbre-js-mp``       our single-Gaussian timbre model (13 MFCCs, full covariance), Jensen-Shannon,
                       mutual proximity: what ``musiccluster cluster --method timbre`` uses
``timbre-js``          the same without mutual proximity
``timbre-skl``         the same compared by symmetric KL
``stats26``            the paper's 26 MFCC statistics, z-scored, mean over the clip's segments
``vae`` / ``pca``      the paper's VAE latent means / PCA (4-d), mean over the clip's segments
``delta``              delta-MFCC statistics of the whole clip, z-scored
``descriptor``         the delta statistics with the spectral descriptor, z-scored
=====================  ======================================================================

and the analysis cost of each per clip (median seconds, one thread, decoding excluded and measured
apart). :func:`table_benchmark` does the same for a Kaggle-style table's columns (no audio: no
musly, no full covariance; the timbre model is diagonal). Clip-level analyses are cached.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from ..metrics.similarity import clip_labels, clip_rows, distances, mutual_proximity
from .similarity import SimilarityScores, precision_difference, similarity_scores

#: The representation ``musiccluster cluster`` uses by default, and the reference it is compared with.
DEFAULT = "timbre-js-mp"
REFERENCE = "musly"
#: Bump when a cached clip analysis would change.
BENCH_VERSION = "1"


@dataclass
class SimilarityBenchmark:
    """Scores of every representation on one corpus. Chapter: Similarity.

    Attributes
    ----------
    corpus : str
    scores : dict of str to SimilarityScores
    cost_s : dict of str to float
        Median analysis seconds per clip of each representation (decoding: ``decode``).
    clip_s : float
        Median clip duration, seconds.
    differences : dict
        ``name -> Interval`` of P@5 of ``name`` minus the reference's (paired), where both exist.
    """

    corpus: str
    scores: dict[str, SimilarityScores]
    cost_s: dict[str, float]
    clip_s: float
    differences: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict:
        from dataclasses import asdict

        return {"corpus": self.corpus, "clip_s": self.clip_s, "cost_s": self.cost_s,
                "scores": {k: v.to_dict() for k, v in self.scores.items()},
                "p5_minus_reference": {k: asdict(v) for k, v in self.differences.items()}}


def _zscore(A: np.ndarray) -> np.ndarray:
    A = np.asarray(A, dtype=np.float64)
    sd = A.std(axis=0)
    return (A - A.mean(axis=0)) / np.where(sd > 0, sd, 1.0)


def _analyse_clip(path, n_mfcc: int, with_musly: bool) -> dict[str, Any]:
    """Every clip-level analysis of one file, each timed (one thread)."""
    from ..features.descriptors import clip_descriptors, timbre_model
    from ..features.extract import clip_features
    from ..features.segments import load_audio
    from ..models.musly import MuslyModel, musly_excerpt
    from ..threads import single_threaded

    out: dict[str, Any] = {}
    with single_threaded():
        t = time.perf_counter()
        y = load_audio(path)
        out["t_decode"] = time.perf_counter() - t
        t = time.perf_counter()
        clip_features(path)
        out["t_stats26"] = time.perf_counter() - t - out["t_decode"]  # clip_features decodes too
        ex = musly_excerpt(y)
        t = time.perf_counter()
        out["mean"], out["cov"] = timbre_model(ex, n_mfcc=n_mfcc)
        out["t_timbre"] = time.perf_counter() - t
        t = time.perf_counter()
        d = clip_descriptors(ex, n_mfcc=n_mfcc)
        out["t_descriptor"] = time.perf_counter() - t
        out["delta"], out["spectral"] = d.delta, d.spectral
        if with_musly:
            t = time.perf_counter()
            out["musly"] = np.frombuffer(MuslyModel().analyse(y), dtype=np.uint8)
            out["t_musly"] = time.perf_counter() - t
    out["duration"] = len(y) / 22050.0
    return out


def analyse_clips(clips: Sequence, n_mfcc: int = 13, *, with_musly: bool = True, n_jobs: int = 1,
                  cache: bool = True, cache_dir=None) -> list[dict[str, Any]]:
    """:func:`_analyse_clip` of every clip, cached per clip (key: the segment feature cache's key)."""
    from joblib import Parallel, delayed

    from ..cache import atomic_write_bytes, cache_path, stable_hash
    from ..features.extract import _clip_key
    from ..params import FeatureParams

    folder = cache_path(cache_dir) / "similarity-bench" if cache else None
    keys = [stable_hash({"clip": _clip_key(c.path, FeatureParams()), "n_mfcc": n_mfcc, "musly": with_musly,
                         "v": BENCH_VERSION}, length=32) for c in clips]
    results: list[Any] = [None] * len(clips)
    for i, key in enumerate(keys):
        if folder is not None and (folder / f"{key}.npz").exists():
            try:
                with np.load(folder / f"{key}.npz", allow_pickle=False) as npz:
                    results[i] = {k: (npz[k] if npz[k].ndim else float(npz[k])) for k in npz.files}
            except Exception:
                results[i] = None
    todo = [i for i, r in enumerate(results) if r is None]
    done = Parallel(n_jobs=n_jobs)(delayed(_analyse_clip)(clips[i].path, n_mfcc, with_musly) for i in todo)
    for i, r in zip(todo, done):
        results[i] = r
        if folder is not None:
            import io

            buf = io.BytesIO()
            np.savez(buf, **{k: np.asarray(v) for k, v in r.items()})
            try:
                atomic_write_bytes(folder / f"{keys[i]}.npz", buf.getvalue())
            except OSError:
                pass
    return results


def _differences(scores: dict[str, SimilarityScores], seed: int) -> dict[str, Any]:
    if REFERENCE not in scores:
        return {}
    return {name: precision_difference(s, scores[REFERENCE], 5, seed=seed)
            for name, s in scores.items() if name != REFERENCE}


def audio_benchmark(clips: Sequence, *, segment_rows: dict[str, np.ndarray] | None = None,
                    corpus: str = "", n_clusters: int = 10, n_mfcc: int = 13, with_musly: bool = True,
                    seed: int = 0, n_jobs: int = 1, cache: bool = True, cache_dir=None) -> SimilarityBenchmark:
    """Every representation of :mod:`this module <.similarity_bench>` on audio clips with labels.

    Chapter: Similarity. ``segment_rows`` maps a name (``stats26``, ``vae``, ``pca``) to
    clip-level rows (one per clip, in ``clips`` order) of representations computed elsewhere
    (the experiment's embeddings, averaged over each clip's segments).
    """
    from ..features.timbre import GaussianModels, gaussian_js, symmetric_kl
    from ..models.musly import MuslyModel

    labels = np.array([c.label for c in clips]).astype(str)
    a = analyse_clips(clips, n_mfcc, with_musly=with_musly, n_jobs=n_jobs, cache=cache, cache_dir=cache_dir)
    models = GaussianModels(np.stack([r["mean"] for r in a]), np.stack([r["cov"] for r in a]))
    js = gaussian_js(models)
    D: dict[str, np.ndarray] = {}
    if with_musly:
        D["musly"] = MuslyModel().fit([bytes(np.asarray(r["musly"], dtype=np.uint8)) for r in a]).distances()
    D.update({"timbre-js-mp": mutual_proximity(js), "timbre-js": js, "timbre-skl": symmetric_kl(models)})
    X = {name: rows for name, rows in (segment_rows or {}).items()}
    X["delta"] = _zscore(np.stack([r["delta"] for r in a]))
    X["descriptor"] = _zscore(np.hstack([np.stack([r["delta"] for r in a]), np.stack([r["spectral"] for r in a])]))
    scores = {name: similarity_scores(name, labels, D=d, n_clusters=n_clusters, seed=seed) for name, d in D.items()}
    scores.update({name: similarity_scores(name, labels, X=x, n_clusters=n_clusters, seed=seed)
                   for name, x in X.items()})
    med = {k: float(np.median([r[k] for r in a])) for k in a[0] if k.startswith("t_")}
    cost = {"decode": med["t_decode"], "stats26": med["t_stats26"], "vae": med["t_stats26"], "pca": med["t_stats26"],
            "timbre-js-mp": med["t_timbre"], "timbre-js": med["t_timbre"], "timbre-skl": med["t_timbre"],
            "delta": med["t_descriptor"], "descriptor": med["t_descriptor"]}
    if with_musly:
        cost["musly"] = med["t_musly"]
    clip_s = float(np.median([r["duration"] for r in a]))
    return SimilarityBenchmark(corpus, scores, cost, clip_s, _differences(scores, seed))


def table_benchmark(df, *, corpus: str = "", n_clusters: int = 10, seed: int = 0) -> SimilarityBenchmark:
    """The representations a Kaggle-style 30-s table holds (one row per clip, a ``label`` column).

    Chapter: Similarity. ``stats26`` (mfcc1..13 mean/var), ``stats40`` (mfcc1..20), the diagonal
    timbre model of mfcc1..20 (JS + mutual proximity, and JS), and ``descriptor`` (every numeric
    column, :data:`musiccluster.features.descriptors.KAGGLE_DESCRIPTOR_COLUMNS` with the 40 MFCC
    statistics), z-scored.
    """
    from ..features.descriptors import KAGGLE_DESCRIPTOR_COLUMNS
    from ..features.timbre import diagonal_models, gaussian_js

    labels = df["label"].astype(str).to_numpy()
    col = lambda stat, n: [f"mfcc{i}_{stat}" for i in range(1, n + 1)]  # noqa: E731
    num = lambda cols: df[cols].to_numpy(dtype=np.float64)  # noqa: E731
    js = gaussian_js(diagonal_models(num(col("mean", 20)), num(col("var", 20))))
    stats40 = col("mean", 20) + col("var", 20)
    scores = {
        "stats26": similarity_scores("stats26", labels, X=_zscore(num(col("mean", 13) + col("var", 13))),
                                     n_clusters=n_clusters, seed=seed),
        "stats40": similarity_scores("stats40", labels, X=_zscore(num(stats40)), n_clusters=n_clusters, seed=seed),
        "timbre-diag-js-mp": similarity_scores("timbre-diag-js-mp", labels, D=mutual_proximity(js),
                                               n_clusters=n_clusters, seed=seed),
        "timbre-diag-js": similarity_scores("timbre-diag-js", labels, D=js, n_clusters=n_clusters, seed=seed),
        "descriptor": similarity_scores("descriptor", labels,
                                        X=_zscore(num(list(KAGGLE_DESCRIPTOR_COLUMNS) + stats40)),
                                        n_clusters=n_clusters, seed=seed),
    }
    return SimilarityBenchmark(corpus, scores, {}, float(df["length"].median() / 22050) if "length" in df else 30.0)


def experiment_rows(result) -> dict[str, np.ndarray]:
    """``stats26``, ``vae`` and ``pca`` clip rows (segment means) of an :class:`~musiccluster.experiment.ExperimentResult`.

    Chapter: Similarity. In the order of the clips' first segments.
    """
    groups = result.data.meta["clip_id"].to_numpy()
    return {name: clip_rows(Z, groups)[0] for name, Z in
            (("stats26", result.X_scaled), ("vae", result.vae.embedding), ("pca", result.pca.embedding))}


def clip_order(result) -> np.ndarray:
    """Clip ids of :func:`experiment_rows`, and their labels: ``(ids, labels)``."""
    meta = result.data.meta
    return clip_rows(np.zeros((len(meta), 1)), meta["clip_id"].to_numpy())[1], clip_labels(
        meta["label"].to_numpy(), meta["clip_id"].to_numpy())
