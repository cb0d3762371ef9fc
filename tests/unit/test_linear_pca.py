"""The linear autoencoder spans the PCA subspace; its components can be recovered."""
import numpy as np
import pytest
import torch
from sklearn.decomposition import PCA

from aekit.linear import (WeightL2, component_agreement, components_from_regularised, decoder_matrix, fit_linear_autoencoder, pca_projector, projector, recover_components, subspace_distance)
from aekit.models import linear_autoencoder
from aekit.models import Autoencoder


VARIANCES = np.array([4.0, 2.0, 1.0, 0.3, 0.1, 0.05, 0.02, 0.01, 0.01, 0.005, 0.005, 0.002])


@pytest.fixture(scope="module")
def gaussian_data():
    """Data with a known, well-separated spectrum, rotated away from the axes."""
    rng = np.random.default_rng(0)
    d = len(VARIANCES)
    R, _ = np.linalg.qr(rng.normal(size=(d, d)))
    X = rng.normal(size=(1500, d)) * np.sqrt(VARIANCES) @ R.T + rng.normal(size=d)
    return torch.tensor(X, dtype=torch.float32), R


@pytest.fixture(scope="module")
def trained(gaussian_data):
    X, _ = gaussian_data
    return fit_linear_autoencoder(X, 3, epochs=(40, 20, 10), batch_size=256)


def test_projector_does_not_depend_on_the_basis():
    rng = np.random.default_rng(1)
    W = rng.normal(size=(10, 3))
    mix = rng.normal(size=(3, 3)) + 3 * np.eye(3)  # invertible: same column space
    P = projector(W)
    assert np.allclose(P, projector(W @ mix), atol=1e-10)
    assert np.allclose(P @ P, P, atol=1e-10) and np.allclose(P, P.T, atol=1e-12)
    assert np.isclose(np.trace(P), 3)
    # a different subspace gives a different projector
    assert np.abs(P - projector(rng.normal(size=(10, 3)))).max() > 0.1


def test_subspace_distance_is_zero_for_same_span_and_one_for_orthogonal():
    E = np.eye(6)
    assert subspace_distance(E[:, :2], E[:, :2] @ np.array([[2.0, 1.0], [0.0, 1.0]])) < 1e-7
    assert subspace_distance(E[:, :2], E[:, [0, 2]]) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="same space"):
        subspace_distance(E[:, :2], np.eye(5)[:, :2])


def test_trained_linear_autoencoder_projector_equals_pca_projector(gaussian_data, trained):
    X, R = gaussian_data
    P_ae = projector(decoder_matrix(trained))
    P_pca = pca_projector(X, 3)
    assert np.linalg.norm(P_ae - P_pca, 2) < 0.02
    # and the subspace really is the one the data was built from
    assert subspace_distance(decoder_matrix(trained), R[:, :3]) < 0.05
    # while the weights themselves are not the (orthonormal) components
    W = decoder_matrix(trained)
    assert np.abs(W.T @ W - np.eye(3)).max() > 0.05


def test_recovered_directions_match_pca_up_to_sign(gaussian_data, trained):
    X, _ = gaussian_data
    components, variances = recover_components(trained, X)
    pca = PCA(3).fit(X.double().numpy())
    assert component_agreement(components, pca.components_).min() > 0.995
    assert np.allclose(variances, pca.explained_variance_, rtol=0.02)
    # the raw decoder columns do not match the components one by one
    raw = decoder_matrix(trained).T
    assert component_agreement(raw, pca.components_).min() < 0.99


def test_l2_regularised_decoder_singular_vectors_are_the_components(gaussian_data):
    X, _ = gaussian_data
    weight = 0.2
    model = fit_linear_autoencoder(X, 3, epochs=(60, 30, 15), batch_size=256, weight_l2=weight)
    components, variances = components_from_regularised(model, weight)
    pca = PCA(3).fit(X.double().numpy())
    assert component_agreement(components, pca.components_).min() > 0.99
    assert np.allclose(variances, pca.explained_variance_, rtol=0.05)


def test_weight_l2_penalises_weights_only():
    model = linear_autoencoder(5, 2)
    expected = 0.5 * sum((m.weight ** 2).sum() for m in (model.encoder[0], model.decoder[0]))
    with torch.no_grad():
        model.encoder[0].bias.fill_(100.0)
    assert float(WeightL2(0.5)(model, None, None).detach()) == pytest.approx(float(expected.detach()))
    with pytest.raises(ValueError, match=">= 0"):
        WeightL2(-1.0)


def test_decoder_matrix_rejects_a_nonlinear_model_and_multiplies_linear_layers():
    with pytest.raises(ValueError, match="linear autoencoder"):
        decoder_matrix(Autoencoder(8, 2))
    deep = Autoencoder(8, 2, hidden_dims=(4,), activation="linear", output_activation="linear")
    Z = torch.randn(3, 2)
    with torch.no_grad():
        X_hat = deep.decode(Z) - deep.decode(torch.zeros(1, 2))  # remove the biases
    assert np.allclose(X_hat.double().numpy(), Z.double().numpy() @ decoder_matrix(deep).T, atol=1e-5)


def test_bad_inputs_give_clear_errors():
    with pytest.raises(ValueError, match="linearly dependent"):
        projector(np.ones((4, 2)))
    with pytest.raises(ValueError, match="code_dim"):
        fit_linear_autoencoder(torch.rand(10, 4), 5)
    with pytest.raises(ValueError, match="one entry per phase"):
        fit_linear_autoencoder(torch.rand(10, 4), 2, epochs=(1, 2), lrs=(0.1,))
    with pytest.raises(ValueError, match="NaN"):
        projector(np.full((3, 1), np.nan))


def test_linear_autoencoder_on_digits_spans_the_pca_subspace(digits):
    model = fit_linear_autoencoder(digits.X_train, 4)
    assert np.linalg.norm(projector(decoder_matrix(model)) - pca_projector(digits.X_train, 4), 2) < 0.05
