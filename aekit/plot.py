"""Figures for the lessons. Every function returns a matplotlib Figure (not pyplot state),
so notebooks show it once, tests can inspect it, and nothing piles up in memory.

Colours are chosen to stay distinguishable with the common colour-vision deficiencies:
importing this module makes Okabe and Ito's eight colours (``OKABE_ITO``, by name in
``PALETTE``) matplotlib's colour cycle, so every line and bar a lesson draws without naming a
colour uses them, and points coloured by class (up to ten) use ten colours of different hues, Paul Tol's nine
"muted" colours and Okabe and Ito's orange (``CLASS_COLOURS``): matplotlib's
``tableau-colorblind10`` has four greys, which small dots do not keep apart.
"""
from __future__ import annotations

import io
from typing import Sequence

import matplotlib
import numpy as np
import torch
from cycler import cycler
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure

__all__ = ["mosaic", "image_grid", "reconstructions", "loss_curves", "latent_scatter",
           "error_curve", "to_png", "PALETTE", "OKABE_ITO", "CLASS_COLOURS"]

def mosaic(images, ncols: int, gap: int = 1, fill: float = float("nan")) -> np.ndarray:
    """Tile ``(n, h, w)`` images on a grid, ``ncols`` to a row, ``gap`` pixels of ``fill``
    between them (NaN draws as the colour map's "bad" colour) and in unused cells. One Axes
    showing a mosaic draws far faster than one Axes per image."""
    images = np.asarray(images)
    n, h, w = images.shape
    nrows = max(1, -(-n // ncols))
    # integer images keep their dtype when the fill is a whole number (JPEG tiles uint8)
    whole = np.isfinite(fill) and float(fill).is_integer()
    dtype = images.dtype if images.dtype.kind == "f" or whole else np.float64
    out = np.full((nrows * (h + gap) - gap, ncols * (w + gap) - gap), fill, dtype=dtype)
    for i, image in enumerate(images):
        r, c = divmod(i, ncols)
        out[r * (h + gap):r * (h + gap) + h, c * (w + gap):c * (w + gap) + w] = image
    return out


# Okabe & Ito (2008), "Color Universal Design", in the order lines take them: blue and orange
# first (the pair every deficiency tells apart), black last.
PALETTE = {"blue": "#0072B2", "orange": "#E69F00", "bluish green": "#009E73",
           "vermillion": "#D55E00", "sky blue": "#56B4E9", "reddish purple": "#CC79A7",
           "yellow": "#F0E442", "black": "#000000"}
OKABE_ITO = list(PALETTE.values())
# ten hues for ten classes: Paul Tol's "muted" scheme (its pale grey, meant for missing data,
# replaced by Okabe & Ito's orange), apart under the common colour-vision deficiencies too
CLASS_COLOURS = ListedColormap(["#CC6677", "#332288", "#DDCC77", "#117733", "#88CCEE", "#882255",
                                "#44AA99", "#999933", "#AA4499", "#E69F00"], name="aekit_classes")
if CLASS_COLOURS.name not in matplotlib.colormaps:  # so explorers can say cmap="aekit_classes"
    matplotlib.colormaps.register(CLASS_COLOURS)
matplotlib.rcParams["axes.prop_cycle"] = cycler(color=OKABE_ITO)


def _np(X) -> np.ndarray:
    if isinstance(X, torch.Tensor):
        return X.detach().cpu().numpy()
    return np.asarray(X)


def _images(X, image_shape: Sequence[int]) -> np.ndarray:
    X = _np(X)
    try:
        return X.reshape(len(X), *image_shape)
    except ValueError as err:
        raise ValueError(f"cannot show rows of {X[0].size} values as {tuple(image_shape)} images; "
                         f"pass the data set's image_shape") from err


def image_grid(X, image_shape: Sequence[int] = (8, 8), ncols: int = 10,
               titles: Sequence[str] | None = None, title: str | None = None,
               scale: float = 0.9) -> Figure:
    """Show images (rows of X) on a grid, ``ncols`` to a row, grey on white."""
    images = _images(X, image_shape)
    n = len(images)
    ncols = max(1, min(ncols, n))
    nrows = max(1, -(-n // ncols))
    fig = Figure(figsize=(scale * ncols, scale * nrows + (0.4 if title else 0)))
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if i < n:
            ax.imshow(images[i], cmap="gray_r", vmin=0, vmax=1)
            if titles is not None:
                ax.set_title(str(titles[i]), fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def reconstructions(X, X_hat, image_shape: Sequence[int] = (8, 8), n: int = 10,
                    title: str | None = None, labels: Sequence[str] = ("input", "reconstruction"),
                    extra_rows: Sequence = ()) -> Figure:
    """Originals on the top row, reconstructions below (and any ``extra_rows``)."""
    rows = [X, X_hat, *extra_rows]
    n = min(n, len(X))
    fig = Figure(figsize=(0.9 * n + 1.2, 1.0 * len(rows) + (0.4 if title else 0)))
    axes = fig.subplots(len(rows), n, squeeze=False)
    for r, row in enumerate(rows):
        images = _images(_np(row)[:n], image_shape)
        for c in range(n):
            ax = axes[r, c]
            ax.imshow(images[c], cmap="gray_r", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
        if r < len(labels):
            axes[r, 0].set_ylabel(labels[r], fontsize=8, rotation=0, ha="right", va="center")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def loss_curves(history, title: str = "training", log: bool = False,
                val_label: str = "validation") -> Figure:
    """Training (and held-out) loss per epoch from a :class:`aekit.train.History`;
    ``val_label`` names the held-out curve (``"test"`` where ``X_val`` was the test set)."""
    fig = Figure(figsize=(5, 3.2))
    ax = fig.subplots()
    epochs = np.arange(1, len(history.train_loss) + 1)
    ax.plot(epochs, history.train_loss, label="train")
    if history.val_loss:
        ax.plot(epochs, history.val_loss, label=val_label)
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss per image")
    if log:
        ax.set_yscale("log")
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    return fig


def latent_scatter(Z, y, classes: Sequence[str] | None = None, title: str = "codes",
                   ax_labels: tuple[str, str] = ("z1", "z2")) -> Figure:
    """2-D codes as points coloured by label (only the first two code units are shown)."""
    Z, y = _np(Z), _np(y)
    if Z.ndim != 2 or Z.shape[1] < 2:
        raise ValueError(f"latent_scatter needs codes of shape (n, 2) or wider, got {Z.shape}")
    fig = Figure(figsize=(5.2, 4.4))
    ax = fig.subplots()
    # one colour per class: the colour bar shows as many colours as there are classes (up to 10)
    n_classes = 10 if classes is None else max(1, min(len(classes), 10))
    colours = ListedColormap(CLASS_COLOURS.colors[:n_classes])
    points = ax.scatter(Z[:, 0], Z[:, 1], c=y, cmap=colours, s=8, vmin=-0.5, vmax=n_classes - 0.5)
    cbar = fig.colorbar(points, ax=ax, ticks=range(n_classes))
    if classes is not None:
        cbar.ax.set_yticklabels(list(classes)[:10], fontsize=9)
    ax.set_xlabel(ax_labels[0])
    ax.set_ylabel(ax_labels[1])
    ax.set_title(title)
    fig.tight_layout()
    return fig


def error_curve(code_dims: Sequence[int], errors: dict[str, Sequence[float]],
                highlight: int | None = None, title: str = "reconstruction error vs code size",
                ax=None) -> Figure:
    """Error per image against code size, one line per method (e.g. "autoencoder", "PCA")."""
    if ax is None:
        fig = Figure(figsize=(5, 3.4))
        ax = fig.subplots()
    else:
        fig = ax.figure
    for (name, values), marker in zip(errors.items(), "osd^v"):
        dims = list(code_dims)[: len(values)]
        ax.plot(dims, list(values), marker=marker, label=name)
    if highlight is not None:
        ax.axvline(highlight, color="grey", ls=":", lw=1)
    ax.set_xscale("log", base=2)
    ax.set_xticks(list(code_dims), [str(d) for d in code_dims])
    ax.set_xlabel("code size (bottleneck)")
    ax.set_ylabel("squared error per image")
    ax.set_title(title)
    ax.legend()
    return fig


def to_png(fig: Figure, dpi: int = 80) -> bytes:
    """Render a Figure to PNG bytes (what widgets display, and what tests compare)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def _show_figures_in_ipython() -> None:
    """Let a Figure left as a cell's last value display as a picture in Jupyter, even where
    pyplot was never imported (aekit builds Figures without pyplot). An existing formatter,
    such as the one ``%matplotlib inline`` installs, is left as it is."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None:
        return
    formatter = shell.display_formatter.formatters["image/png"]
    try:
        formatter.lookup_by_type(Figure)
    except KeyError:
        def figure_png(fig: Figure) -> bytes:
            buf = io.BytesIO()
            fig.savefig(buf, format="png", dpi=72, bbox_inches="tight")
            return buf.getvalue()

        formatter.for_type(Figure, figure_png)
    from aekit.site.frames import export_mode

    if export_mode():  # the site build: every figure carries alt text
        from aekit.site import figures

        figures.install()


_show_figures_in_ipython()
