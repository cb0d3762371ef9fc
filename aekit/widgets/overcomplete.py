"""Explorer for lesson 03: a wide hidden layer learns to copy; dropout on it holds that back."""
from __future__ import annotations

from typing import Sequence

import torch
from matplotlib.figure import Figure

from aekit.data import Dataset
from aekit.evaluate import encode, reconstruct, reconstruction_error
from aekit.models import Autoencoder
from aekit.checks import as_tensor
from aekit.widgets._panels import image_rows
from aekit.widgets.base import Explorer
from aekit.widgets.study import Control, Study, make_explorer

__all__ = ["OvercompleteStudy", "overcomplete_explorer", "noise_pass_through"]


def noise_pass_through(model: torch.nn.Module, X, noise_std: float = 0.15,
                       seed: int = 0) -> float:
    """How much of a small random change of the input comes out of the autoencoder.

    ``mean ||r(x + e) - r(x)||^2 / mean ||e||^2`` with ``r`` the reconstruction and ``e``
    Gaussian noise of standard deviation ``noise_std`` per pixel. The identity map (a network
    that copies) scores 1; a network that always outputs the same image scores 0; a network
    that has learned what the data look like lets through only changes the data can make.

    Parameters
    ----------
    model : a trained autoencoder (used in eval mode).
    X : inputs ``(n, input_dim)``.
    noise_std : standard deviation of the added noise, > 0.
    seed : seed of the noise, so that models are compared on the same changes.

    Returns
    -------
    float
    """
    X = as_tensor(X)
    if len(X) == 0:
        raise ValueError("X is empty: pass at least one input")
    if not noise_std > 0:
        raise ValueError(f"noise_std must be a positive standard deviation, got {noise_std!r}")
    gen = torch.Generator().manual_seed(seed)
    noise = noise_std * torch.randn(X.shape, generator=gen)  # (n, input_dim)
    moved = reconstruct(model, X + noise) - reconstruct(model, X)
    return float(moved.pow(2).sum(1).mean() / noise.pow(2).sum(1).mean())


