"""Data sets: scikit-learn's digits (embedded), Fashion-MNIST and MNIST (IDX files).

Fashion-MNIST and MNIST are looked for, in order, in the system data directory (Debian's
``dataset-fashion-mnist`` package puts them in ``/usr/share/datasets/fashion-mnist``), in the
cache directory (``AEKIT_DATA``, default ``~/.cache/aekit``), and are then downloaded. Every
file is checked against the SHA-256 of its decompressed content, so a system copy and a
download are verified by the same table. A download is written to a temporary file that is
synced to disk and renamed only once it has passed its check; it is created like any new file
(``0o666`` less the umask, so a cache shared by a lab machine or a hub is readable by all).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

# IDX files and downloads live in aekit._idx; these names are public here.
from aekit._idx import DataError, download, parse_idx, read_idx  # noqa: F401
from aekit._idx import _CacheError, _download

__all__ = [
    "Dataset",
    "DataError",
    "load",
    "available",
    "read_idx",
    "cache_dir",
    "sine_waves",
]


@dataclass
class Dataset:
    """Images (or sequences) split into training and test sets.

    ``X_train``/``X_test`` are float32 tensors with values in [0, 1], one row per example
    (flattened unless ``load(..., flatten=False)``); ``y_*`` are int64 labels;
    ``image_shape`` is (height, width) and ``classes`` names each label.
    """

    name: str
    X_train: torch.Tensor
    y_train: torch.Tensor
    X_test: torch.Tensor
    y_test: torch.Tensor
    image_shape: tuple[int, ...]
    classes: list[str]
    source: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def input_dim(self) -> int:
        """Number of values in one example (64 for digits, 784 for 28x28 images)."""
        return int(np.prod(self.X_train.shape[1:]))

    def __repr__(self) -> str:
        return (
            f"Dataset({self.name!r}: {len(self.X_train)} train / {len(self.X_test)} test, "
            f"{'sequences' if self.X_train.dim() == 3 else 'images'} "
            f"{'x'.join(map(str, self.image_shape))}, {len(self.classes)} classes)"
        )


# --------------------------------------------------------------------------- sources
_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
          "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")

# SHA-256 of the decompressed IDX files: one table serves Debian's re-compressed copy and
# the upstream download alike.
_SOURCES = {
    "fashion-mnist": {
        "system": ["/usr/share/datasets/fashion-mnist"],
        "mirrors": ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"],
        "sha256": dict(zip(_FILES, (
            "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
            "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
            "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
            "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
        ))),
        "classes": ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"],
        "hint": "install Debian's package (sudo apt-get install dataset-fashion-mnist) "
                "or connect to the internet once so aekit can download it",
    },
    "mnist": {
        "system": ["/usr/share/datasets/mnist"],
        "mirrors": ["https://ossci-datasets.s3.amazonaws.com/mnist/",
                    "https://storage.googleapis.com/cvdf-datasets/mnist/"],
        "sha256": dict(zip(_FILES, (
            "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
            "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
            "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
            "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
        ))),
        "classes": [str(d) for d in range(10)],
        "hint": "connect to the internet once so aekit can download it, or copy the four "
                "MNIST .gz files into the cache directory",
    },
}


def available() -> list[str]:
    """Names accepted by :func:`load`."""
    return ["digits", *sorted(_SOURCES)]


def cache_dir() -> Path:
    """Where downloaded data sets are kept: ``AEKIT_DATA`` or ``~/.cache/aekit``."""
    env = os.environ.get("AEKIT_DATA")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "aekit"


def _candidates(name: str, stem: str) -> list[Path]:
    spec = _SOURCES[name]
    dirs = [Path(d) for d in spec["system"]] + [cache_dir() / name]
    return [d / f"{stem}{ext}" for d in dirs for ext in (".gz", "")]


def _fetch(name: str, stem: str, progress: bool) -> np.ndarray:
    spec = _SOURCES[name]
    digest = spec["sha256"][stem]
    for path in _candidates(name, stem):
        if path.exists():
            return read_idx(path, digest)
    dest = cache_dir() / name / f"{stem}.gz"
    errors = []
    for mirror in spec["mirrors"]:
        try:
            return _download(mirror + stem + ".gz", dest, digest, progress)
        except _CacheError:
            raise
        except (OSError, DataError) as err:  # URLError and socket errors are OSErrors
            errors.append(f"{mirror}: {err}")
    looked = ", ".join(str(p.parent) for p in _candidates(name, stem)[::2])
    raise DataError(
        f"{name} is not on this machine (looked in {looked}) and could not be downloaded "
        f"({'; '.join(errors)}). To get it, {spec['hint']}. The digits data set "
        f"(load('digits')) is always available offline."
    )


def _take(X: np.ndarray, y: np.ndarray, n: int | None, what: str):
    if n is None:
        return X, y
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"{what} must be a positive integer or None, got {n!r}")
    if n > len(X):
        raise ValueError(f"{what}={n} asks for more examples than the {len(X)} available")
    return X[:n], y[:n]


def _digits() -> tuple[np.ndarray, ...]:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    bunch = load_digits()
    X = (bunch.data / 16.0).astype(np.float32)  # (1797, 64), values 0..16 -> [0, 1]
    return train_test_split(X, bunch.target, test_size=0.2, random_state=0, stratify=bunch.target)


def load(name: str = "digits", *, n_train: int | None = None, n_test: int | None = None,
         flatten: bool = True, progress: bool = True) -> Dataset:
    """Load a data set as float32 tensors in [0, 1].

    Parameters
    ----------
    name : "digits" (8x8, embedded in scikit-learn, always offline), "fashion-mnist" or
        "mnist" (28x28).
    n_train, n_test : keep only the first n examples of each split (None keeps all).
    flatten : rows of ``height*width`` values (True) or images of shape (1, height, width).
    progress : show a progress bar while downloading.

    Examples
    --------
    >>> data = load("digits")
    >>> data.X_train.shape
    torch.Size([1437, 64])
    """
    key = str(name).lower().replace("_", "-")
    if key == "digits":
        X_tr, X_te, y_tr, y_te = _digits()
        shape, classes, source = (8, 8), [str(d) for d in range(10)], "scikit-learn"
    elif key in _SOURCES:
        X_tr = _fetch(key, "train-images-idx3-ubyte", progress)
        y_tr = _fetch(key, "train-labels-idx1-ubyte", progress)
        X_te = _fetch(key, "t10k-images-idx3-ubyte", progress)
        y_te = _fetch(key, "t10k-labels-idx1-ubyte", progress)
        shape, classes, source = tuple(X_tr.shape[1:]), _SOURCES[key]["classes"], "IDX files"
    else:
        raise ValueError(f"unknown data set {name!r}; available: {', '.join(available())}")
    X_tr, y_tr = _take(X_tr, y_tr, n_train, "n_train")
    X_te, y_te = _take(X_te, y_te, n_test, "n_test")

    def to_tensor(X: np.ndarray) -> torch.Tensor:
        X = np.asarray(X)
        if X.dtype == np.uint8:
            X = X.astype(np.float32) / 255.0
        X = torch.as_tensor(X, dtype=torch.float32)
        return X.reshape(len(X), -1) if flatten else X.reshape(len(X), 1, *shape)

    return Dataset(
        name=key,
        X_train=to_tensor(X_tr), y_train=torch.as_tensor(np.array(y_tr, dtype=np.int64)),
        X_test=to_tensor(X_te), y_test=torch.as_tensor(np.array(y_te, dtype=np.int64)),
        image_shape=shape, classes=classes, source=source,
    )


# --------------------------------------------------------------------------- sequences
def sine_waves(n: int = 1000, length: int = 50, noise: float = 0.05,
               frequencies: tuple[float, ...] = (1, 2, 3, 4), test_size: float = 0.2,
               seed: int = 0) -> Dataset:
    """A synthetic set of noisy sine waves for sequence autoencoders, labelled by frequency.

    Each sequence is ``0.5 + 0.4 * a * sin(2 pi f t / length + phase) + noise * eps`` for
    t = 0..length-1, with f drawn from ``frequencies`` (its index is the label), amplitude
    a uniform in [0.5, 1], a uniform random phase and eps standard normal; values are then
    clipped to [0, 1]. ``X_*`` have shape ``(count, length, 1)``.

    Parameters
    ----------
    n : number of sequences in all (training and test).
    length : time steps per sequence.
    noise : standard deviation of the added noise (on the [0, 1] scale).
    frequencies : cycles per sequence for each class.
    test_size : fraction of the sequences kept for the test split.
    seed : makes the data set reproducible.

    Examples
    --------
    >>> waves = sine_waves(n=100, length=30)
    >>> waves.X_train.shape
    torch.Size([80, 30, 1])
    """
    if not isinstance(n, (int, np.integer)) or n < 2:
        raise ValueError(f"n must be an integer >= 2 (some for training, some for testing), got {n!r}")
    if not isinstance(length, (int, np.integer)) or length < 2:
        raise ValueError(f"length must be an integer >= 2 time steps, got {length!r}")
    if not (np.isfinite(noise) and noise >= 0):
        raise ValueError(f"noise is a standard deviation and must be >= 0, got {noise!r}")
    if len(frequencies) == 0 or any(not (np.isfinite(f) and f > 0) for f in frequencies):
        raise ValueError(f"frequencies must be one or more positive numbers, got {frequencies!r}")
    n_test = int(round(n * test_size))
    if not 0 < n_test < n:
        raise ValueError(f"test_size={test_size!r} leaves an empty split of {n} sequences; "
                         f"choose a fraction strictly between 0 and 1")
    rng = np.random.default_rng(seed)
    labels = rng.integers(len(frequencies), size=n)
    freq = np.asarray(frequencies, dtype=np.float64)[labels][:, None]  # (n, 1)
    amplitude = rng.uniform(0.5, 1.0, size=(n, 1))
    phase = rng.uniform(0, 2 * np.pi, size=(n, 1))
    t = np.arange(length)[None, :]  # (1, length)
    waves = 0.5 + 0.4 * amplitude * np.sin(2 * np.pi * freq * t / length + phase)
    waves = np.clip(waves + noise * rng.standard_normal((n, length)), 0.0, 1.0)
    X = torch.as_tensor(waves[:, :, None], dtype=torch.float32)  # (n, length, 1)
    y = torch.as_tensor(labels, dtype=torch.int64)
    return Dataset(
        name="sine-waves",
        X_train=X[n_test:], y_train=y[n_test:], X_test=X[:n_test], y_test=y[:n_test],
        image_shape=(int(length), 1),
        classes=[f"{f:g} cycle{'s' if f != 1 else ''}" for f in frequencies],
        source="synthetic",
        notes=[f"noise std {noise:g}, seed {seed}"],
    )
