"""A pretend accelerator on a CPU-only machine, strict about aekit's device contract.

Inside :func:`fake_accelerator`, ``aekit.get_device()`` picks a device that is not the CPU
(torch's ``meta`` device type stands in for CUDA or MPS: tensors there report
``device.type == "meta"``, and autograd and optimizers treat them as on another device). Each
tensor moved there secretly keeps its values on the CPU, so training and rendering compute
the real numbers, while every operation is checked against what a real GPU or an Apple MPS
device refuses:

- a tensor on the accelerator meeting a CPU tensor in one operation (other than a copy, an
  index or a 0-dim scalar, which CUDA allows);
- float64 on the accelerator (MPS has none);
- a random draw for the accelerator with a CPU ``torch.Generator`` (or the reverse);
- ``.numpy()`` of a tensor on the accelerator without ``.cpu()``.

Each raises :class:`ContractError`, naming the operation.
"""
from __future__ import annotations

import contextlib

import torch
from torch.overrides import TorchFunctionMode
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten, tree_map

ACCELERATOR = torch.device("meta")
_aten = torch.ops.aten
# operations CUDA allows across devices: copies and moves, and CPU indices into device tensors
_CROSS_DEVICE_OK = {_aten.copy_.default, _aten._to_copy.default, _aten.index.Tensor,
                    _aten.index_put_.default, _aten.index_put.default, _aten._index_put_impl_.default}
_RealGenerator = torch.Generator


class ContractError(AssertionError):
    """Code did something a real accelerator refuses."""


class OnAccelerator(torch.Tensor):
    """A tensor "on the accelerator": reports the accelerator's device, holds CPU values."""

    @staticmethod
    def __new__(cls, elem: torch.Tensor):
        out = torch.Tensor._make_wrapper_subclass(
            cls, elem.shape, strides=elem.stride(), storage_offset=elem.storage_offset(),
            dtype=elem.dtype, device=ACCELERATOR, requires_grad=elem.requires_grad)
        out.elem = elem
        return out

    @classmethod
    def __torch_dispatch__(cls, func, types, args=(), kwargs=None):
        return NotImplemented  # only the mode below computes

    def numpy(self, *args, **kwargs):
        raise ContractError(".numpy() of a tensor on the accelerator: call .cpu() first")

    def __array__(self, *args, **kwargs):
        raise ContractError("NumPy conversion of a tensor on the accelerator: call .cpu() first")

    def __repr__(self, **kwargs) -> str:
        return f"OnAccelerator({self.elem!r})"

    def __format__(self, spec: str) -> str:  # f"{loss:.2f}" works on a GPU's 0-dim tensors
        return format(self.item(), spec) if self.dim() == 0 else super().__format__(spec)


class AcceleratorGenerator(_RealGenerator):
    """A generator "on the accelerator" (it draws on the CPU underneath)."""

    @property
    def device(self) -> torch.device:
        return ACCELERATOR


class _Generator(_RealGenerator):
    """Stands in for ``torch.Generator``: ``torch.Generator(device=accelerator)`` works."""

    def __new__(cls, device="cpu"):
        if torch.device(device).type == ACCELERATOR.type:
            return AcceleratorGenerator()
        return _RealGenerator(device)


def _describe(func, tensors) -> str:
    shapes = ", ".join(f"{'accelerator' if isinstance(t, OnAccelerator) else 'cpu'} "
                       f"{tuple(t.shape)} {str(t.dtype).replace('torch.', '')}" for t in tensors)
    return f"{func} on ({shapes})"


class _GeneratorChecker(TorchFunctionMode):
    """Random draws must use a generator of the device they draw for. (Seen at the Python
    level, where the generator is still the object the code passed.)"""

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        leaves, _ = tree_flatten((args, kwargs))
        for g in (x for x in leaves if isinstance(x, _RealGenerator)):
            device = kwargs.get("device")
            if device is None:
                device = next((x.device for x in leaves if isinstance(x, torch.Tensor)), "cpu")
            on = torch.device(device).type == ACCELERATOR.type
            if isinstance(g, AcceleratorGenerator) != on:
                raise ContractError(f"a random draw for the {'accelerator' if on else 'CPU'} "
                                    f"with a generator on {g.device}: {func.__name__}")
        return func(*args, **kwargs)


class _Checker(TorchDispatchMode):
    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = dict(kwargs or {})
        leaves, _ = tree_flatten((args, kwargs))
        tensors = [x for x in leaves if isinstance(x, torch.Tensor)]
        on = [t for t in tensors if isinstance(t, OnAccelerator)]
        target = kwargs.get("device")
        target = torch.device(target).type if target is not None else None
        to_accelerator = target == ACCELERATOR.type
        result_on = to_accelerator or (bool(on) and target != "cpu")
        if on and func not in _CROSS_DEVICE_OK:
            cpu = [t for t in tensors if not isinstance(t, OnAccelerator) and t.dim() > 0]
            if cpu:
                raise ContractError(f"a tensor on the accelerator met a CPU tensor: "
                                    f"{_describe(func, tensors)}")
        if result_on and (kwargs.get("dtype") == torch.float64
                          or any(t.dtype == torch.float64 for t in on)):
            raise ContractError(f"float64 on the accelerator: {_describe(func, tensors)}")
        if to_accelerator:
            kwargs["device"] = torch.device("cpu")
        unwrap = lambda x: x.elem if isinstance(x, OnAccelerator) else x  # noqa: E731
        out = func(*tree_map(unwrap, args), **tree_map(unwrap, kwargs))
        if not result_on:
            return out

        def wrap(x):
            if isinstance(x, torch.Tensor) and not isinstance(x, OnAccelerator):
                if x.dtype == torch.float64:
                    raise ContractError(f"float64 on the accelerator: {func} returned it")
                return OnAccelerator(x)
            return x
        return tree_map(wrap, out)


@contextlib.contextmanager
def fake_accelerator(monkeypatch):
    """Make ``aekit.get_device()`` pick the pretend accelerator, and check every operation."""
    import aekit.device

    monkeypatch.delenv("AEKIT_DEVICE", raising=False)
    monkeypatch.setattr(aekit.device, "_auto", lambda: ACCELERATOR)
    monkeypatch.setattr(aekit.device, "_KNOWN", (*aekit.device._KNOWN, ACCELERATOR.type))
    available = aekit.device._available
    monkeypatch.setattr(aekit.device, "_available",
                        lambda device: device.type == ACCELERATOR.type or available(device))
    monkeypatch.setattr(torch, "Generator", _Generator)
    with _GeneratorChecker(), _Checker():
        yield ACCELERATOR


_INSTALLED: list = []  # keeps the context alive: collected, it would switch the checks off


def install() -> None:
    """Turn the pretend accelerator on for the rest of this process (a lesson's kernel)."""
    import pytest

    context = fake_accelerator(pytest.MonkeyPatch())
    context.__enter__()
    _INSTALLED.append(context)
