"""Playlists from a similarity between whole tracks: ``musiccluster cluster --method timbre|musly``.

Command: ``musiccluster cluster``. Where :mod:`.run` embeds segments and clusters them with
K-Means, a similarity method models each track as a whole and compares tracks pairwise:

* ``timbre`` (this package's): the single-Gaussian timbre model of the track's MFCC frames (mean
  and full covariance, :func:`musiccluster.features.descriptors.timbre_model`), compared by the
  Gaussian Jensen-Shannon divergence and normalised by mutual proximity
  (:func:`musiccluster.metrics.similarity.mutual_proximity`);
* ``musly``: musly's ``timbre`` method (:mod:`musiccluster.models.musly`), its own distances.

Both analyse the middle :data:`~musiccluster.models.musly.EXCERPT_S` seconds of every track
(all of a shorter one). Neighbours (a track's confidence, the map) come from those distances;
the clusters from spectral clustering (:func:`musiccluster.clustering.spectral_from_distances`,
affinity ``1 - d / max d``) of the Jensen-Shannon divergences before mutual proximity (``timbre``)
or of musly's distances, which clustered closer to the labels on both corpora of
``benchmarks/similarity.md``; ``k`` is given or chosen by the
silhouette on the distances. Each track's analysis is cached beside the segment features. These
models describe a collection, not a space new tracks can be put into: ``--assign`` refuses them
(:data:`ASSIGN_REFUSAL`).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from .._constants import SR
from ..cache import atomic_write_bytes, cache_path, stable_hash
from ..data.corpus import Clip
from ..params import Params

#: Methods clustered from a track-by-track distance matrix.
SIMILARITY_METHODS: tuple[str, ...] = ("timbre", "musly")
#: Bump when a cached analysis would change.
ANALYSIS_VERSION = "1"
#: Neighbours that give a track's confidence.
CONFIDENCE_NEIGHBOURS = 10
#: How a track's cluster and confidence are decided (summary.json).
SIMILARITY_RULE = (
    "spectral clustering (affinity 1 - d / max d) of the tracks' pairwise distances (timbre: the "
    "Jensen-Shannon divergences of their Gaussian timbre models, before mutual proximity); "
    f"confidence = share of the track's {CONFIDENCE_NEIGHBOURS} nearest tracks in its cluster; distance = "
    "mean distance to the other tracks of its cluster (rank 1 = the most central)"
)
#: The one-line error of ``--assign`` with a similarity model.
ASSIGN_REFUSAL = ("--assign needs a model of --method vae, pca or raw: a {method} run clusters the whole "
                  "collection at once; run cluster again on the old and new tracks together")
#: File in OUT_DIR/model that marks a similarity run.
MARKER = "similarity.json"


def _analyse_one(path: Path, method: str, n_mfcc: int, min_s: float) -> tuple[dict[str, np.ndarray] | None, str | None]:
    """Worker: the arrays of one track's analysis, or None and the skip reason. Never raises."""
    from ..features.segments import SkipClip, load_audio
    from ..models.musly import EXCERPT_S, MuslyModel, musly_excerpt

    try:
        y = load_audio(path)
        if not y.size or float(np.max(np.abs(y))) <= 1e-4:
            return None, "silent (peak below -80 dBFS)"
        duration = np.float64(len(y) / SR)
        if duration < min_s:
            return None, f"too short: {duration:.2f} s is under the shortest analysed length ({min_s:g} s)"
        if method == "musly":
            return {"track": np.frombuffer(MuslyModel().analyse(y), dtype=np.uint8), "duration": duration}, None
        from ..features.descriptors import timbre_model

        mu, cov = timbre_model(musly_excerpt(y, excerpt_s=EXCERPT_S), n_mfcc=n_mfcc)
        if not (np.all(np.isfinite(mu)) and np.all(np.isfinite(cov))):
            return None, "features are not finite"
        return {"mean": mu, "cov": cov, "duration": duration}, None
    except SkipClip as exc:
        return None, str(exc)
    except Exception as exc:  # one bad track must not stop the library
        return None, f"failed: {type(exc).__name__}: {str(exc)[:160]}"


def _entry(path: Path, method: str, params: Params, folder: Path) -> Path:
    from ..features.extract import _clip_key

    key = stable_hash({"clip": _clip_key(path, params.features), "method": method, "v": ANALYSIS_VERSION},
                      length=32)
    return folder / key[:2] / f"{key}.npz"


def _cached(entry: Path | None) -> dict[str, np.ndarray] | None:
    if entry is None or not entry.exists():
        return None
    try:
        with np.load(entry, allow_pickle=False) as npz:
            return {k: npz[k] for k in npz.files}
    except Exception:
        return None


def _store(entry: Path | None, arrays: dict[str, np.ndarray]) -> None:
    if entry is None:
        return
    try:
        buf = io.BytesIO()
        np.savez(buf, **arrays)
        atomic_write_bytes(entry, buf.getvalue())
    except Exception:  # pragma: no cover - an unwritable cache costs only time
        pass


