"""Pick the device to train on, and make runs repeatable."""
from __future__ import annotations

import os
import random

import numpy as np
import torch

__all__ = ["get_device", "seed_everything", "describe_device"]

_KNOWN = ("cpu", "cuda", "mps", "xpu")


def _available(device: torch.device) -> bool:
    kind = device.type
    if kind == "cpu":
        return True
    if kind == "cuda":
        if not torch.cuda.is_available():
            return False
        return device.index is None or device.index < torch.cuda.device_count()
    if kind == "mps":
        return bool(getattr(torch.backends, "mps", None)) and torch.backends.mps.is_available()
    if kind == "xpu":
        xpu = getattr(torch, "xpu", None)
        if xpu is None or not xpu.is_available():
            return False
        return device.index is None or device.index < xpu.device_count()
    return False


def _auto() -> torch.device:
    accelerator = getattr(torch, "accelerator", None)
    if accelerator is not None and accelerator.is_available():
        found = accelerator.current_accelerator()
        if found is not None:
            return torch.device(found.type)
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def get_device(prefer: str | torch.device | None = None) -> torch.device:
    """Return the device aekit trains on.

    Order: ``prefer`` if given, else the ``AEKIT_DEVICE`` environment variable ("cpu",
    "cuda", "cuda:1", "mps", "xpu"), else the first available accelerator (CUDA, MPS, XPU),
    else the CPU.

    Raises
    ------
    ValueError
        If the requested device is not a device name torch knows, or is not available here.

    Examples
    --------
    >>> get_device("cpu")
    device(type='cpu')
    """
    requested = prefer if prefer is not None else os.environ.get("AEKIT_DEVICE", "").strip() or None
    if requested is None:
        return _auto()
    source = "prefer=" if prefer is not None else "AEKIT_DEVICE="
    try:
        device = torch.device(requested)
    except (RuntimeError, ValueError) as err:
        raise ValueError(
            f"unknown device {source}{requested!r}; use one of {', '.join(_KNOWN)} "
            f"(optionally with an index such as 'cuda:0'), or unset it to autodetect"
        ) from err
    if device.type not in _KNOWN:
        raise ValueError(
            f"unsupported device {source}{requested!r}; aekit runs on {', '.join(_KNOWN)}"
        )
    if not _available(device):
        raise ValueError(
            f"device {source}{requested!r} is not available on this machine "
            f"(autodetect would pick {_auto()}); unset it or choose 'cpu'"
        )
    return device


def describe_device(device: torch.device | None = None) -> str:
    """One sentence saying, in words, where training runs."""
    device = device or get_device()
    if device.type == "cuda":
        name = torch.cuda.get_device_name(device)
        return f"Training runs on the GPU ({name}, {device})."
    if device.type in ("mps", "xpu"):
        return f"Training runs on the accelerator {device}."
    threads = torch.get_num_threads()
    return (f"Training runs on the CPU ({threads} thread{'s' if threads != 1 else ''}); "
            f"no GPU is needed for this course.")


def seed_everything(seed: int = 0) -> None:
    """Seed Python, NumPy and torch, and ask torch for deterministic kernels.

    Results are then the same on every run on the same machine and library versions;
    other machines may differ in the last digits, which is why lessons check with tolerances.
    """
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
    torch.use_deterministic_algorithms(True, warn_only=True)
