"""The pattern every explorer follows.

1. A pure render function: a setting (keyword arguments) -> matplotlib Figure. Tests call it
   directly; no widget or kernel is needed.
2. A cache of whatever is expensive per setting (trained models, PNG bytes), so a setting
   seen before answers at once. A render may also depend on what its study has computed so
   far (a curve of the settings tried); the PNG cache then keys on ``study.state()`` as well,
   so returning to a setting never shows a stale picture. :mod:`aekit.widgets.study` holds
   the study base class every explorer uses and the one factory that builds an explorer.
3. A thin ipywidgets layer: controls that fire on release (``continuous_update=False``), one
   Output whose picture is replaced (not appended), and errors shown inside that Output.

Displaying an :class:`Explorer` shows the live widget where a kernel runs it, and carries a
static PNG of the current setting in the same output, so a saved notebook still shows the
figure on GitHub, in nbviewer or after a restart.

In export mode (``AEKIT_EXPORT=1``, see :mod:`aekit.site.frames`) it displays instead as HTML
that needs no kernel: every setting (up to a cap) rendered to a PNG frame, native controls, and
a few lines of JavaScript that swap the frame when a control moves. ``make site`` uses it.
"""
from __future__ import annotations

import base64
import threading
import time
from concurrent.futures import Future
from typing import Any, Callable, Hashable

from matplotlib.figure import Figure

from aekit import background
from aekit.plot import to_png

__all__ = ["Explorer", "SettingCache", "PNGCache"]

EXPORT_FAILED = "aekit explorer export failed:"


class SettingCache:
    """A dictionary of results per setting that computes what is missing on first use."""

    def __init__(self, compute: Callable[..., Any]) -> None:
        self.compute = compute
        self.store: dict[Hashable, Any] = {}
        self._pending: dict[Hashable, Future] = {}
        self._lock = threading.RLock()
        self.hits = 0
        self.misses = 0

    @staticmethod
    def key(setting: dict[str, Any]) -> tuple:
        return tuple(sorted(setting.items()))

    def get(self, **setting) -> Any:
        key = self.key(setting)
        return self._get(key, key, lambda: self.compute(**setting))

    def _get(self, key: Hashable, slot: Hashable, compute: Callable[[], Any],
             store_key: Callable[[], Hashable] | None = None) -> Any:
        """The value under ``key``, computed once: a setting that background work is computing
        (``slot`` pending) is waited for, not computed twice; background work that meets a
        setting the foreground is computing gives up instead (it never makes the foreground
        wait)."""
        while True:
            with self._lock:
                if key in self.store:
                    self.hits += 1
                    return self.store[key]
                pending = self._pending.get(slot)
                if pending is None:
                    mine = self._pending[slot] = Future()
                    self.misses += 1
                    break
            if background.in_background():
                raise background.Cancelled(slot)
            background.wait_for(pending)  # then look again (it may have been cancelled)
            key = key if store_key is None else (slot, store_key())
        try:
            value = compute()
            with self._lock:
                self.store[key if store_key is None else (slot, store_key())] = value
            mine.set_result(None)
            return value
        except BaseException as err:
            mine.set_exception(err)
            raise
        finally:
            with self._lock:
                self._pending.pop(slot, None)

    def __contains__(self, setting: dict) -> bool:
        return self.key(setting) in self.store

    def __len__(self) -> int:
        return len(self.store)


#: one figure is drawn at a time, whichever thread draws it (matplotlib is not thread-safe)
_DRAW_LOCK = threading.Lock()

#: seconds after a picture goes out before the background starts on the settings near it
AHEAD_DELAY_S = 1.0

#: how many settings near the one on show the background prepares, nearest first
MAX_AHEAD = 12

#: the narrowest slider track the explorers allow (pixels): a mouse can drag it
MIN_TRACK_PX = 180


def control_width(control) -> int:
    """Pixels a control needs: its description (about 7.5 px a character in JupyterLab's
    13 px font, plus padding), a slider track of ``MIN_TRACK_PX`` and the readout of its
    longest option; a dropdown needs room for its longest option instead of a track."""
    description = 7.5 * len(getattr(control, "description", "") or "") + 16
    labels = [str(label) for label in getattr(control, "_options_labels", ())] or [
        str(getattr(control, "max", getattr(control, "value", "")))]
    readout = 8 * max(len(label) for label in labels) + 24
    if "Slider" in type(control).__name__:
        return int(description + MIN_TRACK_PX + readout)
    return int(description + max(120, readout + 40))


