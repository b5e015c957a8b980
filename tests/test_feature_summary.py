"""features.summary: the chapters' descriptive numbers against direct counts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from musiccluster.features.summary import (clips_per_label, correlation_summary, feature_moments,
                                           max_abs_difference, spread_summary)


def _data(seed: int = 0, n: int = 200, p: int = 26) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = rng.normal(size=(n, 4))
    return base @ rng.normal(size=(4, p)) + rng.normal(scale=1.5, size=(n, p))


def test_correlation_share_is_a_count_over_the_upper_triangle():
    X = _data()
    names = [f"f{i}" for i in range(X.shape[1])]
    s = correlation_summary(X, names, 0.5)
    corr = np.corrcoef(X, rowvar=False)
    direct = sum(abs(corr[i, j]) > 0.5 for i in range(26) for j in range(i + 1, 26))
    assert s.n_pairs == 325
    assert s.n_strong == direct
    assert s.share_strong == pytest.approx(direct / 325)
    i, j = (names.index(n) for n in s.top_pair)
    assert abs(corr[i, j]) == pytest.approx(np.max(np.abs(corr[np.triu_indices(26, 1)])))


def test_correlation_share_is_not_the_pandas_stack_share():
    """The old chapter code: under pandas 3, stack() keeps the masked NaNs (denominator p*p, not p(p-1)/2)."""
    X = _data(1)
    names = [f"f{i}" for i in range(X.shape[1])]
    s = correlation_summary(X, names)
    assert 0 < s.n_strong
    corr = pd.DataFrame(np.corrcoef(X, rowvar=False))
    stacked = corr.where(np.triu(np.ones(corr.shape, dtype=bool), 1)).stack()
    if len(stacked) != s.n_pairs:          # pandas 3: the bug this function fixes
        assert (stacked.abs() > 0.5).mean() < s.share_strong


def test_constant_feature_counts_as_not_strong():
    X = _data(2, p=5)
    X[:, 2] = 1.0
    s = correlation_summary(X, list("abcde"))
    assert s.n_pairs == 10 and 2 not in s.top_pair


def test_spread_moments_difference_and_clips_per_label():
    X = np.array([[0.0, 10.0], [2.0, 30.0]])
    s = spread_summary(X, ["a", "b"])
    assert (s.sd_min, s.name_min, s.sd_max, s.name_max, s.ratio) == (1.0, "a", 10.0, "b", 10.0)
    m = feature_moments(X, ["a", "b"])
    assert m.loc["b", "mean"] == 20.0 and m.loc["a", "sd"] == 1.0
    assert max_abs_difference(X, X + [[0, 0.5], [0, -2]]) == 2.0
    clips = pd.DataFrame({"clip_id": ["x", "y", "z"], "label": ["a", "a", None],
                          "n_segments": [10, 8, 10], "duration_s": [30.0, 24.0, 30.0]})
    t = clips_per_label(clips)
    assert t.loc["a", "clips"] == 2 and t.loc["a", "segments"] == 18 and t.loc["a", "shortest (s)"] == 24.0
    assert t.loc["(no label)", "clips"] == 1


def test_clip_level_features_is_the_variance_of_the_whole_clip():
    from musiccluster.features.summary import clip_level_features
    rng = np.random.default_rng(3)
    frames = rng.normal(size=(2, 60, 3)) * [1.0, 2.0, 0.5] + rng.normal(size=(2, 1, 3))   # 2 clips x 60 frames
    seg = frames.reshape(2, 3, 20, 3)                                                       # 3 segments of 20
    X = np.concatenate([seg.mean(axis=2), seg.var(axis=2)], axis=2).reshape(6, 6)
    out = clip_level_features(X, np.repeat(["a", "b"], 3), n_mfcc=3)
    expected = np.concatenate([frames.mean(axis=1), frames.var(axis=1)], axis=1)
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)
