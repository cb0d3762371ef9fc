"""aekit's device contract, checked on a CPU-only machine with a pretend accelerator.

``tests/fake_accelerator.py`` makes ``get_device()`` pick a device that is not the CPU and
refuses, operation by operation, what CUDA or MPS refuse: CPU and device tensors mixed, float64
on the device, a random draw with a generator of the other device, ``.numpy()`` without
``.cpu()``. The first tests show that it catches each of those mistakes; the rest run every
model's training step, ``fit``, RBM training and Gibbs sampling, ``VAE.sample`` and every
explorer's render under it.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from fake_accelerator import ContractError, OnAccelerator, fake_accelerator  # noqa: E402

from aekit import fit  # noqa: E402
from aekit.data import Dataset, load  # noqa: E402
from aekit.device import seeded  # noqa: E402
from aekit.evaluate import encode, pca_baseline, reconstruction_error  # noqa: E402


@pytest.fixture
def accelerator(monkeypatch):
    with fake_accelerator(monkeypatch) as device:
        yield device


@pytest.fixture(scope="module")
def tiny():
    """Digits, cut down so that every explorer trains in moments under the checks."""
    d = load("digits")
    return Dataset("digits", d.X_train[:160], d.y_train[:160], d.X_test[:60], d.y_test[:60],
                   d.image_shape, d.classes)


def _on_device(model) -> bool:
    return all(isinstance(p, OnAccelerator) for p in model.parameters())


# ------------------------------------------------------------------ the checks can fail
def test_each_mistake_is_caught(accelerator):
    model = torch.nn.Linear(4, 3).to(accelerator)
    X = torch.rand(5, 4)
    with pytest.raises(ContractError, match="met a CPU tensor"):
        model(X)                                             # input not moved to the model
    with pytest.raises(ContractError, match="float64 on the accelerator"):
        torch.zeros(3, dtype=torch.float64, device=accelerator)
    with pytest.raises(ContractError, match="float64 on the accelerator"):
        X.to(accelerator).double()
    with pytest.raises(ContractError, match="generator on cpu"):
        torch.randn(3, generator=torch.Generator().manual_seed(0), device=accelerator)
    with pytest.raises(ContractError, match=r"\.numpy\(\)"):
        model(X.to(accelerator)).detach().numpy()
    with pytest.raises(ContractError, match="NumPy conversion"):
        np.asarray(X.to(accelerator))
    # what CUDA allows passes: a move back, a 0-dim CPU scalar, CPU indices, a device generator
    Y = model(X.to(accelerator))
    assert Y.detach().cpu().numpy().shape == (5, 3)
    assert isinstance(Y * torch.tensor(2.0), OnAccelerator)
    assert Y[torch.tensor([0, 2])].shape == (2, 3)
    torch.randn(3, generator=torch.Generator(device=accelerator), device=accelerator)


def test_the_old_float64_epoch_sum_is_caught(accelerator):
    """fit used to sum each epoch's losses in float64 on the training device: on MPS that
    fails on the first epoch. Written back the old way, the check refuses it."""
    parts = torch.rand(4).to(accelerator)
    with pytest.raises(ContractError, match="float64"):
        sizes = torch.tensor([32.0] * 4, dtype=torch.float64, device=accelerator)
        parts.double() @ sizes


# ------------------------------------------------------------------ every model trains
def _models():
    from aekit.models import BinaryCodeAutoencoder
    from aekit.models import (VAE, Autoencoder, ConcreteAutoencoder, ConvAutoencoder,
                              RateDistortionAutoencoder)

    return {
        "plain": lambda: Autoencoder(64, 8, hidden_dims=(16,)),
        "tied, dropout": lambda: Autoencoder(64, 8, hidden_dims=(16,), tied=True, dropout=0.2),
        "k-sparse annealed": lambda: Autoencoder(64, 16, code_activation="relu", k_sparse=4,
                                                 k_sparse_start=16),
        "VAE bernoulli": lambda: VAE(64, 2, hidden_dims=(16,)),
        "VAE gaussian": lambda: VAE(64, 2, hidden_dims=(16,), likelihood="gaussian"),
        "concrete": lambda: ConcreteAutoencoder(64, 4, hidden_dims=(16,)),
        "rate-distortion": lambda: RateDistortionAutoencoder(64, 8, hidden_dims=(16,)),
        "convolutional": lambda: ConvAutoencoder((8, 8), channels=(4, 8), code_dim=8),
        "binary codes": lambda: BinaryCodeAutoencoder(64, 8, hidden_dims=(16,)),
    }


@pytest.mark.parametrize("name", list(_models()))
def test_every_model_trains_and_is_measured_on_the_device(accelerator, tiny, name):
    with seeded(0):
        model = _models()[name]()
    history = fit(model, tiny.X_train.numpy().astype(np.float64), epochs=2, batch_size=64,
                  X_val=tiny.X_test, progress=False, seed=0)
    assert _on_device(model) and history.epochs == 2
    assert np.isfinite(history.train_loss).all()
    assert reconstruction_error(model, tiny.X_test) > 0
    assert encode(model, tiny.X_test).device.type == "cpu"


@pytest.mark.parametrize("penalty", ["L1", "L2", "KL", "contractive closed form",
                                     "contractive autograd"])
def test_penalties_and_corruption_train_on_the_device(accelerator, tiny, penalty):
    from aekit.models import Autoencoder
    from aekit.penalties import Contractive, KLSparsity, L1Sparsity, L2Sparsity

    make = {"L1": lambda: L1Sparsity(0.1), "L2": lambda: L2Sparsity(0.1),
            "KL": lambda: KLSparsity(0.05, 1.0), "contractive closed form": lambda: Contractive(0.1),
            "contractive autograd": lambda: Contractive(0.1, method="autograd")}[penalty]
    model = Autoencoder(64, 8, code_activation="sigmoid")
    for corruption in (("gaussian", 0.2), ("masking", 0.3), ("salt_and_pepper", 0.1)):
        history = fit(model, tiny.X_train, epochs=1, penalties=[make()], corruption=corruption,
                      progress=False, seed=1)
        assert np.isfinite(history.train_loss).all() and _on_device(model)


def test_sequence_autoencoder_trains_on_the_device(accelerator):
    from aekit.data import sine_waves
    from aekit.models import SequenceAutoencoder

    waves = sine_waves(n=64)
    model = SequenceAutoencoder(1, hidden_size=8, code_dim=2)
    fit(model, waves.X_train, epochs=1, batch_size=32, progress=False, max_grad_norm=1.0)
    assert _on_device(model)


def test_vae_sampling_and_interpolation(accelerator, tiny):
    from aekit.models import VAE

    vae = VAE(64, 2, hidden_dims=(16,))
    fit(vae, tiny.X_train, epochs=1, progress=False)
    for generator in (None, torch.Generator().manual_seed(0),
                      torch.Generator(device=accelerator).manual_seed(0)):
        samples = vae.sample(5, generator=generator)
        assert isinstance(samples, OnAccelerator) and samples.shape == (5, 64)
    # a CPU generator gives the same samples as on the CPU: the draw happens there
    cpu_vae = VAE(64, 2, hidden_dims=(16,))
    cpu_vae.load_state_dict({k: v.cpu() for k, v in vae.state_dict().items()})
    on_device = vae.sample(5, generator=torch.Generator().manual_seed(3)).cpu()
    torch.testing.assert_close(on_device, cpu_vae.sample(5, generator=torch.Generator().manual_seed(3)))
    assert vae.interpolate(tiny.X_test[0], tiny.X_test[1].numpy().astype(np.float64), 4).shape == (4, 64)
    assert np.isfinite(vae.negative_elbo(tiny.X_test))


def test_rbm_training_gibbs_sampling_and_pretraining(accelerator, tiny):
    from aekit.models import RBM
    from aekit.pretraining import fit_rbm, pretrain_stack, train_deep_autoencoder, unroll

    X = (tiny.X_train > 0.5).float()
    rbm = RBM(64, 16, seed=0)
    history = fit_rbm(rbm, X.numpy().astype(np.float64), epochs=2, batch_size=32, X_val=X[:20],
                      progress=False)
    assert _on_device(rbm) and history.epochs == 2
    for generator in (None, torch.Generator().manual_seed(0)):
        assert rbm.sample(4, steps=3, generator=generator).shape == (4, 64)
        assert rbm.gibbs(X[:4], steps=2, generator=generator).shape == (4, 64)
        rbm.contrastive_divergence(X[:8], generator=generator)
    assert rbm.free_energy(X[:4]).shape == (4,)
    model = unroll(pretrain_stack(tiny.X_train, (16, 4), epochs=1, progress=False))
    fit(model, tiny.X_train, epochs=1, progress=False)
    for scheme in ("rbm", "autoencoders", "random"):
        run = train_deep_autoencoder(tiny.X_train, (16, 4), scheme=scheme, pretrain_epochs=1,
                                     fine_tune_epochs=1, progress=False)
        assert reconstruction_error(run.model, tiny.X_test) > 0


def test_topic_modules_on_the_device(accelerator, tiny):
    from aekit.widgets import OneClassStudy
    from aekit.applications.anomaly import randomness_test
    from aekit.widgets import HashingStudy
    from aekit.linear import fit_linear_autoencoder, recover_components

    linear = fit_linear_autoencoder(tiny.X_train, 4, epochs=(2,), lrs=(1e-2,))
    recover_components(linear, tiny.X_train)
    assert HashingStudy(tiny, epochs=1).result(8)["learned"] >= 0
    assert OneClassStudy(tiny, epochs=1).table([0])[0]["autoencoder"] >= 0
    assert randomness_test(tiny, epochs=1).code_dim == 8
    assert pca_baseline(tiny.X_train, tiny.X_test, 4) > 0


def test_translation_and_phantom_helpers_on_the_device(accelerator):
    from aekit.evaluate import reconstruct
    from aekit.applications.imaging import downsample, upsample
    from aekit.models import Autoencoder, SequenceAutoencoder
    from aekit.applications.phantoms import lesion_contrast_kept, phantoms
    from aekit.applications.toy_sequences import (VOCABULARY, one_hot, to_source, tokens_from_one_hot,
                                     translation_pairs)

    pairs = translation_pairs(n_train=64, n_test=8, seed=0)
    for flatten in (True, False):   # to_source on the device gives what it gives on the CPU
        X = one_hot(pairs.target_train, flatten=flatten)
        assert torch.equal(to_source(X.to(accelerator)).cpu(), to_source(X))
    dense = Autoencoder(one_hot(pairs.target_train).shape[1], 4)
    fit(dense, one_hot(pairs.target_train), epochs=1, corruption=to_source, progress=False)
    assert tokens_from_one_hot(reconstruct(dense, one_hot(pairs.source_test))).shape == (8, 5)
    lstm = SequenceAutoencoder(len(VOCABULARY), hidden_size=8, code_dim=4, reconstruction="bce")
    fit(lstm, one_hot(pairs.target_train, flatten=False), epochs=1, corruption=to_source,
        max_grad_norm=1.0, progress=False)
    assert _on_device(dense) and _on_device(lstm)

    P = phantoms(32, size=16, lesions=(1, 1), seed=0)

    def lose_detail(X):
        return upsample(downsample(X, (16, 16), 2), (8, 8), 2)

    sharpener = Autoencoder(256, 8)
    fit(sharpener, P.images, epochs=1, loss="mse", corruption=lose_detail, progress=False)
    assert np.isfinite(lesion_contrast_kept(lambda X: reconstruct(sharpener, lose_detail(X)), P))


def _explorers():
    from aekit import widgets as w

    return {
        "bottleneck": lambda d: w.bottleneck_explorer(d, code_dims=(2, 4), epochs=1),
        "linear PCA": lambda d: w.linear_pca_explorer(d, code_dims=(2, 4), epochs=1,
                                                       linear_options={"epochs": (2,), "lrs": (1e-2,)}),
        "overcomplete": lambda d: w.overcomplete_explorer(d, code_dims=(16, 32), epochs=1),
        "sparse": lambda d: w.sparse_explorer(d, sparsity_weights=(0.0, 0.1), epochs=1),
        "denoising": lambda d: w.denoising_explorer(d, noise_levels=(0.2,), epochs=1),
        "contractive": lambda d: w.contractive_explorer(d, contractive_weights=(0.0, 0.1), epochs=1),
        "VAE": lambda d: w.vae_explorer(d, betas=(1.0,), epochs=1),
        "concrete": lambda d: w.concrete_explorer(d, ks=(2, 4), epochs=1),
        "hashing": lambda d: w.hashing_explorer(d, bits_options=(4, 8), bits=4, epochs=1),
        "anomaly": lambda d: w.anomaly_explorer(d, epochs=1),
        "image denoising": lambda d: w.image_denoising_explorer(d, noise_levels=(0.2,), epochs=1),
        "compression": lambda d: w.compression_explorer(d, lams=(10,), epochs=1),
    }


@pytest.mark.parametrize("name", list(_explorers()))
def test_every_explorer_renders_with_its_models_on_the_device(accelerator, tiny, name):
    explorer = _explorers()[name](tiny)
    assert explorer.last_error is None, explorer.last_error   # the first picture was drawn
    assert explorer.png().startswith(b"\x89PNG")
