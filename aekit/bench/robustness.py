"""Run every lesson over a matrix of seeds, CPU kernels and thread counts; report its checks.

``python -m aekit.bench robustness [lessons...] [--seeds 0-4] [--kernels default,avx2,avx512]
[--threads 1,2] [--jobs N] [--json FILE]``

A lesson's claim is verified only if its check holds for every seed and on every machine. This
command runs each lesson top to bottom in a fresh kernel for each run of the matrix:

- seeds 0-4 (``AEKIT_SEED``) with this machine's native CPU kernels and torch's default threads;
- seed 0 under each CPU kernel ``ATEN_CPU_CAPABILITY=default`` (no vector kernels, as on other
  architectures), ``avx2`` (most laptops) and ``avx512`` (where this CPU has it), with 1 and
  with 2 torch threads.

It prints, per lesson and per check cell (a code cell with an ``assert``), the runs in which
the cell passed out of the runs tried, and whether each output that nbval compares
(``# NBVAL_CHECK_OUTPUT`` cells) was identical in every run and equal to the saved one.
Exit status 0 when every check passed and every compared output agreed, 1 otherwise.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from aekit.bench.lessons import default_paths

__all__ = ["Run", "matrix", "run_lesson", "check_cells", "compared_text", "main"]

CHECKED = "# NBVAL_CHECK_OUTPUT"
_ASSERT = re.compile(r"^\s*assert\b", re.MULTILINE)


@dataclass(frozen=True)
class Run:
    """One column of the matrix: the environment a lesson's kernel starts with."""

    seed: int
    kernels: str | None = None   # ATEN_CPU_CAPABILITY; None: the machine's native kernels
    threads: int | None = None   # torch threads (OMP_NUM_THREADS); None: torch's default

    @property
    def label(self) -> str:
        return (f"seed {self.seed}, {self.kernels or 'native'} kernels, "
                f"{self.threads or 'default'} threads")

    def env(self) -> dict[str, str]:
        env = {"AEKIT_SEED": str(self.seed)}
        if self.kernels:
            env["ATEN_CPU_CAPABILITY"] = self.kernels
        if self.threads:
            env["OMP_NUM_THREADS"] = env["MKL_NUM_THREADS"] = str(self.threads)
        return env


def cpu_kernels() -> list[str]:
    """The CPU kernel levels torch can use here: "default", "avx2", "avx512" as the CPU allows."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:  # not Linux: only the portable kernels can be named safely
        return ["default"]
    found = ["default"]
    if re.search(r"\bavx2\b", flags):
        found.append("avx2")
    if re.search(r"\bavx512f\b", flags):
        found.append("avx512")
    return found


def matrix(seeds: Sequence[int] = range(5), kernels: Sequence[str] | None = None,
           threads: Sequence[int] = (1, 2)) -> list[Run]:
    """The runs: every seed at native kernels, then seed 0 at each kernel and thread count."""
    runs = [Run(seed) for seed in seeds]
    runs += [Run(0, k, t) for k in (kernels if kernels is not None else cpu_kernels())
             for t in threads]
    return runs


def _source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def check_cells(nb) -> list[int]:
    """Indices of the code cells that check a claim: those with an ``assert`` statement."""
    return [i for i, c in enumerate(nb["cells"])
            if c.get("cell_type") == "code" and _ASSERT.search(_source(c))]


def compared_cells(nb) -> list[int]:
    """Indices of the code cells whose output nbval compares."""
    return [i for i, c in enumerate(nb["cells"])
            if c.get("cell_type") == "code" and _source(c).lstrip().startswith(CHECKED)]


def compared_text(cell) -> str:
    """The part of a cell's output that nbval compares: stdout and plain-text results."""
    parts = []
    for out in cell.get("outputs", []):
        kind = out.get("output_type")
        if kind == "stream" and out.get("name") == "stdout":
            text = out.get("text", "")
            parts.append("".join(text) if isinstance(text, list) else text)
        elif kind in ("execute_result", "display_data") and "text/plain" in out.get("data", {}) \
                and not any(k.startswith("image/") for k in out.get("data", {})):
            text = out["data"]["text/plain"]
            parts.append("".join(text) if isinstance(text, list) else text)
        elif kind == "error":
            parts.append(f"{out.get('ename')}: {out.get('evalue')}")
    return "".join(parts)


@dataclass
class LessonResult:
    """What one lesson did in one run."""

    checks: dict[int, str | None] = field(default_factory=dict)   # cell -> None or the error
    compared: dict[int, str] = field(default_factory=dict)        # cell -> compared text
    seconds: float = 0.0
    failure: str | None = None   # the kernel died or the notebook could not run at all


def run_lesson(path: Path, run: Run, timeout: int = 600) -> LessonResult:
    """Execute one lesson in a fresh kernel with ``run``'s environment, going on past errors."""
    import nbformat
    from nbclient import NotebookClient

    from aekit.bench.lessons import _kernel_env

    nb = nbformat.read(path, as_version=4)
    env = {**_kernel_env(), **run.env()}
    for name in ("ATEN_CPU_CAPABILITY", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        if name not in run.env():
            env.pop(name, None)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(path.parent.resolve())}},
                            store_widget_state=False)
    result = LessonResult()
    start = time.perf_counter()
    try:
        client.execute(env=env)
    except Exception as err:  # a dead kernel or a timeout: every check of the lesson fails
        result.failure = f"{type(err).__name__}: {str(err).strip().splitlines()[-1:]}"
    result.seconds = time.perf_counter() - start
    for i in check_cells(nb):
        errors = [o for o in nb.cells[i].get("outputs", []) if o.get("output_type") == "error"]
        ran = nb.cells[i].get("execution_count") is not None
        if result.failure and not (ran or errors):
            result.checks[i] = result.failure
        else:
            result.checks[i] = (f"{errors[0].get('ename')}: {errors[0].get('evalue')}"[:300]
                                if errors else None)
    for i in compared_cells(nb):
        result.compared[i] = compared_text(nb.cells[i])
    return result


