"""The explorer pattern headless: controls re-render, errors are shown, settings are cached."""
import base64

import ipywidgets as widgets
import numpy as np
import pytest
from matplotlib.figure import Figure

from aekit.data import load
from aekit.evaluate import reconstruct
from aekit.widgets import Explorer, SettingCache, bottleneck_explorer


def test_setting_cache_computes_each_setting_once():
    calls = []
    cache = SettingCache(lambda **s: calls.append(s) or sum(s.values()))
    assert cache.get(a=1, b=2) == 3
    assert cache.get(b=2, a=1) == 3  # the order of the keywords does not matter
    assert cache.get(a=2, b=2) == 4
    assert calls == [{"a": 1, "b": 2}, {"a": 2, "b": 2}]
    assert (cache.hits, cache.misses, len(cache)) == (1, 2, 2)
    assert {"a": 2, "b": 2} in cache and {"a": 3, "b": 2} not in cache


class Toy:
    """A render function that counts its calls and fails for ``height == 3``."""

    def __init__(self):
        self.calls = []

    def __call__(self, height, colour):
        self.calls.append((height, colour))
        if height == 3:
            raise ValueError("height 3 cannot be drawn")
        fig = Figure(figsize=(2, 2))
        fig.subplots().bar([0], [height], color=colour)
        return fig


@pytest.fixture
def toy():
    render = Toy()
    controls = {"height": widgets.IntSlider(value=1, min=0, max=5, continuous_update=True),
                "colour": widgets.Dropdown(options=["red", "blue"], value="red")}
    return render, Explorer(render, controls, title="toy")


def shown_png(explorer) -> bytes:
    """The PNG the Output widget currently shows (the only thing it shows)."""
    (out,) = explorer.output.outputs
    assert out["output_type"] == "display_data"
    return base64.b64decode(out["data"]["image/png"])


def test_explorer_draws_the_first_setting(toy):
    render, explorer = toy
    assert render.calls == [(1, "red")] and explorer.last_error is None
    assert explorer.setting == {"height": 1, "colour": "red"}
    assert shown_png(explorer) == explorer.png()
    assert not explorer.controls["height"].continuous_update  # fires on release only
    assert isinstance(explorer.render(height=4), Figure)  # the pure function, any setting


def test_moving_a_control_redraws_the_output(toy):
    render, explorer = toy
    before = shown_png(explorer)
    explorer.controls["height"].value = 4
    assert render.calls[-1] == (4, "red") and explorer.last_error is None
    after = shown_png(explorer)
    assert after != before and after == explorer.png(height=4)
    explorer.controls["colour"].value = "blue"
    assert render.calls[-1] == (4, "blue") and shown_png(explorer) != after
    assert len(explorer.output.outputs) == 1  # replaced, never appended


def test_errors_land_in_the_output_and_in_last_error(toy):
    render, explorer = toy
    explorer.controls["height"].value = 3
    assert explorer.last_error == "ValueError: height 3 cannot be drawn"
    (out,) = explorer.output.outputs
    assert out["output_type"] == "stream" and out["name"] == "stderr"
    assert "height 3 cannot be drawn" in out["text"] and "'height': 3" in out["text"]
    explorer.controls["height"].value = 2  # a good setting clears the error
    assert explorer.last_error is None and shown_png(explorer) == explorer.png(height=2)


def test_cached_settings_are_not_recomputed(toy):
    render, explorer = toy
    explorer.controls["height"].value = 2
    explorer.controls["height"].value = 1
    explorer.controls["height"].value = 2
    assert render.calls == [(1, "red"), (2, "red")]
    assert explorer.pngs.hits == 2


def test_mimebundle_carries_a_static_png(toy):
    _, explorer = toy
    bundle = explorer._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert base64.b64decode(bundle["image/png"]) == explorer.png()
    assert "toy" in bundle["text/plain"]
    explorer.controls["height"].value = 3  # a failing setting: the widget shows the error
    bundle = explorer._repr_mimebundle_()
    assert "image/png" not in bundle and "application/vnd.jupyter.widget-view+json" in bundle


@pytest.mark.slow
def test_bottleneck_slider_changes_the_figure():
    data = load("digits", n_test=40)
    explorer = bottleneck_explorer(data, code_dims=(2, 16), code_dim=2, epochs=40, n_train=600)
    study = explorer.study
    slider = explorer.controls["code_dim"]
    assert not slider.continuous_update and list(slider.options) == [2, 16]
    assert explorer.last_error is None
    small = explorer.png()

    slider.value = 16
    assert explorer.last_error is None, explorer.last_error
    large = shown_png(explorer)
    assert large != small
    assert study.models.misses == 2  # one model per code size
    # the bottom row shows this code size's reconstructions
    left = study.render(code_dim=16).subfigs[0]
    X_hat = reconstruct(study.model(16), data.X_test[:10])
    np.testing.assert_allclose(left.axes[10 + 3].images[0].get_array(), X_hat[3].reshape(8, 8).numpy())
    # a bigger code reconstructs better, for the autoencoder and for PCA alike
    errors = study.curve()
    assert errors["autoencoder"][1] < errors["autoencoder"][0]
    assert errors["PCA"][1] < errors["PCA"][0]

    hits, misses = explorer.pngs.hits, explorer.pngs.misses
    slider.value = 2  # seen before: neither retrained nor redrawn
    assert (explorer.pngs.hits, explorer.pngs.misses) == (hits + 1, misses)
    assert study.models.misses == 2 and shown_png(explorer) == small
    with pytest.raises(ValueError, match=r"code_dim must be one of \(2, 16\)"):
        study.render(code_dim=3)
