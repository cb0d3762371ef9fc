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
import shlex
import sys
import time
from pathlib import Path

import torch

from aekit.data import DataError, load
from aekit.device import get_device
from aekit.models import deep_autoencoder
from aekit.pretraining import pretrain_autoencoder_stack, unroll
from aekit.bench._hinton_plans import (BUDGET_PLANS, PAPER, PAPER_PLAN, PROTOCOLS, Phases, Plan,
                                       SCHEME_LABELS, SETTINGS, cpu_seconds_per_epoch,
                                       estimate_seconds, format_plan, measure_epoch_seconds,
                                       paper_protocol_estimate, parse_plan, plan_epochs)
from aekit.bench._hinton_runs import (error_at, fine_tune, logistic_pca_error, pca_error,
                                      pretrain_rbms)


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
