"""Device choice (AEKIT_DEVICE, autodetection, clear errors) and seeding."""
import random

import numpy as np
import pytest
import torch

from aekit.device import describe_device, get_device, seed_everything


@pytest.fixture
def no_accelerator(monkeypatch):
    """Pretend this machine has no accelerator of any kind, whatever it really has."""
    monkeypatch.delenv("AEKIT_DEVICE", raising=False)
    monkeypatch.setattr(torch.accelerator, "is_available", lambda: False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    if hasattr(torch, "xpu"):
        monkeypatch.setattr(torch.xpu, "is_available", lambda: False)


@pytest.fixture
def two_gpus(no_accelerator, monkeypatch):
    """Pretend two CUDA GPUs are present (only availability is faked; nothing runs on them)."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setattr(torch.accelerator, "is_available", lambda: True)
    monkeypatch.setattr(torch.accelerator, "current_accelerator", lambda *a, **k: torch.device("cuda"))


def test_cpu_when_nothing_else(no_accelerator):
    assert get_device() == torch.device("cpu")
    assert "CPU" in describe_device(torch.device("cpu"))


def test_autodetect_prefers_an_accelerator(two_gpus):
    assert get_device() == torch.device("cuda")


def test_autodetect_finds_mps_without_torch_accelerator(no_accelerator, monkeypatch):
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert get_device().type == "mps"


def test_environment_variable_overrides_autodetection(two_gpus, monkeypatch):
    monkeypatch.setenv("AEKIT_DEVICE", "cpu")
    assert get_device() == torch.device("cpu")
    monkeypatch.setenv("AEKIT_DEVICE", "cuda:1")
    assert get_device() == torch.device("cuda", 1)


def test_prefer_argument_wins_over_environment(two_gpus, monkeypatch):
    monkeypatch.setenv("AEKIT_DEVICE", "cuda:1")
    assert get_device("cpu") == torch.device("cpu")
    assert get_device(torch.device("cuda", 0)) == torch.device("cuda", 0)


def test_empty_environment_variable_means_autodetect(no_accelerator, monkeypatch):
    monkeypatch.setenv("AEKIT_DEVICE", "  ")
    assert get_device() == torch.device("cpu")


@pytest.mark.parametrize("name", ["tpu", "gpu", "cuda:x"])
def test_unknown_device_name_is_a_clear_error(no_accelerator, monkeypatch, name):
    monkeypatch.setenv("AEKIT_DEVICE", name)
    with pytest.raises(ValueError, match=r"unknown device AEKIT_DEVICE=.*cpu, cuda, mps"):
        get_device()


def test_device_torch_knows_but_aekit_does_not(no_accelerator):
    with pytest.raises(ValueError, match="unsupported device prefer='meta'"):
        get_device("meta")


@pytest.mark.parametrize("name", ["cuda", "cuda:0", "mps", "xpu"])
def test_unavailable_device_is_a_clear_error(no_accelerator, monkeypatch, name):
    monkeypatch.setenv("AEKIT_DEVICE", name)
    with pytest.raises(ValueError, match="not available on this machine.*'cpu'"):
        get_device()


def test_gpu_index_beyond_the_count_is_unavailable(two_gpus, monkeypatch):
    monkeypatch.setenv("AEKIT_DEVICE", "cuda:2")
    with pytest.raises(ValueError, match="not available"):
        get_device()


def _draws():
    return random.random(), float(np.random.rand()), torch.rand(3).tolist()


def test_seed_everything_repeats_every_generator():
    seed_everything(123)
    first = _draws()
    seed_everything(123)
    assert _draws() == first
    seed_everything(124)
    other = _draws()
    assert all(a != b for a, b in zip(first, other))  # each of the three generators was seeded
    assert torch.are_deterministic_algorithms_enabled()
    assert torch.backends.cudnn.deterministic and not torch.backends.cudnn.benchmark


def test_seed_everything_makes_models_identical():
    seed_everything(7)
    a = torch.nn.Linear(5, 3).weight.detach().clone()
    seed_everything(7)
    assert torch.equal(a, torch.nn.Linear(5, 3).weight)


@pytest.mark.parametrize("seed", [-1, 1.5, "0"])
def test_seed_everything_rejects_bad_seeds(seed):
    with pytest.raises(ValueError, match="non-negative integer"):
        seed_everything(seed)
