"""Seeded, single-threaded mini-batch training shared by the VAE and the plain autoencoder.

Chapter *The VAE*.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import torch
from torch import nn

from ..errors import TrainingError
from ..threads import single_threaded


def check_training_data(X: np.ndarray) -> np.ndarray:
    """``X`` as float32, or ValueError if it is not 2-d with >= 2 finite rows.

    Chapter: The VAE.
    """
    X = np.asarray(X, dtype=np.float32)
    if X.ndim != 2 or X.shape[0] < 2:
        raise ValueError("X must be 2-d with at least 2 rows")
    if not np.all(np.isfinite(X)):
        raise ValueError("X contains NaN or infinite values")
    return X


def train_minibatches(
    build: Callable[[], nn.Module], X: np.ndarray,
    step: Callable[[nn.Module, torch.Tensor, torch.Generator], tuple[torch.Tensor, dict[str, float]]],
    *, epochs: int, lr: float, batch_size: int, seed: int, name: str = "model",
    progress: bool = False, callback: Callable[[int, dict], None] | None = None,
) -> tuple[nn.Module, list[dict]]:
    """Seeded, single-threaded Adam training over shuffled mini-batches.

    Shared by :class:`VAEEmbedder` and :class:`musiccluster.baselines.AEEmbedder`.
    ``build()`` creates the network under ``torch.manual_seed(seed)`` inside a
    forked RNG state (the caller's global state is untouched); the batch order
    (and anything ``step`` draws, e.g. reparameterisation noise) comes from a
    private ``torch.Generator`` seeded with ``seed``. ``step(model, xb, gen)``
    returns the loss to minimise and extra per-batch numbers to log.

    Returns
    -------
    model : nn.Module
        Trained, in eval mode.
    rows : list of dict
        Per epoch: ``epoch``, ``loss`` and the ``step`` numbers, averaged over the batches.

    Raises
    ------
    TrainingError
        When the loss stops being finite (with the epoch, batch and a hint).

    Chapter: The VAE.
    """
    from tqdm.auto import tqdm

    with single_threaded():
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            model = build()
        gen = torch.Generator().manual_seed(seed)
        data = torch.from_numpy(X)
        opt = torch.optim.Adam(model.parameters(), lr=lr)
        rows = []
        bar = tqdm(range(1, epochs + 1), desc=name, unit="epoch", disable=not progress, leave=False)
        for epoch in bar:
            model.train()
            order = torch.randperm(len(data), generator=gen)
            sums: dict[str, float] = {"loss": 0.0}
            n_batches = 0
            for b, start in enumerate(range(0, len(data), batch_size)):
                xb = data[order[start:start + batch_size]]
                loss, extra = step(model, xb, gen)
                if not torch.isfinite(loss):
                    raise TrainingError(
                        f"{name} loss became {loss.item()} at epoch {epoch}, batch {b}; "
                        f"try a smaller lr (now {lr:g}) or check the input scaling"
                    )
                opt.zero_grad()
                loss.backward()
                opt.step()
                sums["loss"] += loss.item()
                for key, value in extra.items():
                    sums[key] = sums.get(key, 0.0) + value
                n_batches += 1
            row = {"epoch": epoch, **{k: v / n_batches for k, v in sums.items()}}
            rows.append(row)
            bar.set_postfix(loss=f"{row['loss']:.3f}")
            if callback is not None:
                callback(epoch, row)
        model.eval()
    return model, rows
