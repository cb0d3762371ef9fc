"""The convolutional autoencoder: convolution and pooling down, upsampling and convolution up.

A convolution looks at small neighbourhoods with the same weights everywhere in the image, so
the encoder needs far fewer parameters than a dense layer and keeps the picture's layout.
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn
from torch.nn import functional as F

from aekit.checks import positive_int, positive_ints
from aekit.models._layers import check_codes

__all__ = ["ConvAutoencoder"]


class ConvAutoencoder(nn.Module):
    """A convolutional autoencoder for small images (8x8 digits, 28x28 Fashion-MNIST, ...).

    Encoder: for each entry of ``channels`` a 3x3 convolution, ReLU and 2x2 max-pooling
    (halving height and width); then, if ``code_dim`` is given, a dense layer to a code of
    that size. Decoder: the mirror image, with nearest-neighbour upsampling back to each
    earlier size (odd sizes such as 7 are restored exactly) and a sigmoid output.

    Parameters
    ----------
    image_shape : (height, width) or (channels, height, width) of one image.
    channels : feature maps after each convolution, outermost first.
    code_dim : size of a dense code after the convolutions; None keeps the last feature maps
        as the code (``channels[-1] * h * w`` numbers).

    Inputs may be flattened rows ``(batch, C*H*W)`` (as :mod:`aekit.data` gives them),
    ``(batch, H, W)`` or ``(batch, C, H, W)``; ``forward`` returns the shape it was given and
    ``decode`` flattened rows, so train with :func:`aekit.fit` on flattened rows.

    Examples
    --------
    >>> model = ConvAutoencoder((8, 8), channels=(16, 32), code_dim=10)
    >>> model(torch.rand(5, 64)).shape
    torch.Size([5, 64])
    """

    def __init__(self, image_shape: Sequence[int], channels: Sequence[int] = (16, 32),
                 code_dim: int | None = None) -> None:
        super().__init__()
        image_shape = tuple(int(s) for s in image_shape)
        if len(image_shape) == 2:
            image_shape = (1, *image_shape)
        if len(image_shape) != 3 or min(image_shape) < 1:
            raise ValueError(f"image_shape must be (height, width) or (channels, height, width), "
                             f"got {image_shape!r}")
        channels = positive_ints(channels, "channels")
        if not channels:
            raise ValueError("channels must list one or more positive integers, e.g. (16, 32)")
        c_in, height, width = image_shape
        # spatial size after each pooling step; each must stay at least 1x1
        sizes = [(height, width)]
        for _ in channels:
            h, w = sizes[-1]
            sizes.append((h // 2, w // 2))
        if min(sizes[-1]) < 1:
            raise ValueError(f"{len(channels)} pooling steps shrink a {height}x{width} image below "
                             f"1x1; use at most {max(0, min(height, width).bit_length() - 1)} "
                             f"entries in channels")
        positive_int(code_dim, "code_dim", or_none=True)
        self.image_shape, self.channels, self.code_dim_arg = image_shape, channels, code_dim
        self.input_dim = c_in * height * width
        self._sizes = sizes
        self._feature_shape = (channels[-1], *sizes[-1])
        features = channels[-1] * sizes[-1][0] * sizes[-1][1]
        self.code_dim = code_dim if code_dim is not None else features

        ins = (c_in, *channels)
        self.enc_convs = nn.ModuleList(nn.Conv2d(a, b, 3, padding=1) for a, b in zip(ins, ins[1:]))
        self.to_code = nn.Linear(features, code_dim) if code_dim is not None else None
        self.from_code = nn.Linear(code_dim, features) if code_dim is not None else None
        outs = (*channels[::-1], c_in)
        self.dec_convs = nn.ModuleList(nn.Conv2d(a, b, 3, padding=1) for a, b in zip(outs, outs[1:]))

    # ------------------------------------------------------------------ shapes
    def _as_images(self, X: torch.Tensor) -> torch.Tensor:
        c, h, w = self.image_shape
        if not isinstance(X, torch.Tensor):
            raise TypeError(f"ConvAutoencoder expects a torch.Tensor, got {type(X).__name__}")
        if X.dim() == 2 and X.shape[1] == self.input_dim:
            return X.reshape(len(X), c, h, w)
        if X.dim() == 3 and c == 1 and tuple(X.shape[1:]) == (h, w):
            return X.unsqueeze(1)
        if X.dim() == 4 and tuple(X.shape[1:]) == self.image_shape:
            return X
        raise ValueError(f"ConvAutoencoder built for images {self.image_shape} expects inputs of "
                         f"shape (batch, {self.input_dim}) or (batch, {c}, {h}, {w}), got "
                         f"{tuple(X.shape)}; build it with the data set's image_shape")

    # ------------------------------------------------------------------ encoder / decoder
    def encode(self, X: torch.Tensor) -> torch.Tensor:
        """Codes ``(batch, code_dim)``: the dense code, or the last feature maps flattened."""
        h = self._as_images(X)  # (batch, C, H, W)
        for conv in self.enc_convs:
            h = F.max_pool2d(F.relu(conv(h)), 2)
        h = h.flatten(1)  # (batch, channels[-1] * h * w)
        return self.to_code(h) if self.to_code is not None else h

    def decode_images(self, Z: torch.Tensor) -> torch.Tensor:
        """Images ``(batch, C, H, W)`` with values in (0, 1) from codes ``(batch, code_dim)``."""
        check_codes(Z, self.code_dim)
        h = F.relu(self.from_code(Z)) if self.from_code is not None else Z
        h = h.reshape(len(Z), *self._feature_shape)
        targets = self._sizes[-2::-1]  # the sizes before each pooling, innermost first
        for i, (conv, size) in enumerate(zip(self.dec_convs, targets)):
            h = conv(F.interpolate(h, size=size, mode="nearest"))
            h = F.relu(h) if i < len(self.dec_convs) - 1 else torch.sigmoid(h)
        return h

    def decode(self, Z: torch.Tensor) -> torch.Tensor:
        """Reconstructions as flattened rows ``(batch, C*H*W)``, like every aekit decoder
        (so :func:`aekit.fit` compares them with flattened inputs)."""
        return self.decode_images(Z).flatten(1)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        """Reconstruct X, returned in the shape X was given in."""
        return self.decode_images(self.encode(X)).reshape(X.shape)

    def extra_repr(self) -> str:
        shape = "x".join(map(str, self.image_shape))
        code = f"code {self.code_dim}" + ("" if self.code_dim_arg else " (feature maps)")
        return f"image {shape}, channels {self.channels}, {code}"
