"""Restricted Boltzmann machines and the greedy pretraining of deep autoencoders.

Hinton & Salakhutdinov (2006) trained a deep autoencoder in three stages: a stack of RBMs,
each learning the hidden probabilities of the one below (:func:`pretrain_stack`); the stack
*unrolled* into an encoder and a mirrored decoder (:func:`unroll`); and the whole network
fine-tuned with back-propagation (:func:`aekit.fit`, cross-entropy). The same network trained
from a random start (:func:`deep_autoencoder`) or pretrained with shallow autoencoders
(:func:`pretrain_autoencoder_stack`) gives the two schemes it is compared with;
:func:`train_deep_autoencoder` runs any of the three with one budget.

The RBM has binary (Bernoulli) visible units ``v`` and either binary hidden units or, for the
code layer, linear hidden units with unit-variance Gaussian noise. Its energy is

    bernoulli hidden: E(v, h) = -v.b - h.c - v W h
    gaussian hidden:  E(v, h) = -v.b + |h - c|^2 / 2 - v W h

with ``W`` of shape ``(n_visible, n_hidden)``, visible biases ``b`` and hidden biases ``c``.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Sequence

import torch
from torch import nn
from torch.nn import functional as F

from aekit.device import (as_tensor, get_device, make_generator, rand, rand_like, randn_like,
                          resolve_seed, seeded)
from aekit.models import Autoencoder
from aekit.train import History, TrainingDiverged, fit

__all__ = [
    "RBM",
    "CDStatistics",
    "RBMHistory",
    "fit_rbm",
    "pretrain_stack",
    "pretrain_autoencoder_stack",
    "unroll",
    "deep_autoencoder",
    "train_deep_autoencoder",
    "DeepAutoencoderRun",
]

_HIDDEN = ("bernoulli", "gaussian")


def _check_size(value, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{what} must be a positive integer, got {value!r}")
    return value


def _check_unit_interval(X: torch.Tensor, what: str) -> None:
    if len(X) and (float(X.min()) < 0 or float(X.max()) > 1):
        raise ValueError(f"{what} must hold values in [0, 1] (binary units or their probabilities), "
                         f"but ranges over [{float(X.min()):.3g}, {float(X.max()):.3g}]; "
                         f"scale it to [0, 1] first")


@dataclass
class CDStatistics:
    """One contrastive-divergence estimate on a batch (see :meth:`RBM.contrastive_divergence`).

    ``dW``, ``d_visible_bias`` and ``d_hidden_bias`` are the positive minus the negative
    statistics averaged over the batch (the direction that raises the data's likelihood);
    ``H_pos`` are the hidden means given the data, ``V_neg`` the reconstruction (visible
    probabilities) and ``H_neg`` the hidden means given ``V_neg``.
    """

    dW: torch.Tensor               # (n_visible, n_hidden)
    d_visible_bias: torch.Tensor   # (n_visible,)
    d_hidden_bias: torch.Tensor    # (n_hidden,)
    H_pos: torch.Tensor            # (batch, n_hidden)
    V_neg: torch.Tensor            # (batch, n_visible)
    H_neg: torch.Tensor            # (batch, n_hidden)


@dataclass
class RBMHistory:
    """What happened while training an RBM, one entry per completed epoch.

    ``reconstruction_error``: squared error between the data and its one-step reconstruction
    (the negative phase), summed over visible units and averaged over examples.
    ``free_energy``: mean free energy of the training batches, taken before each update;
    ``val_free_energy``: mean free energy of ``X_val`` at the end of the epoch. A growing gap
    between the two means the RBM is overfitting (Hinton's practical guide).
    """

    reconstruction_error: list[float] = field(default_factory=list)
    free_energy: list[float] = field(default_factory=list)
    val_free_energy: list[float] = field(default_factory=list)
    epoch_seconds: list[float] = field(default_factory=list)
    stopped: str | None = None

    @property
    def epochs(self) -> int:
        return len(self.reconstruction_error)

    @property
    def seconds(self) -> float:
        return float(sum(self.epoch_seconds))

    def __repr__(self) -> str:
        if not self.reconstruction_error:
            return "RBMHistory(no completed epoch)"
        return (f"RBMHistory({self.epochs} epochs in {self.seconds:.1f} s; reconstruction error "
                f"{self.reconstruction_error[-1]:.3f}, free energy {self.free_energy[-1]:.3f})")


class RBM(nn.Module):
    """A restricted Boltzmann machine with binary visible units.

    Parameters
    ----------
    n_visible, n_hidden : numbers of visible and hidden units.
    hidden : "bernoulli" (binary hidden units, probability ``sigmoid(v W + c)``) or
        "gaussian" (linear hidden units ``h = v W + c + N(0, 1)``, the code layer of
        Hinton & Salakhutdinov 2006).
    weight_scale : the weights start as ``weight_scale * randn`` (0.1 in the paper's code),
        biases at zero.
    seed : seed of the initial weights (None uses torch's global generator).

    Examples
    --------
    >>> rbm = RBM(64, 32)
    >>> history = rbm.fit(torch.rand(100, 64).round(), epochs=2, progress=False)
    >>> rbm.transform(torch.rand(5, 64)).shape
    torch.Size([5, 32])
    """

    def __init__(self, n_visible: int, n_hidden: int, hidden: str = "bernoulli",
                 weight_scale: float = 0.1, seed: int | None = None) -> None:
        super().__init__()
        _check_size(n_visible, "n_visible")
        _check_size(n_hidden, "n_hidden")
        if hidden not in _HIDDEN:
            raise ValueError(f"hidden must be 'bernoulli' or 'gaussian', got {hidden!r}")
        self.n_visible, self.n_hidden, self.hidden = n_visible, n_hidden, hidden
        gen = None
        if seed is not None:
            gen = torch.Generator().manual_seed(seed)
        self.W = nn.Parameter(weight_scale * torch.randn(n_visible, n_hidden, generator=gen))
        self.visible_bias = nn.Parameter(torch.zeros(n_visible))
        self.hidden_bias = nn.Parameter(torch.zeros(n_hidden))

    # ------------------------------------------------------------ conditionals
    def _check(self, X, what: str, dim: int) -> torch.Tensor:
        X = as_tensor(X, what).to(self.W.device)
        if X.dim() != 2 or X.shape[1] != dim:
            raise ValueError(f"{what} must have shape (batch, {dim}) for this "
                             f"{self.n_visible}-{self.n_hidden} RBM, got {tuple(X.shape)}")
        return X

    def _hidden_mean(self, V: torch.Tensor) -> torch.Tensor:
        pre = V @ self.W + self.hidden_bias  # (batch, n_hidden)
        return pre if self.hidden == "gaussian" else torch.sigmoid(pre)

    def _visible_mean(self, H: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(H @ self.W.t() + self.visible_bias)  # (batch, n_visible)

    def _sample_hidden_from_mean(self, mean: torch.Tensor, generator) -> torch.Tensor:
        if self.hidden == "gaussian":
            return mean + randn_like(mean, generator)
        return (rand_like(mean, generator) < mean).to(mean.dtype)

    @torch.no_grad()
    def transform(self, V) -> torch.Tensor:
        """Hidden means given visible ``V`` ``(batch, n_visible)``: the features, ``(batch, n_hidden)``.

        Probabilities ``sigmoid(V W + c)`` for binary hidden units; ``V W + c`` for Gaussian ones.
        """
        return self._hidden_mean(self._check(V, "V", self.n_visible))

    @torch.no_grad()
    def visible_probabilities(self, H) -> torch.Tensor:
        """Probabilities of the visible units given hidden states ``H``: ``sigmoid(H W^T + b)``."""
        return self._visible_mean(self._check(H, "H", self.n_hidden))

    @torch.no_grad()
    def sample_hidden(self, V, generator: torch.Generator | None = None) -> torch.Tensor:
        """Draw hidden states given visible ``V``: binary, or the mean plus N(0, 1) noise."""
        return self._sample_hidden_from_mean(self.transform(V), generator)

    @torch.no_grad()
    def sample_visible(self, H, generator: torch.Generator | None = None) -> torch.Tensor:
        """Draw binary visible states given hidden states ``H``."""
        P = self.visible_probabilities(H)
        return (rand_like(P, generator) < P).to(P.dtype)

    @torch.no_grad()
    def reconstruct(self, V) -> torch.Tensor:
        """Mean-field reconstruction: visible probabilities given the hidden means of ``V``."""
        return self._visible_mean(self.transform(V))

    # ------------------------------------------------------------ energies
    def free_energy(self, V) -> torch.Tensor:
        """Free energy ``F(v) = -log sum_h exp(-E(v, h))`` of each row of ``V``: shape ``(batch,)``.

        Bernoulli hidden: ``-v.b - sum_j softplus(c_j + v W_j)``. Gaussian hidden (the integral
        over h): ``-v.b - sum_j ((c_j + v W_j)^2 - c_j^2) / 2 - (n_hidden / 2) log(2 pi)``.
        ``p(v)`` is proportional to ``exp(-F(v))``.
        """
        V = self._check(V, "V", self.n_visible)
        pre = V @ self.W + self.hidden_bias  # (batch, n_hidden)
        return self._free_energy(V, pre)

    def _free_energy(self, V: torch.Tensor, pre: torch.Tensor) -> torch.Tensor:
        visible_term = V @ self.visible_bias  # (batch,)
        if self.hidden == "gaussian":
            hidden_term = 0.5 * (pre.pow(2) - self.hidden_bias.pow(2)).sum(1)
            hidden_term = hidden_term + 0.5 * self.n_hidden * math.log(2 * math.pi)
        else:
            hidden_term = F.softplus(pre).sum(1)
        return -visible_term - hidden_term

    def energy(self, V, H) -> torch.Tensor:
        """Energy ``E(v, h)`` of each pair of rows of ``V`` and ``H``: shape ``(batch,)``."""
        V = self._check(V, "V", self.n_visible)
        H = self._check(H, "H", self.n_hidden)
        interaction = ((V @ self.W) * H).sum(1)
        if self.hidden == "gaussian":
            hidden_term = -0.5 * (H - self.hidden_bias).pow(2).sum(1)
        else:
            hidden_term = H @ self.hidden_bias
        return -V @ self.visible_bias - hidden_term - interaction

    # ------------------------------------------------------------ learning and sampling
    @torch.no_grad()
    def contrastive_divergence(self, V, k: int = 1,
                               generator: torch.Generator | None = None) -> CDStatistics:
        """The CD-k estimate of the log-likelihood gradient on the batch ``V``.

        As in the authors' code: the positive statistics use the hidden means given the data;
        binary (or noisy linear) hidden states are sampled to drive the reconstruction; the
        visible units of the reconstruction are left as probabilities, and the negative
        statistics use them with their hidden means. ``k`` > 1 runs k such up-down steps.
        """
        V = self._check(V, "V", self.n_visible)
        if not isinstance(k, int) or k < 1:
            raise ValueError(f"k (the number of Gibbs steps) must be a positive integer, got {k!r}")
        if len(V) == 0:
            raise ValueError("V is empty: contrastive divergence needs at least one example")
        return self._cd(V, k, generator)[0]

    def _cd(self, V: torch.Tensor, k: int, generator) -> tuple[CDStatistics, torch.Tensor]:
        """CD-k without input checks; also returns the hidden pre-activations of V."""
        n = len(V)
        pre = V @ self.W + self.hidden_bias  # (batch, n_hidden)
        H_pos = pre if self.hidden == "gaussian" else torch.sigmoid(pre)
        H = H_pos
        for _ in range(k):
            V_neg = self._visible_mean(self._sample_hidden_from_mean(H, generator))
            H = self._hidden_mean(V_neg)
        stats = CDStatistics(
            dW=(V.t() @ H_pos - V_neg.t() @ H) / n,
            d_visible_bias=(V - V_neg).mean(0),
            d_hidden_bias=(H_pos - H).mean(0),
            H_pos=H_pos, V_neg=V_neg, H_neg=H,
        )
        return stats, pre

    @torch.no_grad()
    def gibbs(self, V, steps: int = 1, generator: torch.Generator | None = None) -> torch.Tensor:
        """Run ``steps`` rounds of block Gibbs sampling from ``V`` (sample h, then sample v).

        Returns the visible *probabilities* of the last round (smoother pictures than the
        binary sample they are drawn from).
        """
        V = self._check(V, "V", self.n_visible)
        if not isinstance(steps, int) or steps < 1:
            raise ValueError(f"steps must be a positive integer, got {steps!r}")
        P = V
        for _ in range(steps):
            P = self._visible_mean(self._sample_hidden_from_mean(self._hidden_mean(V), generator))
            V = (rand_like(P, generator) < P).to(P.dtype)
        return P

    @torch.no_grad()
    def sample(self, n_samples: int, steps: int = 1000, generator: torch.Generator | None = None,
               start=None) -> torch.Tensor:
        """Pictures of what the RBM generates: Gibbs chains from random binary visible states.

        ``start`` (optional, ``(n_samples, n_visible)``) starts the chains there instead, e.g.
        from training images. Returns the visible probabilities after ``steps`` rounds.
        """
        _check_size(n_samples, "n_samples")
        if start is None:
            start = (rand(n_samples, self.n_visible, device=self.W.device,
                          generator=generator) < 0.5).float()
        return self.gibbs(start, steps, generator)

    def fit(self, X, **kwargs) -> RBMHistory:
        """Train with CD-k; see :func:`fit_rbm` for the parameters."""
        return fit_rbm(self, X, **kwargs)

    def extra_repr(self) -> str:
        return f"{self.n_visible}-{self.n_hidden}, hidden={self.hidden}"


def fit_rbm(rbm: RBM, X, *, epochs: int = 10, batch_size: int = 100, lr: float | None = None,
            k: int = 1, momentum: tuple[float, float] = (0.5, 0.9), momentum_switch: int = 5,
            weight_cost: float = 2e-4, X_val=None, progress: bool = True, shuffle: bool = True,
            seed: int | None = None, device: str | torch.device | None = None) -> RBMHistory:
    """Train an RBM with CD-k and momentum, as in Hinton & Salakhutdinov's code.

    Every mini-batch updates ``inc = m * inc + lr * (statistics - weight_cost * W)`` and
    ``W += inc`` (biases the same way, without the weight cost).

    Parameters
    ----------
    rbm : the :class:`RBM` to train (in place).
    X : training data ``(n, n_visible)`` with values in [0, 1].
    epochs, batch_size : passes over X and examples per update (100 in the paper).
    lr : learning rate; default 0.1 for binary hidden units, 0.001 for Gaussian ones.
    k : Gibbs steps per update (CD-1 in the paper).
    momentum, momentum_switch : momentum ``momentum[0]`` for the first ``momentum_switch``
        epochs, then ``momentum[1]`` (0.5 then 0.9 after 5 epochs in the paper).
    weight_cost : L2 weight decay on W (0.0002 in the paper).
    X_val : optional held-out data whose free energy is recorded each epoch.
    progress : show a tqdm progress bar with the reconstruction error.
    shuffle, seed : reshuffle every epoch; seed the shuffling and the sampling.
    device : where to train; default :func:`aekit.get_device`.

    Returns
    -------
    RBMHistory
        Reconstruction error and free energy per epoch. Ctrl-C stops after the current batch.
    """
    if not isinstance(rbm, RBM):
        raise TypeError(f"fit_rbm trains an aekit.rbm.RBM, got {type(rbm).__name__}")
    if not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f"epochs must be a non-negative integer, got {epochs!r}")
    _check_size(batch_size, "batch_size")
    if not isinstance(k, int) or k < 1:
        raise ValueError(f"k (the number of Gibbs steps) must be a positive integer, got {k!r}")
    if lr is None:
        lr = 0.001 if rbm.hidden == "gaussian" else 0.1
    if not lr > 0:
        raise ValueError(f"lr must be positive, got {lr!r}")
    if len(momentum) != 2 or not all(0 <= m < 1 for m in momentum):
        raise ValueError(f"momentum must be two values in [0, 1) (before and after "
                         f"momentum_switch), got {momentum!r}")
    if weight_cost < 0:
        raise ValueError(f"weight_cost must be non-negative, got {weight_cost!r}")
    device = get_device(device) if device is not None else get_device()
    rbm.to(device)
    X = rbm._check(X, "X", rbm.n_visible).to(device)
    if len(X) == 0:
        raise ValueError("X is empty: there is nothing to train on")
    _check_unit_interval(X, "X")
    if X_val is not None:
        X_val = rbm._check(X_val, "X_val", rbm.n_visible).to(device)
        _check_unit_interval(X_val, "X_val")

    seed = resolve_seed(seed)
    sample_gen = make_generator(seed, device)
    shuffle_gen = make_generator(seed + 1)
    increments = [torch.zeros_like(p) for p in (rbm.W, rbm.visible_bias, rbm.hidden_bias)]
    history = RBMHistory()
    n = len(X)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=epochs, desc=f"RBM {rbm.n_visible}-{rbm.n_hidden}", unit="epoch")
    try:
        with torch.no_grad():
            for epoch in range(epochs):
                start = time.perf_counter()
                m = momentum[0] if epoch < momentum_switch else momentum[1]
                saved = [p.detach().clone() for p in (rbm.W, rbm.visible_bias, rbm.hidden_bias)]
                Xs = X[torch.randperm(n, generator=shuffle_gen).to(device)] if shuffle else X
                error = torch.zeros((), device=device)
                energy = torch.zeros((), device=device)
                for lo in range(0, n, batch_size):
                    V = Xs[lo:lo + batch_size]  # (batch, n_visible)
                    stats, pre = rbm._cd(V, k, sample_gen)
                    energy += rbm._free_energy(V, pre).sum()
                    error += (V - stats.V_neg).pow(2).sum()
                    grads = (stats.dW - weight_cost * rbm.W, stats.d_visible_bias,
                             stats.d_hidden_bias)
                    for param, inc, grad in zip((rbm.W, rbm.visible_bias, rbm.hidden_bias),
                                                increments, grads):
                        inc.mul_(m).add_(grad, alpha=lr)
                        param.add_(inc)
                error, energy = float(error) / n, float(energy) / n
                if not (math.isfinite(error) and math.isfinite(energy)):
                    for param, old in zip((rbm.W, rbm.visible_bias, rbm.hidden_bias), saved):
                        param.copy_(old)
                    raise TrainingDiverged(
                        f"RBM training diverged in epoch {epoch + 1} (reconstruction error "
                        f"{error}); the RBM is back to its weights from the start of that "
                        f"epoch. Use a smaller lr (now {lr:g}) or momentum", history)
                history.reconstruction_error.append(error)
                history.free_energy.append(energy)
                if X_val is not None:
                    history.val_free_energy.append(float(rbm.free_energy(X_val).mean()))
                history.epoch_seconds.append(time.perf_counter() - start)
                if bar is not None:
                    bar.set_postfix({"recon": f"{error:.3g}", "F": f"{energy:.3g}"}, refresh=False)
                    bar.update(1)
    except KeyboardInterrupt:
        history.stopped = "interrupted"
        print(f"RBM training interrupted after {history.epochs} complete epochs.")
    finally:
        if bar is not None:
            bar.close()
    return history


def _check_layer_sizes(layer_sizes: Sequence[int]) -> tuple[int, ...]:
    sizes = tuple(layer_sizes)
    if not sizes:
        raise ValueError("layer_sizes must list at least one layer width, e.g. (1000, 500, 250, 30)")
    for s in sizes:
        _check_size(s, f"every entry of layer_sizes {sizes!r}")
    return sizes


def pretrain_stack(X, layer_sizes: Sequence[int], *, epochs: int = 10, batch_size: int = 100,
                   lr: float = 0.1, lr_linear: float = 0.001, top: str = "gaussian",
                   progress: bool = True, seed: int | None = None, device: str | torch.device | None = None,
                   **fit_kwargs) -> list[RBM]:
    """Greedy layer-wise pretraining: a stack of RBMs, each trained on the hidden
    probabilities of the one below.

    Parameters
    ----------
    X : training data ``(n, input_dim)`` in [0, 1].
    layer_sizes : widths of the hidden layers, the code last, e.g. ``(1000, 500, 250, 30)``
        for the 784-1000-500-250-30 network of the paper.
    epochs, batch_size : for every RBM (the paper: 50 epochs of batch 100).
    lr, lr_linear : learning rates of the binary RBMs and of the top (Gaussian) one.
    top : hidden units of the top RBM, "gaussian" (a linear code, as in the paper) or
        "bernoulli".
    fit_kwargs : passed on to :func:`fit_rbm` (``momentum``, ``weight_cost``, ``k``, ...).

    Returns
    -------
    list of RBM
        Bottom first; ``unroll(stack)`` turns it into a deep autoencoder.
    """
    seed = resolve_seed(seed)
    sizes = _check_layer_sizes(layer_sizes)
    if top not in _HIDDEN:
        raise ValueError(f"top must be 'gaussian' or 'bernoulli', got {top!r}")
    device = get_device(device) if device is not None else get_device()
    V = as_tensor(X).to(device)
    if V.dim() != 2:
        raise ValueError(f"X must be a batch of rows (n, input_dim), got shape {tuple(V.shape)}")
    stack = []
    for i, n_hidden in enumerate(sizes):
        last = i == len(sizes) - 1
        hidden = top if last else "bernoulli"
        rbm = RBM(V.shape[1], n_hidden, hidden=hidden, seed=seed + i)
        fit_rbm(rbm, V, epochs=epochs, batch_size=batch_size,
                lr=lr_linear if hidden == "gaussian" else lr, progress=progress,
                seed=seed + i, device=device, **fit_kwargs)
        stack.append(rbm)
        if not last:
            V = rbm.transform(V)  # (n, n_hidden): the next RBM's data
    return stack


def _shallow_autoencoder(n_in: int, n_out: int, code_activation: str, seed: int) -> Autoencoder:
    with seeded(seed):
        return Autoencoder(n_in, n_out, hidden_dims=(), activation="sigmoid",
                           output_activation="sigmoid", code_activation=code_activation)


def pretrain_autoencoder_stack(X, layer_sizes: Sequence[int], *, epochs: int = 10,
                               batch_size: int = 128, lr: float = 1e-3, progress: bool = True,
                               seed: int | None = None, device: str | torch.device | None = None,
                               **fit_kwargs) -> list[Autoencoder]:
    """Greedy layer-wise pretraining with shallow autoencoders instead of RBMs.

    Each autoencoder has one hidden layer (logistic, the top one linear) and a logistic output,
    and learns with :func:`aekit.fit` (cross-entropy) to reconstruct the codes of the one
    below. Parameters as in :func:`pretrain_stack`; ``fit_kwargs`` go to :func:`aekit.fit`
    (e.g. ``corruption=("masking", 0.2)`` for a stacked denoising autoencoder).

    Returns
    -------
    list of Autoencoder
        Bottom first; ``unroll(stack)`` turns it into a deep autoencoder.
    """
    seed = resolve_seed(seed)
    sizes = _check_layer_sizes(layer_sizes)
    device = get_device(device) if device is not None else get_device()
    V = as_tensor(X).to(device)
    if V.dim() != 2:
        raise ValueError(f"X must be a batch of rows (n, input_dim), got shape {tuple(V.shape)}")
    _check_unit_interval(V, "X")
    stack = []
    for i, n_hidden in enumerate(sizes):
        last = i == len(sizes) - 1
        ae = _shallow_autoencoder(V.shape[1], n_hidden, "linear" if last else "sigmoid", seed + i)
        fit(ae, V, epochs=epochs, batch_size=batch_size, lr=lr, loss="bce", progress=progress,
            seed=seed + i, device=device, **fit_kwargs)
        stack.append(ae)
        if not last:
            with torch.no_grad():
                V = torch.cat([ae.encode(V[j:j + 8192]) for j in range(0, len(V), 8192)])
    return stack


def _layer_parts(layer, i: int):
    """(encoder weight (out, in), encoder bias, decoder weight (in, out), decoder bias, units)."""
    if isinstance(layer, RBM):
        return (layer.W.t(), layer.hidden_bias, layer.W, layer.visible_bias,
                "linear" if layer.hidden == "gaussian" else "sigmoid")
    if isinstance(layer, Autoencoder):
        if layer.hidden_dims or layer.k_sparse or layer.output_activation != "sigmoid":
            raise ValueError(f"layer {i} must be a shallow autoencoder (hidden_dims=(), logistic "
                             f"output, no k_sparse), like those of pretrain_autoencoder_stack")
        enc = layer.encoder[0]
        if layer.tied:
            return enc.weight, enc.bias, enc.weight.t(), layer.decoder_biases[0], layer.code_activation
        dec = layer.decoder[0]
        return enc.weight, enc.bias, dec.weight, dec.bias, layer.code_activation
    raise TypeError(f"unroll takes RBMs or shallow Autoencoders, got {type(layer).__name__} "
                    f"at position {i}")


def unroll(layers: Sequence[RBM | Autoencoder]) -> Autoencoder:
    """Turn a pretrained stack into a deep autoencoder ready for fine-tuning.

    The encoder's layers get the stack's weights and hidden biases, bottom first; the decoder
    mirrors them with the transposed weights and the visible biases. Hidden layers are
    logistic; the code layer is linear when the top RBM has Gaussian hidden units (as in the
    paper). The result computes exactly the stack's hidden means on the way up, and is an
    independent copy: fine-tuning it leaves the stack unchanged.

    Parameters
    ----------
    layers : RBMs from :func:`pretrain_stack`, or shallow autoencoders from
        :func:`pretrain_autoencoder_stack`, bottom first.

    Returns
    -------
    Autoencoder
        ``input_dim-...-code_dim``, ``activation="sigmoid"``, ``output_activation="sigmoid"``,
        untied weights; fine-tune it with ``aekit.fit(model, X, loss="bce", ...)``.
    """
    layers = list(layers)
    if not layers:
        raise ValueError("unroll needs at least one pretrained layer")
    parts = [_layer_parts(layer, i) for i, layer in enumerate(layers)]
    sizes = [parts[0][0].shape[1]] + [p[0].shape[0] for p in parts]
    for i, p in enumerate(parts[1:], start=1):
        if p[0].shape[1] != sizes[i]:
            raise ValueError(f"layer {i} takes {p[0].shape[1]} inputs but layer {i - 1} has "
                             f"{sizes[i]} hidden units; the stack's sizes must chain")
    for i, p in enumerate(parts[:-1]):
        if p[4] != "sigmoid":
            raise ValueError(f"layer {i} has {p[4]} hidden units; only the top layer may be "
                             f"linear (the hidden layers of the unrolled network are logistic)")
    device = parts[0][0].device
    model = Autoencoder(sizes[0], sizes[-1], hidden_dims=tuple(sizes[1:-1]), activation="sigmoid",
                        output_activation="sigmoid", code_activation=parts[-1][4]).to(device)
    n = len(parts)
    with torch.no_grad():
        for i, (W_enc, b_enc, W_dec, b_dec, _) in enumerate(parts):
            model.encoder[i].weight.copy_(W_enc)
            model.encoder[i].bias.copy_(b_enc)
            model.decoder[n - 1 - i].weight.copy_(W_dec)
            model.decoder[n - 1 - i].bias.copy_(b_dec)
    return model


def deep_autoencoder(input_dim: int, layer_sizes: Sequence[int], seed: int | None = None) -> Autoencoder:
    """The network :func:`unroll` builds, from a random start (PyTorch's default init).

    Logistic hidden layers, a linear code, a logistic output, untied weights: the baseline of
    plain joint training without pretraining.
    """
    sizes = _check_layer_sizes(layer_sizes)
    _check_size(input_dim, "input_dim")
    with seeded(seed):
        return Autoencoder(input_dim, sizes[-1], hidden_dims=sizes[:-1], activation="sigmoid",
                           output_activation="sigmoid", code_activation="linear")


@dataclass
class DeepAutoencoderRun:
    """The result of :func:`train_deep_autoencoder`: the fine-tuned model and what it cost."""

    scheme: str
    model: Autoencoder
    history: History                      # fine-tuning
    layers: list = field(default_factory=list)   # the pretrained stack ([] for "random")
    pretrain_seconds: float = 0.0
    fine_tune_seconds: float = 0.0

    def __repr__(self) -> str:
        return (f"DeepAutoencoderRun({self.scheme!r}, pretraining {self.pretrain_seconds:.1f} s, "
                f"fine-tuning {self.fine_tune_seconds:.1f} s; {self.history!r})")


SCHEMES = ("rbm", "autoencoders", "random")


def train_deep_autoencoder(X, layer_sizes: Sequence[int], *, scheme: str = "rbm",
                           pretrain_epochs: int = 10, fine_tune_epochs: int = 20,
                           pretrain_batch_size: int = 100, batch_size: int = 128, lr: float = 1e-3,
                           X_val=None, progress: bool = True, seed: int | None = None,
                           device: str | torch.device | None = None,
                           pretrain_kwargs: dict | None = None) -> DeepAutoencoderRun:
    """Train a deep autoencoder with one of three schemes and the same fine-tuning budget.

    Parameters
    ----------
    X : training data ``(n, input_dim)`` in [0, 1].
    layer_sizes : hidden widths, the code last, e.g. ``(1000, 500, 250, 30)``.
    scheme : "rbm" (:func:`pretrain_stack` then :func:`unroll`), "autoencoders"
        (:func:`pretrain_autoencoder_stack` then :func:`unroll`) or "random"
        (:func:`deep_autoencoder`, no pretraining).
    pretrain_epochs, pretrain_batch_size : per pretrained layer (ignored for "random").
    fine_tune_epochs, batch_size, lr : the joint training with :func:`aekit.fit`
        (cross-entropy, Adam), the same for every scheme.
    X_val : optional validation data for the fine-tuning history.
    pretrain_kwargs : extra arguments for the pretraining function.

    Returns
    -------
    DeepAutoencoderRun
    """
    seed = resolve_seed(seed)
    if scheme not in SCHEMES:
        raise ValueError(f"scheme must be one of {SCHEMES}, got {scheme!r}")
    device = get_device(device) if device is not None else get_device()
    X = as_tensor(X).to(device)
    _check_unit_interval(X, "X")
    extra = dict(pretrain_kwargs or {})
    start = time.perf_counter()
    layers: list = []
    if scheme == "rbm":
        layers = pretrain_stack(X, layer_sizes, epochs=pretrain_epochs,
                                batch_size=pretrain_batch_size, progress=progress, seed=seed,
                                device=device, **extra)
        model = unroll(layers)
    elif scheme == "autoencoders":
        layers = pretrain_autoencoder_stack(X, layer_sizes, epochs=pretrain_epochs,
                                            batch_size=pretrain_batch_size, progress=progress,
                                            seed=seed, device=device, **extra)
        model = unroll(layers)
    else:
        model = deep_autoencoder(X.shape[1], layer_sizes, seed=seed)
    pretrain_seconds = time.perf_counter() - start
    start = time.perf_counter()
    history = fit(model, X, epochs=fine_tune_epochs, batch_size=batch_size, lr=lr, loss="bce",
                  X_val=X_val, progress=progress, seed=seed, device=device)
    return DeepAutoencoderRun(scheme, model, history, layers, pretrain_seconds,
                              time.perf_counter() - start)
