"""book.tables: the counts the VAE and Experiments chapters show."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from musiccluster.book.tables import latent_table, layer_table, parameter_count, pca_spectrum


def test_parameter_count_and_layer_table():
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    assert parameter_count(model) == 3 * 4 + 4 + 4 * 2 + 2
    t = layer_table(model)
    assert t["parameters"].tolist() == [16, 0, 10]
    assert t.loc["0", "in → out"] == "3 → 4" and t.loc["1", "type"] == "ReLU"


def test_latent_table():
    Z = np.array([[0.0, 1.0], [2.0, 1.0]])
    t = latent_table(np.array([0.5, 0.0]), Z)
    assert t.loc["variance of μ"].tolist() == [1.0, 0.0]
    assert t.loc["KL (nats per segment)", 1] == 0.5


def test_pca_spectrum():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 5)) * [3, 2, 1, 1, 1]
    full = pca_spectrum(X, np.array([0.5, 0.2]))
    assert full["full"].sum() == pytest.approx(1.0) and len(full["full"]) == 5
    assert full["kept_share"] == pytest.approx(0.7) and full["first_share"] == 0.5