def _saved_compared(path: Path) -> dict[int, str]:
    import nbformat

    nb = nbformat.read(path, as_version=4)
    return {i: compared_text(nb.cells[i]) for i in compared_cells(nb)}


def report(results: dict[tuple[str, Run], LessonResult], paths: Sequence[Path],
           runs: Sequence[Run]) -> tuple[str, bool]:
    """The table (markdown) and whether everything passed and agreed."""
    lines = ["| lesson | check cell | passed / runs | compared outputs |", "|---|---|---|---|"]
    good = True
    for path in paths:
        saved = _saved_compared(path)
        per_run = [results[(path.name, run)] for run in runs]
        cells = sorted(per_run[0].checks) if per_run else []
        # one verdict on the compared outputs of the whole lesson
        differing = [i for i in saved if len({r.compared.get(i) for r in per_run}) > 1]
        unlike_saved = [i for i in saved if any(r.compared.get(i) != saved[i] for r in per_run)]
        if not saved:
            compared = "none compared"
        elif differing or unlike_saved:
            compared = (f"DIFFER in cells {sorted(set(differing) | set(unlike_saved))}")
            good = False
        else:
            compared = f"{len(saved)} identical in every run"
        for n, i in enumerate(cells or [None]):
            if i is None:
                lines.append(f"| {path.stem} | (no check cell) | - | {compared} |")
                continue
            passed = sum(r.checks.get(i) is None for r in per_run)
            good &= passed == len(per_run)
            lines.append(f"| {path.stem if n == 0 else ''} | cell {i} | {passed} / {len(per_run)} "
                         f"| {compared if n == 0 else ''} |")
    return "\n".join(lines), good


def _failures(results) -> list[str]:
    found = []
    for (name, run), r in results.items():
        for i, err in r.checks.items():
            if err is not None:
                found.append(f"{name} cell {i} ({run.label}): {err}")
    return found


def _parse_ints(text: str) -> list[int]:
    values: list[int] = []
    for part in text.split(","):
        if "-" in part:
            lo, hi = part.split("-")
            values += range(int(lo), int(hi) + 1)
        elif part.strip():
            values.append(int(part))
    return values


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m aekit.bench robustness",
        description="Run every lesson over seeds, CPU kernels and thread counts; report checks.")
    parser.add_argument("paths", nargs="*", help="lessons to run (default: every lesson)")
    parser.add_argument("--seeds", default="0-4", help="seeds at native kernels (default 0-4)")
    parser.add_argument("--kernels", default=None,
                        help="ATEN_CPU_CAPABILITY values for seed 0 (default: those this CPU has)")
    parser.add_argument("--threads", default="1,2", help="torch thread counts (default 1,2)")
    parser.add_argument("--jobs", type=int, default=1, help="lessons run at once (default 1)")
    parser.add_argument("--timeout", type=int, default=600, help="seconds allowed per cell")
    parser.add_argument("--json", help="also write every result to this JSON file")
    args = parser.parse_args(list(argv) if argv is not None else None)
    paths = [Path(p) for p in args.paths] or default_paths()
    kernels = args.kernels.split(",") if args.kernels else None
    runs = matrix(_parse_ints(args.seeds), kernels, _parse_ints(args.threads))
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")
    import platform

    import torch

    print(f"{len(paths)} lessons x {len(runs)} runs on {platform.processor() or platform.machine()}"
          f" ({os.cpu_count()} cores, torch {torch.__version__}, native kernels "
          f"{torch.backends.cpu.get_cpu_capability()})", flush=True)
    for run in runs:
        print(f"  run: {run.label}", flush=True)
    start = time.perf_counter()
    jobs = [(path, run) for run in runs for path in paths]

    def one(job):
        path, run = job
        result = run_lesson(path, run, args.timeout)
        bad = [i for i, e in result.checks.items() if e is not None]
        print(f"{path.stem:<48} {run.label:<42} {result.seconds:6.1f} s  "
              f"{'FAILED cells ' + str(bad) if bad else 'ok'}", flush=True)
        return (path.name, run), result

    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        results = dict(pool.map(one, jobs))
    table, good = report(results, paths, runs)
    print(f"\n{table}\n")
    for line in _failures(results):
        print("FAILED:", line)
    print(f"{'every check passed in every run' if good else 'NOT every check passed'}; "
          f"{len(jobs)} lesson runs in {(time.perf_counter() - start) / 60:.1f} min")
    if args.json:
        Path(args.json).write_text(json.dumps(
            {f"{name} | {run.label}": {"checks": r.checks, "compared": r.compared,
                                       "seconds": r.seconds, "failure": r.failure}
             for (name, run), r in results.items()}, indent=1))
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
