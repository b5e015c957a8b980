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
from pathlib import Path
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from ..metrics.similarity import clip_labels, clip_rows, mutual_proximity
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

    def table(self, cost: bool = True) -> "pd.DataFrame":
        """One row per representation, best P@5 first: ``P@k`` as ``0.474 [0.434, 0.512]`` strings,
        ``ΔP@5 vs musly`` (paired), ``ARI``/``NMI`` (3 decimals), ``clustering``, ``ms / clip``
        (where ``cost``).

        Chapter: Similarity; command ``musiccluster evaluate``.
        """
        import pandas as pd

        rows = []
        for name, s in sorted(self.scores.items(), key=lambda kv: -kv[1].p(5) if 5 in kv[1].precision else 0):
            row = {"representation": name}
            for k, iv in s.precision.items():
                row[f"P@{k}"] = f"{iv.mean:.3f} [{iv.lo:.3f}, {iv.hi:.3f}]"
            d = self.differences.get(name)
            row["ΔP@5 vs musly"] = f"{d.mean:+.3f} [{d.lo:+.3f}, {d.hi:+.3f}]" if d is not None else ""
            row["ARI"] = f"{s.ari:.3f}" if s.ari is not None else ""
            row["NMI"] = f"{s.nmi:.3f}" if s.nmi is not None else ""
            row["clustering"] = s.clustering
            if cost:
                row["ms / clip"] = f"{1000 * self.cost_s[name]:.0f}" if name in self.cost_s else ""
            rows.append(row)
        return pd.DataFrame(rows).set_index("representation")

    def headline(self) -> dict[str, str]:
        """Sentence fragments of the chapter's prose: the default's and musly's P@5, their paired
        difference, the ARIs and a verdict (texts that say what is missing where a row is absent).

        Chapter: Similarity.
        """
        def p5(name: str) -> str:
            s = self.scores.get(name)
            if s is None or 5 not in s.precision:
                return "not measured here"
            iv = s.precision[5]
            return f"{iv.mean:.3f} [{iv.lo:.3f}, {iv.hi:.3f}]"

        def ari(name: str) -> str:
            s = self.scores.get(name)
            return f"{s.ari:.3f}" if s is not None and s.ari is not None else "not measured here"

        d = self.differences.get(DEFAULT)
        if d is None:
            verdict = "musly is not in this benchmark (the corpus has no audio)"
        elif d.lo > 0:
            verdict = "ahead of musly: the paired interval of the difference lies above zero"
        elif d.hi < 0:
            verdict = "behind musly: the paired interval of the difference lies below zero"
        else:
            verdict = "not clearly different from musly: the paired interval of the difference spans zero"
        first = next(iter(self.scores.values()))
        return {"default_p5": p5(DEFAULT), "musly_p5": p5(REFERENCE), "stats_p5": p5("stats26"),
                "vae_p5": p5("vae"),
                "difference": f"{d.mean:+.3f} [{d.lo:+.3f}, {d.hi:+.3f}]" if d is not None else "not measured here",
                "default_ari": ari(DEFAULT), "musly_ari": ari(REFERENCE), "vae_ari": ari("vae"),
                "verdict": verdict, "n_clips": str(first.n_clips), "chance": f"{first.chance:.3f}",
                "n_clusters": str(first.n_clusters)}

    def to_dict(self) -> dict:
        from dataclasses import asdict

        return {"corpus": self.corpus, "clip_s": self.clip_s, "cost_s": self.cost_s,
                "scores": {k: v.to_dict() for k, v in self.scores.items()},
                "p5_minus_reference": {k: asdict(v) for k, v in self.differences.items()}}


def _zscore(A: np.ndarray) -> np.ndarray:
    A = np.asarray(A, dtype=np.float64)
    sd = A.std(axis=0)
    return (A - A.mean(axis=0)) / np.where(sd > 0, sd, 1.0)


