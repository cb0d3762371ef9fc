"""Instructor commands for the graded assignments (nbgrader), robust to broken submissions.

Run from the repository root (the course folder is ``lessons/assignments``; ``--course DIR``
points elsewhere)::

    python -m aekit.grading release                     # source/ -> release/ (what students get)
    python -m aekit.grading validate                    # solutions pass; untouched release scores 0
    python -m aekit.grading collect kl_sparsity DOWNLOADS/   # one folder or notebook per student
    python -m aekit.grading autograde kl_sparsity       # grade submitted/*/kl_sparsity, print a table
    python -m aekit.grading feedback kl_sparsity        # feedback/<student>/kl_sparsity/*.html

Plain nbgrader grades a notebook by running it and giving a test cell its points when it
raises no error. Around that, ``autograde`` makes sure that a submission never earns marks it
did not earn, and that one broken notebook never stops the batch:

- each notebook runs under a time limit (``--timeout``, whole notebook) and a per-cell limit;
  a notebook that hits either (an endless loop) scores zero;
- a notebook whose kernel dies (``os._exit``, out of memory) or that cannot be read scores
  zero, and the grades of an earlier attempt are not kept;
- graded cells that were deleted, moved or changed to another cell type score zero;
- a graded cell that was never executed scores zero;
- every such case is flagged in the summary table (also saved as
  ``autograded/summary_<assignment>.csv``), marked "needs manual grade" in nbgrader's
  gradebook, and explained to the student at the top of their feedback.

Feedback never shows hidden tests: their code is removed, and the traceback of a failed test
cell is reduced to its message.
"""
from __future__ import annotations

import argparse
import csv
import logging
import math
import os
import re
import shutil
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

try:
    import nbformat
    from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
    from nbgrader.api import Gradebook, MissingEntry
    from nbgrader.apps import NbGraderAPI
    from nbgrader.converters import Autograde
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.preprocessors import ClearHiddenTests, Execute, GetGrades, NbGraderPreprocessor
    from nbgrader.validator import Validator
    from traitlets import Integer
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader
except ImportError as error:  # pragma: no cover - depends on the environment
    raise ImportError(
        f"aekit.grading needs nbgrader ({error}). Install the course's lab extras: "
        f"pip install -e '.[lab]' (or run `make lab` once).") from error

__all__ = [
    "SubmissionResult", "CellIssue", "find_course", "assignment_names", "release", "find_leaks",
    "validate", "collect", "check_structure", "autograde", "feedback", "format_table", "main",
]

DEFAULT_TIMEOUT = 600       # seconds for a whole notebook
DEFAULT_CELL_TIMEOUT = 180  # seconds for one cell
TIME_LIMIT = "NotebookTimeLimit"
TIMEOUT_ERRORS = {"CellTimeoutError", TIME_LIMIT}
_STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]*$")

# nbgrader's log goes here: silent on the console, captured per submission (--verbose shows it).
_LOG = logging.getLogger("aekit.grading.nbgrader")
_LOG.addHandler(logging.NullHandler())
_LOG.propagate = False
_LOG.setLevel(logging.WARNING)


# --------------------------------------------------------------------------- nbgrader plug-ins
class TimedExecute(Execute):
    """nbgrader's Execute with a time limit for the whole notebook, not only for each cell.

    Each cell may run for ``timeout`` seconds but never past the notebook's deadline; once the
    deadline has passed, the remaining code cells are not run and get a ``NotebookTimeLimit``
    error (so a test cell cannot pass by not running).
    """

    notebook_timeout = Integer(DEFAULT_TIMEOUT, help="Seconds for the whole notebook.").tag(config=True)
    _deadline = None  # set when the first cell starts: starting the kernel does not count

    def preprocess(self, nb, resources=None, km=None):
        self._deadline = None
        return super().preprocess(nb, resources, km=km)

    def _get_timeout(self, cell):
        if self._deadline is None or cell is None:
            return super()._get_timeout(cell)
        left = self._deadline - time.monotonic()
        limit = left if not self.timeout or self.timeout < 0 else min(self.timeout, left)
        return max(1, math.ceil(limit))

    def preprocess_cell(self, cell, resources, index):
        if self._deadline is None:
            self._deadline = time.monotonic() + self.notebook_timeout
        if cell.cell_type == "code" and cell.source.strip() and time.monotonic() >= self._deadline:
            cell.outputs = [nbformat.v4.new_output(
                "error", ename=TIME_LIMIT, evalue=f"not run: the notebook used up its "
                f"{self.notebook_timeout} s time limit", traceback=[])]
            cell.execution_count = None
            return cell, resources
        return super().preprocess_cell(cell, resources, index)