def analyse_tracks(clips: Sequence[Clip], method: str, params: Params, *, cache: bool = True,
                   cache_dir=None, n_jobs: int = -1) -> tuple[list[int], list[dict], pd.DataFrame]:
    """Analyse every track for ``method``: (indices of the used clips, their arrays, the skip report).

    Command: ``musiccluster cluster --method timbre|musly``. Cached per track (key: the segment
    feature cache's key of the file, the method and :data:`ANALYSIS_VERSION`).
    """
    from joblib import Parallel, delayed

    folder = cache_path(cache_dir) / "similarity" / method if cache else None
    entries = []
    for c in clips:
        try:
            entries.append(_entry(c.path, method, params, folder) if folder is not None else None)
        except Exception:
            entries.append(None)  # unreadable: the worker names the reason
    results: list[Any] = [_cached(e) for e in entries]
    todo = [i for i, r in enumerate(results) if r is None]
    jobs = [delayed(_analyse_one)(clips[i].path, method, params.n_mfcc,
                                         params.min_segment_s) for i in todo]
    done = (Parallel(n_jobs=n_jobs)(jobs) if n_jobs != 1 and len(jobs) > 1
            else [f(*a, **kw) for f, a, kw in jobs])
    skipped = []
    for i, (arrays, reason) in zip(todo, done):
        if arrays is None:
            results[i] = None
            skipped.append({"path": str(clips[i].path), "reason": reason})
        else:
            results[i] = arrays
            _store(entries[i], arrays)
    used = [i for i, r in enumerate(results) if r is not None]
    return used, [results[i] for i in used], pd.DataFrame(skipped, columns=["path", "reason"])


def track_distances(arrays: Sequence[dict], method: str) -> tuple[np.ndarray, np.ndarray]:
    """The (n, n) distances between analysed tracks (:func:`analyse_tracks`), 0 on the diagonal:
    ``(neighbours, clusters)``, those that find a track's neighbours and those that are clustered.

    Command: ``musiccluster cluster --method timbre|musly``. ``timbre``: the mutual-proximity
    distances and the Jensen-Shannon divergences they normalise; ``musly``: musly's distances, twice.
    """
    if method == "musly":
        from ..models.musly import MuslyModel

        D = MuslyModel().fit([bytes(a["track"]) for a in arrays]).distances()
        return D, D
    from ..features.timbre import GaussianModels, gaussian_js
    from ..metrics.similarity import mutual_proximity

    models = GaussianModels(np.stack([a["mean"] for a in arrays]), np.stack([a["cov"] for a in arrays]))
    js = gaussian_js(models)
    return mutual_proximity(js), js


def classical_mds(D: np.ndarray, dim: int = 2) -> np.ndarray:
    """Coordinates whose Euclidean distances best match ``D`` (Torgerson's classical scaling), (n, dim)."""
    D = np.asarray(D, dtype=np.float64)
    n = len(D)
    J = np.eye(n) - 1.0 / n
    B = -0.5 * J @ (D ** 2) @ J
    w, V = np.linalg.eigh(B)
    top = np.argsort(w)[::-1][:dim]
    X = V[:, top] * np.sqrt(np.clip(w[top], 0.0, None))
    return np.pad(X, ((0, 0), (0, dim - X.shape[1])))


@dataclass
class Grouping:
    """Clusters of tracks from their distances. Command: ``musiccluster cluster``."""

    labels: np.ndarray
    confidence: np.ndarray
    distance: np.ndarray
    position: np.ndarray
    k_info: dict[str, Any]


def group_tracks(D: np.ndarray, k: int | None, k_range: tuple[int, int], seed: int,
                 cluster_D: np.ndarray | None = None) -> Grouping:
    """Spectral clusters of the tracks (``k`` given, or the highest silhouette over ``k_range``), numbered by size.

    ``D`` finds neighbours (confidence), places the tracks on the map and ranks them in their
    cluster; ``cluster_D`` (default ``D``) is what is clustered and what the silhouette is read on.
    """
    C = D if cluster_D is None else cluster_D
    from sklearn.metrics import silhouette_score

    from ..clustering import spectral_from_distances

    n = len(D)
    info: dict[str, Any] = {"requested": k, "criterion": None, "range": None, "curve": [], "sampled_tracks": None}
    if k is not None:
        labels = spectral_from_distances(C, int(k), seed)
    elif n < 3 or min(k_range[1], n - 1) < k_range[0]:
        labels = np.zeros(n, dtype=int)
        info["note"] = f"only {n} track(s): too few to choose k, one playlist"
    else:
        curve, best = [], None
        for kk in range(k_range[0], min(k_range[1], n - 1) + 1):
            lab = spectral_from_distances(C, kk, seed)
            s = float(silhouette_score(C, lab, metric="precomputed")) if len(set(lab)) > 1 else -1.0
            curve.append({"k": kk, "silhouette": s})
            if best is None or s > best[0]:
                best = (s, lab)
        labels = best[1]
        info.update(criterion="highest silhouette on the track distances", range=list(k_range), curve=curve,
                    sampled_tracks=n)
    sizes = np.bincount(labels)
    rank = np.argsort(-sizes, kind="stable")
    labels = np.argsort(rank)[labels]
    info["chosen"] = int(labels.max() + 1)
    off = D.copy()
    np.fill_diagonal(off, np.inf)
    near = np.argsort(off, axis=1, kind="stable")[:, : min(CONFIDENCE_NEIGHBOURS, max(n - 1, 1))]
    confidence = (labels[near] == labels[:, None]).mean(axis=1) if n > 1 else np.ones(n)
    same = labels[:, None] == labels[None, :]
    np.fill_diagonal(same, False)
    counts = same.sum(axis=1)
    distance = np.where(counts > 0, (D * same).sum(axis=1) / np.maximum(counts, 1), 0.0)
    return Grouping(labels, confidence, distance, classical_mds(D), info)


