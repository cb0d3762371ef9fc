"""Regression tests for defects found in review; each failed before its fix."""
from __future__ import annotations

import pytest
import torch

from aekit import TrainingDiverged, fit
from aekit.data import Dataset, load
from aekit.device import seeded


@pytest.fixture(scope="module")
def small():
    d = load("digits")
    return Dataset("digits", d.X_train[:300], d.y_train[:300], d.X_test[:80], d.y_test[:80],
                   d.image_shape, d.classes)


def test_fit_rbm_puts_the_weights_back_when_it_diverges():
    from aekit.models import RBM
    from aekit.pretraining import fit_rbm

    X = (torch.rand(40, 6, generator=torch.Generator().manual_seed(0)) < 0.5).float()
    rbm = RBM(6, 4, seed=0)
    before = [p.detach().clone() for p in rbm.parameters()]
    with pytest.raises(TrainingDiverged, match="back to its weights"):
        fit_rbm(rbm, X, epochs=3, lr=1e30, batch_size=10, progress=False, seed=0)
    for p, old in zip(rbm.parameters(), before):
        assert torch.equal(p.detach(), old)


def test_kl_sparsity_trains_a_sigmoid_code_with_dropout(small):
    """Dropout scales kept units by 1 / (1 - p), so sigmoid codes exceed 1 while training;
    the KL penalty must accept that rather than tell the user to use a sigmoid."""
    from aekit.evaluate import encode
    from aekit.models import Autoencoder
    from aekit.penalties import KLSparsity

    with seeded(0):
        model = Autoencoder(64, 16, code_activation="sigmoid", dropout=0.3)
    history = fit(model, small.X_train, epochs=15, lr=1e-2, penalties=[KLSparsity(0.05, 3.0)],
                  progress=False, seed=0)
    assert history.epochs == 15
    assert float(encode(model, small.X_test).mean()) < 0.25   # pushed from ~0.5 towards 0.05


def test_binary_codes_declare_their_sigmoid_so_the_contractive_closed_form_is_exact():
    from aekit.models import BinaryCodeAutoencoder
    from aekit.linear import _is_linear
    from aekit.penalties import jacobian_norm_sq

    with seeded(0):
        model = BinaryCodeAutoencoder(16, 4, hidden_dims=(), activation="linear").eval()
    X = torch.rand(8, 16, generator=torch.Generator().manual_seed(1))
    auto = jacobian_norm_sq(model, X)                      # closed form where it applies
    exact = jacobian_norm_sq(model, X, method="autograd")
    torch.testing.assert_close(auto, exact, rtol=1e-5, atol=1e-7)
    assert not _is_linear(model)


def _threads_seen(model, X, **kwargs) -> set[int]:
    seen: list[int] = []

    class Spy:
        name = "spy"

        def __call__(self, model, X_in, Z):
            seen.append(torch.get_num_threads())
            return Z.sum() * 0.0

    fit(model, X, epochs=1, progress=False, penalties=[Spy()], device="cpu", **kwargs)
    return set(seen)


def test_a_convolutional_network_with_few_weights_gets_every_thread():
    """The thread policy follows the work of a step, not the number of weights."""
    from aekit.models import ConvAutoencoder
    from aekit.train import multiply_adds

    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        conv = ConvAutoencoder((28, 28), channels=(8, 16), code_dim=8)
        assert sum(p.numel() for p in conv.parameters()) < 100_000   # few weights ...
        X = torch.rand(128, 784)
        assert multiply_adds(conv, X) > 5 * 128 * 100_000               # ... much work
        assert _threads_seen(conv, X) == {2}
    finally:
        torch.set_num_threads(before)