class HideTestTracebacks(NbGraderPreprocessor):
    """Reduce the traceback of a failed test cell to its last line (``Error: message``).

    The full traceback quotes the failing line of the test, which may be a hidden test.
    """

    def preprocess_cell(self, cell, resources, index):
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("grade") and not meta.get("solution"):
            for out in cell.get("outputs", []):
                if out.output_type == "error":
                    out.traceback = [f"{out.ename}: {out.evalue}"]
        return cell, resources


# --------------------------------------------------------------------------- results
@dataclass
class CellIssue:
    """A graded or read-only cell that a submission deleted, moved, retyped, duplicated or edited."""

    grade_id: str
    problem: str
    points: float = 0.0

    def __str__(self) -> str:
        what = {"deleted": "was deleted", "moved": "was moved out of its place",
                "retyped": "had its cell type changed", "duplicated": "appears more than once",
                "edited": "was edited (restored from the original before grading)"}[self.problem]
        return f"cell '{self.grade_id}' {what}"

    @property
    def forfeits(self) -> bool:
        """True if the cell's points are lost (a graded cell deleted, moved or retyped)."""
        return self.points > 0 and self.problem in ("deleted", "moved", "retyped")


@dataclass
class SubmissionResult:
    """The outcome of grading one student's submission of one assignment."""

    student: str
    assignment: str
    score: float = 0.0
    max_score: float = 0.0
    seconds: float = 0.0
    flags: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)   # grade ids that scored less than full marks
    cell_scores: dict[str, float] = field(default_factory=dict)

    @property
    def flagged(self) -> bool:
        return bool(self.flags)


# --------------------------------------------------------------------------- course folder
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


def _check_names(course: Path, names: Sequence[str] | None) -> list[str]:
    known = assignment_names(course)
    names = list(names) if names else known
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(f"unknown assignment(s) {unknown}; the course has {known}")
    return names


def _config(course: Path, timeout: int | None = None, cell_timeout: int | None = None) -> Config:
    config = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    config.CourseDirectory.root = str(course)
    if cell_timeout is not None:
        config.Execute.timeout = int(cell_timeout)
    elif "timeout" not in config.Execute:
        config.Execute.timeout = DEFAULT_CELL_TIMEOUT
    config.TimedExecute.notebook_timeout = int(timeout or DEFAULT_TIMEOUT)
    config.Autograde.autograde_preprocessors = [
        TimedExecute if pp is Execute else pp for pp in Autograde.autograde_preprocessors.default()]
    config.GenerateFeedback.preprocessors = [GetGrades, ClearHiddenTests, HideTestTracebacks,
                                             CSSHTMLHeaderPreprocessor]
    return config


def _api(course: Path, **limits) -> NbGraderAPI:
    # nbgrader runs the `alembic` executable of the environment it is installed in.
    bindir = str(Path(sys.executable).parent)
    if bindir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")
    config = _config(course, **limits)
    return NbGraderAPI(CourseDirectory(config=config, log=_LOG), config=config, log=_LOG)


def _read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(str(path), as_version=4)


