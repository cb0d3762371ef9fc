"""Semantic hashing: binary codes from an autoencoder, and retrieval by Hamming distance.

Salakhutdinov & Hinton (2009, "Semantic hashing") trained an autoencoder whose code units
are sigmoids with noise added to their input during training. To get its message through the
noise the network learns to push each code unit to 0 or 1, so thresholding the codes at 0.5
afterwards loses little. Similar items then get codes that differ in few bits (a small
Hamming distance), and a search compares short bit strings instead of whole images.

>>> hamming_distances(torch.tensor([[1, 0, 1]]), torch.tensor([[1, 0, 1], [0, 1, 0]]))
tensor([[0, 3]])
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch

from aekit.data import Dataset
from aekit.device import as_numpy, as_tensor, randn_like, resolve_seed, seeded
from aekit.evaluate import encode
from aekit.models import Autoencoder
from aekit.train import fit

__all__ = ["BinaryCodeAutoencoder", "binary_codes", "random_codes", "pca_codes",
           "hamming_distances", "retrieve", "precision_at_k", "HashingStudy"]


class BinaryCodeAutoencoder(Autoencoder):
    """An autoencoder with sigmoid code units that learn to be nearly binary.

    While training, Gaussian noise of standard deviation ``noise`` is added to the input of
    each code unit, before its sigmoid; in ``eval()`` mode there is no noise, and
    :func:`binary_codes` thresholds the code at 0.5.

    Parameters
    ----------
    input_dim : values per input (64 for 8x8 digits).
    bits : number of code units, the length of the binary code.
    hidden_dims, activation : the encoder's hidden layers (mirrored in the decoder).
    noise : standard deviation of the noise before the code sigmoid (0 switches it off).
    """

    def __init__(self, input_dim: int, bits: int, hidden_dims: Sequence[int] = (64,),
                 activation: str = "relu", noise: float = 4.0) -> None:
        super().__init__(input_dim, bits, hidden_dims=hidden_dims, activation=activation,
                         code_activation="linear")  # the logits; the sigmoid comes after the noise
        if not noise >= 0:
            raise ValueError(f"noise must be a standard deviation >= 0, got {noise!r}")
        self.noise = float(noise)
        # what the code really is, for whoever reads it (the contractive closed form, the
        # linear-model checks): a sigmoid of the logits
        self.code_activation = "sigmoid"

    @property
    def bits(self) -> int:
        return self.code_dim

    def hidden_activations(self, X: torch.Tensor) -> list[torch.Tensor]:
        acts = super().hidden_activations(X)
        logits = acts[-1]  # (batch, bits), before the code sigmoid
        if self.training and self.noise:
            logits = logits + self.noise * randn_like(logits)
        acts[-1] = torch.sigmoid(logits)
        return acts

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, sigmoid code with noise={self.noise:g}"


def _bits(codes, what: str) -> torch.Tensor:
    codes = torch.as_tensor(codes)
    if codes.dim() != 2 or codes.shape[1] == 0:
        raise ValueError(f"{what} must be a 2-D array of bits (one code per row), got shape "
                         f"{tuple(codes.shape)}")
    if codes.dtype != torch.bool:
        if not ((codes == 0) | (codes == 1)).all():
            raise ValueError(f"{what} must hold only 0 and 1 (or booleans); threshold real codes "
                             f"with binary_codes first")
        codes = codes.bool()
    return codes


def binary_codes(model: torch.nn.Module, X, threshold: float = 0.5) -> torch.Tensor:
    """Codes of X thresholded to bits: ``(n, code_dim)`` booleans, True where code > threshold."""
    return encode(model, as_tensor(X)) > threshold


def random_codes(n: int, bits: int, seed: int = 0) -> torch.Tensor:
    """n random codes of ``bits`` fair coin flips each: the baseline any hashing must beat."""
    if n < 1 or bits < 1:
        raise ValueError(f"n and bits must be positive, got {n} and {bits}")
    return torch.rand(n, bits, generator=torch.Generator().manual_seed(seed)) < 0.5


def pca_codes(X_train, X, bits: int) -> torch.Tensor:
    """A linear baseline: the signs of the first ``bits`` PCA coordinates (fitted on X_train),
    each thresholded at its median on X_train so every bit splits the data in half."""
    from sklearn.decomposition import PCA

    X_train = as_numpy(X_train, "X_train")
    X = as_numpy(X)
    if not 1 <= bits <= min(X_train.shape):
        raise ValueError(f"bits must be between 1 and {min(X_train.shape)}, got {bits!r}")
    pca = PCA(n_components=bits, svd_solver="full").fit(X_train)
    median = np.median(pca.transform(X_train), axis=0)
    return torch.from_numpy(pca.transform(X) > median)


def hamming_distances(A, B) -> torch.Tensor:
    """Number of differing bits between every row of A ``(n, bits)`` and of B ``(m, bits)``:
    an integer matrix ``(n, m)``."""
    A, B = _bits(A, "A").float(), _bits(B, "B").float()
    if A.shape[1] != B.shape[1]:
        raise ValueError(f"codes must have the same number of bits, got {A.shape[1]} and {B.shape[1]}")
    return (A @ (1 - B).T + (1 - A) @ B.T).round().long()  # (n, m)


def retrieve(query_codes, database_codes, k: int = 10, seed: int = 0) -> torch.Tensor:
    """Indices of the k database items nearest to each query in Hamming distance ``(n, k)``.

    Short codes give many ties; ties are broken at random (seeded), so that the order of the
    database cannot make a method look better than it is.
    """
    distances = hamming_distances(query_codes, database_codes).double()
    if not 1 <= k <= distances.shape[1]:
        raise ValueError(f"k must be between 1 and the database size {distances.shape[1]}, got {k!r}")
    gen = torch.Generator().manual_seed(seed)
    jitter = 0.5 * torch.rand(distances.shape, generator=gen, dtype=torch.float64)
    return (distances + jitter).topk(k, dim=1, largest=False).indices


def precision_at_k(query_codes, query_labels, database_codes, database_labels, k: int = 10,
                   seed: int = 0) -> float:
    """Mean fraction of the k retrieved items that share the query's label.

    Random codes score about the frequency of a label (0.1 for ten balanced classes).
    """
    query_labels = torch.as_tensor(query_labels)
    database_labels = torch.as_tensor(database_labels)
    if len(query_labels) != len(query_codes) or len(database_labels) != len(database_codes):
        raise ValueError("each code needs one label: got "
                         f"{len(query_codes)} query codes / {len(query_labels)} labels and "
                         f"{len(database_codes)} database codes / {len(database_labels)} labels")
    idx = retrieve(query_codes, database_codes, k, seed)
    return float((database_labels[idx] == query_labels[:, None]).float().mean())


class HashingStudy:
    """Binary codes of several lengths on a data set: training set = database, test set =
    queries. One :class:`BinaryCodeAutoencoder` per code length, trained on first use.

    ``precision(bits)`` compares learned codes with random codes and PCA sign codes of the
    same length.
    """

    def __init__(self, dataset: Dataset, bits_options: Sequence[int] = (4, 8, 16, 32),
                 hidden_dims: Sequence[int] = (64,), noise: float = 4.0, epochs: int = 60,
                 lr: float = 3e-3, k: int = 10, seed: int | None = None) -> None:
        if not bits_options:
            raise ValueError("bits_options must list at least one code length")
        self.dataset = dataset
        self.bits_options = tuple(sorted(bits_options))
        self.hidden_dims, self.noise = tuple(hidden_dims), noise
        self.epochs, self.lr, self.k = epochs, lr, k
        self.seed = resolve_seed(seed)  # None: drawn once from the session's generator
        self.models: dict[int, BinaryCodeAutoencoder] = {}
        self._codes: dict[tuple[str, int], tuple[torch.Tensor, torch.Tensor]] = {}
        self._precision: dict[int, dict[str, float]] = {}

    def _check_bits(self, bits: int) -> int:
        if bits not in self.bits_options:
            raise ValueError(f"bits must be one of {self.bits_options}, got {bits!r}")
        return int(bits)

    def model(self, bits: int) -> BinaryCodeAutoencoder:
        """The autoencoder with a ``bits``-unit code (trained on first use)."""
        bits = self._check_bits(bits)
        if bits not in self.models:
            with seeded(self.seed):  # the same starting weights for this setting, every time
                model = BinaryCodeAutoencoder(self.dataset.input_dim, bits, self.hidden_dims,
                                              noise=self.noise)
            fit(model, self.dataset.X_train, epochs=self.epochs, lr=self.lr, progress=False,
                interrupt="raise",
                seed=self.seed)
            self.models[bits] = model
        return self.models[bits]

    def codes(self, bits: int, method: str = "learned") -> tuple[torch.Tensor, torch.Tensor]:
        """(database codes, query codes) of one method: "learned", "random" or "PCA"."""
        key = (method, self._check_bits(bits))
        if key not in self._codes:
            X_db, X_q = self.dataset.X_train, self.dataset.X_test
            if method == "learned":
                model = self.model(bits)
                pair = binary_codes(model, X_db), binary_codes(model, X_q)
            elif method == "random":
                pair = (random_codes(len(X_db), bits, self.seed),
                        random_codes(len(X_q), bits, self.seed + 1))
            elif method == "PCA":
                pair = pca_codes(X_db, X_db, bits), pca_codes(X_db, X_q, bits)
            else:
                raise ValueError(f"method must be 'learned', 'random' or 'PCA', got {method!r}")
            self._codes[key] = pair
        return self._codes[key]

    @property
    def bits_tried(self) -> list[int]:
        """The code lengths whose precision has been computed so far."""
        return sorted(self._precision)

    def precision(self, bits: int) -> dict[str, float]:
        """Precision at k of test queries against the training set, per method."""
        bits = self._check_bits(bits)
        if bits not in self._precision:
            y_db, y_q = self.dataset.y_train, self.dataset.y_test
            self._precision[bits] = {
                method: precision_at_k(self.codes(bits, method)[1], y_q,
                                       self.codes(bits, method)[0], y_db, self.k, self.seed)
                for method in ("learned", "PCA", "random")}
        return self._precision[bits]
