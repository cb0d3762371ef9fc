"""Image quality and classical baselines for the image applications of autoencoders.

- :func:`psnr`: peak signal-to-noise ratio in decibels, the usual score of denoising,
  super-resolution and compression.
- :func:`downsample` / :func:`upsample`: low-resolution copies and classical upscaling, the
  input and the baseline of super-resolution.
- :func:`gaussian_blur`: a classical denoiser to compare a denoising autoencoder with.
- :func:`jpeg` / :func:`jpeg_curve`: JPEG (through Pillow) at a measured number of bits per
  pixel, the baseline of lossy compression.

Images are rows of pixel values in [0, 1], ``(n, height * width)``, as :mod:`aekit.data`
gives them, with the data set's ``image_shape``. This module uses torch, NumPy and Pillow.
"""
from __future__ import annotations

import io
import math
from typing import Sequence

import numpy as np
import torch
from torch.nn import functional as F

from aekit.checks import as_tensor
from aekit.plot import mosaic

__all__ = ["psnr", "per_image_psnr", "downsample", "upsample", "gaussian_blur", "jpeg",
           "jpeg_curve"]


def _rows(X, what: str = "X") -> torch.Tensor:
    """X as a float32 tensor of rows (on its device), with clear errors for empty input or NaN."""
    X = as_tensor(X, what).detach()
    if len(X) == 0:
        raise ValueError(f"{what} must hold at least one image as a row (n, pixels), got shape "
                         f"{tuple(X.shape)}")
    return X.reshape(len(X), -1)


def _shape(image_shape: Sequence[int], X: torch.Tensor, what: str = "X") -> tuple[int, int]:
    if len(image_shape) != 2 or min(image_shape) < 1:
        raise ValueError(f"image_shape must be (height, width), got {tuple(image_shape)!r}")
    h, w = int(image_shape[0]), int(image_shape[1])
    if X.shape[1] != h * w:
        raise ValueError(f"rows of {what} have {X.shape[1]} values, but image_shape {h}x{w} needs "
                         f"{h * w}; pass the data set's image_shape")
    return h, w


# --------------------------------------------------------------------------- quality
def per_image_psnr(X, X_hat, peak: float = 1.0) -> torch.Tensor:
    """PSNR of each image in decibels: ``10 log10(peak^2 / MSE)``, shape ``(n,)``.

    MSE is the mean over the image's pixels of the squared difference. Higher is better;
    +6 dB halves the root-mean-square error. An exact copy scores ``inf``.
    """
    X, X_hat = _rows(X, "X").cpu(), _rows(X_hat, "X_hat").cpu()
    if X.shape != X_hat.shape:
        raise ValueError(f"X and X_hat must have the same shape, got {tuple(X.shape)} and "
                         f"{tuple(X_hat.shape)}")
    if not peak > 0:
        raise ValueError(f"peak is the largest possible pixel value and must be > 0, got {peak!r}")
    mse = ((X - X_hat) ** 2).mean(1).double()
    return 10 * torch.log10(peak ** 2 / mse)


def psnr(X, X_hat, peak: float = 1.0) -> float:
    """Mean over the images of their PSNR in decibels (see :func:`per_image_psnr`).

    Examples
    --------
    >>> X = torch.full((2, 4), 0.5)
    >>> round(psnr(X, X + 0.1), 3)  # an error of 0.1 everywhere: 10 log10(1 / 0.01)
    20.0
    """
    return float(per_image_psnr(X, X_hat, peak).mean())


# --------------------------------------------------------------------------- resolution
def downsample(X, image_shape: Sequence[int], factor: int = 2) -> torch.Tensor:
    """Shrink each image by ``factor`` in both directions, averaging each block of
    ``factor x factor`` pixels: rows of ``(height // factor) * (width // factor)`` values.

    :func:`downsample`, :func:`upsample` and :func:`gaussian_blur` keep X on its device, so
    they can serve as the ``corruption`` of :func:`aekit.fit` (super-resolution is then
    denoising with a loss of detail as the noise)."""
    X = _rows(X)
    h, w = _shape(image_shape, X)
    if not isinstance(factor, int) or factor < 1 or h % factor or w % factor:
        raise ValueError(f"factor must be a positive integer that divides the image size "
                         f"{h}x{w}, got {factor!r}")
    small = F.avg_pool2d(X.reshape(len(X), 1, h, w), factor)  # (n, 1, h/f, w/f)
    return small.flatten(1)


