"""Regularisers that are added to the reconstruction loss: sparse and contractive autoencoders.

Each penalty is a callable ``penalty(model, X_in, Z) -> scalar tensor`` with a ``name``, where
``Z = model.encode(X_in)``; pass a list of them to ``aekit.fit(..., penalties=[...])`` and the
History records each term under its name. The activity penalties are per image (summed over
units, averaged over the batch), like the reconstruction loss they are added to.

>>> from aekit.models import Autoencoder
>>> model = Autoencoder(64, 16, code_activation="sigmoid")
>>> X = torch.rand(8, 64)
>>> float(KLSparsity(rho=0.05, weight=3.0)(model, X, model.encode(X))) > 0
True

This module uses only torch.
"""
from __future__ import annotations

import abc
import math
import numbers

import torch

from aekit.device import model_device, noise_from

__all__ = ["Penalty", "L1Sparsity", "L2Sparsity", "KLSparsity", "Contractive",
           "kl_sparsity", "jacobian_norm_sq", "encoder_jacobian"]


def _check_weight(weight: float, who: str) -> float:
    if isinstance(weight, bool) or not isinstance(weight, numbers.Real) \
            or not math.isfinite(weight) or weight < 0:
        raise ValueError(f"{who}: weight must be a finite number >= 0, got {weight!r}")
    return float(weight)


class Penalty(abc.ABC):
    """Base class: a weighted term ``weight * value(model, X_in, Z)`` with a ``name``."""

    name = "penalty"
    needs_grad = False  # True where the value needs autograd w.r.t. the input

    def __init__(self, weight: float, name: str | None = None) -> None:
        self.weight = _check_weight(weight, type(self).__name__)
        if name is not None:
            self.name = name

    @abc.abstractmethod
    def value(self, model: torch.nn.Module, X_in: torch.Tensor, Z: torch.Tensor) -> torch.Tensor:
        """The unweighted penalty of a batch (a scalar); each subclass defines it."""

    def __call__(self, model: torch.nn.Module, X_in: torch.Tensor, Z: torch.Tensor) -> torch.Tensor:
        return self.weight * self.value(model, X_in, Z)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(weight={self.weight:g})"


class _Activity(Penalty):
    def __init__(self, weight: float, all_layers: bool = False, name: str | None = None) -> None:
        super().__init__(weight, name)
        self.all_layers = bool(all_layers)

    def layers(self, model, X_in, Z) -> list[torch.Tensor]:
        if not self.all_layers:
            return [Z]
        if not callable(getattr(model, "hidden_activations", None)):
            raise TypeError(f"{type(self).__name__}(all_layers=True) needs a model with "
                            f"hidden_activations(X), such as aekit.models.Autoencoder; "
                            f"{type(model).__name__} has none. Use all_layers=False.")
        return model.hidden_activations(X_in)

    def __repr__(self) -> str:
        extra = ", all_layers=True" if self.all_layers else ""
        return f"{type(self).__name__}(weight={self.weight:g}{extra})"


class L1Sparsity(_Activity):
    """L1 activity penalty: ``weight * sum_j |h_j|``, per image, averaged over the batch.

    Parameters
    ----------
    weight : strength of the penalty (about 1e-3 to 1e-1 for a code of 16 to 64 units on digits).
    all_layers : penalise every encoder layer (``model.hidden_activations``), not only the code.
    name : the key in ``History.terms`` (default "l1_sparsity").
    """

    name = "l1_sparsity"

    def value(self, model, X_in, Z):
        return sum(h.abs().sum(1).mean() for h in self.layers(model, X_in, Z))


class L2Sparsity(_Activity):
    """L2 activity penalty: ``weight * sum_j h_j^2``, per image, averaged over the batch.

    The squared norm shrinks large activations hard and small ones hardly at all, so it makes
    codes small rather than exactly sparse (compare :class:`L1Sparsity`).

    Parameters
    ----------
    weight : strength of the penalty.
    all_layers : penalise every encoder layer (``model.hidden_activations``), not only the code.
    name : the key in ``History.terms`` (default "l2_sparsity").
    """

    name = "l2_sparsity"

    def value(self, model, X_in, Z):
        return sum(h.pow(2).sum(1).mean() for h in self.layers(model, X_in, Z))


def kl_sparsity(rho: float, rho_hat: torch.Tensor) -> torch.Tensor:
    """Sum over units of KL(Bernoulli(rho) || Bernoulli(rho_hat_j)).

    ``rho_hat`` holds each unit's mean activation, shape ``(code_dim,)``, values in (0, 1).
    """
    return (rho * torch.log(rho / rho_hat)
            + (1 - rho) * torch.log((1 - rho) / (1 - rho_hat))).sum()


