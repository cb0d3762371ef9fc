"""An explorer as a static page: every setting rendered to a frame, a few lines of JavaScript.

In export mode (the environment variable ``AEKIT_EXPORT=1``, which ``make site`` sets) an
:class:`aekit.widgets.Explorer` displays as HTML that needs no kernel: native, labelled
controls (``<input type=range>`` for sliders, ``<select>`` for drop-downs), one ``<img>``, and
the PNG of every setting on the page. Moving a control swaps the picture for the frame of the
new setting.

Which settings are rendered:

- all combinations of the controls' values when there are at most ``MAX_FRAMES`` (64);
- beyond that, each control swept over all its values with the others at their defaults (the
  values the explorer starts with). Moving a control then puts the others back to their
  defaults, so the controls always show the setting of the picture; a note under the controls
  says so.

Each frame's alt text names the explorer and the setting it shows.
"""
from __future__ import annotations

import base64
import hashlib
import html
import itertools
import json
import math
import os
from dataclasses import dataclass
from typing import Any, Callable, Sequence

__all__ = ["EXPORT_ENV", "MAX_FRAMES", "Axis", "export_mode", "control_axis",
           "settings_to_render", "alt_text", "explorer_html"]

EXPORT_ENV = "AEKIT_EXPORT"
MAX_FRAMES = 64

_ids = itertools.count()


def export_mode() -> bool:
    """True when explorers should display as static pages (``AEKIT_EXPORT`` set, not 0)."""
    return os.environ.get(EXPORT_ENV, "").strip().lower() not in ("", "0", "false", "no")


@dataclass
class Axis:
    """One control as a list of values: what it is called, its values and how they read."""

    name: str            # the setting's keyword
    label: str           # what the control says (its description)
    values: list         # the values passed to render
    labels: list[str]    # how each value reads on the page
    default: int         # index of the value the explorer starts with
    kind: str = "range"  # "range" (a slider) or "select" (a drop-down)
    tooltip: str = ""


def _nearest(values: Sequence[float], value: float) -> int:
    return min(range(len(values)), key=lambda i: abs(values[i] - value))


def control_axis(name: str, control: Any) -> Axis:
    """The values an ipywidgets control can take.

    Selection widgets (``SelectionSlider`` as a range, ``Dropdown``, ``ToggleButtons``,
    ``RadioButtons`` as a select) give their options; ``IntSlider`` and ``FloatSlider`` their
    grid ``min, min + step, ..., max``; a ``Checkbox`` its two states. Any other control is
    held at its current value.
    """
    label = getattr(control, "description", "") or name
    tooltip = getattr(control, "tooltip", None) or ""
    kind_name = type(control).__name__
    if hasattr(control, "_options_values"):
        values = list(control._options_values)
        labels = [str(x) for x in control._options_labels]
        default = control.index if control.index is not None else 0
        kind = "range" if "Slider" in kind_name else "select"
    elif kind_name in ("IntSlider", "FloatSlider"):
        lo, hi, step = control.min, control.max, control.step
        count = int(math.floor((hi - lo) / step + 1e-9)) + 1
        values = [round(lo + i * step, 10) for i in range(count)]
        if kind_name == "IntSlider":
            values = [int(v) for v in values]
        default = _nearest(values, control.value)
        values[default] = control.value
        fmt = getattr(control, "readout_format", "") or ("d" if kind_name == "IntSlider" else ".2f")
        labels = [format(v, fmt) for v in values]
        kind = "range"
    elif kind_name in ("Checkbox", "ToggleButton"):
        values, labels, default, kind = [False, True], ["off", "on"], int(bool(control.value)), "select"
    else:
        values, labels, default, kind = [control.value], [str(control.value)], 0, "select"
    return Axis(name, label, values, labels, default, kind, tooltip)


def settings_to_render(axes: Sequence[Axis], max_frames: int = MAX_FRAMES) -> list[tuple[int, ...]]:
    """Index tuples of the settings to render: all of them up to ``max_frames``, else each axis
    swept with the others at their defaults (the default setting first, no repeats)."""
    sizes = [len(axis.values) for axis in axes]
    if math.prod(sizes) <= max_frames:
        return list(itertools.product(*(range(n) for n in sizes)))
    default = tuple(axis.default for axis in axes)
    keys = [default]
    for position, n in enumerate(sizes):
        for index in range(n):
            key = default[:position] + (index,) + default[position + 1:]
            if key not in keys:
                keys.append(key)
    return keys


def is_subset(axes: Sequence[Axis], keys: Sequence[tuple]) -> bool:
    return len(keys) < math.prod(len(axis.values) for axis in axes)


def alt_text(title: str, axes: Sequence[Axis], key: Sequence[int]) -> str:
    """``"<title>: <control> = <value>, ..."``, e.g. ``"Bottleneck: bottleneck (code_dim) = 8"``."""
    shown = ", ".join(f"{axis.label} = {axis.labels[i]}" for axis, i in zip(axes, key))
    return f"{title or 'Explorer'}: {shown}"


def setting_of(axes: Sequence[Axis], key: Sequence[int]) -> dict[str, Any]:
    return {axis.name: axis.values[i] for axis, i in zip(axes, key)}


def _key_string(key: Sequence[int]) -> str:
    return ",".join(str(i) for i in key)


