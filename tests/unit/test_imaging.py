"""PSNR, resolution changes, blur and the JPEG baseline (aekit.applications.imaging)."""
import math

import numpy as np
import pytest
import torch

from aekit.applications.imaging import (downsample, gaussian_blur, jpeg, jpeg_curve, per_image_psnr, psnr, upsample)


def test_psnr_matches_its_definition():
    X = torch.full((3, 16), 0.5)
    X_hat = X.clone()
    X_hat[0] += 0.1       # MSE 0.01 -> 20 dB
    X_hat[1, :4] += 0.2   # MSE 0.04 * 4 / 16 = 0.01 -> 20 dB
    X_hat[2] -= 0.05      # MSE 0.0025 -> 26.02 dB
    values = per_image_psnr(X, X_hat)
    assert values.tolist() == pytest.approx([20.0, 20.0, 10 * math.log10(1 / 0.0025)], abs=1e-4)
    assert psnr(X, X_hat) == pytest.approx(float(values.mean()), abs=1e-9)
    # a peak of 255 on 8-bit values gives the same number as a peak of 1 on [0, 1]
    assert psnr(255 * X, 255 * X_hat, peak=255.0) == pytest.approx(psnr(X, X_hat), abs=1e-4)
    assert per_image_psnr(X[:1], X[:1]).item() == math.inf


def test_psnr_rejects_bad_input():
    with pytest.raises(ValueError, match="same shape"):
        psnr(torch.rand(2, 4), torch.rand(2, 5))
    with pytest.raises(ValueError, match="NaN"):
        psnr(torch.tensor([[float("nan"), 0.0]]), torch.zeros(1, 2))
    with pytest.raises(ValueError, match="at least one image"):
        psnr(torch.zeros(0, 4), torch.zeros(0, 4))
    with pytest.raises(ValueError, match="peak"):
        psnr(torch.rand(2, 4), torch.rand(2, 4), peak=0)


def test_downsample_averages_blocks_and_upsample_restores_the_size():
    X = torch.arange(16, dtype=torch.float32).reshape(1, 16) / 16  # one 4x4 image
    small = downsample(X, (4, 4), factor=2)
    assert small.shape == (1, 4)
    image = X.reshape(4, 4)
    expected = [image[:2, :2].mean(), image[:2, 2:].mean(), image[2:, :2].mean(), image[2:, 2:].mean()]
    torch.testing.assert_close(small[0], torch.stack(expected))
    big = upsample(small, (2, 2), factor=2, mode="nearest")
    assert big.shape == (1, 16)
    # nearest neighbour repeats each small pixel over its 2x2 block
    torch.testing.assert_close(big.reshape(4, 4)[:2, :2], torch.full((2, 2), float(expected[0])))
    for mode in ("bilinear", "bicubic"):
        smooth = upsample(small, (2, 2), factor=2, mode=mode)
        assert smooth.min() >= 0 and smooth.max() <= 1  # clipped to the pixel range
    # a constant image survives the round trip exactly
    flat = torch.full((2, 64), 0.3)
    torch.testing.assert_close(upsample(downsample(flat, (8, 8), 2), (4, 4), 2), flat)
    with pytest.raises(ValueError, match="divides"):
        downsample(torch.rand(2, 64), (8, 8), factor=3)
    with pytest.raises(ValueError, match="image_shape"):
        downsample(torch.rand(2, 64), (4, 4), factor=2)
    with pytest.raises(ValueError, match="mode"):
        upsample(torch.rand(2, 4), (2, 2), mode="lanczos")


def test_gaussian_blur_keeps_constants_and_removes_noise():
    flat = torch.full((1, 64), 0.4)
    torch.testing.assert_close(gaussian_blur(flat, (8, 8), sigma=1.0), flat)
    gen = torch.Generator().manual_seed(0)
    clean = torch.full((20, 256), 0.5)
    noisy = clean + 0.2 * torch.randn(clean.shape, generator=gen)
    assert psnr(clean, gaussian_blur(noisy, (16, 16), 1.0)) > psnr(clean, noisy) + 6
    # the blur is spread: one bright pixel loses height and its neighbours gain
    spike = torch.zeros(1, 81)
    spike[0, 40] = 1.0
    blurred = gaussian_blur(spike, (9, 9), 1.0)
    assert blurred[0, 40] < 0.5 and blurred[0, 41] > 0
    assert blurred.sum().item() == pytest.approx(1.0, abs=1e-5)
    with pytest.raises(ValueError, match="sigma"):
        gaussian_blur(flat, (8, 8), sigma=0)


