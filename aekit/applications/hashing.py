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


import numpy as np
import torch
from threadpoolctl import threadpool_limits

from aekit.checks import as_numpy, as_tensor
from aekit.evaluate import encode, pca_fit

__all__ = ["binary_codes", "random_codes", "pca_codes", "itq_codes", "itq_fit",
           "hamming_distances", "retrieve", "precision_at_k"]


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
    X_train = as_numpy(X_train, "X_train")
    X = as_numpy(X)
    if not 1 <= bits <= min(X_train.shape):
        raise ValueError(f"bits must be between 1 and {min(X_train.shape)}, got {bits!r}")
    pca = pca_fit(X_train, bits)
    median = np.median(pca.transform(X_train), axis=0)
    return torch.from_numpy(pca.transform(X) > median)


def itq_codes(X_train, X, bits: int, iterations: int = 50, seed: int = 0) -> torch.Tensor:
    """The standard linear hash: iterative quantisation (ITQ; Gong & Lazebnik, 2011).

    Project the centred data on the first ``bits`` principal directions, then look for the
    rotation R of that space that makes thresholding at zero lose least: minimise
    ``||B - V R||^2`` over bits B in {-1, 1} and orthogonal R, alternating B = sign(V R) and
    the best R for fixed B (an orthogonal Procrustes problem, one SVD). Median-split PCA bits
    (:func:`pca_codes`) are the same without the rotation, a much weaker baseline: the first
    directions carry most of the variance, the last ones are mostly noise.
    Fitted on X_train; returns ``(n, bits)`` booleans for the rows of X (:func:`itq_fit` to
    code several sets with one fit).
    """
    return itq_fit(X_train, bits, iterations, seed)(X)


def itq_fit(X_train, bits: int, iterations: int = 50, seed: int = 0):
    """ITQ fitted once on X_train (see :func:`itq_codes`): a function from rows to
    ``(n, bits)`` boolean codes."""
    X_train = as_numpy(X_train, "X_train").astype(np.float64)
    if not 1 <= bits <= min(X_train.shape):
        raise ValueError(f"bits must be between 1 and {min(X_train.shape)}, got {bits!r}")
    # small products: one BLAS thread is fastest (several threads spin on a busy machine)
    with threadpool_limits(limits=1, user_api="blas"):
        pca = pca_fit(X_train, bits)
        V = pca.transform(X_train)                            # (n_train, bits), centred
        rng = np.random.default_rng(seed)
        R = np.linalg.qr(rng.standard_normal((bits, bits)))[0]  # random orthogonal start
        for _ in range(iterations):
            B = np.where(V @ R >= 0, 1.0, -1.0)
            U, _, Wt = np.linalg.svd(B.T @ V)                # B^T V = U S Wt; best R = Wt^T U^T
            R = Wt.T @ U.T

    def encode(X) -> torch.Tensor:
        with threadpool_limits(limits=1, user_api="blas"):
            return torch.from_numpy(pca.transform(as_numpy(X).astype(np.float64)) @ R >= 0)

    return encode


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
