"""The Study base and the one explorer factory: settings are checked by name, the PNG cache
keys on the study's state, and a picture that draws the settings tried so far is never stale."""
import pytest
import torch
from matplotlib.figure import Figure

from aekit.widgets import Control, Study, make_explorer


class Tried(Study):
    """No training: a result is the square of the setting, and the render draws every result
    computed so far (as the hashing, compression and PCA explorers do)."""

    controls = {"size": Control("size (size)", "size: a number"),
                "kind": Control("kind (kind)", "kind: a word", dropdown=True)}
    title = "tried so far"

    def __init__(self, dataset, sizes=(1, 2, 3), kinds=("a", "b"), **budget):
        super().__init__(dataset, {"size": sizes, "kind": kinds}, **budget)

    def _train(self, size, kind):
        return torch.nn.Linear(size, 1)  # a model per setting, untrained: nothing to learn here

    def _result(self, size, kind):
        return {"square": size * size}

    def render(self, size, kind):
        self.result(size, kind)
        fig = Figure(figsize=(2, 2))
        ax = fig.subplots()
        ax.plot([t["size"] for t in self.tried], [self.result(**t)["square"] for t in self.tried], "o")
        ax.set_xlim(0, 4)
        ax.set_ylim(0, 10)
        return fig


class Stale(Tried):
    def state(self):
        return None  # wrongly claims the render depends on its setting only


def tried_explorer(dataset, *, study=None, **settings_and_options):
    return make_explorer(Tried, dataset, study, settings_and_options)


def test_settings_are_checked_by_name_and_position(digits):
    study = Tried(digits, seed=0)
    assert study.setting(2, "b") == study.setting(kind="b", size=2) == {"size": 2, "kind": "b"}
    assert study.result(3, kind="a") == {"square": 9}
    with pytest.raises(ValueError, match=r"size must be one of \(1, 2, 3\), got 5"):
        study.result(5, "a")
    with pytest.raises(TypeError, match="missing: \\['kind'\\]"):
        study.result(2)
    with pytest.raises(TypeError, match="unknown: \\['colour'\\]"):
        study.result(2, "a", colour="red")
    with pytest.raises(ValueError, match="offer at least one value"):
        Tried(digits, sizes=())
    with pytest.raises(ValueError, match="repeat"):
        Tried(digits, sizes=(1, 1))
    with pytest.raises(TypeError, match="aekit.data.Dataset"):
        Tried(digits.X_train)
    assert isinstance(study.model(2, "a"), torch.nn.Linear) and len(study.models) == 1

    class NoRender(Study):  # a study that forgot its picture cannot be built
        controls = Tried.controls

        def _train(self, size, kind):
            return None

        def _result(self, size, kind):
            return {}

    with pytest.raises(TypeError, match="abstract"):
        NoRender(digits, {"size": (1,), "kind": ("a",)})


def test_the_factory_takes_the_start_by_the_controls_name_and_owns_its_study(digits):
    explorer = tried_explorer(digits, size=3, sizes=(1, 2, 3, 4), seed=0)
    assert explorer.setting == {"size": 3, "kind": "b"}  # kind: the middle option
    assert explorer.study.options["size"] == (1, 2, 3, 4)
    assert type(explorer.controls["kind"]).__name__ == "Dropdown"
    again = tried_explorer(digits, study=explorer.study, size=1)
    assert again.study is explorer.study and again.setting["size"] == 1
    with pytest.raises(TypeError, match="options are already set"):
        tried_explorer(digits, study=explorer.study, sizes=(1, 2))
    with pytest.raises(ValueError, match="size must be one of"):
        tried_explorer(digits, size=7)


def test_returning_to_a_setting_after_trying_others_shows_the_new_points(digits):
    explorer = tried_explorer(digits, size=1, kind="a", seed=0)
    first = explorer.png()
    explorer.controls["size"].value = 3
    explorer.controls["size"].value = 1
    back = explorer.png()
    assert back != first, "the picture of size 1 should now show the point of size 3"
    assert [t["size"] for t in explorer.study.tried] == [1, 3]
    hits = explorer.pngs.hits
    explorer.controls["size"].value = 3
    explorer.controls["size"].value = 1
    assert explorer.png() == back and explorer.pngs.hits == hits + 3  # nothing new: cached

    # the negative control: a study that leaves its state out of the key shows a stale picture
    stale = make_explorer(Stale, digits, None, {"size": 1, "kind": "a", "seed": 0})
    old = stale.png()
    stale.controls["size"].value = 3
    stale.controls["size"].value = 1
    assert stale.png() == old
