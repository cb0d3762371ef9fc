"""Headless tests of the explorers of lessons 02, 11 and 12: move the slider, the figure
changes, no error is shown, and a setting seen before answers fast."""
import pytest

from aekit.widgets import anomaly_explorer, hashing_explorer, linear_pca_explorer


def _move_and_check(explorer, name, new_value):
    before = explorer.png()
    old_value = explorer.controls[name].value
    explorer.controls[name].value = new_value
    assert explorer.last_error is None, explorer.last_error
    after = explorer.png()
    assert after != before, f"moving {name} from {old_value} to {new_value} did not change the figure"
    hits, misses = explorer.pngs.hits, explorer.pngs.misses
    explorer.controls[name].value = old_value  # cached: both the models and the picture
    assert explorer.png() == before
    assert explorer.last_error is None
    # the redraw and the png() above were cache hits: nothing was trained or drawn again
    assert (explorer.pngs.hits, explorer.pngs.misses) == (hits + 2, misses)
    return explorer


@pytest.mark.slow
def test_linear_pca_explorer(digits):
    explorer = linear_pca_explorer(digits, code_dims=(2, 4), value=2, epochs=20,
                                   linear_options={"epochs": (40, 20), "lrs": (0.05, 0.005)})
    _move_and_check(explorer, "code_dim", 4)
    study = explorer.study
    # the figure's numbers are the study's: linear AE and PCA agree on the error
    errors = study.errors(4)
    assert errors["linear AE"] == pytest.approx(errors["PCA"], rel=0.05)
    with pytest.raises(ValueError, match="code_dim must be one of"):
        study.render(3)


@pytest.mark.slow
def test_hashing_explorer(digits):
    explorer = hashing_explorer(digits, bits_options=(4, 8), value=4, epochs=15)
    _move_and_check(explorer, "bits", 8)
    assert explorer.study.bits_tried == [4, 8]


@pytest.mark.slow
def test_anomaly_explorer(digits):
    explorer = anomaly_explorer(digits, value=0, epochs=20)
    _move_and_check(explorer, "normal_class", 1)
    assert explorer.controls["normal_class"].label == digits.classes[0]
    assert set(explorer.study.models) == {0, 1}
    with pytest.raises(ValueError, match="value must be one of the classes"):
        anomaly_explorer(digits, value=11)
