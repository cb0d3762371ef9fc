"""Explorer for lesson 12: one-class anomaly detection, autoencoder beside PCA."""
from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from aekit.anomaly import OneClassStudy
from aekit.data import Dataset
from aekit.widgets.base import Explorer

__all__ = ["render_anomaly", "anomaly_explorer"]


def render_anomaly(study: OneClassStudy, normal_class: int, n_missed: int = 6) -> Figure:
    """Score histograms (normal vs anomalous test images) for the autoencoder and for PCA,
    with their AUROCs, and the anomalies the autoencoder finds most normal."""
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
        ax.set_yticks([])
        ax.legend(fontsize=7)
    top.subplots_adjust(left=0.03, right=0.98, bottom=0.2, top=0.88)

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


def anomaly_explorer(dataset: Dataset, value: int = 0, study: OneClassStudy | None = None,
                     **study_options) -> Explorer:
    """A "normal class" slider: train on that class only, score all test images.

    One autoencoder per normal class is trained on first use (about a second on digits) and
    cached; the PCA baseline is fitted on the same images. Pass ``study`` to reuse the models
    of a :class:`aekit.anomaly.OneClassStudy` built earlier.
    """
    import ipywidgets as widgets

    if study is None:
        study = OneClassStudy(dataset, **study_options)
    options = [(dataset.classes[c], c) for c in study.classes]
    if value not in study.classes:
        raise ValueError(f"value must be one of the classes {study.classes}, got {value!r}")
    slider = widgets.SelectionSlider(
        options=options, value=value, description="normal class",
        tooltip="normal_class: the only class the autoencoder is trained on; all other "
                "classes count as anomalies", continuous_update=False)
    explorer = Explorer(lambda normal_class: render_anomaly(study, normal_class),
                        {"normal_class": slider}, title="One-class anomaly detection")
    explorer.study = study
    return explorer
