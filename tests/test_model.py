import numpy as np
import pytest
import torch

from musiccluster.errors import TrainingError
from musiccluster.models.vae import LinearVAE, VAEEmbedder, kl_divergence, vae_loss


def blobs(n=300, d=26, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 3, size=(3, d))
    X = np.vstack([c + rng.normal(size=(n // 3, d)) for c in centres])
    return (X - X.mean(0)) / X.std(0)


def test_kl_matches_closed_form_of_torch_distributions():
    g = torch.Generator().manual_seed(0)
    mu, logvar = torch.randn(8, 4, generator=g), torch.randn(8, 4, generator=g)
    q = torch.distributions.Normal(mu, torch.exp(0.5 * logvar))
    p = torch.distributions.Normal(torch.zeros(4), torch.ones(4))
    expected = torch.distributions.kl_divergence(q, p)
    torch.testing.assert_close(kl_divergence(mu, logvar), expected)
    assert torch.all(kl_divergence(torch.zeros(2, 4), torch.zeros(2, 4)) == 0)


def test_architecture_shapes():
    m = LinearVAE(26, 64, 4)
    x = torch.randn(5, 26)
    x_hat, mu, logvar = m(x)
    assert x_hat.shape == (5, 26) and mu.shape == (5, 4) and logvar.shape == (5, 4)
    sizes = [tuple(p.shape) for p in m.parameters()]
    assert (64, 26) in sizes and (4, 64) in sizes and (26, 64) in sizes and (64, 4) in sizes


def test_reductions_relate_as_documented():
    g = torch.Generator().manual_seed(1)
    x, x_hat = torch.randn(10, 26, generator=g), torch.randn(10, 26, generator=g)
    mu, logvar = torch.randn(10, 4, generator=g), torch.randn(10, 4, generator=g)
    _, r_sum, k_sum = vae_loss(x_hat, x, mu, logvar, reduction="sum")
    _, r_mean, k_mean = vae_loss(x_hat, x, mu, logvar, reduction="mean")
    _, r_mix, k_mix = vae_loss(x_hat, x, mu, logvar, reduction="mse_mean_kl_sum")
    torch.testing.assert_close(r_sum, r_mean * 26)
    torch.testing.assert_close(k_sum, k_mean * 4)
    torch.testing.assert_close(r_mix, r_mean)
    torch.testing.assert_close(k_mix, k_sum * 10)
    total, r, k = vae_loss(x_hat, x, mu, logvar, beta=2.5, reduction="sum")
    torch.testing.assert_close(total, r + 2.5 * k)
    with pytest.raises(ValueError):
        vae_loss(x_hat, x, mu, logvar, reduction="median")


def test_same_seed_same_result_other_seed_differs():
    X = blobs()
    a = VAEEmbedder(epochs=3, seed=7).fit(X)
    b = VAEEmbedder(epochs=3, seed=7).fit(X)
    c = VAEEmbedder(epochs=3, seed=8).fit(X)
    np.testing.assert_array_equal(a.transform(X), b.transform(X))
    assert a.history_.equals(b.history_)
    assert not np.allclose(a.transform(X), c.transform(X))
    # training leaves the global torch RNG alone
    torch.manual_seed(123); before = torch.rand(1)
    torch.manual_seed(123); VAEEmbedder(epochs=1).fit(X); after = torch.rand(1)
    assert torch.equal(before, after)


def test_training_learns_and_history_is_complete():
    X = blobs()
    vae = VAEEmbedder(epochs=15, seed=0).fit(X)
    h = vae.history_
    assert list(h.columns) == ["epoch", "loss", "recon_mse", "kl"] and len(h) == 15
    assert h["recon_mse"].iloc[-1] < h["recon_mse"].iloc[0]
    assert vae.transform(X).shape == (300, 4)
    assert vae.kl_per_dimension(X).shape == (4,)
    assert 1 <= vae.active_units(X) <= 4


def test_summed_kl_over_the_batch_collapses_the_latent():
    X = blobs()
    collapsed = VAEEmbedder(epochs=20, loss_reduction="mse_mean_kl_sum", seed=0).fit(X)
    healthy = VAEEmbedder(epochs=20, loss_reduction="sum", seed=0).fit(X)
    assert collapsed.active_units(X) < healthy.active_units(X)
    assert collapsed.kl_per_dimension(X).sum() < 0.1 * healthy.kl_per_dimension(X).sum()


def test_nan_loss_stops_with_a_clear_error():
    X = blobs()
    X[3, 2] = 1e30  # finite, but the squared error overflows float32
    with pytest.raises(TrainingError, match="epoch 1"):
        VAEEmbedder(epochs=2).fit(X)
    bad = blobs(); bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        VAEEmbedder(epochs=1).fit(bad)
