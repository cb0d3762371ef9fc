"""The 2006 reproduction's pieces that train and measure (used by
:mod:`aekit.bench.hinton2006`): the PCA and logistic-PCA baselines, the timed RBM stack,
fine-tuning with a curve of test error against CPU-minutes, and the figure of those curves."""
from __future__ import annotations

import json
import math
from pathlib import Path

import torch
from torch.nn import functional as F

from aekit import fit
from aekit.evaluate import pca_baseline, reconstruction_error
from aekit.models import RBM
from aekit.pretraining import fit_rbm
from aekit.checks import as_tensor
from aekit.bench._hinton_plans import Phases, RESULTS, SCHEME_LABELS, cosine_lr


# --------------------------------------------------------------------------- baselines
def pca_error(X_train, X_test, k: int, return_components: bool = False):
    """Test error of PCA with k components (:func:`aekit.evaluate.pca_baseline`);
    ``return_components=True`` also returns the ``(k, d)`` principal directions."""
    error, pca = pca_baseline(X_train, X_test, k, return_model=True)
    return (error, pca.components_) if return_components else error


def logistic_pca_error(X_train, X_test, k: int, iterations: int = 150,
                       lr: float = 0.05, directions=None) -> float:
    """Test error of logistic (Bernoulli) PCA with k components (Schein et al. 2003).

    Each image is modelled as ``sigmoid(u V^T + b)``: loadings ``V`` and offsets ``b`` are fitted
    on X_train with the codes ``u`` (cross-entropy, full-batch Adam); then ``V`` and ``b`` are
    fixed and a code is fitted to every test image the same way. There is no encoder: the test
    codes are optimised per image, which favours this baseline. Deterministic: it starts from
    the principal directions (``directions``, ``(k, d)``, e.g. the components of the PCA
    baseline, so that PCA is fitted once; default: computed from X_train) and zero codes.
    Returns the mean squared
    error per test image, the measure of :func:`aekit.evaluate.reconstruction_error`.
    """
    X_train = as_tensor(X_train, "X_train").cpu().double()
    X_test = as_tensor(X_test, "X_test").cpu().double()
    if not 1 <= k <= X_train.shape[1]:
        raise ValueError(f"k must be between 1 and {X_train.shape[1]}, got {k!r}")
    p = X_train.mean(0).clamp(1e-3, 1 - 1e-3)
    b = torch.log(p / (1 - p)).float().requires_grad_(True)
    # start the loadings on the principal directions, scaled to logit units
    if directions is None:
        centred = X_train - X_train.mean(0)
        directions = torch.linalg.svd(centred, full_matrices=False).Vh[:k]  # (k, d)
    directions = torch.as_tensor(directions, dtype=torch.float64)
    if directions.shape != (k, X_train.shape[1]):
        raise ValueError(f"directions must be shaped ({k}, {X_train.shape[1]}), "
                         f"got {tuple(directions.shape)}")
    V = (4.0 * directions.t()).float().requires_grad_(True)              # (d, k)

    def fit_codes(X: torch.Tensor, fit_loadings: bool) -> torch.Tensor:
        U = torch.zeros(len(X), k, requires_grad=True)                   # (n, k)
        opt = torch.optim.Adam([U, V, b] if fit_loadings else [U], lr=lr)
        for _ in range(iterations):
            opt.zero_grad(set_to_none=True)
            loss = F.binary_cross_entropy_with_logits(U @ V.t() + b, X, reduction="sum") / len(X)
            loss.backward()
            opt.step()
        return U.detach()

    fit_codes(X_train.float(), fit_loadings=True)
    V, b = V.detach(), b.detach()
    X_test = X_test.float()
    U = fit_codes(X_test, fit_loadings=False)
    with torch.no_grad():
        return float((torch.sigmoid(U @ V.t() + b) - X_test).pow(2).sum(1).mean())


def pretrain_rbms(X, layer_sizes, *, epochs: int, batch_size: int, momentum_switch: int,
                  seed: int, progress: bool, device, phases: Phases) -> list[RBM]:
    """:func:`aekit.pretraining.pretrain_stack` with its defaults (binary RBMs at lr 0.1, a Gaussian
    top at 0.001), every layer timed as its own phase."""
    V, stack, sizes = X, [], tuple(layer_sizes)
    for i, n_hidden in enumerate(sizes):
        last = i == len(sizes) - 1
        hidden = "gaussian" if last else "bernoulli"
        with phases.time(f"rbm {V.shape[1]}-{n_hidden}"):
            rbm = RBM(V.shape[1], n_hidden, hidden=hidden, seed=seed + i)
            fit_rbm(rbm, V, epochs=epochs, batch_size=batch_size,
                    lr=0.001 if hidden == "gaussian" else 0.1, momentum_switch=momentum_switch,
                    progress=progress, seed=seed + i, device=device)
            if not last:
                V = rbm.transform(V)  # (n, n_hidden): the next RBM's data
        stack.append(rbm)
    return stack


