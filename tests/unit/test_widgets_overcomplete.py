"""The overcomplete explorer (hidden size and dropout sliders) and its noise pass-through measure."""

import pytest
import torch
from torch import nn

from aekit.widgets import overcomplete_explorer
from aekit.widgets.overcomplete import OvercompleteStudy, noise_pass_through

pytest.importorskip("ipywidgets")


class _Fixed(nn.Module):
    """A stand-in autoencoder: the identity, or a constant image."""

    def __init__(self, copy: bool) -> None:
        super().__init__()
        self.copy = copy
        self.bias = nn.Parameter(torch.full((64,), 0.3))

    def forward(self, X):
        return X if self.copy else self.bias.expand_as(X)


def test_pass_through_is_one_for_a_copier_and_zero_for_a_constant():
    X = torch.rand(50, 64, generator=torch.Generator().manual_seed(0))
    assert noise_pass_through(_Fixed(copy=True), X) == pytest.approx(1.0, abs=1e-6)
    assert noise_pass_through(_Fixed(copy=False), X) == pytest.approx(0.0, abs=1e-12)


def test_pass_through_of_a_linear_map_is_its_energy_per_direction():
    """For r(x) = a x the output change is a e: the share that passes is a^2."""

    class Half(nn.Module):
        def forward(self, X):
            return 0.5 * X

    X = torch.rand(400, 64, generator=torch.Generator().manual_seed(1))
    assert noise_pass_through(Half(), X, noise_std=0.1) == pytest.approx(0.25, rel=1e-5)


def test_pass_through_rejects_bad_input():
    with pytest.raises(ValueError, match="noise_std"):
        noise_pass_through(_Fixed(True), torch.rand(3, 64), noise_std=0.0)
    with pytest.raises(ValueError, match="empty"):
        noise_pass_through(_Fixed(True), torch.rand(0, 64))
    with pytest.raises(ValueError, match="NaN"):
        noise_pass_through(_Fixed(True), torch.full((2, 64), float("nan")))


def test_copying_ceiling_is_the_pass_through_of_the_clipped_copier(digits):
    """No training needed: the ceiling is the clipped copier's pass-through on the study's noise,
    below 1 (digits have many pixels at exactly 0 or 1) and above a half."""

    class Clip(nn.Module):
        def forward(self, X):
            return X.clamp(0, 1)

    study = OvercompleteStudy(digits, code_dims=(16,), dropouts=(0.0,), seed=3)
    ceiling = study.copying_ceiling()
    assert ceiling == pytest.approx(noise_pass_through(Clip(), digits.X_test, study.noise_std,
                                                       seed=study.seed + 7), rel=1e-6)
    assert 0.5 < ceiling < 0.8


def test_study_rejects_settings_it_does_not_offer(digits):
    with pytest.raises(ValueError, match="dropouts"):
        OvercompleteStudy(digits, dropouts=(0.0, 1.0))
    with pytest.raises(ValueError, match="code_dims"):
        OvercompleteStudy(digits, code_dims=())
    study = OvercompleteStudy(digits, code_dims=(16,), dropouts=(0.0,))
    with pytest.raises(ValueError, match="code_dim must be one of"):
        study.model(32, 0.0)
    with pytest.raises(ValueError, match="dropout must be one of"):
        study.model(16, 0.3)


@pytest.mark.slow
def test_overcomplete_explorer_reacts_to_hidden_size_and_dropout(digits):
    explorer = overcomplete_explorer(digits, code_dims=(16, 128), dropouts=(0.0, 0.5),
                                     epochs=8, n_train=600)
    assert explorer.last_error is None, explorer.last_error
    assert explorer.setting == {"code_dim": 128, "dropout": 0.0}  # the first overcomplete size
    study = explorer.study
    assert len(study.models) == 2  # the curve without dropout: both sizes

    for name, value in (("dropout", 0.5), ("code_dim", 16)):
        before = explorer.png()
        explorer.controls[name].value = value
        assert explorer.last_error is None, explorer.last_error
        assert explorer.png() != before, f"the figure did not change when {name} became {value}"
    assert len(study.models) == 4  # and the curve at dropout 0.5

    hits, misses = explorer.pngs.hits, explorer.pngs.misses
    explorer.controls["code_dim"].value = 128  # seen before: nothing is trained or drawn
    assert explorer.last_error is None, explorer.last_error
    assert (explorer.pngs.hits, explorer.pngs.misses) == (hits + 1, misses)
    assert len(study.models) == 4

    # dropout keeps the wide network from passing noise through as freely
    assert study.result(128, 0.5)["pass_through"] < study.result(128, 0.0)["pass_through"]
    # the models really differ: the dropout model was trained with dropout
    assert study.model(128, 0.5).dropout == 0.5 and study.model(128, 0.0).dropout == 0.0
    with pytest.raises(ValueError, match="code_dim must be one of"):
        explorer.render(code_dim=64)
