"""Reconstruction error against hand computations, and the PCA baseline against an SVD."""
import numpy as np
import pytest
import torch
from torch import nn

from aekit.evaluate import encode, pca_baseline, per_image_error, reconstruct, reconstruction_error
from aekit.models import Autoencoder


class Affine(nn.Module):
    """X_hat = a * X + b, with a parameter so the device can be found."""

    def __init__(self, a=0.5, b=0.1):
        super().__init__()
        self.a = nn.Parameter(torch.tensor(a))
        self.b = b

    def forward(self, X):
        return self.a * X + self.b


def test_reconstruction_error_by_hand():
    X = torch.tensor([[0.0, 1.0, 0.5], [1.0, 1.0, 1.0]])
    # X_hat - X = 0.1 - 0.5 X, squared and summed over each image's pixels:
    first = 0.1 ** 2 + 0.4 ** 2 + 0.15 ** 2  # 0.1925
    second = 3 * 0.4 ** 2                    # 0.48
    torch.testing.assert_close(per_image_error(Affine(), X), torch.tensor([first, second]))
    assert reconstruction_error(Affine(), X) == pytest.approx((first + second) / 2, rel=1e-6)


def test_reconstruction_error_of_an_autoencoder_matches_numpy(digits):
    torch.manual_seed(0)
    model = Autoencoder(64, 4, hidden_dims=(16,))
    X = digits.X_test[:50]
    with torch.no_grad():
        X_hat = model.eval()(X).numpy()
    expected = ((X_hat - X.numpy()) ** 2).sum(axis=1).mean()
    assert reconstruction_error(model, X) == pytest.approx(expected, rel=1e-5)
    assert reconstruction_error(model, X.numpy()) == pytest.approx(expected, rel=1e-5)


def test_reconstruct_uses_eval_mode_and_restores_it():
    torch.manual_seed(0)
    model = Autoencoder(10, 3, hidden_dims=(32,), dropout=0.5).train()
    X = torch.rand(9, 10)
    first = reconstruct(model, X, batch_size=4)  # three batches, the last one short
    assert model.training  # handed back as it was
    torch.testing.assert_close(first, reconstruct(model, X))  # no dropout noise, batching invisible
    with torch.no_grad():
        torch.testing.assert_close(first, model.eval()(X))
    assert first.shape == X.shape and not first.requires_grad


def test_encode_gives_a_vaes_posterior_mean_and_refuses_a_two_part_code():
    from aekit.models import VAE

    vae = VAE(4, 2, hidden_dims=(8,)).eval()
    X = torch.rand(5, 4)
    with torch.no_grad():
        torch.testing.assert_close(encode(vae, X, batch_size=2), vae.posterior(X)[0])

    class MeanAndLogVar(nn.Module):
        def __init__(self):
            super().__init__()
            self.mean = nn.Linear(4, 2)

        def encode(self, X):
            return self.mean(X), torch.full((len(X), 2), -3.0)

    with pytest.raises(TypeError, match="encode must return one tensor"):
        encode(MeanAndLogVar(), X)


def test_errors_reject_nan():
    X = torch.rand(3, 3)
    X[1, 1] = float("nan")
    with pytest.raises(ValueError, match="NaN"):
        reconstruction_error(Affine(), X)


def test_pca_baseline_matches_an_svd_by_hand(digits):
    from sklearn.decomposition import PCA

    X_train, X_test = digits.X_train.double().numpy(), digits.X_test.double().numpy()
    mean = X_train.mean(axis=0)
    _, _, Vt = np.linalg.svd(X_train - mean, full_matrices=False)
    for k in (1, 5, 20):
        V = Vt[:k].T                                         # (64, k) principal directions
        X_hat = (X_test - mean) @ V @ V.T + mean
        by_hand = ((X_hat - X_test) ** 2).sum(axis=1).mean()
        assert pca_baseline(digits.X_train, digits.X_test, k) == pytest.approx(by_hand, rel=1e-6)
    # scikit-learn's own PCA, fitted here, agrees and is what return_model gives back
    error, pca = pca_baseline(digits.X_train, digits.X_test, 8, return_model=True)
    reference = PCA(n_components=8).fit(X_train)
    X_hat = reference.inverse_transform(reference.transform(X_test))
    assert error == pytest.approx(((X_hat - X_test) ** 2).sum(axis=1).mean(), rel=1e-6)
    assert pca.n_components_ == 8
    np.testing.assert_allclose(np.abs(pca.components_), np.abs(reference.components_), atol=1e-6)


def test_pca_baseline_falls_with_k_and_vanishes_at_full_rank(digits):
    errors = [pca_baseline(digits.X_train, digits.X_test, k) for k in (2, 8, 32)]
    assert errors[0] > errors[1] > errors[2] > 0
    assert pca_baseline(digits.X_train, digits.X_train, 64) < 1e-9


@pytest.mark.parametrize("k", [0, 65, 2.5])
def test_pca_baseline_rejects_bad_k(digits, k):
    with pytest.raises(ValueError, match="k must be between 1 and 64"):
        pca_baseline(digits.X_train, digits.X_test, k)


def test_spread_gives_mean_and_range():
    from aekit.evaluate import spread

    assert spread([1.0, 2.0, 3.0]) == "2.00 (1.00-3.00)"
    assert spread([0.31, 0.35, 0.39], percent=True) == "35% (31-39%)"
    assert spread(torch.tensor([0.5]), digits=1) == "0.5 (0.5-0.5)"
    with pytest.raises(ValueError, match="at least one"):
        spread([])
