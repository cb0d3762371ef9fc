"""Explorer for denoising autoencoders: train on corrupted inputs, score against clean ones."""
from __future__ import annotations

from typing import Sequence

import torch
from matplotlib.figure import Figure

from aekit.corruption import KINDS, corrupt
from aekit.data import Dataset
from aekit.device import resolve_seed, seeded
from aekit.evaluate import reconstruct
from aekit.models import Autoencoder
from aekit.train import fit
from aekit.widgets._panels import image_rows
from aekit.widgets.base import Explorer, SettingCache

__all__ = ["DenoisingStudy", "denoising_explorer"]


class DenoisingStudy:
    """A plain autoencoder and one denoising autoencoder per noise setting, same size and budget.

    Parameters
    ----------
    dataset : images to train on (digits trains a setting in about a second).
    noise_kinds, noise_levels : the settings offered (see :func:`aekit.corruption.corrupt`).
    code_dim, hidden_dims : size of both autoencoders; the default code is larger than the
        input (overcomplete), so the plain autoencoder is free to copy noise through.
    epochs, lr, batch_size, n_train, seed : the training budget, equal for every model.
    """

    def __init__(self, dataset: Dataset, noise_kinds: Sequence[str] = tuple(KINDS),
                 noise_levels: Sequence[float] = (0.1, 0.2, 0.3, 0.5), code_dim: int = 128,
                 hidden_dims: Sequence[int] = (), epochs: int = 20, lr: float = 3e-3,
                 batch_size: int = 128, n_train: int | None = None, seed: int | None = None) -> None:
        unknown = [k for k in noise_kinds if k not in KINDS]
        if unknown or not noise_kinds:
            raise ValueError(f"noise_kinds must be a non-empty list from {list(KINDS)}, got "
                             f"{list(noise_kinds)!r}")
        if not noise_levels:
            raise ValueError("noise_levels must list at least one level")
        self.dataset = dataset
        self.noise_kinds, self.noise_levels = tuple(noise_kinds), tuple(sorted(noise_levels))
        self.code_dim, self.hidden_dims = code_dim, tuple(hidden_dims)
        self.epochs, self.lr, self.batch_size = epochs, lr, batch_size
        self.seed = resolve_seed(seed)  # None: drawn once from the session's generator
        self.X_train = dataset.X_train[:n_train]
        self.models = SettingCache(self._train)
        self.noisy = SettingCache(self._noisy_test)
        self._errors: dict[tuple, dict[str, float]] = {}

    def _train(self, noise_kind: str | None, noise_level: float) -> Autoencoder:
        with seeded(self.seed):  # the same starting weights for this setting, every time
            model = Autoencoder(self.dataset.input_dim, self.code_dim, hidden_dims=self.hidden_dims)
        corruption = None if noise_kind is None else (noise_kind, noise_level)
        fit(model, self.X_train, epochs=self.epochs, lr=self.lr, batch_size=self.batch_size,
            corruption=corruption, progress=False, interrupt="raise", seed=self.seed)
        return model

    def _noisy_test(self, noise_kind: str, noise_level: float) -> torch.Tensor:
        gen = torch.Generator().manual_seed(self.seed + 12345)  # the same noise every time
        return corrupt(self.dataset.X_test, noise_kind, noise_level, generator=gen)

    def _check(self, noise_kind: str, noise_level: float) -> None:
        if noise_kind not in self.noise_kinds:
            raise ValueError(f"noise_kind must be one of {self.noise_kinds}, got {noise_kind!r}")
        if noise_level not in self.noise_levels:
            raise ValueError(f"noise_level must be one of {self.noise_levels}, got {noise_level!r}")

    def plain(self) -> Autoencoder:
        """The autoencoder trained on clean inputs (one for all settings)."""
        return self.models.get(noise_kind=None, noise_level=0.0)

    def denoiser(self, noise_kind: str, noise_level: float) -> Autoencoder:
        """The denoising autoencoder trained with this corruption."""
        self._check(noise_kind, noise_level)
        return self.models.get(noise_kind=noise_kind, noise_level=noise_level)

    def errors(self, noise_kind: str, noise_level: float) -> dict[str, float]:
        """Squared error per image against the clean test images: of the corrupted input
        itself, of the plain autoencoder's and of the denoiser's reconstructions."""
        key = (noise_kind, noise_level)
        if key not in self._errors:
            X, X_noisy = self.dataset.X_test, self.noisy.get(noise_kind=noise_kind,
                                                             noise_level=noise_level)

            def error(X_hat):
                return float(((X_hat - X) ** 2).sum(1).mean())

            self._errors[key] = {
                "corrupted input": error(X_noisy.clamp(0, 1)),
                "plain AE": error(reconstruct(self.plain(), X_noisy)),
                "denoising AE": error(reconstruct(self.denoiser(noise_kind, noise_level), X_noisy)),
            }
        return self._errors[key]

    def render(self, noise_kind: str, noise_level: float, n_images: int = 8) -> Figure:
        """Clean and corrupted test images with both reconstructions, beside the errors."""
        self._check(noise_kind, noise_level)
        errors = self.errors(noise_kind, noise_level)
        X = self.dataset.X_test[:n_images]
        X_noisy = self.noisy.get(noise_kind=noise_kind, noise_level=noise_level)[:n_images]
        rows = [X, X_noisy.clamp(0, 1), reconstruct(self.plain(), X_noisy),
                reconstruct(self.denoiser(noise_kind, noise_level), X_noisy)]
        fig = Figure(figsize=(11, 3.8))
        left, right = fig.subfigures(1, 2, width_ratios=[1.8, 1])
        image_rows(left, rows, ["clean", "corrupted", "plain AE", "denoising AE"],
                   self.dataset.image_shape)
        left.suptitle(f"{noise_kind.replace('_', ' ')} noise, level {noise_level:g}: "
                      f"both autoencoders see the corrupted row", fontsize=10)
        ax = right.subplots()
        names = list(errors)
        bars = ax.barh(names, [errors[n] for n in names], color=["0.6", "tab:orange", "tab:blue"])
        ax.bar_label(bars, fmt="%.2f", fontsize=8)
        ax.invert_yaxis()
        ax.set_xlabel("squared error per test image (vs clean)")
        ax.set_title("lower is better", fontsize=9)
        right.subplots_adjust(left=0.35, right=0.9, bottom=0.2)
        return fig


