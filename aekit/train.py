"""One training loop for every autoencoder in aekit.

:func:`fit` slices mini-batches from tensors already on the device, steps a (fused, where the
device has it) Adam optimizer and records a :class:`History`. Variants plug in without a
copy of the loop:

- ``corruption``: corrupt each input batch before encoding, while the loss compares with the
  clean batch (denoising autoencoders); a ``(kind, level)`` pair or a callable.
- ``penalties``: callables ``penalty(model, X_in, Z) -> scalar`` added to the loss, each
  recorded under its ``name`` (sparse and contractive autoencoders).
- a model's own ``loss(X_in, X_target) -> {"loss": ..., part: ...}`` replaces the
  reconstruction loss (variational and rate-distortion autoencoders).
- a model's ``on_epoch_start(epoch, epochs)`` runs before each epoch (annealing schedules).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence

import torch
from torch.nn import functional as F

from aekit.checks import as_tensor, non_negative_int, positive_int
from aekit.background import checkpoint
from aekit.device import get_device, make_generator, noise_from, resolve_seed
from aekit.models.protocol import AutoencoderModel, EpochSchedule, OwnLoss, check_model

__all__ = ["fit", "History", "TrainingDiverged", "reconstruction_loss", "multiply_adds",
           "run_epochs", "Diverged"]


#: training steps with fewer multiply-adds than this (forward pass of one batch) run on one CPU
#: thread unless ``threads`` says otherwise: about a 100,000-weight dense network at batch 128
SMALL_WORK = 128 * 100_000


class TrainingDiverged(FloatingPointError):
    """The loss became NaN or infinite. ``history`` holds the epochs before it happened."""

    def __init__(self, message: str, history: "History") -> None:
        super().__init__(message)
        self.history = history


@dataclass
class History:
    """What happened during :func:`fit`, one entry per completed epoch.

    ``train_loss`` and ``val_loss`` are per-image losses (the sum over pixels, averaged over
    images); ``terms`` splits the training loss into its parts ("reconstruction" and one entry
    per penalty, or the model's own parts such as "kl"); ``epoch_seconds`` is wall time.
    ``stopped`` is None after a full run, or "interrupted".
    """

    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    terms: dict[str, list[float]] = field(default_factory=dict)
    epoch_seconds: list[float] = field(default_factory=list)
    stopped: str | None = None

    @property
    def epochs(self) -> int:
        return len(self.train_loss)

    @property
    def seconds(self) -> float:
        """Total training time in seconds."""
        return float(sum(self.epoch_seconds))

    def __repr__(self) -> str:
        if not self.train_loss:
            return "History(no completed epoch)"
        last = f"train {self.train_loss[-1]:.3f}"
        if self.val_loss:
            last += f", val {self.val_loss[-1]:.3f}"
        state = f", {self.stopped}" if self.stopped else ""
        return f"History({self.epochs} epochs in {self.seconds:.1f} s; last {last}{state})"


def reconstruction_loss(X_hat: torch.Tensor, X: torch.Tensor, loss: str = "bce") -> torch.Tensor:
    """Per-image reconstruction loss: sum over pixels, mean over the batch.

    "bce" is the cross-entropy of Bernoulli pixels (needs X_hat in (0, 1)); "mse" is the
    squared error, which equals Hinton & Salakhutdinov's (2006) error measure.
    """
    n = X.shape[0]
    if loss == "bce":
        return F.binary_cross_entropy(X_hat, X, reduction="sum") / n
    if loss == "mse":
        return F.mse_loss(X_hat, X, reduction="sum") / n
    raise ValueError(f"loss must be 'bce' or 'mse', got {loss!r}")


@torch.no_grad()
def multiply_adds(model: torch.nn.Module, X: torch.Tensor) -> int:
    """Multiply-adds of one forward pass of ``model`` on the batch ``X``: the work of its Linear,
    convolution and LSTM layers, counted from their shapes (weights reused over positions or
    time steps count each time). Used to choose the thread count; deterministic."""
    total = 0

    def count(module, inputs, output):
        nonlocal total
        out = output[0] if isinstance(output, tuple) else output
        if isinstance(module, torch.nn.Linear):
            total += out.numel() * module.in_features
        elif isinstance(module, torch.nn.modules.conv._ConvNd):
            per_output = module.weight[0].numel()   # in_channels / groups x kernel size
            total += out.numel() * per_output
        elif isinstance(module, torch.nn.LSTM):
            steps = out.numel() // (module.hidden_size * (2 if module.bidirectional else 1))
            size = module.input_size + module.hidden_size
            total += 4 * module.hidden_size * size * steps * module.num_layers

    hooks = [m.register_forward_hook(count) for m in model.modules()
             if isinstance(m, (torch.nn.Linear, torch.nn.modules.conv._ConvNd, torch.nn.LSTM))]
    was_training = model.training
    model.eval()  # no dropout or sampling: nothing random is drawn
    try:
        model(X)
    finally:
        model.train(was_training)
        for hook in hooks:
            hook.remove()
    return total


def _make_corruption(corruption) -> Callable[[torch.Tensor, torch.Generator | None], torch.Tensor] | None:
    if corruption is None:
        return None
    if callable(corruption):
        return lambda X, gen: corruption(X)
    kind, level = corruption
    from aekit.corruption import corrupt  # a lower room: corruption uses only torch

    return lambda X, gen: corrupt(X, kind, level, generator=gen)


def _step_parts(model, X_in, X_target, loss, penalties) -> dict[str, torch.Tensor]:
    """The loss of one batch and its named parts; the total is under "loss"."""
    if isinstance(model, OwnLoss):
        parts = dict(model.loss(X_in, X_target))
        if penalties:
            Z = model.encode(X_in)
            for p in penalties:
                parts[p.name] = p(model, X_in, Z)
            parts["loss"] = parts["loss"] + sum(parts[p.name] for p in penalties)
        return parts
    Z = model.encode(X_in)
    parts = {"reconstruction": reconstruction_loss(model.decode(Z), X_target, loss)}
    total = parts["reconstruction"]
    for p in penalties:
        parts[p.name] = p(model, X_in, Z)
        total = total + parts[p.name]
    parts["loss"] = total
    return parts


@torch.no_grad()
def _evaluate(model, X, loss, penalties, batch_size) -> float:
    was_training = model.training
    model.eval()
    total = 0.0
    for start in range(0, len(X), batch_size):
        X_b = X[start:start + batch_size]
        with torch.enable_grad() if any(getattr(p, "needs_grad", False) for p in penalties) else torch.no_grad():
            parts = _step_parts(model, X_b, X_b, loss, penalties)
        total += float(parts["loss"]) * len(X_b)
    model.train(was_training)
    return total / len(X)


class Diverged(Exception):
    """Raised by an epoch of a training loop when its numbers stop being finite; ``what``
    says which (:func:`run_epochs` turns it into :class:`TrainingDiverged`)."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


def _restore(params: Sequence[torch.Tensor], saved: Sequence[torch.Tensor]) -> None:
    with torch.no_grad():
        for p, old in zip(params, saved):
            p.copy_(old)


def run_epochs(one_epoch: Callable[[int], dict[str, float]], *, params: Sequence[torch.Tensor],
               epochs: int, desc: str, progress: bool, device: torch.device,
               threads: int | None, work: Callable[[], int], interrupt: str, advice: str,
               on_diverge: Callable[[], None] = lambda: None) -> History:
    """The machinery every training loop of the package shares (:func:`fit` and
    :func:`aekit.pretraining.fit_rbm`): a tqdm bar, the CPU thread policy, Ctrl-C, and
    putting the weights back when training diverges.

    ``one_epoch(epoch)`` trains one epoch and returns its numbers: ``"loss"`` (recorded as
    ``train_loss``), optionally ``"val_loss"``, and named terms (recorded under
    ``History.terms``); a non-finite number, or :class:`Diverged` raised inside, stops with
    :class:`TrainingDiverged` after ``params`` are back to their values at the start of that
    epoch (``advice`` ends its message; ``on_diverge`` then runs, e.g. to clear an optimizer's
    state). ``threads=None`` trains on one CPU thread when ``work`` (multiply-adds of one
    batch's forward pass, asked only then) is under ``SMALL_WORK``. ``interrupt``: see :func:`fit`.
    """
    history = History()
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=epochs, desc=desc, unit="epoch")
    # set right before the try whose finally restores it, so no early error leaks it
    previous_threads = torch.get_num_threads()
    if device.type == "cpu":
        if threads is None and work() < SMALL_WORK:
            threads = 1
        if threads is not None:
            torch.set_num_threads(threads)
    saved = [p.detach().clone() for p in params] if interrupt == "raise" else []
    try:
        for epoch in range(epochs):
            checkpoint()  # background work pauses here while a cell runs, or stops
            start = time.perf_counter()
            saved = [p.detach().clone() for p in params]
            try:
                numbers = one_epoch(epoch)
                bad = [k for k, v in numbers.items() if not math.isfinite(v)]
                if bad:
                    raise Diverged(", ".join(bad))
            except Diverged as err:
                _restore(params, saved)
                on_diverge()
                raise TrainingDiverged(
                    f"the loss became NaN or infinite in epoch {epoch + 1} ({err.what}); the "
                    f"model is back to its weights from the start of that epoch. {advice}",
                    history) from err.__cause__
            history.train_loss.append(numbers.pop("loss"))
            if "val_loss" in numbers:
                history.val_loss.append(numbers.pop("val_loss"))
            for key, value in numbers.items():
                history.terms.setdefault(key, []).append(value)
            history.epoch_seconds.append(time.perf_counter() - start)
            if bar is not None:
                post = {"loss": f"{history.train_loss[-1]:.3g}"}
                if history.val_loss:
                    post["val"] = f"{history.val_loss[-1]:.3g}"
                bar.set_postfix(post, refresh=False)
                bar.update(1)
    except KeyboardInterrupt:
        history.stopped = "interrupted"
        if interrupt == "raise":
            _restore(params, saved)
            raise
        print(f"Training interrupted after {history.epochs} complete epochs; returning the "
              f"history so far (the model keeps its current weights).")
    finally:
        if bar is not None:
            bar.close()
        if torch.get_num_threads() != previous_threads:
            torch.set_num_threads(previous_threads)
    return history


