"""Reproduce Hinton & Salakhutdinov (2006) within a CPU budget.

    python -m aekit.bench hinton2006 [--dataset fashion-mnist|mnist|digits] [--budget-minutes N]

The 784-1000-500-250-30 autoencoder is trained three ways with the same fine-tuning budget:
pretrained with a stack of RBMs (the paper), pretrained with shallow autoencoders, and from a
random start; PCA and logistic PCA with the same code size are the baselines. The measure is
the paper's: squared reconstruction error per test image, summed over pixels in [0, 1].

Epochs are planned to fit the budget: the script times a few mini-batches of each stage,
keeps the paper's ratio of pretraining to fine-tuning epochs (50 : 200) and never exceeds the
paper's counts. ``--rbm-epochs`` and ``--fine-tune-epochs`` fix them instead (the printed
command reproduces a run). What differs from the paper is printed with the table.
"""
from __future__ import annotations

import argparse
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
def pca_error(X_train, X_test, k: int) -> float:
    """Test error of PCA with k components, the measure of :func:`aekit.evaluate.pca_baseline`.

    Solved through the eigenvectors of the covariance matrix: for 60,000 images of 784
    pixels this takes seconds where a full SVD takes minutes on a busy CPU.
    """
    from sklearn.decomposition import PCA

    X_train = as_numpy(X_train, "X_train")
    X_test = as_numpy(X_test, "X_test")
    pca = PCA(n_components=k, svd_solver="covariance_eigh").fit(X_train)
    return float(((pca.inverse_transform(pca.transform(X_test)) - X_test) ** 2).sum(1).mean())


def logistic_pca_error(X_train, X_test, k: int, iterations: int = 150,
                       lr: float = 0.05) -> float:
    """Test error of logistic (Bernoulli) PCA with k components (Schein et al. 2003).

    Each image is modelled as ``sigmoid(u V^T + b)``: loadings ``V`` and offsets ``b`` are fitted
    on X_train with the codes ``u`` (cross-entropy, full-batch Adam); then ``V`` and ``b`` are
    fixed and a code is fitted to every test image the same way. There is no encoder: the test
    codes are optimised per image, which favours this baseline. Deterministic: it starts from
    the principal directions and zero codes. Returns the mean squared
    error per test image, the measure of :func:`aekit.evaluate.reconstruction_error`.
    """
    X_train = as_tensor(X_train, "X_train").cpu().double()
    X_test = as_tensor(X_test, "X_test").cpu().double()
    if not 1 <= k <= X_train.shape[1]:
        raise ValueError(f"k must be between 1 and {X_train.shape[1]}, got {k!r}")
    p = X_train.mean(0).clamp(1e-3, 1 - 1e-3)
    b = torch.log(p / (1 - p)).float().requires_grad_(True)
    # start the loadings on the principal directions, scaled to logit units
    centred = X_train - X_train.mean(0)
    directions = torch.linalg.svd(centred, full_matrices=False).Vh[:k]  # (k, d)
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
def _time_it(fn, repeats: int = 1) -> float:
    start = time.perf_counter()
    for _ in range(repeats):
        fn()
    return (time.perf_counter() - start) / repeats


