"""The restricted Boltzmann machine: the building block of Hinton & Salakhutdinov's (2006)
pretraining (:mod:`aekit.pretraining` stacks, unrolls and trains them).

The RBM has binary (Bernoulli) visible units ``v`` and either binary hidden units or, for the
code layer, linear hidden units with unit-variance Gaussian noise. Its energy is

    bernoulli hidden: E(v, h) = -v.b - h.c - v W h
    gaussian hidden:  E(v, h) = -v.b + |h - c|^2 / 2 - v W h

with ``W`` of shape ``(n_visible, n_hidden)``, visible biases ``b`` and hidden biases ``c``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from aekit.checks import as_tensor, positive_int
from aekit.device import rand, rand_like, randn_like

__all__ = ["RBM", "CDStatistics", "HIDDEN_UNITS"]

HIDDEN_UNITS = ("bernoulli", "gaussian")


@dataclass
class CDStatistics:
    """One contrastive-divergence estimate on a batch (see :meth:`RBM.contrastive_divergence`).

    ``dW``, ``d_visible_bias`` and ``d_hidden_bias`` are the positive minus the negative
    statistics averaged over the batch (the direction that raises the data's likelihood);
    ``H_pos`` are the hidden means given the data, ``V_neg`` the reconstruction (visible
    probabilities) and ``H_neg`` the hidden means given ``V_neg``.
    """

    dW: torch.Tensor               # (n_visible, n_hidden)
    d_visible_bias: torch.Tensor   # (n_visible,)
    d_hidden_bias: torch.Tensor    # (n_hidden,)
    H_pos: torch.Tensor            # (batch, n_hidden)
    V_neg: torch.Tensor            # (batch, n_visible)
    H_neg: torch.Tensor            # (batch, n_hidden)


class RBM(nn.Module):
    """A restricted Boltzmann machine with binary visible units.

    Parameters
    ----------
    n_visible, n_hidden : numbers of visible and hidden units.
    hidden : "bernoulli" (binary hidden units, probability ``sigmoid(v W + c)``) or
        "gaussian" (linear hidden units ``h = v W + c + N(0, 1)``, the code layer of
        Hinton & Salakhutdinov 2006).
    weight_scale : the weights start as ``weight_scale * randn`` (0.1 in the paper's code),
        biases at zero.
    seed : seed of the initial weights (None uses torch's global generator).

    Examples
    --------
    >>> rbm = RBM(64, 32)
    >>> history = rbm.fit(torch.rand(100, 64).round(), epochs=2, progress=False)
    >>> rbm.transform(torch.rand(5, 64)).shape
    torch.Size([5, 32])
    """

    def __init__(self, n_visible: int, n_hidden: int, hidden: str = "bernoulli",
                 weight_scale: float = 0.1, seed: int | None = None) -> None:
        super().__init__()
        positive_int(n_visible, "n_visible")
        positive_int(n_hidden, "n_hidden")
        if hidden not in HIDDEN_UNITS:
            raise ValueError(f"hidden must be 'bernoulli' or 'gaussian', got {hidden!r}")
        self.n_visible, self.n_hidden, self.hidden = n_visible, n_hidden, hidden
        gen = None
        if seed is not None:
            gen = torch.Generator().manual_seed(seed)
        self.W = nn.Parameter(weight_scale * torch.randn(n_visible, n_hidden, generator=gen))
        self.visible_bias = nn.Parameter(torch.zeros(n_visible))
        self.hidden_bias = nn.Parameter(torch.zeros(n_hidden))

    # ------------------------------------------------------------ conditionals
    def _check(self, X, what: str, dim: int) -> torch.Tensor:
        X = as_tensor(X, what).to(self.W.device)
        if X.dim() != 2 or X.shape[1] != dim:
            raise ValueError(f"{what} must have shape (batch, {dim}) for this "
                             f"{self.n_visible}-{self.n_hidden} RBM, got {tuple(X.shape)}")
        return X

    def _hidden_mean(self, V: torch.Tensor) -> torch.Tensor:
        pre = V @ self.W + self.hidden_bias  # (batch, n_hidden)
        return pre if self.hidden == "gaussian" else torch.sigmoid(pre)

    def _visible_mean(self, H: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(H @ self.W.t() + self.visible_bias)  # (batch, n_visible)

    def _sample_hidden_from_mean(self, mean: torch.Tensor, generator) -> torch.Tensor:
        if self.hidden == "gaussian":
            return mean + randn_like(mean, generator)
        return (rand_like(mean, generator) < mean).to(mean.dtype)

    @torch.no_grad()
    def transform(self, V) -> torch.Tensor:
        """Hidden means given visible ``V`` ``(batch, n_visible)``: the features, ``(batch, n_hidden)``.

        Probabilities ``sigmoid(V W + c)`` for binary hidden units; ``V W + c`` for Gaussian ones.
        """
        return self._hidden_mean(self._check(V, "V", self.n_visible))

    @torch.no_grad()
    def visible_probabilities(self, H) -> torch.Tensor:
        """Probabilities of the visible units given hidden states ``H``: ``sigmoid(H W^T + b)``."""
        return self._visible_mean(self._check(H, "H", self.n_hidden))

    @torch.no_grad()
    def sample_hidden(self, V, generator: torch.Generator | None = None) -> torch.Tensor:
        """Draw hidden states given visible ``V``: binary, or the mean plus N(0, 1) noise."""
        return self._sample_hidden_from_mean(self.transform(V), generator)

    @torch.no_grad()
    def sample_visible(self, H, generator: torch.Generator | None = None) -> torch.Tensor:
        """Draw binary visible states given hidden states ``H``."""
        P = self.visible_probabilities(H)
        return (rand_like(P, generator) < P).to(P.dtype)

    @torch.no_grad()
    def reconstruct(self, V) -> torch.Tensor:
        """Mean-field reconstruction: visible probabilities given the hidden means of ``V``."""
        return self._visible_mean(self.transform(V))

    # ------------------------------------------------------------ energies
    def free_energy(self, V) -> torch.Tensor:
        """Free energy ``F(v) = -log sum_h exp(-E(v, h))`` of each row of ``V``: shape ``(batch,)``.

        Bernoulli hidden: ``-v.b - sum_j softplus(c_j + v W_j)``. Gaussian hidden (the integral
        over h): ``-v.b - sum_j ((c_j + v W_j)^2 - c_j^2) / 2 - (n_hidden / 2) log(2 pi)``.
        ``p(v)`` is proportional to ``exp(-F(v))``.
        """
        V = self._check(V, "V", self.n_visible)
        pre = V @ self.W + self.hidden_bias  # (batch, n_hidden)
        return self._free_energy(V, pre)

    def _free_energy(self, V: torch.Tensor, pre: torch.Tensor) -> torch.Tensor:
        visible_term = V @ self.visible_bias  # (batch,)
        if self.hidden == "gaussian":
            hidden_term = 0.5 * (pre.pow(2) - self.hidden_bias.pow(2)).sum(1)
            hidden_term = hidden_term + 0.5 * self.n_hidden * math.log(2 * math.pi)
        else:
            hidden_term = F.softplus(pre).sum(1)
        return -visible_term - hidden_term

    def energy(self, V, H) -> torch.Tensor:
        """Energy ``E(v, h)`` of each pair of rows of ``V`` and ``H``: shape ``(batch,)``."""
        V = self._check(V, "V", self.n_visible)
        H = self._check(H, "H", self.n_hidden)
        interaction = ((V @ self.W) * H).sum(1)
        if self.hidden == "gaussian":
            hidden_term = -0.5 * (H - self.hidden_bias).pow(2).sum(1)
        else:
            hidden_term = H @ self.hidden_bias
        return -V @ self.visible_bias - hidden_term - interaction

    # ------------------------------------------------------------ learning and sampling
    @torch.no_grad()
    def contrastive_divergence(self, V, k: int = 1,
                               generator: torch.Generator | None = None) -> CDStatistics:
        """The CD-k estimate of the log-likelihood gradient on the batch ``V``.

        As in the authors' code: the positive statistics use the hidden means given the data;
        binary (or noisy linear) hidden states are sampled to drive the reconstruction; the
        visible units of the reconstruction are left as probabilities, and the negative
        statistics use them with their hidden means. ``k`` > 1 runs k such up-down steps.
        """
        V = self._check(V, "V", self.n_visible)
        positive_int(k, "k (the number of Gibbs steps)")
        if len(V) == 0:
            raise ValueError("V is empty: contrastive divergence needs at least one example")
        return self._cd(V, k, generator)[0]

    def _cd(self, V: torch.Tensor, k: int, generator) -> tuple[CDStatistics, torch.Tensor]:
        """CD-k without input checks; also returns the hidden pre-activations of V."""
        n = len(V)
        pre = V @ self.W + self.hidden_bias  # (batch, n_hidden)
        H_pos = pre if self.hidden == "gaussian" else torch.sigmoid(pre)
        H = H_pos
        for _ in range(k):
            V_neg = self._visible_mean(self._sample_hidden_from_mean(H, generator))
            H = self._hidden_mean(V_neg)
        stats = CDStatistics(
            dW=(V.t() @ H_pos - V_neg.t() @ H) / n,
            d_visible_bias=(V - V_neg).mean(0),
            d_hidden_bias=(H_pos - H).mean(0),
            H_pos=H_pos, V_neg=V_neg, H_neg=H,
        )
        return stats, pre

    @torch.no_grad()
    def gibbs(self, V, steps: int = 1, generator: torch.Generator | None = None) -> torch.Tensor:
        """Run ``steps`` rounds of block Gibbs sampling from ``V`` (sample h, then sample v).

        Returns the visible *probabilities* of the last round (smoother pictures than the
        binary sample they are drawn from).
        """
        V = self._check(V, "V", self.n_visible)
        positive_int(steps, "steps")
        P = V
        for _ in range(steps):
            P = self._visible_mean(self._sample_hidden_from_mean(self._hidden_mean(V), generator))
            V = (rand_like(P, generator) < P).to(P.dtype)
        return P

    @torch.no_grad()
    def sample(self, n_samples: int, steps: int = 1000, generator: torch.Generator | None = None,
               start=None) -> torch.Tensor:
        """Pictures of what the RBM generates: Gibbs chains from random binary visible states.

        ``start`` (optional, ``(n_samples, n_visible)``) starts the chains there instead, e.g.
        from training images. Returns the visible probabilities after ``steps`` rounds.
        """
        positive_int(n_samples, "n_samples")
        if start is None:
            start = (rand(n_samples, self.n_visible, device=self.W.device,
                          generator=generator) < 0.5).float()
        return self.gibbs(start, steps, generator)

    def fit(self, X, **kwargs):
        """Train with CD-k; see :func:`aekit.pretraining.fit_rbm` for the parameters."""
        from aekit.pretraining import fit_rbm

        return fit_rbm(self, X, **kwargs)

    def extra_repr(self) -> str:
        return f"{self.n_visible}-{self.n_hidden}, hidden={self.hidden}"
