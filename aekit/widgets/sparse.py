"""Explorer for sparse autoencoders: an L1 activity penalty and k-sparse codes."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from matplotlib.figure import Figure

from aekit.data import Dataset
from aekit.evaluate import encode, reconstruction_error
from aekit.models import Autoencoder
from aekit.penalties import L1Sparsity
from aekit.widgets._panels import filter_grid
from aekit.widgets.base import Explorer, SettingCache
from aekit.widgets.study import Control, Study, make_explorer

__all__ = ["SparseStudy", "sparse_explorer"]


class SparseStudy(Study):
    """One shallow autoencoder (ReLU code) per setting of the L1 weight and of k, cached.

    Parameters
    ----------
    dataset : images to train on (digits trains a setting in about a second).
    sparsity_weights : weights of :class:`aekit.penalties.L1Sparsity` offered (0: none).
    ks : numbers of code units kept per image (k-sparse); ``code_dim`` keeps all of them.
        k is annealed from ``code_dim`` down to k over the first half of training.
    code_dim : code units; as many as the input by default, so sparsity, not size, limits it.
    epochs, lr, batch_size, n_train, seed : the training budget, equal for every setting.

    ``result(sparsity_weight, k)``: test error, mean code activation, the fraction of code
    values that are zero, and the code units that fire for at least one test image.
    """

    controls = {
        "sparsity_weight": Control(
            "sparsity weight (sparsity_weight)",
            "sparsity_weight: how strongly the L1 penalty pushes code activations to zero"),
        "k": Control("kept units (k)",
                     "k: only the k largest code units of each image are kept (k-sparse)")}
    title = "Sparse codes: an L1 penalty and k-sparse coding"
    dpi = 100  # the 8x8 filters stay readable

    def __init__(self, dataset: Dataset, sparsity_weights: Sequence[float] = (0.0, 0.01, 0.03, 0.1, 0.3),
                 ks: Sequence[int] | None = None, code_dim: int = 64, epochs: int = 20,
                 lr: float = 3e-3, batch_size: int = 128, n_train: int | None = None,
                 seed: int | None = None) -> None:
        if not sparsity_weights or min(sparsity_weights) < 0:
            raise ValueError(f"sparsity_weights must list weights >= 0, got {sparsity_weights!r}")
        ks = (code_dim, 16, 8, 4, 2) if ks is None else ks
        if not ks or any(not 1 <= k <= code_dim for k in ks):
            raise ValueError(f"ks must list numbers between 1 and code_dim={code_dim}, got {ks!r}")
        super().__init__(dataset, {"sparsity_weight": sorted(sparsity_weights),
                                   "k": sorted(ks, reverse=True)},
                         epochs=epochs, lr=lr, batch_size=batch_size, n_train=n_train, seed=seed)
        self.sparsity_weights, self.ks = self.options["sparsity_weight"], self.options["k"]
        self.code_dim = code_dim
        self.codes = SettingCache(lambda **s: encode(self.model(**s), self.dataset.X_test))

    def start(self, name: str):
        return self.ks[0] if name == "k" else super().start(name)

    def label(self, name: str, value) -> str:
        return f"all ({value})" if name == "k" and value >= self.code_dim else str(value)

    def _train(self, sparsity_weight: float, k: int) -> Autoencoder:
        k_sparse = None if k >= self.code_dim else k
        model = self.build(Autoencoder, self.dataset.input_dim, self.code_dim,
                           code_activation="relu", k_sparse=k_sparse,
                           k_sparse_start=self.code_dim if k_sparse else None)
        penalties = [L1Sparsity(sparsity_weight)] if sparsity_weight > 0 else []
        return self.train(model, penalties=penalties)

    def _result(self, sparsity_weight: float, k: int) -> dict[str, float]:
        Z = self.codes.get(sparsity_weight=sparsity_weight, k=k)  # (n_test, code_dim)
        return {"error": reconstruction_error(self.model(sparsity_weight, k), self.dataset.X_test),
                "mean activation": float(Z.mean()),
                "zero fraction": float((Z == 0).float().mean()),
                "units used": int((Z > 0).any(0).sum())}

    def state(self):
        return None  # a picture depends on its own setting only

    def render(self, sparsity_weight: float, k: int, n_images: int = 12) -> Figure:
        """Codes of test images, the histogram of activations, and the learned filters."""
        model = self.model(sparsity_weight, k)
        Z = self.codes.get(sparsity_weight=sparsity_weight, k=k)  # (n_test, code_dim)
        s = self.result(sparsity_weight, k)
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


def sparse_explorer(dataset: Dataset, *, study: SparseStudy | None = None,
                    **settings_and_options) -> Explorer:
    """Sliders for the L1 sparsity weight (``sparsity_weight``) and the number of kept code
    units (``k``): codes, the activation histogram and learned filters of a shallow autoencoder.

    One model per setting is trained on first use (about a second on digits) and cached.
    Other keywords build the :class:`SparseStudy`; ``study=`` reuses one.
    """
    return make_explorer(SparseStudy, dataset, study, settings_and_options)
