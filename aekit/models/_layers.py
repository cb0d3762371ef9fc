"""What the models share: the activation lookup, the size checks and the input and code
shape checks (private to :mod:`aekit.models`)."""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn
from torch.nn import functional as F

from aekit.checks import positive_int, positive_ints

__all__ = ["ACTIVATIONS", "lookup_activation", "dense_layers", "check_sizes", "check_layer_sizes", "check_input",
           "check_codes"]

ACTIVATIONS = {
    "relu": torch.relu,
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "elu": F.elu,
    "leaky_relu": F.leaky_relu,
    "linear": lambda x: x,
}


def lookup_activation(name: str | None, what: str):
    key = "linear" if name in (None, "none", "identity") else name
    if key not in ACTIVATIONS:
        raise ValueError(f"{what} must be one of {sorted(ACTIVATIONS)}, got {name!r}")
    return ACTIVATIONS[key]


def check_sizes(input_dim: int, code_dim: int, hidden_dims: Sequence[int] = ()) -> tuple[int, ...]:
    """Raise a clear ValueError unless the layer sizes are positive integers; the hidden sizes
    come back as a tuple."""
    positive_int(input_dim, "input_dim")
    positive_int(code_dim, "code_dim")
    return positive_ints(hidden_dims, "hidden_dims")


def check_layer_sizes(layer_sizes: Sequence[int]) -> tuple[int, ...]:
    """The hidden widths of a deep network, the code last, as a tuple of positive integers."""
    sizes = tuple(layer_sizes)
    if not sizes:
        raise ValueError("layer_sizes must list at least one layer width, e.g. (1000, 500, 250, 30)")
    return positive_ints(sizes, "layer_sizes")


def check_codes(Z: torch.Tensor, code_dim: int) -> None:
    """Raise a clear ValueError unless Z is a batch of codes ``(batch, code_dim)``."""
    if Z.dim() != 2 or Z.shape[1] != code_dim:
        raise ValueError(f"decode expects codes of shape (batch, {code_dim}), got {tuple(Z.shape)}")


def check_input(X: torch.Tensor, input_dim: int, who: str = "the model") -> None:
    """Raise a clear ValueError unless X is a batch of rows with ``input_dim`` features."""
    if not isinstance(X, torch.Tensor):
        raise TypeError(f"{who} expects a torch.Tensor, got {type(X).__name__}; "
                        f"convert with torch.as_tensor(X, dtype=torch.float32)")
    if X.dim() != 2 or X.shape[1] != input_dim:
        hint = ("flatten images first with X.reshape(len(X), -1)" if X.dim() > 2 and
                X[0].numel() == input_dim else f"build the model with input_dim={X.shape[-1]}")
        raise ValueError(f"{who} expects inputs of shape (batch, {input_dim}), got "
                         f"{tuple(X.shape)}; {hint}")


def dense_layers(sizes: Sequence[int]) -> nn.ModuleList:
    """``nn.Linear`` layers from each size to the next: ``(64, 32, 8)`` gives 64->32, 32->8."""
    return nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes, sizes[1:]))