def _smooth_images(n=40, size=16, seed=0):
    """Smooth random images: low-frequency sums of a few cosines, in [0, 1]."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0, np.pi, size)
    images = []
    for _ in range(n):
        a, b = rng.uniform(0.5, 2, size=2)
        img = 0.5 + 0.25 * np.cos(a * t)[:, None] + 0.2 * np.cos(b * t)[None, :]
        images.append(img.clip(0, 1).ravel())
    return torch.as_tensor(np.stack(images), dtype=torch.float32)


def test_jpeg_quality_trades_bits_for_accuracy():
    X = _smooth_images()
    low, bpp_low = jpeg(X, (16, 16), quality=5)
    high, bpp_high = jpeg(X, (16, 16), quality=90)
    assert low.shape == X.shape and high.shape == X.shape
    assert 0 < bpp_low < bpp_high
    assert psnr(X, high) > psnr(X, low) + 5
    assert psnr(X, high) > 35  # quality 90 is close to the 8-bit original
    # one file per image pays a header per image: far more bits for the same pictures
    separate, bpp_separate = jpeg(X, (16, 16), quality=5, together=False)
    assert bpp_separate > 2 * bpp_low
    with pytest.raises(ValueError, match="quality"):
        jpeg(X, (16, 16), quality=0)
    with pytest.raises(ValueError, match="image_shape"):
        jpeg(X, (8, 8))


def test_jpeg_counts_the_bytes_pillow_writes():
    from io import BytesIO

    from PIL import Image

    X = _smooth_images(n=4, size=8)  # a 2x2 mosaic of 8x8 images
    _, bpp = jpeg(X, (8, 8), quality=50)
    mosaic = np.zeros((16, 16), dtype=np.uint8)
    for i, row in enumerate(np.round(X.numpy() * 255).astype(np.uint8)):
        r, c = divmod(i, 2)
        mosaic[8 * r:8 * r + 8, 8 * c:8 * c + 8] = row.reshape(8, 8)
    buffer = BytesIO()
    Image.fromarray(mosaic).save(buffer, format="JPEG", quality=50, optimize=True)
    assert bpp == pytest.approx(8 * len(buffer.getvalue()) / (4 * 64))


def test_jpeg_curve_rises_with_quality():
    X = _smooth_images(n=20)
    curve = jpeg_curve(X, (16, 16), qualities=(5, 30, 90))
    assert [p["quality"] for p in curve] == [5, 30, 90]
    rates = [p["bits_per_pixel"] for p in curve]
    quality = [p["psnr"] for p in curve]
    errors = [p["error"] for p in curve]
    assert rates == sorted(rates) and quality == sorted(quality)
    assert errors == sorted(errors, reverse=True)


def test_fit_ridge_learns_a_linear_damage_and_chooses_alpha_on_held_out_rows():
    from aekit.applications.imaging import fit_ridge

    gen = torch.Generator().manual_seed(0)
    clean = torch.rand(300, 16, generator=gen)
    mixing = torch.eye(16) * 0.6 + 0.4 / 16        # an invertible linear blur
    damaged = clean @ mixing
    restore = fit_ridge(damaged, clean, alphas=(1e-8, 1e3))
    assert restore.alpha == 1e-8                    # the weak ridge wins on the held-out rows
    assert torch.allclose(restore(damaged), clean, atol=1e-3)
    assert restore(damaged).shape == clean.shape
    # a strong ridge shrinks the map towards the mean image
    flat = fit_ridge(damaged, clean, alphas=(1e6,))
    assert torch.allclose(flat(damaged), clean.mean(0).expand_as(clean), atol=0.02)
    # outputs are clipped to [0, 1] as images are
    assert float(restore(damaged * 10).max()) <= 1.0


def test_fit_ridge_rejects_bad_input():
    from aekit.applications.imaging import fit_ridge

    with pytest.raises(ValueError, match="same images"):
        fit_ridge(torch.rand(5, 4), torch.rand(6, 4))
    with pytest.raises(ValueError, match="alphas"):
        fit_ridge(torch.rand(5, 4), torch.rand(5, 4), alphas=())
    with pytest.raises(ValueError, match="alphas"):
        fit_ridge(torch.rand(5, 4), torch.rand(5, 4), alphas=(-1.0,))
    restore = fit_ridge(torch.rand(20, 4), torch.rand(20, 4), alphas=(1.0,))
    with pytest.raises(ValueError, match="fitted on rows of 4"):
        restore(torch.rand(3, 5))
