"""The command line: ``python -m aekit.grading COMMAND ...`` from the repository root.

The course folder is ``lessons/assignments`` (``--course DIR`` points elsewhere)::

    python -m aekit.grading release                     # source/ -> release/ (what students get)
    python -m aekit.grading validate                    # solutions pass; untouched release scores 0
    python -m aekit.grading collect kl_sparsity DOWNLOADS/   # one folder or notebook per student
    python -m aekit.grading autograde kl_sparsity       # grade submitted/*/kl_sparsity, print a table
    python -m aekit.grading feedback kl_sparsity        # feedback/<student>/kl_sparsity/*.html

Feedback never shows hidden tests: their code is removed, and the traceback of a failed test
cell is reduced to its message.
"""
from __future__ import annotations

import argparse
import sys
import warnings
from typing import Sequence

from aekit.grading.autograde import autograde, format_table
from aekit.grading.commands import collect, feedback, release, validate
from aekit.grading.course import find_course
from aekit.grading.plugins import DEFAULT_TIMEOUT


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m aekit.grading COMMAND ...``; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m aekit.grading",
                                     description="Instructor commands for the graded assignments.")
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
