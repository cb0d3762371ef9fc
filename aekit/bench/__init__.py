"""Benchmarks and reproductions: ``python -m aekit.bench NAME [options]``.

Each NAME is a module of this package with a ``main(argv)`` function; ``python -m aekit.bench``
lists them.
"""
