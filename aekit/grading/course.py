"""The course folder: where it is, which assignments it holds, and reading its notebooks."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import nbformat


def find_course(course: str | os.PathLike | None = None) -> Path:
    """The course folder: ``course`` if given, else the current folder or ``lessons/assignments``.

    Raises FileNotFoundError, saying where to run from, if no ``nbgrader_config.py`` is found.
    """
    candidates = [Path(course)] if course else [Path.cwd(), Path.cwd() / "lessons" / "assignments"]
    for folder in candidates:
        if (folder / "nbgrader_config.py").is_file():
            return folder.resolve()
    where = course or "the current folder or lessons/assignments"
    raise FileNotFoundError(f"no nbgrader_config.py in {where}: run from the repository root, or "
                            f"pass --course with the folder that holds source/ and nbgrader_config.py")


def assignment_names(course: Path) -> list[str]:
    """The assignments in ``source/``: every folder holding a notebook."""
    return sorted(p.name for p in (course / "source").iterdir()
                  if p.is_dir() and any(p.glob("*.ipynb")))


def check_names(course: Path, names: Sequence[str] | None) -> list[str]:
    """``names`` (default: every assignment), or ValueError naming the unknown ones."""
    known = assignment_names(course)
    names = list(names) if names else known
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(f"unknown assignment(s) {unknown}; the course has {known}")
    return names


def read_notebook(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(str(path), as_version=4)