def _analyse_clip(path, n_mfcc: int, with_musly: bool, timed: bool = True, descriptors: bool = True
                  ) -> dict[str, Any]:
    """Every clip-level analysis of one file, each timed (one thread).

    ``timed``: also time the 26-statistics extraction (a second decode and extraction of the clip,
    only for its time); ``descriptors``: also the delta statistics and spectral descriptor.
    """
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
        if timed:
            t = time.perf_counter()
            clip_features(path)
            out["t_stats26"] = time.perf_counter() - t - out["t_decode"]  # clip_features decodes too
        ex = musly_excerpt(y)
        t = time.perf_counter()
        out["mean"], out["cov"] = timbre_model(ex, n_mfcc=n_mfcc)
        out["t_timbre"] = time.perf_counter() - t
        if descriptors:
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
                  cache: bool = True, cache_dir=None, timed: bool = True,
                  descriptors: bool = True) -> list[dict[str, Any]]:
    """:func:`_analyse_clip` of every clip, cached per clip (key: the segment feature cache's key)."""
    from joblib import Parallel, delayed

    from ..cache import atomic_write_bytes, cache_path, stable_hash
    from ..features.extract import _clip_key
    from ..params import FeatureParams

    folder = cache_path(cache_dir) / "similarity-bench" if cache else None
    keys = [stable_hash({"clip": _clip_key(c.path, FeatureParams()), "n_mfcc": n_mfcc, "musly": with_musly,
                         "timed": timed, "descriptors": descriptors, "v": BENCH_VERSION}, length=32) for c in clips]
    results: list[Any] = [None] * len(clips)
    for i, key in enumerate(keys):
        if folder is not None and (folder / f"{key}.npz").exists():
            try:
                with np.load(folder / f"{key}.npz", allow_pickle=False) as npz:
                    results[i] = {k: (npz[k] if npz[k].ndim else float(npz[k])) for k in npz.files}
            except Exception:
                results[i] = None
    todo = [i for i, r in enumerate(results) if r is None]
    done = Parallel(n_jobs=n_jobs)(delayed(_analyse_clip)(clips[i].path, n_mfcc, with_musly, timed, descriptors)
                                   for i in todo)
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
    if REFERENCE not in scores or 5 not in scores[REFERENCE].precision:
        return {}
    return {name: precision_difference(s, scores[REFERENCE], 5, seed=seed)
            for name, s in scores.items() if name != REFERENCE}


def audio_benchmark(clips: Sequence, *, segment_rows: dict[str, np.ndarray] | None = None,
                    corpus: str = "", n_clusters: int = 10, n_mfcc: int = 13, with_musly: bool = True,
                    seed: int = 0, n_jobs: int = 1, cache: bool = True, cache_dir=None,
                    ks: Sequence[int] = (1, 5, 10), timed: bool = True,
                    descriptors: bool = True, cluster_seeds: Sequence[int] = ()) -> SimilarityBenchmark:
    """Every representation of :mod:`this module <.similarity_bench>` on audio clips with labels.

    Chapter: Similarity. ``segment_rows`` maps a name (``stats26``, ``vae``, ``pca``) to
    clip-level rows (one per clip, in ``clips`` order) of representations computed elsewhere
    (the experiment's embeddings, averaged over each clip's segments).
    """
    from ..features.timbre import GaussianModels, gaussian_js, symmetric_kl
    from ..models.musly import MuslyModel

    labels = np.array([c.label for c in clips]).astype(str)
    a = analyse_clips(clips, n_mfcc, with_musly=with_musly, n_jobs=n_jobs, cache=cache, cache_dir=cache_dir,
                      timed=timed, descriptors=descriptors)
    models = GaussianModels(np.stack([r["mean"] for r in a]), np.stack([r["cov"] for r in a]))
    js = gaussian_js(models)
    D: dict[str, np.ndarray] = {}
    if with_musly:
        D["musly"] = MuslyModel().fit([bytes(np.asarray(r["musly"], dtype=np.uint8)) for r in a]).distances()
    D.update({"timbre-js-mp": mutual_proximity(js), "timbre-js": js, "timbre-skl": symmetric_kl(models)})
    X = {name: rows for name, rows in (segment_rows or {}).items()}
    if descriptors:
        X["delta"] = _zscore(np.stack([r["delta"] for r in a]))
        X["descriptor"] = _zscore(np.hstack([np.stack([r["delta"] for r in a]),
                                             np.stack([r["spectral"] for r in a])]))
    scores = {name: similarity_scores(name, labels, D=d, ks=ks, n_clusters=n_clusters, seed=seed,
                                      cluster_D=js if name == DEFAULT else None,  # as `cluster` does
                                      cluster_seeds=cluster_seeds)
              for name, d in D.items()}
    scores.update({name: similarity_scores(name, labels, X=x, ks=ks, n_clusters=n_clusters, seed=seed,
                                           cluster_seeds=cluster_seeds)
                   for name, x in X.items()})
    med = {k: float(np.median([r[k] for r in a])) for k in a[0] if k.startswith("t_")}
    uses = {"decode": "t_decode", "stats26": "t_stats26", "vae": "t_stats26", "pca": "t_stats26",
            "timbre-js-mp": "t_timbre", "timbre-js": "t_timbre", "timbre-skl": "t_timbre",
            "delta": "t_descriptor", "descriptor": "t_descriptor", "musly": "t_musly"}
    cost = {name: med[key] for name, key in uses.items() if key in med}
    clip_s = float(np.median([r["duration"] for r in a]))
    return SimilarityBenchmark(corpus, scores, cost, clip_s, _differences(scores, seed))


