"""The sequence autoencoder: an LSTM reads a sequence into one code, another LSTM writes it back.

The encoder LSTM runs over the time steps; its last hidden state, mapped to ``code_dim``
numbers, is the code of the whole sequence. The decoder LSTM receives that code at every time
step (and starts from a state computed from it) and emits one reconstructed step at a time.
"""
from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from aekit.checks import positive_int
from aekit.models._layers import check_codes

__all__ = ["SequenceAutoencoder"]


class SequenceAutoencoder(nn.Module):
    """An LSTM autoencoder for sequences ``X`` of shape ``(batch, time, n_features)``.

    Parameters
    ----------
    n_features : values per time step (1 for a single signal such as a sine wave).
    hidden_size : size of the encoder's and decoder's LSTM state.
    code_dim : size of the code that summarises a whole sequence.
    output_activation : "sigmoid" (values in (0, 1), as :func:`aekit.data.sine_waves` gives)
        or "linear".
    reconstruction : the loss :func:`aekit.fit` minimises, per sequence (summed over time
        steps and features, averaged over the batch): "mse" (squared error) or "bce".

    Examples
    --------
    >>> model = SequenceAutoencoder(n_features=1, hidden_size=32, code_dim=4)
    >>> model(torch.rand(5, 50, 1)).shape
    torch.Size([5, 50, 1])
    """

    def __init__(self, n_features: int, hidden_size: int = 32, code_dim: int = 8,
                 output_activation: str = "sigmoid", reconstruction: str = "mse") -> None:
        super().__init__()
        for what, value in (("n_features", n_features), ("hidden_size", hidden_size),
                            ("code_dim", code_dim)):
            positive_int(value, what)
        if output_activation not in ("sigmoid", "linear"):
            raise ValueError(f"output_activation must be 'sigmoid' or 'linear', got {output_activation!r}")
        if reconstruction not in ("mse", "bce"):
            raise ValueError(f"reconstruction must be 'mse' or 'bce', got {reconstruction!r}")
        if reconstruction == "bce" and output_activation != "sigmoid":
            raise ValueError("reconstruction='bce' needs output_activation='sigmoid'")
        self.n_features, self.hidden_size, self.code_dim = n_features, hidden_size, code_dim
        self.output_activation, self.reconstruction = output_activation, reconstruction
        self.encoder = nn.LSTM(n_features, hidden_size, batch_first=True)
        self.to_code = nn.Linear(hidden_size, code_dim)
        self.to_state = nn.Linear(code_dim, 2 * hidden_size)  # initial (h, c) of the decoder
        self.decoder = nn.LSTM(code_dim, hidden_size, batch_first=True)
        self.to_output = nn.Linear(hidden_size, n_features)

    def _check(self, X: torch.Tensor) -> None:
        if not isinstance(X, torch.Tensor):
            raise TypeError(f"SequenceAutoencoder expects a torch.Tensor, got {type(X).__name__}")
        if X.dim() != 3 or X.shape[2] != self.n_features or X.shape[1] < 1:
            hint = (f"add a feature axis with X.unsqueeze(-1)" if X.dim() == 2 and self.n_features == 1
                    else f"build the model with n_features={X.shape[-1]}")
            raise ValueError(f"SequenceAutoencoder expects sequences of shape (batch, time, "
                             f"{self.n_features}), got {tuple(X.shape)}; {hint}")

    def encode(self, X: torch.Tensor) -> torch.Tensor:
        """One code per sequence: ``(batch, time, n_features) -> (batch, code_dim)``."""
        self._check(X)
        _, (h_last, _) = self.encoder(X)  # h_last: (1, batch, hidden_size)
        return self.to_code(h_last[0])

    def decode(self, Z: torch.Tensor, length: int) -> torch.Tensor:
        """Sequences ``(batch, length, n_features)`` from codes ``(batch, code_dim)``."""
        check_codes(Z, self.code_dim)
        positive_int(length, "length (time steps to generate)")
        h0, c0 = torch.tanh(self.to_state(Z)).chunk(2, dim=1)  # each (batch, hidden_size)
        steps = Z.unsqueeze(1).expand(-1, length, -1)  # the code at every step
        out, _ = self.decoder(steps, (h0.unsqueeze(0).contiguous(), c0.unsqueeze(0).contiguous()))
        out = self.to_output(out)  # (batch, length, n_features)
        return torch.sigmoid(out) if self.output_activation == "sigmoid" else out

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        """Reconstruct X, shape ``(batch, time, n_features)``."""
        return self.decode(self.encode(X), X.shape[1])

    def loss(self, X_in: torch.Tensor, X_target: torch.Tensor) -> dict[str, torch.Tensor]:
        """The per-sequence reconstruction loss that :func:`aekit.fit` minimises.

        A sequence decoder needs to know how many steps to write, so the model computes its
        own loss (``fit``'s ``loss`` argument is not used; choose it with ``reconstruction``).
        """
        X_hat = self.forward(X_in)
        n = len(X_target)
        if self.reconstruction == "bce":
            rec = F.binary_cross_entropy(X_hat, X_target, reduction="sum") / n
        else:
            rec = F.mse_loss(X_hat, X_target, reduction="sum") / n
        return {"loss": rec, "reconstruction": rec}

    def extra_repr(self) -> str:
        return (f"LSTM {self.n_features} -> {self.hidden_size} -> code {self.code_dim} -> "
                f"LSTM {self.hidden_size} -> {self.n_features}, {self.reconstruction}")
