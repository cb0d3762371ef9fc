"""Semantic hashing: binary codes and Hamming-distance retrieval."""
import itertools

import pytest
import torch

from aekit import fit
from aekit.evaluate import encode
from aekit.models import BinaryCodeAutoencoder
from aekit.widgets import HashingStudy
from aekit.applications.hashing import (binary_codes, hamming_distances, itq_codes, pca_codes, precision_at_k, random_codes, retrieve)


@pytest.fixture(scope="module")
def study(digits):
    return HashingStudy(digits, bits_options=(8,), epochs=60)


def test_learned_codes_beat_random_codes_of_the_same_length(study):
    precision = study.result(8)
    assert precision["random"] == pytest.approx(0.1, abs=0.04)  # ten balanced classes
    assert precision["learned"] > precision["random"] + 0.3, precision
    database, queries = study.codes(8)
    assert database.dtype == torch.bool and database.shape == (1437, 8) and queries.shape == (360, 8)


@pytest.mark.slow
def test_noise_before_the_sigmoid_lets_codes_be_thresholded_without_much_loss(study, digits):
    def errors(model):
        X = digits.X_test
        with torch.no_grad():
            real = ((model.decode(encode(model, X)) - X) ** 2).sum(1).mean()
            bits = ((model.decode(binary_codes(model, X).float()) - X) ** 2).sum(1).mean()
        return float(real), float(bits)

    real, bits = errors(study.model(8))
    assert bits < 1.1 * real, (real, bits)
    torch.manual_seed(0)
    plain = BinaryCodeAutoencoder(64, 8, noise=0.0)
    fit(plain, digits.X_train, epochs=60, lr=3e-3, progress=False)
    plain_real, plain_bits = errors(plain)
    assert plain_bits > 1.3 * plain_real, (plain_real, plain_bits)


def test_noise_only_in_training_mode():
    model = BinaryCodeAutoencoder(16, 4, noise=3.0)
    X = torch.rand(5, 16)
    model.eval()
    assert torch.equal(model.encode(X), model.encode(X))
    model.train()
    assert not torch.equal(model.encode(X), model.encode(X))
    assert ((model.encode(X) > 0) & (model.encode(X) < 1)).all()


def test_hamming_distances_count_differing_bits():
    A = random_codes(7, 5, seed=1)
    B = random_codes(9, 5, seed=2)
    D = hamming_distances(A, B)
    for i, j in itertools.product(range(7), range(9)):
        assert D[i, j] == int((A[i] != B[j]).sum())
    assert torch.equal(hamming_distances(A, A).diagonal(), torch.zeros(7, dtype=torch.long))


def test_retrieve_finds_exact_matches_first_and_ties_do_not_follow_database_order():
    database = torch.tensor([[0, 0, 0]] * 6 + [[1, 1, 1]] * 6).bool()
    query = torch.tensor([[1, 1, 0]]).bool()  # distance 1 to the last six, 2 to the first six
    assert set(retrieve(query, database, k=6)[0].tolist()) == set(range(6, 12))
    # all tied: which items come first must not simply be the first rows of the database
    tied = torch.zeros(200, 3, dtype=torch.bool)
    first = retrieve(query, tied, k=10)[0]
    assert first.max() > 20


def test_precision_at_k_with_perfect_codes():
    labels = torch.arange(4).repeat(5)  # 4 classes, 5 items each
    codes = torch.nn.functional.one_hot(labels, 4).bool()
    assert precision_at_k(codes, labels, codes, labels, k=5) == pytest.approx(1.0)


def test_pca_codes_split_the_training_set_in_half(digits):
    codes = pca_codes(digits.X_train, digits.X_train, 6)
    assert codes.shape == (1437, 6)
    assert torch.allclose(codes.float().mean(0), torch.full((6,), 0.5), atol=0.01)


def test_bad_codes_give_clear_errors():
    with pytest.raises(ValueError, match="only 0 and 1"):
        hamming_distances(torch.rand(2, 3), torch.rand(2, 3))
    with pytest.raises(ValueError, match="same number of bits"):
        hamming_distances(random_codes(2, 3), random_codes(2, 4))
    with pytest.raises(ValueError, match="k must be"):
        retrieve(random_codes(2, 3), random_codes(4, 3), k=5)
    with pytest.raises(ValueError, match="one label"):
        precision_at_k(random_codes(2, 3), [0], random_codes(4, 3), [0, 1, 2, 3])


def test_binary_codes_threshold_the_code(digits):
    model = BinaryCodeAutoencoder(64, 6).eval()
    X = digits.X_test[:20]
    assert torch.equal(binary_codes(model, X), encode(model, X) > 0.5)


def test_itq_rotation_lowers_the_quantisation_loss_and_beats_median_pca_bits(digits):
    import numpy as np
    from aekit.evaluate import pca_fit
    X = digits.X_train.numpy()
    codes = itq_codes(X, X, 16)
    assert codes.dtype == torch.bool and codes.shape == (len(X), 16)
    # the loss ITQ minimises, ||B - V R||^2 with R the best rotation for these bits, is lower
    # than for the unrotated PCA coordinates thresholded at zero
    V = pca_fit(X, 16).transform(X)
    def loss(bits):
        B = np.where(bits.numpy(), 1.0, -1.0)
        U, _, Wt = np.linalg.svd(B.T @ V)
        return float(((B - V @ (Wt.T @ U.T)) ** 2).sum())
    assert loss(codes) < loss(torch.from_numpy(V >= 0))
    # and its bits retrieve better than median-split PCA bits of the same length
    y_db, y_q = digits.y_train, digits.y_test
    itq = precision_at_k(itq_codes(X, digits.X_test, 16), y_q, codes, y_db)
    pca = precision_at_k(pca_codes(X, digits.X_test, 16), y_q, pca_codes(X, X, 16), y_db)
    assert itq > pca + 0.1, (itq, pca)


def test_itq_codes_reject_too_many_bits():
    with pytest.raises(ValueError, match="bits"):
        itq_codes(torch.rand(10, 4), torch.rand(3, 4), 5)
