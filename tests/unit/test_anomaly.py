"""One-class anomaly detection by reconstruction error, and the randomness test."""
import numpy as np
import pytest
import torch

from aekit.widgets import OneClassStudy
from aekit.applications.anomaly import (auroc, explained_variance, pca_scores, randomness_test, shuffle_pixels, uniform_noise)
from aekit.evaluate import per_image_error


@pytest.fixture(scope="module")
def study(digits):
    return OneClassStudy(digits, epochs=40)


def test_auroc_is_well_above_chance_for_a_clear_class(study):
    result = study.result(0)
    assert result.auroc > 0.95, f"AE AUROC for normal class 0 is only {result.auroc:.3f}"
    assert result.pca_auroc > 0.95
    # the model saw only zeros: their test images are reconstructed better than the rest
    assert np.median(result.scores[~result.is_anomaly]) < np.median(result.scores[result.is_anomaly])


def test_a_scorer_using_the_wrong_tail_is_below_chance(study):
    result = study.result(0)
    wrong = auroc(-result.scores, result.is_anomaly)
    assert wrong < 0.5
    assert wrong == pytest.approx(1 - result.auroc)


def test_auroc_of_a_random_score_is_near_one_half():
    rng = np.random.default_rng(0)
    labels = rng.random(4000) < 0.3
    assert auroc(rng.random(4000), labels) == pytest.approx(0.5, abs=0.03)


def test_table_and_pairs(study):
    rows = study.table([0, 1])
    assert [r["class"] for r in rows] == [0, 1]
    assert all(0.5 < r["autoencoder"] <= 1 and 0.5 < r["PCA"] <= 1 for r in rows)
    cls, value = study.result(1).hardest_pair("PCA")
    assert cls != 1 and value == min(study.result(1).pair_auroc(c, "PCA") for c in range(2, 10))
    with pytest.raises(ValueError, match="other than the normal class"):
        study.result(1).pair_auroc(1)
    with pytest.raises(ValueError, match="normal_class must be one of"):
        study.result(42)


def test_pca_scores_are_zero_inside_the_fitted_subspace():
    rng = np.random.default_rng(0)
    basis = rng.normal(size=(2, 10))
    X_normal = torch.tensor(rng.normal(size=(200, 2)) @ basis, dtype=torch.float32)
    inside = torch.tensor(rng.normal(size=(5, 2)) @ basis, dtype=torch.float32)
    outside = torch.tensor(rng.normal(size=(5, 10)), dtype=torch.float32)
    assert pca_scores(X_normal, inside, 2).max() < 1e-6
    assert pca_scores(X_normal, outside, 2).min() > 0.1


def test_auroc_rejects_bad_input():
    with pytest.raises(ValueError, match="both normal and anomalous"):
        auroc([0.1, 0.2], [True, True])
    with pytest.raises(ValueError, match="same length"):
        auroc([0.1, 0.2, 0.3], [True, False])
    with pytest.raises(ValueError, match="NaN"):
        auroc([np.nan, 0.2], [True, False])


def test_shuffle_pixels_keeps_each_pixel_but_breaks_the_images(digits):
    X = digits.X_train[:300]
    S = shuffle_pixels(X, seed=0)
    assert torch.equal(S.sort(0).values, X.sort(0).values)  # same values in every column
    assert not torch.equal(S, X)
    # neighbouring pixels are correlated in real digits, not after shuffling
    a, b = 3 * 8 + 3, 3 * 8 + 4
    real = np.corrcoef(X[:, a], X[:, b])[0, 1]
    shuffled = np.corrcoef(S[:, a], S[:, b])[0, 1]
    assert abs(shuffled) < abs(real) - 0.2


@pytest.mark.slow
def test_random_data_cannot_be_compressed(digits):
    result = randomness_test(digits, code_dim=8, epochs=30)
    assert result.explained["digits"] > 0.6
    assert result.explained["uniform noise"] < 0.25
    assert result.explained["shuffled pixels"] < result.explained["digits"] - 0.3
    assert set(result.pca_explained) == set(result.explained)
    assert result.explained["uniform noise"] < result.pca_explained["uniform noise"] + 0.03
    # and an autoencoder of real digits flags noise images as anomalies
    model = result.models["digits"]
    noise = uniform_noise(100, 64, seed=5)
    scores = torch.cat([per_image_error(model, digits.X_test), per_image_error(model, noise)])
    labels = np.r_[np.zeros(len(digits.X_test), bool), np.ones(100, bool)]
    assert auroc(scores, labels) > 0.95


def test_randomness_test_reports_the_pca_control():
    # PCA with k components on k/d of a uniform-noise image: about k/d held out, and far more
    # on data with structure (a low-rank signal plus a little noise)
    from aekit.applications.anomaly import _pca_explained
    gen = torch.Generator().manual_seed(0)
    noise_train, noise_test = torch.rand(2000, 16, generator=gen), torch.rand(500, 16, generator=gen)
    assert abs(_pca_explained(noise_train, noise_test, 4) - 4 / 16) < 0.05
    basis = torch.randn(4, 16, generator=gen)
    signal = lambda n: torch.randn(n, 4, generator=gen) @ basis + 0.01 * torch.randn(n, 16, generator=gen)
    assert _pca_explained(signal(500), signal(200), 4) > 0.99
    assert _pca_explained(signal(500), signal(200), 1) < 0.8


def test_explained_variance_of_a_perfect_and_a_mean_model():
    X = torch.rand(50, 6)

    class Copy(torch.nn.Module):
        def __init__(self, out):
            super().__init__()
            self.out = out
            self.anchor = torch.nn.Parameter(torch.zeros(1))

        def forward(self, X):
            return X.clone() if self.out is None else self.out.expand_as(X)

    assert explained_variance(Copy(None), X) == pytest.approx(1.0)
    assert explained_variance(Copy(X.mean(0, keepdim=True)), X) == pytest.approx(0.0, abs=1e-5)
    with pytest.raises(ValueError, match="no variance"):
        explained_variance(Copy(None), torch.ones(4, 6))
