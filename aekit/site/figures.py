"""Alt text for every figure a lesson shows, in export mode.

A figure left as a cell's value (or passed to ``display``) becomes an ``image/png`` output.
In export mode the formatter that draws it is wrapped so the output also carries
``{"alt": ...}`` in its metadata, made from the figure's titles and axis labels; the site
build turns that into the page's ``alt`` attribute. The wrapper is put back before each cell
runs, because ``%matplotlib inline`` replaces the formatter.
"""
from __future__ import annotations

from matplotlib.figure import Figure

__all__ = ["describe_figure", "install"]


def describe_figure(fig: Figure) -> str:
    """A one-line description: the title, then each panel's title and axis labels."""
    parts = []
    title = fig.get_suptitle().strip()
    panels = []
    for ax in fig.get_axes():
        if not ax.get_visible() or getattr(ax, "_colorbar", None) is not None:
            continue
        bits = [ax.get_title().strip()]
        xlabel, ylabel = ax.get_xlabel().strip(), ax.get_ylabel().strip()
        if xlabel or ylabel:
            bits.append(f"{ylabel or 'value'} against {xlabel or 'x'}")
        text = ", ".join(b for b in bits if b)
        if text and text not in panels:
            panels.append(text)
    if title:
        parts.append(title)
    parts.extend(panels[:6])
    if not parts:
        return f"Figure with {len(fig.get_axes())} panels"
    return "Figure: " + "; ".join(parts)


def _wrap(formatter):
    def figure_with_alt(fig: Figure):
        data = formatter(fig)
        if isinstance(data, tuple):
            data = data[0]
        return data, {"alt": describe_figure(fig)}

    figure_with_alt.aekit_alt = True
    return figure_with_alt


def _ensure(shell) -> None:
    png = shell.display_formatter.formatters["image/png"]
    try:
        current = png.lookup_by_type(Figure)
    except KeyError:
        return
    if not getattr(current, "aekit_alt", False):
        png.for_type(Figure, _wrap(current))


def install() -> None:
    """Wrap the Figure formatter of the running IPython (nothing outside IPython)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None or getattr(shell, "_aekit_alt_installed", False):
        return
    shell._aekit_alt_installed = True
    _ensure(shell)
    shell.events.register("pre_run_cell", lambda *_: _ensure(shell))
    shell.events.register("post_run_cell", lambda *_: _ensure(shell))
