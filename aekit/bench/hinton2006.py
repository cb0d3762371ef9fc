"""Reproduce Hinton & Salakhutdinov (2006) within a CPU budget.

    python -m aekit.bench hinton2006 [--dataset fashion-mnist|mnist|digits]
                                     [--protocol budget|paper|planned] [--estimate]

The 784-1000-500-250-30 autoencoder is trained three ways: pretrained with a stack of RBMs
(the paper, the headline), pretrained with shallow autoencoders, and from a random start; PCA
and logistic PCA with the same code size are the baselines. The measure is the paper's:
squared reconstruction error per test image, summed over pixels in [0, 1].

The epochs come from a protocol, so that a result does not depend on how busy the machine was:

- ``budget`` (default): a fixed plan per data set, chosen from measured CPU seconds per epoch
  to fit 15 CPU-minutes of one thread (15 minutes on an idle 2-core machine). Most of it goes
  to the headline scheme; the others get a few epochs each.
- ``paper``: the paper's 50 RBM epochs per layer and 200 fine-tuning epochs for every scheme
  (hours on a CPU: ``--estimate`` prints the CPU time it would take and stops).
- ``planned``: the old behaviour, epochs planned from a few timed mini-batches to fit
  ``--budget-minutes`` of wall-clock time in the paper's 1 : 4 ratio.

``--plan rbm=4+34,autoencoders=2+4,random=0+5`` (pretraining + fine-tuning epochs per scheme)
or ``--rbm-epochs``/``--fine-tune-epochs`` (the same for every scheme) fix the epochs instead;
the printed command reproduces a run. Fine-tuning uses Adam with a cosine learning-rate
schedule over each scheme's epochs; the test error is measured after every epoch, and every
phase is timed in wall and process CPU seconds. ``--save FILE.txt`` also writes ``FILE.json``
with the phases and the curves of test error against CPU-minutes (pretraining counted in),
which :func:`time_curves_figure` draws. What differs from the paper is printed with the table.

Comparing the schemes fairly: every scheme is fine-tuned with the same optimizer, batch size
and schedule shape, and its curve is plotted against the CPU time it used, pretraining
included. The table gives each scheme's final error, and the headline scheme's error read off
its curve at the CPU time and at the fine-tuning epochs the other schemes used (these points
lie in the middle of a longer schedule, which favours the other schemes).
"""
from __future__ import annotations

import argparse
import json
import math
import shlex
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from torch.nn import functional as F

from aekit import fit
from aekit.data import DataError, load
from aekit.device import get_device
from aekit.evaluate import reconstruction_error
from aekit.models import RBM, deep_autoencoder
from aekit.pretraining import fit_rbm, pretrain_autoencoder_stack, pretrain_stack, unroll
from aekit.checks import as_numpy, as_tensor

# The paper's MNIST row (Science 313:504, Fig. 2 caption): deep AE, logistic PCA, PCA.
PAPER = {"deep": 3.00, "logistic_pca": 8.01, "pca": 13.87}
SCHEME_LABELS = {"rbm": "deep AE (RBMs)", "autoencoders": "deep AE (AE stack)",
                 "random": "deep AE (random)"}


@dataclass
class Setting:
    layer_sizes: tuple[int, ...]
    rbm_batch_size: int
    fine_tune_batch_size: int
    default_budget_minutes: float
    logistic_pca_train: int      # training images used to fit the logistic PCA loadings


SETTINGS = {
    "fashion-mnist": Setting((1000, 500, 250, 30), 100, 128, 15.0, 10000),
    "mnist": Setting((1000, 500, 250, 30), 100, 128, 15.0, 10000),
    "digits": Setting((128, 64, 32, 6), 32, 64, 0.5, 1437),
}


# --------------------------------------------------------------------------- baselines
def pca_error(X_train, X_test, k: int, return_components: bool = False):
    """Test error of PCA with k components, the measure of :func:`aekit.evaluate.pca_baseline`.

    Solved through the eigenvectors of the covariance matrix: for 60,000 images of 784
    pixels this takes seconds where a full SVD takes minutes on a busy CPU.
    ``return_components=True`` also returns the ``(k, d)`` principal directions.
    """
    from sklearn.decomposition import PCA

    X_train = as_numpy(X_train, "X_train")
    X_test = as_numpy(X_test, "X_test")
    pca = PCA(n_components=k, svd_solver="covariance_eigh").fit(X_train)
    error = float(((pca.inverse_transform(pca.transform(X_test)) - X_test) ** 2).sum(1).mean())
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


