"""The variational autoencoder (Kingma & Welling 2013): a probabilistic encoder and decoder.

The encoder maps x to a Gaussian q(z|x) = N(mean, diag(exp(logvar))); the decoder maps a code
z to the parameters of p(x|z). Training maximises the evidence lower bound (ELBO)

    log p(x) >= E_q[log p(x|z)] - KL(q(z|x) || N(0, I)),

so the loss is its negative: a reconstruction term plus a KL term, both in nats per image.
With ``beta != 1`` the KL term is weighted by beta (the beta-VAE of Higgins et al. 2017).
"""
from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import nn
from torch.nn import functional as F

from aekit.checks import positive_int
from aekit.checks import as_tensor
from aekit.device import model_device, randn, randn_like, to_model, to_numpy
from aekit.models._layers import (check_codes, check_input, check_sizes, dense_layers,
                                   lookup_activation)

__all__ = ["VAE", "gaussian_kl"]

LIKELIHOODS = ("bernoulli", "gaussian")


def gaussian_kl(mean: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mean, exp(logvar)) || N(0, I)) of each row, in nats: shape ``(batch,)``.

    The closed form is ``0.5 * sum(mean^2 + exp(logvar) - 1 - logvar)`` over the code units.
    """
    return 0.5 * (mean.pow(2) + logvar.exp() - 1.0 - logvar).sum(dim=1)


class VAE(nn.Module):
    """A variational autoencoder with fully connected encoder and decoder.

    Parameters
    ----------
    input_dim : number of input values (64 for 8x8 digits, 784 for 28x28 images).
    code_dim : size of the latent code z (2 gives a latent space one can draw).
    hidden_dims : widths of the encoder's hidden layers, outermost first; the decoder mirrors
        them. ``(400,)`` with ``code_dim=20`` is the classic MNIST baseline.
    likelihood : the decoder's model of a pixel. "bernoulli": the decoder outputs pixel
        probabilities and the reconstruction term is the cross-entropy (for data in [0, 1]).
        "gaussian": the decoder outputs the mean of a Gaussian whose variance (one number for
        all pixels) is set to its best value for the current batch, the mean squared error
        (the "calibrated decoder" of Rybkin et al. 2021; a fixed variance of 1 would make the
        KL term swamp the squared error and the code collapse). A running average of it,
        ``obs_var``, is used in ``eval()`` mode. The reconstruction term is then a log density
        and can be negative.
    beta : weight of the KL term in the loss (1 gives the ELBO; >1 a beta-VAE).
    activation : non-linearity of the hidden layers ("relu", "tanh", "elu", ...).

    Examples
    --------
    >>> vae = VAE(64, 2, hidden_dims=(64,))
    >>> mean, logvar = vae.posterior(torch.rand(5, 64))
    >>> vae.sample(3).shape
    torch.Size([3, 64])
    """

    def __init__(self, input_dim: int, code_dim: int, hidden_dims: Sequence[int] = (400,),
                 likelihood: str = "bernoulli", beta: float = 1.0,
                 activation: str = "relu") -> None:
        super().__init__()
        hidden_dims = check_sizes(input_dim, code_dim, hidden_dims)
        if likelihood not in LIKELIHOODS:
            raise ValueError(f"likelihood must be one of {LIKELIHOODS}, got {likelihood!r}")
        if not (isinstance(beta, (int, float)) and math.isfinite(beta) and beta >= 0):
            raise ValueError(f"beta weights the KL term and must be a number >= 0, got {beta!r}")

        self.input_dim, self.code_dim, self.hidden_dims = input_dim, code_dim, hidden_dims
        self.likelihood, self.beta, self.activation = likelihood, float(beta), activation
        self._act = lookup_activation(activation, "activation")

        sizes = (input_dim, *hidden_dims)
        self.encoder = dense_layers(sizes)
        self.to_mean = nn.Linear(sizes[-1], code_dim)
        self.to_logvar = nn.Linear(sizes[-1], code_dim)
        back = (code_dim, *hidden_dims[::-1], input_dim)
        self.decoder = dense_layers(back)
        # the Gaussian decoder's variance in eval mode (running average; unused for Bernoulli)
        self.register_buffer("obs_var", torch.tensor(0.05))

    # ------------------------------------------------------------------ encoder
    def posterior(self, X: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The posterior q(z|x): its mean and log-variance, each ``(batch, code_dim)``."""
        check_input(X, self.input_dim, "VAE")
        h = X
        for layer in self.encoder:
            h = self._act(layer(h))
        return self.to_mean(h), self.to_logvar(h)

    def encode(self, X: torch.Tensor) -> torch.Tensor:
        """The code of X: the posterior mean, ``(batch, code_dim)`` (see :meth:`posterior`)."""
        return self.posterior(X)[0]

    @staticmethod
    def reparameterize(mean: torch.Tensor, logvar: torch.Tensor,
                       generator: torch.Generator | None = None) -> torch.Tensor:
        """Draw z = mean + exp(logvar / 2) * eps with eps ~ N(0, I): a sample of q(z|x)
        that gradients flow through to ``mean`` and ``logvar`` (the reparameterisation trick)."""
        eps = randn_like(mean, generator)  # drawn where the generator lives, moved to mean's device
        return mean + torch.exp(0.5 * logvar) * eps  # (batch, code_dim)

    # ------------------------------------------------------------------ decoder
    def decode_logits(self, Z: torch.Tensor) -> torch.Tensor:
        """The decoder's last layer before its output non-linearity: ``(batch, input_dim)``."""
        check_codes(Z, self.code_dim)
        h = Z
        for i, layer in enumerate(self.decoder):
            h = layer(h)
            if i < len(self.decoder) - 1:
                h = self._act(h)
        return h

    def decode(self, Z: torch.Tensor) -> torch.Tensor:
        """The mean of p(x|z) for codes ``(batch, code_dim)``: pixel values in (0, 1)."""
        return torch.sigmoid(self.decode_logits(Z))

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        """Reconstruct X: in ``eval()`` mode the decoded posterior mean (deterministic),
        in training mode the decoding of one sample of q(z|x)."""
        mean, logvar = self.posterior(X)
        Z = self.reparameterize(mean, logvar) if self.training else mean
        return self.decode(Z)

    # ------------------------------------------------------------------ loss
    def reconstruction_nll(self, logits: torch.Tensor, X: torch.Tensor) -> torch.Tensor:
        """-log p(x|z) of each row in nats, from the decoder's logits: shape ``(batch,)``."""
        if self.likelihood == "bernoulli":
            return F.binary_cross_entropy_with_logits(logits, X, reduction="none").sum(1)
        squared = (X - torch.sigmoid(logits)) ** 2  # (batch, input_dim)
        if self.training:
            var = squared.mean().clamp_min(1e-6)  # the variance that maximises the likelihood
            with torch.no_grad():
                self.obs_var.mul_(0.9).add_(0.1 * var.detach())
        else:
            var = self.obs_var
        return 0.5 * (squared / var + torch.log(2 * math.pi * var)).sum(1)

    def loss(self, X_in: torch.Tensor, X_target: torch.Tensor) -> dict[str, torch.Tensor]:
        """Negative ELBO per image (mean over the batch), from one sample of q(z|x).

        Returns ``{"loss": reconstruction + beta * kl, "reconstruction": ..., "kl": ...}``,
        each in nats per image; :func:`aekit.fit` minimises "loss" and records the parts.
        """
        if self.likelihood == "bernoulli" and (X_target.min() < 0 or X_target.max() > 1):
            raise ValueError("the Bernoulli VAE needs targets in [0, 1]; scale the data or use "
                             "likelihood='gaussian'")
        mean, logvar = self.posterior(X_in)
        Z = self.reparameterize(mean, logvar)
        reconstruction = self.reconstruction_nll(self.decode_logits(Z), X_target).mean()
        kl = gaussian_kl(mean, logvar).mean()
        return {"loss": reconstruction + self.beta * kl, "reconstruction": reconstruction, "kl": kl}

    @torch.no_grad()
    def negative_elbo(self, X: torch.Tensor, n_samples: int = 1) -> float:
        """The negative ELBO (beta = 1) in nats per image, averaged over ``n_samples`` draws."""
        if n_samples < 1:
            raise ValueError(f"n_samples must be at least 1, got {n_samples!r}")
        was_training = self.training
        self.eval()
        X = to_model(X, self)
        mean, logvar = self.posterior(X)
        nll = torch.stack([self.reconstruction_nll(
            self.decode_logits(self.reparameterize(mean, logvar)), X) for _ in range(n_samples)])
        self.train(was_training)
        return float((nll.mean(0) + gaussian_kl(mean, logvar)).mean())

    @torch.no_grad()
    def importance_weighted_nll(self, X: torch.Tensor, n_samples: int = 200,
                                generator: torch.Generator | None = None) -> float:
        """An estimate of -log p(x) in nats per image (Burda, Grosse & Salakhutdinov 2016).

        Draws ``n_samples`` codes z_k from q(z|x) and returns -log of the mean of the weights
        p(x|z_k) p(z_k) / q(z_k|x), averaged over the images. With one sample it is the negative
        ELBO (in expectation); with more it is still an upper bound on -log p(x) in expectation,
        and it falls towards -log p(x) itself as ``n_samples`` grows. The gap between the
        negative ELBO and this number is what the bound loses: KL(q(z|x) || p(z|x)), roughly.
        """
        positive_int(n_samples, "n_samples")
        was_training = self.training
        self.eval()
        X = to_model(X, self)
        mean, logvar = self.posterior(X)  # (batch, code_dim) each
        std = torch.exp(0.5 * logvar)
        half_log_2pi = 0.5 * math.log(2 * math.pi)
        log_w = torch.empty(n_samples, len(X), device=mean.device)  # (n_samples, batch)
        for k in range(n_samples):
            eps = randn_like(mean, generator)
            z = mean + std * eps
            log_prior = -(0.5 * z**2 + half_log_2pi).sum(1)
            log_q = -(0.5 * eps**2 + 0.5 * logvar + half_log_2pi).sum(1)
            log_w[k] = -self.reconstruction_nll(self.decode_logits(z), X) + log_prior - log_q
        self.train(was_training)
        return float(-(torch.logsumexp(log_w, 0) - math.log(n_samples)).mean())

    # ------------------------------------------------------------------ generation
    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """Generate n new examples: decode codes drawn from the prior N(0, I).

        Returns the decoder's means, shape ``(n, input_dim)``, values in (0, 1).
        """
        positive_int(n, "n")
        Z = randn(n, self.code_dim, device=model_device(self), generator=generator)
        return self.decode(Z)  # (n, input_dim)

    @torch.no_grad()
    def interpolate(self, x0: torch.Tensor, x1: torch.Tensor, steps: int = 8) -> torch.Tensor:
        """Decode ``steps`` evenly spaced points on the line between the codes (posterior
        means) of two examples: shape ``(steps, input_dim)``, x0's end first."""
        if not isinstance(steps, int) or steps < 2:
            raise ValueError(f"steps must be an integer >= 2 (both ends included), got {steps!r}")
        ends = torch.cat([as_tensor(to_numpy(torch.as_tensor(x)).reshape(1, -1), what)
                          for x, what in ((x0, "x0"), (x1, "x1"))])  # (2, input_dim), CPU
        mean = self.encode(to_model(ends, self))  # (2, code_dim)
        t = torch.linspace(0, 1, steps, device=mean.device)[:, None]  # (steps, 1)
        return self.decode((1 - t) * mean[0] + t * mean[1])

    def extra_repr(self) -> str:
        sizes = "-".join(map(str, (self.input_dim, *self.hidden_dims, self.code_dim)))
        return f"{sizes} (mirrored), {self.likelihood}, beta={self.beta:g}"
