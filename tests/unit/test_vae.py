"""The variational autoencoder: its KL term, the reparameterisation trick, the ELBO, sampling."""
import pytest
import torch

from aekit import fit, seed_everything
from aekit.evaluate import reconstruction_error
from aekit.models import VAE
from aekit.models.vae import gaussian_kl


def test_analytic_kl_matches_monte_carlo():
    gen = torch.Generator().manual_seed(0)
    mean = torch.randn(4, 3, generator=gen, dtype=torch.float64)
    logvar = torch.randn(4, 3, generator=gen, dtype=torch.float64)
    std = torch.exp(0.5 * logvar)
    z = mean + std * torch.randn(200_000, 4, 3, generator=gen, dtype=torch.float64)
    q = torch.distributions.Normal(mean, std)
    p = torch.distributions.Normal(torch.zeros_like(mean), torch.ones_like(std))
    monte_carlo = (q.log_prob(z) - p.log_prob(z)).sum(-1).mean(0)  # (4,)
    exact = gaussian_kl(mean, logvar)
    assert exact.shape == (4,)
    torch.testing.assert_close(exact, monte_carlo, rtol=0.03, atol=0.02)
    # and the KL of the prior with itself is zero
    assert gaussian_kl(torch.zeros(2, 3), torch.zeros(2, 3)).abs().max() == 0


def test_reparameterisation_passes_gradients_to_mean_and_logvar():
    mean = torch.tensor([[0.5, -1.0]], requires_grad=True)
    logvar = torch.tensor([[0.2, -0.4]], requires_grad=True)
    gen = torch.Generator().manual_seed(3)
    z = VAE.reparameterize(mean, logvar, generator=gen)
    eps = torch.randn(1, 2, generator=torch.Generator().manual_seed(3))
    z.sum().backward()
    torch.testing.assert_close(mean.grad, torch.ones(1, 2))
    torch.testing.assert_close(logvar.grad, 0.5 * torch.exp(0.5 * logvar.detach()) * eps)


def test_loss_gradients_reach_both_encoder_heads():
    seed_everything(0)
    vae = VAE(16, 3, hidden_dims=(8,))
    X = torch.rand(10, 16)
    vae.loss(X, X)["loss"].backward()
    for head in (vae.to_mean, vae.to_logvar):
        assert head.weight.grad is not None and head.weight.grad.abs().sum() > 0


def test_beta_scales_the_kl_term():
    seed_everything(0)
    X = torch.rand(32, 16)
    one = VAE(16, 3, hidden_dims=(8,), beta=1.0)
    four = VAE(16, 3, hidden_dims=(8,), beta=4.0)
    four.load_state_dict(one.state_dict())
    torch.manual_seed(5)
    a = one.loss(X, X)
    torch.manual_seed(5)
    b = four.loss(X, X)
    torch.testing.assert_close(a["kl"], b["kl"])
    torch.testing.assert_close(a["reconstruction"], b["reconstruction"])
    torch.testing.assert_close(b["loss"] - a["loss"], 3 * a["kl"])
    assert float(a["kl"].detach()) > 0


@pytest.mark.parametrize("likelihood", ["bernoulli", "gaussian"])
def test_negative_elbo_falls_in_training_and_samples_look_like_data(digits, likelihood):
    seed_everything(0)
    vae = VAE(64, 4, hidden_dims=(32,), likelihood=likelihood)
    before = vae.negative_elbo(digits.X_test, n_samples=5)
    history = fit(vae, digits.X_train, epochs=20, lr=3e-3, progress=False)
    after = vae.negative_elbo(digits.X_test, n_samples=5)
    assert after < before - 5, (before, after)
    assert history.train_loss[-1] < history.train_loss[0]
    assert set(history.terms) == {"reconstruction", "kl"}
    # the recorded loss is its two parts (beta = 1)
    parts = history.terms["reconstruction"][-1] + history.terms["kl"][-1]
    assert history.train_loss[-1] == pytest.approx(parts, rel=1e-4)

    samples = vae.sample(12, generator=torch.Generator().manual_seed(1))
    assert samples.shape == (12, 64)
    assert float(samples.min()) >= 0 and float(samples.max()) <= 1
    again = vae.sample(12, generator=torch.Generator().manual_seed(1))
    torch.testing.assert_close(samples, again)
    # against the mean image: 0.46-0.79 of its error over seeds 0-5 after 20 epochs
    mean_image = float(((digits.X_test - digits.X_test.mean(0)) ** 2).sum(1).mean())
    assert reconstruction_error(vae, digits.X_test) < 0.9 * mean_image


def test_forward_is_deterministic_in_eval_and_interpolation_ends_at_the_inputs():
    seed_everything(0)
    vae = VAE(16, 2, hidden_dims=(8,)).eval()
    X = torch.rand(3, 16)
    torch.testing.assert_close(vae(X), vae(X))
    mean = vae.encode(X)
    torch.testing.assert_close(vae(X), vae.decode(mean))
    path = vae.interpolate(X[0], X[1], steps=5)
    assert path.shape == (5, 16)
    torch.testing.assert_close(path[0], vae.decode(mean[:1])[0])
    torch.testing.assert_close(path[-1], vae.decode(mean[1:2])[0])


def test_clear_errors():
    with pytest.raises(ValueError, match="likelihood"):
        VAE(16, 2, likelihood="poisson")
    with pytest.raises(ValueError, match="beta"):
        VAE(16, 2, beta=-1)
    with pytest.raises(ValueError, match="code_dim"):
        VAE(16, 0)
    vae = VAE(16, 2, hidden_dims=(8,))
    with pytest.raises(ValueError, match=r"\(batch, 16\)"):
        vae.encode(torch.rand(3, 15))
    with pytest.raises(ValueError, match="n must be"):
        vae.sample(0)


def test_importance_weighted_nll_approaches_the_exact_likelihood():
    # with a one-number code, p(x) = integral of p(x|z) p(z) dz can be computed on a grid
    seed_everything(0)
    vae = VAE(6, 1, hidden_dims=(8,))
    X = (torch.rand(5, 6, generator=torch.Generator().manual_seed(1)) > 0.5).float()
    fit(vae, X, epochs=30, lr=1e-2, batch_size=5, progress=False, seed=0)
    vae.eval()
    z = torch.linspace(-8, 8, 4001)[:, None]                               # (4001, 1)
    with torch.no_grad():
        logits = vae.decode_logits(z)                                       # (4001, 6)
        log_joint = torch.stack([-vae.reconstruction_nll(logits, x.expand_as(logits)) for x in X]) \
            + torch.distributions.Normal(0.0, 1.0).log_prob(z[:, 0])        # (5, 4001)
    exact = float(-(torch.logsumexp(log_joint, 1) + torch.log(z[1, 0] - z[0, 0])).mean())
    gen = torch.Generator().manual_seed(2)
    iw = vae.importance_weighted_nll(X, n_samples=2000, generator=gen)
    elbo = vae.negative_elbo(X, n_samples=200)
    assert iw == pytest.approx(exact, abs=0.02)
    assert exact <= elbo and iw <= elbo          # the ELBO is a bound; the estimate is tighter
    one = sum(vae.importance_weighted_nll(X, n_samples=1, generator=gen) for _ in range(200)) / 200
    assert one == pytest.approx(elbo, abs=0.05)  # one sample: the negative ELBO itself
    with pytest.raises(ValueError):
        vae.importance_weighted_nll(X, n_samples=0)