def upsample(X_small, small_shape: Sequence[int], factor: int = 2,
             mode: str = "bicubic") -> torch.Tensor:
    """Enlarge each small image by ``factor``: classical upscaling, clipped to [0, 1].

    ``mode`` is "nearest" (repeat each pixel), "bilinear" or "bicubic" (smooth
    interpolation, the usual baseline of super-resolution). Returns rows of
    ``(height * factor) * (width * factor)`` values.
    """
    X_small = _rows(X_small, "X_small")
    h, w = _shape(small_shape, X_small, "X_small")
    if not isinstance(factor, int) or factor < 1:
        raise ValueError(f"factor must be a positive integer, got {factor!r}")
    if mode not in ("nearest", "bilinear", "bicubic"):
        raise ValueError(f"mode must be 'nearest', 'bilinear' or 'bicubic', got {mode!r}")
    options = {} if mode == "nearest" else {"align_corners": False}
    big = F.interpolate(X_small.reshape(len(X_small), 1, h, w), scale_factor=factor, mode=mode,
                        **options)
    return big.clamp(0, 1).flatten(1)


def gaussian_blur(X, image_shape: Sequence[int], sigma: float = 1.0) -> torch.Tensor:
    """Smooth each image with a Gaussian of standard deviation ``sigma`` pixels (a classical
    denoiser: it averages noise away, and the edges with it). Borders repeat the edge pixels."""
    X = _rows(X)
    h, w = _shape(image_shape, X)
    if not (math.isfinite(sigma) and sigma > 0):
        raise ValueError(f"sigma must be a positive number of pixels, got {sigma!r}")
    radius = max(1, int(math.ceil(3 * sigma)))
    t = torch.arange(-radius, radius + 1, dtype=torch.float32, device=X.device)
    kernel = torch.exp(-0.5 * (t / sigma) ** 2)
    kernel = kernel / kernel.sum()  # (2 radius + 1,)
    images = X.reshape(len(X), 1, h, w)
    images = F.pad(images, (radius, radius, 0, 0), mode="replicate")
    images = F.conv2d(images, kernel.reshape(1, 1, 1, -1))  # along rows
    images = F.pad(images, (0, 0, radius, radius), mode="replicate")
    images = F.conv2d(images, kernel.reshape(1, 1, -1, 1))  # along columns
    return images.flatten(1)


# --------------------------------------------------------------------------- JPEG
def _jpeg_bytes(image: np.ndarray, quality: int) -> tuple[bytes, np.ndarray]:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="JPEG", quality=quality, optimize=True)
    data = buffer.getvalue()
    decoded = np.asarray(Image.open(io.BytesIO(data)).convert("L"))
    return data, decoded


def jpeg(X, image_shape: Sequence[int], quality: int = 50,
         together: bool = True) -> tuple[torch.Tensor, float]:
    """Compress images with JPEG and decode them again.

    Parameters
    ----------
    X : images as rows in [0, 1] (rounded to 8-bit grey levels, as JPEG stores them).
    image_shape : (height, width) of one image.
    quality : JPEG quality from 1 (smallest files) to 95 (best pictures), Pillow's scale.
    together : True tiles all images into one picture and compresses it once, so the file
        header (a few hundred bytes of tables) is shared, as a learned decoder is shared by
        all the images it decodes; False compresses each image as its own file and counts
        every header.

    Returns
    -------
    (X_hat, bits_per_pixel)
        The decoded images as rows in [0, 1], and the size of the compressed file(s) in bits
        divided by the number of pixels of the images.
    """
    X = _rows(X).cpu()
    h, w = _shape(image_shape, X)
    if not isinstance(quality, (int, np.integer)) or not 1 <= quality <= 95:
        raise ValueError(f"quality must be an integer from 1 to 95, got {quality!r}")
    images = np.round(X.clamp(0, 1).numpy() * 255).astype(np.uint8).reshape(len(X), h, w)
    if together:
        ncols = max(1, int(math.ceil(math.sqrt(len(images)))))
        data, decoded = _jpeg_bytes(mosaic(images, ncols, gap=0, fill=0), int(quality))
        rows = [decoded[(i // ncols) * h:(i // ncols + 1) * h, (i % ncols) * w:(i % ncols + 1) * w]
                for i in range(len(images))]
        n_bytes = len(data)
    else:
        rows, n_bytes = [], 0
        for image in images:
            data, decoded = _jpeg_bytes(image, int(quality))
            rows.append(decoded)
            n_bytes += len(data)
    X_hat = torch.as_tensor(np.stack(rows).reshape(len(X), h * w), dtype=torch.float32) / 255.0
    return X_hat, 8.0 * n_bytes / (len(X) * h * w)


def jpeg_curve(X, image_shape: Sequence[int],
               qualities: Sequence[int] = (1, 5, 10, 20, 30, 50, 70, 90),
               together: bool = True) -> list[dict[str, float]]:
    """JPEG's rate-distortion curve: for each quality, the bits per pixel, the PSNR (dB) and
    the squared error per image (summed over pixels) of the decoded images.

    Returns a list of ``{"quality", "bits_per_pixel", "psnr", "error"}``, one per quality,
    in the order given.
    """
    X = _rows(X)
    points = []
    for q in qualities:
        X_hat, bpp = jpeg(X, image_shape, q, together=together)
        points.append({"quality": float(q), "bits_per_pixel": bpp, "psnr": psnr(X, X_hat),
                       "error": float(((X_hat - X) ** 2).sum(1).mean())})
    return points
