"""Anomaly detection with reconstruction error, and the "random data cannot be compressed" test.

One-class protocol: train on images of a single "normal" class only; score every test image
by how badly it is reconstructed (squared error summed over pixels); call every other class
anomalous; report the area under the ROC curve (AUROC) for each normal class, with the same
score from PCA fitted on the same images beside it. AUROC is the probability that a random
anomalous image scores higher than a random normal one: 1 is perfect, 0.5 is guessing.

>>> auroc([0.1, 0.2, 0.9, 0.8], [False, False, True, True])
1.0
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import torch

from aekit.data import Dataset
from aekit.evaluate import pca_fit, per_image_error
from aekit.checks import as_numpy, as_tensor
from aekit.models import Autoencoder
from aekit.device import resolve_seed, seeded, to_numpy
from aekit.train import fit

__all__ = ["auroc", "pca_scores", "OneClassResult", "shuffle_pixels",
           "uniform_noise", "explained_variance", "RandomnessResult", "randomness_test"]


def _vector(values, what: str) -> np.ndarray:
    if isinstance(values, torch.Tensor):
        values = to_numpy(values)
    values = np.asarray(values)
    if values.ndim != 1:
        raise ValueError(f"{what} must be one value per example (1-D), got shape {values.shape}")
    return values


def auroc(scores, is_anomaly) -> float:
    """Area under the ROC curve of anomaly ``scores`` (higher = more anomalous).

    Parameters
    ----------
    scores : one score per example, e.g. the reconstruction error.
    is_anomaly : True for the anomalous examples, False for the normal ones.

    A score that ranks every anomaly above every normal example gives 1.0; a random score
    about 0.5; a score pointing the wrong way (e.g. ``-error``) gives ``1 - AUROC``.
    """
    from sklearn.metrics import roc_auc_score

    scores = _vector(scores, "scores").astype(np.float64)
    labels = _vector(is_anomaly, "is_anomaly").astype(bool)
    if len(scores) != len(labels):
        raise ValueError(f"scores and is_anomaly must have the same length, got {len(scores)} "
                         f"and {len(labels)}")
    if not np.isfinite(scores).all():
        raise ValueError("scores contain NaN or infinite values; check the model's output")
    if labels.all() or not labels.any():
        raise ValueError("AUROC needs both normal and anomalous examples, but is_anomaly is "
                         f"all {bool(labels[0]) if len(labels) else '(empty)'}")
    return float(roc_auc_score(labels, scores))


def pca_scores(X_normal, X, k: int) -> np.ndarray:
    """PCA's anomaly score: squared reconstruction error of each row of X, with k components
    fitted on ``X_normal`` (the baseline to put beside an autoencoder's score)."""
    X = as_numpy(X)
    pca = pca_fit(X_normal, k)
    X_hat = pca.inverse_transform(pca.transform(X))
    return ((X_hat - X) ** 2).sum(1)


@dataclass
class OneClassResult:
    """Scores of every test image when ``normal_class`` is the only class trained on."""

    normal_class: int
    labels: np.ndarray         # (n_test,) the true class of each test image
    scores: np.ndarray         # (n_test,) autoencoder reconstruction error
    pca_scores: np.ndarray     # (n_test,) PCA reconstruction error

    @property
    def is_anomaly(self) -> np.ndarray:
        return self.labels != self.normal_class

    @property
    def auroc(self) -> float:
        """AUROC of the autoencoder's score: normal class against all others."""
        return auroc(self.scores, self.is_anomaly)

    @property
    def pca_auroc(self) -> float:
        """AUROC of PCA's score on the same split."""
        return auroc(self.pca_scores, self.is_anomaly)

    def pair_auroc(self, anomalous_class: int, method: str = "autoencoder") -> float:
        """AUROC of the normal class against one anomalous class only (hard pairs show here)."""
        if anomalous_class == self.normal_class or anomalous_class not in self.labels:
            raise ValueError(f"anomalous_class must be a class of the test set other than the "
                             f"normal class {self.normal_class}, got {anomalous_class!r}")
        keep = (self.labels == self.normal_class) | (self.labels == anomalous_class)
        scores = {"autoencoder": self.scores, "PCA": self.pca_scores}
        if method not in scores:
            raise ValueError(f"method must be 'autoencoder' or 'PCA', got {method!r}")
        return auroc(scores[method][keep], self.is_anomaly[keep])

    def hardest_pair(self, method: str = "autoencoder") -> tuple[int, float]:
        """The anomalous class the method separates worst, and its pair AUROC."""
        others = [c for c in np.unique(self.labels) if c != self.normal_class]
        pairs = [(int(c), self.pair_auroc(int(c), method)) for c in others]
        return min(pairs, key=lambda pair: pair[1])


# --------------------------------------------------------------------------- randomness
def shuffle_pixels(X, seed: int = 0) -> torch.Tensor:
    """Shuffle each pixel (column) of X across the images, independently per pixel.

    Every pixel keeps exactly its values, so its mean and variance are unchanged, but the
    relations between pixels (strokes, shapes) are destroyed: structure-free data with the
    same statistics pixel by pixel.
    """
    X = as_tensor(X)
    gen = torch.Generator().manual_seed(seed)
    order = torch.argsort(torch.rand(X.shape, generator=gen), dim=0)  # a permutation per column
    return torch.gather(X, 0, order)


def uniform_noise(n: int, input_dim: int, seed: int = 0) -> torch.Tensor:
    """n images of independent uniform noise in [0, 1]: ``(n, input_dim)``."""
    if n < 1 or input_dim < 1:
        raise ValueError(f"n and input_dim must be positive, got {n} and {input_dim}")
    return torch.rand(n, input_dim, generator=torch.Generator().manual_seed(seed))


def explained_variance(model: torch.nn.Module, X) -> float:
    """Fraction of X's variance that the reconstructions keep: ``1 - error / total``.

    ``error`` is the mean squared reconstruction error per image and ``total`` the mean
    squared distance of the images from their mean (the error of reconstructing every image
    by the mean image). 1 is perfect; 0 is no better than the mean image.
    """
    X = as_tensor(X)
    total = float(((X - X.mean(0)) ** 2).sum(1).mean())
    if total == 0:
        raise ValueError("X has no variance (all rows are equal); nothing to explain")
    return 1.0 - float(per_image_error(model, X).mean()) / total


@dataclass
class RandomnessResult:
    """Fraction of variance explained on held-out data, per kind of data."""

    code_dim: int
    explained: dict[str, float]     # held-out data
    train_explained: dict[str, float]
    models: dict[str, Autoencoder]
    # the linear control: PCA with code_dim components fitted on the same training data,
    # fraction of variance it explains on the same held-out data
    pca_explained: dict[str, float] = field(default_factory=dict)


def randomness_test(dataset: Dataset, code_dim: int = 8, hidden_dims: Sequence[int] = (64,),
                    epochs: int = 60, lr: float = 3e-3, seed: int | None = None) -> RandomnessResult:
    """Train the same autoencoder on real images, on pixel-shuffled images and on uniform
    noise, and measure how much variance each keeps on fresh data of its kind.

    Real images have structure, so ``code_dim`` numbers describe most of an image; shuffled
    pixels and noise have none, so the code can carry little more than the ``code_dim``
    most variable pixels. An autoencoder trained with squared error. ``pca_explained`` holds
    the same measure for PCA with ``code_dim`` components, the linear control.
    """
    n_train, n_test, d = len(dataset.X_train), len(dataset.X_test), dataset.input_dim
    seed = resolve_seed(seed)
    data = {
        dataset.name: (dataset.X_train, dataset.X_test),
        "shuffled pixels": (shuffle_pixels(dataset.X_train, seed),
                            shuffle_pixels(dataset.X_test, seed + 1)),
        "uniform noise": (uniform_noise(n_train, d, seed), uniform_noise(n_test, d, seed + 1)),
    }
    explained, train_explained, models, pca_explained = {}, {}, {}, {}
    for name, (X_train, X_test) in data.items():
        with seeded(seed):  # the same starting weights for this setting, every time
            model = Autoencoder(d, code_dim, hidden_dims=hidden_dims)
        fit(model, X_train, epochs=epochs, lr=lr, loss="mse", progress=False, seed=seed)
        models[name] = model
        explained[name] = explained_variance(model, X_test)
        train_explained[name] = explained_variance(model, X_train)
        pca_explained[name] = _pca_explained(X_train, X_test, code_dim)
    return RandomnessResult(code_dim, explained, train_explained, models, pca_explained)


def _pca_explained(X_train, X_test, k: int) -> float:
    """Fraction of X_test's variance kept by PCA with k components fitted on X_train."""
    X_test = as_numpy(X_test)
    total = float(((X_test - X_test.mean(0)) ** 2).sum(1).mean())
    return 1.0 - float(pca_scores(X_train, X_test, k).mean()) / total
