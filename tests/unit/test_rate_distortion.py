"""The rate-distortion (MDL) autoencoder: integer codes, bits from the prior, lam trades bits for error."""
import math

import pytest
import torch

from aekit import fit, seed_everything
from aekit.evaluate import reconstruction_error
from aekit.models import RateDistortionAutoencoder
from aekit.models.rate_distortion import LogisticMixturePrior


def test_prior_is_a_probability_distribution_over_integers():
    seed_everything(0)
    prior = LogisticMixturePrior(code_dim=3, components=3)
    with torch.no_grad():
        prior.loc.normal_()
        prior.log_scale.uniform_(-1, 1)
        prior.weight_logits.normal_()
    integers = torch.arange(-60, 61, dtype=torch.float32)[:, None].expand(-1, 3)  # (121, 3)
    p = prior.interval_probability(integers)
    torch.testing.assert_close(p.sum(0), torch.ones(3), atol=1e-5, rtol=0)
    # the bits of a code are -log2 of the product of its units' probabilities
    code = torch.tensor([[0.0, 1.0, -2.0]])
    with torch.no_grad():
        expected = -math.log2(float(prior.interval_probability(code).prod()))
        assert float(prior.bits(code)) == pytest.approx(expected, rel=1e-5)


def test_codes_are_rounded_in_eval_and_noisy_in_training():
    seed_everything(0)
    model = RateDistortionAutoencoder(16, 4, hidden_dims=(8,))
    X = torch.rand(6, 16)
    Z = model.encode(X)
    model.eval()
    torch.testing.assert_close(model(X), model.decode(torch.round(Z)))
    model.train()
    noisy = model.quantize(Z)
    assert (noisy - Z).abs().max() <= 0.5 and not torch.equal(noisy, torch.round(Z))
    parts = model.loss(X, X)
    torch.testing.assert_close(parts["loss"], parts["bits"] + model.lam * parts["distortion"])


@pytest.mark.slow
def test_raising_lam_buys_lower_distortion_with_more_bits(digits):
    bits, errors = [], []
    for lam in (1.0, 10.0, 100.0):
        seed_everything(0)
        model = RateDistortionAutoencoder(64, 16, hidden_dims=(64,), lam=lam)
        history = fit(model, digits.X_train, epochs=15, lr=3e-3, progress=False)
        assert set(history.terms) == {"bits", "distortion"}
        bits.append(model.bits_per_image(digits.X_test))
        errors.append(reconstruction_error(model, digits.X_test))
    assert bits[0] < bits[1] < bits[2], bits
    assert errors[0] > errors[1] > errors[2], errors
    assert bits[0] >= 0


def test_clear_errors():
    with pytest.raises(ValueError, match="lam"):
        RateDistortionAutoencoder(16, 4, lam=0)
    with pytest.raises(ValueError, match=r"\(batch, 16\)"):
        RateDistortionAutoencoder(16, 4).encode(torch.rand(2, 15))


def test_compress_writes_a_real_file_that_decodes_to_the_reconstructions():
    torch.manual_seed(0)
    model = RateDistortionAutoencoder(16, 4, hidden_dims=(8,)).eval()
    with torch.no_grad():  # spread the codes so that some need more than one byte
        model.encoder[-1].weight.mul_(300)
    X = torch.rand(50, 16)
    data = model.compress(X)
    assert isinstance(data, bytes) and len(data) > 5
    assert torch.allclose(model.decompress(data), model(X), atol=1e-6)
    small = RateDistortionAutoencoder(16, 4, hidden_dims=(8,)).eval()
    assert torch.allclose(small.decompress(small.compress(X)), small(X), atol=1e-6)
    # many identical images compress to far fewer bytes than as many different ones
    assert len(small.compress(X[:1].repeat(400, 1))) < len(model.compress(torch.rand(400, 16)))
    model.train()
    model.compress(X)
    assert model.training, "compress leaves the training mode as it found it"
    with pytest.raises(ValueError, match="code values"):
        RateDistortionAutoencoder(16, 5, hidden_dims=(8,)).decompress(data)
