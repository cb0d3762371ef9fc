"""fit(): learning, History, clear errors, divergence, Ctrl-C, plug-in points, determinism."""
import math

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from aekit import fit
from aekit.device import seed_everything
from aekit.evaluate import reconstruction_error
from aekit.models import Autoencoder
from aekit.train import History, TrainingDiverged, reconstruction_loss


@pytest.fixture(scope="module")
def X(digits):
    return digits.X_train[:200].clone()


@pytest.fixture(scope="module")
def X_val(digits):
    return digits.X_test[:50].clone()


def small_model(seed=0, **kwargs):
    seed_everything(seed)
    return Autoencoder(64, 8, hidden_dims=(32,), **kwargs)


def params(model):
    return [p.detach().clone() for p in model.parameters()]


def same(a, b):
    return all(torch.equal(x, y) for x, y in zip(a, b))


class Recorder:
    """A penalty that records what fit hands it and adds ``weight * mean squared code``."""

    name = "code_size"

    def __init__(self, weight=0.0, interrupt_at=None):
        self.weight, self.interrupt_at = weight, interrupt_at
        self.calls, self.grad_enabled, self.inputs = 0, [], []

    def __call__(self, model, X_in, Z):
        self.calls += 1
        if self.calls == self.interrupt_at:
            raise KeyboardInterrupt
        self.grad_enabled.append(torch.is_grad_enabled())
        self.inputs.append(X_in.detach().clone())
        torch.testing.assert_close(Z, model.encode(X_in))  # Z is the code of X_in
        return self.weight * Z.pow(2).sum(1).mean()


# ------------------------------------------------------------------------------ learning
def test_loss_falls_and_history_is_complete(X, X_val):
    model = small_model()
    history = fit(model, X, epochs=12, lr=3e-3, batch_size=32, X_val=X_val, progress=False)
    assert isinstance(history, History)
    assert history.epochs == 12 and len(history.val_loss) == 12 and len(history.epoch_seconds) == 12
    assert history.train_loss[-1] < 0.8 * history.train_loss[0]
    assert history.val_loss[-1] < history.val_loss[0]
    assert all(s > 0 for s in history.epoch_seconds) and history.seconds == pytest.approx(sum(history.epoch_seconds))
    assert history.stopped is None
    assert history.terms["reconstruction"] == pytest.approx(history.train_loss)  # no penalty
    assert not model.training  # handed back in eval mode
    # the validation loss is the per-image cross-entropy of the final model on X_val
    with torch.no_grad():
        expected = float(F.binary_cross_entropy(model(X_val), X_val, reduction="sum")) / len(X_val)
    assert history.val_loss[-1] == pytest.approx(expected, rel=1e-5)
    assert "12 epochs" in repr(history)


@pytest.mark.parametrize("loss", ["bce", "mse"])
def test_train_loss_is_a_per_image_mean_over_uneven_batches(X, loss):
    """With a negligible learning rate the first epoch's loss is the start model's loss on X."""
    model = small_model()
    with torch.no_grad():
        before = float(reconstruction_loss(model.eval()(X), X, loss))
    history = fit(model, X, epochs=1, lr=1e-30, batch_size=64, loss=loss, progress=False)  # 64+64+64+8
    assert history.train_loss[0] == pytest.approx(before, rel=1e-5)
    if loss == "mse":  # the same measure as Hinton & Salakhutdinov's error
        assert history.train_loss[0] == pytest.approx(reconstruction_error(model, X), rel=1e-5)


def test_accepts_numpy_and_an_optimizer_of_ones_own(X):
    model = small_model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.0)
    start = params(model)
    history = fit(model, X.numpy(), epochs=2, optimizer=optimizer, progress=False)
    assert history.epochs == 2
    assert same(start, params(model))  # lr 0: the given optimizer was the one used


def test_progress_bar_is_drawn(X, capsys):
    fit(small_model(), X, epochs=2, progress=True)
    assert "training Autoencoder" in capsys.readouterr().err


