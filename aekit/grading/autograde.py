"""Autograding that never gives marks a submission did not earn, and never stops the batch.

- each notebook runs under a time limit (``--timeout``, whole notebook) and a per-cell limit;
  a notebook that hits either (an endless loop) scores zero;
- a notebook whose kernel dies (``os._exit``, out of memory) or that cannot be read scores
  zero, and the grades of an earlier attempt are not kept;
- graded cells that were deleted, moved or changed to another cell type score zero;
- a graded cell that was never executed scores zero;
- one unreadable notebook of several scores zero, and the others are graded;
- code that changes what the tests rely on (library functions, builtins, the notebook's
  read-only names, the kernel's hooks) is put back before each read-only cell by the guard
  (``plugins.TimedExecute``); a test that ran while something was changed scores zero, and
  the source scan (``integrity``) lists suspicious code for review;
- a zero also clears a mark given by hand in an earlier round;
- every such case is flagged in the summary table (also saved as
  ``autograded/summary_<assignment>.csv``), marked "needs manual grade" in nbgrader's
  gradebook, and explained to the student at the top of their feedback.
"""
from __future__ import annotations

import csv
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import nbformat
from nbgrader.api import Gradebook, MissingEntry

from aekit.grading.course import check_names, find_course, read_notebook
from aekit.grading.integrity import scan_submission
from aekit.grading.plugins import DEFAULT_TIMEOUT, GUARD_KEY, TIMEOUT_ERRORS, UNTRUSTED, make_api
from aekit.grading.structure import check_structure, graded_ids, nbgrader_meta, tracked

__all__ = ["SubmissionResult", "autograde", "format_table", "failure_reason"]


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


def failure_reason(result: dict) -> str:
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
    known, seen = {gid for gid, _ in tracked(reference_nb)}, set()
    nb = nbformat.v4.new_notebook(metadata=reference_nb.metadata)
    for cell in reversed(submitted_nb.cells if submitted_nb is not None else []):
        cell = nbformat.from_dict(dict(cell))
        gid = nbgrader_meta(cell).get("grade_id")
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
        # nbgrader's score is the manual score (plus extra credit) when there is one: a mark
        # given by hand in an earlier round would outlive the zero.
        grade.auto_score, grade.manual_score, grade.extra_credit = 0.0, None, None
        grade.needs_manual_grade = True  # shows up for review in nbgrader's formgrader
    gb.db.commit()


def _guard_flags(nb_name: str, nb, untrusted: list[str]) -> list[str]:
    """The flag for what the kernel-side guard found (``plugins.TimedExecute``), if anything."""
    issues = list(dict.fromkeys(i for entry in nb.metadata.get(GUARD_KEY, []) for i in entry["issues"]))
    if not issues:
        return []
    shown = "; ".join(issues[:6]) + (f"; and {len(issues) - 6} more" if len(issues) > 6 else "")
    outcome = (f"test cells that ran with them changed scored 0: {', '.join(untrusted)}" if untrusted
               else "they were put back before each test, so the tests ran as written")
    return [f"{nb_name}: the code changes what the tests rely on ({shown}); {outcome}"]


