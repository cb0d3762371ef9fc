"""Explorer for lesson 01: how the size of the code limits what survives reconstruction."""
from __future__ import annotations

from typing import Sequence

from matplotlib.figure import Figure

from aekit.data import Dataset
from aekit.checks import positive_ints
from aekit.evaluate import pca_baseline, reconstruct, reconstruction_error
from aekit.models import Autoencoder
from aekit.widgets.base import Explorer
from aekit.widgets.study import Control, Study, make_explorer

__all__ = ["bottleneck_explorer", "BottleneckStudy"]


class BottleneckStudy(Study):
    """Train one autoencoder per code size (cached) and compare each with PCA.

    ``result(code_dim)`` is ``{"autoencoder": error, "PCA": error}`` (squared error per test
    image); ``curve()`` both for every code size.
    """

    controls = {"code_dim": Control(
        "bottleneck (code_dim)",
        "code_dim: how many numbers the encoder may use to describe one image")}
    title = "How big must the code be?"

    def __init__(self, dataset: Dataset, code_dims: Sequence[int] = (1, 2, 4, 8, 16, 32),
                 hidden_dims: Sequence[int] = (64,), epochs: int = 60, lr: float = 3e-3,
                 **budget) -> None:
        super().__init__(dataset, {"code_dim": sorted(positive_ints(code_dims, "code_dims"))},
                         epochs=epochs, lr=lr, **budget)
        self.code_dims = self.options["code_dim"]
        self.hidden_dims = tuple(hidden_dims)

    def _train(self, code_dim: int) -> Autoencoder:
        return self.train(self.build(Autoencoder, self.dataset.input_dim, code_dim,
                                     hidden_dims=self.hidden_dims))

    def _result(self, code_dim: int) -> dict[str, float]:
        X_test = self.dataset.X_test
        return {"autoencoder": reconstruction_error(self.model(code_dim), X_test),
                "PCA": pca_baseline(self.X_train, X_test, code_dim)}

    def curve(self) -> dict[str, list[float]]:
        """Test error per code size for the autoencoder and for PCA (trains every size)."""
        rows = [self.result(k) for k in self.code_dims]
        return {name: [row[name] for row in rows] for name in ("autoencoder", "PCA")}

    def state(self):
        return None  # a render computes every code size: its picture depends on its setting only

    def render(self, code_dim: int, n_images: int = 10) -> Figure:
        """Test images and their reconstructions at ``code_dim``, beside the error curve."""
        result = self.result(code_dim)  # checks the setting; trains on first use
        X = self.dataset.X_test[:n_images]
        X_hat = reconstruct(self.model(code_dim), X)
        shape = self.dataset.image_shape
        fig = Figure(figsize=(11, 3.6))
        left, right = fig.subfigures(1, 2, width_ratios=[1.5, 1])
        axes = left.subplots(2, n_images)
        for c in range(n_images):
            for r, row in enumerate((X, X_hat)):
                axes[r, c].imshow(row[c].reshape(shape).numpy(), cmap="gray_r", vmin=0, vmax=1)
                axes[r, c].set_axis_off()
        left.suptitle(f"top: test images; bottom: reconstructed from {code_dim} numbers\n"
                      f"squared error per image {result['autoencoder']:.2f} (PCA: {result['PCA']:.2f})",
                      fontsize=10)
        ax = right.subplots()
        from aekit.plot import error_curve

        error_curve(self.code_dims, self.curve(), highlight=code_dim, ax=ax,
                    title="test error vs code size")
        right.subplots_adjust(left=0.15, bottom=0.2, right=0.95, top=0.88)
        return fig


def bottleneck_explorer(dataset: Dataset, *, study: BottleneckStudy | None = None,
                        **settings_and_options) -> Explorer:
    """A slider for the code size (``code_dim``) showing reconstructions and the error curve.

    One autoencoder per code size is trained on first use and cached (about a second each on
    digits), so moving the slider back to a size seen before answers at once. Other keywords
    build the :class:`BottleneckStudy`; ``study=`` reuses one.
    """
    return make_explorer(BottleneckStudy, dataset, study, settings_and_options)