class SimilarityModel:
    """What ``write_outputs`` needs of a model (k, centres on the map, the map's projection)."""

    def __init__(self, method: str, labels: np.ndarray, position: np.ndarray):
        self.method = method
        self.centers = np.stack([position[labels == c].mean(axis=0) for c in range(int(labels.max()) + 1)])

    @property
    def k(self) -> int:
        return len(self.centers)

    @staticmethod
    def project(positions: np.ndarray) -> np.ndarray:
        return np.asarray(positions, dtype=np.float64)[:, :2]


def organize_by_similarity(listing, out: Path, *, method: str, k: int | None, k_range: tuple[int, int],
                           params: Params, cache: bool, cache_root, n_jobs: int, progress: bool,
                           timings: dict[str, float], t_start: float, log) -> tuple[pd.DataFrame, pd.DataFrame,
                                                                                  dict, SimilarityModel, dict]:
    """Analyse, compare, cluster and write every output of a ``timbre`` / ``musly`` run.

    Command: ``musiccluster cluster --method timbre|musly``. Returns the assignments, the skip
    report, the summary, the model and the files written; ``OUT_DIR/model`` holds only
    :data:`MARKER` (``--assign`` refuses it).
    """
    import json
    import time

    from ..errors import DataError, ParameterError
    from ..userfiles import write_user_file
    from .outputs import run_summary, skipped_frame, tracks_frame, write_outputs, write_skipped

    t = time.perf_counter()
    clips = list(listing.clips)
    used, arrays, failed = analyse_tracks(clips, method, params, cache=cache, cache_dir=cache_root,
                                          n_jobs=n_jobs)
    timings["features"] = time.perf_counter() - t
    skipped = skipped_frame(listing.ignored, failed)
    if len(used) < 2 or (k is not None and k > len(used)):
        write_skipped(skipped, out / "skipped.csv")
        if len(used) < 2:
            raise DataError(f"{method} needs at least 2 usable tracks; {len(used)} of {len(clips)} could be used "
                            f"(see {out / 'skipped.csv'})")
        raise ParameterError("k", f"is {k} but only {len(used)} track(s) could be used (see {out / 'skipped.csv'})")
    log(f"{method} analysis of {len(used)} track(s) in {timings['features']:.1f} s")
    t = time.perf_counter()
    D, C = track_distances(arrays, method)
    g = group_tracks(D, k, k_range, params.seed, cluster_D=C)
    timings["clustering"] = time.perf_counter() - t
    tracks = pd.DataFrame({"path": [str(clips[i].path) for i in used], "label": [clips[i].label for i in used],
                           "duration_s": [float(a["duration"]) for a in arrays], "n_segments": 1})
    model = SimilarityModel(method, g.labels, g.position)
    df = tracks_frame(tracks, g, g.position)
    summary = run_summary("train", music_dir=listing.root, n_files=listing.n_files, out=out, tracks=df,
                          skipped=skipped, k=model.k, params=params, method=method, k_info=g.k_info,
                          cache_root=cache_root, scheduler=None, n_jobs=n_jobs, n_rows=len(used), timings=timings)
    summary["assignment_rule"] = SIMILARITY_RULE
    marker = out / "model" / MARKER
    marker.parent.mkdir(exist_ok=True)
    write_user_file(marker, json.dumps({"method": method, "n_tracks": len(used),
                                        "note": ASSIGN_REFUSAL.format(method=method)}, indent=2).encode())
    files = write_outputs(out, df, skipped, model, summary, k_curve=g.k_info.get("curve"),
                          title=f"{method} similarity + spectral clustering, k = {model.k}", timings=timings,
                          t_start=t_start, extra={"model": out / "model"})
    return df, skipped, summary, model, files
