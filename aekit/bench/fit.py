"""How fast is :func:`aekit.fit`? ``python -m aekit.bench fit [--images N] [--epochs-digits N]``.

Two networks are trained three ways each, in one run, interleaved and rotated (A B C, B C A,
C A B, ...), at least 5 times, every way at the same torch thread count; the median of each
way counts, with its min-max and interquartile range, and the ratios are given both as ratios
of medians and paired round by round (every run, its wall and process CPU time, is printed, so
a noisy measurement shows itself):

- "fit": :func:`aekit.fit` with its defaults (progress bar on, history recorded);
- "tutorial": the loop most tutorials show, ``DataLoader(TensorDataset(X), shuffle=True)``
  feeding ``torch.optim.Adam``;
- "ceiling": a hand-written loop that slices shuffled batches from the in-memory tensor and
  steps ``Adam(fused=True)``: about as fast as plain PyTorch gets for this work.

The networks are the 784-1000-500-250-30 autoencoder of Hinton & Salakhutdinov (2006; sigmoid
hidden units, linear code), one epoch on Fashion-MNIST images (random images of the same
shape when the data set is not installed), and a digits-size 64-32-8-32-64 network for many
epochs. The baselines use a plain ``nn.Sequential`` with the same layers, so the comparison
also charges ``fit`` for its model class. A dense 1024x1024 matmul gives the machine's peak,
and the cost model of about 6 x parameters x samples floating-point operations per epoch
turns each time into a fraction of that peak.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import time
from dataclasses import dataclass
from typing import Callable, Sequence

import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.data import DataLoader, TensorDataset

__all__ = ["main", "matmul_gflops", "Workload", "run_workload", "summarise", "paired_ratios"]

WAYS = ("fit", "tutorial", "ceiling")


@dataclass
class Workload:
    """One network and its data: what the three ways each train."""

    name: str
    X: torch.Tensor                  # (n, input_dim), values in [0, 1]
    code_dim: int
    hidden_dims: tuple[int, ...]
    activation: str                  # hidden units; the code is linear, the output sigmoid
    epochs: int
    batch_size: int = 128
    lr: float = 1e-3

    @property
    def sizes(self) -> tuple[int, ...]:
        return (self.X.shape[1], *self.hidden_dims, self.code_dim)

    def parameters(self) -> int:
        sizes = self.sizes
        one_way = sum(a * b + b for a, b in zip(sizes, sizes[1:]))
        back = sizes[::-1]
        return one_way + sum(a * b + b for a, b in zip(back, back[1:]))


def _sequential(work: Workload) -> nn.Sequential:
    """The same layers as ``aekit.models.Autoencoder`` builds, as a plain nn.Sequential."""
    act = {"sigmoid": nn.Sigmoid, "relu": nn.ReLU, "tanh": nn.Tanh}[work.activation]
    sizes = work.sizes
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes, sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(act())             # the code layer stays linear
    back = sizes[::-1]
    for i, (a, b) in enumerate(zip(back, back[1:])):
        layers.append(nn.Linear(a, b))
        layers.append(act() if i < len(back) - 2 else nn.Sigmoid())
    return nn.Sequential(*layers)


def _bce(X_hat: torch.Tensor, X: torch.Tensor) -> torch.Tensor:
    return F.binary_cross_entropy(X_hat, X, reduction="sum") / len(X)  # per image


def _clocks() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def _since(start: tuple[float, float]) -> tuple[float, float]:
    wall, cpu = _clocks()
    return wall - start[0], cpu - start[1]


def _run_fit(work: Workload, threads: int) -> tuple[float, float]:
    from aekit.models import Autoencoder
    from aekit.train import fit

    model = Autoencoder(work.X.shape[1], work.code_dim, hidden_dims=work.hidden_dims,
                        activation=work.activation)
    start = _clocks()
    with contextlib.redirect_stderr(io.StringIO()):  # the bar is drawn, just not shown here
        fit(model, work.X, epochs=work.epochs, batch_size=work.batch_size, lr=work.lr,
            loss="bce", progress=True, device="cpu", threads=threads)
    return _since(start)


def _run_tutorial(work: Workload, threads: int) -> tuple[float, float]:
    model = _sequential(work)
    start = _clocks()
    loader = DataLoader(TensorDataset(work.X), batch_size=work.batch_size, shuffle=True)
    optimizer = torch.optim.Adam(model.parameters(), lr=work.lr)
    model.train()
    for _ in range(work.epochs):
        for (X_b,) in loader:
            loss = _bce(model(X_b), X_b)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return _since(start)


def _run_ceiling(work: Workload, threads: int) -> tuple[float, float]:
    model = _sequential(work)
    start = _clocks()
    optimizer = torch.optim.Adam(model.parameters(), lr=work.lr, fused=True)
    X, n, bs = work.X, len(work.X), work.batch_size
    model.train()
    for _ in range(work.epochs):
        Xs = X[torch.randperm(n)]
        for lo in range(0, n, bs):
            X_b = Xs[lo:lo + bs]
            loss = _bce(model(X_b), X_b)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
    return _since(start)


_RUNNERS: dict[str, Callable[[Workload, int], tuple[float, float]]] = {
    "fit": _run_fit, "tutorial": _run_tutorial, "ceiling": _run_ceiling}


def run_workload(work: Workload, repeats: int = 5, ways: Sequence[str] = WAYS,
                 threads: int | None = None,
                 cpu_times: dict[str, list[float]] | None = None,
                 warm_up: bool = True) -> dict[str, list[float]]:
    """Wall times in seconds of each way (one per repeat), the ways interleaved and rotated
    (A B C, B C A, C A B, ...), every way on the same number of torch threads (default:
    torch's current setting). ``cpu_times``, a dict, receives the process CPU seconds of
    the same runs. ``warm_up`` first runs every way once, untimed, on two batches, so that no
    way pays the one-off costs (imports, first allocations, the thread pool) in a timed run."""
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats!r}")
    unknown = set(ways) - set(_RUNNERS)
    if unknown:
        raise ValueError(f"unknown ways {sorted(unknown)}; choose from {list(_RUNNERS)}")
    previous = torch.get_num_threads()
    threads = previous if threads is None else threads
    times: dict[str, list[float]] = {way: [] for way in ways}
    order = list(ways)
    try:
        torch.set_num_threads(threads)
        if warm_up:
            small = Workload(work.name, work.X[:2 * work.batch_size], work.code_dim,
                             work.hidden_dims, work.activation, 1, work.batch_size, work.lr)
            for way in order:
                _RUNNERS[way](small, threads)
        for r in range(repeats):
            torch.manual_seed(r)
            for way in order:
                wall, cpu = _RUNNERS[way](work, threads)
                times[way].append(wall)
                if cpu_times is not None:
                    cpu_times.setdefault(way, []).append(cpu)
            order = order[1:] + order[:1]
    finally:
        torch.set_num_threads(previous)
    return times


def summarise(runs: Sequence[float]) -> dict[str, float]:
    """Median, min, max and quartiles (``statistics.quantiles``, inclusive) of some runs."""
    runs = sorted(runs)
    if not runs:
        raise ValueError("no runs to summarise")
    q1, _, q3 = statistics.quantiles(runs, n=4, method="inclusive") if len(runs) > 1 else runs * 3
    return {"median": statistics.median(runs), "min": runs[0], "max": runs[-1], "q1": q1, "q3": q3}


def paired_ratios(times: dict[str, list[float]], a: str, b: str) -> list[float]:
    """``a / b`` for every repeat: the two runs of one round ran minutes apart at most, so a
    slow spell of the machine affects both and largely cancels."""
    return [x / y for x, y in zip(times[a], times[b])]


def matmul_gflops(n: int = 1024, repeats: int = 20) -> float:
    """Peak of this machine through torch: GFLOP/s of a dense ``n x n`` matmul (best of a few)."""
    a, b = torch.rand(n, n), torch.rand(n, n)
    for _ in range(3):
        torch.mm(a, b)                       # warm up the thread pool and caches
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        torch.mm(a, b)
        best = min(best, time.perf_counter() - start)
    return 2 * n ** 3 / best / 1e9


def _hinton_images(n: int) -> tuple[torch.Tensor, str]:
    from aekit.data import DataError, load

    try:
        data = load("fashion-mnist", n_train=min(n, 60000), n_test=1, progress=False)
        X = data.X_train
        if len(X) < n:                      # more than the 60,000 asked: repeat the images
            X = X.repeat(-(-n // len(X)), 1)[:n]
        return X.contiguous(), f"{n:,} Fashion-MNIST images"
    except (DataError, OSError):
        generator = torch.Generator().manual_seed(0)
        return (torch.rand(n, 784, generator=generator),
                f"{n:,} random 28x28 images (Fashion-MNIST is not installed here)")


def report(work: Workload, flops: float, peak: float, clock: str,
           times: dict[str, list[float]]) -> bool:
    """Print one clock's table and ratios for a workload; True when fit is within the spread
    of the ceiling (``fit / ceiling - 1`` at most the larger relative min-max spread)."""
    stats = {way: summarise(runs) for way, runs in times.items()}
    seconds = {way: st["median"] for way, st in stats.items()}
    spread = {way: (st["max"] - st["min"]) / st["median"] for way, st in stats.items()}
    print(f"  {clock + ' s':<9} {'median':>8}  {'min-max':>13}  {'IQR':>13}  {'spread':>7}  "
          f"{'of peak':>7}   runs")
    for way in WAYS:
        st = stats[way]
        share = f"{flops / seconds[way] / 1e9 / peak:7.1%}" if clock == "wall" else f"{'-':>7}"
        runs = ", ".join(f"{t:.2f}" for t in times[way])
        print(f"  {way:<9} {st['median']:8.3f}  {st['min']:6.2f}-{st['max']:<6.2f}  "
              f"{st['q1']:6.2f}-{st['q3']:<6.2f}  {spread[way]:7.1%}  {share}   ({runs})")
    for a, b in (("tutorial", "fit"), ("fit", "ceiling"), ("tutorial", "ceiling")):
        paired = summarise(paired_ratios(times, a, b))
        print(f"    {a} / {b} = {seconds[a] / seconds[b]:.3f} (medians); paired by round: "
              f"median {paired['median']:.3f}, range {paired['min']:.3f}-{paired['max']:.3f}")
    overhead = seconds["fit"] / seconds["ceiling"]
    noise = max(spread["fit"], spread["ceiling"])
    within = overhead - 1 <= noise
    print(f"    {clock}: fit / ceiling = {overhead:.3f}, "
          + ("within the spread" if within else "ABOVE the ceiling by more than the spread")
          + f" ({noise:.1%})")
    return within


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print seconds, ratios and the fraction of matmul peak."""
    parser = argparse.ArgumentParser(prog="python -m aekit.bench fit", description=__doc__.split("\n")[0])
    parser.add_argument("--images", type=int, default=20000,
                        help="Fashion-MNIST images for the one-epoch run of the deep network")
    parser.add_argument("--epochs-digits", type=int, default=50,
                        help="epochs for the digits-size network")
    parser.add_argument("--repeats", type=int, default=5,
                        help="runs of each way, interleaved; the median counts (default 5)")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--threads", type=int, nargs="+", default=None,
                        help="torch thread counts to compare at (default: 1 and one per core)")
    args = parser.parse_args(argv)
    if min(args.images, args.epochs_digits, args.batch_size) < 1:
        parser.error("--images, --epochs-digits and --batch-size must be positive")
    if args.repeats < 5:
        parser.error("--repeats must be at least 5: the median of fewer runs says little on a "
                     "shared machine")
    thread_counts = args.threads or sorted({1, torch.get_num_threads()})
    if min(thread_counts) < 1:
        parser.error("--threads must be positive")

    from aekit.data import load

    torch.manual_seed(0)
    X_big, what = _hinton_images(args.images)
    digits = load("digits")
    X_small = torch.cat([digits.X_train, digits.X_test])  # all 1,797 images
    works = [
        Workload("784-1000-500-250-30 (sigmoid), 1 epoch", X_big, 30, (1000, 500, 250),
                 "sigmoid", epochs=1, batch_size=args.batch_size),
        Workload(f"64-32-8-32-64 (relu), {args.epochs_digits} epochs", X_small, 8, (32,),
                 "relu", epochs=args.epochs_digits, batch_size=args.batch_size),
    ]
    # the peak is taken around every workload and the best counts (other work only slows it)
    peaks = [matmul_gflops()]
    results = []
    for work in works:
        for threads in thread_counts:
            cpu: dict[str, list[float]] = {}
            results.append((work, threads, run_workload(work, args.repeats, threads=threads,
                                                        cpu_times=cpu), cpu))
        peaks.append(matmul_gflops())
    peak = max(peaks)
    print(f"torch {torch.__version__}; batch {args.batch_size}; median of {args.repeats} "
          f"interleaved runs, every loop at the same thread count")
    print(f"dense 1024x1024 matmul: {peak:.0f} GFLOP/s (the machine's peak for this benchmark; "
          f"measured {', '.join(f'{p:.0f}' for p in peaks)})")
    print(f"deep network data: {what}; digits network data: {len(X_small):,} digits images\n")

    for work, threads, times, cpu in results:
        flops = 6 * work.parameters() * len(work.X) * work.epochs
        print(f"{work.name}: {work.parameters():,} parameters, {threads} thread(s)")
        for clock, measured in (("wall", times), ("CPU", cpu)):
            report(work, flops, peak, clock, measured)
    print("Timings on a shared machine are noisy: compare only numbers from one run. With one "
          "thread, CPU time is the work done and does not count time spent waiting for a core; "
          "with several, it also counts threads spinning while they wait for each other.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
