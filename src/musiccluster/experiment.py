"""One call for one experiment: parameters in, the paper's Table 1 out.

Every book chapter calls :func:`run_experiment` with its parameters. The
result is cached on disk under a key made of the parameters, the data's
content hash, the library's source fingerprint and the torch version, so the
chapters of one build share one training run, and a changed library can never
show stale numbers.
"""

from __future__ import annotations

import json
import os
import platform
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .cache import cache_path as _cache_path
from .cache import package_fingerprint, read_entry, stable_hash, warn_unwritable, write_entry
from .clustering import kmeans
from .dataset import load_data
from .errors import ParameterError
from .features.featureset import FeatureSet
from .features.scaling import standardize
from .metrics.internal import internal_scores
from .models.linear import pca_embedder
from .models.vae import VAEEmbedder
from .paper import PAPER_TABLE1 as PAPER
from .paper import TABLE1_METHODS
from .params import Params
from .userfiles import write_user_file

#: The paper's Table 1 (:data:`musiccluster.paper.PAPER_TABLE1`) as a table, rows by method.
PAPER_TABLE1 = pd.DataFrame(
    {metric: [PAPER[m][metric] for m in TABLE1_METHODS] for metric in ("silhouette", "calinski_harabasz")},
    index=pd.Index(list(TABLE1_METHODS.values()), name="method"),
)


@dataclass
class MethodResult:
    """One embedding + K-Means: its coordinates, clusters and Table-1 scores."""

    name: str
    embedding: np.ndarray
    labels: np.ndarray
    centers: np.ndarray
    scores: dict[str, float]

    @property
    def silhouette(self) -> float:
        return self.scores["silhouette"]

    @property
    def calinski_harabasz(self) -> float:
        return self.scores["calinski_harabasz"]


@dataclass(frozen=True)
class Table1Finding:
    """How one run's Table 1 compares with the paper's (chapter *Results*): data, not sentences.

    Attributes
    ----------
    vae_leads_silhouette, vae_leads_calinski_harabasz : bool
        The VAE scores higher than PCA, as in the paper.
    silhouette_gap, paper_silhouette_gap : float
        VAE minus PCA silhouette, in this run and in the paper.
    gap_share : float or None
        This run's gap as a share of the paper's (None when either is 0 or the signs differ).
    calinski_harabasz_ratio, paper_calinski_harabasz_ratio : float
        VAE over PCA Calinski-Harabasz, in this run and in the paper.
    stand_in : bool
        The run used the embedded stand-in corpus (``data_dir`` None), not GTZAN.
    """

    vae_leads_silhouette: bool
    vae_leads_calinski_harabasz: bool
    silhouette_gap: float
    paper_silhouette_gap: float
    gap_share: float | None
    calinski_harabasz_ratio: float
    paper_calinski_harabasz_ratio: float
    stand_in: bool

    @property
    def outcome(self) -> str:
        """``"both"``, ``"silhouette_only"``, ``"calinski_harabasz_only"`` or ``"neither"`` agree with the paper."""
        if self.vae_leads_silhouette:
            return "both" if self.vae_leads_calinski_harabasz else "silhouette_only"
        return "calinski_harabasz_only" if self.vae_leads_calinski_harabasz else "neither"


