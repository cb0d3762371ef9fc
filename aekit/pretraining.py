"""Greedy pretraining of deep autoencoders, and the three ways of training one.

Hinton & Salakhutdinov (2006) trained a deep autoencoder in three stages: a stack of RBMs
(:class:`aekit.models.RBM`), each learning the hidden probabilities of the one below
(:func:`pretrain_stack`, each RBM trained by :func:`fit_rbm`); the stack *unrolled* into an
encoder and a mirrored decoder (:func:`unroll`); and the whole network fine-tuned with
back-propagation (:func:`aekit.fit`, cross-entropy). The same network trained from a random
start (:func:`aekit.models.deep_autoencoder`) or pretrained with shallow autoencoders
(:func:`pretrain_autoencoder_stack`) gives the two schemes it is compared with;
:func:`train_deep_autoencoder` runs any of the three with one budget.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Sequence

import torch

from aekit.checks import as_tensor, positive_int, unit_interval
from aekit.device import get_device, make_generator, resolve_seed, seeded
from aekit.models import RBM, Autoencoder, deep_autoencoder
from aekit.models._layers import check_layer_sizes
from aekit.models.rbm import HIDDEN_UNITS
from aekit.train import History, fit, run_epochs

__all__ = ["fit_rbm", "pretrain_stack", "pretrain_autoencoder_stack", "unroll",
           "train_deep_autoencoder", "DeepAutoencoderRun", "SCHEMES"]


def fit_rbm(rbm: RBM, X, *, epochs: int = 10, batch_size: int = 100, lr: float | None = None,
            k: int = 1, momentum: tuple[float, float] = (0.5, 0.9), momentum_switch: int = 5,
            weight_cost: float = 2e-4, X_val=None, progress: bool = True, shuffle: bool = True,
            seed: int | None = None, device: str | torch.device | None = None,
            threads: int | None = None, interrupt: str = "return") -> History:
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
    threads, interrupt : as in :func:`aekit.fit`, whose machinery this loop shares
        (:func:`aekit.train.run_epochs`: progress bar, thread policy, Ctrl-C, and the weights put
        back when training diverges).

    Returns
    -------
    History
        Per epoch: ``train_loss`` is the reconstruction error (squared error between the data
        and its one-step reconstruction, the negative phase, summed over visible units and
        averaged over examples); ``terms["free_energy"]`` the mean free energy of the training
        batches, taken before each update; with ``X_val``, ``terms["val_free_energy"]`` that of
        ``X_val`` at the end of the epoch. A growing gap between the two means the RBM is
        overfitting (Hinton's practical guide).
    """
    if not isinstance(rbm, RBM):
        raise TypeError(f"fit_rbm trains an aekit.rbm.RBM, got {type(rbm).__name__}")
    if not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f"epochs must be a non-negative integer, got {epochs!r}")
    positive_int(batch_size, "batch_size")
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
    device = get_device(device)
    rbm.to(device)
    X = rbm._check(X, "X", rbm.n_visible).to(device)
    if len(X) == 0:
        raise ValueError("X is empty: there is nothing to train on")
    unit_interval(X, "X")
    if X_val is not None:
        X_val = rbm._check(X_val, "X_val", rbm.n_visible).to(device)
        unit_interval(X_val, "X_val")

    seed = resolve_seed(seed)
    sample_gen = make_generator(seed, device)
    shuffle_gen = make_generator(seed + 1)
    params = [rbm.W, rbm.visible_bias, rbm.hidden_bias]
    increments = [torch.zeros_like(p) for p in params]
    n = len(X)

    @torch.no_grad()
    def one_epoch(epoch: int) -> dict[str, float]:
        m = momentum[0] if epoch < momentum_switch else momentum[1]
        Xs = X[torch.randperm(n, generator=shuffle_gen).to(device)] if shuffle else X
        error = torch.zeros((), device=device)
        energy = torch.zeros((), device=device)
        for lo in range(0, n, batch_size):
            V = Xs[lo:lo + batch_size]  # (batch, n_visible)
            stats, pre = rbm._cd(V, k, sample_gen)
            energy += rbm._free_energy(V, pre).sum()
            error += (V - stats.V_neg).pow(2).sum()
            grads = (stats.dW - weight_cost * rbm.W, stats.d_visible_bias, stats.d_hidden_bias)
            for param, inc, grad in zip(params, increments, grads):
                inc.mul_(m).add_(grad, alpha=lr)
                param.add_(inc)
        numbers = {"loss": float(error) / n, "free_energy": float(energy) / n}
        if X_val is not None:
            numbers["val_free_energy"] = float(rbm.free_energy(X_val).mean())
        return numbers

    def forget_momentum() -> None:
        for inc in increments:
            inc.zero_()

    return run_epochs(one_epoch, params=params, epochs=epochs,
                      desc=f"RBM {rbm.n_visible}-{rbm.n_hidden}", progress=progress,
                      device=device, threads=threads,
                      work=lambda: len(X[:batch_size]) * rbm.n_visible * rbm.n_hidden * (2 * k + 1),
                      interrupt=interrupt, on_diverge=forget_momentum,
                      advice=f"Use a smaller lr (now {lr:g}) or momentum.")


def _stack_inputs(X, layer_sizes, seed, device):
    """What both greedy stacks check first: (seed, layer sizes, device, X on it in [0, 1])."""
    sizes = check_layer_sizes(layer_sizes)
    device = get_device(device)
    V = as_tensor(X).to(device)
    if V.dim() != 2:
        raise ValueError(f"X must be a batch of rows (n, input_dim), got shape {tuple(V.shape)}")
    return resolve_seed(seed), sizes, device, unit_interval(V, "X")


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
    if top not in HIDDEN_UNITS:
        raise ValueError(f"top must be 'gaussian' or 'bernoulli', got {top!r}")
    seed, sizes, device, V = _stack_inputs(X, layer_sizes, seed, device)
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
    seed, sizes, device, V = _stack_inputs(X, layer_sizes, seed, device)
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
    device = get_device(device)
    X = as_tensor(X).to(device)
    unit_interval(X, "X")
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
