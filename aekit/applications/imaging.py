"""Image quality and classical baselines for the image applications of autoencoders.

- :func:`psnr`: peak signal-to-noise ratio in decibels, the usual score of denoising,
  super-resolution and compression.
- :func:`downsample` / :func:`upsample`: low-resolution copies and classical upscaling, the
  input and the baseline of super-resolution.
- :func:`gaussian_blur`: a classical denoiser to compare a denoising autoencoder with.
- :func:`jpeg` / :func:`jpeg_curve`: JPEG (through Pillow) at a measured number of bits per
  pixel, the baseline of lossy compression.
- :func:`fit_ridge`: a learned *linear* restorer (ridge least squares from damaged to clean
  images, in closed form), the baseline a nonlinear restoring network has to beat.

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
           "jpeg_curve", "fit_ridge", "LinearRestorer"]


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


# --------------------------------------------------------------------------- learned linear
class LinearRestorer:
    """A linear map from damaged images to restored ones, ``clip(X @ weight + bias, 0, 1)``,
    as :func:`fit_ridge` learns it. Call it on rows of damaged images (any device)."""

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor, alpha: float) -> None:
        self.weight, self.bias, self.alpha = weight, bias, float(alpha)

    def __call__(self, X) -> torch.Tensor:
        X = _rows(X)
        if X.shape[1] != self.weight.shape[0]:
            raise ValueError(f"rows of X have {X.shape[1]} values, but this restorer was fitted "
                             f"on rows of {self.weight.shape[0]}")
        W, b = self.weight.to(X.device), self.bias.to(X.device)
        return (X @ W + b).clamp(0, 1)

    def __repr__(self) -> str:
        return (f"LinearRestorer({self.weight.shape[0]} -> {self.weight.shape[1]} values, "
                f"alpha={self.alpha:g})")


class _Sums:
    """The sums ridge regression needs from some rows: count, sums and cross products."""

    def __init__(self, X: torch.Tensor, Y: torch.Tensor) -> None:
        # float32 products of (shifted) data, kept in float64 for the solve
        self.n, self.sx, self.sy = len(X), X.sum(0).double(), Y.sum(0).double()
        self.xx, self.xy = (X.T @ X).double(), (X.T @ Y).double()

    def __add__(self, other: "_Sums") -> "_Sums":
        total = object.__new__(_Sums)
        total.n, total.sx, total.sy = self.n + other.n, self.sx + other.sx, self.sy + other.sy
        total.xx, total.xy = self.xx + other.xx, self.xy + other.xy
        return total

    def solve(self, alpha: float) -> tuple[torch.Tensor, torch.Tensor]:
        # centred least squares in float64: (Xc'Xc + alpha I) W = Xc'Yc, bias from the means
        x_mean, y_mean = self.sx / self.n, self.sy / self.n
        gram = self.xx - self.n * torch.outer(x_mean, x_mean)
        gram = gram + alpha * torch.eye(len(gram), dtype=gram.dtype)
        W = torch.linalg.solve(gram, self.xy - self.n * torch.outer(x_mean, y_mean))
        return W, y_mean - x_mean @ W


def fit_ridge(X_damaged, X_clean, alphas: Sequence[float] = (0.1, 1.0, 10.0, 100.0, 1000.0),
              validation: float = 0.2) -> LinearRestorer:
    """Learn the best *linear* restorer: ridge regression from damaged to clean images.

    Each output pixel is a weighted sum of all input pixels plus a constant, with weights that
    minimise ``sum ||x_clean - (x_damaged W + b)||^2 + alpha ||W||^2`` over the training pairs,
    solved in closed form. It is the learned linear counterpart of a restoring autoencoder:
    trained on the same pairs, it can only undo damage a fixed linear filter can undo.

    Parameters
    ----------
    X_damaged, X_clean : training pairs as rows ``(n, pixels_in)`` and ``(n, pixels_out)``.
    alphas : ridge strengths tried. With more than one, each is fitted on the first
        ``1 - validation`` of the rows and scored (PSNR) on the rest; the best is refitted on
        all rows. No test images are involved.
    validation : the fraction of the rows held out to choose ``alpha``.

    Returns
    -------
    LinearRestorer
        Call it on damaged rows; ``.alpha`` is the strength chosen.

    Examples
    --------
    >>> clean = torch.rand(200, 4)
    >>> restore = fit_ridge(0.5 * clean, clean, alphas=(1e-6,))
    >>> bool(torch.allclose(restore(0.5 * clean), clean, atol=1e-4))
    True
    """
    X = _rows(X_damaged, "X_damaged").cpu().float()
    Y = _rows(X_clean, "X_clean").cpu().float()
    if len(X) != len(Y):
        raise ValueError(f"X_damaged and X_clean must hold the same images, got {len(X)} and "
                         f"{len(Y)} rows")
    # Shift both by their means (the fit has a constant, so the answer does not change), then
    # form the products in float32 (fast) and solve in float64 (accurate), on the CPU.
    x_shift, y_shift = X.mean(0), Y.mean(0)
    X, Y = X - x_shift, Y - y_shift
    alphas = [float(a) for a in alphas]
    if not alphas or not all(math.isfinite(a) and a >= 0 for a in alphas):
        raise ValueError(f"alphas must list ridge strengths >= 0, got {alphas!r}")
    def restorer(W: torch.Tensor, b: torch.Tensor, alpha: float) -> LinearRestorer:
        W = W.float()
        return LinearRestorer(W, b.float() + y_shift - x_shift @ W, alpha)

    if len(alphas) == 1:
        return restorer(*_Sums(X, Y).solve(alphas[0]), alphas[0])
    if not 0 < validation < 1:
        raise ValueError(f"validation is a fraction of the rows, between 0 and 1; got {validation!r}")
    n_fit = int(round(len(X) * (1 - validation)))
    if n_fit < 1 or n_fit >= len(X):
        raise ValueError(f"{len(X)} rows are too few to hold out a validation part")
    fit_part, held_out = _Sums(X[:n_fit], Y[:n_fit]), _Sums(X[n_fit:], Y[n_fit:])

    def held_out_psnr(a: float) -> float:
        W, b = fit_part.solve(a)
        W, b = W.float(), b.float()
        return psnr(Y[n_fit:] + y_shift, (X[n_fit:] @ W + b + y_shift).clamp(0, 1))

    alpha = max(alphas, key=held_out_psnr)
    return restorer(*(fit_part + held_out).solve(alpha), alpha)  # refitted on every row