# ------------------------------------------------------------------------------ bad input
@pytest.mark.parametrize("kwargs, error, message", [
    ({"epochs": -1}, ValueError, "epochs must be a non-negative integer"),
    ({"epochs": 2.0}, ValueError, "epochs must be a non-negative integer"),
    ({"batch_size": 0}, ValueError, "batch_size must be a positive integer"),
    ({"lr": 0}, ValueError, "lr must be positive"),
    ({"lr": float("nan")}, ValueError, "lr must be positive"),
    ({"loss": "l1"}, ValueError, "loss must be 'bce' or 'mse'"),
    ({"penalties": [lambda model, X, Z: 0]}, TypeError, "penalty must be callable with a 'name'"),
])
def test_bad_arguments_are_clear_errors(X, kwargs, error, message):
    settings = {"epochs": 1, "progress": False, **kwargs}
    with pytest.raises(error, match=message):
        fit(small_model(), X, **settings)


def test_bad_data_are_clear_errors(X):
    model = small_model()
    holed = X.clone()
    holed[3, 5] = float("nan")
    holed[7, 0] = float("inf")
    with pytest.raises(ValueError, match=r"X contains 2 NaN or infinite values \(in rows \[3, 7\]\)"):
        fit(model, holed, epochs=1, progress=False)
    with pytest.raises(ValueError, match="X_val contains 1 NaN"):
        fit(model, X, epochs=1, X_val=holed[:4], progress=False)
    with pytest.raises(ValueError, match="X is empty"):
        fit(model, X[:0], epochs=1, progress=False)
    with pytest.raises(ValueError, match=r"shape \(64,\): one example"):
        fit(model, X[0], epochs=1, progress=False)
    with pytest.raises(ValueError, match=r"needs inputs in \[0, 1\], but X ranges over \[0, 2\].*loss='mse'"):
        fit(model, X * 2, epochs=1, progress=False)
    with pytest.raises(ValueError, match=r"but X_val ranges over \[-1, 0\]"):
        fit(model, X, epochs=1, X_val=X[:5] - 1, progress=False)
    for bad in (X[:0], X[:5, :60]):
        with pytest.raises(ValueError, match=r"X_val must hold examples shaped like those of X \(64,\)"):
            fit(model, X, epochs=1, X_val=bad, progress=False)
    with pytest.raises(TypeError, match="regular \\(rectangular\\) list"):
        fit(model, [[0.0, 1.0], [0.5]], epochs=1, progress=False)
    with pytest.raises(TypeError, match="must hold numbers"):
        fit(model, np.array([["a"] * 64]), epochs=1, progress=False)
    with pytest.raises(ValueError, match=r"expects inputs of shape \(batch, 64\)"):
        fit(model, X[:, :60], epochs=1, progress=False)


# ------------------------------------------------------------------------------ divergence
class ExplodesInEpoch3(Autoencoder):
    """Its own loss turns infinite in the third epoch; keeps a copy of the weights per epoch."""

    def __init__(self):
        super().__init__(64, 8, hidden_dims=(32,))
        self.epoch, self.snapshots = 0, []

    def on_epoch_start(self, epoch, epochs):
        self.epoch = epoch
        self.snapshots.append(params(self))

    def loss(self, X_in, X_target):
        rec = reconstruction_loss(self(X_in), X_target, "bce")
        if self.epoch == 2:
            rec = rec * math.inf
        return {"loss": rec, "reconstruction": rec}


def test_infinite_loss_stops_and_restores_the_weights(X):
    seed_everything(0)
    model = ExplodesInEpoch3()
    with pytest.raises(TrainingDiverged, match="NaN or infinite in epoch 3.*smaller learning rate") as caught:
        fit(model, X, epochs=5, progress=False)
    assert caught.value.history.epochs == 2  # the two good epochs are kept
    assert len(model.snapshots) == 3
    assert same(params(model), model.snapshots[2])  # back to the start of the bad epoch
    assert all(torch.isfinite(p).all() for p in model.parameters())
    assert torch.isfinite(model(X)).all()


def test_huge_learning_rate_is_caught(X):
    model = small_model(output_activation="linear")
    start = params(model)
    with pytest.raises(TrainingDiverged) as caught:
        fit(model, X, epochs=3, lr=1e12, loss="mse", progress=False)
    assert caught.value.history.epochs == 0
    assert same(params(model), start)


