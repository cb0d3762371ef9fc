"""k-sparse codes: exactly k non-zeros, gradient only through the kept units, annealing of k."""
import pytest
import torch

from aekit.evaluate import encode, reconstruction_error
from aekit.models import Autoencoder
from aekit.train import fit, reconstruction_loss


@pytest.mark.parametrize("k", [1, 3, 10])
def test_exactly_k_nonzeros_per_code_row_and_they_are_the_largest(k):
    torch.manual_seed(0)
    model = Autoencoder(64, 16, hidden_dims=(32,), k_sparse=k)
    X = torch.rand(50, 64)
    model.k_sparse = None  # the same model without the k-sparse step
    full = model.encode(X)
    model.k_sparse = k
    Z = model.encode(X)
    assert ((Z != 0).sum(1) == k).all()
    kept = Z != 0
    torch.testing.assert_close(Z[kept], full[kept])  # kept units keep their value
    smallest_kept = torch.where(kept, full, torch.inf).min(1).values
    largest_dropped = torch.where(kept, -torch.inf, full).max(1).values
    assert (smallest_kept >= largest_dropped).all()
    assert Autoencoder.keep_top_k(full, k).equal(Z)


def test_gradient_is_zero_for_dropped_units_and_flows_through_kept_ones():
    torch.manual_seed(0)
    model = Autoencoder(64, 16, k_sparse=4)
    X = torch.rand(20, 64)
    captured = {}

    def keep_pre_activation(module, inputs, out):  # returns None: the output is unchanged
        out.retain_grad()
        captured["pre"] = out

    hook = model.encoder[-1].register_forward_hook(keep_pre_activation)
    Z = model.encode(X)
    hook.remove()
    reconstruction_loss(model.decode(Z), X).backward()
    grad = captured["pre"].grad  # (batch, code_dim): gradient at the code units
    kept = Z != 0
    assert (grad[~kept] == 0).all()
    assert (grad[kept] != 0).float().mean() > 0.9


def test_a_unit_never_kept_gets_no_weight_update():
    torch.manual_seed(0)
    model = Autoencoder(64, 16, k_sparse=4)
    with torch.no_grad():
        model.encoder[0].bias[5] = -100.0  # unit 5 never ranks in the top 4
    X = torch.rand(20, 64)
    reconstruction_loss(model(X), X).backward()
    W_grad = model.encoder[0].weight.grad  # (code_dim, input_dim)
    assert (W_grad[5] == 0).all() and model.encoder[0].bias.grad[5] == 0
    assert (W_grad.abs().sum(1) > 0).sum() >= 4


def test_k_anneals_linearly_over_first_half_of_training():
    model = Autoencoder(64, 32, k_sparse=4, k_sparse_start=32)
    ks = []
    for epoch in range(10):
        model.on_epoch_start(epoch, 10)
        ks.append(model.k_active)
    assert ks[0] == 32 and ks[5:] == [4] * 5
    steps = [a - b for a, b in zip(ks, ks[1:5])]
    assert max(steps) - min(steps) <= 1 and min(steps) > 0  # linear, falling
    assert Autoencoder(64, 32, k_sparse=4).k_active == 4  # no annealing: k stays


def test_fit_applies_the_annealed_k_in_each_epoch():
    torch.manual_seed(0)
    model = Autoencoder(64, 32, k_sparse=2, k_sparse_start=20)
    seen = []

    def spy(model_, X_in, Z):  # a penalty of 0 that records how many units were kept
        seen.append(int((Z != 0).sum(1).max()))
        return Z.sum() * 0

    spy.name = "spy"
    fit(model, torch.rand(32, 64), epochs=6, batch_size=32, progress=False, penalties=[spy])
    assert seen[0] == 20 and seen[-1] == 2 and seen == sorted(seen, reverse=True)
    assert model.k_active == 2 and ((model.encode(torch.rand(5, 64)) != 0).sum(1) == 2).all()


@pytest.mark.parametrize("options, match", [
    (dict(k_sparse=0), "k_sparse must be between 1 and code_dim"),
    (dict(k_sparse_start=8), "set k_sparse too"),
    (dict(k_sparse=4, k_sparse_start=2), "k_sparse_start must be an integer between"),
    (dict(k_sparse=4, k_sparse_start=40), "k_sparse_start must be an integer between"),
])
def test_bad_k_settings_raise_clear_errors(options, match):
    with pytest.raises(ValueError, match=match):
        Autoencoder(64, 16, **options)


@pytest.mark.slow
def test_annealing_keeps_more_units_alive_on_digits(digits):
    """Starting with many kept units lets more of them learn (Makhzani & Frey 2013)."""
    results = {}
    for start in (None, 64):
        torch.manual_seed(0)
        model = Autoencoder(64, 64, k_sparse=3, k_sparse_start=start)
        fit(model, digits.X_train, epochs=15, lr=3e-3, progress=False)
        Z = encode(model, digits.X_test)
        assert ((Z != 0).sum(1) <= 3).all()
        results[start] = ((Z != 0).any(0).sum().item(), reconstruction_error(model, digits.X_test))
    (used_fixed, error_fixed), (used_annealed, error_annealed) = results[None], results[64]
    assert used_annealed > 1.5 * used_fixed, results
    assert error_annealed < error_fixed, results
