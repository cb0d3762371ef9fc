"""Corruption processes for denoising autoencoders (Vincent et al. 2010).

A denoising autoencoder sees a corrupted copy ``X_tilde`` of each input and is scored against
the clean ``X``: ``L(X, g(f(X_tilde)))``. :func:`aekit.fit` calls :func:`corrupt` on every batch
when given ``corruption=(kind, level)``. Random draws follow aekit's device contract
(:mod:`aekit.device`): they happen on the generator's device and move to X's.
"""
from __future__ import annotations

import math
import numbers

import numpy as np
import torch

from aekit.device import rand_like, randn_like

__all__ = ["corrupt", "input_error", "level_for_error", "KINDS"]

#: The corruption kinds :func:`corrupt` knows, with what ``level`` means for each.
KINDS = {
    "gaussian": "standard deviation of the added noise (>= 0)",
    "masking": "fraction of the entries set to 0 (between 0 and 1)",
    "salt_and_pepper": "fraction of the entries set to 0 or 1, half each (between 0 and 1)",
}


def corrupt(X: torch.Tensor, kind: str = "gaussian", level: float = 0.3,
            generator: torch.Generator | None = None, clip: bool = False) -> torch.Tensor:
    """Return a corrupted copy of X; X itself is never modified.

    Parameters
    ----------
    X : inputs of any shape, e.g. ``(batch, input_dim)``; a NumPy array is converted.
    kind : "gaussian" (add noise drawn from N(0, level^2) to every entry), "masking" (set each
        entry to 0 with probability ``level``) or "salt_and_pepper" (set each entry, with
        probability ``level``, to 0 or to 1 with equal chance).
    level : the noise standard deviation for "gaussian", the fraction of entries hit otherwise.
    generator : a ``torch.Generator`` (on any device) for reproducible noise; None uses the
        noise generator of the running :func:`aekit.fit`, else torch's session generator.
    clip : clip the result to [0, 1] (useful to show Gaussian-noisy images; it lowers the
        effective noise level near 0 and 1, so :func:`aekit.fit` does not clip).

    Returns
    -------
    torch.Tensor
        A new tensor of X's shape, dtype and device.

    Examples
    --------
    >>> X = torch.ones(2, 4)
    >>> corrupt(X, "masking", 0.5, generator=torch.Generator().manual_seed(0)).shape
    torch.Size([2, 4])
    """
    if isinstance(X, np.ndarray):
        X = torch.from_numpy(X)
    if not isinstance(X, torch.Tensor):
        raise TypeError(f"corrupt expects a torch.Tensor, got {type(X).__name__}")
    if not X.is_floating_point():
        raise TypeError(f"corrupt expects floating-point inputs, got {X.dtype}; "
                        f"convert with X.float()")
    if kind not in KINDS:
        raise ValueError(f"unknown corruption kind {kind!r}; choose one of "
                         f"{', '.join(repr(k) for k in KINDS)}")
    if isinstance(level, bool) or not isinstance(level, numbers.Real) or not math.isfinite(level):
        raise ValueError(f"level must be a finite number ({KINDS[kind]}), got {level!r}")
    level = float(level)
    if kind == "gaussian" and level < 0:
        raise ValueError(f"level for 'gaussian' is a {KINDS[kind]}, got {level!r}")
    if kind != "gaussian" and not 0.0 <= level <= 1.0:
        raise ValueError(f"level for {kind!r} is the {KINDS[kind]}, got {level!r}")

    if kind == "gaussian":
        noise = randn_like(X, generator)
        out = X + level * noise
    elif kind == "masking":
        keep = rand_like(X, generator) >= level
        out = X * keep
    else:  # salt_and_pepper
        hit = rand_like(X, generator) < level
        salt = (rand_like(X, generator) < 0.5).to(X.dtype)  # 1 (salt) or 0 (pepper)
        out = torch.where(hit, salt, X)
    return out.clamp(0.0, 1.0) if clip else out


def input_error(X: torch.Tensor, kind: str, level: float, seed: int = 0,
                clip: bool = True) -> float:
    """Squared error per row between X and its corrupted copy, clipped to [0, 1] as shown.

    ``mean_n sum_i (clip(x_tilde)_ni - x_ni)^2``, the damage a corruption does to the input,
    measured as lessons measure reconstructions. ``seed`` fixes the draws, so that levels of
    one kind are compared on the same random numbers. ``clip=False`` measures the unclipped
    copy, the input a network trained by :func:`aekit.fit` is given (clipping Gaussian noise
    removes part of it, so it is itself a crude denoiser).
    """
    X = torch.as_tensor(X)
    if X.dim() != 2 or len(X) == 0:
        raise ValueError(f"X must be a non-empty batch of rows (n, d), got shape {tuple(X.shape)}")
    X_tilde = corrupt(X, kind, level, generator=torch.Generator().manual_seed(seed), clip=clip)
    return float((X_tilde - X).pow(2).sum(1).mean())


def level_for_error(X: torch.Tensor, kind: str, error: float, seed: int = 0,
                    tol: float = 1e-4, clip: bool = True) -> float:
    """The level of ``kind`` whose :func:`input_error` on X equals ``error``.

    Levels mean different things for different kinds (a standard deviation for "gaussian", a
    fraction of the pixels otherwise), so comparing kinds "at the same level" compares unequal
    amounts of damage; comparing them at the same input error does not. Found by bisection on
    the same random draws (``seed``), along which the input error grows with the level.

    ``clip`` is passed to :func:`input_error` (False: match the unclipped damage).

    Raises ValueError when ``error`` is out of reach (above the error at level 1 for the
    fraction kinds).
    """
    if not error > 0:
        raise ValueError(f"error must be a positive squared error per row, got {error!r}")
    low, high = 0.0, 1.0
    if kind == "gaussian":
        while input_error(X, kind, high, seed, clip) < error:
            high *= 2
            if high > 1e3:
                raise ValueError(f"no Gaussian level reaches an input error of {error:g}")
    elif input_error(X, kind, high, seed, clip) < error:
        raise ValueError(f"{kind!r} at level 1 damages the input by "
                         f"{input_error(X, kind, high, seed, clip):.3g} per row, less than {error:g}")
    while high - low > tol:
        middle = (low + high) / 2
        if input_error(X, kind, middle, seed, clip) < error:
            low = middle
        else:
            high = middle
    return (low + high) / 2
