"""The export bundle of an explorer: which settings become frames, the HTML, the alt text."""
from __future__ import annotations

import base64
import json
import re
from html.parser import HTMLParser

import ipywidgets as widgets
import nbformat
import pytest
from matplotlib.figure import Figure

from aekit.site import frames, pages
from aekit.site.figures import describe_figure
from aekit.widgets.base import EXPORT_FAILED, Explorer


def _render(**setting) -> Figure:
    fig = Figure(figsize=(1.2, 0.6))
    fig.text(0.05, 0.4, " ".join(f"{k}={v}" for k, v in sorted(setting.items())), fontsize=5)
    return fig


class _Counting:
    def __init__(self, render=_render):
        self.calls: list[dict] = []
        self.render = render

    def __call__(self, **setting):
        self.calls.append(setting)
        return self.render(**setting)


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def _parse(html: str):
    parser = _Tags()
    parser.feed(html)
    payload = json.loads(re.search(r'<script type="application/json" class="aekit-frames">(.*?)'
                                   r'</script>', html, re.S).group(1))
    return parser.tags, payload


def _two_controls() -> dict:
    return {"size": widgets.SelectionSlider(options=[("one", 1), ("two", 2), ("four", 4)],
                                            value=2, description="code size"),
            "kind": widgets.Dropdown(options=[("masking", "m"), ("gaussian", "g")], value="g",
                                     description="noise kind")}


def test_full_product_up_to_the_cap():
    axes = [frames.Axis("a", "a", [1, 2, 3], ["1", "2", "3"], 1),
            frames.Axis("b", "b", list(range(4)), list("wxyz"), 0)]
    keys = frames.settings_to_render(axes, max_frames=12)
    assert sorted(keys) == [(i, j) for i in range(3) for j in range(4)]
    assert len(frames.settings_to_render(axes, max_frames=11)) == 3 + 4 - 1


def test_beyond_the_cap_each_control_is_swept_with_the_others_at_their_defaults():
    axes = [frames.Axis("beta", "beta", [0.5, 1, 2, 4], ["0.5", "1", "2", "4"], 1),
            frames.Axis("z1", "z1", list(range(29)), [str(i) for i in range(29)], 14),
            frames.Axis("z2", "z2", list(range(29)), [str(i) for i in range(29)], 14)]
    keys = frames.settings_to_render(axes, frames.MAX_FRAMES)
    default = (1, 14, 14)
    assert keys[0] == default
    assert len(keys) == len(set(keys)) == 4 + 29 + 29 - 2
    for key in keys:
        assert sum(k != d for k, d in zip(key, default)) <= 1
    for position, axis in enumerate(axes):  # every value of every control is reachable
        assert {key[position] for key in keys} == set(range(len(axis.values)))


def test_control_axes_read_the_widgets():
    size, kind = _two_controls().values()
    axis = frames.control_axis("size", size)
    assert (axis.values, axis.labels, axis.default, axis.kind) == ([1, 2, 4], ["one", "two", "four"], 1, "range")
    axis = frames.control_axis("kind", kind)
    assert (axis.values, axis.default, axis.kind) == (["m", "g"], 1, "select")
    z = widgets.FloatSlider(value=0.5, min=-1.0, max=1.0, step=0.25, description="z1")
    axis = frames.control_axis("z1", z)
    assert axis.values == [-1.0, -0.75, -0.5, -0.25, 0.0, 0.25, 0.5, 0.75, 1.0]
    assert axis.labels[axis.default] == "0.50" and axis.values[axis.default] == 0.5


def test_export_html_has_a_frame_per_setting_labelled_controls_and_alt_text():
    render = _Counting()
    explorer = Explorer(render, _two_controls(), title="Toy explorer")
    html = explorer.export_html()
    tags, payload = _parse(html)
    assert len(payload["map"]) == 3 * 2
    assert len(payload["frames"]) == 6  # every picture differs
    rendered = {tuple(sorted(c.items())) for c in render.calls}
    assert len(rendered) == 6
    assert payload["alts"]["2,0"] == "Toy explorer: code size = four, noise kind = masking"
    # each frame is the PNG of its own setting
    frame = base64.b64decode(payload["frames"][payload["map"]["0,1"]])
    assert frame == explorer.png(size=1, kind="g")
    inputs = [a for t, a in tags if t in ("input", "select")]
    labels = {a["for"] for t, a in tags if t == "label"}
    assert [a.get("type") for a in inputs] == ["range", None]
    assert all(a["id"] in labels for a in inputs)
    assert inputs[0]["min"] == "0" and inputs[0]["max"] == "2" and inputs[0]["value"] == "1"
    img = [a for t, a in tags if t == "img"]
    assert len(img) == 1 and img[0]["alt"] == "Toy explorer: code size = two, noise kind = gaussian"
    assert "http" not in re.sub(r'data:image/png;base64,[A-Za-z0-9+/=]+', "", html)