def fit(model: AutoencoderModel, X, *, epochs: int, batch_size: int = 128, lr: float = 1e-3,
        loss: str = "bce", X_val=None, progress: bool = True,
        corruption=None, penalties: Sequence[Callable] | Iterable[Callable] = (),
        weight_decay: float = 0.0, optimizer: torch.optim.Optimizer | None = None,
        shuffle: bool = True, seed: int | None = None, device: str | torch.device | None = None,
        val_batch_size: int = 4096, threads: int | None = None,
        max_grad_norm: float | None = None, interrupt: str = "return") -> History:
    """Train an autoencoder to reconstruct X, and return the :class:`History`.

    Parameters
    ----------
    model : any aekit model (``encode``/``decode``, or its own ``loss``).
    X : training inputs ``(n, input_dim)``, values in [0, 1] for ``loss="bce"``.
    epochs, batch_size, lr : passes over X, examples per step, Adam's learning rate.
    loss : "bce" (Bernoulli cross-entropy) or "mse" (squared error), both per image.
    X_val : optional validation inputs; their loss is recorded after every epoch.
    progress : show a tqdm progress bar (a widget in Jupyter, text in a terminal).
    corruption : ``(kind, level)`` such as ``("masking", 0.3)``, or a callable ``X -> X_tilde``;
        the model sees corrupted inputs but is scored against clean ones (denoising).
    penalties : regularisers such as :class:`aekit.penalties.L1Sparsity`, added to the loss.
    weight_decay : L2 penalty on the weights, through the optimizer.
    optimizer : use this optimizer instead of a new Adam (its state carries on).
    shuffle : reshuffle the examples every epoch.
    seed : the source of all of this run's randomness: the shuffling, the corruption, and every
        random choice of the model (dropout masks, the VAE's samples, Gumbel and quantisation
        noise). None draws one from torch's session generator, so a run after
        :func:`aekit.seed_everything` is repeatable; the session generator is not reseeded.
    device : where to train; default :func:`aekit.get_device`.
    max_grad_norm : clip the norm of all gradients together to this value before each step
        (``torch.nn.utils.clip_grad_norm_``); None does not clip. Recurrent networks, whose
        gradients can grow suddenly, train more reliably with it.
    interrupt : what Ctrl-C does: "return" stops after the current batch and returns the
        history so far, the model keeping its weights (interactive training); "raise" puts the
        weights from the start of that epoch back and raises KeyboardInterrupt, so that a cache
        never keeps a half-trained model (the explorers use it).
    threads : CPU threads while training. None picks one thread when a training step is small
        work (a forward pass of one batch under ``SMALL_WORK`` multiply-adds, counted by
        :func:`multiply_adds`, so a convolutional network with few weights but many positions
        still gets every thread), where one is as fast as several and, on a shared or
        oversubscribed CPU (Binder, a laptop running other work), many times faster; larger
        work keeps torch's setting. The previous setting is restored afterwards.

    Returns
    -------
    History
        Per-epoch losses and timings. Ctrl-C (KeyboardInterrupt) stops after the current
        batch and returns the epochs completed so far, with the model intact.

    Raises
    ------
    TrainingDiverged
        If the loss becomes NaN or infinite; the model is restored to its weights at the start
        of that epoch, and the exception's ``history`` holds the completed epochs.
    """
    check_model(model)
    non_negative_int(epochs, "epochs")
    positive_int(batch_size, "batch_size")
    if not lr > 0:
        raise ValueError(f"lr must be positive, got {lr!r}")
    if loss not in ("bce", "mse"):
        raise ValueError(f"loss must be 'bce' or 'mse', got {loss!r}")
    X = as_tensor(X)
    if len(X) == 0:
        raise ValueError("X is empty: there is nothing to train on")
    if X_val is not None:
        X_val = as_tensor(X_val, "X_val")
        if len(X_val) == 0 or X_val.shape[1:] != X.shape[1:]:
            raise ValueError(f"X_val must hold examples shaped like those of X {tuple(X.shape[1:])}, "
                             f"got shape {tuple(X_val.shape)}; or pass X_val=None")
    for data, what in ((X, "X"), (X_val, "X_val")):
        if (data is not None and loss == "bce" and not isinstance(model, OwnLoss)
                and (data.min() < 0 or data.max() > 1)):
            raise ValueError(f"loss='bce' needs inputs in [0, 1], but {what} ranges over "
                             f"[{float(data.min()):.3g}, {float(data.max()):.3g}]; scale it to [0, 1] "
                             f"or use loss='mse'")
    penalties = list(penalties)
    for p in penalties:
        if not callable(p) or not hasattr(p, "name"):
            raise TypeError(f"each penalty must be callable with a 'name', got {p!r}")
    device = get_device(device)
    if interrupt not in ("return", "raise"):
        raise ValueError(f"interrupt must be 'return' or 'raise', got {interrupt!r}")
    if max_grad_norm is not None and not max_grad_norm > 0:
        raise ValueError(f"max_grad_norm must be a positive number or None, got {max_grad_norm!r}")
    if threads is not None and (not isinstance(threads, int) or threads < 1):
        raise ValueError(f"threads must be a positive integer or None, got {threads!r}")
    model.to(device)
    X = X.to(device)
    if X_val is not None:
        X_val = X_val.to(device)
    corrupt_fn = _make_corruption(corruption)

    if optimizer is None:
        params = [p for p in model.parameters() if p.requires_grad]
        fused = device.type in ("cpu", "cuda", "mps", "xpu")
        try:
            optimizer = torch.optim.Adam(params, lr=lr, weight_decay=weight_decay, fused=fused)
        except (RuntimeError, TypeError):
            optimizer = torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)

    seed = resolve_seed(seed)
    gen = make_generator(seed)  # shuffling, on the CPU
    noise_gen = make_generator(seed + 1, device)  # corruption and the model's own noise

    n = len(X)
    params = list(model.parameters())

    def one_epoch(epoch: int) -> dict[str, float]:
        if isinstance(model, EpochSchedule):
            model.on_epoch_start(epoch, epochs)
        Xs = X[torch.randperm(n, generator=gen).to(device)] if shuffle else X
        # each batch's parts, kept as tensors: summing them once an epoch costs the loop no
        # extra tensor operations and the device no synchronisation per batch
        batches: list[tuple[int, dict[str, torch.Tensor]]] = []
        try:
            for lo in range(0, n, batch_size):
                X_b = Xs[lo:lo + batch_size]  # a view: no copy, no DataLoader
                X_in = corrupt_fn(X_b, noise_gen) if corrupt_fn else X_b
                parts = _step_parts(model, X_in, X_b, loss, penalties)
                optimizer.zero_grad(set_to_none=True)
                parts["loss"].backward()
                if max_grad_norm is not None:
                    torch.nn.utils.clip_grad_norm_(params, max_grad_norm)
                optimizer.step()
                batches.append((len(X_b), {k: v.detach() for k, v in parts.items()}))
        except RuntimeError as err:
            # NaN weights can make a later batch fail before the epoch ends (the BCE checks
            # that its input lies in [0, 1]): that is divergence too, not a crash.
            if all(bool(torch.isfinite(p).all()) for p in params):
                raise
            raise Diverged("the weights turned NaN") from err
        # one transfer an epoch; the exact float64 sum happens on the CPU (MPS has no float64)
        sizes = torch.tensor([size for size, _ in batches], dtype=torch.float64)
        numbers = {k: float(torch.stack([p[k] for _, p in batches]).cpu().double() @ sizes) / n
                   for k in batches[0][1]}
        if X_val is not None and all(math.isfinite(v) for v in numbers.values()):
            numbers["val_loss"] = _evaluate(model, X_val, loss, penalties, val_batch_size)
            model.train()
        return numbers

    model.train()
    with noise_from(noise_gen):  # every random choice of the model follows the seed
        try:
            return run_epochs(
                one_epoch, params=params, epochs=epochs, desc=f"training {type(model).__name__}",
                progress=progress, device=device, threads=threads,
                work=lambda: multiply_adds(model, X[:batch_size]),
                interrupt=interrupt, on_diverge=optimizer.state.clear,  # its averages hold NaN
                advice=f"Try a smaller learning rate (lr={lr:g} now), smaller penalty weights, "
                       f"or check the inputs.")
        finally:
            model.eval()
