"""The base of every explorer's study, and the one factory that turns a study into an explorer.

A *study* holds what an explorer varies and what it costs: the data set, the training budget
(``epochs``, ``lr``, ``batch_size``, ``n_train``, ``seed``), the settings it offers (one tuple
of options per control), a cache of trained models per setting and a cache of results per
setting. Its ``render(**setting)`` draws a Figure; nothing in a study needs a widget, so tests
and lessons call it directly.

Every subclass declares its controls in the class attribute ``controls`` (the setting's name
-> :class:`Control`), and implements ``_train(**setting)`` (a model for a setting: build it
with :meth:`Study.build`, train it with :meth:`Study.train`), ``_result(**setting)`` (a dict of
numbers for a setting) and ``render``. The same names hold in every study:

- ``study.options[name]``: the values a control offers;
- ``study.model(...)`` and ``study.result(...)``: per setting, cached, positional or by name;
- ``study.tried``: the settings whose results exist so far, in the order of the options;
- ``study.state()``: what a render may depend on besides its setting (the settings tried),
  part of the explorer's PNG cache key, so a picture is never stale.

:func:`make_explorer` is the body of every ``xxx_explorer(dataset, *, study=None,
**settings_and_options)``: a keyword named like a control is the starting setting, the others
build the study (or ``study=`` reuses one already trained).
"""
from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import Any, Callable, Hashable, Sequence

import torch
from matplotlib.figure import Figure

from aekit.data import Dataset
from aekit.device import build_seeded, resolve_seed
from aekit.train import fit
from aekit.widgets.base import Explorer, SettingCache

__all__ = ["Control", "Study", "make_explorer"]


@dataclass(frozen=True)
class Control:
    """How a setting is shown: a slider over its options (a dropdown where ``dropdown``),
    described by ``description`` (it names the setting) and explained by ``tooltip``;
    ``label`` turns a value into the words on the control."""

    description: str
    tooltip: str
    dropdown: bool = False
    label: Callable[[Any], str] | None = None

    def widget(self, options: Sequence, value, label: Callable[[Any], str] | None = None):
        """The ipywidget; ``label`` (default ``self.label``) names each option."""
        import ipywidgets as widgets

        label = label or self.label
        choices = [(label(v), v) for v in options] if label else list(options)
        if self.dropdown:
            return widgets.Dropdown(options=choices, value=value, description=self.description,
                                    tooltip=self.tooltip)
        return widgets.SelectionSlider(options=choices, value=value, description=self.description,
                                       tooltip=self.tooltip, continuous_update=False)