@dataclass
class ExperimentResult:
    """Everything one experiment produced.

    Attributes
    ----------
    params : Params
    data : FeatureSet
        Raw features, row metadata and the skip report.
    X_scaled : ndarray
        z-scored features (what both methods see).
    vae, pca : MethodResult
    history : DataFrame
        VAE training curves (see :class:`musiccluster.models.vae.VAEEmbedder`).
    vae_model : VAEEmbedder
    pca_explained_variance : ndarray
        Explained-variance ratio of each PCA component.
    data_identity : str
        Content hash of the data.
    fingerprint : str
        Library source fingerprint at computation time.
    seconds : dict
        Wall time of each stage (not part of the record).
    """

    params: Params
    data: FeatureSet
    X_scaled: np.ndarray
    vae: MethodResult
    pca: MethodResult
    history: pd.DataFrame
    vae_model: VAEEmbedder
    pca_explained_variance: np.ndarray
    data_identity: str
    fingerprint: str
    environment: dict[str, str] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    def table1(self) -> pd.DataFrame:
        """This run's Table 1: silhouette and Calinski-Harabasz per method."""
        return pd.DataFrame(
            {"silhouette": [self.vae.silhouette, self.pca.silhouette],
             "calinski_harabasz": [self.vae.calinski_harabasz, self.pca.calinski_harabasz]},
            index=PAPER_TABLE1.index,
        )

    def comparison(self) -> pd.DataFrame:
        """The paper's values beside this run's (rows: methods)."""
        ours = self.table1()
        return pd.DataFrame({
            ("silhouette", "paper"): PAPER_TABLE1["silhouette"],
            ("silhouette", "this run"): ours["silhouette"],
            ("Calinski-Harabasz", "paper"): PAPER_TABLE1["calinski_harabasz"],
            ("Calinski-Harabasz", "this run"): ours["calinski_harabasz"],
        })

    def table1_finding(self) -> Table1Finding:
        """This run's Table 1 against the paper's, as a :class:`Table1Finding`.

        Chapter: Results.
        """
        gap = self.vae.silhouette - self.pca.silhouette
        paper_gap = PAPER["vae"]["silhouette"] - PAPER["pca"]["silhouette"]
        return Table1Finding(
            vae_leads_silhouette=bool(self.vae.silhouette > self.pca.silhouette),
            vae_leads_calinski_harabasz=bool(self.vae.calinski_harabasz > self.pca.calinski_harabasz),
            silhouette_gap=float(gap), paper_silhouette_gap=paper_gap,
            gap_share=float(gap / paper_gap) if gap * paper_gap > 0 else None,
            calinski_harabasz_ratio=float(self.vae.calinski_harabasz / self.pca.calinski_harabasz),
            paper_calinski_harabasz_ratio=PAPER["vae"]["calinski_harabasz"] / PAPER["pca"]["calinski_harabasz"],
            stand_in=self.params.data_dir is None)

    def to_record(self) -> dict[str, Any]:
        """The Table-1 record as plain JSON-able data (no timings: byte-stable)."""
        return {
            "silhouette_vae": self.vae.silhouette,
            "silhouette_pca": self.pca.silhouette,
            "calinski_harabasz_vae": self.vae.calinski_harabasz,
            "calinski_harabasz_pca": self.pca.calinski_harabasz,
            "davies_bouldin_vae": self.vae.scores["davies_bouldin"],
            "davies_bouldin_pca": self.pca.scores["davies_bouldin"],
            "n_samples": self.data.n_samples,
            "n_features": self.data.n_features,
            "n_clips": self.data.n_clips,
            "n_skipped": int(len(self.data.skipped)),
            "corpus": self.data.source,
            "data_identity": self.data_identity,
            "pca_explained_variance": [float(v) for v in self.pca_explained_variance],
            # a digest of every segment's cluster label: equal JSON means equal clusterings
            "labels_sha256_vae": _labels_digest(self.vae.labels),
            "labels_sha256_pca": _labels_digest(self.pca.labels),
            "final_epoch": {k: float(v) for k, v in self.history.iloc[-1].items()} if len(self.history) else {},
            "paper": {f"{metric}_{m}": PAPER[m][metric]
                      for metric in ("silhouette", "calinski_harabasz") for m in TABLE1_METHODS},
            "params": self.params.to_dict(),
            "library_fingerprint": self.fingerprint,
            "environment": self.environment,
        }

    def to_json(self, path: str | os.PathLike[str] | None = None) -> str:
        """Serialise :meth:`to_record` (sorted keys; an undefined metric, NaN, as ``null``); write it to ``path`` if given."""
        text = json.dumps(_finite_or_none(self.to_record()), indent=2, sort_keys=True, allow_nan=False) + "\n"
        if path is not None:
            write_user_file(Path(path), text.encode())
        return text

    def segments_frame(self) -> pd.DataFrame:
        """One row per segment: metadata, both embeddings and both cluster labels."""
        df = self.data.meta.reset_index(drop=True).copy()
        for name, res in (("vae", self.vae), ("pca", self.pca)):
            for j in range(res.embedding.shape[1]):
                df[f"{name}_{j + 1}"] = res.embedding[:, j]
            df[f"cluster_{name}"] = res.labels
        return df


