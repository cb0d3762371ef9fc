"""Repository tools for the lesson notebooks.

``python tools/notebooks.py save [paths...]`` runs lessons in fresh kernels (every
``lessons/NN_*.ipynb`` without paths) and writes each one back with its outputs,, cleaned by
:func:`aekit.notebooks.clean_notebook`, and prints the same table as ``python -m aekit.bench
lessons``.

``python tools/notebooks.py clean [paths...]`` only cleans saved notebooks, without running.
"""
from __future__ import annotations

import sys

from aekit.notebooks import write_clean

def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in ("save", "clean"):
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
    if command == "clean":
        import nbformat

        for path in rest:
            write_clean(nbformat.read(path, as_version=4), path)
        return 0
    from aekit.bench.lessons import main as run_lessons

    return run_lessons(rest, save=write_clean, prog="python tools/notebooks.py save")


if __name__ == "__main__":
    sys.exit(main())
