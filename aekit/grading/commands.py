"""The instructor's commands around grading: release, validate, collect and feedback."""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Sequence

from nbgrader.validator import Validator

from aekit.grading.autograde import failure_reason
from aekit.grading.course import check_names, find_course, read_notebook
from aekit.grading.plugins import LOG, make_api, make_config
from aekit.grading.structure import find_leaks

__all__ = ["release", "validate", "collect", "feedback"]

_STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]*$")


def release(course: str | os.PathLike | None = None, names: Sequence[str] | None = None) -> list[Path]:
    """Generate the student version of each assignment in ``release/`` and check it for leaks.

    Returns the released notebooks. Raises RuntimeError if nbgrader fails, or if any line of
    a solution or hidden test reached the release (the release is then removed).
    """
    course = find_course(course)
    api = make_api(course)
    written = []
    for name in check_names(course, names):
        result = api.generate_assignment(name, force=True, create=True)
        if not result["success"]:
            raise RuntimeError(f"nbgrader could not generate '{name}':\n{result.get('log', '')}"
                               f"{result.get('error', '')}")
        for src in sorted((course / "source" / name).glob("*.ipynb")):
            out = course / "release" / name / src.name
            leaks = find_leaks(read_notebook(src), read_notebook(out))
            if leaks:
                shutil.rmtree(course / "release" / name)
                raise RuntimeError(f"{src.name}: solution or hidden-test text reached the release "
                                   f"(removed it): {leaks[:5]}; check the BEGIN/END markers")
            written.append(out)
    return written


def validate(course: str | os.PathLike | None = None, names: Sequence[str] | None = None,
             only: str | None = None, cell_timeout: int | None = None) -> dict[str, list[str]]:
    """Check that each solution passes all its tests and each untouched release fails all.

    ``only`` is "source" or "release" to run one of the two checks. Returns the problems found
    per notebook (an empty dict when all is well).
    """
    if only not in (None, "source", "release"):
        raise ValueError(f"only must be 'source', 'release' or None, got {only!r}")
    course = find_course(course)
    config = make_config(course, cell_timeout=cell_timeout)
    problems: dict[str, list[str]] = {}
    for name in check_names(course, names):
        for step in ("source", "release"):
            if only and step != only:
                continue
            notebooks = sorted((course / step / name).glob("*.ipynb"))
            if step == "release" and not notebooks:
                problems[f"release/{name}"] = ["no release yet: run `python -m aekit.grading release`"]
            for path in notebooks:
                validator = Validator(config=config, log=LOG)
                validator.invert = step == "release"
                found = validator.validate(str(path))
                lines = [f"{kind}: {entry['source'].splitlines()[0][:70] if entry['source'] else ''}"
                         + (f" -> {entry['raw_error'].strip().splitlines()[-1][:120]}"
                            if entry.get("raw_error") else "")
                         for kind, entries in found.items() for entry in entries]
                if lines:
                    problems[f"{step}/{name}/{path.name}"] = lines
    return problems


def collect(course: str | os.PathLike | None, name: str, folder: str | os.PathLike) -> list[tuple[str, str]]:
    """Copy the submissions in ``folder`` to ``submitted/<student>/<name>/``.

    ``folder`` holds one sub-folder per student (named by the student id, with the notebooks
    inside) or one ``<student>.ipynb`` per student for a one-notebook assignment. A lone
    notebook with another name is renamed to the assignment's. Returns (student, note) pairs;
    entries that cannot be used are reported with a note and skipped.
    """
    course = find_course(course)
    name = check_names(course, [name])[0]
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"no folder {folder}: pass the folder that holds the submissions")
    expected = sorted(p.name for p in (course / "source" / name).glob("*.ipynb"))
    report = []
    for entry in sorted(folder.iterdir()):
        student = entry.stem if entry.is_file() else entry.name
        if entry.name.startswith(".") or (entry.is_file() and entry.suffix != ".ipynb"):
            continue
        if not _STUDENT_ID.match(student):
            report.append((student, "skipped: a student id may use letters, digits, _ . @ - only"))
            continue
        found = [entry] if entry.is_file() else sorted(entry.rglob("*.ipynb"))
        found = [p for p in found if ".ipynb_checkpoints" not in p.parts]
        if not found:
            report.append((student, "skipped: no notebook found"))
            continue
        notes = []
        chosen = {p.name: p for p in found if p.name in expected}
        if not chosen and len(found) == 1 and len(expected) == 1:
            chosen = {expected[0]: found[0]}
            if entry.is_dir():  # a <student>.ipynb file is the expected layout: nothing to say
                notes.append(f"renamed {found[0].name} to {expected[0]}")
        missing = [n for n in expected if n not in chosen]
        if missing:
            notes.append(f"missing {', '.join(missing)}")
        dest = course / "submitted" / student / name
        if dest.exists():
            notes.append("replaced an earlier submission")
            shutil.rmtree(dest)
        dest.mkdir(parents=True)
        for target, src in chosen.items():
            shutil.copyfile(src, dest / target)
        report.append((student, "; ".join(notes) or "ok"))
    return report


def feedback(course: str | os.PathLike | None, name: str,
             students: Sequence[str] | None = None) -> list[Path]:
    """Write HTML feedback for each autograded student; hidden tests are left out.

    Returns the feedback files. Raises RuntimeError naming the students nbgrader failed on
    (after doing all the others).
    """
    course = find_course(course)
    name = check_names(course, [name])[0]
    graded = sorted(p.parent.name for p in (course / "autograded").glob(f"*/{name}") if p.is_dir())
    students = list(students) if students else graded
    api = make_api(course)
    failed = []
    for student in students:
        result = api.generate_feedback(name, student, force=True)
        if not result["success"]:
            failed.append(f"{student}: {failure_reason(result)}")
    if failed:
        raise RuntimeError("feedback failed for " + "; ".join(failed))
    return sorted(p for s in students for p in (course / "feedback" / s / name).glob("*.html"))


