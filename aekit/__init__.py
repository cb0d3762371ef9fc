"""aekit: an autoencoder course and toolkit.

The lessons in ``lessons/`` import from here; the public names are listed in README.md.
"""
__version__ = "0.1.0"

from aekit.device import describe_device, get_device, seed_everything
from aekit.train import History, TrainingDiverged, fit

__all__ = ["__version__", "get_device", "describe_device", "seed_everything", "fit",
           "History", "TrainingDiverged", "check_version"]

_SUBMODULES = {"data", "models", "penalties", "corruption", "train", "evaluate", "plot",
               "widgets", "rbm", "linear", "anomaly", "hashing", "imaging", "phantoms",
               "toy_sequences", "bench", "grading"}


def __getattr__(name: str):
    """Import submodules on first use, so ``aekit.penalties.L1Sparsity`` works after a plain
    ``import aekit`` without paying for matplotlib or ipywidgets up front."""
    if name in _SUBMODULES:
        import importlib

        return importlib.import_module(f"aekit.{name}")
    raise AttributeError(f"module 'aekit' has no attribute {name!r}")


def check_version(required: str) -> str:
    """Check that the installed aekit is the version the lessons were written for.

    Raises an ImportError that says how to fix it if not; returns the version otherwise.
    """
    if __version__ != required:
        raise ImportError(
            f"These lessons were written for aekit {required}, but aekit {__version__} is "
            f"installed. From the course folder run `make lab` (or `pip install -e .`) to "
            f"install the matching version, then restart the kernel.")
    return __version__
