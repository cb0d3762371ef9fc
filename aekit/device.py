"""Where tensors live and where random numbers come from: aekit's one device and dtype contract.

Every module of the package follows these rules, through the helpers below:

1. **float32 everywhere.** Every float input (a float64 NumPy array, NumPy's default; a list;
   a float16 tensor) becomes float32 in :func:`aekit.checks.as_tensor` (which lives with the
   other input checks). Nothing is computed in float64 on an accelerator (MPS has no float64);
   exact sums in float64 happen on the CPU.
2. **Inputs go to the model.** :func:`to_model` moves an input to the device of the model's
   parameters before the model sees it; a tensor never meets a tensor of another device.
3. **Random draws happen where the generator is.** :func:`randn`, :func:`rand` and friends
   draw with the generator on the generator's own device and move the result to the tensor it
   shapes, so a CPU ``torch.Generator`` works for a model on a GPU (and gives the same numbers
   there as on the CPU).
4. **One seed, no hidden reseeding.** :func:`seed_everything` is the lesson's or the user's
   call (``AEKIT_SEED``, default 0); library code never calls it. It draws seeds it needs
   from the session's generator (:func:`resolve_seed`), builds models inside :func:`seeded`
   (which leaves the session's generator as it was), and :func:`aekit.fit` makes one noise
   generator per run that every random choice of the model follows (:func:`noise_from`).
5. **``.cpu()`` before ``.numpy()``:** :func:`to_numpy`.
"""
from __future__ import annotations

import contextlib
import contextvars
import os
import random
from typing import Iterator

import numpy as np
import torch

from aekit.checks import as_tensor

__all__ = ["get_device", "seed_everything", "describe_device", "resolve_seed", "seeded",
           "build_seeded",
           "to_model", "model_device", "to_numpy", "make_generator",
           "noise_from", "randn", "rand", "randn_like", "rand_like", "dropout"]

_KNOWN = ("cpu", "cuda", "mps", "xpu")
SEED_VARIABLE = "AEKIT_SEED"


# ---------------------------------------------------------------------------- devices
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
    if device.type != "cpu":
        return f"Training runs on the accelerator {device}."
    threads = torch.get_num_threads()
    return (f"Training runs on the CPU ({threads} thread{'s' if threads != 1 else ''}); "
            f"no GPU is needed for this course.")


def model_device(model: torch.nn.Module) -> torch.device:
    """The device of a model's first parameter (or buffer); the CPU for a model with neither."""
    for tensor in (*model.parameters(), *model.buffers()):
        return tensor.device
    return torch.device("cpu")


def to_model(X, model: torch.nn.Module, what: str = "X") -> torch.Tensor:
    """:func:`as_tensor`, then moved to the device of ``model``'s parameters."""
    return as_tensor(X, what).to(model_device(model))


def to_numpy(X) -> np.ndarray:
    """A NumPy copy of a tensor from any device (detached, moved to the CPU first)."""
    if isinstance(X, np.ndarray):
        return X
    return X.detach().cpu().numpy()


# ---------------------------------------------------------------------------- seeds
def seed_everything(seed: int | None = None) -> int:
    """Seed Python, NumPy and torch, and ask torch for deterministic kernels.

    With no argument the seed is the ``AEKIT_SEED`` environment variable (default 0), so a
    lesson can be rerun with another seed without editing it. Returns the seed used.
    Results are then the same on every run on the same machine and library versions;
    other machines may differ in the last digits, which is why lessons check with tolerances.
    """
    if seed is None:
        text = os.environ.get(SEED_VARIABLE, "").strip() or "0"
        try:
            seed = int(text)
        except ValueError:
            raise ValueError(f"{SEED_VARIABLE}={text!r} is not a whole number; set it to a "
                             f"non-negative integer such as 0, or unset it") from None
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    seed = int(seed)
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
    torch.use_deterministic_algorithms(True, warn_only=True)
    return seed