# ------------------------------------------------------------------------------ Ctrl-C
def test_interrupt_in_a_hook_returns_the_history_so_far(X, capsys):
    class StopsAtEpoch3(Autoencoder):
        def on_epoch_start(self, epoch, epochs):
            if epoch == 3:
                raise KeyboardInterrupt

    seed_everything(0)
    model = StopsAtEpoch3(64, 8, hidden_dims=(32,))
    history = fit(model, X, epochs=10, X_val=X[:20], progress=False)
    assert history.epochs == 3 and len(history.val_loss) == 3
    assert history.stopped == "interrupted" and "interrupted" in repr(history)
    assert "interrupted after 3 complete epochs" in capsys.readouterr().out
    assert not model.training and torch.isfinite(model(X)).all()


def test_interrupt_mid_epoch_keeps_a_working_model(X):
    model = small_model()
    stopper = Recorder(interrupt_at=2 * 4 + 2)  # 4 batches an epoch: the 2nd batch of epoch 3
    history = fit(model, X, epochs=10, batch_size=64, penalties=[stopper], progress=False)
    assert history.epochs == 2 and history.stopped == "interrupted"
    assert all(torch.isfinite(p).all() for p in model.parameters())
    assert reconstruction_error(model, X) < 64  # still a model that reconstructs


# ------------------------------------------------------------------------------ plug-in points
def test_corruption_callable_feeds_the_model_while_the_loss_uses_clean_inputs(X):
    calls = []

    def shift(X_b):
        calls.append(len(X_b))
        return X_b + 100.0  # a mark no clean input carries

    class Spy(Autoencoder):
        seen = []

        def loss(self, X_in, X_target):
            self.seen.append((X_in.detach().clone(), X_target.detach().clone()))
            return {"loss": reconstruction_loss(self(X_in), X_target, "mse")}

    seed_everything(0)
    fit(Spy(64, 8), X, epochs=2, batch_size=64, corruption=shift, progress=False)
    assert calls == [64, 64, 64, 8] * 2
    for X_in, X_target in Spy.seen:
        torch.testing.assert_close(X_in, X_target + 100.0)
        assert X_target.max() <= 1
    # every clean example is seen once an epoch, in a shuffled order
    first_epoch = torch.cat([t for _, t in Spy.seen[:4]])
    assert not torch.equal(first_epoch, X)
    assert sorted(map(tuple, first_epoch.tolist())) == sorted(map(tuple, X.tolist()))


def test_corruption_by_name_calls_aekit_corrupt_with_a_generator(X, monkeypatch):
    import aekit.corruption

    seen = []

    def fake_corrupt(X_b, kind, level, generator=None):
        seen.append((kind, level, generator))
        return X_b * 0.5

    monkeypatch.setattr(aekit.corruption, "corrupt", fake_corrupt)
    fit(small_model(), X, epochs=1, batch_size=100, corruption=("masking", 0.25), progress=False)
    assert len(seen) == 2
    assert all(kind == "masking" and level == 0.25 and isinstance(gen, torch.Generator)
               for kind, level, gen in seen)


def test_penalty_is_called_recorded_and_added(X, X_val):
    plain = small_model()
    fit(plain, X, epochs=8, lr=3e-3, progress=False)
    model = small_model()
    penalty = Recorder(weight=1.0)
    history = fit(model, X, epochs=8, lr=3e-3, batch_size=128, X_val=X_val, penalties=[penalty],
                  progress=False)
    assert penalty.calls == 8 * 2 + 8  # two batches an epoch, plus one validation batch each
    assert penalty.grad_enabled[:2] == [True, True]
    assert set(history.terms) == {"reconstruction", "code_size"}
    for total, rec, pen in zip(history.train_loss, history.terms["reconstruction"], history.terms["code_size"]):
        assert total == pytest.approx(rec + pen, rel=1e-5)
    # the penalty shaped training: smaller codes than without it
    from aekit.evaluate import encode

    assert encode(model, X).pow(2).sum(1).mean() < 0.5 * encode(plain, X).pow(2).sum(1).mean()


