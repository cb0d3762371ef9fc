"""The linear autoencoder and PCA: same subspace, different axes.

A linear autoencoder ``x_hat = W_dec (W_enc x + b_enc) + b_dec`` trained with squared error
reconstructs every input by an orthogonal projection onto the column space of its decoder
``W_dec``. At the optimum this is the subspace of the top ``code_dim`` principal components
(Baldi & Hornik 1989), but the columns of ``W_dec`` are neither the components nor orthogonal.
This module measures the subspace and recovers the components in two ways:

- :func:`recover_components`: orthonormalise the decoder columns (QR), run PCA on the
  coordinates of the centred data in that basis, and rotate back.
- :class:`WeightL2` during training, then :func:`components_from_regularised`: with an L2
  penalty on both weight matrices the decoder's left singular vectors are the principal
  directions themselves, and its singular values give the components' variances
  (Kunin et al. 2019, "Loss landscapes of regularized linear autoencoders").

>>> import torch
>>> W = torch.tensor([[1.0, 1.0], [0.0, 1.0], [0.0, 0.0]])
>>> P = projector(W)
>>> bool(abs(P[2, 2]) < 1e-12 and abs(P[0, 0] - 1) < 1e-12)
True
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch

from aekit.models import Autoencoder
from aekit.checks import as_numpy, as_tensor
from aekit.device import build_seeded, resolve_seed, to_numpy
from aekit.evaluate import pca_fit
from aekit.train import fit

__all__ = ["linear_autoencoder", "fit_linear_autoencoder", "decoder_matrix", "projector",
           "pca_projector", "subspace_distance", "recover_components", "WeightL2",
           "components_from_regularised", "component_agreement"]


def linear_autoencoder(input_dim: int, code_dim: int) -> Autoencoder:
    """An autoencoder with no non-linearity at all: one linear encoder layer, one linear
    decoder layer (with biases, so it can learn the data mean)."""
    return Autoencoder(input_dim, code_dim, activation="linear", output_activation="linear")


def _is_linear(model: torch.nn.Module) -> bool:
    return (isinstance(model, Autoencoder) and model.activation == "linear"
            and model.output_activation in ("linear", None, "none", "identity")
            and model.code_activation in ("linear", None, "none", "identity")
            and model.k_sparse is None)


def fit_linear_autoencoder(X, code_dim: int, *, epochs: Sequence[int] = (100, 50, 30),
                           lrs: Sequence[float] = (0.05, 0.005, 0.0005), batch_size: int = 256,
                           weight_l2: float = 0.0, seed: int | None = None,
                           progress: bool = False) -> Autoencoder:
    """Train a linear autoencoder on X with squared error, in phases of falling learning rate.

    Gradient descent finds the principal subspace, but its last directions settle slowly when
    neighbouring principal variances are close; a large learning rate first and smaller ones
    after (``epochs[i]`` epochs at ``lrs[i]``) gets close in a few seconds on digits.

    Parameters
    ----------
    X : training data ``(n, input_dim)``.
    code_dim : size of the code (the number of principal directions to find).
    epochs, lrs : epochs and Adam learning rate of each phase (same length).
    batch_size : examples per step.
    weight_l2 : weight of :class:`WeightL2` (0 switches it off); see
        :func:`components_from_regularised`.
    seed : seeds the initial weights and the shuffling.
    progress : show a progress bar per phase.

    Returns
    -------
    Autoencoder
        The trained linear autoencoder, in eval mode.
    """
    X = as_tensor(X)
    if len(epochs) != len(lrs) or not len(epochs):
        raise ValueError(f"epochs and lrs need one entry per phase (same length, at least one), "
                         f"got {len(epochs)} epochs and {len(lrs)} learning rates")
    if not isinstance(code_dim, int) or not 1 <= code_dim <= X.shape[1]:
        raise ValueError(f"code_dim must be between 1 and {X.shape[1]} (the input size), "
                         f"got {code_dim!r}")
    seed = resolve_seed(seed)
    # the same starting weights for this setting, every time
    model = build_seeded(seed, linear_autoencoder, X.shape[1], code_dim)
    penalties = [WeightL2(weight_l2)] if weight_l2 else []
    for phase, (n_epochs, lr) in enumerate(zip(epochs, lrs)):
        fit(model, X, epochs=int(n_epochs), lr=float(lr), loss="mse", batch_size=batch_size,
            penalties=penalties, progress=progress, seed=seed + phase, interrupt="raise")
    return model.eval()


def decoder_matrix(model: torch.nn.Module) -> np.ndarray:
    """The decoder of a linear autoencoder as one matrix ``(input_dim, code_dim)``, float64.

    With hidden layers (all linear) the decoder is the product of its layers' weights.
    """
    if not _is_linear(model):
        raise ValueError("decoder_matrix needs a linear autoencoder (activation, "
                         "code_activation and output_activation all 'linear', no k_sparse); "
                         "build one with aekit.models.linear_autoencoder")
    n = len(model.encoder)
    W = np.eye(model.code_dim)
    for i in range(n):
        if model.tied:
            layer_w = model.encoder[n - 1 - i].weight.detach().t()
        else:
            layer_w = model.decoder[i].weight.detach()
        W = to_numpy(layer_w).astype(np.float64) @ W  # (out_features, code_dim), on the CPU
    return W


def _matrix(A, what: str) -> np.ndarray:
    if isinstance(A, torch.Tensor):
        A = to_numpy(A)
    A = np.asarray(A, dtype=np.float64)
    if A.ndim != 2 or A.size == 0:
        raise ValueError(f"{what} must be a non-empty 2-D matrix (one basis vector per column), "
                         f"got shape {A.shape}")
    if not np.isfinite(A).all():
        raise ValueError(f"{what} contains NaN or infinite values; was training diverging?")
    return A


def _orthonormal_basis(W, what: str = "W") -> np.ndarray:
    W = _matrix(W, what)
    Q, R = np.linalg.qr(W)
    scale = np.abs(np.diag(R))
    if scale.min() <= 1e-10 * max(scale.max(), 1e-300):
        raise ValueError(f"the columns of {what} are (nearly) linearly dependent, so they span "
                         f"fewer than {W.shape[1]} dimensions; train longer or use a smaller "
                         f"code_dim")
    return Q


def projector(W) -> np.ndarray:
    """The orthogonal projector ``Q Q^T`` onto the column space of W ``(d, k)``, float64.

    Two matrices whose columns span the same subspace give the same projector, whatever the
    basis: this is what makes a linear autoencoder comparable with PCA.
    """
    Q = _orthonormal_basis(W)
    return Q @ Q.T


def pca_projector(X, k: int) -> np.ndarray:
    """The projector onto the top-k principal directions of X (centred), float64 ``(d, d)``."""
    C = pca_fit(X, k).components_  # (k, d)
    return C.T @ C


def subspace_distance(A, B) -> float:
    """How far apart the column spaces of A ``(d, k)`` and B ``(d, k)`` are, in [0, 1].

    The sine of the largest principal angle between them, which equals the spectral norm of
    the difference of their projectors, ``||P_A - P_B||_2``: 0 for the same subspace, 1 when
    some direction of one is orthogonal to the other.
    """
    from scipy.linalg import subspace_angles

    A, B = _matrix(A, "A"), _matrix(B, "B")
    if A.shape[0] != B.shape[0]:
        raise ValueError(f"A and B must live in the same space (same number of rows), got "
                         f"{A.shape} and {B.shape}")
    return float(np.sin(subspace_angles(A, B).max()))


def recover_components(model: torch.nn.Module, X) -> tuple[np.ndarray, np.ndarray]:
    """Principal directions and variances from a trained linear autoencoder (QR + PCA).

    The decoder's columns span the subspace but are not the components. Orthonormalise them
    (``W_dec = Q R``), express the centred data in that basis (``Y = (X - mean) Q``, shape
    ``(n, k)``), run PCA on these k coordinates and rotate its axes back to the input space.

    Returns
    -------
    components : ``(k, input_dim)``, one unit direction per row, largest variance first
        (each defined up to its sign, as in any PCA).
    variances : ``(k,)``, the variance of the data along each direction.
    """

    Q = _orthonormal_basis(decoder_matrix(model), "the decoder weights")  # (d, k)
    X = as_numpy(X)
    if X.shape[1] != Q.shape[0]:
        raise ValueError(f"X has {X.shape[1]} features but the model reconstructs {Q.shape[0]}")
    Y = (X - X.mean(0)) @ Q  # (n, k): coordinates in the decoder's subspace
    pca = pca_fit(Y, Q.shape[1])
    return pca.components_ @ Q.T, pca.explained_variance_


class WeightL2:
    """Penalty ``weight * (||W_enc||^2 + ||W_dec||^2)`` on the weight matrices (not biases).

    Pass it to :func:`aekit.fit` in ``penalties``. It breaks the rotation symmetry of the
    linear autoencoder, so that the decoder's singular vectors become the principal
    directions (see :func:`components_from_regularised`).
    """

    name = "weight_l2"
    needs_grad = False

    def __init__(self, weight: float) -> None:
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not weight >= 0:
            raise ValueError(f"weight must be a number >= 0, got {weight!r}")
        self.weight = float(weight)

    def __call__(self, model: torch.nn.Module, X_in: torch.Tensor, Z: torch.Tensor) -> torch.Tensor:
        layers = [*model.encoder, *getattr(model, "decoder", [])]
        return self.weight * sum((layer.weight ** 2).sum() for layer in layers)

    def __repr__(self) -> str:
        return f"WeightL2(weight={self.weight:g})"


def components_from_regularised(model: torch.nn.Module,
                                weight: float) -> tuple[np.ndarray, np.ndarray]:
    """Principal directions and variances read off a linear AE trained with :class:`WeightL2`.

    At the optimum of mean squared error per image plus ``weight * (||W_enc||^2 +
    ||W_dec||^2)``, the decoder is ``U diag(s) V^T`` with U the principal directions and
    ``s_i^2 = 1 - weight / var_i`` (Kunin et al. 2019), so ``var_i = weight / (1 - s_i^2)``.
    Directions whose variance is below ``weight`` are switched off (``s_i = 0``).

    Returns
    -------
    components : ``(k, input_dim)``, largest singular value first, each up to its sign.
    variances : ``(k,)``, the variance estimated from the singular values.
    """
    if not weight > 0:
        raise ValueError(f"weight must be the positive WeightL2 weight used in training, got {weight!r}")
    U, s, _ = np.linalg.svd(decoder_matrix(model), full_matrices=False)
    with np.errstate(divide="ignore"):
        variances = weight / np.clip(1.0 - s ** 2, 1e-12, None)
    return U.T, variances


def component_agreement(A, B) -> np.ndarray:
    """``|cos|`` of the angle between row i of A and row i of B, for each i.

    1 means the same direction up to sign (principal directions have no preferred sign).
    """
    A, B = _matrix(A, "A"), _matrix(B, "B")
    if A.shape != B.shape:
        raise ValueError(f"A and B must have the same shape (one direction per row), got "
                         f"{A.shape} and {B.shape}")
    cos = (A * B).sum(1) / (np.linalg.norm(A, axis=1) * np.linalg.norm(B, axis=1))
    return np.abs(cos)