class PNGCache(SettingCache):
    """A :class:`SettingCache` of pictures whose key is the setting *and* the study's state
    (``state()``, e.g. the settings tried so far, which a render may draw as a curve).

    The state is read after drawing, so a render that trains its own setting is found again
    at once; after other settings were trained, the state differs and the picture is drawn
    anew, with the new points."""

    def __init__(self, draw: Callable[..., bytes], state: Callable[[], Hashable]) -> None:
        super().__init__(draw)
        self.state = state

    def get(self, **setting) -> bytes:
        slot = self.key(setting)
        return self._get((slot, self.state()), slot, lambda: self.compute(**setting),
                         store_key=self.state)

    def __contains__(self, setting: dict) -> bool:
        return (self.key(setting), self.state()) in self.store


class Explorer:
    """Controls + a rendered figure; see the module docstring for the pattern.

    Parameters
    ----------
    render : the pure function ``render(**setting) -> Figure``.
    controls : ``{name: ipywidget}``; each control's value is the setting of that name.
    title : shown above the controls.
    dpi : resolution of the displayed PNG.
    study : the :class:`aekit.widgets.study.Study` behind ``render``, if any: the explorer
        owns it (``explorer.study``), and its ``state()`` is part of the PNG cache key.
    """

    def __init__(self, render: Callable[..., Figure], controls: dict[str, Any],
                 title: str = "", dpi: int = 72, output_height: str | None = None,
                 study=None) -> None:
        import ipywidgets as widgets

        self._render = render
        self.controls = controls
        self.title = title
        self.dpi = dpi
        self.study = study
        self.pngs = PNGCache(self._draw, lambda: None if study is None else study.state())
        self.last_error: str | None = None
        self.last_seconds: float | None = None
        for control in controls.values():
            if hasattr(control, "continuous_update"):
                control.continuous_update = False
            control.style = {"description_width": "initial"}
            # wide enough for its whole label and a track a mouse can drag; controls that do
            # not fit side by side wrap onto the next line instead of squeezing each other
            control.layout = widgets.Layout(min_width=f"{control_width(control)}px",
                                            flex="1 1 auto")
            control.observe(self._on_change, names="value")
        layout = {"height": output_height} if output_height else {}
        self.output = widgets.Output(layout=layout)
        header = [widgets.HTML(f"<b>{title}</b>")] if title else []
        row = widgets.HBox(list(controls.values()),
                           layout=widgets.Layout(flex_flow="row wrap", width="100%"))
        #: what the background has prepared (empty where there is no background)
        self.status = widgets.HTML("", layout=widgets.Layout(min_height="1.2em"))
        self.status.add_class("aekit-status")
        self._ahead: list[tuple] = []
        self.widget = widgets.VBox([*header, row, self.status, self.output])
        self.update()

    # ---------------------------------------------------------------- pure parts
    @property
    def setting(self) -> dict[str, Any]:
        """The current value of every control."""
        return {name: control.value for name, control in self.controls.items()}

    def render(self, **setting) -> Figure:
        """The figure for a setting (missing keys take the controls' current values)."""
        return self._render(**{**self.setting, **setting})

    def _draw(self, **setting) -> bytes:
        if background.in_background() and self.study is not None:
            self.study.prepare(**setting)  # trained before the drawing lock is taken
        with _DRAW_LOCK:  # matplotlib draws one figure at a time across threads
            return to_png(self._render(**setting), dpi=self.dpi)

    def png(self, **setting) -> bytes:
        """PNG bytes of the figure for a setting, cached (see :class:`PNGCache`)."""
        return self.pngs.get(**{**self.setting, **setting})

    # ---------------------------------------------------------------- static export
    def export_html(self, max_frames: int | None = None) -> str:
        """The explorer as a page fragment with a frame per setting (see :mod:`aekit.site.frames`
        for which settings and the cap)."""
        from aekit.site import frames

        cap = frames.MAX_FRAMES if max_frames is None else max_frames
        axes = [frames.control_axis(name, control) for name, control in self.controls.items()]
        rendered = frames.render_frames(axes, self.png, cap)
        return frames.explorer_html(self.title, axes, rendered)

    def _export_bundle(self) -> dict[str, str]:
        bundle = {"image/png": base64.b64encode(self.png()).decode("ascii")}
        try:
            bundle["text/html"] = self.export_html()
            bundle["text/plain"] = f"{self.title or 'explorer'} (its settings as pictures on the page)"
        except Exception as err:  # said in the text, which the site build checks
            bundle["text/plain"] = f"{EXPORT_FAILED} {type(err).__name__}: {err}"
        return bundle

    # ---------------------------------------------------------------- widget layer
    def describe(self, **setting) -> str:
        """Words for a setting, used as the picture's alt text: ``title: name=value, ...``."""
        setting = {**self.setting, **setting}
        words = ", ".join(f"{name}={value}" for name, value in setting.items())
        return f"{self.title or 'explorer'}: {words}"

    def update(self) -> None:
        """Redraw the Output for the current setting; errors are shown there, not lost.

        The picture goes out as PNG and as an HTML ``<img>`` whose alt text names the setting
        (JupyterLab shows the HTML: screen readers, and the browser test, read the alt)."""
        import html

        start = time.perf_counter()
        worker = self._worker()
        if worker is not None:  # a control moved: what was planned for the old setting stops,
            worker.plan(self._jobs([self.setting]), group=id(self))  # unless it is its own work
        try:
            with background.foreground():
                png = self.png()
        except Exception as err:  # shown to the student in place of the figure
            self.last_error = f"{type(err).__name__}: {err}"
            self.output.outputs = ()
            self.output.append_stderr(
                f"Could not draw the setting {self.setting}: {self.last_error}\n")
            return
        self.last_error = None
        data = base64.b64encode(png).decode("ascii")
        alt = html.escape(self.describe(), quote=True)
        # one message replaces the picture (no empty Output in between)
        self.output.outputs = ({"output_type": "display_data", "metadata": {}, "data": {
            "image/png": data,
            "text/html": f'<img src="data:image/png;base64,{data}" alt="{alt}">'}},)
        self.last_seconds = time.perf_counter() - start
        if worker is not None:
            self.prepare_ahead(worker)

    # ---------------------------------------------------------------- background
    def _worker(self):
        from aekit.site.frames import export_mode

        return None if export_mode() else background.worker()

    def nearby(self, limit: int = MAX_AHEAD) -> list[dict[str, Any]]:
        """The settings a student may move to next, nearest first: one step either way on each
        control, then two steps, and so on along each control's line (at most ``limit``)."""
        current = self.setting
        lines = []
        for name, control in self.controls.items():
            values = list(getattr(control, "_options_values", ()) or ())
            if current[name] in values:
                lines.append((name, values, values.index(current[name])))
        found: list[dict[str, Any]] = []
        for step in range(1, max((len(v) for _, v, _ in lines), default=0)):
            for name, values, at in lines:
                for index in (at + step, at - step):
                    if 0 <= index < len(values) and len(found) < limit:
                        found.append({**current, name: values[index]})
        return found

    def _jobs(self, settings: list[dict], pictures: list[dict] | None = None) -> list[tuple]:
        """Background jobs: the results of ``settings``, then the pictures of ``pictures``."""
        jobs = []
        if self.study is not None:
            jobs += [(("result", id(self), SettingCache.key(s)),
                      (lambda s=s: self.study.prepare(**s))) for s in settings]
        jobs += [(("png", id(self), SettingCache.key(s)), (lambda s=s: self.png(**s)))
                 for s in (settings if pictures is None else pictures)]
        return jobs

    def prepare_ahead(self, worker) -> None:
        """Plan the background work for the settings near this one: their results first (so a
        render that draws the settings tried sees them all), then their pictures."""
        settings = self.nearby()
        jobs = self._jobs(settings, [self.setting, *settings])
        self._ahead = [key for key, _ in jobs]
        if not settings:
            self.status.value = ""
            return
        self.status.value = (f"<small>preparing the {len(settings)} nearest settings in the "
                             f"background…</small>")
        if self._refresh_status not in worker.on_idle:
            worker.on_idle.append(self._refresh_status)
        worker.plan(jobs, group=id(self), delay=AHEAD_DELAY_S)

    def _refresh_status(self) -> None:
        worker = background.worker()
        if worker is None or not self._ahead:
            return
        import html

        done = set(worker.done)
        ready = sum(1 for key in self._ahead if key[0] == "png" and key in done)
        total = sum(1 for key in self._ahead if key[0] == "png")
        failed = [worker.errors[key] for key in self._ahead if key in worker.errors]
        if worker.pending_in(id(self)):
            return
        words = (f"{ready} of {total} nearby settings ready" if ready < total else
                 f"all {total} nearby settings ready")
        if failed:
            words += (f"; {len(failed)} could not be prepared in the background "
                      f"({html.escape(failed[0])})")
        self.status.value = f"<small>{words}</small>"

    def _on_change(self, change) -> None:
        try:
            self.update()
        except KeyboardInterrupt:  # Ctrl-C while a setting trained: nothing half-done is kept
            self.last_error = "interrupted"
            self.output.outputs = ()
            self.output.append_stderr(
                f"Stopped while preparing the setting {self.setting}; nothing of it was kept. "
                f"Move a control to try again.\n")

    def _repr_mimebundle_(self, include=None, exclude=None):
        from aekit.site.frames import export_mode

        if export_mode():
            return self._export_bundle()
        bundle = self.widget._repr_mimebundle_(include=include, exclude=exclude)
        try:
            bundle["image/png"] = base64.b64encode(self.png()).decode("ascii")
        except Exception:  # the widget shows the error; the static copy is simply left out
            pass
        bundle["text/plain"] = f"{self.title or 'explorer'} (a static picture of {self.setting})"
        return bundle