def test_multiply_adds_counts_linear_conv_and_lstm_layers():
    from aekit.models import Autoencoder, SequenceAutoencoder
    from aekit.train import multiply_adds

    dense = Autoencoder(64, 8, hidden_dims=(32,))
    assert multiply_adds(dense, torch.rand(5, 64)) == 5 * (64 * 32 + 32 * 8 + 8 * 32 + 32 * 64)
    lstm = SequenceAutoencoder(1, hidden_size=8, code_dim=2)
    one, ten = (multiply_adds(lstm, torch.rand(3, steps, 1)) for steps in (1, 10))
    assert ten > 5 * one   # the recurrent work grows with the number of steps


def test_the_linear_pca_explorer_trains_on_the_same_images_as_the_bottleneck_study(small, monkeypatch):
    import aekit.widgets.linear_pca as module
    from aekit.widgets import LinearPCAStudy

    rows = []
    real = module.fit_linear_autoencoder
    monkeypatch.setattr(module, "fit_linear_autoencoder",
                        lambda X, *a, **k: rows.append(len(X)) or real(X, *a, **k))
    study = LinearPCAStudy(small, code_dims=(2,), n_train=100, epochs=1,
                           linear_options={"epochs": (1,), "lrs": (1e-2,)})
    study.linear_model(2)
    assert rows == [100] and len(study.nonlinear.X_train) == 100
    assert study.pca(2).n_samples_ == 100


def test_ctrl_c_while_an_explorer_trains_keeps_nothing_and_the_explorer_goes_on(small, monkeypatch):
    import aekit.train
    from aekit.widgets import concrete_explorer

    explorer = concrete_explorer(small, ks=(2, 4), k=2, epochs=3)
    study = explorer.study
    real, calls = aekit.train._step_parts, []

    def interrupted(*args, **kwargs):  # Ctrl-C arrives in the middle of the second batch
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(aekit.train, "_step_parts", interrupted)
    explorer.controls["k"].value = 4                 # as a student moving the slider
    assert explorer.last_error == "interrupted"
    assert {"k": 4} not in study.models, "a half-trained model was cached"
    assert {"k": 4} not in explorer.pngs
    monkeypatch.setattr(aekit.train, "_step_parts", real)
    explorer.controls["k"].value = 2                 # back and forth works
    assert explorer.last_error is None
    explorer.controls["k"].value = 4
    assert explorer.last_error is None and {"k": 4} in study.models
    assert len(study.selected(4)) == 4


def test_fit_can_raise_on_ctrl_c_with_the_epoch_start_weights_back():
    import aekit.train
    from aekit.models import Autoencoder

    model = Autoencoder(16, 4)
    before = [p.detach().clone() for p in model.parameters()]
    real, calls = aekit.train._step_parts, []

    def interrupted(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(aekit.train, "_step_parts", interrupted)
        with pytest.raises(KeyboardInterrupt):
            fit(model, torch.rand(64, 16), epochs=1, batch_size=16, progress=False,
                interrupt="raise")
    assert all(torch.equal(p, old) for p, old in zip(model.parameters(), before))
    with pytest.raises(ValueError, match="interrupt must be 'return' or 'raise'"):
        fit(model, torch.rand(4, 16), epochs=1, interrupt="ignore")


def test_the_fit_benchmark_runs_every_loop_at_the_same_thread_count(monkeypatch):
    import aekit.train
    from aekit.bench import fit as bench

    seen: dict[str, set[int]] = {"fit": set(), "others": set()}
    real_loss, real_bce = aekit.train.reconstruction_loss, bench._bce
    monkeypatch.setattr(aekit.train, "reconstruction_loss", lambda *a, **k: (
        seen["fit"].add(torch.get_num_threads()), real_loss(*a, **k))[1])
    monkeypatch.setattr(bench, "_bce", lambda *a: (
        seen["others"].add(torch.get_num_threads()), real_bce(*a))[1])
    work = bench.Workload("tiny", torch.rand(256, 64), 4, (16,), "relu", epochs=1)
    before = torch.get_num_threads()
    for threads in (1, 2):
        for s in seen.values():
            s.clear()
        bench.run_workload(work, repeats=1, threads=threads)
        assert seen == {"fit": {threads}, "others": {threads}}
        assert torch.get_num_threads() == before
