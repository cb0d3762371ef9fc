"""Synthetic phantoms and the lesion-contrast measure of lesson 14 (aekit.applications.phantoms)."""
import math

import pytest
import torch

from aekit.applications.imaging import downsample, upsample
from aekit.applications.phantoms import Phantoms, _coverage, lesion_contrast_kept, phantoms


def test_coverage_of_a_disc_is_its_area():
    for radius in (0.6, 1.5, 3.0):
        cover = _coverage(16, 8, [8.0], [7.5], [radius], [radius], [0.0])
        assert cover.shape == (1, 16, 16)
        assert float(cover.sum()) == pytest.approx(math.pi * radius ** 2, rel=0.05)
        assert cover.min() >= 0 and cover.max() <= 1


def test_phantoms_hold_their_lesions_and_their_healthy_twins():
    P = phantoms(50, size=16, lesions=(1, 1), contrast=0.35, seed=0)
    assert isinstance(P, Phantoms) and P.image_shape == (16, 16)
    assert P.images.shape == P.healthy.shape == P.lesion_mask.shape == (50, 256)
    assert P.images.dtype == torch.float32 and P.lesion_mask.dtype == torch.bool
    assert P.images.min() >= 0 and P.images.max() <= 1
    diff = P.images - P.healthy
    assert (diff >= -1e-6).all()                                  # hot lesions only add
    assert (P.lesion_mask.sum(1) > 0).all()                        # one lesion in each phantom
    assert torch.allclose(diff[P.lesion_mask], torch.tensor(0.35), atol=0.2)
    # outside a lesion's half-covered pixels there is only its anti-aliased rim
    assert float(diff[~P.lesion_mask].abs().max()) <= 0.35 / 2 + 1e-6


def test_the_same_seed_gives_the_same_phantoms_and_cold_lesions_mirror_hot_ones():
    hot = phantoms(20, lesions=(1, 1), contrast=0.3, seed=5)
    cold = phantoms(20, lesions=(1, 1), contrast=-0.2, seed=5)
    assert torch.equal(hot.healthy, cold.healthy) and torch.equal(hot.lesion_mask, cold.lesion_mask)
    assert torch.allclose((hot.images - hot.healthy) * (-0.2 / 0.3), cold.images - cold.healthy, atol=1e-6)
    assert not torch.equal(phantoms(20, seed=6).healthy, hot.healthy)
    none = phantoms(10, lesions=(0, 0), seed=1)
    assert torch.equal(none.images, none.healthy) and not none.lesion_mask.any()


def test_contrast_kept_is_one_for_the_identity_and_equal_for_hot_and_cold_under_bicubic():
    hot = phantoms(40, lesions=(1, 1), contrast=0.3, seed=2)
    cold = phantoms(40, lesions=(1, 1), contrast=-0.2, seed=2)
    assert lesion_contrast_kept(lambda X: X, hot) == pytest.approx(1.0)
    assert lesion_contrast_kept(lambda X: X.clone().fill_(0.5), hot) == pytest.approx(0.0, abs=1e-6)

    def bicubic(X):
        return upsample(downsample(X, (16, 16), 2), (8, 8), 2, mode="bicubic")

    kept_hot, kept_cold = lesion_contrast_kept(bicubic, hot), lesion_contrast_kept(bicubic, cold)
    assert 0.3 < kept_hot < 0.95                       # blurred: some contrast is lost
    assert kept_hot == pytest.approx(kept_cold, abs=0.01)   # a linear method treats both alike


def test_bad_inputs_say_what_to_pass():
    with pytest.raises(ValueError, match="positive integer"):
        phantoms(0)
    with pytest.raises(ValueError, match="at least 8"):
        phantoms(3, size=4)
    with pytest.raises(ValueError, match="fewest, most"):
        phantoms(3, lesions=(2, 1))
    with pytest.raises(ValueError, match="lesion_radius"):
        phantoms(3, size=16, lesion_radius=(1.0, 9.0))
    with pytest.raises(ValueError, match="not 0"):
        phantoms(3, contrast=0.0)
    with pytest.raises(ValueError, match="no lesion pixels"):
        lesion_contrast_kept(lambda X: X, phantoms(3, lesions=(0, 0)))
    with pytest.raises(TypeError, match="Phantoms"):
        lesion_contrast_kept(lambda X: X, torch.zeros(3, 256))
    with pytest.raises(ValueError, match="shaped like its input"):
        lesion_contrast_kept(lambda X: X[:, :10], phantoms(3, lesions=(1, 1)))
