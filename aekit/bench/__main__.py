"""Dispatch ``python -m aekit.bench NAME [options]`` to ``aekit.bench.NAME.main``."""
from __future__ import annotations

import importlib
import pkgutil
import sys

import aekit.bench


def _names() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(aekit.bench.__path__)
                  if not m.name.startswith("_"))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    names = _names()
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: python -m aekit.bench NAME [options]\n\nbenchmarks: " + ", ".join(names))
        return 0
    name = argv[0].replace("-", "_")
    if name not in names:
        print(f"unknown benchmark {argv[0]!r}; choose one of: {', '.join(names)}", file=sys.stderr)
        return 2
    module = importlib.import_module(f"aekit.bench.{name}")
    return int(module.main(argv[1:]) or 0)


if __name__ == "__main__":
    sys.exit(main())