def test_identical_frames_are_stored_once():
    explorer = Explorer(lambda **s: _render(), _two_controls(), title="same")
    _, payload = _parse(explorer.export_html())
    assert len(payload["map"]) == 6 and len(payload["frames"]) == 1


def test_beyond_the_cap_the_page_says_which_settings_it_holds():
    render = _Counting()
    controls = {"z": widgets.FloatSlider(value=0.0, min=-1.0, max=1.0, step=0.1, description="z"),
                "k": widgets.SelectionSlider(options=[1, 2, 3, 4, 5], value=3, description="k")}
    explorer = Explorer(render, controls, title="big")
    render.calls.clear()
    html = explorer.export_html()
    _, payload = _parse(html)
    assert len(payload["map"]) == 21 + 5 - 1 < 21 * 5
    assert "holds 25 of the 105 settings" in html
    assert payload["defaults"] == [10, 2]


def test_export_mode_changes_the_display_and_only_then(monkeypatch):
    explorer = Explorer(_render, _two_controls(), title="Toy")
    monkeypatch.delenv(frames.EXPORT_ENV, raising=False)
    live = explorer._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in live and "text/html" not in live
    monkeypatch.setenv(frames.EXPORT_ENV, "1")
    exported = explorer._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" not in exported
    assert pages.EXPLORER_MARK in exported["text/html"]
    assert exported["image/png"] == base64.b64encode(explorer.png()).decode("ascii")


def test_a_failed_export_is_reported_and_stops_the_build(monkeypatch):
    def fails(size, kind):
        if size == 4:
            raise ValueError("no model for 4")
        return _render(size=size, kind=kind)

    explorer = Explorer(fails, _two_controls(), title="Toy")
    monkeypatch.setenv(frames.EXPORT_ENV, "1")
    bundle = explorer._repr_mimebundle_()
    assert bundle["text/plain"].startswith(EXPORT_FAILED) and "text/html" not in bundle
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(outputs=[
        nbformat.v4.new_output("display_data", data=bundle)])])
    with pytest.raises(RuntimeError, match="no model for 4"):
        pages.check_explorers(nb, "lesson.ipynb")


def test_figures_are_described_by_their_titles_and_axes():
    fig = Figure()
    ax = fig.subplots()
    ax.set_title("training")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    fig.suptitle("A first autoencoder")
    assert describe_figure(fig) == "Figure: A first autoencoder; training, loss against epoch"


def test_describe_figures_moves_alt_text_where_myst_nb_reads_it(tmp_path):
    png = base64.b64encode(b"not really a png").decode()
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("fig", outputs=[nbformat.v4.new_output(
            "execute_result", data={"image/png": png}, metadata={"image/png": {"alt": "Figure: x"}},
            execution_count=1)]),
        nbformat.v4.new_code_cell("plot(x)\nfig2", outputs=[nbformat.v4.new_output(
            "display_data", data={"image/png": png})])])
    path = tmp_path / "n.ipynb"
    nbformat.write(nb, path)
    assert pages.describe_figures(path) == 2
    cells = nbformat.read(path, as_version=4).cells
    assert cells[0].metadata["mystnb"]["image"]["alt"] == "Figure: x"
    assert cells[1].metadata["mystnb"]["image"]["alt"] == "Figure drawn by: fig2"


def test_home_page_rows_come_from_the_readme_lesson_table():
    rows = pages.lesson_rows(pages.Path(__file__).resolve().parents[2] / "README.md",
                             ["05_denoising_autoencoders.ipynb"])
    assert len(rows) == 1
    assert rows[0].startswith("| 05 | [Denoising autoencoders](05_denoising_autoencoders.ipynb) |")