class Study(abc.ABC):
    """Shared state and checks of an explorer's study; see the module docstring. A subclass
    must implement ``_train``, ``_result`` and ``render`` (Python refuses to build one that
    does not).

    Parameters
    ----------
    dataset : the images (or examples) to train on.
    options : ``{setting name: values offered}``, one entry per control, in control order.
    epochs, lr, batch_size, n_train, seed : the training budget, the same for every setting;
        ``n_train`` keeps the first n training examples; ``seed=None`` draws one seed from the
        session's generator, once, so every setting starts from the same weights.
    """

    #: the controls, ``{setting name: Control}``, in the order they are shown
    controls: dict[str, Control] = {}
    #: the explorer's title
    title: str = ""
    #: resolution of the explorer's picture (small images, such as 8x8 filters, want more)
    dpi: int = 72

    def __init__(self, dataset: Dataset, options: dict[str, Sequence], *, epochs: int = 20,
                 lr: float = 3e-3, batch_size: int = 128, n_train: int | None = None,
                 seed: int | None = None) -> None:
        if not isinstance(dataset, Dataset):
            raise TypeError(f"a study needs an aekit.data.Dataset (aekit.data.load('digits')), "
                            f"got {type(dataset).__name__}")
        self.dataset = dataset
        self.options: dict[str, tuple] = {}
        for name in self.controls:
            values = tuple(options[name])
            if not values:
                raise ValueError(f"{name}: offer at least one value")
            if len(set(values)) != len(values):
                raise ValueError(f"{name}: the values offered repeat: {values!r}")
            self.options[name] = values
        self.epochs, self.lr, self.batch_size = epochs, lr, batch_size
        self.seed = resolve_seed(seed)
        self.X_train = dataset.X_train[:n_train]
        self.models = SettingCache(self._train)
        self.results = SettingCache(self._result)

    # ------------------------------------------------------------------ settings
    @property
    def settings(self) -> tuple[str, ...]:
        """The names of the settings, in control order."""
        return tuple(self.controls)

    def setting(self, *args, **named) -> dict[str, Any]:
        """A full setting from positional values (in control order) and named ones, checked:
        every value must be one the study offers."""
        if len(args) > len(self.settings):
            raise TypeError(f"{type(self).__name__} has {len(self.settings)} settings "
                            f"{self.settings}, got {len(args)} values")
        setting = dict(zip(self.settings, args))
        for name, value in named.items():
            if name in setting:
                raise TypeError(f"{name} given twice")
            setting[name] = value
        unknown = [name for name in setting if name not in self.options]
        missing = [name for name in self.settings if name not in setting]
        if unknown or missing:
            raise TypeError(f"{type(self).__name__} takes the settings {self.settings}; "
                            f"unknown: {unknown}, missing: {missing}")
        for name, value in setting.items():
            if value not in self.options[name]:
                raise ValueError(f"{name} must be one of {self.options[name]}, got {value!r}")
        return {name: setting[name] for name in self.settings}

    def start(self, name: str):
        """The value a control starts at unless told otherwise: the middle option."""
        values = self.options[name]
        return values[len(values) // 2]

    def label(self, name: str, value) -> str:
        """The words for one option of a control (the control's ``label``, or the value)."""
        control = self.controls[name]
        return control.label(value) if control.label else str(value)

    # ------------------------------------------------------------------ caches
    def model(self, *args, **setting):
        """The model trained for a setting (trained on first use, then cached)."""
        return self.models.get(**self.setting(*args, **setting))

    def result(self, *args, **setting) -> dict:
        """The numbers measured for a setting (computed on first use, then cached)."""
        return self.results.get(**self.setting(*args, **setting))

    def prepare(self, **setting) -> None:
        """Compute what a render of ``setting`` needs (the explorer's background work calls
        it for the settings near the one on show): by default the setting's result. A study
        whose render needs more, or whose result takes only part of the setting, says so."""
        self.result(**setting)

    @property
    def tried(self) -> list[dict[str, Any]]:
        """The settings whose results exist, in the order of the options."""
        order = {name: {v: i for i, v in enumerate(values)} for name, values in self.options.items()}
        found = [dict(key) for key in self.results.store]
        return sorted(found, key=lambda s: tuple(order[n][s[n]] for n in self.settings if n in s))

    def state(self) -> Hashable:
        """What a render may depend on besides its setting: the settings tried so far."""
        return tuple(self.results.store)

    # ------------------------------------------------------------------ training
    def build(self, make: Callable[..., torch.nn.Module], *args, **kwargs) -> torch.nn.Module:
        """``make(*args, **kwargs)`` with the study's seed: the same starting weights for a
        setting every time, whatever ran before (in the main thread, when the background
        prepares a setting: see :mod:`aekit.background`)."""
        return build_seeded(self.seed, make, *args, **kwargs)

    def train(self, model: torch.nn.Module, X=None, **fit_options) -> torch.nn.Module:
        """:func:`aekit.fit` with the study's budget and seed, quietly; Ctrl-C raises, so a
        half-trained model never enters the cache."""
        budget = {"epochs": self.epochs, "lr": self.lr, "batch_size": self.batch_size}
        fit(model, self.X_train if X is None else X, **{**budget, **fit_options},
            progress=False, interrupt="raise", seed=self.seed)
        return model

    @abc.abstractmethod
    def _train(self, **setting) -> torch.nn.Module:
        """The model for a setting, trained (``study.model(...)`` caches it)."""

    @abc.abstractmethod
    def _result(self, **setting) -> dict:
        """The numbers measured for a setting (``study.result(...)`` caches them)."""

    @abc.abstractmethod
    def render(self, **setting) -> Figure:
        """The explorer's picture of a setting."""


def make_explorer(study_class: type[Study], dataset: Dataset, study: Study | None,
                  settings_and_options: dict[str, Any]) -> Explorer:
    """The explorer of a study: controls for its settings, its render, a PNG cache that keys
    on ``study.state()``. Keywords named like a control give the starting setting; the rest
    build a new ``study_class(dataset, **rest)`` unless ``study`` is given."""
    rest = dict(settings_and_options)
    start = {name: rest.pop(name) for name in study_class.controls if name in rest}
    if study is None:
        study = study_class(dataset, **rest)
    else:
        if not isinstance(study, study_class):
            raise TypeError(f"study must be a {study_class.__name__}, got {type(study).__name__}")
        if rest:
            raise TypeError(f"with study= the study's options are already set; pass only the "
                            f"starting setting ({', '.join(study_class.controls)}), not "
                            f"{', '.join(rest)}")
        if study.dataset is not dataset:
            raise ValueError("study was built on another data set than the one given")
    setting = study.setting(**{name: start.get(name, study.start(name)) for name in study.controls})
    own_labels = type(study).label is not Study.label
    controls = {name: control.widget(study.options[name], setting[name],
                                     (lambda v, name=name: study.label(name, v))
                                     if own_labels or control.label else None)
                for name, control in study.controls.items()}
    return Explorer(study.render, controls, title=study.title, dpi=study.dpi, study=study)
