"""Input checks shared by the whole package: one place for what "a valid X" or "a positive
integer" means, and for the error that says what to do instead.

- :func:`as_tensor` / :func:`as_numpy`: any batch of rows (tensor, NumPy array, list) as a
  float32 tensor (or a NumPy array for exact linear algebra on the CPU), with a clear error
  for NaN, inf, a single unbatched vector or something that is not numbers.
- :func:`positive_int`, :func:`non_negative_int`, :func:`probability`, :func:`unit_interval`:
  one-line checks of a setting that return the value or raise a ``ValueError`` naming it.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch

__all__ = ["as_tensor", "as_numpy", "positive_int", "positive_ints", "non_negative_int",
           "probability", "unit_interval"]


def as_tensor(X, what: str = "X") -> torch.Tensor:
    """Return X as a float32 tensor (NumPy arrays and lists included), with a clear error for
    NaN, inf, a single unbatched vector or an input that is not numbers.

    A tensor stays on its device; a NumPy array or a list becomes a CPU tensor.
    """
    if isinstance(X, (list, tuple)):
        try:
            X = np.asarray(X, dtype=np.float32)
        except (TypeError, ValueError) as err:
            raise TypeError(f"{what} must be numbers in a regular (rectangular) list, a NumPy "
                            f"array or a torch.Tensor; this list could not be read: {err}") from err
    if isinstance(X, np.ndarray):
        if X.dtype.kind not in "biuf":
            raise TypeError(f"{what} must hold numbers, got a NumPy array of dtype {X.dtype}")
        X = torch.from_numpy(np.ascontiguousarray(X, dtype=np.float32))
    if not isinstance(X, torch.Tensor):
        raise TypeError(f"{what} must be a torch.Tensor or NumPy array, got {type(X).__name__}")
    if X.dim() == 1:
        raise ValueError(f"{what} has shape {tuple(X.shape)}: one example? Use {what}.reshape(1, -1) "
                         f"for one example, or pass a batch of rows")
    if X.dtype.is_complex:
        raise TypeError(f"{what} must be real numbers, got {X.dtype}")
    if X.dtype != torch.float32:
        X = X.to(torch.float32)
    # one cheap pass over X (a sum is NaN or inf if any value is); only then find the culprits
    if X.numel() and not bool(torch.isfinite(X.sum())):
        bad = ~torch.isfinite(X)
        if bad.any():
            rows = bad.reshape(len(X), -1).any(1).nonzero().flatten()
            raise ValueError(f"{what} contains {int(bad.sum())} NaN or infinite values (in rows "
                             f"{rows[:5].tolist()}{'...' if len(rows) > 5 else ''}); remove those "
                             f"rows or replace the values, e.g. torch.nan_to_num({what})")
    return X



def as_numpy(X, what: str = "X", dtype=np.float64) -> np.ndarray:
    """:func:`as_tensor` on the CPU as a NumPy array of ``dtype`` (float64 by default: the
    exact linear algebra of PCA and friends runs on the CPU in double precision). An empty X
    is an error: there is nothing to fit or measure."""
    X = as_tensor(X, what)
    if len(X) == 0:
        raise ValueError(f"{what} is empty (no rows): pass at least one example")
    return X.detach().cpu().numpy().astype(dtype, copy=False)



def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def positive_int(value, what: str, *, or_none: bool = False) -> int | None:
    """``value`` if it is an integer >= 1 (``None`` too when ``or_none``), else a ValueError."""
    if value is None and or_none:
        return None
    if not _is_int(value) or value < 1:
        extra = " or None" if or_none else ""
        raise ValueError(f"{what} must be a positive integer{extra}, got {value!r}")
    return int(value)


def positive_ints(values: Sequence[int], what: str) -> tuple[int, ...]:
    """``values`` as a tuple if every entry is an integer >= 1, else a ValueError."""
    values = tuple(values)
    if any(not _is_int(v) or v < 1 for v in values):
        raise ValueError(f"{what} must be positive integers, got {values!r}")
    return tuple(int(v) for v in values)


def non_negative_int(value, what: str) -> int:
    """``value`` if it is an integer >= 0, else a ValueError."""
    if not _is_int(value) or value < 0:
        raise ValueError(f"{what} must be a non-negative integer, got {value!r}")
    return int(value)


def probability(value, what: str, *, closed: bool = False) -> float:
    """``value`` if it lies in [0, 1) (or [0, 1] with ``closed``), else a ValueError."""
    ok = isinstance(value, (int, float, np.floating)) and not isinstance(value, bool) and (
        0.0 <= value <= 1.0 if closed else 0.0 <= value < 1.0)
    if not ok:
        raise ValueError(f"{what} is a probability in [0, 1{']' if closed else ')'}, got {value!r}")
    return float(value)


def unit_interval(X: torch.Tensor, what: str = "X") -> torch.Tensor:
    """``X`` if every value lies in [0, 1] (pixels, binary units or their probabilities)."""
    if X.numel() and (float(X.min()) < 0 or float(X.max()) > 1):
        raise ValueError(f"{what} must hold values in [0, 1] (binary units or their probabilities), "
                         f"but ranges over [{float(X.min()):.3g}, {float(X.max()):.3g}]; "
                         f"scale it to [0, 1] first")
    return X
