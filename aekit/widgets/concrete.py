"""Explorer for lesson 08: which k pixels a concrete autoencoder keeps, and what it rebuilds."""
from __future__ import annotations

from typing import Sequence

import matplotlib
import numpy as np
import torch
from matplotlib.figure import Figure

from aekit.data import Dataset
from aekit.evaluate import reconstruct, reconstruction_error
from aekit.plot import mosaic
from aekit.models import ConcreteAutoencoder
from aekit.widgets._panels import image_rows
from aekit.widgets.base import Explorer
from aekit.widgets.study import Control, Study, make_explorer

__all__ = ["ConcreteStudy", "concrete_explorer"]


class ConcreteStudy(Study):
    """One concrete autoencoder per number of selected features k (trained on first use, cached).

    Parameters
    ----------
    dataset : images to train on (digits: one to two seconds per k).
    ks : numbers of input pixels to select.
    hidden_dims : the decoder's hidden layers.
    epochs, lr, batch_size, n_train, seed : the training budget, equal for every k; the
        temperature falls from 10 to 0.1 over the epochs.

    ``result(k)``: ``{"error": squared error per test image}`` of the model selecting k pixels.
    """

    controls = {"k": Control(
        "selected pixels (k)",
        "k: how many input pixels the selector layer may keep; the decoder sees only these")}
    title = "Concrete autoencoder: choosing pixels"
    #: the tint of the pixels the decoder does not see (pale blue: no grey level looks like it)
    NOT_KEPT = matplotlib.colors.ListedColormap(["#cde6f7"]).with_extremes(bad=(0, 0, 0, 0))

    def __init__(self, dataset: Dataset, ks: Sequence[int] = (2, 4, 8, 16, 32),
                 hidden_dims: Sequence[int] = (32,), epochs: int = 40, lr: float = 3e-2,
                 batch_size: int = 128, n_train: int | None = None, seed: int | None = None) -> None:
        if dataset.X_train.dim() != 2 or len(dataset.image_shape) != 2:
            raise ValueError(f"the concrete explorer shows images; {dataset.name!r} has shape "
                             f"{dataset.image_shape}")
        if not ks or any(not 1 <= k <= dataset.input_dim for k in ks):
            raise ValueError(f"ks must list numbers between 1 and {dataset.input_dim} (the "
                             f"number of pixels), got {ks!r}")
        super().__init__(dataset, {"k": sorted(set(ks))}, epochs=epochs, lr=lr,
                         batch_size=batch_size, n_train=n_train, seed=seed)
        self.ks = self.options["k"]
        self.hidden_dims = tuple(hidden_dims)

    def _train(self, k: int) -> ConcreteAutoencoder:
        model = self.build(ConcreteAutoencoder, self.dataset.input_dim, k,
                           hidden_dims=self.hidden_dims)
        return self.train(model)

    def _result(self, k: int) -> dict[str, float]:
        return {"error": reconstruction_error(self.model(k), self.dataset.X_test)}

    def selected(self, k: int) -> torch.Tensor:
        """The indices of the k selected pixels."""
        return self.model(k).selected_features().cpu()

    def state(self):
        return None  # a picture depends on its own setting only

    def render(self, k: int, n_images: int = 8) -> Figure:
        """The selected pixels over the mean image; test images, what the decoder sees, and
        what it rebuilds."""
        model = self.model(k)
        chosen = self.selected(k)
        shape = self.dataset.image_shape
        fig = Figure(figsize=(11, 3.6))
        mask_fig, rows_fig = fig.subfigures(1, 2, width_ratios=[0.8, 1.6])

        ax = mask_fig.subplots()
        mean_image = self.dataset.X_train.mean(0).numpy().reshape(shape)
        ax.imshow(mean_image, cmap="gray_r", vmin=0, vmax=1, alpha=0.5)
        overlay = np.full(self.dataset.input_dim, np.nan)
        overlay[chosen.numpy()] = 1.0
        red = matplotlib.colors.ListedColormap(["tab:red"]).with_extremes(bad=(0, 0, 0, 0))
        ax.imshow(overlay.reshape(shape), cmap=red, vmin=0, vmax=1, interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(f"the {k} selected pixels (red) on the mean image\n"
                     f"mean max selection probability {model.mean_max_probability():.3f}",
                     fontsize=9)
        mask_fig.subplots_adjust(top=0.82, bottom=0.04)

        X = self.dataset.X_test[:n_images]
        seen = torch.full_like(X, float("nan"))
        seen[:, chosen] = X[:, chosen]  # only the selected pixels reach the decoder
        ax = image_rows(rows_fig, [X, seen, reconstruct(model, X)],
                        ["test image", f"{k} pixels kept\n(blue: not kept)", "rebuilt"], shape)
        # A kept pixel of value 0 draws white, like the gaps: tint the pixels that were not kept
        # instead, so the row shows which pixels the decoder saw, whatever their values.
        n = len(X)
        tint = np.full((3, n, *shape), np.nan)
        tint[1][:, ~np.isin(np.arange(self.dataset.input_dim), chosen.numpy()).reshape(shape)] = 1.0
        ax.imshow(mosaic(tint.reshape(3 * n, *shape), n), cmap=self.NOT_KEPT, vmin=0, vmax=1,
                  interpolation="nearest")
        rows_fig.suptitle(f"k = {k}: test error {self.result(k)['error']:.2f} per image "
                          f"(squared, summed over pixels)", fontsize=9)
        return fig


def concrete_explorer(dataset: Dataset, *, study: ConcreteStudy | None = None,
                      **settings_and_options) -> Explorer:
    """A slider for the number of selected pixels (``k``) of a concrete autoencoder: which
    pixels it keeps and how well it rebuilds the image from them.

    One model per k is trained on first use (one to two seconds on digits) and cached.
    Other keywords build the :class:`ConcreteStudy`; ``study=`` reuses one.
    """
    return make_explorer(ConcreteStudy, dataset, study, settings_and_options)
