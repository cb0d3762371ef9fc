"""Explorer for lesson 12: one-class anomaly detection, autoencoder beside PCA."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from matplotlib.figure import Figure

from aekit.applications.anomaly import OneClassResult, pca_scores
from aekit.data import Dataset
from aekit.device import to_numpy
from aekit.evaluate import per_image_error
from aekit.models import Autoencoder
from aekit.widgets.base import Explorer
from aekit.widgets.study import Control, Study, make_explorer

__all__ = ["OneClassStudy", "anomaly_explorer"]


class OneClassStudy(Study):
    """The one-class protocol on a data set, one autoencoder per normal class (cached).

    Parameters
    ----------
    dataset : a :class:`aekit.data.Dataset` with labels.
    code_dim, hidden_dims : the autoencoder (sigmoid output, trained with cross-entropy).
    epochs, lr, batch_size, n_train, seed : training of each one-class model.
    pca_components : components of the PCA baseline.

    ``result(normal_class)`` is an :class:`aekit.applications.anomaly.OneClassResult`.

    Examples
    --------
    >>> study = OneClassStudy(aekit.data.load("digits"))       # doctest: +SKIP
    >>> study.result(0).auroc, study.result(0).pca_auroc        # doctest: +SKIP
    """

    controls = {"normal_class": Control(
        "normal class", "normal_class: the only class the autoencoder is trained on; all "
        "other classes count as anomalies")}
    title = "One-class anomaly detection"

    def __init__(self, dataset: Dataset, code_dim: int = 8, hidden_dims: Sequence[int] = (32,),
                 epochs: int = 100, lr: float = 3e-3, batch_size: int = 32,
                 pca_components: int = 8, **budget) -> None:
        classes = [int(c) for c in torch.unique(dataset.y_train)]
        if len(classes) < 2:
            raise ValueError("the one-class protocol needs at least two classes in the data set")
        super().__init__(dataset, {"normal_class": classes}, epochs=epochs, lr=lr,
                         batch_size=batch_size, **budget)
        self.classes = classes
        self.code_dim, self.hidden_dims = code_dim, tuple(hidden_dims)
        self.pca_components = pca_components

    def start(self, name: str):
        return self.classes[0]

    def label(self, name: str, value) -> str:
        return self.dataset.classes[value]

    def normal_images(self, normal_class: int) -> torch.Tensor:
        """The training images of one class: all the model sees."""
        normal_class = self.setting(normal_class)["normal_class"]
        return self.X_train[self.dataset.y_train[:len(self.X_train)] == normal_class]

    def _train(self, normal_class: int) -> Autoencoder:
        model = self.build(Autoencoder, self.dataset.input_dim, self.code_dim,
                           hidden_dims=self.hidden_dims)
        return self.train(model, self.normal_images(normal_class))

    def _result(self, normal_class: int) -> OneClassResult:
        X_test = self.dataset.X_test
        return OneClassResult(
            normal_class=normal_class, labels=to_numpy(self.dataset.y_test).copy(),
            scores=to_numpy(per_image_error(self.model(normal_class), X_test)),
            pca_scores=pca_scores(self.normal_images(normal_class), X_test, self.pca_components))

    def table(self, classes: Sequence[int] | None = None) -> list[dict]:
        """One row per normal class: ``{"class", "name", "autoencoder", "PCA"}`` (AUROCs)."""
        rows = []
        for c in self.classes if classes is None else classes:
            result = self.result(c)
            rows.append({"class": int(c), "name": self.dataset.classes[int(c)],
                         "autoencoder": result.auroc, "PCA": result.pca_auroc})
        return rows

    def state(self):
        return None  # a render draws its own class only

    def render(self, normal_class: int, n_missed: int = 6) -> Figure:
        """Score histograms (normal vs anomalous test images) for the autoencoder and for
        PCA, with their AUROCs, and the anomalies the autoencoder finds most normal."""
        return _render(self, normal_class, n_missed)


def _render(study: OneClassStudy, normal_class: int, n_missed: int) -> Figure:
    result = study.result(normal_class)  # checks the class; trains on first use
    ds = study.dataset
    name = ds.classes[result.normal_class]
    fig = Figure(figsize=(11, 4.2))
    top, bottom = fig.subfigures(2, 1, height_ratios=[2.5, 1.3])
    axes = top.subplots(1, 2)
    for ax, (method, scores, value) in zip(axes, (
            ("autoencoder", result.scores, result.auroc),
            ("PCA", result.pca_scores, result.pca_auroc))):
        normal, anomalous = scores[~result.is_anomaly], scores[result.is_anomaly]
        bins = np.linspace(0, np.quantile(scores, 0.99), 40)
        ax.hist(anomalous, bins=bins, alpha=0.6, density=True, label="anomalous (other classes)")
        ax.hist(normal, bins=bins, alpha=0.6, density=True, label=f"normal ({name})")
        worst, pair = result.hardest_pair(method)
        ax.set_title(f"{method}: AUROC {value:.3f}  (hardest: {ds.classes[worst]}, {pair:.2f})",
                     fontsize=9)
        ax.set_xlabel("reconstruction error (anomaly score)")
        ax.set_ylabel("density (share of images per unit score)", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.legend(fontsize=7)
    top.subplots_adjust(left=0.07, right=0.98, bottom=0.2, top=0.88, wspace=0.25)

    # the anomalies that look most normal to the autoencoder: where it fails
    anomalous_idx = np.flatnonzero(result.is_anomaly)
    missed = anomalous_idx[np.argsort(result.scores[anomalous_idx])[:n_missed]]
    axes = bottom.subplots(1, n_missed)
    for ax, i in zip(np.atleast_1d(axes), missed):
        ax.imshow(ds.X_test[i].numpy().reshape(ds.image_shape), cmap="gray_r", vmin=0, vmax=1)
        ax.set_title(f"{ds.classes[int(result.labels[i])]}: {result.scores[i]:.1f}", fontsize=7,
                     pad=2)
        ax.set_axis_off()
    bottom.subplots_adjust(left=0.25, right=0.75, top=0.62, bottom=0.02, wspace=0.5)
    bottom.suptitle("the anomalies the autoencoder finds most normal (class: score)", fontsize=9,
                    y=0.97)
    return fig


def anomaly_explorer(dataset: Dataset, *, study: OneClassStudy | None = None,
                     **settings_and_options) -> Explorer:
    """A "normal class" slider (``normal_class``): train on that class only, score all test
    images.

    One autoencoder per normal class is trained on first use (about a second on digits) and
    cached; the PCA baseline is fitted on the same images. Other keywords build the
    :class:`OneClassStudy`; ``study=`` reuses one built earlier.
    """
    return make_explorer(OneClassStudy, dataset, study, settings_and_options)
