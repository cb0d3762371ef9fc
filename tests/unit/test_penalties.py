"""Sparsity and contractive penalties: hand values, the exact Jacobian, and their effect on digits."""
import math

import pytest
import torch

from aekit.evaluate import encode
from aekit.models import Autoencoder
from aekit.penalties import (Contractive, KLSparsity, L1Sparsity, L2Sparsity, jacobian_norm_sq,
                             kl_sparsity)
from aekit.train import fit


def trained(digits, penalties=(), epochs=10, **options):
    torch.manual_seed(0)
    model = Autoencoder(digits.input_dim, options.pop("code_dim", 32), **options)
    history = fit(model, digits.X_train, epochs=epochs, lr=3e-3, penalties=penalties,
                  progress=False, seed=0)
    return model, history


# --------------------------------------------------------------------------- hand examples
def test_activity_penalties_match_hand_values():
    Z = torch.tensor([[1.0, -2.0], [3.0, 0.0]])
    # per image sums: L1 3 and 3 -> mean 3; squared L2 5 and 9 -> mean 7
    assert L1Sparsity(0.5)(None, None, Z).item() == pytest.approx(0.5 * 3)
    assert L2Sparsity(0.5)(None, None, Z).item() == pytest.approx(0.5 * 7)


def test_kl_penalty_equals_its_formula_on_a_hand_example():
    Z = torch.tensor([[0.2, 0.5], [0.4, 0.1]])  # mean activation of each unit: 0.3 and 0.3
    rho, weight = 0.1, 2.0
    one_unit = rho * math.log(rho / 0.3) + (1 - rho) * math.log((1 - rho) / (1 - 0.3))
    expected = weight * 2 * one_unit
    assert expected == pytest.approx(0.46528, abs=1e-5)  # worked out by hand
    assert KLSparsity(rho, weight)(None, None, Z).item() == pytest.approx(expected, rel=1e-6)


def test_kl_is_zero_at_target_and_grows_away_from_it():
    at_target = kl_sparsity(0.05, torch.full((4,), 0.05))
    assert at_target.item() == pytest.approx(0.0, abs=1e-9)
    near, far = kl_sparsity(0.05, torch.tensor([0.1])), kl_sparsity(0.05, torch.tensor([0.5]))
    assert 0 < near.item() < far.item()


def test_kl_rejects_activations_outside_unit_interval():
    model = Autoencoder(64, 8)  # linear code: values of either sign
    X = torch.rand(16, 64)
    with pytest.raises(ValueError, match='code_activation="sigmoid"'):
        KLSparsity(0.05, 1.0)(model, X, model.encode(X))


def test_all_layers_adds_every_hidden_layer():
    torch.manual_seed(0)
    model = Autoencoder(64, 8, hidden_dims=(32, 16))
    X = torch.rand(10, 64)
    Z = model.encode(X)
    hidden, middle, code = model.hidden_activations(X)
    expected = sum(h.abs().sum(1).mean() for h in (hidden, middle, code))
    assert L1Sparsity(1.0, all_layers=True)(model, X, Z).item() == pytest.approx(expected.item())
    assert L1Sparsity(1.0)(model, X, Z).item() == pytest.approx(code.abs().sum(1).mean().item())


@pytest.mark.parametrize("make, match", [
    (lambda: L1Sparsity(-1.0), "weight must be a finite number >= 0"),
    (lambda: L2Sparsity(float("inf")), "weight"),
    (lambda: KLSparsity(0.0, 1.0), "rho"),
    (lambda: KLSparsity(1.5, 1.0), "rho"),
    (lambda: Contractive(0.1, method="numeric"), "method"),
])
def test_bad_settings_raise_clear_errors(make, match):
    with pytest.raises(ValueError, match=match):
        make()


# --------------------------------------------------------------------------- contractive
def exact_jacobian_norm_sq(model, X):
    """||dZ/dX||_F^2 per example from torch.autograd.functional.jacobian, one example at a time."""
    return torch.stack([
        torch.autograd.functional.jacobian(lambda x: model.encode(x[None])[0], x).pow(2).sum()
        for x in X])


@pytest.mark.parametrize("code_activation", ["sigmoid", "tanh", "linear"])
def test_contractive_closed_form_equals_exact_jacobian(code_activation):
    torch.manual_seed(0)
    model = Autoencoder(64, 12, code_activation=code_activation).double()
    X = torch.rand(6, 64, dtype=torch.float64)
    closed = jacobian_norm_sq(model, X, "closed_form")
    exact = exact_jacobian_norm_sq(model, X)
    torch.testing.assert_close(closed.detach(), exact, rtol=1e-12, atol=1e-14)
    # the known wrong shortcut, grad(Z.sum(), X), gives ||J^T 1||^2, which differs
    Xg = X.clone().requires_grad_(True)
    shortcut = torch.autograd.grad(model.encode(Xg).sum(), Xg)[0].pow(2).sum(1)
    assert not torch.allclose(shortcut, exact, rtol=1e-3)


@pytest.mark.parametrize("options", [dict(hidden_dims=(16,)), dict(k_sparse=4),
                                     dict(code_dim=80, hidden_dims=(16,))])
def test_contractive_autograd_equals_exact_jacobian_for_other_encoders(options):
    torch.manual_seed(0)
    options = {"code_dim": 10, "code_activation": "sigmoid", **options}
    model = Autoencoder(64, options.pop("code_dim"), **options).double().eval()
    X = torch.rand(5, 64, dtype=torch.float64)
    exact = exact_jacobian_norm_sq(model, X)
    torch.testing.assert_close(jacobian_norm_sq(model, X, "autograd").detach(), exact,
                               rtol=1e-12, atol=1e-14)
    with pytest.raises(ValueError, match="method='autograd'"):
        jacobian_norm_sq(model, X, "closed_form")


