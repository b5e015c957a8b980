"""The fits of the evaluation: one seed of one pipeline, run as an independent task.

Chapter *Evaluation*. A task embeds the data (VAE, PCA, autoencoder), clusters every embedding at
every wanted k and keeps the labels and per-row silhouettes; nothing is bootstrapped here. Tasks
run on one thread each (:func:`musiccluster.threads.single_threaded`), side by side in worker
processes, so the numbers do not depend on the number of workers.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
from sklearn.metrics import silhouette_samples

from ..clustering import gmm_labels, kmeans
from ..features.scaling import standardize
from ..metrics.geometry import active_units, effective_dimensions
from ..params import Params
from ..threads import single_threaded
from .config import K_SWEEP_METHODS
from .nulls import clip_null, gaussian_null


def silhouettes(Z: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Per-row silhouette values of ``labels`` in ``Z`` (NaN when fewer than 2 or as many clusters as rows).

    Chapter: Evaluation
    """
    n_lab = len(np.unique(labels))
    if n_lab < 2 or n_lab >= len(labels):
        return np.full(len(labels), np.nan)
    return silhouette_samples(Z, labels).astype(np.float64)


def cluster(method: str, Z: np.ndarray, k: int, seed: int) -> np.ndarray:
    """Cluster labels of one method: a GMM for ``"gmm"``, K-Means for every other.

    Chapter: Evaluation
    """
    if method == "gmm":
        return gmm_labels(Z, k, seed)
    return kmeans(Z, k, seed).labels_.astype(int)


def _fit_vae(X: np.ndarray, params: Params, seed: int, loss_reduction: str | None, beta: float | None):
    from ..models.vae import VAEEmbedder

    overrides = {"seed": seed, "beta": beta, "loss_reduction": loss_reduction}
    vae = VAEEmbedder.from_params(params).set_params(**{k: v for k, v in overrides.items() if v is not None}).fit(X)
    Z = vae.transform(X)
    kl = np.sort(vae.kl_per_dimension(X))[::-1]
    return Z, {"kl_per_dim": kl, "kl_total": float(kl.sum()),
               "recon_mse": float(np.mean((vae.reconstruct(X) - X) ** 2))}


def _fit_ae(X: np.ndarray, params: Params, seed: int):
    from ..models.autoencoder import AEEmbedder

    ae = AEEmbedder(params.latent_dim, params.hidden_dim, params.epochs, params.lr, params.batch_size,
                    seed).fit(X)
    Z = ae.transform(X)
    return Z, {"recon_mse": float(np.mean((ae.reconstruct(X) - X) ** 2))}


def _fit_pca(X: np.ndarray, params: Params, seed: int):
    from ..models.linear import pca_embedder

    pca = pca_embedder(params.latent_dim, seed).fit(X)
    Z = pca.transform(X)
    return Z, {"recon_mse": float(np.mean((pca.inverse_transform(Z) - X) ** 2))}


def embed(X: np.ndarray, params: Params, seed: int, methods: Sequence[str], threshold: float,
          loss_reduction: str | None = None, beta: float | None = None) -> tuple[dict, dict]:
    """Fit the embedders among ``methods`` for one seed: their embeddings and health numbers.

    Chapter: Evaluation
    """
    emb, health = {}, {}
    for m in methods:
        if m == "vae":
            Z, h = _fit_vae(X, params, seed, loss_reduction, beta)
        elif m == "ae":
            Z, h = _fit_ae(X, params, seed)
        elif m == "pca":
            Z, h = _fit_pca(X, params, seed)
        else:
            continue
        emb[m] = Z
        h.update({"active_units": active_units(Z, threshold), "effective_dims": effective_dimensions(Z),
                  "latent_variance": np.sort(Z.var(axis=0))[::-1]})
        health[m] = h
    return emb, health


