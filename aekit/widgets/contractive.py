"""Explorer for contractive autoencoders: how much the code moves when the input moves."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from matplotlib.figure import Figure

from aekit.data import Dataset
from aekit.device import to_model, to_numpy
from aekit.evaluate import encode, reconstruct, reconstruction_error
from aekit.models import Autoencoder
from aekit.penalties import Contractive, jacobian_norm_sq
from aekit.widgets._panels import image_rows
from aekit.widgets.base import Explorer
from aekit.widgets.study import Control, Study, make_explorer

__all__ = ["ContractiveStudy", "contractive_explorer"]


class ContractiveStudy(Study):
    """One sigmoid-code autoencoder per contractive weight, cached, with its sensitivity.

    Parameters
    ----------
    dataset : images to train on (digits trains a setting in about a second).
    contractive_weights : weights of :class:`aekit.penalties.Contractive` offered (0: none).
    code_dim : code units (a one-layer sigmoid encoder, so the penalty has its closed form).
    perturbation_sizes : standard deviations of the small Gaussian input perturbations used to
        measure how far the code moves.
    epochs, lr, batch_size, n_train, seed : the training budget, equal for every weight.

    ``result(contractive_weight)``: per-image Jacobian norms, the mean code displacement per
    perturbation size, the typical distance between the codes of two test images of different
    classes (``code_spread``: the scale that displacement should be read against, since an
    untied decoder can undo any shrinking of the code), and the test squared error.
    ``measure(model)`` gives the same numbers for a model trained outside the study.
    """

    controls = {"contractive_weight": Control(
        "penalty weight (contractive_weight)",
        "contractive_weight: how strongly the squared Jacobian norm of the encoder is penalised")}
    title = "Contractive: a code that barely moves when the input moves"

    def __init__(self, dataset: Dataset,
                 contractive_weights: Sequence[float] = (0.0, 0.03, 0.1, 0.3, 1.0, 3.0),
                 code_dim: int = 16, perturbation_sizes: Sequence[float] = (0.02, 0.05, 0.1, 0.2),
                 epochs: int = 20, lr: float = 3e-2, batch_size: int = 128,
                 n_train: int | None = None, seed: int | None = None) -> None:
        if not contractive_weights or min(contractive_weights) < 0:
            raise ValueError(f"contractive_weights must list weights >= 0, got {contractive_weights!r}")
        if 0.0 not in contractive_weights:
            contractive_weights = (0.0, *contractive_weights)  # the reference without penalty
        super().__init__(dataset, {"contractive_weight": sorted(contractive_weights)},
                         epochs=epochs, lr=lr, batch_size=batch_size, n_train=n_train, seed=seed)
        self.contractive_weights = self.options["contractive_weight"]
        self.code_dim, self.perturbation_sizes = code_dim, tuple(perturbation_sizes)

    def _train(self, contractive_weight: float) -> Autoencoder:
        model = self.build(Autoencoder, self.dataset.input_dim, self.code_dim,
                           code_activation="sigmoid")
        penalties = [Contractive(contractive_weight)] if contractive_weight > 0 else []
        return self.train(model, penalties=penalties)

    def _result(self, contractive_weight: float) -> dict:
        return self.measure(self.model(contractive_weight))

    def measure(self, model: torch.nn.Module) -> dict:
        """The numbers of ``result`` for any encoder with the study's code, such as a control
        trained some other way (weight decay, say): measured on the same test images, with
        the same noise directions, so they compare with every weight's result."""
        X = self.dataset.X_test
        with torch.no_grad():
            jac = jacobian_norm_sq(model, to_model(X, model)).sqrt().cpu()  # (n_test,): ||J_f(x)||_F
        Z = encode(model, X)
        gen = torch.Generator().manual_seed(self.seed + 999)
        noise = torch.randn(X.shape, generator=gen)  # the same directions for every model
        moves = [float((encode(model, X + size * noise) - Z).norm(dim=1).mean())
                 for size in self.perturbation_sizes]
        y = self.dataset.y_test
        different = y[:, None] != y[None, :]                    # (n_test, n_test) pairs
        spread = float(torch.cdist(Z, Z)[different].mean())
        return {"jacobian_norm": jac, "code_moves": moves, "code_spread": spread,
                "error": reconstruction_error(model, X)}

    def state(self):
        return None  # a picture depends on its own weight and the unpenalised model only

    def render(self, contractive_weight: float, n_images: int = 5) -> Figure:
        """Reconstructions, the Jacobian norm histogram and how far codes move, against the
        same autoencoder trained without the penalty."""
        mine, ref = self.result(contractive_weight), self.result(0.0)
        fig = Figure(figsize=(12, 3.6))
        recon_fig, jac_fig, move_fig = fig.subfigures(1, 3, width_ratios=[1.1, 1, 1])
        X = self.dataset.X_test[:n_images]
        image_rows(recon_fig, [X, reconstruct(self.model(contractive_weight), X)],
                   ["input", "output"], self.dataset.image_shape)
        recon_fig.suptitle(f"contractive weight {contractive_weight:g}: test error "
                           f"{mine['error']:.2f} (no penalty: {ref['error']:.2f})", fontsize=9)
        ax = jac_fig.subplots()
        top = float(max(mine["jacobian_norm"].max(), ref["jacobian_norm"].max()))
        bins = np.linspace(0, top, 30)
        ax.hist(to_numpy(ref["jacobian_norm"]), bins=bins, alpha=0.5, color="0.5", label="no penalty")
        ax.hist(to_numpy(mine["jacobian_norm"]), bins=bins, alpha=0.7, color="tab:blue",
                label=f"weight {contractive_weight:g}")
        ax.set_xlabel("||J_f(x)||_F per test image")
        ax.set_ylabel("images")
        ax.set_title(f"mean Jacobian norm {float(mine['jacobian_norm'].mean()):.3f}", fontsize=9)
        ax.legend(fontsize=8)
        jac_fig.subplots_adjust(left=0.18, bottom=0.2)
        ax = move_fig.subplots()
        ax.plot(self.perturbation_sizes, ref["code_moves"], "o-", color="0.5", label="no penalty")
        ax.plot(self.perturbation_sizes, mine["code_moves"], "s-", color="tab:blue",
                label=f"weight {contractive_weight:g}")
        ax.set_xlabel("input noise (std per pixel)")
        ax.set_ylabel("mean ||f(x + noise) - f(x)||")
        ax.set_title("how far the code moves", fontsize=9)
        ax.legend(fontsize=8)
        move_fig.subplots_adjust(left=0.2, bottom=0.2)
        return fig


def contractive_explorer(dataset: Dataset, *, study: ContractiveStudy | None = None,
                         **settings_and_options) -> Explorer:
    """A slider for the contractive penalty weight (``contractive_weight``): reconstructions,
    the encoder's Jacobian norm and how far codes move under small input noise, against the
    same autoencoder trained without the penalty.

    One model per weight is trained on first use (about a second on digits) and cached.
    Other keywords build the :class:`ContractiveStudy`; ``study=`` reuses one.
    """
    return make_explorer(ContractiveStudy, dataset, study, settings_and_options)
