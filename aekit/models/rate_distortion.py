"""The rate-distortion autoencoder: the minimum-description-length idea made trainable.

To send an image, send its code. The code is rounded to integers, so it can be written down
exactly, and a learned prior P over integer codes says how many bits each code costs with an
entropy coder (arithmetic coding gets within a few bits of ``-log2 P(code)``). The receiver
decodes the rounded code. Training minimises

    bits + lam * distortion

(description length of the code plus weighted reconstruction error), so ``lam`` chooses a
point on the rate-distortion curve: a larger ``lam`` buys a sharper reconstruction with more
bits. Rounding has no useful gradient, so training adds uniform noise in [-0.5, 0.5] instead
(Balle, Laparra & Simoncelli 2017); the bits of a noisy code are measured with the prior's
probability of the unit-wide interval around it, which is exactly the probability of the
rounded code when the code is an integer.
"""
from __future__ import annotations

import lzma
import math
import struct
from typing import Sequence

import torch
from torch import nn
from torch.nn import functional as F

from aekit.checks import positive_int
from aekit.device import rand_like
from aekit.models._layers import (check_codes, check_input, check_sizes, dense_layers,
                                   lookup_activation)

__all__ = ["RateDistortionAutoencoder", "LogisticMixturePrior"]


class LogisticMixturePrior(nn.Module):
    """A learned, factorised prior over codes: each code unit has its own mixture of
    ``components`` logistic distributions (weights, locations and scales are learned).

    ``bits(Z)`` gives ``-log2 P(Z_j in [z - 1/2, z + 1/2])`` summed over the code units: the
    cost of the integer code z, or of a noisy code in training.
    """

    def __init__(self, code_dim: int, components: int = 3) -> None:
        super().__init__()
        positive_int(components, "components")
        self.code_dim, self.components = code_dim, components
        spread = torch.linspace(-2.0, 2.0, components) if components > 1 else torch.zeros(1)
        self.loc = nn.Parameter(spread.repeat(code_dim, 1))  # (code_dim, components)
        # narrow components to start with: a unit the data does not need can then cost close
        # to 0 bits quickly (from scale 1 the prior took far longer to sharpen, and an unused
        # unit went on costing about half a bit)
        self.log_scale = nn.Parameter(torch.full((code_dim, components), -2.0))
        self.weight_logits = nn.Parameter(torch.zeros(code_dim, components))

    def interval_probability(self, Z: torch.Tensor) -> torch.Tensor:
        """P(z - 1/2 < Z <= z + 1/2) for each entry of Z ``(batch, code_dim)``."""
        z = Z.unsqueeze(-1)  # (batch, code_dim, 1)
        scale = self.log_scale.exp()
        upper = torch.sigmoid((z + 0.5 - self.loc) / scale)  # logistic CDF
        lower = torch.sigmoid((z - 0.5 - self.loc) / scale)
        weights = F.softmax(self.weight_logits, dim=-1)
        return ((upper - lower) * weights).sum(-1)  # (batch, code_dim)

    def bits(self, Z: torch.Tensor) -> torch.Tensor:
        """Code length of each row in bits, ``(batch,)``."""
        p = self.interval_probability(Z).clamp_min(1e-9)  # a floor: at most ~30 bits a unit
        return -(torch.log2(p)).sum(dim=1)


