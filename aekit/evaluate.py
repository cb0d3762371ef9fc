"""Measures of how well an autoencoder reconstructs, and the PCA baseline."""
from __future__ import annotations

import numpy as np
import torch

from aekit.checks import as_numpy, as_tensor
from aekit.device import model_device

__all__ = ["reconstruction_error", "pca_fit", "pca_baseline", "reconstruct", "encode",
           "per_image_error", "spread"]


@torch.no_grad()
def reconstruct(model: torch.nn.Module, X, batch_size: int = 4096) -> torch.Tensor:
    """Reconstructions of X by ``model`` in eval mode, as a CPU tensor of X's shape."""
    X = as_tensor(X)
    was_training = model.training
    model.eval()
    device = model_device(model)
    out = [model(X[i:i + batch_size].to(device)).cpu() for i in range(0, len(X), batch_size)]
    model.train(was_training)
    return torch.cat(out) if out else X.clone()


@torch.no_grad()
def encode(model: torch.nn.Module, X, batch_size: int = 4096) -> torch.Tensor:
    """Codes of X (``model.encode``: the posterior mean for a VAE) in eval mode, as a CPU tensor."""
    X = as_tensor(X)
    was_training = model.training
    model.eval()
    device = model_device(model)
    codes = []
    for i in range(0, max(len(X), 1), batch_size):  # an empty X still gives (0, code_dim)
        Z = model.encode(X[i:i + batch_size].to(device))
        if not isinstance(Z, torch.Tensor):
            raise TypeError(f"{type(model).__name__}.encode must return one tensor of codes "
                            f"(batch, code_dim), got {type(Z).__name__}; see "
                            f"aekit.models.AutoencoderModel (a VAE returns its posterior mean "
                            f"and gives both parameters with .posterior)")
        codes.append(Z.cpu())
    model.train(was_training)
    return torch.cat(codes)


def per_image_error(model: torch.nn.Module, X) -> torch.Tensor:
    """Squared reconstruction error of each image, summed over its pixels: shape ``(n,)``."""
    X = as_tensor(X).cpu()
    if len(X) == 0:
        raise ValueError("X is empty (no rows): there is no image to measure the error of")
    X_hat = reconstruct(model, X)
    return ((X_hat - X) ** 2).reshape(len(X), -1).sum(1)


def reconstruction_error(model: torch.nn.Module, X) -> float:
    """Mean over images of the squared error summed over pixels.

    This is the measure of Hinton & Salakhutdinov (2006): with pixels in [0, 1] their deep
    autoencoder reached 3.00 on MNIST, against 13.87 for PCA with 30 components.
    """
    return float(per_image_error(model, X).mean())


def pca_fit(X_train, k: int):
    """scikit-learn's PCA with k components fitted on X_train (rows; images are flattened):
    the one PCA of the package, used by every baseline, projector and code.

    Centred data, as a linear autoencoder with biases sees it; computed in float64 on the CPU
    through the covariance matrix (the same components as a full SVD, and seconds instead of
    minutes on 60,000 x 784 images).
    """
    from sklearn.decomposition import PCA

    X_train = as_numpy(X_train, "X_train").reshape(len(X_train), -1)
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or not 1 <= k <= min(X_train.shape):
        raise ValueError(f"k must be between 1 and {min(X_train.shape)} (the number of "
                         f"features or of training examples), got {k!r}")
    return PCA(n_components=int(k), svd_solver="covariance_eigh").fit(X_train)


def pca_baseline(X_train, X_test, k: int, return_model: bool = False):
    """Reconstruction error of PCA with k components, fitted on X_train, measured on X_test.

    Returns the same measure as :func:`reconstruction_error`, and the fitted PCA
    (:func:`pca_fit`) if asked.
    """
    pca = pca_fit(X_train, k)
    X_test = as_numpy(X_test, "X_test").reshape(len(X_test), -1)
    X_hat = pca.inverse_transform(pca.transform(X_test))
    error = float(((X_hat - X_test) ** 2).sum(1).mean())
    return (error, pca) if return_model else error


def spread(values, digits: int = 2, percent: bool = False) -> str:
    """Mean and range of repeated measurements (one per seed, say): ``"1.23 (1.10-1.40)"``.

    ``percent`` writes fractions as percentages (``"35% (31-38%)"``). Tables of results that
    change with the seed report this instead of a single run.
    """
    values = np.asarray([float(v) for v in values])
    if values.size == 0:
        raise ValueError("spread needs at least one value")
    mean, low, high = values.mean(), values.min(), values.max()
    if percent:
        return f"{100 * mean:.{max(digits - 2, 0)}f}% ({100 * low:.{max(digits - 2, 0)}f}-" \
               f"{100 * high:.{max(digits - 2, 0)}f}%)"
    return f"{mean:.{digits}f} ({low:.{digits}f}-{high:.{digits}f})"
