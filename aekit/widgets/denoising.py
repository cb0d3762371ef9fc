"""Explorer for denoising autoencoders: train on corrupted inputs, score against clean ones."""
from __future__ import annotations

from typing import Sequence

import torch
from matplotlib.figure import Figure

from aekit.corruption import KINDS, corrupt
from aekit.data import Dataset
from aekit.evaluate import reconstruct
from aekit.models import Autoencoder
from aekit.widgets._panels import image_rows
from aekit.widgets.base import Explorer, SettingCache
from aekit.widgets.study import Control, Study, make_explorer

__all__ = ["DenoisingStudy", "denoising_explorer"]


class DenoisingStudy(Study):
    """A plain autoencoder and one denoising autoencoder per noise setting, same size and budget.

    Parameters
    ----------
    dataset : images to train on (digits trains a setting in about a second).
    noise_kinds, noise_levels : the settings offered (see :func:`aekit.corruption.corrupt`).
    code_dim, hidden_dims : size of both autoencoders; the default code is larger than the
        input (overcomplete), so the plain autoencoder is free to copy noise through.
    epochs, lr, batch_size, n_train, seed : the training budget, equal for every model.

    ``model(noise_kind, noise_level)`` is the denoiser trained with that corruption,
    ``plain()`` the autoencoder trained on clean inputs; ``result(noise_kind, noise_level)``
    the squared error per image against the clean test images of the corrupted input itself
    (unclipped, as both autoencoders are given it), of that input clipped to [0, 1] (clipping
    alone removes part of Gaussian noise: a free, crude denoiser) and of both autoencoders'
    reconstructions.
    """

    controls = {
        "noise_kind": Control("noise kind (noise_kind)",
                              "noise_kind: how the training and test inputs are corrupted",
                              dropdown=True, label=lambda kind: kind.replace("_", " ")),
        "noise_level": Control("noise level (noise_level)",
                               "noise_level: the noise standard deviation (gaussian) or the "
                               "fraction of pixels hit (masking, salt and pepper)")}
    title = "Denoising: train on corrupted inputs, compare with clean ones"

    def __init__(self, dataset: Dataset, noise_kinds: Sequence[str] = tuple(KINDS),
                 noise_levels: Sequence[float] = (0.05, 0.1, 0.2, 0.3, 0.4, 0.5),
                 code_dim: int = 128,
                 hidden_dims: Sequence[int] = (), epochs: int = 20, lr: float = 3e-3,
                 batch_size: int = 128, n_train: int | None = None, seed: int | None = None) -> None:
        unknown = [k for k in noise_kinds if k not in KINDS]
        if unknown or not noise_kinds:
            raise ValueError(f"noise_kinds must be a non-empty list from {list(KINDS)}, got "
                             f"{list(noise_kinds)!r}")
        if not noise_levels:
            raise ValueError("noise_levels must list at least one level")
        super().__init__(dataset, {"noise_kind": noise_kinds, "noise_level": sorted(noise_levels)},
                         epochs=epochs, lr=lr, batch_size=batch_size, n_train=n_train, seed=seed)
        self.noise_kinds, self.noise_levels = self.options["noise_kind"], self.options["noise_level"]
        self._plain = SettingCache(lambda: self._train(None, 0.0))
        self.code_dim, self.hidden_dims = code_dim, tuple(hidden_dims)
        self.noisy = SettingCache(self._noisy_test)

    def _train(self, noise_kind: str | None, noise_level: float) -> Autoencoder:
        model = self.build(Autoencoder, self.dataset.input_dim, self.code_dim,
                           hidden_dims=self.hidden_dims)
        corruption = None if noise_kind is None else (noise_kind, noise_level)
        return self.train(model, corruption=corruption)

    def _noisy_test(self, noise_kind: str, noise_level: float) -> torch.Tensor:
        gen = torch.Generator().manual_seed(self.seed + 12345)  # the same noise every time
        return corrupt(self.dataset.X_test, noise_kind, noise_level, generator=gen)

    def start(self, name: str):
        return "masking" if name == "noise_kind" and "masking" in self.noise_kinds \
            else super().start(name)

    def plain(self) -> Autoencoder:
        """The autoencoder trained on clean inputs (one for all settings)."""
        return self._plain.get()

    def _result(self, noise_kind: str, noise_level: float) -> dict[str, float]:
        X, X_noisy = self.dataset.X_test, self.noisy.get(noise_kind=noise_kind,
                                                         noise_level=noise_level)

        def error(X_hat):
            return float(((X_hat - X) ** 2).sum(1).mean())

        return {"corrupted input": error(X_noisy),
                "clipped to [0, 1]": error(X_noisy.clamp(0, 1)),
                "plain AE": error(reconstruct(self.plain(), X_noisy)),
                "denoising AE": error(reconstruct(self.model(noise_kind, noise_level), X_noisy))}

    def state(self):
        return None  # a picture depends on its own setting (and the one plain model) only

    def render(self, noise_kind: str, noise_level: float, n_images: int = 8) -> Figure:
        """Clean and corrupted test images with both reconstructions, beside the errors."""
        errors = self.result(noise_kind, noise_level)
        X = self.dataset.X_test[:n_images]
        X_noisy = self.noisy.get(noise_kind=noise_kind, noise_level=noise_level)[:n_images]
        rows = [X, X_noisy.clamp(0, 1), reconstruct(self.plain(), X_noisy),
                reconstruct(self.model(noise_kind, noise_level), X_noisy)]
        fig = Figure(figsize=(11, 3.8))
        left, right = fig.subfigures(1, 2, width_ratios=[1.8, 1])
        image_rows(left, rows, ["clean", "corrupted\n(shown clipped)", "plain AE", "denoising AE"],
                   self.dataset.image_shape)
        left.suptitle(f"{noise_kind.replace('_', ' ')} noise, level {noise_level:g}: "
                      f"both autoencoders see the corrupted row", fontsize=10)
        ax = right.subplots()
        names = list(errors)
        bars = ax.barh(names, [errors[n] for n in names], color=["0.6", "0.8", "tab:orange", "tab:blue"])
        ax.bar_label(bars, fmt="%.2f", fontsize=8, padding=2)
        ax.set_xlim(0, 1.25 * max(errors.values()))   # room for the labels
        ax.invert_yaxis()
        ax.set_xlabel("squared error per test image (vs clean)")
        ax.set_title("lower is better", fontsize=9)
        right.subplots_adjust(left=0.35, right=0.9, bottom=0.2)
        return fig


def denoising_explorer(dataset: Dataset, *, study: DenoisingStudy | None = None,
                       **settings_and_options) -> Explorer:
    """Controls for the noise kind and level (``noise_kind``, ``noise_level``): corrupted test
    images, what a plain and a denoising autoencoder of the same size make of them, and errors.

    One denoising autoencoder per setting is trained on first use (about a second on digits)
    and cached; the plain autoencoder is trained once. Other keywords build the
    :class:`DenoisingStudy`; ``study=`` reuses one.
    """
    return make_explorer(DenoisingStudy, dataset, study, settings_and_options)
