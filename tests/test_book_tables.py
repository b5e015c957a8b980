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


def test_tidy_formats_one_way_per_quantity_and_moves_the_index_name():
    import pandas as pd

    from musiccluster.book.tables import tidy

    raw = pd.DataFrame({"silhouette": [0.25651, 0.009202], "Calinski–Harabasz": [547.21, 32.179],
                        "clips": [200, 20], "interval": ["0.215 [0.205, 0.227]", "x"]},
                       index=pd.Index(["VAE", "PCA"], name="method"))
    t = tidy(raw)
    assert t.loc["VAE"].tolist() == ["0.257", "547", "200", "0.215 [0.205, 0.227]"]
    assert t.loc["PCA", "silhouette"] == "0.009" and t.loc["PCA", "Calinski–Harabasz"] == "32"
    assert t.index.name is None and t.columns.name == "method"
    html = t.to_html()
    assert html.count("<tr") == 3  # header + two rows: no empty row for the index's name
    assert "e-03" not in html


def test_tidy_flattens_a_row_multiindex_and_integer_rows():
    import pandas as pd

    from musiccluster.book.tables import tidy

    idx = pd.MultiIndex.from_tuples([("sum", 0.3), ("mean", 1.0)], names=["loss_reduction", "beta"])
    t = tidy(pd.DataFrame({"ari": [0.1, float("nan")]}, index=idx))
    assert t.index.tolist() == ["sum · 0.3", "mean · 1.0"] and t.columns.name == "loss_reduction · beta"
    assert t["ari"].tolist() == ["0.100", "–"]
    rows = tidy(pd.DataFrame({"VAE": [3.8, 554.5]}, index=["effective dims", "calinski harabasz own"]))
    assert rows["VAE"].tolist() == ["3.800", "554"]
    assert tidy(pd.DataFrame({"a": [1.0]}), corner="k = 5").columns.name == "k = 5"


def test_split_columns_keeps_the_index_and_caps_the_width():
    import pandas as pd

    from musiccluster.book.tables import split_columns

    wide = pd.DataFrame(np.arange(14).reshape(2, 7), index=["a", "b"])
    parts = split_columns(wide, 3)
    assert [p.shape[1] for p in parts] == [3, 3, 1]
    assert all(p.index.tolist() == ["a", "b"] for p in parts)
    assert pd.concat(parts, axis=1).equals(wide)


def test_tidy_rounds_intervals_of_integer_quantities_only():
    import pandas as pd

    from musiccluster.book.tables import tidy

    raw = pd.DataFrame({"GMM": ["88.406 [76.906,\u00a097.490]", "0.068 [0.046,\u00a00.090]"]},
                       index=["null calinski harabasz own", "silhouette own"])
    t = tidy(raw)
    assert t["GMM"].tolist() == ["88 [77,\u00a097]", "0.068 [0.046,\u00a00.090]"]
