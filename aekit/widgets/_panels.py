"""Small drawing helpers shared by the regularised-autoencoder explorers.

Images are laid out as one mosaic in a single Axes: far faster to draw than one Axes per
image, which keeps a new slider setting close to the training time alone.
"""
from __future__ import annotations

from typing import Sequence

import matplotlib
import numpy as np
import torch

from aekit.plot import mosaic


def image_rows(subfig, rows: Sequence[torch.Tensor], labels: Sequence[str],
               image_shape: Sequence[int], cmap: str = "gray_r"):
    """Draw each tensor of ``rows`` (``(n, pixels)``) as one labelled row of images, in one
    Axes (returned, for overlays). NaN pixels, like the gaps between images, draw white."""
    n = len(rows[0])
    h, w = image_shape
    images = np.concatenate([row.detach().cpu().numpy().reshape(n, h, w) for row in rows])
    ax = subfig.subplots()
    subfig.subplots_adjust(left=0.17, right=0.98)  # room for the row labels
    colours = matplotlib.colormaps[cmap].with_extremes(bad="white")
    ax.imshow(mosaic(images, n), cmap=colours, vmin=0, vmax=1, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([r * (h + 1) + (h - 1) / 2 for r in range(len(rows))], list(labels), fontsize=8)
    ax.tick_params(length=0)
    for side in ax.spines.values():
        side.set_visible(False)
    return ax


def filter_grid(subfig, weights: torch.Tensor, image_shape: Sequence[int], ncols: int = 8,
                title: str = "") -> None:
    """Show rows of ``weights`` (``(units, pixels)``) as images, each scaled to its own range
    (red positive, blue negative)."""
    W = weights.detach().cpu().numpy().astype(float)
    scale = np.abs(W).max(1, keepdims=True)
    W = W / np.where(scale > 0, scale, 1.0)
    ax = subfig.subplots()
    colours = matplotlib.colormaps["RdBu_r"].with_extremes(bad="white")
    ax.imshow(mosaic(W.reshape(len(W), *image_shape), ncols), cmap=colours, vmin=-1, vmax=1,
              interpolation="nearest")
    ax.set_axis_off()
    if title:
        ax.set_title(title, fontsize=9)
