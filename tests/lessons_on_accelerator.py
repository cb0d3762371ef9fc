"""Run lessons with the pretend accelerator of ``fake_accelerator.py`` switched on in their kernel.

``python tests/lessons_on_accelerator.py [lessons...]``: each lesson runs top to bottom, as
with ``AEKIT_DEVICE=cuda`` on a GPU, except that every operation is checked against the device
contract (mixed devices, float64 on the device, a generator of the other device, ``.numpy()``
without ``.cpu()``). Prints one line per lesson: ok, or the first cell that broke it. Every
operation goes through Python, so a lesson takes several times as long as usual.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

HERE = Path(__file__).resolve().parent
SETUP = f"import sys; sys.path.insert(0, {str(HERE)!r})\nimport fake_accelerator\nfake_accelerator.install()"


def run(path: Path) -> str:
    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell(SETUP))
    client = NotebookClient(nb, timeout=1800, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent.resolve())}})
    try:
        client.execute()
    except CellExecutionError as err:
        lines = [ln for ln in str(err).splitlines() if "Error" in ln]
        return f"FAILED: {lines[-1] if lines else str(err)[-300:]}"
    return "ok"


def main(argv: list[str]) -> int:
    paths = [Path(p) for p in argv] or sorted((HERE.parent / "lessons").glob("[0-9][0-9]_*.ipynb"))
    failed = 0
    for path in paths:
        start = time.perf_counter()
        verdict = run(path)
        failed += verdict != "ok"
        print(f"{path.stem:<48} {time.perf_counter() - start:7.1f} s  {verdict}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
