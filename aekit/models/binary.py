"""The binary-code autoencoder of semantic hashing (Salakhutdinov & Hinton 2009): sigmoid
code units with noise before the sigmoid while training, so they learn to be nearly 0 or 1.
:mod:`aekit.applications.hashing` thresholds the codes and searches by Hamming distance."""
from __future__ import annotations

from typing import Sequence

import torch

from aekit.device import randn_like
from aekit.models.dense import Autoencoder

__all__ = ["BinaryCodeAutoencoder"]


class BinaryCodeAutoencoder(Autoencoder):
    """An autoencoder with sigmoid code units that learn to be nearly binary.

    While training, Gaussian noise of standard deviation ``noise`` is added to the input of
    each code unit, before its sigmoid; in ``eval()`` mode there is no noise, and
    :func:`aekit.applications.hashing.binary_codes` thresholds the code at 0.5.

    Parameters
    ----------
    input_dim : values per input (64 for 8x8 digits).
    bits : number of code units, the length of the binary code.
    hidden_dims, activation : the encoder's hidden layers (mirrored in the decoder).
    noise : standard deviation of the noise before the code sigmoid (0 switches it off).
    """

    def __init__(self, input_dim: int, bits: int, hidden_dims: Sequence[int] = (64,),
                 activation: str = "relu", noise: float = 4.0) -> None:
        super().__init__(input_dim, bits, hidden_dims=hidden_dims, activation=activation,
                         code_activation="linear")  # the logits; the sigmoid comes after the noise
        if not noise >= 0:
            raise ValueError(f"noise must be a standard deviation >= 0, got {noise!r}")
        self.noise = float(noise)
        # what the code really is, for whoever reads it (the contractive closed form, the
        # linear-model checks): a sigmoid of the logits
        self.code_activation = "sigmoid"

    @property
    def bits(self) -> int:
        return self.code_dim

    def hidden_activations(self, X: torch.Tensor) -> list[torch.Tensor]:
        acts = super().hidden_activations(X)
        logits = acts[-1]  # (batch, bits), before the code sigmoid
        if self.training and self.noise:
            logits = logits + self.noise * randn_like(logits)
        acts[-1] = torch.sigmoid(logits)
        return acts

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, sigmoid code with noise={self.noise:g}"
