"""Headless tests of the VAE and concrete-autoencoder explorers (small training budgets)."""

import pytest
import torch

from aekit.widgets import concrete_explorer, vae_explorer

pytest.importorskip("ipywidgets")


def move(explorer, name, value):
    """Move one control as a student would; the figure must be redrawn, differently, without error."""
    old = explorer.png()
    explorer.controls[name].value = value
    assert explorer.last_error is None, explorer.last_error
    assert explorer.png() != old, f"setting {name} to {value!r} left the figure unchanged"


def revisit_is_fast(explorer, name, value):
    """A setting seen before comes from the PNG cache: a hit and no miss, so nothing is trained
    or drawn again."""
    hits, misses = explorer.pngs.hits, explorer.pngs.misses
    explorer.controls[name].value = value
    assert explorer.last_error is None, explorer.last_error
    assert (explorer.pngs.hits, explorer.pngs.misses) == (hits + 1, misses)


def revisit_shows_new_points(explorer, name, value):
    """For a render that draws the settings tried so far: returning to a setting after others
    were trained draws it anew (the new points, never a stale picture); after that, going
    back and forth trains and draws nothing."""
    old = explorer.pngs.store.copy()
    misses = explorer.pngs.misses
    other = explorer.controls[name].value
    explorer.controls[name].value = value
    assert explorer.last_error is None, explorer.last_error
    assert explorer.pngs.misses == misses + 1
    assert explorer.png() not in old.values(), "returning showed a stale picture"
    hits, misses = explorer.pngs.hits, explorer.pngs.misses
    explorer.controls[name].value = other
    explorer.controls[name].value = value
    assert (explorer.pngs.hits, explorer.pngs.misses) == (hits + 2, misses)


@pytest.mark.slow
def test_vae_explorer_reacts_to_latent_point_and_beta(digits):
    explorer = vae_explorer(digits, betas=(1.0, 8.0), epochs=8, n_train=800)
    assert explorer.last_error is None, explorer.last_error
    study = explorer.study
    assert len(study.models) == 1
    move(explorer, "z1", 1.5)
    move(explorer, "z2", -1.0)
    assert len(study.models) == 1  # moving the latent point trains nothing
    # the decoder draws different images at different latent points
    assert not torch.allclose(torch.as_tensor(study.decode_point(1.0, 1.5, -1.0)),
                              torch.as_tensor(study.decode_point(1.0, -1.5, 1.0)))
    move(explorer, "beta", 8.0)
    assert len(study.models) == 2
    # a heavier KL weight pulls the codes towards the prior: the KL part shrinks
    assert study.result(8.0)["kl"] < study.result(1.0)["kl"]
    revisit_is_fast(explorer, "beta", 1.0)
    with pytest.raises(ValueError, match="beta must be one of"):
        explorer.render(beta=3.0)


@pytest.mark.slow
def test_concrete_explorer_reacts_to_k(digits):
    explorer = concrete_explorer(digits, k=4, ks=(4, 16), epochs=40, n_train=800)
    assert explorer.last_error is None, explorer.last_error
    move(explorer, "k", 16)
    study = explorer.study
    for k in (4, 16):
        chosen = study.selected(k)
        assert len(set(chosen.tolist())) == k
    # more kept pixels, better reconstructions
    assert study.result(16)["error"] < study.result(4)["error"]
    revisit_is_fast(explorer, "k", 4)
    with pytest.raises(ValueError, match="k must be one of"):
        explorer.render(k=5)


def test_explorers_refuse_sequence_data():
    from aekit.data import sine_waves

    waves = sine_waves(n=20, length=10)
    with pytest.raises(ValueError, match="shows images"):
        vae_explorer(waves)
    with pytest.raises(ValueError, match="shows images"):
        concrete_explorer(waves)


def test_concrete_render_tints_the_pixels_not_kept(digits):
    import numpy as np

    explorer = concrete_explorer(digits, k=4, ks=(4,), epochs=2, n_train=200)
    study = explorer.study
    fig = study.render(k=4, n_images=3)
    chosen = set(study.selected(4).tolist())
    overlays = [im for ax in fig.axes for im in ax.get_images()
                if np.ma.getdata(im.get_array()).ndim == 2 and im.get_cmap() is study.NOT_KEPT]
    assert len(overlays) == 1
    tint = np.asarray(np.ma.filled(overlays[0].get_array().astype(float), np.nan))
    # the tint covers exactly the pixels not kept, in the middle row only, whatever their value
    assert np.isfinite(tint).sum() == 3 * (64 - 4)
    rows = np.isfinite(tint).any(1).nonzero()[0]
    assert rows.min() >= 9 and rows.max() < 17          # second row of 8x8 images (gap 1)
    first = tint[9:17, :8]                              # the first image of that row
    kept = {i for i in range(64) if not np.isfinite(first.reshape(-1)[i])}
    assert kept == chosen
