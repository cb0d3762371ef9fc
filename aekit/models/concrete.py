"""The concrete autoencoder (Abid, Balin & Zou 2019): learn which k input features to keep.

The encoder is a *selector layer*: k concrete (Gumbel-softmax) distributions over the
``input_dim`` features. While training, each of the k code units is a random, soft mixture of
the inputs, ``z_j = sum_i w_ji x_i`` with ``w_j = softmax((logits_j + gumbel_noise) / T)``; as
the temperature T is annealed towards 0 each mixture becomes a single input feature. At test
time (``eval()``) the code is exactly k chosen features of x, and a decoder reconstructs all of
x from them: feature selection by backpropagation.
"""
from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import nn
from torch.nn import functional as F

from aekit.checks import positive_int, positive_ints
from aekit.device import rand_like
from aekit.models._layers import check_codes, check_input, dense_layers, lookup_activation

__all__ = ["ConcreteAutoencoder"]


class ConcreteAutoencoder(nn.Module):
    """Select k input features with a concrete selector layer and reconstruct x from them.

    Parameters
    ----------
    input_dim : number of input features (64 for 8x8 digits).
    k : how many input features to select (the code size).
    hidden_dims : widths of the decoder's hidden layers (``()``: one linear layer).
    start_temperature, end_temperature : the temperature T falls exponentially from the first
        to the second over the epochs of :func:`aekit.fit` (through ``on_epoch_start``).
    activation : non-linearity of the decoder's hidden layers.
    output_activation : of the reconstruction; "sigmoid" keeps it in (0, 1).

    Notes
    -----
    ``selected_features()`` takes each selector's most probable feature; where two selectors
    prefer the same feature, the more confident one keeps it and the other takes its best
    remaining feature, so the k indices are always distinct. The paper's convergence check is
    ``mean_max_probability()`` (about 0.998 when every selector has settled on one feature).

    Examples
    --------
    >>> model = ConcreteAutoencoder(64, k=8)
    >>> model.selected_features().shape
    torch.Size([8])
    """

    def __init__(self, input_dim: int, k: int, hidden_dims: Sequence[int] = (),
                 start_temperature: float = 10.0, end_temperature: float = 0.1,
                 activation: str = "relu", output_activation: str | None = "sigmoid") -> None:
        super().__init__()
        positive_int(input_dim, "input_dim")
        if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= input_dim:
            raise ValueError(f"k (features to select) must be between 1 and input_dim={input_dim}, "
                             f"got {k!r}")
        if not 0 < end_temperature <= start_temperature:
            raise ValueError(f"temperatures must satisfy 0 < end_temperature <= start_temperature, "
                             f"got start={start_temperature!r}, end={end_temperature!r}")
        hidden_dims = positive_ints(hidden_dims, "hidden_dims")
        self.input_dim, self.k, self.code_dim, self.hidden_dims = input_dim, k, k, hidden_dims
        self.start_temperature, self.end_temperature = float(start_temperature), float(end_temperature)
        self.temperature = self.start_temperature
        self._act = lookup_activation(activation, "activation")
        self._out_act = lookup_activation(output_activation, "output_activation")
        # one row of logits per selector: its (unnormalised) preference over the input features
        self.logits = nn.Parameter(torch.randn(k, input_dim) * math.sqrt(2.0 / (k + input_dim)))
        sizes = (k, *hidden_dims, input_dim)
        self.decoder = dense_layers(sizes)
        # The decoder's output layer starts at zero. Its weights then grow in the direction of
        # whatever each selector already mixes in, so the first pushes on the logits favour
        # features that explain the data. From a random start a selector can be pushed off a
        # useful feature by a weight of the wrong sign and settle on a useless one (measured on
        # a synthetic set: about 1 run in 4 missed a signal feature, against 1 in 20).
        nn.init.zeros_(self.decoder[-1].weight)

    # ------------------------------------------------------------------ schedule
    def temperature_at(self, epoch: int, epochs: int) -> float:
        """T = start * (end / start) ** (epoch / (epochs - 1)): start at the first epoch, end at the last."""
        frac = epoch / max(epochs - 1, 1)
        return self.start_temperature * (self.end_temperature / self.start_temperature) ** frac

    def on_epoch_start(self, epoch: int, epochs: int) -> None:
        """Called by :func:`aekit.fit` before each epoch: anneal the temperature."""
        self.temperature = self.temperature_at(epoch, epochs)

    # ------------------------------------------------------------------ selection
    def selection_probabilities(self) -> torch.Tensor:
        """Each selector's probabilities over the input features, ``softmax(logits)``: ``(k, input_dim)``."""
        return F.softmax(self.logits, dim=1)

    def mean_max_probability(self) -> float:
        """Mean over the k selectors of their largest selection probability (1 = settled)."""
        return float(self.selection_probabilities().detach().max(dim=1).values.mean())

    @torch.no_grad()
    def selected_features(self) -> torch.Tensor:
        """The k distinct input indices chosen by the selectors, in selector order: ``(k,)``."""
        probs = self.selection_probabilities().detach().cpu().clone()  # (k, input_dim)
        chosen = torch.full((self.k,), -1, dtype=torch.long)
        for _ in range(self.k):
            best = probs.max(dim=1)  # most confident remaining (selector, feature) pair
            j = int(best.values.argmax())
            i = int(best.indices[j])
            chosen[j] = i
            probs[j, :] = -1.0  # this selector is done
            probs[:, i] = -1.0  # and nobody else may take this feature
        return chosen.to(self.logits.device)

    def encode(self, X: torch.Tensor) -> torch.Tensor:
        """The code ``(batch, k)``: soft, noisy mixtures of the inputs while training, the k
        selected input features in ``eval()`` mode."""
        check_input(X, self.input_dim, "ConcreteAutoencoder")
        if not self.training:
            return X[:, self.selected_features()]
        uniform = rand_like(self.logits).clamp(1e-10, 1.0)
        gumbel = -torch.log(-torch.log(uniform))  # one draw per batch, as in the paper
        weights = F.softmax((self.logits + gumbel) / self.temperature, dim=1)  # (k, input_dim)
        return X @ weights.t()  # (batch, k)

    def decode(self, Z: torch.Tensor) -> torch.Tensor:
        """Reconstruct all ``input_dim`` features from the k selected ones."""
        check_codes(Z, self.k)
        h = Z
        for i, layer in enumerate(self.decoder):
            h = layer(h)
            h = self._act(h) if i < len(self.decoder) - 1 else self._out_act(h)
        return h

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        """Reconstruct X from its selected features, shape ``(batch, input_dim)``."""
        return self.decode(self.encode(X))

    def extra_repr(self) -> str:
        sizes = "-".join(map(str, (self.input_dim, self.k, *self.hidden_dims, self.input_dim)))
        return (f"{sizes}, temperature {self.start_temperature:g} -> {self.end_temperature:g} "
                f"(now {self.temperature:.3g})")