def resolve_seed(seed: int | None) -> int:
    """``seed`` itself, or (for None) a seed drawn from the session's torch generator: so a
    function called after :func:`seed_everything` is repeatable, and follows ``AEKIT_SEED``."""
    if seed is None:
        return int(torch.randint(0, 2**31 - 1, (1,)).item())
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer or None, got {seed!r}")
    return int(seed)


def build_seeded(seed: int, make, *args, **kwargs):
    """``make(*args, **kwargs)`` inside :func:`seeded`: a model built with the same starting
    weights every time. Called from background work (:mod:`aekit.background`) it runs in the
    main thread, so the student's own random draws never interleave with it."""
    from aekit.background import in_main_thread

    def build():
        with seeded(seed):
            return make(*args, **kwargs)

    return in_main_thread(build)


@contextlib.contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Run a block (building a model, say) with torch's CPU generator seeded by ``seed``, and
    put the session's generator back as it was afterwards."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(resolve_seed(seed))
        yield


# ---------------------------------------------------------------------------- random draws
_NOISE: contextvars.ContextVar[torch.Generator | None] = contextvars.ContextVar(
    "aekit_noise", default=None)


def make_generator(seed: int, device: str | torch.device = "cpu") -> torch.Generator:
    """A generator seeded with ``seed`` on ``device``, or on the CPU where the device has none
    (the helpers below draw on the generator's device and move the result)."""
    device = torch.device(device)
    if device.type != "cpu":
        try:
            return torch.Generator(device=device).manual_seed(seed)
        except (RuntimeError, TypeError, ValueError):
            pass
    return torch.Generator().manual_seed(seed)


@contextlib.contextmanager
def noise_from(generator: torch.Generator | None) -> Iterator[None]:
    """Make ``generator`` the source of every random choice a model makes inside the block
    (dropout masks, the VAE's samples, Gumbel and quantisation noise); None: the session's."""
    token = _NOISE.set(generator)
    try:
        yield
    finally:
        _NOISE.reset(token)


def _draw(fn, shape, device, dtype, generator) -> torch.Tensor:
    generator = generator if generator is not None else _NOISE.get()
    device = torch.device(device)
    if generator is None or generator.device.type == device.type:
        return fn(shape, generator=generator, device=device, dtype=dtype)
    return fn(shape, generator=generator, device=generator.device, dtype=dtype).to(device)


def randn(*shape: int, device: str | torch.device = "cpu", dtype: torch.dtype = torch.float32,
          generator: torch.Generator | None = None) -> torch.Tensor:
    """Standard normal numbers of ``shape`` on ``device``, drawn where the generator lives."""
    return _draw(torch.randn, shape, device, dtype, generator)


def rand(*shape: int, device: str | torch.device = "cpu", dtype: torch.dtype = torch.float32,
         generator: torch.Generator | None = None) -> torch.Tensor:
    """Uniform numbers in [0, 1) of ``shape`` on ``device``, drawn where the generator lives."""
    return _draw(torch.rand, shape, device, dtype, generator)


def randn_like(X: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Standard normal numbers shaped, typed and placed like X."""
    if generator is None and _NOISE.get() is None:
        return torch.randn_like(X)  # the session's generator (and batched inside torch.func.vmap)
    return _draw(torch.randn, X.shape, X.device, X.dtype, generator)


def rand_like(X: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Uniform numbers in [0, 1) shaped, typed and placed like X."""
    if generator is None and _NOISE.get() is None:
        return torch.rand_like(X)  # the session's generator (and batched inside torch.func.vmap)
    return _draw(torch.rand, X.shape, X.device, X.dtype, generator)


def dropout(X: torch.Tensor, p: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """Zero each entry with probability p and scale the rest by 1 / (1 - p) (training-time
    dropout), with the mask drawn from ``generator`` or the active noise generator."""
    if p == 0.0:
        return X
    keep = rand_like(X, generator) >= p
    return X * keep / (1.0 - p)
