"""The fully connected autoencoder: encoder f, code, decoder g."""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn
from torch.nn import functional as F

from aekit.device import dropout

__all__ = ["Autoencoder", "ACTIVATIONS", "check_input", "check_sizes"]

ACTIVATIONS = {
    "relu": torch.relu,
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "elu": F.elu,
    "leaky_relu": F.leaky_relu,
    "linear": lambda x: x,
}


def _activation(name: str | None, what: str):
    key = "linear" if name in (None, "none", "identity") else name
    if key not in ACTIVATIONS:
        raise ValueError(f"{what} must be one of {sorted(ACTIVATIONS)}, got {name!r}")
    return ACTIVATIONS[key]


def check_sizes(input_dim: int, code_dim: int, hidden_dims: Sequence[int] = ()) -> tuple[int, ...]:
    """Raise a clear ValueError unless the layer sizes are positive integers; the hidden sizes
    come back as a tuple."""
    for what, value in (("input_dim", input_dim), ("code_dim", code_dim)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{what} must be a positive integer, got {value!r}")
    hidden_dims = tuple(hidden_dims)
    if any(not isinstance(h, int) or isinstance(h, bool) or h < 1 for h in hidden_dims):
        raise ValueError(f"hidden_dims must be positive integers, got {hidden_dims!r}")
    return hidden_dims


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
        self._act = _activation(activation, "activation")
        self._out_act = _activation(output_activation, "output_activation")
        self._code_act = _activation(code_activation, "code_activation")

        sizes = (input_dim, *hidden_dims, code_dim)
        self.encoder = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes, sizes[1:]))
        back = sizes[::-1]
        if tied:
            self.decoder = nn.ModuleList()
            self.decoder_biases = nn.ParameterList(nn.Parameter(torch.zeros(b)) for b in back[1:])
        else:
            self.decoder = nn.ModuleList(nn.Linear(a, b) for a, b in zip(back, back[1:]))

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
        if Z.dim() != 2 or Z.shape[1] != self.code_dim:
            raise ValueError(f"decode expects codes of shape (batch, {self.code_dim}), got {tuple(Z.shape)}")
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
