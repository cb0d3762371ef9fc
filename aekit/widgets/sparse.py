"""Explorer for sparse autoencoders: an L1 activity penalty and k-sparse codes."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from matplotlib.figure import Figure

from aekit.data import Dataset
from aekit.device import resolve_seed, seeded
from aekit.evaluate import encode, reconstruction_error
from aekit.models import Autoencoder
from aekit.penalties import L1Sparsity
from aekit.train import fit
from aekit.widgets._panels import filter_grid
from aekit.widgets.base import Explorer, SettingCache

__all__ = ["SparseStudy", "sparse_explorer"]


class SparseStudy:
    """One shallow autoencoder (ReLU code) per setting of the L1 weight and of k, cached.

    Parameters
    ----------
    dataset : images to train on (digits trains a setting in about a second).
    sparsity_weights : weights of :class:`aekit.penalties.L1Sparsity` offered (0: none).
    ks : numbers of code units kept per image (k-sparse); ``code_dim`` keeps all of them.
        k is annealed from ``code_dim`` down to k over the first half of training.
    code_dim : code units; as many as the input by default, so sparsity, not size, limits it.
    epochs, lr, batch_size, n_train, seed : the training budget, equal for every setting.
    """

    def __init__(self, dataset: Dataset, sparsity_weights: Sequence[float] = (0.0, 0.01, 0.03, 0.1, 0.3),
                 ks: Sequence[int] | None = None, code_dim: int = 64, epochs: int = 20,
                 lr: float = 3e-3, batch_size: int = 128, n_train: int | None = None,
                 seed: int | None = None) -> None:
        if not sparsity_weights or min(sparsity_weights) < 0:
            raise ValueError(f"sparsity_weights must list weights >= 0, got {sparsity_weights!r}")
        ks = (code_dim, 16, 8, 4, 2) if ks is None else ks
        if not ks or any(not 1 <= k <= code_dim for k in ks):
            raise ValueError(f"ks must list numbers between 1 and code_dim={code_dim}, got {ks!r}")
        self.dataset = dataset
        self.sparsity_weights = tuple(sorted(sparsity_weights))
        self.ks, self.code_dim = tuple(sorted(ks, reverse=True)), code_dim
        self.epochs, self.lr, self.batch_size = epochs, lr, batch_size
        self.seed = resolve_seed(seed)  # None: drawn once from the session's generator
        self.X_train = dataset.X_train[:n_train]
        self.models = SettingCache(self._train)
        self.codes = SettingCache(lambda **s: encode(self.model(**s), self.dataset.X_test))

    def _train(self, sparsity_weight: float, k: int) -> Autoencoder:
        with seeded(self.seed):  # the same starting weights for this setting, every time
            k_sparse = None if k >= self.code_dim else k
            model = Autoencoder(self.dataset.input_dim, self.code_dim, code_activation="relu",
                                k_sparse=k_sparse, k_sparse_start=self.code_dim if k_sparse else None)
        penalties = [L1Sparsity(sparsity_weight)] if sparsity_weight > 0 else []
        fit(model, self.X_train, epochs=self.epochs, lr=self.lr, batch_size=self.batch_size,
            penalties=penalties, progress=False, interrupt="raise", seed=self.seed)
        return model

    def model(self, sparsity_weight: float, k: int) -> Autoencoder:
        if sparsity_weight not in self.sparsity_weights:
            raise ValueError(f"sparsity_weight must be one of {self.sparsity_weights}, "
                             f"got {sparsity_weight!r}")
        if k not in self.ks:
            raise ValueError(f"k must be one of {self.ks}, got {k!r}")
        return self.models.get(sparsity_weight=sparsity_weight, k=k)

    def summary(self, sparsity_weight: float, k: int) -> dict[str, float]:
        """Test error, mean code activation, and the fraction of code values that are zero."""
        Z = self.codes.get(sparsity_weight=sparsity_weight, k=k)  # (n_test, code_dim)
        return {"error": reconstruction_error(self.model(sparsity_weight, k), self.dataset.X_test),
                "mean activation": float(Z.mean()),
                "zero fraction": float((Z == 0).float().mean()),
                "units used": int((Z > 0).any(0).sum())}

    def render(self, sparsity_weight: float, k: int, n_images: int = 12) -> Figure:
        """Codes of test images, the histogram of activations, and the learned filters."""
        model = self.model(sparsity_weight, k)
        Z = self.codes.get(sparsity_weight=sparsity_weight, k=k)  # (n_test, code_dim)
        s = self.summary(sparsity_weight, k)
        fig = Figure(figsize=(12, 3.9))
        codes_fig, hist_fig, filt_fig = fig.subfigures(1, 3, width_ratios=[1.2, 1, 1.1])
        ax = codes_fig.subplots()
        ax.imshow(Z[:n_images].numpy(), aspect="auto", cmap="Greys", interpolation="nearest")
        ax.set_xlabel("code unit")
        ax.set_ylabel("test image")
        ax.set_title(f"codes: {1 - s['zero fraction']:.0%} of values non-zero", fontsize=9)
        ax = hist_fig.subplots()
        values = Z.flatten().numpy()
        ax.hist(values, bins=np.linspace(0, max(float(values.max()), 1e-6), 40), color="tab:blue")
        ax.set_yscale("log")
        ax.set_xlabel("activation")
        ax.set_ylabel("count (log scale)")
        kept = "all units kept" if k >= self.code_dim else f"k = {k} units kept"
        ax.set_title(f"L1 weight {sparsity_weight:g}, {kept}: test error {s['error']:.2f}\n"
                     f"mean activation {s['mean activation']:.3f}", fontsize=9)
        hist_fig.subplots_adjust(left=0.2, bottom=0.18)
        usage = (Z > 0).float().mean(0)  # how often each unit fires
        order = torch.argsort(usage, descending=True)[:24]
        filter_grid(filt_fig, model.encoder[0].weight[order], self.dataset.image_shape, ncols=6,
                    title=f"filters of the 24 busiest units ({s['units used']} of "
                          f"{self.code_dim} ever fire)")
        return fig


def sparse_explorer(dataset: Dataset, sparsity_weight: float | None = None, k: int | None = None,
                    **study_options) -> Explorer:
    """Sliders for the L1 sparsity weight (``sparsity_weight``) and the number of kept code
    units (``k``): codes, the activation histogram and learned filters of a shallow autoencoder.

    One model per setting is trained on first use (about a second on digits) and cached.
    """
    import ipywidgets as widgets

    study = SparseStudy(dataset, **study_options)
    weights = study.sparsity_weights
    weight = weights[len(weights) // 2] if sparsity_weight is None else sparsity_weight
    weight_slider = widgets.SelectionSlider(
        options=list(weights), value=weight, description="sparsity weight (sparsity_weight)",
        tooltip="sparsity_weight: how strongly the L1 penalty pushes code activations to zero",
        continuous_update=False)
    k_slider = widgets.SelectionSlider(
        options=[(f"all ({q})" if q >= study.code_dim else str(q), q) for q in study.ks],
        value=study.ks[0] if k is None else k, description="kept units (k)",
        tooltip="k: only the k largest code units of each image are kept (k-sparse)",
        continuous_update=False)
    explorer = Explorer(study.render, {"sparsity_weight": weight_slider, "k": k_slider},
                        title="Sparse codes: an L1 penalty and k-sparse coding")
    explorer.study = study
    return explorer