def table_benchmark(df, *, corpus: str = "", n_clusters: int = 10, seed: int = 0,
                    cluster_seeds: Sequence[int] = ()) -> SimilarityBenchmark:
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
    kw = {"n_clusters": n_clusters, "seed": seed, "cluster_seeds": cluster_seeds}
    scores = {
        "stats26": similarity_scores("stats26", labels, X=_zscore(num(col("mean", 13) + col("var", 13))), **kw),
        "stats40": similarity_scores("stats40", labels, X=_zscore(num(stats40)), **kw),
        "timbre-diag-js-mp": similarity_scores("timbre-diag-js-mp", labels, D=mutual_proximity(js), cluster_D=js,
                                               **kw),
        "timbre-diag-js": similarity_scores("timbre-diag-js", labels, D=js, **kw),
        "descriptor": similarity_scores("descriptor", labels,
                                        X=_zscore(num(list(KAGGLE_DESCRIPTOR_COLUMNS) + stats40)), **kw),
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


def benchmark_for_params(params, *, data=None, n_jobs: int = 1, cache: bool = True, cache_dir=None,
                         with_musly: bool = True, descriptors: bool = False) -> SimilarityBenchmark:
    """The benchmark on the corpus of ``params`` (chapter *Similarity*, ``musiccluster evaluate``).

    Chapter: Similarity. The experiment of ``params`` gives the clips, their labels and the
    ``stats26`` / ``vae`` / ``pca`` rows; where the corpus is audio (the default corpus or a folder),
    the clip-level analyses and musly are added. A feature table has no audio: its rows only.
    ``data``: the experiment's features, when already loaded. The 26 statistics are not timed and,
    unless ``descriptors``, the delta and descriptor rows (the slowest analysis) are left to
    ``benchmarks/similarity.py``: this runs inside a book build.
    ``n_clusters`` is the number of labels.
    """
    from ..experiment import run_experiment

    result = run_experiment(params, data=data, progress=False, cache=cache, cache_dir=cache_dir, n_jobs=n_jobs)
    ids, labels = clip_order(result)
    rows = experiment_rows(result)
    n_labels = len(set(labels.tolist()))
    if n_labels < 2 or len(ids) < 3:
        raise ValueError("the similarity benchmark needs labels (two or more) and at least 3 clips")
    ks = tuple(k for k in (1, 5, 10) if k < len(ids))
    data_dir = None if params.data_dir is None else Path(params.data_dir).expanduser()
    if data_dir is not None and data_dir.is_file():
        scores = {name: similarity_scores(name, labels, X=x, ks=ks, n_clusters=n_labels, seed=params.seed)
                  for name, x in rows.items()}
        return SimilarityBenchmark(str(data_dir), scores, {}, 0.0)
    if data_dir is None:
        from ..data.corpus import default_corpus_clips

        _, clips = default_corpus_clips(params.corpus_clips_per_style, params.corpus_duration, seed=0,
                                        cache_dir=cache_dir, n_jobs=n_jobs, progress=False)
    else:
        from ..data.corpus import find_clips

        clips = find_clips(data_dir)
    by_id = {c.clip_id: c for c in clips}
    return audio_benchmark([by_id[i] for i in ids], segment_rows=rows, corpus=result.data.source,
                           n_clusters=n_labels, with_musly=with_musly, seed=params.seed, n_jobs=n_jobs,
                           cache=cache, cache_dir=cache_dir, ks=ks, timed=False, descriptors=descriptors)


#: The committed benchmark record (in a clone; an installed wheel has no benchmarks/).
RECORDED = Path(__file__).resolve().parents[3] / "benchmarks" / "similarity.json"


def recorded_figures(path=RECORDED) -> dict[str, str] | None:
    """Figures of the committed ``benchmarks/similarity.json`` the chapter quotes, as texts; None if absent.

    Chapter: Similarity. ``kaggle_default_p5`` / ``kaggle_stats_p5`` (the diagonal timbre model with
    mutual proximity and the 26 statistics on the Kaggle 30-s table; ``tests/test_similarity.py``
    recomputes them), and the median analysis milliseconds per 30-s clip of the stand-in corpus
    (``ms_musly``, ``ms_timbre``, ``ms_stats``, ``ms_decode``).
    """
    import json

    path = Path(path)
    if not path.is_file():
        return None
    benches = json.loads(path.read_text(encoding="utf-8"))["benchmarks"]
    stand_in = next(b for b in benches if b["corpus"].startswith("default stand-in"))
    kaggle = next((b for b in benches if b["corpus"].startswith("Kaggle")), None)
    out = {f"ms_{k}": f"{1000 * stand_in['cost_s'][row]:.0f}" for k, row in
           (("musly", "musly"), ("timbre", DEFAULT), ("stats", "stats26"), ("decode", "decode"))}
    if kaggle is not None:
        for key, row in (("kaggle_default_p5", "timbre-diag-js-mp"), ("kaggle_stats_p5", "stats26")):
            iv = kaggle["scores"][row]["precision"]["5"]
            out[key] = f"{iv['mean']:.3f} [{iv['lo']:.3f}, {iv['hi']:.3f}]"
    return out
