"""The fully connected autoencoder: encoder f, code, decoder g."""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn
from torch.nn import functional as F

from aekit.checks import positive_int
from aekit.device import dropout, seeded
from aekit.models._layers import (check_codes, check_input, check_layer_sizes, check_sizes,
                                   dense_layers, lookup_activation)

__all__ = ["Autoencoder", "linear_autoencoder", "deep_autoencoder"]


class Autoencoder(nn.Module):
    """A fully connected autoencoder ``x -> f(x) = z -> g(z) = x_hat``.

    Parameters
    ----------
    input_dim : number of input values (64 for 8x8 digits, 784 for 28x28 images).
    code_dim : size of the code (the bottleneck); smaller than ``input_dim`` makes the
        autoencoder undercomplete, larger makes it overcomplete.
    hidden_dims : widths of the encoder's hidden layers, outermost first; the decoder mirrors
        them. ``()`` gives a shallow autoencoder with the code as its only hidden layer.
    activation : non-linearity of the hidden layers ("relu", "sigmoid", "tanh", "elu",
        "leaky_relu" or "linear"; all "linear" with ``output_activation="linear"`` gives the
        linear autoencoder that lesson 02 relates to PCA).
    output_activation : non-linearity of the reconstruction; "sigmoid" keeps it in (0, 1).
    code_activation : non-linearity of the code units ("linear" by default; "sigmoid" where a
        penalty needs activations in (0, 1)).
    tied : decoder weights are the transposes of the encoder weights (half the parameters).
    dropout : probability of zeroing each hidden unit, the code included, while training.
    k_sparse : keep only the k largest code units of each example (Makhzani & Frey 2013);
        gradient flows only through the kept units. None switches it off.
    k_sparse_start : anneal k: :func:`aekit.fit` starts with this many kept units and lowers
        k linearly to ``k_sparse`` over the first half of training (through
        ``on_epoch_start``), so that no unit dies early. None keeps k fixed. The k in use is
        ``model.k_active``.

    Examples
    --------
    >>> model = Autoencoder(64, 8, hidden_dims=(32,))
    >>> model(torch.rand(5, 64)).shape
    torch.Size([5, 64])
    """

    def __init__(self, input_dim: int, code_dim: int, hidden_dims: Sequence[int] = (),
                 activation: str = "relu", output_activation: str | None = "sigmoid",
                 tied: bool = False, dropout: float = 0.0, code_activation: str | None = "linear",
                 k_sparse: int | None = None, k_sparse_start: int | None = None) -> None:
        super().__init__()
        hidden_dims = check_sizes(input_dim, code_dim, hidden_dims)
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout is a probability in [0, 1), got {dropout!r}")
        if k_sparse is not None and not 1 <= k_sparse <= code_dim:
            raise ValueError(f"k_sparse must be between 1 and code_dim={code_dim}, got {k_sparse!r}")
        if k_sparse_start is not None:
            if k_sparse is None:
                raise ValueError("k_sparse_start anneals k down to k_sparse: set k_sparse too, "
                                 f"e.g. Autoencoder(..., k_sparse=5, k_sparse_start={k_sparse_start})")
            if not isinstance(k_sparse_start, int) or not k_sparse <= k_sparse_start <= code_dim:
                raise ValueError(f"k_sparse_start must be an integer between k_sparse={k_sparse} "
                                 f"and code_dim={code_dim}, got {k_sparse_start!r}")
        self.input_dim, self.code_dim, self.hidden_dims = input_dim, code_dim, hidden_dims
        self.activation, self.output_activation = activation, output_activation
        self.code_activation, self.tied, self.dropout = code_activation, tied, dropout
        self.k_sparse, self.k_sparse_start = k_sparse, k_sparse_start
        self._k_annealed: int | None = None  # k during annealing; None: k_sparse
        self._act = lookup_activation(activation, "activation")
        self._out_act = lookup_activation(output_activation, "output_activation")
        self._code_act = lookup_activation(code_activation, "code_activation")

        sizes = (input_dim, *hidden_dims, code_dim)
        self.encoder = dense_layers(sizes)
        back = sizes[::-1]
        if tied:
            self.decoder = nn.ModuleList()
            self.decoder_biases = nn.ParameterList(nn.Parameter(torch.zeros(b)) for b in back[1:])
        else:
            self.decoder = dense_layers(back)

    # ------------------------------------------------------------------ encoder
    def hidden_activations(self, X: torch.Tensor) -> list[torch.Tensor]:
        """Activations of every encoder layer, the code last: ``[(batch, h1), ..., (batch, code_dim)]``."""
        check_input(X, self.input_dim, type(self).__name__)
        out, h = [], X
        last = len(self.encoder) - 1
        for i, layer in enumerate(self.encoder):
            h = layer(h)
            h = self._code_act(h) if i == last else self._act(h)
            if i == last and self.k_active is not None:
                h = self.keep_top_k(h, self.k_active)
            if self.dropout and self.training:
                h = dropout(h, self.dropout)
            out.append(h)
        return out

    @staticmethod
    def keep_top_k(Z: torch.Tensor, k: int) -> torch.Tensor:
        """Zero all but the k largest entries of each row; gradient reaches only the kept ones."""
        idx = Z.topk(k, dim=-1).indices  # (batch, k)
        mask = torch.zeros_like(Z).scatter(-1, idx, torch.ones_like(idx, dtype=Z.dtype))
        return Z * mask  # (batch, code_dim); d(Z * mask)/dZ is the mask itself

    @property
    def k_active(self) -> int | None:
        """The number of code units kept now: ``k_sparse``, or the annealed k during training."""
        return self._k_annealed if self._k_annealed is not None else self.k_sparse

    def on_epoch_start(self, epoch: int, epochs: int) -> None:
        """Annealing of k (called by :func:`aekit.fit`): from ``k_sparse_start`` at the first
        epoch down to ``k_sparse`` at the middle of training, linearly; no-op otherwise."""
        if self.k_sparse_start is None:
            return
        half = epochs / 2
        done = 1.0 if epochs <= 1 else min(1.0, epoch / half)
        k = round(self.k_sparse_start + done * (self.k_sparse - self.k_sparse_start))
        self._k_annealed = None if done >= 1.0 else k

    def encode(self, X: torch.Tensor) -> torch.Tensor:
        """Map inputs ``(batch, input_dim)`` to codes ``(batch, code_dim)``: z = f(x)."""
        return self.hidden_activations(X)[-1]

    # ------------------------------------------------------------------ decoder
    def decode(self, Z: torch.Tensor) -> torch.Tensor:
        """Map codes ``(batch, code_dim)`` to reconstructions ``(batch, input_dim)``: x_hat = g(z)."""
        check_codes(Z, self.code_dim)
        h = Z
        n = len(self.encoder)
        for i in range(n):
            if self.tied:
                h = F.linear(h, self.encoder[n - 1 - i].weight.t(), self.decoder_biases[i])
            else:
                h = self.decoder[i](h)
            if i < n - 1:
                h = self._act(h)
                if self.dropout and self.training:
                    h = dropout(h, self.dropout)
        return self._out_act(h)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        """Reconstruct X: ``g(f(X))``, shape ``(batch, input_dim)``."""
        return self.decode(self.encode(X))

    def extra_repr(self) -> str:
        sizes = "-".join(map(str, (self.input_dim, *self.hidden_dims, self.code_dim)))
        extra = [f"{sizes} (mirrored)", self.activation]
        if self.tied:
            extra.append("tied")
        if self.dropout:
            extra.append(f"dropout={self.dropout}")
        if self.k_sparse:
            extra.append(f"k_sparse={self.k_sparse}")
        if self.k_sparse_start:
            extra.append(f"k_sparse_start={self.k_sparse_start} (now {self.k_active})")
        return ", ".join(extra)


def linear_autoencoder(input_dim: int, code_dim: int) -> Autoencoder:
    """An autoencoder with no non-linearity at all: one linear encoder layer, one linear
    decoder layer (with biases, so it can learn the data mean). Lesson 02 relates it to PCA
    (:mod:`aekit.linear`)."""
    return Autoencoder(input_dim, code_dim, activation="linear", output_activation="linear")


def deep_autoencoder(input_dim: int, layer_sizes: Sequence[int], seed: int | None = None) -> Autoencoder:
    """The network :func:`aekit.pretraining.unroll` builds, from a random start (PyTorch's default init).

    Logistic hidden layers, a linear code, a logistic output, untied weights: the baseline of
    plain joint training without pretraining.
    """
    sizes = check_layer_sizes(layer_sizes)
    positive_int(input_dim, "input_dim")
    with seeded(seed):
        return Autoencoder(input_dim, sizes[-1], hidden_dims=sizes[:-1], activation="sigmoid",
                           output_activation="sigmoid", code_activation="linear")
