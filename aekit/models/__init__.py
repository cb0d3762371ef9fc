"""Every autoencoder model of the course, one module per family, and what a model must provide
(:class:`AutoencoderModel`, written in :mod:`aekit.models.protocol`).

- :mod:`.dense`: the fully connected :class:`Autoencoder` (plain, sparse, k-sparse, tied,
  dropout), and the :func:`linear_autoencoder` and :func:`deep_autoencoder` factories;
- :mod:`.vae`, :mod:`.concrete`, :mod:`.conv`, :mod:`.sequence`, :mod:`.rate_distortion`,
  :mod:`.binary`: one variant each; :mod:`.rbm`: the restricted Boltzmann machine.
"""
from aekit.models.protocol import AutoencoderModel
from aekit.models.dense import Autoencoder, deep_autoencoder, linear_autoencoder
from aekit.models.binary import BinaryCodeAutoencoder
from aekit.models.concrete import ConcreteAutoencoder
from aekit.models.conv import ConvAutoencoder
from aekit.models.rate_distortion import RateDistortionAutoencoder
from aekit.models.rbm import RBM, CDStatistics
from aekit.models.sequence import SequenceAutoencoder
from aekit.models.vae import VAE

__all__ = ["AutoencoderModel", "Autoencoder", "linear_autoencoder", "deep_autoencoder", "VAE",
           "ConcreteAutoencoder", "ConvAutoencoder", "SequenceAutoencoder",
           "RateDistortionAutoencoder", "BinaryCodeAutoencoder", "RBM", "CDStatistics"]