class RateDistortionAutoencoder(nn.Module):
    """An autoencoder whose quantised code has a length in bits, trained on bits + lam * error.

    Parameters
    ----------
    input_dim : number of input values (64 for 8x8 digits).
    code_dim : number of integer code units.
    hidden_dims : widths of the encoder's hidden layers, outermost first; the decoder mirrors them.
    lam : weight of the distortion (the squared error per image, summed over pixels) against
        the bits. Larger: better reconstructions, more bits.
    components : logistic components per code unit in the learned prior.
    activation : non-linearity of the hidden layers.

    The code is rounded in ``eval()`` mode (what would be transmitted) and perturbed by uniform
    noise in training mode; ``forward`` decodes it, so in ``eval()`` mode it returns the
    reconstruction from the rounded code.

    Examples
    --------
    >>> model = RateDistortionAutoencoder(64, 8, hidden_dims=(64,), lam=10.0)
    >>> model.eval()(torch.rand(5, 64)).shape
    torch.Size([5, 64])
    """

    def __init__(self, input_dim: int, code_dim: int, hidden_dims: Sequence[int] = (64,),
                 lam: float = 10.0, components: int = 3, activation: str = "relu") -> None:
        super().__init__()
        hidden_dims = check_sizes(input_dim, code_dim, hidden_dims)
        if not (isinstance(lam, (int, float)) and math.isfinite(lam) and lam > 0):
            raise ValueError(f"lam weights the distortion against the bits and must be > 0, got {lam!r}")
        self.input_dim, self.code_dim, self.hidden_dims = input_dim, code_dim, hidden_dims
        self.lam, self.activation = float(lam), activation
        self._act = lookup_activation(activation, "activation")
        sizes = (input_dim, *hidden_dims, code_dim)
        self.encoder = dense_layers(sizes)
        back = sizes[::-1]
        self.decoder = dense_layers(back)
        self.prior = LogisticMixturePrior(code_dim, components)

    # ------------------------------------------------------------------ encoder / decoder
    def encode(self, X: torch.Tensor) -> torch.Tensor:
        """The continuous code before quantisation, ``(batch, code_dim)``."""
        check_input(X, self.input_dim, "RateDistortionAutoencoder")
        h = X
        for i, layer in enumerate(self.encoder):
            h = layer(h)
            if i < len(self.encoder) - 1:
                h = self._act(h)
        return h

    def quantize(self, Z: torch.Tensor) -> torch.Tensor:
        """Round the code (``eval()``), or add uniform noise in [-1/2, 1/2) (training)."""
        if self.training:
            return Z + rand_like(Z) - 0.5
        return torch.round(Z)

    def decode(self, Z: torch.Tensor) -> torch.Tensor:
        """Reconstructions ``(batch, input_dim)`` in (0, 1) from (quantised) codes."""
        check_codes(Z, self.code_dim)
        h = Z
        for i, layer in enumerate(self.decoder):
            h = layer(h)
            h = self._act(h) if i < len(self.decoder) - 1 else torch.sigmoid(h)
        return h

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        """Reconstruct X from its quantised code (rounded in ``eval()`` mode)."""
        return self.decode(self.quantize(self.encode(X)))

    # ------------------------------------------------------------------ loss and rate
    def loss(self, X_in: torch.Tensor, X_target: torch.Tensor) -> dict[str, torch.Tensor]:
        """``bits + lam * distortion`` per image, with both parts (used by :func:`aekit.fit`)."""
        Z = self.quantize(self.encode(X_in))  # (batch, code_dim)
        bits = self.prior.bits(Z).mean()
        distortion = F.mse_loss(self.decode(Z), X_target, reduction="sum") / len(X_target)
        return {"loss": bits + self.lam * distortion, "bits": bits, "distortion": distortion}

    @torch.no_grad()
    def bits_per_image(self, X: torch.Tensor) -> float:
        """Mean code length in bits of the rounded codes of X (what an entropy coder using
        the learned prior would need, to within a few bits)."""
        was_training = self.training
        self.eval()
        X = X.to(self.prior.loc.device)
        bits = self.prior.bits(self.quantize(self.encode(X)))
        self.train(was_training)
        return float(bits.mean())

    # ------------------------------------------------------------------ a real file
    @torch.no_grad()
    def compress(self, X: torch.Tensor) -> bytes:
        """The rounded codes of X written as one real file, every byte of it counted.

        Layout: a 5-byte header (the number of images as a 4-byte integer, and 1 or 2: the
        bytes per code value), then the integer codes unit by unit (all images' first unit,
        then all second units, ...), compressed with LZMA in the xz container (which adds its
        own header and checksum). LZMA is a general-purpose entropy coder and knows nothing of
        the learned prior, so the file is somewhat longer than :meth:`bits_per_image` promises;
        :meth:`decompress` reads it back.
        """
        was_training = self.training
        self.eval()
        Z = self.quantize(self.encode(X.to(self.prior.loc.device))).cpu().to(torch.int64)
        self.train(was_training)
        width = 1 if (Z.numel() == 0 or (Z.min() >= -128 and Z.max() <= 127)) else 2
        if width == 2 and (Z.min() < -32768 or Z.max() > 32767):
            raise ValueError("codes outside the 16-bit range cannot be written")
        body = Z.T.contiguous().numpy().astype("<i1" if width == 1 else "<i2").tobytes()
        header = struct.pack("<IB", len(Z), width)
        return lzma.compress(header + body, format=lzma.FORMAT_XZ, preset=9 | lzma.PRESET_EXTREME)

    @torch.no_grad()
    def decompress(self, data: bytes) -> torch.Tensor:
        """Decode a file written by :meth:`compress`: the reconstructions ``(n, input_dim)``."""
        import numpy as np

        raw = lzma.decompress(data, format=lzma.FORMAT_XZ)
        n, width = struct.unpack("<IB", raw[:5])
        codes = np.frombuffer(raw[5:], dtype="<i1" if width == 1 else "<i2")
        if codes.size != n * self.code_dim:
            raise ValueError(f"the file holds {codes.size} code values, not {n} images of "
                             f"{self.code_dim}")
        Z = torch.as_tensor(codes.astype("float32").reshape(self.code_dim, n).T.copy())
        was_training = self.training
        self.eval()
        X_hat = self.decode(Z.to(self.prior.loc.device))
        self.train(was_training)
        return X_hat

    def extra_repr(self) -> str:
        sizes = "-".join(map(str, (self.input_dim, *self.hidden_dims, self.code_dim)))
        return f"{sizes} (mirrored), integer code, lam={self.lam:g}"