def measure_epoch_seconds(n: int, input_dim: int, setting: Setting, device) -> dict[str, float]:
    """Seconds per epoch over n examples of each stage, timed on a few mini-batches."""
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
                                       progress=False, device=device)) / len(V)
        rbm_seconds += per * n
        shallow = deep_autoencoder(a, (b,))
        per = _time_it(lambda: fit(shallow, V, epochs=1, batch_size=setting.rbm_batch_size,
                                   progress=False, device=device)) / len(V)
        ae_seconds += per * n
    model = deep_autoencoder(input_dim, setting.layer_sizes)
    X = torch.rand(setting.fine_tune_batch_size * steps, input_dim)
    fit(model, X, epochs=1, batch_size=setting.fine_tune_batch_size, progress=False, device=device)
    per = _time_it(lambda: fit(model, X, epochs=1, batch_size=setting.fine_tune_batch_size,
                               progress=False, device=device)) / len(X)
    return {"rbm": rbm_seconds, "autoencoders": ae_seconds, "fine_tune": per * n}


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m aekit.bench hinton2006",
        description="Hinton & Salakhutdinov (2006): RBM-pretrained deep autoencoder vs "
                    "shallow-AE pretraining, random init, PCA and logistic PCA.")
    parser.add_argument("--dataset", default="fashion-mnist", choices=sorted(SETTINGS))
    parser.add_argument("--budget-minutes", type=float, default=None,
                        help="wall-clock budget used to plan the epochs (default: 15 for the "
                             "28x28 data sets, 0.5 for digits)")
    parser.add_argument("--rbm-epochs", type=int, default=None,
                        help="pretraining epochs per layer (default: planned from the budget)")
    parser.add_argument("--fine-tune-epochs", type=int, default=None,
                        help="fine-tuning epochs, the same for every scheme (default: planned)")
    parser.add_argument("--schemes", default="rbm,autoencoders,random",
                        help="comma-separated subset of rbm, autoencoders, random")
    parser.add_argument("--no-logistic-pca", action="store_true", help="skip logistic PCA")
    parser.add_argument("--n-train", type=int, default=None, help="use only the first N training images")
    parser.add_argument("--threads", type=int, default=None,
                        help="CPU threads for torch and NumPy (1 is faster on a heavily shared "
                             "machine)")
    parser.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate for fine-tuning")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--save", default=None, help="also write the table and settings to this file")
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
    progress = not args.quiet
    device = get_device()
    wall0, cpu0 = time.perf_counter(), time.process_time()

    try:
        data = load(args.dataset, n_train=args.n_train)
    except DataError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    X, X_test = data.X_train, data.X_test
    k = setting.layer_sizes[-1]
    sizes = "-".join(map(str, (data.input_dim, *setting.layer_sizes)))
    print(f"{data!r}; network {sizes}; {len(X)} training images; device {device}, "
          f"{torch.get_num_threads()} threads; budget {budget:g} min", flush=True)
    torch.manual_seed(args.seed)

    results: dict[str, float] = {}
    seconds: dict[str, float] = {}
    start = time.perf_counter()
    results["pca"] = pca_error(X, X_test, k)
    seconds["pca"] = time.perf_counter() - start
    print(f"PCA-{k}: {results['pca']:.2f} ({seconds['pca']:.0f} s)", flush=True)
    if not args.no_logistic_pca:
        start = time.perf_counter()
        results["logistic_pca"] = logistic_pca_error(X[:setting.logistic_pca_train], X_test, k)
        seconds["logistic_pca"] = time.perf_counter() - start
        print(f"logistic PCA-{k}: {results['logistic_pca']:.2f} "
              f"({seconds['logistic_pca']:.0f} s)", flush=True)

    pretrain_epochs, fine_tune_epochs = args.rbm_epochs, args.fine_tune_epochs
    if pretrain_epochs is None or fine_tune_epochs is None:
        costs = measure_epoch_seconds(len(X), data.input_dim, setting, device)
        left = 0.8 * (budget * 60 - (time.perf_counter() - wall0))  # keep a margin
        planned = plan_epochs(max(left, 1.0), costs, schemes)
        print("measured seconds per epoch: " + ", ".join(f"{s} {c:.1f}" for s, c in costs.items())
              + f"; planned {planned[0]} pretraining and {planned[1]} fine-tuning epochs", flush=True)
        pretrain_epochs = planned[0] if pretrain_epochs is None else pretrain_epochs
        fine_tune_epochs = planned[1] if fine_tune_epochs is None else fine_tune_epochs
    if fine_tune_epochs < 0 or (pretrain_epochs < 1 and set(schemes) - {"random"}):
        parser.error("--rbm-epochs must be at least 1 and --fine-tune-epochs at least 0")
    switch = min(5, max(1, pretrain_epochs // 2))

    before: dict[str, float] = {}
    for scheme in schemes:
        start = time.perf_counter()
        if scheme == "rbm":
            stack = pretrain_stack(X, setting.layer_sizes, epochs=pretrain_epochs,
                                   batch_size=setting.rbm_batch_size, momentum_switch=switch,
                                   progress=progress, seed=args.seed, device=device)
            model = unroll(stack)
        elif scheme == "autoencoders":
            stack = pretrain_autoencoder_stack(X, setting.layer_sizes, epochs=pretrain_epochs,
                                               batch_size=setting.rbm_batch_size,
                                               progress=progress, seed=args.seed, device=device)
            model = unroll(stack)
        else:
            model = deep_autoencoder(data.input_dim, setting.layer_sizes, seed=args.seed)
        seconds[f"{scheme} pretraining"] = time.perf_counter() - start
        before[scheme] = reconstruction_error(model, X_test)
        start = time.perf_counter()
        fit(model, X, epochs=fine_tune_epochs, batch_size=setting.fine_tune_batch_size,
            lr=args.lr, loss="bce", progress=progress, seed=args.seed, device=device)
        seconds[f"{scheme} fine-tuning"] = time.perf_counter() - start
        results[scheme] = reconstruction_error(model, X_test)
        print(f"{SCHEME_LABELS[scheme]}: {before[scheme]:.2f} before fine-tuning, "
              f"{results[scheme]:.2f} after", flush=True)

    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    command = ["python", "-m", "aekit.bench", "hinton2006", "--dataset", args.dataset,
               "--rbm-epochs", str(pretrain_epochs), "--fine-tune-epochs", str(fine_tune_epochs)]
    if args.n_train:
        command += ["--n-train", str(args.n_train)]
    if args.threads:
        command += ["--threads", str(args.threads)]
    if args.schemes != parser.get_default("schemes"):
        command += ["--schemes", args.schemes]
    if args.lr != parser.get_default("lr"):
        command += ["--lr", str(args.lr)]
    if args.seed:
        command += ["--seed", str(args.seed)]

    lines = [
        "Hinton & Salakhutdinov (2006), reproduced: average squared reconstruction error per "
        "test image",
        f"(sum over pixels in [0, 1], mean over the {len(X_test)} test images; lower is better)",
        "",
        *_table(data.name, sizes, results, schemes, k),
        "",
        "before fine-tuning (unrolled stack / random start): "
        + ", ".join(f"{SCHEME_LABELS[s]} {before[s]:.2f}" for s in schemes),
        f"training images: {len(X)}; pretraining: {_epochs(pretrain_epochs)} per layer "
        f"(RBMs: CD-1, batch {setting.rbm_batch_size}, lr 0.1 and 0.001 for the linear top, "
        f"momentum 0.5 then 0.9 after {switch}, weight cost 0.0002)",
        f"fine-tuning: {_epochs(fine_tune_epochs)} for every scheme, Adam lr {args.lr:g}, batch "
        f"{setting.fine_tune_batch_size}, cross-entropy",
        "differs from the paper: "
        + ("fewer epochs (paper: 50 per RBM, 200 of fine-tuning), " if
           pretrain_epochs < 50 or fine_tune_epochs < 200 else "")
        + "Adam instead of conjugate gradients on 1,000-image batches"
        + ("" if args.dataset == "mnist" else f", data set {data.name} instead of MNIST"
           + (", smaller network" if args.dataset == "digits" else ""))
        + (f"; logistic PCA loadings fitted on the first {min(len(X), setting.logistic_pca_train)}"
           f" training images, test codes fitted per image" if "logistic_pca" in results else ""),
        "time (s): " + ", ".join(f"{name} {s:.0f}" for name, s in seconds.items()),
        f"total wall time {wall / 60:.1f} min (budget {budget:g} min), CPU time {cpu / 60:.1f} min, "
        f"{torch.get_num_threads()} threads, device {device}",
        f"reproduce: {shlex.join(command)}",
    ]
    if wall > budget * 60:
        lines.append(f"note: the run took longer than its budget (the machine was slower or "
                     f"busier than when the epochs were planned)")
    print("\n" + "\n".join(lines))
    if args.save:
        path = Path(args.save)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines) + "\n")
        print(f"\nsaved to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