def render_frames(axes: Sequence[Axis], png: Callable[..., bytes],
                  max_frames: int = MAX_FRAMES) -> dict[tuple, bytes]:
    """PNG bytes per index tuple, for the settings :func:`settings_to_render` picks."""
    return {key: png(**setting_of(axes, key)) for key in settings_to_render(axes, max_frames)}


def _control_html(uid: str, position: int, axis: Axis) -> str:
    cid = f"{uid}-c{position}"
    tip = f' title="{html.escape(axis.tooltip)}"' if axis.tooltip else ""
    label = f'<label for="{cid}">{html.escape(axis.label)}</label>'
    if axis.kind == "range":
        control = (f'<input type="range" id="{cid}" data-axis="{position}" min="0" '
                   f'max="{len(axis.values) - 1}" step="1" value="{axis.default}" '
                   f'aria-valuetext="{html.escape(axis.labels[axis.default])}"{tip}>'
                   f'<output for="{cid}">{html.escape(axis.labels[axis.default])}</output>')
    else:
        options = "".join(
            f'<option value="{i}"{" selected" if i == axis.default else ""}>{html.escape(text)}</option>'
            for i, text in enumerate(axis.labels))
        control = f'<select id="{cid}" data-axis="{position}"{tip}>{options}</select>'
    return f'<span class="aekit-control">{label} {control}</span>'


# Swaps the frame when a control moves; a setting that is not on the page puts the other
# controls back to their defaults (the subset rule above).
_SCRIPT = """(function () {
  var root = document.getElementById("%(uid)s");
  if (!root || root.getAttribute("data-live")) return;
  root.setAttribute("data-live", "1");
  var data = JSON.parse(root.querySelector("script.aekit-frames").textContent);
  var img = root.querySelector("img"), inputs = root.querySelectorAll("[data-axis]");
  function key() { return Array.prototype.map.call(inputs, function (el) { return el.value; }).join(","); }
  function show(moved) {
    if (!(key() in data.map)) inputs.forEach(function (el, i) { if (el !== moved) el.value = data.defaults[i]; });
    var k = key();
    img.src = "data:image/png;base64," + data.frames[data.map[k]];
    img.alt = data.alts[k];
    root.setAttribute("data-setting", k);
    inputs.forEach(function (el, i) {
      var text = data.labels[i][el.value], out = root.querySelector('output[for="' + el.id + '"]');
      if (el.type === "range") el.setAttribute("aria-valuetext", text);
      if (out) out.textContent = text;
    });
  }
  inputs.forEach(function (el) { el.addEventListener("input", function () { show(el); }); });
})();"""

_STYLE = ("<style>.aekit-explorer .aekit-controls{display:flex;flex-wrap:wrap;gap:.4em 1.5em;"
          "margin:.3em 0}.aekit-explorer .aekit-control{display:inline-flex;align-items:center;"
          "gap:.4em}.aekit-explorer img{max-width:100%;height:auto}.aekit-explorer output"
          "{min-width:3em;font-variant-numeric:tabular-nums}.aekit-explorer .aekit-note"
          "{font-size:.85em;margin:.2em 0}</style>")


def explorer_html(title: str, axes: Sequence[Axis], frames: dict[tuple, bytes]) -> str:
    """The page fragment: title, labelled controls, the default frame and the script.

    ``frames`` maps index tuples (as from :func:`settings_to_render`) to PNG bytes; identical
    pictures are stored once.
    """
    default = tuple(axis.default for axis in axes)
    if default not in frames:
        raise ValueError("the frames must include the default setting")
    unique: dict[bytes, int] = {}
    for png in frames.values():
        unique.setdefault(png, len(unique))
    encoded = [base64.b64encode(png).decode("ascii") for png in unique]
    digest = hashlib.sha1("".join(encoded).encode("ascii")).hexdigest()[:10]
    uid = f"aekit-explorer-{digest}-{next(_ids)}"
    payload = {
        "map": {_key_string(k): unique[png] for k, png in frames.items()},
        "alts": {_key_string(k): alt_text(title, axes, k) for k in frames},
        "frames": encoded,
        "labels": [axis.labels for axis in axes],
        "defaults": [axis.default for axis in axes],
    }
    total = math.prod(len(axis.values) for axis in axes)
    if len(frames) < total:
        note = (f"This page holds {len(frames)} of the {total} settings: each control moves "
                "with the others at their starting values, so moving one puts the others back.")
    else:
        note = f"All {total} settings are on this page: no kernel is needed to explore them."
    controls = "".join(_control_html(uid, i, axis) for i, axis in enumerate(axes))
    heading = f"<p><strong>{html.escape(title)}</strong></p>" if title else ""
    # "</" cannot end the JSON script early: the payload is base64, numbers and escaped labels.
    data = json.dumps(payload, separators=(",", ":")).replace("</", "<\\/")
    return (f'{_STYLE}<div class="aekit-explorer" id="{uid}" data-setting="{_key_string(default)}">'
            f'{heading}<form class="aekit-controls" onsubmit="return false">{controls}</form>'
            f'<img src="data:image/png;base64,{encoded[unique[frames[default]]]}" '
            f'alt="{html.escape(alt_text(title, axes, default))}">'
            f'<p class="aekit-note">{html.escape(note)}</p>'
            f'<script type="application/json" class="aekit-frames">{data}</script>'
            f'<script>{_SCRIPT % {"uid": uid}}</script></div>')
