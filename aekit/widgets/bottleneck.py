"""Explorer for lesson 01: how the size of the code limits what survives reconstruction."""
from __future__ import annotations

from typing import Sequence

import torch
from matplotlib.figure import Figure

from aekit.data import Dataset
from aekit.device import resolve_seed, seeded
from aekit.evaluate import pca_baseline, reconstruct, reconstruction_error
from aekit.models import Autoencoder
from aekit.train import fit
from aekit.widgets.base import Explorer, SettingCache

__all__ = ["bottleneck_explorer", "BottleneckStudy"]


class BottleneckStudy:
    """Train one autoencoder per code size (cached) and compare each with PCA."""

    def __init__(self, dataset: Dataset, code_dims: Sequence[int] = (1, 2, 4, 8, 16, 32),
                 hidden_dims: Sequence[int] = (64,), epochs: int = 60, lr: float = 3e-3,
                 batch_size: int = 128, n_train: int | None = None, seed: int | None = None) -> None:
        if not code_dims:
            raise ValueError("code_dims must list at least one code size")
        self.dataset = dataset
        self.code_dims = tuple(sorted(code_dims))
        self.hidden_dims = tuple(hidden_dims)
        self.epochs, self.lr, self.batch_size = epochs, lr, batch_size
        self.seed = resolve_seed(seed)  # None: drawn once from the session's generator
        self.X_train = dataset.X_train[:n_train]
        self.models = SettingCache(self._train)
        self._pca: dict[int, float] = {}

    def _train(self, code_dim: int) -> Autoencoder:
        with seeded(self.seed):  # the same starting weights for this setting, every time
            model = Autoencoder(self.dataset.input_dim, code_dim, hidden_dims=self.hidden_dims)
        fit(model, self.X_train, epochs=self.epochs, lr=self.lr, batch_size=self.batch_size,
            progress=False, interrupt="raise", seed=self.seed)
        return model

    def model(self, code_dim: int) -> Autoencoder:
        return self.models.get(code_dim=code_dim)

    def error(self, code_dim: int) -> float:
        return reconstruction_error(self.model(code_dim), self.dataset.X_test)

    def pca_error(self, code_dim: int) -> float:
        if code_dim not in self._pca:
            self._pca[code_dim] = pca_baseline(self.X_train, self.dataset.X_test, code_dim)
        return self._pca[code_dim]

    def errors(self) -> dict[str, list[float]]:
        """Test error per code size for the autoencoder and for PCA."""
        return {"autoencoder": [self.error(k) for k in self.code_dims],
                "PCA": [self.pca_error(k) for k in self.code_dims]}

    def render(self, code_dim: int, n_images: int = 10) -> Figure:
        """Test images and their reconstructions at ``code_dim``, beside the error curve."""
        if code_dim not in self.code_dims:
            raise ValueError(f"code_dim must be one of {self.code_dims}, got {code_dim!r}")
        X = self.dataset.X_test[:n_images]
        X_hat = reconstruct(self.model(code_dim), X)
        shape = self.dataset.image_shape
        fig = Figure(figsize=(11, 3.4), layout="constrained")
        left, right = fig.subfigures(1, 2, width_ratios=[1.5, 1])
        axes = left.subplots(2, n_images)
        for c in range(n_images):
            for r, row in enumerate((X, X_hat)):
                axes[r, c].imshow(row[c].reshape(shape).numpy(), cmap="gray_r", vmin=0, vmax=1)
                axes[r, c].set_axis_off()
        left.suptitle(f"top: test images; bottom: reconstructed from {code_dim} numbers\n"
                      f"error per image {self.error(code_dim):.2f} (PCA: {self.pca_error(code_dim):.2f})",
                      fontsize=10)
        ax = right.subplots()
        from aekit.plot import error_curve

        error_curve(self.code_dims, self.errors(), highlight=code_dim, ax=ax,
                    title="test error vs code size")
        return fig


def bottleneck_explorer(dataset: Dataset, code_dims: Sequence[int] = (1, 2, 4, 8, 16, 32),
                        value: int | None = None, **study_options) -> Explorer:
    """A slider for the code size (``code_dim``) showing reconstructions and the error curve.

    One autoencoder per code size is trained on first use and cached (about a second each on
    digits), so moving the slider back to a size seen before answers at once.
    """
    import ipywidgets as widgets

    study = BottleneckStudy(dataset, code_dims, **study_options)
    value = study.code_dims[len(study.code_dims) // 2] if value is None else value
    slider = widgets.SelectionSlider(
        options=list(study.code_dims), value=value, description="bottleneck (code_dim)",
        tooltip="code_dim: how many numbers the encoder may use to describe one image",
        continuous_update=False)
    explorer = Explorer(study.render, {"code_dim": slider},
                        title="How big must the code be?")
    explorer.study = study
    return explorer