def _finite_or_none(obj: Any) -> Any:
    """``obj`` with every NaN or infinite float replaced by None (JSON ``null``)."""
    if isinstance(obj, dict):
        return {k: _finite_or_none(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite_or_none(v) for v in obj]
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    return obj


def _labels_digest(labels: np.ndarray) -> str:
    import hashlib

    return hashlib.sha256(np.ascontiguousarray(labels, dtype=np.int64).tobytes()).hexdigest()[:16]


def _environment() -> dict[str, str]:
    """Versions of what computes the numbers (recorded in the JSON and part of the cache key)."""
    import librosa
    import scipy
    import sklearn
    import soundfile
    import torch

    from .versions import version_of

    # symusic and pretty_midi (its soundfont) render the embedded corpus, so they decide its numbers too
    return {"python": platform.python_version(), "torch": torch.__version__,
            "numpy": np.__version__, "scipy": scipy.__version__, "scikit-learn": sklearn.__version__,
            "librosa": librosa.__version__, "soundfile": soundfile.__version__,
            "symusic": version_of("symusic"), "pretty_midi": version_of("pretty_midi")}


def compute_experiment(params: Params, data: FeatureSet, progress: bool = True) -> ExperimentResult:
    """Run the paper's protocol on already-extracted features (no caching)."""
    if params.k > data.n_samples:
        raise ParameterError("k", f"is {params.k} but there are only {data.n_samples} samples")
    if params.latent_dim > data.n_features:
        raise ParameterError("latent_dim", f"is {params.latent_dim} but there are only "
                             f"{data.n_features} features")
    t0 = time.perf_counter()
    X, _ = standardize(data.X)
    vae = VAEEmbedder.from_params(params, progress=progress).fit(X)
    t1 = time.perf_counter()
    Z_vae = vae.transform(X)
    pca = pca_embedder(params.latent_dim, params.seed).fit(X)
    Z_pca = pca.transform(X)
    results = {}
    for name, Z in (("vae", Z_vae), ("pca", Z_pca)):
        km = kmeans(Z, params.k, params.seed)
        results[name] = MethodResult(name, Z, km.labels_.astype(int), km.cluster_centers_,
                                     internal_scores(Z, km.labels_, params.seed))
    t2 = time.perf_counter()
    return ExperimentResult(
        params=params, data=data, X_scaled=X, vae=results["vae"], pca=results["pca"],
        history=vae.history_, vae_model=vae, pca_explained_variance=pca.explained_variance_ratio_,
        data_identity=data.identity(), fingerprint=package_fingerprint(),
        environment=_environment(), seconds={"train": t1 - t0, "cluster": t2 - t1},
    )


def run_experiment(params: Params | dict | None = None, *, data: FeatureSet | None = None,
                   cache: bool = True, cache_dir: str | os.PathLike[str] | None = None,
                   n_jobs: int = -1, progress: bool = True, **overrides: Any) -> ExperimentResult:
    """Run (or fetch from the cache) one experiment.

    Parameters
    ----------
    params : Params or dict, optional
        Defaults to the paper's protocol on the embedded corpus; keyword
        ``overrides`` are applied on top (``run_experiment(epochs=5)``).
    data : FeatureSet, optional
        Use these features instead of loading ``params.data_dir``.
    cache : bool
        Reuse a stored result with the same key, and store new ones.

    Returns
    -------
    ExperimentResult
    """
    params = Params.coerce(params, **overrides)
    t0 = time.perf_counter()
    if data is None:
        data = load_data(params, cache_dir=cache_dir, n_jobs=n_jobs, progress=progress)
    t_data = time.perf_counter() - t0
    # The key: every parameter, the data's content, the library's source and the versions of the
    # libraries that compute the numbers (an upgrade never serves old results).
    key = stable_hash({"params": params.to_dict(), "data": data.identity(),
                       "code": package_fingerprint(), "versions": _environment()}, length=24)
    entry = _cache_path(cache_dir) / "experiments" / f"{key}.npz"
    if cache:
        hit = _load_result(entry, params, data)  # same identity; keeps the current skip report and source
        if hit is not None:
            return hit
    result = compute_experiment(params, data, progress=progress)
    result.seconds["data"] = t_data
    if cache:
        try:
            _store_result(entry, result)
        except OSError as exc:  # read-only folder, full disk, a file where the folder should be
            warn_unwritable("experiment", entry, exc)
    return result


# ------------------------------------------------------------ the cache entry (JSON + arrays, no pickle)
_METHOD_ARRAYS = ("embedding", "labels", "centers")


def _store_result(entry: Path, result: ExperimentResult) -> None:
    """Write ``result`` as one ``.npz`` of arrays and JSON (:func:`musiccluster.cache.write_entry`)."""
    arrays: dict[str, Any] = {"X_scaled": result.X_scaled, "pca_explained_variance": result.pca_explained_variance}
    for m in (result.vae, result.pca):
        arrays.update({f"{m.name}.{a}": getattr(m, a) for a in _METHOD_ARRAYS})
    arrays.update({f"history.{c}": result.history[c].to_numpy() for c in result.history.columns})
    arrays.update({f"weights.{k}": v.detach().cpu().numpy()
                   for k, v in result.vae_model.model_.state_dict().items()})
    meta = {"format": 1, "scores": {m.name: m.scores for m in (result.vae, result.pca)},
            "history_columns": list(result.history.columns), "data_identity": result.data_identity,
            "fingerprint": result.fingerprint, "environment": result.environment, "seconds": result.seconds}
    write_entry(entry, meta, arrays)


def _load_result(entry: Path, params: Params, data: FeatureSet) -> ExperimentResult | None:
    """The cached result of ``params`` on ``data``; None when absent or malformed (then recomputed)."""
    stored = read_entry(entry)
    if stored is None:
        return None
    meta, arrays = stored
    try:
        return _rebuild(meta, arrays, params, data)
    except Exception:  # wrong keys, shapes or types: recompute, never trust
        return None


def _rebuild(meta: dict, arrays: dict[str, np.ndarray], params: Params, data: FeatureSet) -> ExperimentResult | None:
    import torch

    from .models.vae import LinearVAE

    n, d = data.X.shape
    if meta.get("format") != 1 or meta["data_identity"] != data.identity() or arrays["X_scaled"].shape != (n, d):
        return None
    methods = {}
    for name in ("vae", "pca"):
        emb, labels, centers = (arrays[f"{name}.{a}"] for a in _METHOD_ARRAYS)
        scores = {str(k): float(v) for k, v in meta["scores"][name].items()}
        if (emb.shape != (n, params.latent_dim) or labels.shape != (n,) or labels.dtype.kind not in "iu"
                or centers.shape != (params.k, params.latent_dim)):
            return None
        methods[name] = MethodResult(name, emb, labels, centers, scores)
    history = pd.DataFrame({c: arrays[f"history.{c}"] for c in meta["history_columns"]})
    net = LinearVAE(d, params.hidden_dim, params.latent_dim)
    prefix = "weights."
    net.load_state_dict({k[len(prefix):]: torch.from_numpy(v) for k, v in arrays.items() if k.startswith(prefix)})
    vae = VAEEmbedder.from_params(params)
    vae.model_, vae.history_, vae.n_features_in_ = net, history, d
    return ExperimentResult(
        params=params, data=data, X_scaled=arrays["X_scaled"], vae=methods["vae"], pca=methods["pca"],
        history=history, vae_model=vae, pca_explained_variance=arrays["pca_explained_variance"],
        data_identity=str(meta["data_identity"]), fingerprint=str(meta["fingerprint"]),
        environment={str(k): str(v) for k, v in meta["environment"].items()},
        seconds={str(k): float(v) for k, v in meta["seconds"].items()})