def test_contractive_gradient_reaches_encoder_weights_like_the_exact_one():
    """Both forms train the encoder weights (a known bug of public ports freezes them)."""
    torch.manual_seed(0)
    model = Autoencoder(64, 12, code_activation="sigmoid").double()
    X = torch.rand(6, 64, dtype=torch.float64)
    W = model.encoder[0].weight
    g_closed = torch.autograd.grad(Contractive(1.0, "closed_form")(model, X, None), W)[0]
    g_auto = torch.autograd.grad(Contractive(1.0, "autograd")(model, X, None), W)[0]
    exact = torch.stack([
        torch.autograd.functional.jacobian(lambda x: model.encode(x[None])[0], x,
                                           create_graph=True).pow(2).sum() for x in X]).mean()
    g_exact = torch.autograd.grad(exact, W)[0]
    assert g_exact.abs().max() > 1e-4
    torch.testing.assert_close(g_closed, g_exact, rtol=1e-10, atol=1e-13)
    torch.testing.assert_close(g_auto, g_exact, rtol=1e-10, atol=1e-13)


# --------------------------------------------------------------------------- on digits
@pytest.mark.slow
def test_l1_weight_lowers_mean_code_activation(digits):
    means = []
    for weight in (0.0, 0.03, 0.1):
        penalties = [L1Sparsity(weight)] if weight else []
        model, history = trained(digits, penalties, code_activation="relu")
        means.append(encode(model, digits.X_test).mean().item())
    assert means[0] > 1.3 * means[1] > 1.3 * 1.3 * means[2], means
    assert "l1_sparsity" in history.terms and history.terms["l1_sparsity"][-1] > 0


@pytest.mark.slow
def test_kl_weight_lowers_mean_code_activation_towards_rho(digits):
    rho = 0.05
    plain, _ = trained(digits, code_activation="sigmoid")
    sparse, history = trained(digits, [KLSparsity(rho, 1.0)], code_activation="sigmoid")
    mean_plain = encode(plain, digits.X_test).mean().item()
    mean_sparse = encode(sparse, digits.X_test).mean().item()
    assert mean_sparse < 0.6 * mean_plain, (mean_plain, mean_sparse)
    assert abs(mean_sparse - rho) < abs(mean_plain - rho)
    kl = history.terms["kl_sparsity"]
    assert kl[-1] < kl[0]  # the penalty itself was minimised


@pytest.mark.slow
def test_contractive_penalty_lowers_jacobian_norm_after_training(digits):
    plain, _ = trained(digits, code_dim=16, code_activation="sigmoid")
    cae, history = trained(digits, [Contractive(1.0)], code_dim=16, code_activation="sigmoid")
    X = digits.X_test
    with torch.no_grad():
        norm_plain = jacobian_norm_sq(plain, X).mean().item()
        norm_cae = jacobian_norm_sq(cae, X).mean().item()
    assert norm_cae < 0.5 * norm_plain, (norm_plain, norm_cae)
    assert history.terms["contractive"][-1] == pytest.approx(
        1.0 * jacobian_norm_sq(cae, digits.X_train).mean().item(), rel=0.3)


def test_contractive_autograd_path_trains_through_fit(digits):
    """A deep encoder uses the autograd Jacobian; fit runs it and records the term."""
    torch.manual_seed(0)
    model = Autoencoder(64, 8, hidden_dims=(16,), code_activation="sigmoid")
    X = digits.X_train[:256]
    before = jacobian_norm_sq(model, X).mean().item()
    history = fit(model, X, epochs=3, lr=1e-2, penalties=[Contractive(5.0), L1Sparsity(0.01)],
                  X_val=digits.X_test[:64], progress=False)
    assert set(history.terms) == {"reconstruction", "contractive", "l1_sparsity"}
    assert len(history.val_loss) == 3
    assert jacobian_norm_sq(model, X).mean().item() < before


def test_other_models_with_one_encoder_layer_get_the_exact_jacobian():
    """The closed form is only for the dense Autoencoder; a different one-layer model (here a
    code made of a Linear layer and a tanh that the model does not declare) uses autograd."""

    class Other(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = torch.nn.ModuleList([torch.nn.Linear(64, 6)])

        def encode(self, X):
            return torch.tanh(self.encoder[0](X)) ** 2

    torch.manual_seed(0)
    model = Other().double()
    X = torch.rand(4, 64, dtype=torch.float64)
    torch.testing.assert_close(jacobian_norm_sq(model, X).detach(), exact_jacobian_norm_sq(model, X),
                               rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("options", [dict(code_activation="sigmoid"), dict(hidden_dims=(16,))])
def test_encoder_jacobian_is_the_exact_jacobian_of_each_example(options):
    from aekit.penalties import encoder_jacobian

    torch.manual_seed(0)
    model = Autoencoder(64, 12, **options).double()
    X = torch.rand(4, 64, dtype=torch.float64)
    J = encoder_jacobian(model, X)
    assert J.shape == (4, 12, 64) and not J.requires_grad
    for x, Jx in zip(X, J):
        one = torch.autograd.functional.jacobian(lambda v: model.encode(v[None])[0], x)
        torch.testing.assert_close(Jx, one)
    torch.testing.assert_close(J.pow(2).sum((1, 2)), jacobian_norm_sq(model, X).detach())
    with pytest.raises(ValueError, match="batch of rows"):
        encoder_jacobian(model, X[0])