def denoising_explorer(dataset: Dataset, noise_kind: str = "masking",
                       noise_level: float | None = None, **study_options) -> Explorer:
    """Controls for the noise kind and level (``noise_kind``, ``noise_level``): corrupted test
    images, what a plain and a denoising autoencoder of the same size make of them, and errors.

    One denoising autoencoder per setting is trained on first use (about a second on digits)
    and cached; the plain autoencoder is trained once.
    """
    import ipywidgets as widgets

    study = DenoisingStudy(dataset, **study_options)
    levels = study.noise_levels
    noise_level = levels[len(levels) // 2] if noise_level is None else noise_level
    kind = widgets.Dropdown(
        options=[(k.replace("_", " "), k) for k in study.noise_kinds], value=noise_kind,
        description="noise kind (noise_kind)",
        tooltip="noise_kind: how the training and test inputs are corrupted")
    level = widgets.SelectionSlider(
        options=list(levels), value=noise_level, description="noise level (noise_level)",
        tooltip="noise_level: the noise standard deviation (gaussian) or the fraction of "
                "pixels hit (masking, salt and pepper)",
        continuous_update=False)
    explorer = Explorer(study.render, {"noise_kind": kind, "noise_level": level},
                        title="Denoising: train on corrupted inputs, compare with clean ones")
    explorer.study = study
    return explorer