class KLSparsity(Penalty):
    """KL sparsity penalty: each code unit's mean activation over the batch is pushed to ``rho``.

    ``weight * sum_j KL(rho || rho_hat_j)`` with ``rho_hat_j`` the mean of unit j over the batch
    (Ng's sparse autoencoder notes; UFLDL uses rho = 0.01 to 0.1 and weight 3). The code must
    lie in (0, 1): build the model with ``code_activation="sigmoid"``.

    Parameters
    ----------
    rho : target mean activation, strictly between 0 and 1.
    weight : strength of the penalty.
    eps : mean activations are kept in [eps, 1 - eps] so the logarithms stay finite.
    name : the key in ``History.terms`` (default "kl_sparsity").
    """

    name = "kl_sparsity"

    def __init__(self, rho: float, weight: float, eps: float = 1e-6, name: str | None = None) -> None:
        super().__init__(weight, name)
        if isinstance(rho, bool) or not isinstance(rho, numbers.Real) or not 0.0 < rho < 1.0:
            raise ValueError(f"KLSparsity: rho is a target mean activation strictly between 0 "
                             f"and 1 (0.05 is typical), got {rho!r}")
        self.rho, self.eps = float(rho), float(eps)

    def value(self, model, X_in, Z):
        # Z: (batch, code_dim)
        low, high = float(Z.detach().min()), float(Z.detach().max())
        # training-time dropout keeps a unit's mean but scales kept values by 1 / (1 - p)
        p = float(getattr(model, "dropout", 0.0) or 0.0) if getattr(model, "training", False) else 0.0
        if low < 0.0 or high > 1.0 / (1.0 - p) + 1e-6:
            raise ValueError(
                f"KLSparsity needs code activations in (0, 1), like probabilities of firing, "
                f"but the code ranges over [{low:.3g}, {high:.3g}]. Build the model with "
                f"code_activation=\"sigmoid\", or use L1Sparsity for other activations.")
        rho_hat = Z.mean(0).clamp(self.eps, 1 - self.eps)  # (code_dim,)
        return kl_sparsity(self.rho, rho_hat)

    def __repr__(self) -> str:
        return f"KLSparsity(rho={self.rho:g}, weight={self.weight:g})"


# --------------------------------------------------------------------------- contractive
_DERIVATIVES = {  # f'(a) written with h = f(a), for one-layer encoders
    "sigmoid": lambda h: h * (1 - h),
    "tanh": lambda h: 1 - h * h,
    "linear": lambda h: torch.ones_like(h),
}


def _closed_form_layer(model: torch.nn.Module):
    """The encoder's only Linear layer where the closed form applies, else None.

    It applies to aekit's dense ``Autoencoder`` (``encoder`` and ``code_activation`` say how
    the code is made); any other model gets the exact autograd Jacobian.
    """
    encoder = getattr(model, "encoder", None)
    if not hasattr(model, "code_activation"):
        return None
    act = model.code_activation
    act = "linear" if act in (None, "none", "identity") else act
    if not isinstance(encoder, torch.nn.ModuleList) or len(encoder) != 1 \
            or not isinstance(encoder[0], torch.nn.Linear) or act not in _DERIVATIVES:
        return None
    if getattr(model, "k_sparse", None) is not None:
        return None
    if getattr(model, "dropout", 0.0) and model.training:
        return None
    return encoder[0]


def _closed_form(model: torch.nn.Module, layer: torch.nn.Linear, X: torch.Tensor) -> torch.Tensor:
    # J = diag(f'(a)) W, so ||J||_F^2 = sum_j f'(a_j)^2 * sum_i W_ji^2
    h = model.encode(X)  # (batch, code_dim)
    slope = _DERIVATIVES["linear" if model.code_activation in (None, "none", "identity")
                         else model.code_activation](h)
    return slope.pow(2) @ layer.weight.pow(2).sum(1)  # (batch,)


def _autograd(model: torch.nn.Module, X: torch.Tensor) -> torch.Tensor:
    from torch.func import jacrev, vmap

    def f(x):  # one example (input_dim,) -> its code (code_dim,)
        return model.encode(x.unsqueeze(0)).squeeze(0)

    # reverse mode: one (vectorised) backward pass per code unit
    with noise_from(None):  # vmap draws its own per-example noise (dropout) from the session
        J = vmap(jacrev(f), randomness="different")(X)  # (batch, code_dim, input_dim)
    return J.pow(2).sum((1, 2))