def null_draw(X: np.ndarray, seed: int, kind: bool | str, groups: np.ndarray | None) -> np.ndarray:
    """A standardised null draw of the raw features ``X``: ``"clip"`` keeps the clips, else i.i.d. rows.

    Chapter: Evaluation
    """
    if kind == "clip":
        return standardize(clip_null(X, groups, seed=seed))[0]
    return standardize(gaussian_null(X, seed=seed))[0]


def _cell(labels: np.ndarray, Z: np.ndarray, X: np.ndarray, own_space: bool) -> dict[str, np.ndarray]:
    """Labels and per-row silhouettes (own space, common space) of one clustering."""
    sil_common = silhouettes(X, labels)
    return {"labels": labels.astype(np.int16), "sil_own": silhouettes(Z, labels) if own_space else sil_common,
            "sil_common": sil_common}


def pipeline_task(X: np.ndarray, params: Params, seed: int, methods: Sequence[str], ks: Sequence[int],
                  k_sweep: Sequence[int], threshold: float, null: bool | str,
                  groups: np.ndarray | None = None) -> dict[str, Any]:
    """One seed of the whole pipeline on one data set: the real one, or (``null`` true) a null draw
    of it, i.i.d. rows or (``null="clip"``) the clip null of ``groups``.

    Chapter: Evaluation
    """
    if null:
        X = null_draw(X, seed, null, groups)
    emb, health = embed(X, params, seed, methods, threshold)
    cells: dict[tuple[str, int], dict] = {}
    wanted = [(m, k) for k in ks for m in methods]
    wanted += [(m, k) for k in k_sweep for m in K_SWEEP_METHODS if m in methods and (m, k) not in wanted]
    for m, k in wanted:
        Z = emb.get(m, X)
        cells[(m, k)] = _cell(cluster(m, Z, k, seed), Z, X, m in emb)
    out = {"seed": seed, "emb": emb, "health": health, "cells": cells}
    if null:
        out["X"] = X
    return out


def sweep_task(X: np.ndarray, params: Params, seed: int, reduction: str, beta: float, threshold: float,
               null: bool = False) -> dict[str, Any]:
    """One seed of one (loss_reduction, beta) setting of the VAE sweep, clustered at ``params.k``
    (on a null draw of ``X`` if ``null``).

    Chapter: Evaluation
    """
    if null:
        X, _ = standardize(gaussian_null(X, seed=seed))
    emb, health = embed(X, params, seed, ["vae"], threshold, reduction, beta)
    labels = cluster("vae", emb["vae"], params.k, seed)
    out = {"seed": seed, "reduction": reduction, "beta": beta, "null": null, "emb": emb, "health": health,
           "cells": {("vae", params.k): _cell(labels, emb["vae"], X, True)}}
    if null:
        out["X"] = X
    return out


def _single_threaded(fn, *args):
    """Run a task on one thread: the small matrices of these fits are faster so (a GMM five times),
    and the numbers are the same in a worker process and in the main one."""
    with single_threaded():
        return fn(*args)


def run_tasks(jobs: list, n_jobs: int, progress: bool) -> list:
    """Run ``(function, args)`` jobs in order, in ``n_jobs`` joblib workers (results in job order).

    Chapter: Evaluation
    """
    from joblib import Parallel, delayed
    from tqdm.auto import tqdm

    if n_jobs == 1 or len(jobs) <= 1:
        it = (_single_threaded(fn, *args) for fn, args in jobs)
        return list(tqdm(it, total=len(jobs), desc="evaluate", unit="fit", disable=not progress, leave=False))
    import warnings

    with warnings.catch_warnings():
        # loky replaces a worker whose memory grew (torch); harmless, and not the reader's concern.
        warnings.filterwarnings("ignore", message="A worker stopped while some jobs were given")
        it = Parallel(n_jobs=n_jobs, return_as="generator")(delayed(_single_threaded)(fn, *args)
                                                            for fn, args in jobs)
        return list(tqdm(it, total=len(jobs), desc="evaluate", unit="fit", disable=not progress, leave=False))
