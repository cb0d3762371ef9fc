"""Explorer for lesson 13: lossy compression with a rate-distortion autoencoder against JPEG."""
from __future__ import annotations

from typing import Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, NullFormatter, NullLocator

from aekit.data import Dataset
from aekit.evaluate import reconstruct
from aekit.applications.imaging import jpeg, jpeg_curve, psnr
from aekit.models import RateDistortionAutoencoder
from aekit.widgets._panels import image_rows
from aekit.widgets.base import Explorer, SettingCache
from aekit.widgets.study import Control, Study, make_explorer

__all__ = ["CompressionStudy", "compression_explorer"]


class CompressionStudy(Study):
    """One :class:`aekit.models.RateDistortionAutoencoder` per distortion weight ``lam``, and
    JPEG's curve on the same test images, both in bits per pixel and PSNR.

    Parameters
    ----------
    dataset : images (digits: about a second per ``lam``).
    lams : weights of the squared error against the bits (loss = bits + lam * error).
    code_dim, hidden_dims, epochs, lr, batch_size, n_train, seed : the autoencoder and its
        training budget, equal for every ``lam``.
    qualities : the JPEG qualities of the baseline curve. JPEG compresses all test images as
        one mosaic, so its header is paid once (see :func:`aekit.applications.imaging.jpeg`).

    ``result(lam)``: on the test images, the autoencoder's rate ``bits_per_pixel``: the size
    of the real file :meth:`aekit.models.RateDistortionAutoencoder.compress` writes (all test
    codes in one LZMA file, headers included), in bits divided by the number of pixels;
    ``ideal_bits_per_pixel``: the code length ``-log2 P(code)`` under the learned prior, what
    an arithmetic coder using that prior would approach; the PSNR (dB, of the decoded file)
    and the squared error per image.
    """

    controls = {"lam": Control(
        "error weight (lam)",
        "lam: the autoencoder minimises bits + lam * squared error; a larger lam buys sharper "
        "images with more bits (the rate's weight is 1/lam)")}
    title = "Lossy compression: rate-distortion autoencoder against JPEG"

    def __init__(self, dataset: Dataset, lams: Sequence[float] = (3, 10, 30, 100, 300, 1000),
                 code_dim: int = 32, hidden_dims: Sequence[int] = (128,), epochs: int = 60,
                 lr: float = 3e-3, batch_size: int = 128, n_train: int | None = None,
                 qualities: Sequence[int] = (1, 5, 10, 20, 30, 50, 70, 90), seed: int | None = None) -> None:
        if dataset.X_train.dim() != 2 or len(dataset.image_shape) != 2:
            raise ValueError(f"the compression explorer needs images; {dataset.name!r} has shape "
                             f"{dataset.image_shape}")
        if not lams or min(lams) <= 0:
            raise ValueError(f"lams must list weights > 0, got {lams!r}")
        super().__init__(dataset, {"lam": sorted(lams)}, epochs=epochs, lr=lr,
                         batch_size=batch_size, n_train=n_train, seed=seed)
        self.lams = self.options["lam"]
        self.code_dim, self.hidden_dims = code_dim, tuple(hidden_dims)
        self.qualities = tuple(sorted(qualities))
        self.jpegs = SettingCache(lambda quality: jpeg(dataset.X_test, dataset.image_shape, quality))
        self._jpeg_curve: list[dict[str, float]] | None = None

    def _train(self, lam: float) -> RateDistortionAutoencoder:
        model = self.build(RateDistortionAutoencoder, self.dataset.input_dim, self.code_dim,
                           hidden_dims=self.hidden_dims, lam=lam)
        return self.train(model)

    def _result(self, lam: float) -> dict[str, float]:
        model, X = self.model(lam), self.dataset.X_test
        data = model.compress(X)
        X_hat = model.decompress(data).cpu()
        pixels = len(X) * self.dataset.input_dim
        return {"bits_per_pixel": 8.0 * len(data) / pixels,
                "ideal_bits_per_pixel": model.bits_per_image(X) / self.dataset.input_dim,
                "psnr": psnr(X, X_hat), "error": float(((X_hat - X) ** 2).sum(1).mean())}

    def jpeg_curve(self) -> list[dict[str, float]]:
        """JPEG's points on the test images, one per quality (computed once)."""
        if self._jpeg_curve is None:
            self._jpeg_curve = jpeg_curve(self.dataset.X_test, self.dataset.image_shape,
                                          self.qualities)
        return self._jpeg_curve

    def jpeg_psnr_at(self, bits_per_pixel: float) -> float:
        """JPEG's PSNR at this rate, interpolated along its curve; NaN outside JPEG's range
        (JPEG cannot spend fewer bits than at quality 1)."""
        curve = self.jpeg_curve()
        rates = np.array([p["bits_per_pixel"] for p in curve])
        values = np.array([p["psnr"] for p in curve])
        order = np.argsort(rates)
        return float(np.interp(bits_per_pixel, rates[order], values[order], left=np.nan,
                               right=np.nan))

    def jpeg_rate_at(self, psnr_db: float) -> float:
        """The bits per pixel JPEG needs for this PSNR, interpolated along its curve; NaN
        outside the PSNRs its qualities reach."""
        curve = sorted(self.jpeg_curve(), key=lambda p: p["psnr"])
        return float(np.interp(psnr_db, [p["psnr"] for p in curve],
                               [p["bits_per_pixel"] for p in curve], left=np.nan, right=np.nan))

    def nearest_quality(self, bits_per_pixel: float) -> int:
        """The JPEG quality whose rate is closest to ``bits_per_pixel``."""
        curve = self.jpeg_curve()
        best = min(curve, key=lambda p: abs(p["bits_per_pixel"] - bits_per_pixel))
        return int(best["quality"])

    def render(self, lam: float, n_images: int = 8) -> Figure:
        """The rate-distortion plane (JPEG's curve, the autoencoders tried so far) beside
        test images, the autoencoder's version and JPEG's at the nearest rate."""
        point = self.result(lam)
        quality = self.nearest_quality(point["bits_per_pixel"])
        X_jpeg, bpp_jpeg = self.jpegs.get(quality=quality)
        X = self.dataset.X_test[:n_images]
        fig = Figure(figsize=(11, 3.9))
        left, right = fig.subfigures(1, 2, width_ratios=[1, 1.5])

        ax = left.subplots()
        curve = self.jpeg_curve()
        ax.plot([p["bits_per_pixel"] for p in curve], [p["psnr"] for p in curve], marker="s",
                color="tab:orange", label="JPEG (quality 1 to 90)")
        tried = [t["lam"] for t in self.tried]
        ax.plot([self.result(t)["bits_per_pixel"] for t in tried],
                [self.result(t)["psnr"] for t in tried], marker="o", color="tab:blue",
                label="autoencoder (lams tried)")
        ax.plot([point["bits_per_pixel"]], [point["psnr"]], marker="o", markersize=11,
                markerfacecolor="none", markeredgecolor="black", mew=2)
        ax.set_xscale("log")
        # plain labels at a few round rates (the default 2x10^0, 3x10^0, ... labels collide)
        ticks = [t for t in (0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10)
                 if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
        ax.xaxis.set_major_locator(FixedLocator(ticks))
        ax.xaxis.set_major_formatter(lambda t, _: f"{t:g}")
        ax.xaxis.set_minor_locator(NullLocator())
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel("bits per pixel, file sizes (log scale)")
        ax.set_ylabel("PSNR (dB)")
        ax.set_title("up and to the left is better", fontsize=9)
        ax.legend(fontsize=8, loc="lower right")
        left.subplots_adjust(left=0.17, bottom=0.16)

        image_rows(right, [X, reconstruct(self.model(lam), X), X_jpeg[:n_images]],
                   ["original", "autoencoder", f"JPEG q={quality}"], self.dataset.image_shape)
        right.suptitle(f"lam = {lam:g}: autoencoder {point['bits_per_pixel']:.2f} bits/pixel, "
                       f"{point['psnr']:.1f} dB; JPEG {bpp_jpeg:.2f} bits/pixel, "
                       f"{psnr(self.dataset.X_test, X_jpeg):.1f} dB", fontsize=9)
        return fig


def compression_explorer(dataset: Dataset, *, study: CompressionStudy | None = None,
                         **settings_and_options) -> Explorer:
    """A slider for the weight of the error against the bits (``lam``) of a rate-distortion
    autoencoder: where it lands beside JPEG's rate-distortion curve, and its pictures.

    One autoencoder per ``lam`` is trained on first use (about a second on digits) and cached.
    Other keywords build the :class:`CompressionStudy`; ``study=`` reuses one.
    """
    return make_explorer(CompressionStudy, dataset, study, settings_and_options)