def encoder_jacobian(model: torch.nn.Module, X: torch.Tensor) -> torch.Tensor:
    """The encoder's full Jacobian ``dZ/dX`` at each example: ``(batch, code_dim, input_dim)``.

    Exact, by autograd (``torch.func.vmap(jacrev)``), for any encoder whose examples do not
    interact; detached, on the CPU. Its singular values say how strongly the code reacts to
    changes of the input along each direction, and its right singular vectors which
    directions those are. Use :func:`jacobian_norm_sq` for the penalty itself.
    """
    if not isinstance(X, torch.Tensor) or X.dim() != 2:
        raise ValueError(f"X must be a batch of rows (batch, input_dim), got "
                         f"{tuple(X.shape) if isinstance(X, torch.Tensor) else type(X).__name__}")
    from torch.func import jacrev, vmap

    X = X.to(model_device(model))

    def f(x):  # one example (input_dim,) -> its code (code_dim,)
        return model.encode(x.unsqueeze(0)).squeeze(0)

    with torch.enable_grad(), noise_from(None):
        J = vmap(jacrev(f), randomness="different")(X)
    return J.detach().cpu()


def jacobian_norm_sq(model: torch.nn.Module, X: torch.Tensor, method: str = "auto") -> torch.Tensor:
    """Squared Frobenius norm of the encoder's Jacobian ``dZ/dX`` for each example: ``(batch,)``.

    Parameters
    ----------
    model : a model with ``encode`` mapping ``(batch, input_dim)`` to ``(batch, code_dim)``
        (a VAE's ``encode`` gives its posterior mean).
    X : inputs ``(batch, input_dim)``.
    method : "closed_form" (one Linear layer with a sigmoid, tanh or linear code),
        "autograd" (exact, any encoder whose examples do not interact) or "auto" (the closed
        form where it applies).

    The result stays differentiable with respect to the model's parameters, so it can be
    trained on. See :class:`Contractive` for the cost of each method.
    """
    if not isinstance(X, torch.Tensor) or X.dim() != 2:
        raise ValueError(f"X must be a batch of rows (batch, input_dim), got "
                         f"{tuple(X.shape) if isinstance(X, torch.Tensor) else type(X).__name__}")
    if method not in ("auto", "closed_form", "autograd"):
        raise ValueError(f"method must be 'auto', 'closed_form' or 'autograd', got {method!r}")
    X = X.to(model_device(model))  # a batch from the CPU works for a model on a GPU
    layer = _closed_form_layer(model)
    if method == "closed_form" and layer is None:
        raise ValueError("the closed form needs an encoder with one Linear layer, a sigmoid, tanh "
                         "or linear code, no k_sparse and no dropout while training; use "
                         "method='autograd' for this model")
    if layer is not None and method != "autograd":
        return _closed_form(model, layer, X)
    with torch.enable_grad():
        return _autograd(model, X)


class Contractive(Penalty):
    """Contractive penalty (Rifai et al. 2011): ``weight * ||dZ/dX||_F^2`` per image, batch mean.

    It makes the code insensitive to small changes of the input: a code that moves little when
    the input moves a little.

    Cost: for a one-layer encoder with a sigmoid (or tanh, or linear) code the closed form
    ``sum_j f'(a_j)^2 * sum_i W_ji^2`` costs about one extra forward pass. Any other encoder
    uses the exact Jacobian from autograd (``torch.func.vmap(jacrev)``): one backward pass
    per code unit, vectorised, plus the memory for a ``(batch, code_dim, input_dim)`` tensor;
    a training step then costs several times a plain one, growing with ``code_dim`` (it stays
    differentiable, so the encoder's weights are trained through it).

    Parameters
    ----------
    weight : strength of the penalty (about 0.01 to 1 on digits).
    method : "auto", "closed_form" or "autograd" (see :func:`jacobian_norm_sq`).
    name : the key in ``History.terms`` (default "contractive").
    """

    name = "contractive"
    needs_grad = True

    def __init__(self, weight: float, method: str = "auto", name: str | None = None) -> None:
        super().__init__(weight, name)
        if method not in ("auto", "closed_form", "autograd"):
            raise ValueError(f"method must be 'auto', 'closed_form' or 'autograd', got {method!r}")
        self.method = method

    def value(self, model, X_in, Z):
        return jacobian_norm_sq(model, X_in, self.method).mean()
