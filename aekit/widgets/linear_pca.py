"""Explorer for lesson 02: linear autoencoder, PCA and a nonlinear autoencoder at one code size."""
from __future__ import annotations

from typing import Sequence

import numpy as np
from matplotlib.figure import Figure

from aekit.data import Dataset
from aekit.evaluate import pca_fit, reconstruct, reconstruction_error
from aekit.linear import decoder_matrix, fit_linear_autoencoder, subspace_distance
from aekit.models import Autoencoder
from aekit.plot import error_curve
from aekit.widgets.base import Explorer
from aekit.widgets.study import Control, Study, make_explorer
from aekit.widgets.bottleneck import BottleneckStudy

__all__ = ["LinearPCAStudy", "linear_pca_explorer"]


class LinearPCAStudy(Study):
    """Per code size: PCA, a linear autoencoder and a nonlinear one (all cached).

    The nonlinear autoencoders come from a :class:`BottleneckStudy` (hidden layer of 64 ReLU
    units, trained for all code sizes on first use of the error curve); the linear ones
    (``model(code_dim)``) are trained by :func:`aekit.linear.fit_linear_autoencoder` (with
    ``linear_options``) only for the sizes asked for. Other keyword arguments go to the
    :class:`BottleneckStudy`. ``result(code_dim)``: the test error per image of each method.
    """

    controls = {"code_dim": Control(
        "bottleneck (code_dim)", "code_dim: how many numbers each method may use to describe "
        "one image")}
    title = "PCA, linear autoencoder and nonlinear autoencoder"

    def __init__(self, dataset: Dataset, code_dims: Sequence[int] = (1, 2, 4, 8, 16, 32),
                 seed: int | None = None, linear_options: dict | None = None,
                 **bottleneck_options) -> None:
        self.nonlinear = BottleneckStudy(dataset, code_dims, seed=seed, **bottleneck_options)
        super().__init__(dataset, {"code_dim": self.nonlinear.code_dims},
                         seed=self.nonlinear.seed)
        self.code_dims = self.options["code_dim"]
        self.X_train = self.nonlinear.X_train  # one training set for all three methods
        self.linear_options = dict(linear_options or {})
        self._pca: dict[int, object] = {}

    def _train(self, code_dim: int) -> Autoencoder:
        return fit_linear_autoencoder(self.X_train, code_dim, seed=self.seed,
                                      **self.linear_options)

    def linear_model(self, code_dim: int) -> Autoencoder:
        """The linear autoencoder with ``code_dim`` code units (trained on first use)."""
        return self.model(code_dim)

    def pca(self, code_dim: int):
        """scikit-learn's PCA with ``code_dim`` components, fitted on the training images."""
        code_dim = self.setting(code_dim)["code_dim"]
        if code_dim not in self._pca:
            self._pca[code_dim] = pca_fit(self.X_train, code_dim)
        return self._pca[code_dim]

    def _result(self, code_dim: int) -> dict[str, float]:
        nonlinear = self.nonlinear.result(code_dim)
        return {"PCA": nonlinear["PCA"],
                "linear AE": reconstruction_error(self.model(code_dim), self.dataset.X_test),
                "nonlinear AE": nonlinear["autoencoder"]}

    def subspace_gap(self, code_dim: int) -> float:
        """sin of the largest angle between the linear AE's and PCA's subspaces (0 = same)."""
        return subspace_distance(decoder_matrix(self.linear_model(code_dim)),
                                 self.pca(code_dim).components_.T)

    def render(self, code_dim: int, n_images: int = 8) -> Figure:
        """Test images reconstructed by the three methods at ``code_dim``, and the error curves
        (the linear autoencoder's points appear for the sizes trained so far)."""
        errors = self.result(code_dim)  # checks the setting; trains on first use
        X = self.dataset.X_test[:n_images]
        pca = self.pca(code_dim)
        X_pca = pca.inverse_transform(pca.transform(X.double().numpy()))
        rows = [("input", X.numpy()), ("PCA", X_pca),
                ("linear AE", reconstruct(self.linear_model(code_dim), X).numpy()),
                ("nonlinear AE", reconstruct(self.nonlinear.model(code_dim), X).numpy())]
        fig = Figure(figsize=(11, 3.8))
        left, right = fig.subfigures(1, 2, width_ratios=[1.25, 1])
        axes = left.subplots(len(rows), n_images, squeeze=False)
        for r, (label, images) in enumerate(rows):
            for c in range(n_images):
                ax = axes[r, c]
                ax.imshow(np.clip(np.asarray(images[c]), 0, 1).reshape(self.dataset.image_shape),
                          cmap="gray_r", vmin=0, vmax=1)
                ax.set_xticks([])
                ax.set_yticks([])
            axes[r, 0].set_ylabel(label, fontsize=8, rotation=0, ha="right", va="center")
        left.subplots_adjust(left=0.15, right=0.98, top=0.82, bottom=0.02)
        left.suptitle(f"code size {code_dim}: test error per image  PCA {errors['PCA']:.2f} | "
                      f"linear AE {errors['linear AE']:.2f} | nonlinear AE "
                      f"{errors['nonlinear AE']:.2f}\nlinear AE subspace vs PCA subspace: "
                      f"sin(largest angle) = {self.subspace_gap(code_dim):.3f}", fontsize=9)
        ax = right.subplots()
        curves = self.nonlinear.curve()
        error_curve(self.code_dims, {"nonlinear AE": curves["autoencoder"], "PCA": curves["PCA"]},
                    highlight=code_dim, ax=ax, title="test error vs code size")
        seen = [t["code_dim"] for t in self.tried]
        ax.plot(seen, [self.result(k)["linear AE"] for k in seen],
                "k+", markersize=11, markeredgewidth=2, label="linear AE (sizes trained)")
        ax.legend(fontsize=8)
        right.subplots_adjust(left=0.14, right=0.97, bottom=0.16, top=0.9)
        return fig


def linear_pca_explorer(dataset: Dataset, *, study: LinearPCAStudy | None = None,
                        **settings_and_options) -> Explorer:
    """A "bottleneck" slider (``code_dim``) comparing PCA, a linear and a nonlinear autoencoder.

    The figure shows test images reconstructed by each method at that code size, the
    distance between the linear autoencoder's subspace and PCA's, and the test error against
    code size. Models are cached per code size, so a size seen before answers at once. Other
    keywords build the :class:`LinearPCAStudy`; ``study=`` reuses one built earlier.
    """
    return make_explorer(LinearPCAStudy, dataset, study, settings_and_options)