def fine_tune(model, X, X_test, epochs: int, *, lr: float, batch_size: int, seed: int, device,
              phases: Phases, name: str, cpu0: float = 0.0, wall0: float = 0.0,
              progress: bool = False, schedule: str = "cosine") -> list[dict]:
    """Fine-tune ``model`` one epoch at a time with one Adam (its state carries over), the
    learning rate following ``schedule`` ("cosine" or "constant"); after every epoch the test
    error is measured. Returns the curve: one point per epoch (0 = before fine-tuning) with
    the cumulative training CPU and wall minutes, starting at ``cpu0``/``wall0`` seconds (the
    pretraining), evaluation not counted."""
    params = [p for p in model.parameters() if p.requires_grad]
    try:
        optimizer = torch.optim.Adam(params, lr=lr, fused=torch.device(device).type in ("cpu", "cuda"))
    except (RuntimeError, TypeError):
        optimizer = torch.optim.Adam(params, lr=lr)
    cpu, wall = cpu0, wall0
    with phases.time(f"{name} evaluation"):
        error = reconstruction_error(model, X_test)
    curve = [{"epoch": 0, "cpu_minutes": cpu / 60, "wall_minutes": wall / 60, "lr": 0.0,
              "test_error": error}]
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=epochs, desc=f"fine-tuning ({name})", unit="epoch")
    try:
        for epoch in range(epochs):
            rate = cosine_lr(lr, epoch, epochs) if schedule == "cosine" else lr
            for group in optimizer.param_groups:
                group["lr"] = rate
            with phases.time(f"{name} fine-tuning") as timer:
                fit(model, X, epochs=1, batch_size=batch_size, lr=rate, loss="bce",
                    optimizer=optimizer, progress=False, seed=seed + epoch, device=device)
            cpu, wall = cpu + timer.cpu_s, wall + timer.wall_s
            with phases.time(f"{name} evaluation"):
                error = reconstruction_error(model, X_test)
            curve.append({"epoch": epoch + 1, "cpu_minutes": cpu / 60, "wall_minutes": wall / 60,
                          "lr": rate, "test_error": error})
            if bar is not None:
                bar.set_postfix({"test": f"{error:.2f}"}, refresh=False)
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    return curve


def error_at(curve: list[dict], *, cpu_minutes: float | None = None,
             epoch: int | None = None) -> float | None:
    """The test error of a curve at a fine-tuning epoch, or at a CPU time (linear between
    the measured points); None before its first point (still pretraining) or past its end."""
    if epoch is not None:
        return next((p["test_error"] for p in curve if p["epoch"] == epoch), None)
    for a, b in zip(curve, curve[1:]):
        if a["cpu_minutes"] <= cpu_minutes <= b["cpu_minutes"]:
            span = b["cpu_minutes"] - a["cpu_minutes"]
            t = 0.0 if span == 0 else (cpu_minutes - a["cpu_minutes"]) / span
            return a["test_error"] + t * (b["test_error"] - a["test_error"])
    if curve and math.isclose(curve[-1]["cpu_minutes"], cpu_minutes):
        return curve[-1]["test_error"]
    return None


def load_result(path=None) -> dict:
    """A stored result (JSON written by ``--save``); default the budget run on Fashion-MNIST."""
    path = Path(path) if path is not None else RESULTS / "hinton2006_fashion-mnist_budget.json"
    return json.loads(Path(path).read_text())


def time_curves_figure(result=None, ax=None):
    """Test error against CPU-minutes for every scheme of a stored result (dict or path of its
    JSON; default :func:`load_result`), pretraining counted in, with PCA and logistic PCA as
    horizontal lines. Returns the matplotlib Figure."""
    from matplotlib.figure import Figure

    if result is None or isinstance(result, (str, Path)):
        result = load_result(result)
    if ax is None:
        fig = Figure(figsize=(7, 4.2), layout="constrained")
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    bands = 0
    for scheme, curve in result["curves"].items():
        x = [p["cpu_minutes"] for p in curve]
        y = [p["test_error"] for p in curve]
        label = SCHEME_LABELS.get(scheme, scheme)
        line, = ax.plot(x, y, marker="o", markersize=2.5, label=label)
        if x and x[0] > 0:  # pretraining: no test error to show until the stack is unrolled
            # one strip per scheme along the bottom, in its colour, so that they do not overlap
            ax.axvspan(0, x[0], ymin=0.015 + 0.045 * bands, ymax=0.05 + 0.045 * bands,
                       color=line.get_color(), alpha=0.6, lw=0,
                       label=f"{label}: pretraining (no test error yet)")
            bands += 1
    k = result.get("code_size", 30)
    for key, label, style in (("pca", f"PCA-{k}", "--"), ("logistic_pca", f"logistic PCA-{k}", ":")):
        if key in result["results"]:
            ax.axhline(result["results"][key], color="grey", ls=style, lw=1,
                       label=f"{label} ({result['results'][key]:.2f})")
    ax.set_yscale("log")
    ax.set_xlabel("CPU-minutes (one thread; pretraining included)")
    ax.set_ylabel("test error per image (log scale)")
    ax.set_title(f"{result.get('dataset', '')} {result.get('architecture', '')}: "
                 f"test error against training cost")
    ax.legend(fontsize=8)
    ax.grid(True, which="both", alpha=0.3)
    return fig
