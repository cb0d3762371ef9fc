"""Execute lessons in fresh kernels and report wall time and peak memory.

``python -m aekit.bench lessons [paths...] [--slowest N]``

Each notebook runs top to bottom with nbclient in a new kernel whose working directory is the
notebook's folder (as in JupyterLab). While it runs, the resident memory (RSS) of the kernel
process and all its children is sampled with psutil; the table gives the peak of that sum,
the wall time, and the CPU time the kernel used (on a busy shared machine the CPU time is the
better guide to how long the lesson takes on an idle one). ``--slowest N`` lists the N slowest
cells of each lesson.
Saving executed lessons (with their outputs, cleaned) is a repository task: ``python
tools/notebooks.py save [paths...]`` uses :func:`run_notebook` and ``tools/notebooks.py``'s
cleaner.

Without paths, every ``lessons/NN_*.ipynb`` of the repository is run.
"""
from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path
from typing import Sequence

__all__ = ["run_notebook", "default_paths", "main"]

def default_paths() -> list[Path]:
    """The numbered lessons ``lessons/NN_*.ipynb`` of the repository, in order."""
    root = Path(__file__).resolve().parents[2] / "lessons"
    return sorted(p for p in root.glob("[0-9][0-9]_*.ipynb"))


class _MemorySampler(threading.Thread):
    """Sample the RSS of a process and its children until stopped; keep the peak (bytes)."""

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval, self.peak = pid, interval, 0
        self.cpu = 0.0  # user + system seconds of the process tree at the last sample
        self._stop_event = threading.Event()

    def sample(self) -> None:
        import psutil

        try:
            root = psutil.Process(self.pid)
            procs = [root, *root.children(recursive=True)]
        except psutil.Error:
            return
        total, cpu = 0, 0.0
        for proc in procs:
            try:
                total += proc.memory_info().rss
                times = proc.cpu_times()
                cpu += times.user + times.system + times.children_user + times.children_system
            except psutil.Error:
                pass
        self.peak = max(self.peak, total)
        self.cpu = max(self.cpu, cpu)

    def run(self) -> None:
        while not self._stop_event.is_set():
            self.sample()
            self._stop_event.wait(self.interval)

    def stop(self) -> int:
        self.sample()
        self._stop_event.set()
        self.join(timeout=5)
        return self.peak


def _kernel_env() -> dict[str, str]:
    env = dict(os.environ)
    # A non-interactive backend inherited from a shell or Makefile (MPLBACKEND=Agg) would make
    # the kernel print "<Figure size ...>" instead of drawing figures into the notebook.
    env.pop("MPLBACKEND", None)
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    return env


def run_notebook(path: str | os.PathLike, save=None, timeout: int = 600,
                 kernel_name: str = "python3",
                 details: dict | None = None, allow_errors: bool = False) -> tuple[float, float]:
    """Execute a notebook in a fresh kernel; return ``(seconds, peak_mb)``.

    Parameters
    ----------
    path : the ``.ipynb`` file; it runs with its own folder as working directory.
    save : a function ``save(nb, path)`` called with the executed notebook when every cell
        ran (``tools/notebooks.py`` cleans and writes it); a notebook that fails is never
        passed on.
    timeout : seconds allowed for one cell.
    kernel_name : the kernel to start ("python3" is this environment's Python).
    details : if a dict is given, it receives ``"cpu_seconds"`` (CPU time used by the kernel
        and its children: close to the wall time an idle machine would need for single-threaded
        work, so useful on a busy one) and ``"cells"``: ``(index, seconds, first line)`` of
        every code cell, to find the slow ones.
    allow_errors : go on after a cell that raises, leaving its error in the outputs (and
        writing the notebook with ``save``), instead of stopping there.

    Returns
    -------
    seconds : wall time from starting the kernel to the end of the last cell.
    peak_mb : peak resident memory of the kernel and its child processes, in MiB.

    Raises
    ------
    FileNotFoundError : no such notebook.
    nbclient.exceptions.CellExecutionError : a cell raised; the message names the cell.
    """
    import nbformat
    from nbclient import NotebookClient

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no notebook at {path}; pass the path of an .ipynb file")
    if path.suffix != ".ipynb":
        raise ValueError(f"{path} is not a notebook (expected a .ipynb file)")
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name=kernel_name,
                            resources={"metadata": {"path": str(path.parent.resolve())}},
                            record_timing=True, store_widget_state=False,
                            allow_errors=allow_errors)
    samplers: list[_MemorySampler] = []

    def on_start(**_) -> None:
        pid = getattr(client.km.provisioner, "pid", None) or getattr(
            getattr(client.km.provisioner, "process", None), "pid", None)
        if pid is not None:
            samplers.append(_MemorySampler(int(pid)))
            samplers[-1].start()

    client.on_notebook_start = on_start
    start = time.perf_counter()
    try:
        client.execute(env=_kernel_env())
    finally:
        seconds = time.perf_counter() - start
        peak = samplers[0].stop() if samplers else 0
        if details is not None:
            details["cpu_seconds"] = samplers[0].cpu if samplers else float("nan")
            details["cells"] = _cell_seconds(nb)
    if save is not None:
        save(nb, path)
    return seconds, peak / 2**20