class OvercompleteStudy(Study):
    """One shallow autoencoder (ReLU hidden layer) per hidden size and dropout rate, cached.

    Parameters
    ----------
    dataset : images to train on (digits trains a setting in about a second).
    code_dims : hidden sizes offered; sizes above ``dataset.input_dim`` are overcomplete.
    dropouts : dropout rates on the hidden layer offered (0: none).
    noise_std : size of the random input changes used by :func:`noise_pass_through`.
    epochs, lr, batch_size, n_train, seed : the training budget, equal for every setting.

    ``result(code_dim, dropout)``: test error, the fraction of input noise that passes
    through, and the hidden units that fire for at least one test image; ``curve(dropout)``
    the first two for every hidden size.
    """

    controls = {
        "code_dim": Control("hidden size (code_dim)",
                            "code_dim: units in the hidden layer; above the input size the "
                            "autoencoder is overcomplete"),
        "dropout": Control("dropout (dropout)",
                           "dropout: probability that each hidden unit is zeroed in a training step")}
    title = "Overcomplete: does the network learn digits, or learn to copy?"

    def __init__(self, dataset: Dataset, code_dims: Sequence[int] = (16, 32, 64, 128, 256),
                 dropouts: Sequence[float] = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5), noise_std: float = 0.15,
                 epochs: int = 20, lr: float = 5e-3, batch_size: int = 128,
                 n_train: int | None = None, seed: int | None = None) -> None:
        if not code_dims or any(not isinstance(k, int) or k < 1 for k in code_dims):
            raise ValueError(f"code_dims must list positive hidden sizes, got {code_dims!r}")
        if not dropouts or any(not 0.0 <= p < 1.0 for p in dropouts):
            raise ValueError(f"dropouts must list probabilities in [0, 1), got {dropouts!r}")
        if not noise_std > 0:
            raise ValueError(f"noise_std must be positive, got {noise_std!r}")
        super().__init__(dataset, {"code_dim": sorted(code_dims), "dropout": sorted(dropouts)},
                         epochs=epochs, lr=lr, batch_size=batch_size, n_train=n_train, seed=seed)
        self.code_dims, self.dropouts = self.options["code_dim"], self.options["dropout"]
        self.noise_std = float(noise_std)

    def start(self, name: str):
        if name == "dropout":
            return self.dropouts[0]
        wide = [k for k in self.code_dims if k > self.dataset.input_dim]
        return wide[0] if wide else self.code_dims[-1]

    def _train(self, code_dim: int, dropout: float) -> Autoencoder:
        model = self.build(Autoencoder, self.dataset.input_dim, code_dim, code_activation="relu",
                           dropout=dropout)
        return self.train(model)

    def _result(self, code_dim: int, dropout: float) -> dict[str, float]:
        model = self.model(code_dim, dropout)
        X = self.dataset.X_test
        Z = encode(model, X)  # (n_test, code_dim)
        return {"error": reconstruction_error(model, X),
                "pass_through": noise_pass_through(model, X, self.noise_std, self.seed + 7),
                "units used": int((Z > 0).any(0).sum())}

    def copying_ceiling(self) -> float:
        """The pass-through of the clipped copier ``r(x) = clip(x, 0, 1)`` on the test images,
        with the noise :meth:`result` uses: the most a network with outputs in [0, 1] can pass."""
        X = self.dataset.X_test
        gen = torch.Generator().manual_seed(self.seed + 7)  # the noise of noise_pass_through
        noise = self.noise_std * torch.randn(X.shape, generator=gen)
        return float(((X + noise).clamp(0, 1) - X).pow(2).sum(1).mean() / noise.pow(2).sum(1).mean())

    def curve(self, dropout: float) -> dict[str, list[float]]:
        """Test error and noise pass-through for every hidden size at one dropout rate."""
        rows = [self.result(k, dropout) for k in self.code_dims]
        return {"error": [r["error"] for r in rows],
                "pass_through": [r["pass_through"] for r in rows]}

    def state(self):
        return None  # a render computes the curves it draws in full: it depends on its setting only

    def render(self, code_dim: int, dropout: float, n_images: int = 8) -> Figure:
        """Noisy test digits and what comes out, beside the test error and the noise
        pass-through against the hidden size (without dropout, and at this dropout rate)."""
        model = self.model(code_dim, dropout)
        s = self.result(code_dim, dropout)
        X = self.dataset.X_test[:n_images]
        gen = torch.Generator().manual_seed(self.seed + 7)
        X_noisy = X + self.noise_std * torch.randn(X.shape, generator=gen)
        fig = Figure(figsize=(12, 3.6))
        left, mid, right = fig.subfigures(1, 3, width_ratios=[1.3, 1, 1])
        image_rows(left, [X, X_noisy.clamp(0, 1), reconstruct(model, X_noisy)],
                   ["test digit", "+ noise", "output"], self.dataset.image_shape)
        d = self.dataset.input_dim
        size = "overcomplete" if code_dim > d else ("complete" if code_dim == d else "undercomplete")
        left.suptitle(f"{code_dim} hidden units ({size}), dropout {dropout:g}\n"
                      f"test error {s['error']:.2f}; {s['pass_through']:.0%} of the added "
                      f"noise comes out", fontsize=10)
        lines = {0.0: self.curve(0.0)}
        if dropout != 0.0:
            lines[dropout] = self.curve(dropout)
        for sub, key, label in ((mid, "error", "squared error per test image"),
                                (right, "pass_through", "share of input noise in the output")):
            ax = sub.subplots()
            for p, values in lines.items():
                ax.plot(self.code_dims, values[key], "o-", color="0.55" if p == 0.0 else "tab:blue",
                        label=f"dropout {p:g}")
            ax.axvline(code_dim, color="tab:orange", ls=":", lw=1.5)
            # shaded: overcomplete (more hidden units than inputs; exactly d is "complete")
            ax.axvspan(d * 2 ** 0.25, max(self.code_dims) * 1.2, color="0.93", zorder=0)
            ax.set_xscale("log", base=2)
            ax.set_xticks(list(self.code_dims), [str(k) for k in self.code_dims])
            ax.set_xlim(min(self.code_dims) / 1.2, max(self.code_dims) * 1.2)
            ax.set_xlabel("hidden size (shaded: overcomplete)", fontsize=9)
            ax.set_title(label, fontsize=9)
            if key == "pass_through":
                ceiling = self.copying_ceiling()
                ax.axhline(ceiling, color="k", ls="--", lw=1, label="copying ceiling")
                ax.set_ylim(0, max(ceiling, max(max(v[key]) for v in lines.values())) * 1.15)
            ax.legend(fontsize=8)
            sub.subplots_adjust(left=0.16, bottom=0.2, right=0.95)
        return fig


def overcomplete_explorer(dataset: Dataset, *, study: OvercompleteStudy | None = None,
                          **settings_and_options) -> Explorer:
    """Sliders for the hidden size (``code_dim``) and the dropout rate on the hidden layer
    (``dropout``): noisy test images, what comes out, how much of the noise passes through,
    against the hidden size, for a shallow autoencoder.

    One model per setting is trained on first use (about a second on digits) and cached.
    Other keywords build the :class:`OvercompleteStudy`; ``study=`` reuses one.
    """
    return make_explorer(OvercompleteStudy, dataset, study, settings_and_options)
