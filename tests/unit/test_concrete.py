"""The concrete autoencoder: it finds the features that carry the signal, and selects k distinct ones."""
import pytest
import torch

from aekit import fit, seed_everything
from aekit.evaluate import reconstruction_error
from aekit.models import ConcreteAutoencoder


def signal_in_few_features(n=1000, d=20, signal=(2, 9, 15, 17), seed=0):
    """Every feature is 0.5 plus faint noise, except the `signal` ones, which are uniform in [0, 1]."""
    gen = torch.Generator().manual_seed(seed)
    X = 0.5 + 0.02 * torch.randn(n, d, generator=gen)
    X[:, list(signal)] = torch.rand(n, len(signal), generator=gen)
    return X, signal


@pytest.mark.slow
def test_selects_exactly_the_features_that_carry_signal():
    X, signal = signal_in_few_features()
    seed_everything(0)
    model = ConcreteAutoencoder(X.shape[1], k=len(signal))
    history = fit(model, X, epochs=50, lr=3e-2, batch_size=64, loss="mse", progress=False)
    chosen = model.selected_features()
    assert sorted(chosen.tolist()) == sorted(signal)
    assert model.temperature == pytest.approx(model.end_temperature)
    assert model.mean_max_probability() > 0.9
    # in eval mode the code is the chosen input columns themselves
    torch.testing.assert_close(model.encode(X[:5]), X[:5, chosen])
    assert history.train_loss[-1] < 0.5 * history.train_loss[0]


def test_selected_features_are_distinct_even_when_selectors_agree():
    model = ConcreteAutoencoder(6, k=3)
    with torch.no_grad():
        model.logits.zero_()
        model.logits[0, 4] = 5.0  # selector 0 is sure of feature 4
        model.logits[1, 4] = 3.0  # selector 1 prefers 4 too, then 1
        model.logits[1, 1] = 2.0
        model.logits[2, 0] = 4.0
    chosen = model.selected_features()
    assert chosen.tolist() == [4, 1, 0]
    assert len(set(chosen.tolist())) == model.k


def test_temperature_anneals_exponentially_from_start_to_end():
    model = ConcreteAutoencoder(10, k=2, start_temperature=10, end_temperature=0.1)
    temps = [model.temperature_at(e, 5) for e in range(5)]
    assert temps[0] == pytest.approx(10) and temps[-1] == pytest.approx(0.1)
    ratios = [b / a for a, b in zip(temps, temps[1:])]
    assert ratios == pytest.approx([ratios[0]] * 4)  # a constant factor per epoch
    model.on_epoch_start(2, 5)
    assert model.temperature == pytest.approx(temps[2])


@pytest.mark.slow
def test_digits_selected_pixels_beat_random_pixels(digits):
    seed_everything(0)
    k = 8
    model = ConcreteAutoencoder(64, k=k, hidden_dims=(32,))
    fit(model, digits.X_train, epochs=40, lr=2e-2, batch_size=64, progress=False)
    chosen = model.selected_features()
    assert len(set(chosen.tolist())) == k
    learned = reconstruction_error(model, digits.X_test)
    # the same decoder, trained on k pixels picked at random (selectors fixed, one-hot)
    random_pixels = torch.randperm(64, generator=torch.Generator().manual_seed(1))[:k]
    baseline = ConcreteAutoencoder(64, k=k, hidden_dims=(32,), start_temperature=0.1,
                                   end_temperature=0.1)
    with torch.no_grad():
        baseline.logits.fill_(-20.0)
        baseline.logits[torch.arange(k), random_pixels] = 20.0
    baseline.logits.requires_grad_(False)
    fit(baseline, digits.X_train, epochs=40, lr=2e-2, batch_size=64, progress=False)
    assert sorted(baseline.selected_features().tolist()) == sorted(random_pixels.tolist())
    assert learned < 0.9 * reconstruction_error(baseline, digits.X_test)


def test_clear_errors():
    with pytest.raises(ValueError, match="between 1 and input_dim=10"):
        ConcreteAutoencoder(10, k=11)
    with pytest.raises(ValueError, match="temperature"):
        ConcreteAutoencoder(10, k=2, start_temperature=0.1, end_temperature=1.0)
    with pytest.raises(ValueError, match=r"\(batch, 10\)"):
        ConcreteAutoencoder(10, k=2).encode(torch.rand(4, 9))
