"""The 2006 reproduction's settings, epoch protocols and timing (used by
:mod:`aekit.bench.hinton2006`): the network per data set, the budget and paper plans,
estimates of CPU time from measured seconds per epoch, the fine-tuning schedule, and the
per-phase wall and CPU clocks."""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path

import torch

from aekit import fit
from aekit.evaluate import reconstruction_error
from aekit.models import RBM, deep_autoencoder
from aekit.pretraining import fit_rbm


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