def test_validation_enables_grad_only_for_penalties_that_need_it(X, X_val):
    needs, plain = Recorder(), Recorder()
    needs.needs_grad = True
    needs.name = "needs"
    fit(small_model(), X, epochs=1, batch_size=200, X_val=X_val, penalties=[needs], progress=False)
    fit(small_model(), X, epochs=1, batch_size=200, X_val=X_val, penalties=[plain], progress=False)
    assert needs.grad_enabled == [True, True]  # training batch, validation batch
    assert plain.grad_enabled == [True, False]


def test_model_defined_loss_replaces_the_reconstruction_loss(X):
    class WithParts(Autoencoder):
        def loss(self, X_in, X_target):
            Z = self.encode(X_in)
            rec = reconstruction_loss(self.decode(Z), X_target, "mse")
            prior = 0.1 * Z.pow(2).sum(1).mean()
            return {"loss": rec + prior, "rec": rec, "prior": prior}

    seed_everything(0)
    extra = Recorder(weight=0.5)
    history = fit(WithParts(64, 4), X * 3, epochs=3, penalties=[extra], progress=False)  # no [0, 1] check
    assert set(history.terms) == {"rec", "prior", "code_size"}
    for i in range(3):
        parts = sum(history.terms[k][i] for k in ("rec", "prior", "code_size"))
        assert history.train_loss[i] == pytest.approx(parts, rel=1e-5)


def test_epoch_hook_sees_every_epoch_in_order(X):
    class Annealed(Autoencoder):
        calls = []

        def on_epoch_start(self, epoch, epochs):
            self.calls.append((epoch, epochs, self.training))

    seed_everything(0)
    fit(Annealed(64, 4), X, epochs=4, X_val=X[:10], progress=False)
    assert Annealed.calls == [(e, 4, True) for e in range(4)]


# ------------------------------------------------------------------------------ determinism
def test_same_seed_same_result_other_seed_other_result(X):
    runs = []
    for seed in (0, 0, 1):
        model = small_model()
        history = fit(model, X, epochs=3, batch_size=32, seed=seed, progress=False)
        runs.append((history.train_loss, params(model)))
    assert runs[0][0] == runs[1][0] and same(runs[0][1], runs[1][1])
    assert runs[0][0] != runs[2][0] and not same(runs[0][1], runs[2][1])


def test_no_shuffle_visits_in_order(X):
    penalty = Recorder()
    fit(small_model(), X, epochs=1, batch_size=50, shuffle=False, penalties=[penalty], progress=False)
    torch.testing.assert_close(torch.cat(penalty.inputs), X)


def test_zero_epochs_changes_nothing(X):
    model = small_model()
    start = params(model)
    history = fit(model, X, epochs=0, progress=False)
    assert history.epochs == 0 and same(start, params(model))
    assert history.train_loss == [] and history.terms == {} and history.seconds == 0.0
    assert repr(history) == "History(no completed epoch)"


def test_small_networks_train_on_one_thread_and_the_setting_comes_back():
    import torch

    from aekit.models import Autoencoder
    from aekit.train import SMALL_WORK, fit

    seen = []

    class Spy:
        name = "spy"

        def __call__(self, model, X_in, Z):
            seen.append(torch.get_num_threads())
            return Z.sum() * 0.0

    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        X = torch.rand(64, 16)
        small = Autoencoder(16, 4)
        fit(small, X, epochs=1, progress=False, penalties=[Spy()], device="cpu")
        assert set(seen) == {1}, f"a {sum(p.numel() for p in small.parameters())}-parameter network should train on one thread"
        assert torch.get_num_threads() == 2, "fit must restore the caller's thread count"

        seen.clear()
        fit(small, X, epochs=1, progress=False, penalties=[Spy()], device="cpu", threads=2)
        assert set(seen) == {2}, "an explicit threads= must be honoured"

        seen.clear()
        big = Autoencoder(16, 4, hidden_dims=(SMALL_WORK // (16 * 64),))
        fit(big, X, epochs=1, progress=False, penalties=[Spy()], device="cpu")
        assert set(seen) == {2}, "a large network keeps torch's thread setting"
    finally:
        torch.set_num_threads(before)
