"""Explorer for lesson 07: a 2-D variational autoencoder, its latent map and the weight beta."""
from __future__ import annotations

from typing import Sequence

import matplotlib
import numpy as np
import torch
from matplotlib.figure import Figure

from aekit.data import Dataset
from aekit.device import make_generator, noise_from, to_model, to_numpy
from aekit.evaluate import encode, reconstruction_error
from aekit.models import VAE
from aekit.models.vae import gaussian_kl
from aekit.plot import mosaic
from aekit.widgets.base import Explorer, SettingCache
from aekit.widgets.study import Control, Study, make_explorer

__all__ = ["VAEStudy", "vae_explorer"]


class VAEStudy(Study):
    """One VAE with a 2-D code per value of beta (trained on first use, cached).

    Parameters
    ----------
    dataset : images to train on (digits: about a second per beta).
    betas : weights of the KL term offered (1 is the plain VAE).
    hidden_dims, likelihood : passed to :class:`aekit.models.VAE`.
    epochs, lr, batch_size, n_train, seed : the training budget, equal for every beta.
    grid : points per side of the decoded latent lattice; ``extent``: it spans
        ``[-extent, extent]`` on both axes (95% of the 2-D prior N(0, I) lies within a radius
        of 2.45 of the origin); the z1 and z2 controls go a little further, in steps of 0.25.

    The models and ``result(beta)`` (test negative ELBO in nats per image at beta = 1, its
    KL part, and the squared error) depend on beta only; z1 and z2 choose the point decoded.
    """

    controls = {
        "beta": Control("beta (KL weight)",
                        "beta: weight of the KL term; larger pulls the codes towards the prior "
                        "N(0, I)"),
        "z1": Control("z1", "z1: a coordinate of the point in the 2-D latent space that is decoded"),
        "z2": Control("z2", "z2: a coordinate of the point in the 2-D latent space that is decoded"),
    }
    title = "A variational autoencoder's latent space"

    def __init__(self, dataset: Dataset, betas: Sequence[float] = (0.5, 1.0, 2.0, 4.0),
                 hidden_dims: Sequence[int] = (64,), likelihood: str = "bernoulli",
                 epochs: int = 30, lr: float = 3e-3, batch_size: int = 128,
                 n_train: int | None = None, seed: int | None = None, grid: int = 9,
                 extent: float = 2.5) -> None:
        if not betas or min(betas) < 0:
            raise ValueError(f"betas must list weights >= 0, got {betas!r}")
        if dataset.X_train.dim() != 2 or len(dataset.image_shape) != 2:
            raise ValueError(f"the VAE explorer shows images; {dataset.name!r} has shape "
                             f"{dataset.image_shape}")
        lim = float(extent) + 0.5
        steps = np.round(np.arange(-lim, lim + 1e-9, 0.25), 2).tolist()
        super().__init__(dataset, {"beta": sorted(betas), "z1": steps, "z2": steps},
                         epochs=epochs, lr=lr, batch_size=batch_size, n_train=n_train, seed=seed)
        self.betas = self.options["beta"]
        self.hidden_dims, self.likelihood = tuple(hidden_dims), likelihood
        self.grid, self.extent = grid, float(extent)
        self.codes = SettingCache(lambda beta: encode(self.model(beta), dataset.X_test))
        self.lattices = SettingCache(self._lattice)

    def _train(self, beta: float) -> VAE:
        model = self.build(VAE, self.dataset.input_dim, 2, hidden_dims=self.hidden_dims,
                           likelihood=self.likelihood, beta=beta)
        return self.train(model)

    def start(self, name: str):
        if name == "beta":
            return 1.0 if 1.0 in self.betas else self.betas[0]
        return 0.0

    def model(self, beta: float) -> VAE:
        """The trained VAE for ``beta`` (one of ``betas``)."""
        return self.models.get(beta=self._beta(beta))

    def result(self, beta: float) -> dict[str, float]:
        """Test negative ELBO (nats per image, beta = 1), its KL part, and the squared error."""
        return self.results.get(beta=self._beta(beta))

    def _beta(self, beta: float) -> float:
        if beta not in self.betas:
            raise ValueError(f"beta must be one of {self.betas}, got {beta!r}")
        return beta

    def state(self):
        return None  # a picture depends on its own setting only

    def prepare(self, beta: float, z1: float = 0.0, z2: float = 0.0) -> None:
        """What a picture at ``beta`` needs: the model, its numbers, codes and lattice (the
        point decoded, z1 and z2, costs nothing)."""
        self.result(beta)
        self.codes.get(beta=self._beta(beta))
        self.lattices.get(beta=self._beta(beta))

    def _result(self, beta: float) -> dict[str, float]:
        model = self.model(beta)
        X = to_model(self.dataset.X_test, model)
        with torch.no_grad():
            kl = gaussian_kl(*model.posterior(X)).mean()
        # the ELBO is a Monte Carlo estimate: its samples come from a seeded generator
        with noise_from(make_generator(self.seed)):
            negative_elbo = model.negative_elbo(X, n_samples=10)
        return {"negative ELBO": negative_elbo, "kl": float(kl),
                "error": reconstruction_error(model, X)}

    def _lattice(self, beta: float) -> np.ndarray:
        ticks = torch.linspace(-self.extent, self.extent, self.grid)
        z1, z2 = torch.meshgrid(ticks, -ticks, indexing="xy")  # z2 grows upwards
        Z = torch.stack([z1.flatten(), z2.flatten()], 1)  # (grid*grid, 2)
        model = self.model(beta).eval()
        with torch.no_grad():
            images = to_numpy(model.decode(to_model(Z, model)))
        return mosaic(images.reshape(len(Z), *self.dataset.image_shape), self.grid)

    def decode_point(self, beta: float, z1: float, z2: float) -> np.ndarray:
        """The image the decoder draws at latent point (z1, z2)."""
        model = self.model(beta).eval()
        with torch.no_grad():
            image = model.decode(to_model([[float(z1), float(z2)]], model))
        return to_numpy(image).reshape(self.dataset.image_shape)

    def render(self, beta: float, z1: float, z2: float) -> Figure:
        """The image decoded at (z1, z2), the test images' codes, and the decoded lattice."""
        codes = to_numpy(self.codes.get(beta=beta))  # (n_test, 2) posterior means
        s = self.result(beta)
        fig = Figure(figsize=(12, 4.1))
        point_fig, map_fig, lattice_fig = fig.subfigures(1, 3, width_ratios=[0.75, 1.15, 1])
        ax = point_fig.subplots()
        ax.imshow(self.decode_point(beta, z1, z2), cmap="gray_r", vmin=0, vmax=1)
        ax.set_axis_off()
        ax.set_title(f"decoded at z = ({z1:.2f}, {z2:.2f})", fontsize=9)

        ax = map_fig.subplots()
        labels = to_numpy(self.dataset.y_test)
        points = ax.scatter(codes[:, 0], codes[:, 1], c=labels, cmap="aekit_classes", s=7, vmin=-0.5,
                            vmax=9.5)
        ax.plot([z1], [z2], marker="x", color="black", markersize=12, mew=2.5)
        # 95% of a 2-D standard normal lies within sqrt(-2 ln 0.05) = 2.45 of the origin
        ax.add_patch(matplotlib.patches.Circle((0, 0), np.sqrt(-2 * np.log(0.05)), fill=False,
                                               ls=":", color="grey"))
        lim = self.extent + 0.5
        ax.set(xlim=(-lim, lim), ylim=(-lim, lim), xlabel="z1", ylabel="z2", aspect="equal")
        cbar = map_fig.colorbar(points, ax=ax, ticks=range(len(self.dataset.classes[:10])))
        cbar.ax.set_yticklabels(self.dataset.classes[:10], fontsize=9)
        ax.set_title(f"beta = {beta:g}: codes of the test images (circle: 95% of the prior)\n"
                     f"-ELBO {s['negative ELBO']:.1f} nats = reconstruction "
                     f"{s['negative ELBO'] - s['kl']:.1f} + KL {s['kl']:.1f}", fontsize=9)

        ax = lattice_fig.subplots()
        colours = matplotlib.colormaps["gray_r"].with_extremes(bad="white")
        ax.imshow(self.lattices.get(beta=beta), cmap=colours, vmin=0, vmax=1,
                  interpolation="nearest")
        h, w = self.dataset.image_shape
        step = (2 * self.extent) / (self.grid - 1)
        col = (z1 + self.extent) / step * (w + 1) + (w - 1) / 2
        row = (self.extent - z2) / step * (h + 1) + (h - 1) / 2
        ax.plot([col], [row], marker="x", color="red", markersize=12, mew=2.5)
        # axes in z: a tick at the centre of every other image of the lattice
        values = np.linspace(-self.extent, self.extent, self.grid)
        shown = range(0, self.grid, 2)
        ax.set_xticks([i * (w + 1) + (w - 1) / 2 for i in shown],
                      [f"{values[i]:g}" for i in shown], fontsize=7)
        ax.set_yticks([i * (h + 1) + (h - 1) / 2 for i in shown],
                      [f"{values[::-1][i]:g}" for i in shown], fontsize=7)
        ax.set_xlabel("z1", fontsize=8)
        ax.set_ylabel("z2", fontsize=8)
        ax.tick_params(length=2)
        ax.set_title(f"decoded on a {self.grid}x{self.grid} grid, z from -{self.extent:g} "
                     f"to {self.extent:g}", fontsize=9)
        return fig


def vae_explorer(dataset: Dataset, *, study: VAEStudy | None = None,
                 **settings_and_options) -> Explorer:
    """Sliders for beta (``beta``) and a latent point (``z1``, ``z2``) of a 2-D VAE: the image
    decoded there, where the test images' codes lie, and the decoded latent lattice.

    One VAE per beta is trained on first use (about a second on digits) and cached; moving
    z1 or z2 only decodes one point. Other keywords build the :class:`VAEStudy`; ``study=``
    reuses one.
    """
    return make_explorer(VAEStudy, dataset, study, settings_and_options)
