"""Autoencoder models. Each model maps a batch ``(batch, input_dim)`` to its reconstruction
with ``forward`` (deterministic in ``eval()`` mode), and has ``encode`` and ``decode``.

A model may define ``loss(X_in, X_target) -> dict`` (a "loss" entry plus named parts, each a
scalar per image) to replace the reconstruction loss in :func:`aekit.fit`, and
``on_epoch_start(epoch, epochs)`` for schedules such as temperature annealing.
"""
from aekit.models.dense import Autoencoder
from aekit.models.concrete import ConcreteAutoencoder
from aekit.models.conv import ConvAutoencoder
from aekit.models.rate_distortion import RateDistortionAutoencoder
from aekit.models.sequence import SequenceAutoencoder
from aekit.models.vae import VAE

__all__ = ["Autoencoder", "VAE", "ConcreteAutoencoder", "ConvAutoencoder", "SequenceAutoencoder",
           "RateDistortionAutoencoder"]