# --------------------------------------------------------------------------- planning
def _time_it(fn, repeats: int = 1, clock=time.perf_counter) -> float:
    start = clock()
    for _ in range(repeats):
        fn()
    return (clock() - start) / repeats


def measure_epoch_seconds(n: int, input_dim: int, setting: Setting, device,
                          clock=time.perf_counter, n_test: int | None = None) -> dict[str, float]:
    """Seconds per epoch over n examples of each stage, timed on a few mini-batches
    (wall-clock seconds; ``clock=time.process_time`` for CPU seconds), and seconds of one
    evaluation of n_test images (default n / 6, the share of the test set in MNIST)."""
    sizes = (input_dim, *setting.layer_sizes)
    steps = 12
    warm = torch.rand(8, 4)  # the first call of fit pays one-off start-up costs
    fit(deep_autoencoder(4, (2,)), warm, epochs=1, progress=False, device=device)
    rbm_seconds = ae_seconds = 0.0
    for i, (a, b) in enumerate(zip(sizes, sizes[1:])):
        last = i == len(sizes) - 2
        rbm = RBM(a, b, hidden="gaussian" if last else "bernoulli", seed=0)
        V = torch.rand(setting.rbm_batch_size * steps, a)
        fit_rbm(rbm, V, epochs=1, batch_size=setting.rbm_batch_size, progress=False, device=device)
        per = _time_it(lambda: fit_rbm(rbm, V, epochs=1, batch_size=setting.rbm_batch_size,
                                       progress=False, device=device), clock=clock) / len(V)
        rbm_seconds += per * n
        shallow = deep_autoencoder(a, (b,))
        per = _time_it(lambda: fit(shallow, V, epochs=1, batch_size=setting.rbm_batch_size,
                                   progress=False, device=device), clock=clock) / len(V)
        ae_seconds += per * n
    model = deep_autoencoder(input_dim, setting.layer_sizes)
    X = torch.rand(setting.fine_tune_batch_size * steps, input_dim)
    fit(model, X, epochs=1, batch_size=setting.fine_tune_batch_size, progress=False, device=device)
    per = _time_it(lambda: fit(model, X, epochs=1, batch_size=setting.fine_tune_batch_size,
                               progress=False, device=device), clock=clock) / len(X)
    evaluate = _time_it(lambda: reconstruction_error(model, X), clock=clock) / len(X)
    return {"rbm": rbm_seconds, "autoencoders": ae_seconds, "fine_tune": per * n,
            "evaluate": evaluate * (n // 6 if n_test is None else n_test)}


def plan_epochs(seconds: float, costs: dict[str, float], schemes: list[str],
                max_pretrain: int = 50, max_fine_tune: int = 200) -> tuple[int, int]:
    """Pretraining and fine-tuning epochs that fit ``seconds``, in the paper's ratio 1 : 4.

    ``costs`` holds seconds per epoch of each stage. At least 2 pretraining epochs and 1
    fine-tuning epoch; at most the paper's 50 and 200.
    """
    pretrain_cost = sum(costs[s] for s in schemes if s in ("rbm", "autoencoders"))
    fine_cost = costs["fine_tune"] * len(schemes)
    fine = seconds / (fine_cost + pretrain_cost / 4)
    pretrain = min(max_pretrain, max(2, round(fine / 4))) if pretrain_cost else 0
    fine = math.floor((seconds - pretrain * pretrain_cost) / fine_cost)
    return pretrain, min(max_fine_tune, max(1, fine))




# --------------------------------------------------------------------------- protocols
# Pretraining and fine-tuning epochs of each scheme. The budget plan for the 28x28 data sets
# comes from CPU seconds per epoch measured on 60,000 Fashion-MNIST images, one thread of a
# shared 2-core machine: the RBM stack 17 (8.9 + 6.1 + 1.8 + 0.3 for its four layers),
# fine-tuning 16.4, the shallow-autoencoder stack about 16, one test evaluation 0.8; PCA and
# logistic PCA about 50 together. RBMs 4 x 17 + fine-tuning 34 x (16.4 + 0.8) = 650 s for the
# headline scheme, about 100 s for each of the others: 15 CPU-minutes of one thread in all.
Plan = dict  # scheme -> (pretraining epochs per layer, fine-tuning epochs)
BUDGET_PLANS: dict[str, Plan] = {
    "fashion-mnist": {"rbm": (4, 34), "autoencoders": (2, 4), "random": (0, 5)},
    "mnist": {"rbm": (4, 34), "autoencoders": (2, 4), "random": (0, 5)},
    "digits": {"rbm": (10, 40), "autoencoders": (5, 20), "random": (0, 25)},
}
PAPER_PLAN: Plan = {"rbm": (50, 200), "autoencoders": (50, 200), "random": (0, 200)}
PROTOCOLS = ("budget", "paper", "planned")
RESULTS = Path(__file__).resolve().parent / "results"


def parse_plan(text: str) -> Plan:
    """``"rbm=4+34,random=0+5"`` -> ``{"rbm": (4, 34), "random": (0, 5)}``."""
    plan: Plan = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, _, epochs = item.partition("=")
        pre, plus, fine = epochs.partition("+")
        name = name.strip()
        if name not in SCHEME_LABELS or not plus or not pre.strip().isdigit() \
                or not fine.strip().isdigit():
            raise ValueError(f"each entry of a plan is SCHEME=PRETRAIN+FINETUNE with SCHEME one "
                             f"of {', '.join(SCHEME_LABELS)}, got {item!r}")
        plan[name] = (int(pre), int(fine))
    if not plan:
        raise ValueError("the plan is empty")
    return plan


def format_plan(plan: Plan) -> str:
    return ",".join(f"{s}={pre}+{fine}" for s, (pre, fine) in plan.items())


def estimate_seconds(plan: Plan, costs: dict[str, float]) -> dict[str, float]:
    """Seconds each scheme of ``plan`` takes, from ``costs`` in seconds per epoch ("rbm",
    "autoencoders": a whole stack; "fine_tune"; "evaluate": one test evaluation, done after
    pretraining and after every fine-tuning epoch)."""
    out = {}
    for scheme, (pre, fine) in plan.items():
        out[scheme] = (pre * costs.get(scheme, 0.0) + fine * costs["fine_tune"]
                       + (fine + 1) * costs.get("evaluate", 0.0))
    return out


def cosine_lr(lr: float, epoch: int, epochs: int, final: float = 0.01) -> float:
    """Learning rate of fine-tuning epoch ``epoch`` (from 0) of ``epochs``: ``lr`` falling on
    half a cosine to ``final * lr`` for the last epoch."""
    if epochs <= 1:
        return lr
    return lr * (final + (1 - final) * 0.5 * (1 + math.cos(math.pi * epoch / (epochs - 1))))


class Phases:
    """Wall and process CPU seconds of named phases, in the order they first ran."""

    def __init__(self) -> None:
        self.seconds: dict[str, dict[str, float]] = {}

    def time(self, name: str):
        phases = self

        class _Timer:
            def __enter__(self):
                self.wall, self.cpu = time.perf_counter(), time.process_time()
                return self

            def __exit__(self, *exc):
                entry = phases.seconds.setdefault(name, {"wall_s": 0.0, "cpu_s": 0.0})
                self.wall_s = time.perf_counter() - self.wall
                self.cpu_s = time.process_time() - self.cpu
                entry["wall_s"] += self.wall_s
                entry["cpu_s"] += self.cpu_s
                return False

        return _Timer()

    def table(self) -> list[str]:
        total_cpu = sum(v["cpu_s"] for v in self.seconds.values()) or 1.0
        width = max([len(n) for n in self.seconds] + [5])
        lines = [f"{'phase':<{width}}  {'wall s':>8}  {'CPU s':>8}  {'CPU share':>9}"]
        for name, v in self.seconds.items():
            lines.append(f"{name:<{width}}  {v['wall_s']:8.1f}  {v['cpu_s']:8.1f}  "
                         f"{v['cpu_s'] / total_cpu:9.1%}")
        lines.append(f"{'total':<{width}}  {sum(v['wall_s'] for v in self.seconds.values()):8.1f}"
                     f"  {total_cpu:8.1f}  {1:9.1%}")
        return lines


def pretrain_rbms(X, layer_sizes, *, epochs: int, batch_size: int, momentum_switch: int,
                  seed: int, progress: bool, device, phases: Phases) -> list[RBM]:
    """:func:`aekit.rbm.pretrain_stack` with its defaults (binary RBMs at lr 0.1, a Gaussian
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
    for scheme, curve in result["curves"].items():
        x = [p["cpu_minutes"] for p in curve]
        y = [p["test_error"] for p in curve]
        line, = ax.plot(x, y, marker="o", markersize=2.5, label=SCHEME_LABELS.get(scheme, scheme))
        if x and x[0] > 0:  # pretraining: no test error to show until the stack is unrolled
            ax.axvspan(0, x[0], color=line.get_color(), alpha=0.07, lw=0)
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


def cpu_seconds_per_epoch(phases: dict[str, dict[str, float]], plan: Plan) -> dict[str, float]:
    """CPU seconds per epoch of each stage, from the phases of a run (:attr:`Phases.seconds`):
    "rbm" the whole RBM stack (its ``rbm A-B`` layer phases), "autoencoders" the shallow stack,
    "fine_tune" one fine-tuning epoch (all schemes together), "evaluate" one test evaluation."""
    out: dict[str, float] = {}
    layers = [v["cpu_s"] for name, v in phases.items()
              if name.startswith("rbm ") and name[4:].replace("-", "").isdigit()]
    if plan.get("rbm", (0, 0))[0] and layers:
        out["rbm"] = sum(layers) / plan["rbm"][0]
    if plan.get("autoencoders", (0, 0))[0] and "autoencoder stack" in phases:
        out["autoencoders"] = phases["autoencoder stack"]["cpu_s"] / plan["autoencoders"][0]
    fine = sum(f for _, f in plan.values())
    tuned = [phases[f"{s} fine-tuning"]["cpu_s"] for s in plan if f"{s} fine-tuning" in phases]
    if fine and tuned:
        out["fine_tune"] = sum(tuned) / fine
        evaluations = [phases[f"{s} evaluation"]["cpu_s"] for s in plan if f"{s} evaluation" in phases]
        out["evaluate"] = sum(evaluations) / (fine + len(plan))
    return out


def paper_protocol_estimate(per_epoch: dict[str, float], plan: Plan) -> dict[str, float]:
    """CPU seconds the paper's epochs would take for the schemes of ``plan``, from the
    per-epoch figures of :func:`cpu_seconds_per_epoch`; empty when a figure is missing."""
    if "fine_tune" not in per_epoch or any(s != "random" and s not in per_epoch for s in plan):
        return {}
    return estimate_seconds({s: PAPER_PLAN[s] for s in plan}, per_epoch)


# --------------------------------------------------------------------------- the run
def _epochs(n: int) -> str:
    return f"{n} epoch" if n == 1 else f"{n} epochs"


def _table(dataset: str, sizes: str, results: dict[str, float], schemes: list[str],
           k: int) -> list[str]:
    cols = [SCHEME_LABELS[s] for s in schemes] + [f"logistic PCA-{k}", f"PCA-{k}"]
    width = max(len(c) for c in cols)
    head = f"{'data':<26} {'architecture':<20}" + "".join(f" {c:>{width}}" for c in cols)
    paper = [f"{PAPER['deep']:.2f}" if s == "rbm" else "-" for s in schemes]
    paper += [f"{PAPER['logistic_pca']:.2f}", f"{PAPER['pca']:.2f}"]
    ours = [f"{results[s]:.2f}" if s in results else "-" for s in schemes]
    ours += [f"{results['logistic_pca']:.2f}" if "logistic_pca" in results else "-",
             f"{results['pca']:.2f}"]
    return [head, "-" * len(head),
            f"{'MNIST (paper, 2006)':<26} {'784-1000-500-250-30':<20}"
            + "".join(f" {v:>{width}}" for v in paper),
            f"{dataset + ' (this run)':<26} {sizes:<20}"
            + "".join(f" {v:>{width}}" for v in ours)]


def _fmt(v: float | None) -> str:
    return "-" if v is None else f"{v:.2f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m aekit.bench hinton2006",
        description="Hinton & Salakhutdinov (2006): RBM-pretrained deep autoencoder vs "
                    "shallow-AE pretraining, random init, PCA and logistic PCA.")
    parser.add_argument("--dataset", default="fashion-mnist", choices=sorted(SETTINGS))
    parser.add_argument("--protocol", default="budget", choices=PROTOCOLS,
                        help="budget: a fixed epoch plan for 15 CPU-minutes (default); paper: "
                             "the paper's epochs; planned: epochs planned from timed "
                             "mini-batches to fit --budget-minutes")
    parser.add_argument("--plan", default=None,
                        help="epochs per scheme, e.g. rbm=4+34,autoencoders=2+4,random=0+5 "
                             "(pretraining per layer + fine-tuning); overrides the protocol")
    parser.add_argument("--estimate", action="store_true",
                        help="print the CPU time the plan would take (from a few timed "
                             "mini-batches) and stop")
    parser.add_argument("--budget-minutes", type=float, default=None,
                        help="wall-clock budget for --protocol planned (default: 15 for the "
                             "28x28 data sets, 0.5 for digits)")
    parser.add_argument("--rbm-epochs", type=int, default=None,
                        help="pretraining epochs per layer, for every pretrained scheme")
    parser.add_argument("--fine-tune-epochs", type=int, default=None,
                        help="fine-tuning epochs, the same for every scheme")
    parser.add_argument("--schemes", default="rbm,autoencoders,random",
                        help="comma-separated subset of rbm, autoencoders, random")
    parser.add_argument("--no-logistic-pca", action="store_true", help="skip logistic PCA")
    parser.add_argument("--n-train", type=int, default=None, help="use only the first N training images")
    parser.add_argument("--threads", type=int, default=None,
                        help="CPU threads for torch and NumPy (1 is faster on a heavily shared "
                             "machine)")
    parser.add_argument("--lr", type=float, default=1e-3,
                        help="Adam's peak learning rate for fine-tuning")
    parser.add_argument("--schedule", default="cosine", choices=("cosine", "constant"),
                        help="fine-tuning learning rate: cosine decay to 1%% of --lr (default) "
                             "or constant")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--save", default=None,
                        help="also write the table to this file, and the phases and curves to "
                             "the same name with .json")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    args = parser.parse_args(argv)

    schemes = [s.strip() for s in args.schemes.split(",") if s.strip()]
    bad = [s for s in schemes if s not in SCHEME_LABELS]
    if bad or not schemes:
        parser.error(f"--schemes must list some of {', '.join(SCHEME_LABELS)}, got {args.schemes!r}")
    if args.threads is not None:
        if args.threads < 1:
            parser.error("--threads must be at least 1")
        torch.set_num_threads(args.threads)
        from threadpoolctl import threadpool_limits  # installed with scikit-learn

        threadpool_limits(args.threads)  # NumPy's BLAS too (PCA)
    setting = SETTINGS[args.dataset]
    budget = args.budget_minutes if args.budget_minutes is not None else setting.default_budget_minutes
    if budget <= 0:
        parser.error("--budget-minutes must be positive")
    plan: Plan | None = None
    if args.plan is not None:
        try:
            plan = parse_plan(args.plan)
        except ValueError as err:
            parser.error(str(err))
        schemes = [s for s in schemes if s in plan] if args.schemes == parser.get_default("schemes") \
            else schemes
        missing = [s for s in schemes if s not in plan]
        if missing:
            parser.error(f"--plan gives no epochs for {', '.join(missing)}")
    elif args.protocol == "budget":
        plan = dict(BUDGET_PLANS[args.dataset])
    elif args.protocol == "paper":
        plan = dict(PAPER_PLAN)
    progress = not args.quiet
    device = get_device()
    phases = Phases()
    wall0, cpu0 = time.perf_counter(), time.process_time()

    with phases.time("load data"):
        try:
            data = load(args.dataset, n_train=args.n_train)
        except DataError as err:
            print(f"error: {err}", file=sys.stderr)
            return 1
    X, X_test = data.X_train, data.X_test
    k = setting.layer_sizes[-1]
    sizes = "-".join(map(str, (data.input_dim, *setting.layer_sizes)))

    if args.estimate:
        costs = measure_epoch_seconds(len(X), data.input_dim, setting, device,
                                      clock=time.process_time, n_test=len(X_test))
        if plan is None:
            plan = {s: (0 if s == "random" else args.rbm_epochs or 2, args.fine_tune_epochs or 1)
                    for s in schemes}
        plan = {s: plan[s] for s in schemes}
        estimate = estimate_seconds(plan, costs)
        print(f"{data!r}; network {sizes}; {torch.get_num_threads()} thread(s)")
        print("measured CPU seconds per epoch (a few timed mini-batches, scaled to "
              f"{len(X)} images): " + ", ".join(f"{s} {c:.1f}" for s, c in costs.items()))
        print(f"plan {format_plan(plan)} ({args.protocol if args.plan is None else 'given'}):")
        for scheme, secs in estimate.items():
            print(f"  {SCHEME_LABELS[scheme]:<20} {secs / 60:8.1f} CPU-minutes")
        total = sum(estimate.values())
        print(f"  {'total (no baselines)':<20} {total / 60:8.1f} CPU-minutes = {total / 3600:.1f} "
              f"CPU-hours (one thread; divide by the threads' speed-up on an idle machine)")
        return 0

    print(f"{data!r}; network {sizes}; {len(X)} training images; device {device}, "
          f"{torch.get_num_threads()} threads; protocol {args.protocol}", flush=True)
    torch.manual_seed(args.seed)

    results: dict[str, float] = {}
    with phases.time("pca"):
        results["pca"], components = pca_error(X, X_test, k, return_components=True)
    print(f"PCA-{k}: {results['pca']:.2f}", flush=True)
    if not args.no_logistic_pca:
        with phases.time("logistic pca"):
            results["logistic_pca"] = logistic_pca_error(X[:setting.logistic_pca_train], X_test,
                                                         k, directions=components)
        print(f"logistic PCA-{k}: {results['logistic_pca']:.2f}", flush=True)

    if plan is None:  # --protocol planned, or --rbm-epochs/--fine-tune-epochs
        pretrain_epochs, fine_tune_epochs = args.rbm_epochs, args.fine_tune_epochs
        if pretrain_epochs is None or fine_tune_epochs is None:
            costs = measure_epoch_seconds(len(X), data.input_dim, setting, device)
            left = 0.8 * (budget * 60 - (time.perf_counter() - wall0))  # keep a margin
            planned = plan_epochs(max(left, 1.0), costs, schemes)
            print("measured seconds per epoch: " + ", ".join(f"{s} {c:.1f}" for s, c in costs.items())
                  + f"; planned {planned[0]} pretraining and {planned[1]} fine-tuning epochs", flush=True)
            pretrain_epochs = planned[0] if pretrain_epochs is None else pretrain_epochs
            fine_tune_epochs = planned[1] if fine_tune_epochs is None else fine_tune_epochs
        plan = {s: (0 if s == "random" else pretrain_epochs, fine_tune_epochs) for s in schemes}
    else:
        if args.plan is None:  # the protocol's plan; --rbm-epochs/--fine-tune-epochs override
            plan = {s: (plan[s][0] if args.rbm_epochs is None or s == "random" else args.rbm_epochs,
                        plan[s][1] if args.fine_tune_epochs is None else args.fine_tune_epochs)
                    for s in schemes}
        plan = {s: plan[s] for s in schemes}
    for s, (pre, fine) in plan.items():
        if fine < 0 or (pre < 1 and s != "random"):
            parser.error("--rbm-epochs must be at least 1 and --fine-tune-epochs at least 0")
    plan = {s: (0, fine) if s == "random" else (pre, fine) for s, (pre, fine) in plan.items()}

    curves: dict[str, list[dict]] = {}
    before: dict[str, float] = {}
    switches: dict[str, int] = {}
    for scheme in schemes:
        pre, fine = plan[scheme]
        mark = len(phases.seconds)
        if scheme == "rbm":
            switch = switches[scheme] = min(5, max(1, pre // 2))
            stack = pretrain_rbms(X, setting.layer_sizes, epochs=pre,
                                  batch_size=setting.rbm_batch_size, momentum_switch=switch,
                                  seed=args.seed, progress=progress, device=device, phases=phases)
            model = unroll(stack)
        elif scheme == "autoencoders":
            with phases.time("autoencoder stack"):
                stack = pretrain_autoencoder_stack(X, setting.layer_sizes, epochs=pre,
                                                   batch_size=setting.rbm_batch_size,
                                                   progress=progress, seed=args.seed, device=device)
                model = unroll(stack)
        else:
            model = deep_autoencoder(data.input_dim, setting.layer_sizes, seed=args.seed)
        spent = list(phases.seconds.values())[mark:]
        curves[scheme] = fine_tune(
            model, X, X_test, fine, lr=args.lr, batch_size=setting.fine_tune_batch_size,
            seed=args.seed, device=device, phases=phases, name=scheme,
            cpu0=sum(v["cpu_s"] for v in spent), wall0=sum(v["wall_s"] for v in spent),
            progress=progress, schedule=args.schedule)
        before[scheme] = curves[scheme][0]["test_error"]
        results[scheme] = curves[scheme][-1]["test_error"]
        print(f"{SCHEME_LABELS[scheme]}: {before[scheme]:.2f} before fine-tuning, "
              f"{results[scheme]:.2f} after {_epochs(fine)} "
              f"({curves[scheme][-1]['cpu_minutes']:.1f} CPU-minutes)", flush=True)

    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    command = ["python", "-m", "aekit.bench", "hinton2006", "--dataset", args.dataset]
    pretrains = {pre for s, (pre, _) in plan.items() if s != "random"}
    fines = {fine for _, fine in plan.values()}
    if len(pretrains) <= 1 and len(fines) == 1:
        command += ["--rbm-epochs", str(next(iter(pretrains), 1)), "--fine-tune-epochs",
                    str(next(iter(fines)))]
    elif args.plan is None and args.protocol != "planned" and plan == {
            s: (BUDGET_PLANS[args.dataset] if args.protocol == "budget" else PAPER_PLAN)[s]
            for s in schemes}:
        command += ["--protocol", args.protocol]
    else:
        command += ["--plan", format_plan(plan)]
    if args.n_train:
        command += ["--n-train", str(args.n_train)]
    if args.threads:
        command += ["--threads", str(args.threads)]
    if args.schemes != parser.get_default("schemes") and args.plan is None:
        command += ["--schemes", args.schemes]
    if args.no_logistic_pca:
        command += ["--no-logistic-pca"]
    if args.lr != parser.get_default("lr"):
        command += ["--lr", str(args.lr)]
    if args.schedule != parser.get_default("schedule"):
        command += ["--schedule", args.schedule]
    if args.seed:
        command += ["--seed", str(args.seed)]

    # per-epoch CPU seconds measured in this run, and what the paper's epochs would cost
    per_epoch = cpu_seconds_per_epoch(phases.seconds, plan)
    paper_estimate = paper_protocol_estimate(per_epoch, plan)

    head = schemes[0]
    fair = []
    for s in schemes[1:]:
        t = curves[s][-1]["cpu_minutes"]
        fair.append(f"{SCHEME_LABELS[s]} {results[s]:.2f} after {_epochs(plan[s][1])} and "
                    f"{t:.1f} CPU-min; {SCHEME_LABELS[head]} at the same CPU time "
                    f"{_fmt(error_at(curves[head], cpu_minutes=t))}"
                    + ("" if error_at(curves[head], cpu_minutes=t) is not None
                       or t > curves[head][-1]["cpu_minutes"] else " (still pretraining)")
                    + f", after the same fine-tuning epochs "
                    f"{_fmt(error_at(curves[head], epoch=plan[s][1]))}")
    total = curves[head][-1]["cpu_minutes"]
    pca_ratio = results[head] / results["pca"]
    lines = [
        "Hinton & Salakhutdinov (2006), reproduced: average squared reconstruction error per "
        "test image",
        f"(sum over pixels in [0, 1], mean over the {len(X_test)} test images; lower is better)",
        "",
        *_table(data.name, sizes, results, schemes, k),
        "",
        f"{SCHEME_LABELS[head]} / PCA-{k} = {pca_ratio:.2f} (paper: "
        f"{PAPER['deep'] / PAPER['pca']:.2f}), after {total:.1f} CPU-minutes of training",
        "before fine-tuning (unrolled stack / random start): "
        + ", ".join(f"{SCHEME_LABELS[s]} {before[s]:.2f}" for s in schemes),
        f"protocol: {args.protocol if args.plan is None else 'given plan'}; epochs "
        "(pretraining per layer + fine-tuning): "
        + ", ".join(f"{SCHEME_LABELS[s]} {pre}+{fine}" for s, (pre, fine) in plan.items()),
        *([f"at equal cost: {line}" for line in fair] if fair else []),
        f"training images: {len(X)}; pretraining: RBMs CD-1, batch {setting.rbm_batch_size}, "
        f"lr 0.1 and 0.001 for the linear top, momentum 0.5 then 0.9 after "
        f"{switches.get('rbm', min(5, max(1, plan.get('rbm', (2, 0))[0] // 2)))}, weight cost "
        f"0.0002; shallow autoencoders Adam lr 0.001, batch {setting.rbm_batch_size}",
        f"fine-tuning: Adam lr {args.lr:g}"
        + (", cosine decay to 1% over each scheme's epochs" if args.schedule == "cosine" else "")
        + f", batch {setting.fine_tune_batch_size}, cross-entropy; test error after every epoch",
        "differs from the paper: "
        + ("fewer epochs (paper: 50 per RBM, 200 of fine-tuning), " if any(
            (s != "random" and pre < 50) or fine < 200 for s, (pre, fine) in plan.items()) else "")
        + "Adam instead of conjugate gradients on 1,000-image batches"
        + ("" if args.dataset == "mnist" else f", data set {data.name} instead of MNIST"
           + (", smaller network" if args.dataset == "digits" else ""))
        + (f"; logistic PCA loadings fitted on the first {min(len(X), setting.logistic_pca_train)}"
           f" training images, test codes fitted per image" if "logistic_pca" in results else ""),
        "",
        "where the time went:",
        *phases.table(),
        "",
        "CPU seconds per epoch in this run: " + ", ".join(f"{s} {c:.1f}" for s, c in per_epoch.items())
        + (f"; the paper's epochs would take {sum(paper_estimate.values()) / 3600:.1f} CPU-hours ("
           + ", ".join(f"{s} {v / 3600:.1f}" for s, v in paper_estimate.items()) + ")"
           if paper_estimate else ""),
        f"total wall time {wall / 60:.1f} min, CPU time {cpu / 60:.1f} min, "
        f"{torch.get_num_threads()} threads, device {device}",
        f"reproduce: {shlex.join(command)}",
    ]
    if args.protocol == "planned" and wall > budget * 60:
        lines.append(f"note: the run took longer than its budget of {budget:g} min (the machine "
                     f"was slower or busier than when the epochs were planned)")
    print("\n" + "\n".join(lines))
    if args.save:
        path = Path(args.save)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines) + "\n")
        record = {
            "dataset": data.name, "architecture": sizes, "code_size": k,
            "protocol": args.protocol if args.plan is None else "given",
            "plan": {s: {"pretrain_epochs": pre, "fine_tune_epochs": fine}
                     for s, (pre, fine) in plan.items()},
            "command": shlex.join(command), "results": results, "before_fine_tuning": before,
            "ratio_to_pca": pca_ratio, "paper": PAPER,
            "fine_tuning": {"optimizer": "Adam", "lr": args.lr, "schedule": args.schedule,
                            "batch_size": setting.fine_tune_batch_size},
            "phases": phases.seconds, "curves": curves, "cpu_seconds_per_epoch": per_epoch,
            "paper_protocol_cpu_seconds": paper_estimate,
            "wall_seconds": wall, "cpu_seconds": cpu, "threads": torch.get_num_threads(),
            "device": str(device), "torch": torch.__version__,
            "n_train": len(X), "n_test": len(X_test),
        }
        json_path = path.with_suffix(".json")
        json_path.write_text(json.dumps(record, indent=1) + "\n")
        print(f"\nsaved to {path} and {json_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
