"""Autograde a class with a worker per core, into the one gradebook.

    python -m hub.autograde kl_sparsity --course ~/aekit            # a worker per core
    python -m hub.autograde kl_sparsity --course ~/aekit --workers 1

Each submission is graded by ``aekit.grading.autograde`` (time limits, broken notebooks
scored 0 and flagged), one student per task, in a pool of worker processes; the table and
``autograded/summary_<name>.csv`` cover the whole class, as for the sequential command.

The gradebook is one SQLite file that every worker writes. nbgrader opens it for short
transactions only (never while a notebook runs), and the hub's course configuration sets a
lock timeout on it (``?timeout=`` in ``CourseDirectory.db_url``), so a worker that finds it
busy waits instead of failing. Each student is graded by exactly one worker, so no grade
is written twice.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import multiprocessing
import os
import sys
import time
import warnings
from pathlib import Path
from typing import Sequence

from aekit.grading.autograde import SubmissionResult, _write_summary, format_table
from aekit.grading.autograde import autograde as grade_submissions
from aekit.grading.course import find_course
from aekit.grading.plugins import DEFAULT_TIMEOUT


def _grade_one(course: str, name: str, student: str, timeout: int):
    """Grade one student in this worker; returns (result, start, end) in wall-clock time."""
    warnings.filterwarnings("ignore", module="nbgrader")
    start = time.time()
    [result] = grade_submissions(course, name, [student], timeout=timeout)
    return result, start, time.time()


def submitted_students(course: Path, name: str) -> list[str]:
    return sorted(p.parent.name for p in (course / "submitted").glob(f"*/{name}") if p.is_dir())


def autograde(course: str | os.PathLike, name: str, students: Sequence[str] | None = None,
              workers: int | None = None, timeout: int = DEFAULT_TIMEOUT,
              spans: list | None = None) -> list[SubmissionResult]:
    """Grade every submission of ``name`` with ``workers`` processes (default: one per core).

    Returns the results in the students' order; ``spans``, if a list, receives
    (student, start, end) for each grading, to show how they overlapped.
    """
    course = find_course(course)
    workers = workers or os.cpu_count() or 1
    if not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be a positive number, got {workers!r}")
    students = list(students) if students else submitted_students(course, name)
    if not students:
        raise FileNotFoundError(f"no submissions of '{name}' in {course / 'submitted'}")
    context = multiprocessing.get_context("spawn")  # a fresh interpreter, no inherited state
    with concurrent.futures.ProcessPoolExecutor(workers, mp_context=context) as pool:
        futures = [pool.submit(_grade_one, str(course), name, s, timeout) for s in students]
        done = [f.result() for f in futures]
    if spans is not None:
        spans.extend((r.student, start, end) for r, start, end in done)
    results = [r for r, _, _ in done]
    _write_summary(course, name, results)  # the one summary, for the whole class
    return results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hub.autograde", description=__doc__.split("\n")[0])
    parser.add_argument("name")
    parser.add_argument("--course", help="course folder (default: ./ or lessons/assignments)")
    parser.add_argument("--workers", type=int, help="processes (default: one per core)")
    parser.add_argument("--student", action="append", help="only this student (repeatable)")
    parser.add_argument("--timeout", type=int, default=DEFAULT_TIMEOUT,
                        help="seconds per notebook")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    try:
        results = autograde(args.course, args.name, args.student, args.workers, args.timeout)
    except (FileNotFoundError, ValueError, RuntimeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(format_table(results))
    print(f"graded {len(results)} submission(s) in {time.perf_counter() - start:.0f} s "
          f"with {args.workers or os.cpu_count()} worker(s); saved autograded/summary_{args.name}.csv")
    return 0


if __name__ == "__main__":
    sys.exit(main())