def _nbgrader(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def _tracked(nb) -> list[tuple[str, dict]]:
    """(grade_id, cell) of the cells nbgrader tracks: graded, solution or read-only."""
    out = []
    for cell in nb.cells:
        meta = _nbgrader(cell)
        if meta.get("grade_id") and (meta.get("grade") or meta.get("solution") or meta.get("locked")):
            out.append((meta["grade_id"], cell))
    return out


# --------------------------------------------------------------------------- release
_REGIONS = (("BEGIN SOLUTION", "END SOLUTION"), ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS"))


def find_leaks(source_nb, release_nb, min_length: int = 12) -> list[str]:
    """Lines of solutions or hidden tests in ``source_nb`` that appear as lines of ``release_nb``.

    Lines shorter than ``min_length`` characters, and lines that also appear outside those
    regions in the source (shared imports, ``return`` statements), are not counted.
    """
    secret, public = set(), set()
    for cell in source_nb.cells:
        inside = None
        for line in cell.source.splitlines():
            text = line.strip()
            if inside is None and any(begin in text for begin, _ in _REGIONS):
                inside = next(end for begin, end in _REGIONS if begin in text)
            elif inside is not None and inside in text:
                inside = None
            elif text:
                (secret if inside else public).add(text)
    released = "\n".join(cell.source for cell in release_nb.cells)
    released_lines = {line.strip() for line in released.splitlines()}
    leaks = [marker for pair in _REGIONS for marker in pair if marker in released]
    return leaks + sorted(line for line in secret - public
                          if len(line) >= min_length and line in released_lines)


def release(course: str | os.PathLike | None = None, names: Sequence[str] | None = None) -> list[Path]:
    """Generate the student version of each assignment in ``release/`` and check it for leaks.

    Returns the released notebooks. Raises RuntimeError if nbgrader fails, or if any line of
    a solution or hidden test reached the release (the release is then removed).
    """
    course = find_course(course)
    api = _api(course)
    written = []
    for name in _check_names(course, names):
        result = api.generate_assignment(name, force=True, create=True)
        if not result["success"]:
            raise RuntimeError(f"nbgrader could not generate '{name}':\n{result.get('log', '')}"
                               f"{result.get('error', '')}")
        for src in sorted((course / "source" / name).glob("*.ipynb")):
            out = course / "release" / name / src.name
            leaks = find_leaks(_read(src), _read(out))
            if leaks:
                shutil.rmtree(course / "release" / name)
                raise RuntimeError(f"{src.name}: solution or hidden-test text reached the release "
                                   f"(removed it): {leaks[:5]}; check the BEGIN/END markers")
            written.append(out)
    return written


# --------------------------------------------------------------------------- validate
def validate(course: str | os.PathLike | None = None, names: Sequence[str] | None = None,
             only: str | None = None, cell_timeout: int | None = None) -> dict[str, list[str]]:
    """Check that each solution passes all its tests and each untouched release fails all.

    ``only`` is "source" or "release" to run one of the two checks. Returns the problems found
    per notebook (an empty dict when all is well).
    """
    if only not in (None, "source", "release"):
        raise ValueError(f"only must be 'source', 'release' or None, got {only!r}")
    course = find_course(course)
    config = _config(course, cell_timeout=cell_timeout)
    problems: dict[str, list[str]] = {}
    for name in _check_names(course, names):
        for step in ("source", "release"):
            if only and step != only:
                continue
            notebooks = sorted((course / step / name).glob("*.ipynb"))
            if step == "release" and not notebooks:
                problems[f"release/{name}"] = ["no release yet: run `python -m aekit.grading release`"]
            for path in notebooks:
                validator = Validator(config=config, log=_LOG)
                validator.invert = step == "release"
                found = validator.validate(str(path))
                lines = [f"{kind}: {entry['source'].splitlines()[0][:70] if entry['source'] else ''}"
                         + (f" -> {entry['raw_error'].strip().splitlines()[-1][:120]}"
                            if entry.get("raw_error") else "")
                         for kind, entries in found.items() for entry in entries]
                if lines:
                    problems[f"{step}/{name}/{path.name}"] = lines
    return problems


# --------------------------------------------------------------------------- collect
def collect(course: str | os.PathLike | None, name: str, folder: str | os.PathLike) -> list[tuple[str, str]]:
    """Copy the submissions in ``folder`` to ``submitted/<student>/<name>/``.

    ``folder`` holds one sub-folder per student (named by the student id, with the notebooks
    inside) or one ``<student>.ipynb`` per student for a one-notebook assignment. A lone
    notebook with another name is renamed to the assignment's. Returns (student, note) pairs;
    entries that cannot be used are reported with a note and skipped.
    """
    course = find_course(course)
    name = _check_names(course, [name])[0]
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


# --------------------------------------------------------------------------- structure checks
def _longest_increasing(seq: list[int]) -> set[int]:
    """Positions of one longest strictly increasing subsequence of ``seq``."""
    best = [1] * len(seq)
    prev = [-1] * len(seq)
    for i in range(len(seq)):
        for j in range(i):
            if seq[j] < seq[i] and best[j] + 1 > best[i]:
                best[i], prev[i] = best[j] + 1, j
    keep, i = set(), max(range(len(seq)), key=best.__getitem__) if seq else -1
    while i >= 0:
        keep.add(i)
        i = prev[i]
    return keep


def check_structure(reference_nb, submitted_nb) -> list[CellIssue]:
    """Compare a submission's tracked cells with the released notebook's.

    Reports cells that were deleted (or lost their metadata by copy and paste), moved out of
    order, changed to another cell type, duplicated, or edited though read-only.
    """
    ref = _tracked(reference_nb)
    order = {gid: i for i, (gid, _) in enumerate(ref)}
    ref_cells = dict(ref)
    points = {gid: float(_nbgrader(c).get("points", 0) or 0) if _nbgrader(c).get("grade") else 0.0
              for gid, c in ref}
    sub = [(gid, c) for gid, c in _tracked(submitted_nb) if gid in order]
    issues, last = [], {}
    for gid, cell in sub:
        if gid in last:
            issues.append(CellIssue(gid, "duplicated", points[gid]))
        last[gid] = cell  # nbgrader keeps the last copy
    issues = list({i.grade_id: i for i in issues}.values())
    issues += [CellIssue(gid, "deleted", points[gid]) for gid, _ in ref if gid not in last]
    present = [gid for gid in dict.fromkeys(g for g, _ in reversed(sub))][::-1]  # last copies, in order
    keep = _longest_increasing([order[g] for g in present])
    issues += [CellIssue(g, "moved", points[g]) for i, g in enumerate(present) if i not in keep]
    for gid, cell in last.items():
        original = ref_cells[gid]
        if cell.cell_type != original.cell_type:
            issues.append(CellIssue(gid, "retyped", points[gid]))
        elif _nbgrader(original).get("locked") and cell.source.strip() != original.source.strip():
            issues.append(CellIssue(gid, "edited", points[gid]))
    return issues


# --------------------------------------------------------------------------- autograde
def _failure_reason(result: dict) -> str:
    text = f"{result.get('log', '')}\n{result.get('error', '')}"
    if "DeadKernelError" in text or "Kernel died" in text:
        return "the kernel died while running it (os._exit, a crash or out of memory)"
    if "UnresponsiveKernelError" in text or "Timeout waiting" in text or "CellTimeoutError" in text:
        return "it ran past its time limit and the kernel did not stop when interrupted"
    lines = [ln for ln in text.strip().splitlines() if ln.strip() and not ln.startswith("[")]
    return f"nbgrader could not grade it ({lines[-1].strip()[:150] if lines else 'no message'})"


def _note_cell(messages: list[str]):
    text = ("**Grading note.** Your notebook was graded with these problems; ask your "
            "instructor if you think this is wrong:\n\n" + "\n".join(f"- {m}" for m in messages))
    return nbformat.v4.new_markdown_cell(text, id="grading-note")


def _placeholder(reference_nb, submitted_nb):
    """A gradable copy of a submission that nbgrader could not run: outputs cleared, no unknown ids."""
    known, seen = {gid for gid, _ in _tracked(reference_nb)}, set()
    nb = nbformat.v4.new_notebook(metadata=reference_nb.metadata)
    for cell in reversed(submitted_nb.cells if submitted_nb is not None else []):
        cell = nbformat.from_dict(dict(cell))
        gid = _nbgrader(cell).get("grade_id")
        if gid and (gid not in known or gid in seen):
            cell.metadata.pop("nbgrader", None)
        seen.add(gid)
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        nb.cells.insert(0, cell)
    return nb


def _zero(gb: Gradebook, assignment: str, notebook: str, student: str, grade_ids) -> None:
    for gid in grade_ids:
        try:
            grade = gb.find_grade(gid, notebook, assignment, student)
        except MissingEntry:
            continue
        grade.auto_score = 0.0
        grade.needs_manual_grade = True  # shows up for review in nbgrader's formgrader
    gb.db.commit()


def _grade_notebook(api, course: Path, name: str, student: str, nb_name: str,
                    reference, pre_flags: list[str], forfeit: list[str], result: dict | None) -> list[str]:
    """Check one autograded notebook, zero what was not earned, add the note; return flags."""
    flags = list(pre_flags)
    graded_ids = [gid for gid, c in _tracked(reference) if _nbgrader(c).get("grade")]
    out_path = course / "autograded" / student / name / f"{nb_name}.ipynb"
    zero_all = False
    if not out_path.exists():
        zero_all = True
        sub_path = course / "submitted" / student / name / f"{nb_name}.ipynb"
        if result is not None and sub_path.exists():
            flags.append(f"{nb_name}: scored 0 because {_failure_reason(result)}")
        try:
            submitted = _read(sub_path)
        except Exception:
            submitted = None
        nb = _placeholder(reference, submitted)
        out_path.parent.mkdir(parents=True, exist_ok=True)
    else:
        nb = _read(out_path)
        timed_out = [_nbgrader(c).get("grade_id") or f"number {i + 1}" for i, c in enumerate(nb.cells)
                     if c.cell_type == "code" and any(o.output_type == "error" and o.get("ename")
                                                      in TIMEOUT_ERRORS for o in c.get("outputs", []))]
        if timed_out:
            zero_all = True
            flags.append(f"{nb_name}: scored 0 because it ran past its time limit in cell "
                         f"'{timed_out[0]}' (an endless loop, or code far too slow)")
        for cell in nb.cells:
            meta = _nbgrader(cell)
            if (meta.get("grade") and not meta.get("solution") and cell.cell_type == "code"
                    and cell.source.strip() and cell.get("execution_count") is None
                    and not cell.get("outputs")):
                forfeit.append(meta["grade_id"])
                flags.append(f"{nb_name}: cell '{meta['grade_id']}' was never run; scored 0")
            outputs = cell.get("outputs", [])
            if (meta.get("grade") and cell.cell_type == "code"
                    and not any(o.output_type == "error" for o in outputs)
                    and any(o.output_type == "stream" and o.name == "stderr" for o in outputs)):
                flags.append(f"{nb_name}: cell '{meta['grade_id']}' raised no error but wrote to "
                             f"stderr (a warning?), which nbgrader scores 0: review it")
    with Gradebook(api.coursedir.db_url, api.coursedir.course_id) as gb:
        try:
            gb.find_submission(name, student)
        except MissingEntry:  # nbgrader never got as far as recording it
            gb.update_or_create_student(student)
            gb.update_or_create_submission(name, student)
        _zero(gb, name, nb_name, student, graded_ids if zero_all else forfeit)
    if flags:
        nb.cells.insert(0, _note_cell([f.split(": ", 1)[-1] for f in flags]))
    nbformat.write(nb, str(out_path))
    return flags


def autograde(course: str | os.PathLike | None, name: str, students: Sequence[str] | None = None,
              timeout: int = DEFAULT_TIMEOUT, cell_timeout: int | None = None,
              log: list[str] | None = None) -> list[SubmissionResult]:
    """Autograde every submission of ``name`` (or only ``students``); one failure never stops the rest.

    Parameters
    ----------
    course : the course folder (None: find it from the current folder).
    timeout : seconds for one whole notebook; past it the notebook scores 0.
    cell_timeout : seconds for one cell (default: nbgrader_config.py's ``Execute.timeout``).
    log : if a list, nbgrader's log of each submission is appended to it.

    Returns
    -------
    list of SubmissionResult, one per student, with score, flags and the cells that lost marks.
    """
    course = find_course(course)
    name = _check_names(course, [name])[0]
    if not isinstance(timeout, int) or timeout < 1:
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
    references = {p.stem: _read(p) for p in sorted((course / "release" / name).glob("*.ipynb"))}
    if not references:
        raise FileNotFoundError(f"release/{name} is empty: run `python -m aekit.grading release {name}` first")
    submitted = course / "submitted"
    found = sorted(p.parent.name for p in submitted.glob(f"*/{name}") if p.is_dir())
    students = list(students) if students else found
    missing = [s for s in students if s not in found]
    if missing:
        raise FileNotFoundError(f"no submission of '{name}' from {missing} in {submitted}")
    api = _api(course, timeout=timeout, cell_timeout=cell_timeout)
    results = []
    for student in students:
        start = time.perf_counter()
        try:
            result = _grade_student(api, course, name, student, references, log)
        except Exception as error:  # a bug or a broken gradebook: never stop the batch
            result = SubmissionResult(student, name, flags=[
                f"could not be graded ({type(error).__name__}: {error}); its scores were set to "
                f"0 where possible: review it"])
            try:
                with Gradebook(api.coursedir.db_url, api.coursedir.course_id) as gb:
                    for nb_name, reference in references.items():
                        _zero(gb, name, nb_name, student,
                              [g for g, c in _tracked(reference) if _nbgrader(c).get("grade")])
            except Exception:  # the flag above already asks for a review
                pass
        result.seconds = time.perf_counter() - start
        results.append(result)
    _write_summary(course, name, results)
    return results


def _grade_student(api, course: Path, name: str, student: str, references: dict,
                   log: list[str] | None) -> SubmissionResult:
    """Check, autograde and post-check one student's submission."""
    pre: dict[str, list[str]] = {}
    forfeit: dict[str, list[str]] = {}
    readable = True
    for nb_name, reference in references.items():
        path = course / "submitted" / student / name / f"{nb_name}.ipynb"
        pre[nb_name], forfeit[nb_name] = [], []
        if not path.exists():
            pre[nb_name].append(f"{nb_name}: not submitted; scored 0")
            continue
        try:
            nb = _read(path)
        except Exception as error:  # not JSON, not a notebook
            readable = False
            pre[nb_name].append(f"{nb_name}: scored 0 because the file is not a readable "
                                f"notebook ({type(error).__name__})")
            continue
        for issue in check_structure(reference, nb):
            pre[nb_name].append(f"{nb_name}: {issue}" + ("; scored 0" if issue.forfeits else ""))
            if issue.forfeits:
                forfeit[nb_name].append(issue.grade_id)
    outcome = None
    if readable:
        outcome = api.autograde(name, student, force=True, create=True)
        if log is not None:
            log.append(f"== {student}\n{outcome.get('log', '')}{outcome.get('error', '')}")
    else:  # nbgrader would fail on it; record the submission and grade it 0 ourselves
        shutil.rmtree(course / "autograded" / student / name, ignore_errors=True)
    flags = []
    for nb_name, reference in references.items():
        flags += _grade_notebook(api, course, name, student, nb_name, reference,
                                 pre[nb_name], forfeit[nb_name], outcome)
    return _result(api, name, student, flags)


def _result(api, name: str, student: str, flags: list[str]) -> SubmissionResult:
    res = SubmissionResult(student, name, flags=flags)
    with Gradebook(api.coursedir.db_url, api.coursedir.course_id) as gb:
        submission = gb.find_submission(name, student)
        for notebook in submission.notebooks:
            for grade in notebook.grades:
                if grade.max_score:
                    res.cell_scores[grade.name] = float(grade.score)
                    if grade.score < grade.max_score:
                        res.lost.append(grade.name)
        res.score, res.max_score = float(submission.score), float(submission.max_score)
    return res


def format_table(results: Sequence[SubmissionResult]) -> str:
    """A plain-text table: student, score, status and the flags, one row per submission."""
    width = max([len("student")] + [len(r.student) for r in results])
    lines = [f"{'student':<{width}}  {'score':>11}  {'time':>5}  status   notes"]
    for r in results:
        status = "FLAGGED" if r.flagged else "ok"
        note = "; ".join(r.flags) if r.flags else (
            f"lost marks in: {', '.join(r.lost)}" if r.lost else "")
        lines.append(f"{r.student:<{width}}  {r.score:>5.1f}/{r.max_score:<5.1f}  {r.seconds:>4.0f}s"
                     f"  {status:<7}  {note}")
    flagged = sum(r.flagged for r in results)
    lines.append(f"{len(results)} submission(s); {flagged} flagged for review"
                 + (" (scores of flagged cells are set to 0 and marked 'needs manual grade')"
                    if flagged else ""))
    return "\n".join(lines)


def _write_summary(course: Path, name: str, results: Sequence[SubmissionResult]) -> Path:
    path = course / "autograded" / f"summary_{name}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["student", "score", "max_score", "seconds", "status", "flags",
                         "lost_marks_in"])
        for r in results:
            writer.writerow([r.student, r.score, r.max_score, round(r.seconds, 1),
                             "FLAGGED" if r.flagged else "ok", " | ".join(r.flags), " ".join(r.lost)])
    return path


