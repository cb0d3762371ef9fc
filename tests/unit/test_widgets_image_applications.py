"""Headless tests of lesson 13's explorers: image denoising (noise level) and compression (lam)."""
import math

import pytest
from test_widgets_generative import move, revisit_shows_new_points  # the shared slider checks

from aekit.widgets import compression_explorer, image_denoising_explorer

pytest.importorskip("ipywidgets")


@pytest.mark.slow
def test_image_denoising_explorer_reacts_to_noise_level(digits):
    explorer = image_denoising_explorer(digits, noise_levels=(0.2, 0.5), noise_level=0.2,
                                        code_dim=64, hidden_dims=(64,), epochs=25, n_train=800)
    assert explorer.last_error is None, explorer.last_error
    study = explorer.study
    move(explorer, "noise_level", 0.5)
    assert [t["noise_level"] for t in study.tried] == [0.2, 0.5] and len(study.models) == 2
    low, high = study.result(0.2), study.result(0.5)
    # more noise, a worse noisy image; the trained denoiser removes a good part of it
    assert high["noisy input"] < low["noisy input"] - 5
    assert high["denoising AE"] > high["noisy input"] + 3
    # the learned linear baseline is fitted on training images and beats doing nothing
    assert high["ridge (linear)"] > high["noisy input"] + 3
    assert study.ridge.get(noise_level=0.5).weight.shape == (64, 64)
    assert study.clean_psnr(0.2) > low["denoising AE"]
    # the blur width is chosen among the offered ones, wider for stronger noise
    assert study.blur_sigma.get(noise_level=0.5) >= study.blur_sigma.get(noise_level=0.2)
    revisit_shows_new_points(explorer, "noise_level", 0.2)
    with pytest.raises(ValueError, match="noise_level must be one of"):
        explorer.render(noise_level=0.3)


@pytest.mark.slow
def test_compression_explorer_reacts_to_lam(digits):
    explorer = compression_explorer(digits, lams=(3, 300), lam=3, epochs=25, n_train=800,
                                    qualities=(1, 20, 60))
    assert explorer.last_error is None, explorer.last_error
    study = explorer.study
    move(explorer, "lam", 300)
    cheap, sharp = study.result(3), study.result(300)
    # a larger weight on the error buys a better picture with more bits
    assert sharp["bits_per_pixel"] > cheap["bits_per_pixel"]
    assert sharp["psnr"] > cheap["psnr"] + 2
    curve = study.jpeg_curve()
    lowest = min(p["bits_per_pixel"] for p in curve)
    assert math.isnan(study.jpeg_psnr_at(0.5 * lowest))  # JPEG cannot go below quality 1
    middle = curve[1]
    assert study.jpeg_psnr_at(middle["bits_per_pixel"]) == pytest.approx(middle["psnr"])
    assert study.nearest_quality(middle["bits_per_pixel"] * 1.01) == 20
    assert study.jpeg_rate_at(middle["psnr"]) == pytest.approx(middle["bits_per_pixel"])
    assert math.isnan(study.jpeg_rate_at(100.0))
    # the rate is a real file's: at least the xz container's header and footer (32 bytes)
    for point in (cheap, sharp):
        assert point["bits_per_pixel"] >= 8 * 32 / (len(digits.X_test) * 64)
        assert point["ideal_bits_per_pixel"] > 0
    revisit_shows_new_points(explorer, "lam", 3)
    with pytest.raises(ValueError, match="lam must be one of"):
        explorer.render(lam=10)


def test_image_explorers_refuse_sequences():
    from aekit.data import sine_waves

    waves = sine_waves(n=20, length=10)
    with pytest.raises(ValueError, match="needs images"):
        image_denoising_explorer(waves)
    with pytest.raises(ValueError, match="needs images"):
        compression_explorer(waves)
