"""Synthetic "phantoms" for medical imaging: bodies of ellipses with organs and lesions.

A phantom is a simulated scan whose true content is known, the usual test object of medical
image reconstruction since Shepp and Logan's (1974) head phantom made of ellipses. Ours are
small 2-D slices: a body (an ellipse of low intensity) with two organs of higher intensity at
about the same places in every phantom, as anatomy is, and optionally round **lesions** at
random places inside the body, brighter than their surroundings (``contrast > 0``) or darker
(``contrast < 0``). Pixel values are in [0, 1]; edges are anti-aliased by averaging
``supersample x supersample`` points per pixel.

:func:`phantoms` also returns each phantom's **healthy twin** (the same body and organs
without the lesions) and a mask of the lesion pixels, so that what a method does to a lesion
can be measured by comparing its outputs on the two (:func:`lesion_contrast_kept`).

This module uses NumPy and torch only; draws come from the ``seed`` given, never from the
session's generators.

>>> P = phantoms(4, size=16, seed=0)
>>> P.images.shape, P.healthy.shape, P.lesion_mask.shape
(torch.Size([4, 256]), torch.Size([4, 256]), torch.Size([4, 256]))
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import torch

from aekit.checks import as_tensor

__all__ = ["Phantoms", "phantoms", "lesion_contrast_kept"]


@dataclass
class Phantoms:
    """A batch of phantoms as float32 rows ``(n, size * size)`` in [0, 1].

    ``images`` hold the lesions, ``healthy`` the same phantoms without them, and
    ``lesion_mask`` (bool) marks the pixels at least half covered by a lesion.
    ``image_shape`` is ``(size, size)``.
    """

    images: torch.Tensor
    healthy: torch.Tensor
    lesion_mask: torch.Tensor
    image_shape: tuple[int, int]


def _coverage(size: int, supersample: int, cx, cy, a, b, angle) -> np.ndarray:
    """Fraction of each pixel inside each ellipse: ``(n, size, size)`` float32.

    cx, cy: centres in pixels (0 is the top-left corner); a, b: semi-axes in pixels; angle:
    rotation in radians; each an array of n values."""
    grid = ((np.arange(size * supersample) + 0.5) / supersample).astype(np.float32)
    y, x = grid[None, :, None], grid[None, None, :]
    cx, cy, a, b, angle = (np.asarray(v, np.float32)[:, None, None] for v in (cx, cy, a, b, angle))
    cos, sin = np.cos(angle), np.sin(angle)
    u = ((x - cx) * cos + (y - cy) * sin) / a
    w = (-(x - cx) * sin + (y - cy) * cos) / b
    inside = (u * u + w * w <= 1).astype(np.float32)
    n = inside.shape[0]
    return inside.reshape(n, size, supersample, size, supersample).mean(axis=(2, 4))


def phantoms(n: int, size: int = 16, lesions: Sequence[int] = (0, 2),
             lesion_radius: Sequence[float] = (1.0, 1.7), contrast: float = 0.35,
             seed: int = 0, supersample: int = 3) -> Phantoms:
    """Draw ``n`` phantoms with their healthy twins.

    Parameters
    ----------
    n : number of phantoms.
    size : height and width in pixels (at least 8).
    lesions : (fewest, most) lesions per phantom; the count is uniform between them.
        ``(1, 1)`` gives exactly one, ``(0, 0)`` none.
    lesion_radius : (smallest, largest) lesion radius in pixels, drawn uniformly.
    contrast : what a lesion adds to the intensity under it: positive for a bright ("hot")
        lesion, negative for a dark ("cold") one; between -1 and 1, not 0.
    seed : the phantoms drawn (NumPy's generator seeded with it).
    supersample : points per pixel along each axis for anti-aliased edges.

    Returns
    -------
    Phantoms
        Images, healthy twins and lesion masks, CPU tensors.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive integer (how many phantoms), got {n!r}")
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 8:
        raise ValueError(f"size must be an integer of at least 8 pixels, got {size!r}")
    if (len(lesions) != 2 or any(isinstance(k, bool) or not isinstance(k, (int, np.integer))
                                 for k in lesions) or not 0 <= lesions[0] <= lesions[1]):
        raise ValueError(f"lesions must be (fewest, most) with 0 <= fewest <= most, got {lesions!r}")
    if len(lesion_radius) != 2 or not 0 < lesion_radius[0] <= lesion_radius[1] <= size / 4:
        raise ValueError(f"lesion_radius must be (smallest, largest) in pixels with "
                         f"0 < smallest <= largest <= size / 4 = {size / 4:g}, got {lesion_radius!r}")
    if not (np.isfinite(contrast) and -1 <= contrast <= 1 and contrast != 0):
        raise ValueError(f"contrast must be between -1 and 1 and not 0 (positive: bright "
                         f"lesions, negative: dark ones), got {contrast!r}")
    if isinstance(supersample, bool) or not isinstance(supersample, (int, np.integer)) or supersample < 1:
        raise ValueError(f"supersample must be a positive integer, got {supersample!r}")
    rng = np.random.default_rng(seed)
    S = float(size)

    def jitter(scale: float) -> np.ndarray:  # (n,) uniform in [-scale, scale]
        return rng.uniform(-scale, scale, n)

    # the body: one ellipse, a little different in every phantom
    cx, cy = S / 2 + jitter(0.03 * S), S / 2 + jitter(0.03 * S)
    A, B = 0.42 * S * (1 + jitter(0.05)), 0.34 * S * (1 + jitter(0.05))
    image = (0.25 * (1 + jitter(0.1)))[:, None, None] * _coverage(size, supersample, cx, cy, A, B,
                                                                   jitter(0.1))
    # two organs, left and right, at about the same place in every body
    for side in (-1, 1):
        organ = _coverage(size, supersample, cx + side * 0.45 * A + jitter(0.04 * S),
                          cy + jitter(0.04 * S), 0.2 * S * (1 + jitter(0.1)),
                          0.13 * S * (1 + jitter(0.1)), side * 0.5 + jitter(0.2))
        level = (0.55 * (1 + jitter(0.1)))[:, None, None]
        image = image * (1 - organ) + level * organ
    healthy = image.copy()
    # lesions: round, anywhere well inside the body
    count = rng.integers(lesions[0], lesions[1] + 1, n)
    mask = np.zeros(image.shape, dtype=bool)
    for slot in range(lesions[1]):
        angle, reach = rng.uniform(0, 2 * np.pi, n), 0.75 * np.sqrt(rng.uniform(0, 1, n))
        radius = rng.uniform(lesion_radius[0], lesion_radius[1], n)
        lesion = _coverage(size, supersample, cx + reach * A * np.cos(angle),
                           cy + reach * B * np.sin(angle), radius, radius, np.zeros(n))
        lesion *= (slot < count)[:, None, None]
        image = image + contrast * lesion
        mask |= lesion >= 0.5
    image = np.clip(image, 0.0, 1.0)

    def rows(a: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(a.reshape(n, -1), dtype=torch.float32)

    return Phantoms(rows(image), rows(healthy), torch.as_tensor(mask.reshape(n, -1)),
                    (int(size), int(size)))


def lesion_contrast_kept(method: Callable[[torch.Tensor], torch.Tensor], P: Phantoms) -> float:
    """How much of the lesions' contrast an image method keeps: 1 all of it, 0 none.

    ``method`` maps true images to restored ones (e.g. shrink, then enlarge with bicubic
    interpolation or a super-resolution network), rows to rows. It is run on the phantoms and
    on their healthy twins; the difference of the two outputs is what the method shows of the
    lesions. The score is the mean of that difference over the lesion pixels, divided by the
    mean of the true difference there. A linear method such as bicubic interpolation keeps
    the same fraction of a bright and a dark lesion of the same size; a learned one need not.
    A method that sharpens a lesion may score above 1.
    """
    if not isinstance(P, Phantoms):
        raise TypeError(f"P must be Phantoms (from aekit.applications.phantoms.phantoms), got {type(P).__name__}")
    mask = P.lesion_mask.cpu().float()
    if mask.sum() == 0:
        raise ValueError("these phantoms have no lesion pixels: draw them with lesions=(1, 1)")
    shown = as_tensor(method(P.images)).cpu() - as_tensor(method(P.healthy)).cpu()
    if shown.shape != P.images.shape:
        raise ValueError(f"method must return images shaped like its input {tuple(P.images.shape)}, "
                         f"got {tuple(shown.shape)}")
    true = P.images - P.healthy
    return float((shown * mask).sum() / (true * mask).sum())
