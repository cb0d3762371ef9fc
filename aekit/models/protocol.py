"""What a model must provide to be trained by :func:`aekit.fit`, measured by
:mod:`aekit.evaluate` and regularised by :mod:`aekit.penalties`.

Every model of the course satisfies :class:`AutoencoderModel`; a student's own ``nn.Module``
does too as soon as it has these methods. Two methods are optional and are looked up by name:

- ``loss(X_in, X_target) -> dict``: a "loss" entry (a scalar, the mean over the batch) plus
  named parts, replacing the reconstruction loss in ``fit`` (the VAE's negative ELBO, the
  rate-distortion objective, the concrete autoencoder's temperature-annealed loss);
- ``on_epoch_start(epoch, epochs)``: called by ``fit`` before each epoch (schedules such as
  temperature or k annealing).
"""
from __future__ import annotations

from typing import Protocol, runtime_checkable

import torch

__all__ = ["AutoencoderModel", "OwnLoss", "EpochSchedule", "check_model"]


@runtime_checkable
class AutoencoderModel(Protocol):
    """``encode`` a batch ``(batch, ...)`` to codes ``(batch, code_dim)`` (a tensor, for every
    model), ``decode`` codes back, and ``forward`` = reconstruct (deterministic in ``eval()``)."""

    def encode(self, X: torch.Tensor) -> torch.Tensor: ...

    def decode(self, Z: torch.Tensor) -> torch.Tensor: ...

    def forward(self, X: torch.Tensor) -> torch.Tensor: ...

    def parameters(self, recurse: bool = True): ...


@runtime_checkable
class OwnLoss(Protocol):
    """A model that supplies its own training objective (see the module docstring)."""

    def loss(self, X_in: torch.Tensor, X_target: torch.Tensor) -> dict[str, torch.Tensor]: ...


@runtime_checkable
class EpochSchedule(Protocol):
    """A model with a schedule that ``fit`` advances once per epoch."""

    def on_epoch_start(self, epoch: int, epochs: int) -> None: ...


def check_model(model, who: str = "fit") -> None:
    """Raise a TypeError that says what is missing unless ``model`` is an AutoencoderModel."""
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"{who} trains a torch.nn.Module with encode and decode, got "
                        f"{type(model).__name__}")
    missing = [name for name in ("encode", "decode") if not callable(getattr(model, name, None))]
    if missing:
        raise TypeError(f"{who} needs a model with {' and '.join(missing)} (see "
                        f"aekit.models.AutoencoderModel); {type(model).__name__} has no "
                        f"{', '.join(missing)}")
