"""Headless tests of the explorers of lessons 02, 11 and 12: move the slider, the figure
changes, no error is shown, and a setting seen before answers fast."""
import pytest

from aekit.widgets import anomaly_explorer, hashing_explorer, linear_pca_explorer


def _move_and_check(explorer, name, new_value, draws_tried: bool):
    """Move a control and back. A render that draws the settings tried so far must show the
    new point on return (never a stale picture); one that does not comes from the cache."""
    before = explorer.png()
    old_value = explorer.controls[name].value
    explorer.controls[name].value = new_value
    assert explorer.last_error is None, explorer.last_error
    after = explorer.png()
    assert after != before, f"moving {name} from {old_value} to {new_value} did not change the figure"
    explorer.controls[name].value = old_value
    assert explorer.last_error is None
    back = explorer.png()
    if draws_tried:
        assert back != before, "returning after training another setting showed a stale picture"
    else:
        assert back == before
    # now nothing new is trained: both settings answer from the picture cache
    hits, misses = explorer.pngs.hits, explorer.pngs.misses
    explorer.controls[name].value = new_value
    assert explorer.png() == after
    explorer.controls[name].value = old_value
    assert explorer.png() == back
    assert (explorer.pngs.hits, explorer.pngs.misses) == (hits + 4, misses)
    return explorer


@pytest.mark.slow
def test_linear_pca_explorer(digits):
    explorer = linear_pca_explorer(digits, code_dims=(2, 4), code_dim=2, epochs=20)
    _move_and_check(explorer, "code_dim", 4, draws_tried=True)
    study = explorer.study
    # the figure's numbers are the study's: linear AE and PCA agree on the error
    errors = study.result(4)
    assert errors["linear AE"] == pytest.approx(errors["PCA"], rel=0.05)
    with pytest.raises(ValueError, match="code_dim must be one of"):
        study.render(3)


@pytest.mark.slow
def test_hashing_explorer(digits):
    explorer = hashing_explorer(digits, bits_options=(4, 8), bits=4, epochs=15)
    _move_and_check(explorer, "bits", 8, draws_tried=True)
    assert [t["bits"] for t in explorer.study.tried] == [4, 8]


@pytest.mark.slow
def test_anomaly_explorer(digits):
    explorer = anomaly_explorer(digits, normal_class=0, epochs=20)
    _move_and_check(explorer, "normal_class", 1, draws_tried=False)
    assert explorer.controls["normal_class"].label == digits.classes[0]
    assert [t["normal_class"] for t in explorer.study.tried] == [0, 1]
    with pytest.raises(ValueError, match="normal_class must be one of"):
        anomaly_explorer(digits, normal_class=11)