# --------------------------------------------------------------------------- feedback
def feedback(course: str | os.PathLike | None, name: str,
             students: Sequence[str] | None = None) -> list[Path]:
    """Write HTML feedback for each autograded student; hidden tests are left out.

    Returns the feedback files. Raises RuntimeError naming the students nbgrader failed on
    (after doing all the others).
    """
    course = find_course(course)
    name = _check_names(course, [name])[0]
    graded = sorted(p.parent.name for p in (course / "autograded").glob(f"*/{name}") if p.is_dir())
    students = list(students) if students else graded
    api = _api(course)
    failed = []
    for student in students:
        result = api.generate_feedback(name, student, force=True)
        if not result["success"]:
            failed.append(f"{student}: {_failure_reason(result)}")
    if failed:
        raise RuntimeError("feedback failed for " + "; ".join(failed))
    return sorted(p for s in students for p in (course / "feedback" / s / name).glob("*.html"))


# --------------------------------------------------------------------------- command line
def main(argv: Sequence[str] | None = None) -> int:
    """``python -m aekit.grading COMMAND ...``; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m aekit.grading", description=__doc__.split("\n")[0])
    parser.add_argument("--course", help="course folder (default: ./ or lessons/assignments)")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("release", help="generate the student version in release/")
    p.add_argument("names", nargs="*", help="assignments (default: all)")
    p = sub.add_parser("validate", help="solutions pass all tests; the untouched release fails all")
    p.add_argument("names", nargs="*")
    p.add_argument("--only", choices=["source", "release"])
    p = sub.add_parser("collect", help="copy a folder of submissions into submitted/")
    p.add_argument("name")
    p.add_argument("folder")
    p = sub.add_parser("autograde", help="grade submitted/*/NAME and print a summary table")
    p.add_argument("name")
    p.add_argument("--student", action="append", help="only this student (repeatable)")
    p.add_argument("--timeout", type=int, default=DEFAULT_TIMEOUT, help="seconds per notebook")
    p.add_argument("--cell-timeout", type=int, help="seconds per cell")
    p.add_argument("--verbose", action="store_true", help="print nbgrader's log")
    p = sub.add_parser("feedback", help="write HTML feedback to feedback/<student>/NAME/")
    p.add_argument("name")
    p.add_argument("--student", action="append")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore", module="nbgrader")  # its database layer warns on every run
    try:
        course = find_course(args.course)
        if args.command == "release":
            for path in release(course, args.names):
                print(f"released {path.relative_to(course)}")
        elif args.command == "validate":
            problems = validate(course, args.names, only=args.only)
            for where, lines in problems.items():
                print(f"PROBLEM {where}:\n  " + "\n  ".join(lines))
            if problems:
                return 1
            print("ok: every solution passes its tests and every untouched release fails them")
        elif args.command == "collect":
            for student, note in collect(course, args.name, args.folder):
                print(f"{student}: {note}")
        elif args.command == "autograde":
            log: list[str] = []
            results = autograde(course, args.name, args.student, timeout=args.timeout,
                                cell_timeout=args.cell_timeout, log=log)
            if args.verbose:
                print("\n".join(log))
            print(format_table(results))
            print(f"saved autograded/summary_{args.name}.csv")
        elif args.command == "feedback":
            for path in feedback(course, args.name, args.student):
                print(f"wrote {path.relative_to(course)}")
    except (FileNotFoundError, ValueError, RuntimeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