def _cell_seconds(nb) -> list[tuple[int, float, str]]:
    from datetime import datetime

    found = []
    for index, cell in enumerate(nb.cells):
        stamps = cell.get("metadata", {}).get("execution", {})
        start, end = stamps.get("iopub.execute_input"), stamps.get("shell.execute_reply")
        if cell.cell_type == "code" and start and end:
            seconds = (datetime.fromisoformat(end.replace("Z", "+00:00"))
                       - datetime.fromisoformat(start.replace("Z", "+00:00"))).total_seconds()
            lines = [ln for ln in cell.source.splitlines() if ln.strip()] or [""]
            found.append((index, seconds, lines[0][:60]))
    return found


def main(argv: Sequence[str] | None = None, save=None, prog: str = "python -m aekit.bench lessons") -> int:
    """Command line: run lessons, print a table of wall time, CPU time and peak memory.

    Returns 0 when every lesson ran, 1 if any failed (the others still run), 2 without lessons.
    """
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Execute lessons in fresh kernels; print wall time and peak memory.")
    parser.add_argument("paths", nargs="*", help="notebooks to run (default: every lesson)")
    parser.add_argument("--timeout", type=int, default=600, help="seconds allowed per cell")
    parser.add_argument("--slowest", type=int, default=0, metavar="N",
                        help="also list the N slowest cells of each lesson")
    args = parser.parse_args(list(argv) if argv is not None else None)
    paths = [Path(p) for p in args.paths] or default_paths()
    if not paths:
        print("no lessons found; pass notebook paths", file=sys.stderr)
        return 2
    width = max(len(p.name) for p in paths)
    header = (f"{'lesson':<{width}}  {'seconds':>8}  {'CPU s':>8}  {'peak MB':>8}  "
              f"{'size KB':>8}  status")
    print(header)
    print("-" * len(header))
    failed = 0
    for path in paths:
        details: dict = {}
        try:
            seconds, peak = run_notebook(path, save=save, timeout=args.timeout, details=details)
            status = "saved" if save is not None else "ok"
        except Exception as err:  # report and go on with the other lessons
            failed += 1
            seconds, peak = float("nan"), float("nan")
            first = str(err).strip().splitlines()
            status = f"FAILED: {type(err).__name__}: {first[-1] if first else ''}"[:160]
        size = path.stat().st_size / 1024 if path.exists() else float("nan")
        cpu = details.get("cpu_seconds", float("nan"))
        print(f"{path.name:<{width}}  {seconds:8.1f}  {cpu:8.1f}  {peak:8.0f}  {size:8.0f}  "
              f"{status}", flush=True)
        cells = details.get("cells", [])
        for index, cell_s, first in sorted(cells, key=lambda c: -c[1])[:args.slowest]:
            print(f"    cell {index:3d}  {cell_s:6.1f} s  {first}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
