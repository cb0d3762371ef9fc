"""Overcomplete codes learn the identity; dropout on the hidden layer changes what is learned."""
import pytest
import torch

from aekit.evaluate import encode, reconstruction_error
from aekit.models import Autoencoder
from aekit.train import fit


@pytest.mark.slow
def test_overcomplete_ae_copies_random_noise_but_undercomplete_cannot():
    """Noise has no structure to learn: only a code as large as the input can pass it through.

    The error is measured on fresh noise, so a small error means the network learned the
    identity map, not the training examples.
    """
    gen = torch.Generator().manual_seed(0)
    X_train, X_test = torch.rand(1000, 64, generator=gen), torch.rand(300, 64, generator=gen)
    total_variance = ((X_test - 0.5) ** 2).sum(1).mean().item()  # the error of predicting 0.5
    errors = {}
    for code_dim in (128, 16):
        torch.manual_seed(0)
        model = Autoencoder(64, code_dim)  # no penalty, no noise, no dropout
        fit(model, X_train, epochs=30, lr=1e-2, loss="mse", progress=False)
        errors[code_dim] = reconstruction_error(model, X_test)
    assert errors[128] < 0.05 * total_variance, (errors, total_variance)
    # 16 numbers cannot carry 64 independent ones: most of the variance is lost
    assert errors[16] > 0.5 * total_variance, (errors, total_variance)


@pytest.mark.slow
def test_dropout_spreads_the_code_so_deleting_units_hurts_less(digits):
    """With dropout on the code, every unit must do without the others during training, so
    the learned code is redundant: zeroing half of the units at test time costs far less."""
    X = digits.X_test
    deleted_error, intact_error, codes = {}, {}, {}
    for dropout in (0.0, 0.3):
        torch.manual_seed(0)
        model = Autoencoder(64, 32, code_activation="relu", dropout=dropout)
        fit(model, digits.X_train, epochs=15, lr=3e-3, progress=False)
        Z = encode(model, X)  # (n, 32), eval mode: no dropout
        codes[dropout] = Z
        intact_error[dropout] = reconstruction_error(model, X)
        gen = torch.Generator().manual_seed(1)
        errors = []
        with torch.no_grad():
            for _ in range(5):
                keep = (torch.rand(32, generator=gen) >= 0.5).float()  # the same units for both
                errors.append(((model.decode(Z * keep) - X) ** 2).sum(1).mean().item())
        deleted_error[dropout] = sum(errors) / len(errors)
    # over seeds 0-5 the ratio was 0.74-0.87 (seed 0: 0.81): dropout always helps, by 13-26%
    assert deleted_error[0.3] < 0.92 * deleted_error[0.0], deleted_error
    assert intact_error[0.3] > intact_error[0.0]  # the price: a little worse when intact
    assert not torch.allclose(codes[0.3], codes[0.0], atol=0.1)

