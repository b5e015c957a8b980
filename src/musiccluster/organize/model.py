"""The reusable model of ``musiccluster cluster``: scaler, embedding, centres and map, on disk.

Command: ``musiccluster cluster`` (writes ``OUT_DIR/model/``) and ``musiccluster cluster --assign``
(reads it). The folder holds ``config.json`` (method, feature parameters, sizes, training summary,
and the SHA-256 of the two other files), ``arrays.npz`` (scaler mean/scale, PCA mean/components if
used, K-Means centres, the 2-d map projection; read with ``allow_pickle=False``) and, for the VAE,
``vae.pt`` (a ``torch`` ``state_dict``, read with ``weights_only=True``). No Python object is
pickled: the fitted estimators are rebuilt from those arrays.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import __version__
from .._constants import SR
from ..userfiles import write_user_file
from ..errors import DataError, ParameterError
from ..params import Params
from .assign import ASSIGNMENT_RULE, CHUNK_ROWS
from .options import METHODS
from .outputs import jsonable

#: Version of the files in ``model/``.
MODEL_FORMAT = 1


def feature_version() -> str:
    """The version of the features this musiccluster computes (a model records the one it used).

    Command: ``musiccluster cluster --assign`` (refuses a model of other features).
    """
    from ..features.extract import FEATURE_VERSION

    return FEATURE_VERSION


def _fitted(estimator, **attributes):
    """``estimator`` with its fitted attributes set from saved arrays (how sklearn objects are rebuilt)."""
    for name, value in attributes.items():
        setattr(estimator, name, value)
    return estimator


@dataclass
class LibraryModel:
    """Everything needed to put tracks into the clusters: the fitted scaler and embedding, centres, map.

    Command: ``musiccluster cluster`` (``OUT_DIR/model``). :meth:`embed` is the only path from raw
    features to embeddings, used both in training and by ``--assign``, so re-assigning the
    training tracks gives their clusters back exactly.

    Attributes
    ----------
    method : {'vae', 'pca', 'raw'}
    feature_params : dict
        ``n_segments``, ``segment_seconds`` (None: equal division, the paper protocol), ``n_mfcc``,
        ``min_segment_s``, ``sr``, ``feature_version``. A model written before ``segment_seconds``
        existed has none: it was trained on equal division.
    scaler : sklearn.preprocessing.StandardScaler
        Fitted on the training segments.
    pca : sklearn.decomposition.PCA or None
    vae : musiccluster.models.vae.VAEEmbedder or None
    centers, map_mean, map_components : ndarray or None
        K-Means centres (cluster 1 first) and the map's axes.
    info : dict
        The training summary written into ``config.json``.
    """

    method: str
    feature_params: dict[str, Any]
    scaler: Any
    pca: Any = None
    vae: Any = None
    centers: np.ndarray | None = None
    map_mean: np.ndarray | None = None
    map_components: np.ndarray | None = None
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def k(self) -> int:
        return 0 if self.centers is None else int(self.centers.shape[0])

    def embed(self, X: np.ndarray) -> np.ndarray:
        """Embeddings of raw feature rows (the VAE's posterior means, PCA scores or z-scores).

        The scaler and the VAE are the fitted estimators' own ``transform`` (the VAE in chunks of
        :data:`~musiccluster.organize.assign.CHUNK_ROWS` rows). PCA scores are
        ``(z - mean) @ components.T`` of the fitted PCA: scikit-learn's own ``transform``
        projects first and centres after, which differs in the last bits, and the recorded
        outputs (and every saved model) were made with this order.
        """
        X = np.asarray(X, dtype=np.float64)
        n_features = self.scaler.mean_.shape[0]
        if X.ndim != 2 or X.shape[1] != n_features:
            raise DataError(f"features have shape {X.shape}; the model expects {n_features} columns")
        if self.method == "raw":
            return self.scaler.transform(X)
        if self.method == "pca":  # components in C order, as saved and loaded: the same BLAS path
            return (self.scaler.transform(X) - self.pca.mean_) @ np.ascontiguousarray(self.pca.components_).T
        out = np.empty((X.shape[0], self.vae.latent_dim), dtype=np.float64)
        for start in range(0, X.shape[0], CHUNK_ROWS):
            rows = slice(start, start + CHUNK_ROWS)
            out[rows] = self.vae.transform(self.scaler.transform(X[rows]))
        return out

    def project(self, positions: np.ndarray) -> np.ndarray:
        """2-d map coordinates of track positions (the training tracks' top-2 principal axes)."""
        return (np.asarray(positions, dtype=np.float64) - self.map_mean) @ self.map_components.T

    def _vae_config(self) -> dict[str, int] | None:
        if self.vae is None:
            return None
        return {"n_features": int(self.vae.n_features_in_), "hidden_dim": self.vae.hidden_dim,
                "latent_dim": self.vae.latent_dim}

    def save(self, folder: str | os.PathLike[str]) -> Path:
        """Write ``config.json``, ``arrays.npz`` and (VAE) ``vae.pt``; config last, with checksums."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        arrays = {"scaler_mean": self.scaler.mean_, "scaler_scale": self.scaler.scale_,
                  "centers": self.centers, "map_mean": self.map_mean,
                  "map_components": self.map_components}
        if self.method == "pca":
            arrays.update(pca_mean=self.pca.mean_, pca_components=self.pca.components_)
        buf = io.BytesIO()
        np.savez(buf, **{k: np.ascontiguousarray(v, dtype=np.float64) for k, v in arrays.items()})
        files = {"arrays.npz": buf.getvalue()}
        if self.method == "vae":
            import torch

            wbuf = io.BytesIO()
            torch.save({k: v.detach().cpu() for k, v in self.vae.model_.state_dict().items()}, wbuf)
            files["vae.pt"] = wbuf.getvalue()
        for name, data in files.items():  # an earlier vae.pt is removed by the manifest (.outdir)
            write_user_file(folder / name, data)
        config = {
            "format": "musiccluster-library-model", "format_version": MODEL_FORMAT,
            "musiccluster_version": __version__, "method": self.method, "k": self.k,
            "feature_params": self.feature_params, "vae": self._vae_config(),
            "assignment_rule": ASSIGNMENT_RULE,
            "files": {name: {"sha256": _sha256(data), "bytes": len(data)} for name, data in files.items()},
            "info": self.info,
        }
        write_user_file(folder / "config.json", (json.dumps(jsonable(config), indent=2) + "\n")
                        .encode("utf-8", "backslashreplace"))
        return folder

    @classmethod
    def load(cls, folder: str | os.PathLike[str]) -> "LibraryModel":
        """Read a model written by :meth:`save`.

        Raises
        ------
        DataError
            If files are missing, do not match their checksums (e.g. from two
            different runs), or were written by an incompatible version.
        """
        from sklearn.preprocessing import StandardScaler

        cfg, blobs = _read_model_files(Path(folder).expanduser())
        arrays = _checked_arrays(Path(folder), cfg, blobs)
        n_features = int(arrays["scaler_mean"].shape[0])
        scaler = _fitted(StandardScaler(), mean_=arrays["scaler_mean"], scale_=arrays["scaler_scale"],
                         var_=np.square(arrays["scaler_scale"]), n_features_in_=n_features)
        pca = vae = None
        if cfg["method"] == "pca":
            from ..models.linear import pca_embedder

            comps = arrays["pca_components"]
            pca = _fitted(pca_embedder(int(comps.shape[0])), mean_=arrays["pca_mean"], components_=comps,
                          n_components_=int(comps.shape[0]), n_features_in_=n_features)
        elif cfg["method"] == "vae":
            vae = _load_vae(cfg["vae"], blobs["vae.pt"])
        return cls(method=cfg["method"], feature_params=cfg["feature_params"], scaler=scaler, pca=pca,
                   vae=vae, centers=arrays["centers"], map_mean=arrays["map_mean"],
                   map_components=arrays["map_components"], info=cfg.get("info", {}))


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read_model_files(folder: Path) -> tuple[dict[str, Any], dict[str, bytes]]:
    """``config.json`` and the files it lists, each checked against its SHA-256."""
    cfg_path = folder / "config.json"
    if not cfg_path.is_file():
        raise DataError(f"no model at {folder} (expected {cfg_path.name}; the model folder is "
                        f"OUT_DIR/model of a previous 'musiccluster cluster' run)")
    try:
        cfg = json.loads(cfg_path.read_text())
    except (OSError, ValueError) as exc:
        raise DataError(f"unreadable model config {cfg_path}: {exc}") from None
    if cfg.get("format") != "musiccluster-library-model" or cfg.get("format_version") != MODEL_FORMAT:
        raise DataError(f"{cfg_path} is not a musiccluster library model of format {MODEL_FORMAT}")
    blobs = {}
    for name, meta in cfg.get("files", {}).items():
        try:
            data = (folder / name).read_bytes()
        except OSError as exc:
            raise DataError(f"model file missing: {folder / name} ({exc.strerror or exc})") from None
        if _sha256(data) != meta.get("sha256"):
            raise DataError(f"model file {folder / name} does not match config.json "
                            f"(written by another run, or damaged); retrain")
        blobs[name] = data
    return cfg, blobs


#: The arrays every saved model has, and those its method adds.
_ARRAYS = ("scaler_mean", "scaler_scale", "centers", "map_mean", "map_components")
_METHOD_ARRAYS = {"pca": ("pca_mean", "pca_components"), "vae": (), "raw": ()}


def _checked_arrays(folder: Path, cfg: dict[str, Any], blobs: dict[str, bytes]) -> dict[str, np.ndarray]:
    """The model's arrays, after checking that they and ``config.json`` describe one model.

    Raises DataError (one line: what does not fit, then "retrain") for an unknown method, a missing
    file or array, non-finite values, or shapes that disagree with each other or with the config
    (``k``, the VAE's ``n_features`` and ``latent_dim``).
    """
    def bad(what: str) -> DataError:
        return DataError(f"model {folder}: {what}; retrain")

    method = cfg.get("method")
    if method not in _METHOD_ARRAYS:
        raise bad(f"unknown method {method!r} in config.json (expected one of {', '.join(METHODS)})")
    for name in ("arrays.npz", *(("vae.pt",) if method == "vae" else ())):
        if name not in blobs:
            raise bad(f"config.json lists no {name}")
    try:
        with np.load(io.BytesIO(blobs["arrays.npz"]), allow_pickle=False) as npz:
            arrays = {k: np.asarray(npz[k]) for k in npz.files}
    except (OSError, ValueError) as exc:
        raise bad(f"arrays.npz is unreadable ({exc})") from None
    missing = [n for n in (*_ARRAYS, *_METHOD_ARRAYS[method]) if n not in arrays]
    if missing:
        raise bad(f"arrays.npz lacks {', '.join(missing)}")
    if not all(a.dtype.kind == "f" and np.all(np.isfinite(a)) for a in arrays.values()):
        raise bad("arrays.npz holds non-numeric or non-finite values")
    n = arrays["scaler_mean"].shape[0] if arrays["scaler_mean"].ndim == 1 else -1
    dim = {"raw": n, "pca": arrays.get("pca_components", np.empty((0, 0))).shape[0],
           "vae": int((cfg.get("vae") or {}).get("latent_dim", -1))}[method]
    shapes = {"scaler_scale": (n,), "centers": (int(cfg.get("k", -1)), dim), "map_mean": (dim,),
              "map_components": (2, dim), **({"pca_mean": (n,), "pca_components": (dim, n)} if method == "pca" else {})}
    wrong = [f"{name} {arrays[name].shape} (expected {shape})" for name, shape in shapes.items()
             if arrays[name].shape != shape]
    if n < 1 or wrong:
        raise bad("shapes disagree with config.json: " + ", ".join(wrong or ["scaler_mean is not a vector"]))
    if method == "vae" and int(cfg["vae"].get("n_features", -1)) != n:
        raise bad(f"the VAE expects {cfg['vae'].get('n_features')} features, the scaler {n}")
    return arrays


def _load_vae(config: dict[str, int], weights: bytes):
    """The fitted :class:`~musiccluster.models.vae.VAEEmbedder` of saved weights."""
    import torch

    from ..models.vae import LinearVAE, VAEEmbedder

    try:
        net = LinearVAE(**config)
        net.load_state_dict(torch.load(io.BytesIO(weights), map_location="cpu", weights_only=True))
    except Exception as exc:  # not a state dict, or one of another shape: never a traceback
        raise DataError(f"vae.pt does not hold this model's weights ({type(exc).__name__}: "
                        f"{' '.join(str(exc).split())[:160]}); retrain") from None
    net.eval()
    return _fitted(VAEEmbedder(latent_dim=config["latent_dim"], hidden_dim=config["hidden_dim"]),
                   model_=net, n_features_in_=config["n_features"])


def auto_batch_size(n_rows: int, base: int = 64) -> int:
    """VAE mini-batch for ``n_rows`` segments when none is given: ``base`` up to 64 000 rows, then
    the power of two nearest ``n_rows / 1000`` (at most 4096), so an epoch is at most ~1 000 steps
    and training time stops growing with the library (1M segments: batch 1024).

    Command: ``musiccluster cluster`` (without ``--batch-size``).
    """
    target = n_rows / 1000
    if target <= base:
        return base
    return int(min(4096, 2 ** round(np.log2(target))))


def fit_embedding(X: np.ndarray, method: str, params: Params,
                  progress: bool = True) -> tuple[LibraryModel, pd.DataFrame | None]:
    """Fit the scaler and the embedding (VAE, PCA or none) on raw feature rows.

    Command: ``musiccluster cluster``. Returns the model (no centres yet) and the VAE training
    history (or None).
    """
    from ..features.scaling import standardize
    from ..models.linear import pca_embedder

    if method not in METHODS:
        raise ParameterError("method", f"must be one of {', '.join(METHODS)}; got {method!r}")
    Xs, scaler = standardize(X)
    feature_params = {"n_segments": params.n_segments, "segment_seconds": params.features.segment_seconds,
                      "n_mfcc": params.n_mfcc,
                      "min_segment_s": params.min_segment_s, "sr": SR, "feature_version": feature_version()}
    model = LibraryModel(method=method, feature_params=feature_params, scaler=scaler)
    if method == "pca":
        if params.latent_dim > Xs.shape[1]:
            raise ParameterError("latent_dim", f"is {params.latent_dim} but there are only {Xs.shape[1]} features")
        model.pca = pca_embedder(params.latent_dim, params.seed).fit(Xs)
        model.info["pca_explained_variance"] = [float(v) for v in model.pca.explained_variance_ratio_]
    elif method == "vae":
        from ..models.vae import VAEEmbedder

        model.vae = VAEEmbedder.from_params(params, progress=progress).fit(Xs)
        return model, model.vae.history_
    return model, None
