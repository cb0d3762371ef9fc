"""Cleaning executed notebooks before they are kept: the saved lessons (``python
tools/notebooks.py save``) and the site's pages (:mod:`aekit.site.build`) go through
:func:`clean_notebook`, which removes what makes committed notebooks large, noisy or broken
on reopening: saved widget state, widget views (the static picture an explorer puts beside its
view is kept), progress bars and other stderr output, and execution timestamps.
"""
from __future__ import annotations

import os
from pathlib import Path

__all__ = ["clean_notebook", "write_clean", "WIDGET_VIEW", "WIDGET_STATE"]

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
# What an output may carry besides a widget view that is worth keeping without the widget.
_STATIC = ("image/png", "image/jpeg", "image/svg+xml", "text/html", "text/markdown",
           "text/latex")


def clean_notebook(nb):
    """Strip what should not be committed from an executed notebook, in place, and return it.

    Removes the notebook's saved widget state (``metadata.widgets``), widget views in outputs
    (keeping the static image/png, html and text/plain that explorers put in the same output;
    an output left with nothing but plain text beside its view, such as a tqdm bar, is dropped),
    stderr streams (progress bars, warnings), execution timestamps (``metadata.execution``),
    and merges consecutive stdout streams so diffs stay line-based.

    Parameters
    ----------
    nb : an ``nbformat.NotebookNode`` (or a dict with the same layout), version 4.

    Returns
    -------
    The same notebook object, cleaned.
    """
    if not isinstance(nb, dict) or "cells" not in nb:
        raise TypeError("clean_notebook expects a notebook (nbformat.NotebookNode or dict with "
                        f"a 'cells' list), got {type(nb).__name__}; read it with nbformat.read")
    nb.get("metadata", {}).pop("widgets", None)
    for cell in nb["cells"]:
        cell.get("metadata", {}).pop("execution", None)
        if cell.get("cell_type") != "code":
            continue
        kept = []
        for out in cell.get("outputs", []):
            kind = out.get("output_type")
            if kind == "stream":
                if out.get("name") == "stderr":
                    continue
                if kept and kept[-1].get("output_type") == "stream" and \
                        kept[-1].get("name") == out.get("name"):
                    kept[-1]["text"] = _text(kept[-1]["text"]) + _text(out["text"])
                    continue
            elif kind in ("display_data", "execute_result"):
                data = out.get("data", {})
                had_widget = WIDGET_VIEW in data or WIDGET_STATE in data
                data.pop(WIDGET_VIEW, None)
                data.pop(WIDGET_STATE, None)
                if had_widget and not any(k in data for k in _STATIC):
                    continue
                if not data:
                    continue
                out.get("metadata", {}).pop(WIDGET_VIEW, None)
            kept.append(out)
        cell["outputs"] = kept
    return nb


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def write_clean(nb, path: str | os.PathLike) -> None:
    """Clean ``nb`` and write it to ``path`` atomically (a temporary file, then a rename)."""
    import nbformat

    path = Path(path)
    clean_notebook(nb)
    nbformat.validate(nb)
    tmp = path.with_name(f".{path.name}.tmp")
    nbformat.write(nb, tmp)
    os.replace(tmp, path)
