"""The clip representations of chapter Similarity, each against a direct computation."""

from __future__ import annotations

import librosa
import numpy as np
import pytest
from scipy import stats

from musiccluster.features.descriptors import DESCRIPTOR_NAMES, clip_descriptors, delta_stats
from musiccluster.features.timbre import (GaussianModels, diagonal_models, gaussian_js, gaussian_model,
                                          kl_divergence, stack_models, symmetric_kl)
from musiccluster.metrics.similarity import mutual_proximity


def _random_models(n=4, d=3, seed=0) -> GaussianModels:
    rng = np.random.default_rng(seed)
    mus, covs = [], []
    for _ in range(n):
        A = rng.normal(size=(d, d))
        covs.append(A @ A.T + 0.5 * np.eye(d))
        mus.append(rng.normal(size=d))
    return GaussianModels(np.array(mus), np.array(covs))


def test_kl_closed_form_matches_monte_carlo():
    g = _random_models()
    p, q = stats.multivariate_normal(g.mean[0], g.cov[0]), stats.multivariate_normal(g.mean[1], g.cov[1])
    x = p.rvs(size=400_000, random_state=np.random.default_rng(1))
    mc = float(np.mean(p.logpdf(x) - q.logpdf(x)))
    assert kl_divergence(g.mean[0], g.cov[0], g.mean[1], g.cov[1]) == pytest.approx(mc, rel=0.02)


def test_symmetric_kl_matrix_is_the_sum_of_both_kls():
    g = _random_models(n=5)
    D = symmetric_kl(g)
    for i in range(5):
        for j in range(5):
            want = 0.0 if i == j else (kl_divergence(g.mean[i], g.cov[i], g.mean[j], g.cov[j])
                                       + kl_divergence(g.mean[j], g.cov[j], g.mean[i], g.cov[i]))
            assert D[i, j] == pytest.approx(want, rel=1e-9, abs=1e-9)


def test_gaussian_js_is_the_moment_matched_formula():
    g = _random_models(n=3)
    D = gaussian_js(g)
    i, j = 0, 2
    diff = g.mean[i] - g.mean[j]
    Sm = (g.cov[i] + g.cov[j]) / 2 + np.outer(diff, diff) / 4
    want = (np.log(np.linalg.det(Sm)) / 2 - (np.log(np.linalg.det(g.cov[i])) + np.log(np.linalg.det(g.cov[j]))) / 4)
    assert D[i, j] == pytest.approx(want) == D[j, i]
    assert np.all(np.diag(D) == 0) and np.all(D >= 0)
    same = GaussianModels(np.repeat(g.mean[:1], 2, 0), np.repeat(g.cov[:1], 2, 0))
    assert gaussian_js(same)[0, 1] == pytest.approx(0.0, abs=1e-12)


def test_gaussian_model_is_numpy_mean_and_covariance():
    rng = np.random.default_rng(3)
    F = rng.normal(size=(4, 500))
    mu, C = gaussian_model(F)
    np.testing.assert_allclose(mu, F.mean(axis=1))
    np.testing.assert_allclose(C, np.cov(F, ddof=0), rtol=1e-5, atol=1e-8)
    diag = diagonal_models(F.mean(axis=1)[None], F.var(axis=1)[None])
    np.testing.assert_allclose(np.diag(diag.cov[0]), F.var(axis=1))
    assert stack_models([(mu, C), (mu, C)]).cov.shape == (2, 4, 4)


def test_delta_stats_match_librosa_delta_and_a_ramp_has_its_slope():
    rng = np.random.default_rng(4)
    M = rng.normal(size=(13, 300))
    got = delta_stats(M)
    d1, d2 = librosa.feature.delta(M, width=9), librosa.feature.delta(M, width=9, order=2)
    np.testing.assert_allclose(got, np.concatenate([M.mean(1), M.var(1), d1.mean(1), d1.var(1),
                                                    d2.mean(1), d2.var(1)]))
    ramp = np.tile(np.arange(50, dtype=float) * 0.5, (2, 1))
    s = delta_stats(ramp)
    assert s[4:6] == pytest.approx([0.5, 0.5], abs=1e-9)     # mean delta = slope
    assert s[6:8] == pytest.approx([0.0, 0.0], abs=1e-9)     # no spread of the delta
    assert delta_stats(rng.normal(size=(3, 2))).shape == (18,)  # too short for a delta: zeros, no error


def test_clip_descriptors_of_a_tone():
    sr = 22050
    t = np.arange(3 * sr) / sr
    y = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    d = clip_descriptors(y, sr, n_mfcc=13)
    assert d.spectral.shape == (len(DESCRIPTOR_NAMES),) and d.delta.shape == (78,)
    names = list(DESCRIPTOR_NAMES)
    assert d.spectral[names.index("spectral_centroid_mean")] == pytest.approx(440, rel=0.1)
    chroma = d.spectral[names.index("chroma1_mean"):names.index("chroma12_mean") + 1]
    assert int(np.argmax(chroma)) == 9                      # A
    assert d.timbre_cov.shape == (13, 13) and np.all(np.linalg.eigvalsh(d.timbre_cov) > 0)


def test_mutual_proximity_by_hand():
    D = np.array([[0, 1, 4, 5], [1, 0, 2, 6], [4, 2, 0, 3], [5, 6, 3, 0]], dtype=float)
    mp = mutual_proximity(D)
    # pair (0, 1): from 0, others {2: 4, 3: 5} both farther than 1 -> 1; from 1, {2: 2, 3: 6} both -> 1
    assert mp[0, 1] == pytest.approx(0.0)
    # pair (0, 2), d = 4: from 0 the others {1: 1, 3: 5}: 1 of 2 farther; from 2 {1: 2, 3: 3}: none
    assert mp[0, 2] == pytest.approx(1.0)
    # pair (1, 2), d = 2: from 1 {0: 1, 3: 6}: 1/2; from 2 {0: 4, 3: 3}: 2/2 -> 1 - 1/2
    assert mp[1, 2] == pytest.approx(0.5)
    np.testing.assert_allclose(mp, mp.T)
    assert np.all(np.diag(mp) == 0)
