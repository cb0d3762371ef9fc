"""Explorer for lesson 13: denoising images, scored in PSNR against classical baselines."""
from __future__ import annotations

from typing import Sequence

import torch
from matplotlib.figure import Figure

from aekit.corruption import corrupt
from aekit.data import Dataset
from aekit.evaluate import reconstruct
from aekit.applications.imaging import LinearRestorer, fit_ridge, gaussian_blur, psnr
from aekit.models import Autoencoder
from aekit.widgets._panels import image_rows
from aekit.widgets.base import Explorer, SettingCache
from aekit.widgets.study import Control, Study, make_explorer

__all__ = ["ImageDenoisingStudy", "image_denoising_explorer"]


class ImageDenoisingStudy(Study):
    """One denoising autoencoder per noise level, scored in PSNR beside two baselines.

    The noise is Gaussian with standard deviation ``noise_level``, and noisy images are
    clipped to [0, 1], as a stored image would be. The baselines: the noisy image itself, a
    Gaussian blur whose width (one of ``blur_sigmas``) is chosen on noisy training images, and
    the best *linear* denoiser learned from the same training images (ridge least squares from
    noisy to clean, :func:`aekit.applications.imaging.fit_ridge`, its strength chosen on held-out
    training images).

    Parameters
    ----------
    dataset : images to train on (Fashion-MNIST: about 3 s per level with 3000 images).
    noise_levels : the noise standard deviations offered (on the [0, 1] pixel scale).
    code_dim, hidden_dims : size of the denoising autoencoder.
    epochs, lr, batch_size, n_train, seed : the training budget, equal for every level.
    blur_sigmas : widths in pixels tried for the blur baseline.

    ``result(noise_level)``: the mean PSNR (dB) of the test images for each method (higher is
    better); ``model(noise_level)`` the denoising autoencoder; ``clean_psnr(noise_level)`` the
    PSNR of that autoencoder on the clean test images (what it loses with no noise at all).
    """

    controls = {"noise_level": Control(
        "noise level (noise_level)",
        "noise_level: standard deviation of the Gaussian noise added to every pixel (pixels "
        "range from 0 to 1)")}
    title = "Image denoising, scored in PSNR"

    def __init__(self, dataset: Dataset,
                 noise_levels: Sequence[float] = (0.05, 0.1, 0.2, 0.3, 0.4, 0.5), code_dim: int = 128, hidden_dims: Sequence[int] = (256,), epochs: int = 15,
                 lr: float = 3e-3, batch_size: int = 128, n_train: int | None = None,
                 blur_sigmas: Sequence[float] = (0.5, 0.7, 1.0, 1.5), seed: int | None = None) -> None:
        if dataset.X_train.dim() != 2 or len(dataset.image_shape) != 2:
            raise ValueError(f"the image-denoising explorer needs images; {dataset.name!r} has "
                             f"shape {dataset.image_shape}")
        if not noise_levels or min(noise_levels) <= 0:
            raise ValueError(f"noise_levels must list standard deviations > 0, got {noise_levels!r}")
        if not blur_sigmas or min(blur_sigmas) <= 0:
            raise ValueError(f"blur_sigmas must list widths > 0, got {blur_sigmas!r}")
        super().__init__(dataset, {"noise_level": sorted(noise_levels)}, epochs=epochs, lr=lr,
                         batch_size=batch_size, n_train=n_train, seed=seed)
        self.noise_levels = self.options["noise_level"]
        self.code_dim, self.hidden_dims = code_dim, tuple(hidden_dims)
        self.blur_sigmas = tuple(blur_sigmas)
        self.noisy = SettingCache(self._noisy_test)
        self.blur_sigma = SettingCache(self._best_sigma)
        self.ridge = SettingCache(self._fit_ridge)

    def _train(self, noise_level: float) -> Autoencoder:
        model = self.build(Autoencoder, self.dataset.input_dim, self.code_dim,
                           hidden_dims=self.hidden_dims)
        noise = lambda X: corrupt(X, "gaussian", noise_level, clip=True)  # noqa: E731
        return self.train(model, corruption=noise)

    def _noisy_test(self, noise_level: float) -> torch.Tensor:
        gen = torch.Generator().manual_seed(self.seed + 1)  # the same noise every time
        return corrupt(self.dataset.X_test, "gaussian", noise_level, generator=gen, clip=True)

    def _best_sigma(self, noise_level: float) -> float:
        """The blur width that works best on 500 noisy training images (not the test set)."""
        clean = self.X_train[:500]
        gen = torch.Generator().manual_seed(self.seed + 2)
        noisy = corrupt(clean, "gaussian", noise_level, generator=gen, clip=True)
        shape = self.dataset.image_shape
        return max(self.blur_sigmas, key=lambda s: psnr(clean, gaussian_blur(noisy, shape, s)))

    def _fit_ridge(self, noise_level: float) -> LinearRestorer:
        """The linear denoiser, fitted on noisy copies of the training images."""
        gen = torch.Generator().manual_seed(self.seed + 3)
        noisy = corrupt(self.X_train, "gaussian", noise_level, generator=gen, clip=True)
        return fit_ridge(noisy, self.X_train)

    def clean_psnr(self, noise_level: float) -> float:
        """PSNR of the level's denoising autoencoder on the clean test images."""
        noise_level = self.setting(noise_level)["noise_level"]
        X = self.dataset.X_test
        return psnr(X, reconstruct(self.model(noise_level), X))

    def outputs(self, noise_level: float) -> dict[str, torch.Tensor]:
        """The noisy test images and what each method makes of them (rows in [0, 1])."""
        noise_level = self.setting(noise_level)["noise_level"]
        X_noisy = self.noisy.get(noise_level=noise_level)
        sigma = self.blur_sigma.get(noise_level=noise_level)
        return {"noisy input": X_noisy,
                "Gaussian blur": gaussian_blur(X_noisy, self.dataset.image_shape, sigma),
                "ridge (linear)": self.ridge.get(noise_level=noise_level)(X_noisy),
                "denoising AE": reconstruct(self.model(noise_level), X_noisy)}

    def _result(self, noise_level: float) -> dict[str, float]:
        X = self.dataset.X_test
        return {name: psnr(X, X_hat) for name, X_hat in self.outputs(noise_level).items()}

    def render(self, noise_level: float, n_images: int = 8) -> Figure:
        """Clean, noisy, blurred and denoised test images beside PSNR against noise level."""
        scores = self.result(noise_level)
        outputs = self.outputs(noise_level)
        sigma = self.blur_sigma.get(noise_level=noise_level)
        fig = Figure(figsize=(11, 4.2))
        left, right = fig.subfigures(1, 2, width_ratios=[1.6, 1])
        rows = [self.dataset.X_test[:n_images]] + [X[:n_images] for X in outputs.values()]
        image_rows(left, rows, ["clean", "noisy", f"blur ({sigma:g} px)", "ridge", "denoising AE"],
                   self.dataset.image_shape)
        gain = scores["denoising AE"] - scores["noisy input"]
        left.suptitle(f"Gaussian noise, std {noise_level:g}: the autoencoder gains {gain:+.1f} dB",
                      fontsize=10)
        ax = right.subplots()
        levels = [t["noise_level"] for t in self.tried]
        for (name, colour), marker in zip((("noisy input", "0.6"), ("Gaussian blur", "tab:green"),
                                           ("ridge (linear)", "tab:orange"),
                                           ("denoising AE", "tab:blue")), "os^D"):
            ax.plot(levels, [self.result(level)[name] for level in levels], marker=marker,
                    color=colour, label=name)
        ax.axvline(noise_level, color="grey", ls=":", lw=1)
        span = max(self.noise_levels) - min(self.noise_levels) or 0.1  # all levels, even if one was tried
        ax.set_xlim(min(self.noise_levels) - 0.05 * span, max(self.noise_levels) + 0.05 * span)
        ax.set_xlabel("noise standard deviation")
        ax.set_ylabel("PSNR of the test images (dB)")
        ax.set_title("higher is better (levels tried so far)", fontsize=9)
        ax.legend(fontsize=8)
        right.subplots_adjust(left=0.18, bottom=0.16)
        return fig


def image_denoising_explorer(dataset: Dataset, *, study: ImageDenoisingStudy | None = None,
                             **settings_and_options) -> Explorer:
    """A slider for the noise level (``noise_level``): noisy test images, a Gaussian blur and a
    denoising autoencoder's output, and the PSNR of each against the noise level.

    One autoencoder per level is trained on first use and cached. Other keywords build the
    :class:`ImageDenoisingStudy`; ``study=`` reuses one.
    """
    return make_explorer(ImageDenoisingStudy, dataset, study, settings_and_options)
