"""Headless tests of the denoising, sparse and contractive explorers (small training budgets)."""
import pytest
import torch

from aekit.widgets import contractive_explorer, denoising_explorer, sparse_explorer

pytest.importorskip("ipywidgets")

SMALL = dict(epochs=6, n_train=600)


def change(explorer, name, value):
    """Set one control as a student would; return the PNGs before and after."""
    before = explorer.png()
    explorer.controls[name].value = value
    assert explorer.last_error is None, explorer.last_error
    after = explorer.png()
    assert after != before, f"the figure did not change when {name} became {value!r}"
    return before, after


def assert_cached_setting_is_fast(explorer, name, value):
    """Return to a setting seen before: nothing is trained or drawn again (the picture comes
    from the PNG cache: a hit, and no new miss, so the render never ran)."""
    hits, misses = explorer.pngs.hits, explorer.pngs.misses
    explorer.controls[name].value = value
    assert explorer.last_error is None, explorer.last_error
    assert (explorer.pngs.hits, explorer.pngs.misses) == (hits + 1, misses)


@pytest.mark.slow
def test_denoising_explorer_reacts_to_noise_level_and_kind(digits):
    explorer = denoising_explorer(digits, noise_kind="masking", noise_level=0.3,
                                  noise_levels=(0.1, 0.3), code_dim=64, **SMALL)
    assert explorer.last_error is None, explorer.last_error
    change(explorer, "noise_level", 0.1)
    change(explorer, "noise_kind", "salt_and_pepper")
    study = explorer.study
    # the plain AE once, one denoiser per setting seen
    assert len(study.models) == 3 and len(study._plain) == 1
    assert_cached_setting_is_fast(explorer, "noise_kind", "masking")
    assert len(study.models) == 3 and len(study._plain) == 1
    # the test images are corrupted as the setting says: more noise, further from clean
    assert study.result("masking", 0.1)["corrupted input"] < study.result("masking", 0.3)["corrupted input"]
    with pytest.raises(ValueError, match="noise_level must be one of"):
        explorer.render(noise_level=0.7)


@pytest.mark.slow
def test_sparse_explorer_reacts_to_weight_and_k(digits):
    explorer = sparse_explorer(digits, sparsity_weight=0.0, k=32, sparsity_weights=(0.0, 0.3),
                               ks=(32, 3), code_dim=32, **SMALL)
    assert explorer.last_error is None, explorer.last_error
    change(explorer, "sparsity_weight", 0.3)
    change(explorer, "k", 3)
    study = explorer.study
    dense, penalised = study.result(0.0, 32), study.result(0.3, 32)
    assert penalised["mean activation"] < dense["mean activation"]
    Z = study.codes.get(sparsity_weight=0.3, k=3)
    assert ((Z != 0).sum(1) <= 3).all()
    assert_cached_setting_is_fast(explorer, "k", 32)
    with pytest.raises(ValueError, match="k must be one of"):
        explorer.render(k=5)


def test_contractive_explorer_reacts_to_weight(digits):
    explorer = contractive_explorer(digits, contractive_weight=0.0,
                                    contractive_weights=(0.0, 1.0), **SMALL)
    assert explorer.last_error is None, explorer.last_error
    change(explorer, "contractive_weight", 1.0)
    study = explorer.study
    plain, contracted = study.result(0.0), study.result(1.0)
    assert contracted["jacobian_norm"].mean() < plain["jacobian_norm"].mean()
    assert all(c < p for c, p in zip(contracted["code_moves"], plain["code_moves"]))
    # the spread of codes between classes: positive, and what the displacement is read against
    Z = study.model(1.0).encode(digits.X_test).detach()
    assert 0 < contracted["code_spread"] <= float(torch.cdist(Z, Z).max())
    assert_cached_setting_is_fast(explorer, "contractive_weight", 0.0)


def test_contractive_measure_matches_result_and_takes_other_models(digits):
    from aekit.models import Autoencoder

    explorer = contractive_explorer(digits, contractive_weight=0.0,
                                    contractive_weights=(0.0, 1.0), **SMALL)
    study = explorer.study
    same = study.measure(study.model(1.0))
    cached = study.result(1.0)
    assert torch.equal(same["jacobian_norm"], cached["jacobian_norm"])
    assert same["code_moves"] == cached["code_moves"] and same["error"] == cached["error"]
    # a control trained outside the study, measured on the same footing
    decayed = study.train(study.build(Autoencoder, 64, 16, code_activation="sigmoid"),
                          weight_decay=1e-2)
    other = study.measure(decayed)
    assert set(other) == set(cached) and other["error"] > 0
    assert other["jacobian_norm"].shape == cached["jacobian_norm"].shape
