"""Pieces shared by the grading tests: nbgrader cells, notebooks and released course copies."""
from __future__ import annotations

import shutil
from pathlib import Path

import nbformat

COURSE = Path(__file__).resolve().parents[2] / "lessons" / "assignments"


def nbgrader_cell(kind: str, source: str, gid: str | None = None, **meta):
    """A code or markdown cell; with ``gid``, nbgrader metadata (``grade=True``, ...) too."""
    new = nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
    cell = new(source, id=gid or "intro")
    if gid:
        cell.metadata["nbgrader"] = {"grade_id": gid, "schema_version": 3, "task": False,
                                     "grade": False, "solution": False, "locked": False, **meta}
    return cell


def notebook(cells):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = list(cells)
    return nb


def released_course(folder: Path, release) -> Path:
    """``folder`` made a copy of the course's source/ and config, released with ``release``."""
    shutil.copytree(COURSE / "source", folder / "source")
    shutil.copy(COURSE / "nbgrader_config.py", folder)
    release(folder)
    return folder


def assignment_copy(root: Path, base: Path, name: str):
    """A copy of the released course ``base`` for grading ``name``: (folder, release, source)."""
    course = root / name
    shutil.copytree(base, course)
    read = lambda step: nbformat.read(str(course / step / name / f"{name}.ipynb"), as_version=4)  # noqa: E731
    return course, read("release"), read("source")
