"""Autograding with several workers writes every grade once, into the one gradebook.

A small assignment (two functions, three graded cells, one with a hidden test) is released
in a course folder configured as on the hub; twelve students hand it in, half of them
right and half with a mistake that costs exactly one cell. Three workers grade them at
once on two cores, so the workers hit the SQLite gradebook at the same moments. The
gradebook must then hold exactly one submission per student, each with all its grades,
and the scores a sequential grading gives.
"""
from __future__ import annotations

import csv
import sys
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
from aekit.grading.commands import release as release_assignment  # noqa: E402
from hub import admin, autograde  # noqa: E402

pytestmark = pytest.mark.slow

NAME = "pair"
STUDENTS = [f"s{i:02d}" for i in range(12)]
WORKERS = 3


def _cell(kind: str, text: str, grade_id: str | None = None, **flags):
    make = nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
    cell = make(text)
    if grade_id:
        cell.metadata["nbgrader"] = {"grade_id": grade_id, "schema_version": 3, "grade": False,
                                     "solution": False, "locked": False, **flags}
    return cell


def _source_notebook():
    test = dict(grade=True, locked=True)
    return nbformat.v4.new_notebook(cells=[
        _cell("markdown", "Write `triple` and `halve`."),
        _cell("code", "def triple(x):\n    ### BEGIN SOLUTION\n    return 3 * x\n    ### END SOLUTION",
              "triple", solution=True),
        _cell("code", "assert triple(2) == 6, 'triple(2) should be 6'", "test_triple", points=1, **test),
        _cell("code", "def halve(x):\n    ### BEGIN SOLUTION\n    return x / 2\n    ### END SOLUTION",
              "halve", solution=True),
        _cell("code", "assert halve(4) == 2, 'halve(4) should be 2'", "test_halve", points=2, **test),
        _cell("code", "assert halve(1) == 0.5\n### BEGIN HIDDEN TESTS\nassert halve(-3) == -1.5\n"
                      "### END HIDDEN TESTS", "test_halve_more", points=2, **test),
    ], metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})


def _handed_in(release, wrong: bool):
    nb = nbformat.from_dict(release)
    answers = {"triple": "def triple(x):\n    return 3 * x",
               "halve": "def halve(x):\n    return x // 2" if wrong else "def halve(x):\n    return x / 2"}
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = answers[grade_id]
    return nb


EXPECTED = {"right": 5.0, "wrong": 3.0}  # x // 2 passes halve(4) == 2 only


@pytest.fixture(scope="module")
def class_graded(tmp_path_factory):
    course = tmp_path_factory.mktemp("parallel") / "course"
    (course / "source" / NAME).mkdir(parents=True)
    (course / "nbgrader_config.py").write_text(admin.course_config(course, course / "exchange"))
    nbformat.write(_source_notebook(), str(course / "source" / NAME / f"{NAME}.ipynb"))
    release_assignment(course, [NAME])
    release = nbformat.read(str(course / "release" / NAME / f"{NAME}.ipynb"), as_version=4)
    kinds = {s: ("wrong" if i % 2 else "right") for i, s in enumerate(STUDENTS)}
    for student, kind in kinds.items():
        folder = course / "submitted" / student / NAME
        folder.mkdir(parents=True)
        nbformat.write(_handed_in(release, kind == "wrong"), str(folder / f"{NAME}.ipynb"))
    spans: list = []
    results = autograde.autograde(course, NAME, workers=WORKERS, timeout=120, spans=spans)
    return {"course": course, "kinds": kinds, "results": results, "spans": spans}


def test_the_workers_graded_at_the_same_time(class_graded):
    spans = class_graded["spans"]
    assert sorted(s for s, _, _ in spans) == STUDENTS
    # The most gradings running at one moment: with fewer than 2 this test proves nothing.
    moments = [start for _, start, _ in spans]
    overlap = max(sum(1 for _, a, b in spans if a <= t < b) for t in moments)
    assert overlap >= 2, f"the gradings never overlapped: {spans}"


def test_every_student_scored_as_graded_alone(class_graded):
    results = {r.student: r for r in class_graded["results"]}
    assert list(results) == STUDENTS
    for student, kind in class_graded["kinds"].items():
        r = results[student]
        assert not r.flags, f"{student}: {r.flags}"
        assert (r.score, r.max_score) == (EXPECTED[kind], 5.0), (student, kind, r)
        assert r.lost == ([] if kind == "right" else ["test_halve_more"])


def test_the_gradebook_holds_each_grade_once(class_graded):
    from nbgrader.api import Gradebook, Grade, SubmittedAssignment

    course = class_graded["course"]
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "aekit") as gb:
        submissions = gb.db.query(SubmittedAssignment).all()
        assert sorted(s.student.id for s in submissions) == STUDENTS  # none lost, none twice
        assert gb.db.query(Grade).count() == 3 * len(STUDENTS)
        for submission in submissions:
            [notebook] = submission.notebooks
            assert sorted(g.name for g in notebook.grades) == [
                "test_halve", "test_halve_more", "test_triple"]
            kind = class_graded["kinds"][submission.student.id]
            assert submission.score == EXPECTED[kind]
    with open(course / "autograded" / f"summary_{NAME}.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["student"] for r in rows] == STUDENTS
    assert all(float(r["score"]) == EXPECTED[class_graded["kinds"][r["student"]]] for r in rows)


def test_bad_worker_count_is_refused(class_graded):
    with pytest.raises(ValueError, match="workers must be a positive number"):
        autograde.autograde(class_graded["course"], NAME, workers=-1)