def _grade_notebook(api, course: Path, name: str, student: str, nb_name: str, reference,
                    pre_flags: list[str], forfeit: list[str], result: dict | None,
                    unreadable: bool = False) -> list[str]:
    """Check one autograded notebook, zero what was not earned, add the note; return flags."""
    flags = list(pre_flags)
    out_path = course / "autograded" / student / name / f"{nb_name}.ipynb"
    zero_all = False
    if not out_path.exists():
        zero_all = True
        sub_path = course / "submitted" / student / name / f"{nb_name}.ipynb"
        if result is not None and sub_path.exists() and not unreadable:
            flags.append(f"{nb_name}: scored 0 because {failure_reason(result)}")
        try:
            submitted = read_notebook(sub_path)
        except Exception:
            submitted = None
        nb = _placeholder(reference, submitted)
        out_path.parent.mkdir(parents=True, exist_ok=True)
    else:
        nb = read_notebook(out_path)
        timed_out = [nbgrader_meta(c).get("grade_id") or f"number {i + 1}" for i, c in enumerate(nb.cells)
                     if c.cell_type == "code" and any(o.output_type == "error" and o.get("ename")
                                                      in TIMEOUT_ERRORS for o in c.get("outputs", []))]
        if timed_out:
            zero_all = True
            flags.append(f"{nb_name}: scored 0 because it ran past its time limit in cell "
                         f"'{timed_out[0]}' (an endless loop, or code far too slow)")
        untrusted: list[str] = []
        for cell in nb.cells:
            meta = nbgrader_meta(cell)
            if (meta.get("grade") and not meta.get("solution") and cell.cell_type == "code"
                    and cell.source.strip() and cell.get("execution_count") is None
                    and not cell.get("outputs")):
                forfeit.append(meta["grade_id"])
                flags.append(f"{nb_name}: cell '{meta['grade_id']}' was never run; scored 0")
            outputs = cell.get("outputs", [])
            if meta.get("grade") and any(o.get("ename") == UNTRUSTED for o in outputs):
                untrusted.append(meta["grade_id"])
            if (meta.get("grade") and cell.cell_type == "code"
                    and not any(o.output_type == "error" for o in outputs)
                    and any(o.output_type == "stream" and o.name == "stderr" for o in outputs)):
                flags.append(f"{nb_name}: cell '{meta['grade_id']}' raised no error but wrote to "
                             f"stderr (a warning?), which nbgrader scores 0: review it")
        flags += _guard_flags(nb_name, nb, untrusted)
        forfeit = forfeit + untrusted
    with Gradebook(api.coursedir.db_url, api.coursedir.course_id) as gb:
        try:
            gb.find_submission(name, student)
        except MissingEntry:  # nbgrader never got as far as recording it
            gb.update_or_create_student(student)
            gb.update_or_create_submission(name, student)
        _zero(gb, name, nb_name, student, graded_ids(reference) if zero_all else forfeit)
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
    name = check_names(course, [name])[0]
    if not isinstance(timeout, int) or timeout < 1:
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
    references = {p.stem: read_notebook(p) for p in sorted((course / "release" / name).glob("*.ipynb"))}
    if not references:
        raise FileNotFoundError(f"release/{name} is empty: run `python -m aekit.grading release {name}` first")
    submitted = course / "submitted"
    found = sorted(p.parent.name for p in submitted.glob(f"*/{name}") if p.is_dir())
    students = list(students) if students else found
    missing = [s for s in students if s not in found]
    if missing:
        raise FileNotFoundError(f"no submission of '{name}' from {missing} in {submitted}")
    api = make_api(course, timeout=timeout, cell_timeout=cell_timeout)
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
                        _zero(gb, name, nb_name, student, graded_ids(reference))
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
    unreadable: list[str] = []
    for nb_name, reference in references.items():
        path = course / "submitted" / student / name / f"{nb_name}.ipynb"
        pre[nb_name], forfeit[nb_name] = [], []
        if not path.exists():
            pre[nb_name].append(f"{nb_name}: not submitted; scored 0")
            continue
        try:
            nb = read_notebook(path)
        except Exception as error:  # not JSON, not a notebook
            unreadable.append(nb_name)
            pre[nb_name].append(f"{nb_name}: scored 0 because the file is not a readable "
                                f"notebook ({type(error).__name__})")
            continue
        findings = scan_submission(nb)
        if findings:
            pre[nb_name].append(f"{nb_name}: code to review: " + "; ".join(findings[:6])
                                + (f"; and {len(findings) - 6} more" if len(findings) > 6 else ""))
        for issue in check_structure(reference, nb):
            pre[nb_name].append(f"{nb_name}: {issue}" + ("; scored 0" if issue.forfeits else ""))
            if issue.forfeits:
                forfeit[nb_name].append(issue.grade_id)
    folder = course / "submitted" / student / name
    outcome = None
    if any((folder / f"{n}.ipynb").exists() for n in references if n not in unreadable):
        # nbgrader fails on a file it cannot read, and with it the whole submission: the
        # unreadable notebooks wait outside while it grades the others (which it records as
        # not submitted), and are scored 0 below.
        with tempfile.TemporaryDirectory(prefix="aekit-unreadable-") as aside:
            for n in unreadable:
                shutil.move(str(folder / f"{n}.ipynb"), aside)
            try:
                outcome = api.autograde(name, student, force=True, create=True)
            finally:
                for n in unreadable:
                    shutil.move(str(Path(aside) / f"{n}.ipynb"), str(folder / f"{n}.ipynb"))
        if log is not None:
            log.append(f"== {student}\n{outcome.get('log', '')}{outcome.get('error', '')}")
    else:  # nbgrader would fail on it; record the submission and grade it 0 ourselves
        shutil.rmtree(course / "autograded" / student / name, ignore_errors=True)
    flags = []
    for nb_name, reference in references.items():
        flags += _grade_notebook(api, course, name, student, nb_name, reference,
                                 pre[nb_name], forfeit[nb_name], outcome, nb_name in unreadable)
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


