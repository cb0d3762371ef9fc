"""The graded assignments grade as intended, and broken submissions never earn marks.

nbgrader runs every submission in a fresh kernel, which is slow, so the grading happens once,
in the module fixture ``graded``: each assignment is graded in its own copy of the course by
the real command line (``python -m aekit.grading``), two copies at a time. Broken notebooks
(deleted, moved or retyped cells, a dead kernel, an endless loop, a file that is not JSON)
are tried on a tiny assignment built here, which needs no torch and runs in a second.
"""
from __future__ import annotations

import concurrent.futures
import copy
import csv
import html
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("nbgrader")
pytestmark = pytest.mark.filterwarnings("ignore::Warning:nbgrader")  # its database layer warns

import grading_support as support  # noqa: E402

from aekit.grading import autograde as autograding  # noqa: E402
from aekit.grading.__main__ import main  # noqa: E402
from aekit.grading import commands  # noqa: E402
from aekit.grading.plugins import TIME_LIMIT  # noqa: E402
from aekit.grading.structure import check_structure, find_leaks  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
COURSE = REPO / "lessons" / "assignments"
NAMES = ("anomaly_detection", "kl_sparsity", "rbm_cd1", "vae_elbo")
MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")

# One plausible mistake per assignment: edits (answer cell, old text, new text) to the
# solution, the test cells that must then lose their marks, and what the feedback must say.
WRONG = {
    "kl_sparsity": dict(  # the KL divergence with the wrong sign
        edits=[("kl_divergence",
                "rho * torch.log(rho / rho_hat) + (1 - rho) * torch.log((1 - rho) / (1 - rho_hat))",
                "rho * torch.log(rho_hat / rho) + (1 - rho) * torch.log((1 - rho_hat) / (1 - rho))")],
        lost={"test_kl_divergence", "test_kl_divergence_more", "test_sparsity_penalty_more",
              "test_sparsity_effect"},
        says=["the KL term should be &gt;= 0 for every unit; yours is negative for 64 of 64",
              "It went up: the penalty pushes the wrong way, check its sign"]),
    "vae_elbo": dict(  # the log-variance used as log-sigma, in sampling and in the KL
        edits=[("reparameterize", "torch.exp(0.5 * logvar)", "torch.exp(logvar)"),
               ("kl_to_standard_normal", "logvar.exp() - 1.0 - logvar",
                "torch.exp(2 * logvar) - 1.0 - 2 * logvar")],
        lost={"test_reparameterize", "test_reparameterize_more", "test_kl", "test_kl_more"},
        says=["That is exp(logvar), the variance",
              "you treated logvar as log(sigma), but it is log(sigma^2)"]),
    "rbm_cd1": dict(  # the CD-1 update with its sign flipped
        edits=[("cd1_gradients", "dW = (V.T @ P_h - P_v.T @ P_h_neg) / batch",
                "dW = (P_v.T @ P_h_neg - V.T @ P_h) / batch"),
               ("cd1_gradients", "return dW, (V - P_v).mean(dim=0), (P_h - P_h_neg).mean(dim=0)",
                "return dW, (P_v - V).mean(dim=0), (P_h_neg - P_h).mean(dim=0)")],
        lost={"test_cd1", "test_cd1_more", "test_stack", "test_unroll"},
        says=["It rose: the sign is flipped", "it has the wrong sign"]),
    "anomaly_detection": dict(  # anomalies scored by the wrong tail
        edits=[("anomaly_scores", "return ((X_hat - X) ** 2).sum(dim=1)",
                "return -((X_hat - X) ** 2).sum(dim=1)  # a high score means a typical image")],
        lost={"test_scores", "test_scores_more", "test_experiment", "test_experiment_more"},
        says=["you are ranking by the wrong tail", "Below 0.5 the ranking is reversed"]),
}


# --------------------------------------------------------------------------- helpers
def _gid(cell) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def _read(path):
    return nbformat.read(str(path), as_version=4)


def _regions(source_nb) -> tuple[set[str], set[str]]:
    """Lines inside solution or hidden-test regions, and lines outside them (stripped)."""
    secret, public = set(), set()
    for cell in source_nb.cells:
        inside = False
        for line in cell.source.splitlines():
            if "### BEGIN" in line:
                inside = True
            elif "### END" in line:
                inside = False
            elif line.strip():
                (secret if inside else public).add(line.strip())
    return secret, public


def _solved(release_nb, source_nb, edits=()):
    """The released notebook with each answer cell holding the source's solution (and edits)."""
    answers = {_gid(c): "\n".join(line for line in c.source.splitlines() if "### " not in line)
               for c in source_nb.cells if c.metadata.get("nbgrader", {}).get("solution")}
    nb = copy.deepcopy(release_nb)
    for cell in nb.cells:
        if _gid(cell) in answers:
            cell.source = answers[_gid(cell)]
    for gid, old, new in edits:
        cell = next(c for c in nb.cells if _gid(c) == gid)
        assert old in cell.source, f"the edit for {gid} no longer applies: {old!r}"
        cell.source = cell.source.replace(old, new)
    return nb


def _submit(course: Path, student: str, name: str, nb) -> None:
    folder = course / "submitted" / student / name
    folder.mkdir(parents=True, exist_ok=True)
    if isinstance(nb, str):
        (folder / f"{name}.ipynb").write_text(nb)
    else:
        nbformat.write(nb, str(folder / f"{name}.ipynb"))


def _graded_ids(nb) -> set[str]:
    return {_gid(c) for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")}


def _summary(course: Path, name: str) -> dict[str, dict]:
    with open(course / "autograded" / f"summary_{name}.csv", newline="") as f:
        return {row["student"]: row for row in csv.DictReader(f)}


def _text_of_html(path: Path) -> str:
    """The visible text of an HTML page: tags removed (code highlighting splits lines into
    spans), entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", path.read_text()))


def _run_jobs(jobs: dict[str, list[list[str]]]) -> dict[str, dict]:
    """Run each job's CLI commands in one fresh Python, two jobs at a time."""
    env = dict(os.environ, MPLBACKEND="Agg")
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    script = ("import sys\nfrom aekit.grading.__main__ import main\nfor args in {!r}:\n"
              "    code = main(args)\n    print(f'EXIT {{code}}', flush=True)\n")

    def run(commands):
        done = subprocess.run([sys.executable, "-c", script.format(commands)], env=env,
                              capture_output=True, text=True, timeout=1200)
        return {"output": done.stdout + done.stderr,
                "codes": [int(c) for c in re.findall(r"^EXIT (\d+)$", done.stdout, re.M)]}

    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        futures = {key: pool.submit(run, commands) for key, commands in jobs.items()}
        return {key: future.result() for key, future in futures.items()}


# --------------------------------------------------------------------------- a tiny assignment
def _tiny_source():
    cell = support.nbgrader_cell
    return support.notebook([
        cell("markdown", "# A tiny assignment"),
        cell("code", "import os\nimport time", "setup", locked=True),
        cell("code", "def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION",
             "double", solution=True),
        cell("code", "assert double(3) == 6, f'double(3) should be 6, got {double(3)}'",
             "test_double", grade=True, locked=True, points=2),
        cell("code", "assert double(-1) == -2\n### BEGIN HIDDEN TESTS\n"
                     "assert double(0.25) == 0.5, 'double(0.25) should be 0.5'\n### END HIDDEN TESTS",
             "test_double_more", grade=True, locked=True, points=1),
        cell("code", "def square(x):\n    ### BEGIN SOLUTION\n    return x * x\n    ### END SOLUTION",
             "square", solution=True),
        cell("code", "assert square(4) == 16, f'square(4) should be 16, got {square(4)}'",
             "test_square", grade=True, locked=True, points=2),
    ])


def _tiny_submissions(release_nb, source_nb) -> dict:
    solved = _solved(release_nb, source_nb)

    def edited(change):
        nb = copy.deepcopy(solved)
        change(nb)
        return nb

    def index(nb, gid):
        return next(i for i, c in enumerate(nb.cells) if _gid(c) == gid)

    def retype(nb):
        i = index(nb, "test_square")
        old = nb.cells[i]
        nb.cells[i] = nbformat.v4.new_markdown_cell(old.source, id=old.id, metadata=old.metadata)

    return {
        "solution": solved,
        "deleted": edited(lambda nb: nb.cells.pop(index(nb, "test_square"))),
        # test_double would pass at the end too: a moved graded cell still scores 0
        "moved": edited(lambda nb: nb.cells.append(nb.cells.pop(index(nb, "test_double")))),
        "retyped": edited(retype),
        "dead": _solved(release_nb, source_nb, [("square", "def square", "os._exit(1)\ndef square")]),
        "loop": _solved(release_nb, source_nb,
                        [("square", "def square", "while True:\n    time.sleep(0.2)\ndef square")]),
        "warns": _solved(release_nb, source_nb, [("double", "return 2 * x",
                                                  "import warnings; warnings.warn(f'old {x}')\n    return 2 * x")]),
        "unreadable": '{"cells": [ this is not JSON',
    }


TINY_TIMEOUT = 10  # seconds for a whole tiny notebook
PAIR = ("part_a", "part_b")  # a two-notebook assignment: two copies of the tiny one


def _pair_course(root: Path, tiny: Path) -> list[list[str]]:
    """A two-notebook assignment whose students had marks given by hand in an earlier round."""
    pair = root / "pair"
    for part in PAIR:
        (pair / "source" / "pair").mkdir(parents=True, exist_ok=True)
        shutil.copy(tiny / "source" / "tiny" / "tiny.ipynb", pair / "source" / "pair" / f"{part}.ipynb")
    shutil.copy(COURSE / "nbgrader_config.py", pair)
    commands.release(pair)
    release, source = _read(pair / "release/pair/part_a.ipynb"), _read(pair / "source/pair/part_a.ipynb")
    tiny_nbs = _tiny_submissions(release, source)
    students = {"half_unreadable": ("solution", "unreadable"), "dead_marked": ("dead", "solution"),
                "loop_marked": ("loop", "solution"), "deleted_marked": ("deleted", "solution")}
    for student, kinds in students.items():
        folder = pair / "submitted" / student / "pair"
        folder.mkdir(parents=True)
        for part, kind in zip(PAIR, kinds):
            nb = tiny_nbs[kind]
            if isinstance(nb, str):
                (folder / f"{part}.ipynb").write_text(nb)
            else:
                nbformat.write(nb, str(folder / f"{part}.ipynb"))
    # Full marks by hand from an earlier round (and extra credit on part_a of two of them).
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{pair / 'gradebook.db'}", "aekit") as gb:
        for student in [s for s in students if s.endswith("_marked")]:
            gb.update_or_create_student(student)
            for notebook in gb.update_or_create_submission("pair", student).notebooks:
                for grade in notebook.grades:
                    grade.manual_score, grade.needs_manual_grade = grade.max_score, False
                    if notebook.name == "part_a" and student in ("dead_marked", "loop_marked"):
                        grade.extra_credit = 1.0
        gb.db.commit()
        assert gb.find_submission("pair", "dead_marked").score == 13
    return [["--course", str(pair), "autograde", "pair", "--timeout", str(TINY_TIMEOUT)]]


# --------------------------------------------------------------------------- the fixture
@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Release everything, write the submissions, and grade them all (once per module)."""
    root = tmp_path_factory.mktemp("grading")
    base = support.released_course(root / "course", commands.release)
    jobs = {}
    for name in NAMES:
        course, release, source = support.assignment_copy(root, base, name)
        _submit(course, "solution", name, _solved(release, source))
        _submit(course, "untouched", name, release)
        _submit(course, "wrong", name, _solved(release, source, WRONG[name]["edits"]))
        jobs[name] = [["--course", str(course), "autograde", name],
                      ["--course", str(course), "validate", name, "--only", "release"],
                      ["--course", str(course), "feedback", name, "--student", "wrong"]]

    tiny = root / "tiny"
    (tiny / "source" / "tiny").mkdir(parents=True)
    shutil.copy(COURSE / "nbgrader_config.py", tiny)
    nbformat.write(_tiny_source(), str(tiny / "source" / "tiny" / "tiny.ipynb"))
    commands.release(tiny)
    release, source = _read(tiny / "release/tiny/tiny.ipynb"), _read(tiny / "source/tiny/tiny.ipynb")
    for student, nb in _tiny_submissions(release, source).items():
        _submit(tiny, student, "tiny", nb)
    # "dead" had full marks from an earlier attempt: they must not survive a dead kernel.
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{tiny / 'gradebook.db'}", "aekit") as gb:
        gb.update_or_create_student("dead")
        for notebook in gb.update_or_create_submission("tiny", "dead").notebooks:
            for grade in notebook.grades:
                grade.auto_score, grade.needs_manual_grade = grade.max_score, False
        gb.db.commit()
        assert gb.find_submission("tiny", "dead").score == 5
    jobs["tiny"] = [["--course", str(tiny), "autograde", "tiny", "--timeout", str(TINY_TIMEOUT)],
                    ["--course", str(tiny), "validate", "tiny"],
                    ["--course", str(tiny), "feedback", "tiny"]]
    # A release in which every test passes must not validate.
    solved_release = root / "tiny_solved_release"
    shutil.copytree(tiny, solved_release, ignore=shutil.ignore_patterns("submitted", "autograded"))
    nbformat.write(_solved(release, source), str(solved_release / "release/tiny/tiny.ipynb"))
    jobs["tiny_solved_release"] = [["--course", str(solved_release), "validate", "tiny", "--only", "release"]]
    jobs["pair"] = _pair_course(root, tiny)

    runs = _run_jobs(jobs)
    for key, run in runs.items():
        assert len(run["codes"]) == len(jobs[key]), f"job {key} stopped early:\n{run['output'][-3000:]}"
    return {"root": root, "base": base, "runs": runs}


# --------------------------------------------------------------------------- fast checks
@pytest.mark.parametrize("name", NAMES)
def test_committed_release_holds_no_solution_or_hidden_test(name):
    source = _read(COURSE / "source" / name / f"{name}.ipynb")
    release_path = COURSE / "release" / name / f"{name}.ipynb"
    release = _read(release_path)
    text = release_path.read_text()
    assert not [m for m in MARKERS if m in text]
    secret, public = _regions(source)
    released = {line.strip() for c in release.cells for line in c.source.splitlines()}
    leaked = sorted(line for line in secret - public if len(line) >= 12 and line in released)
    assert not leaked, f"solution or hidden-test lines in the release: {leaked[:5]}"
    assert len(secret - public) > 20  # the check has something to look for
    answers = [c for c in release.cells if c.metadata.get("nbgrader", {}).get("solution")]
    assert answers and all("raise NotImplementedError()" in c.source for c in answers)
    assert all(not c.get("outputs") for c in release.cells if c.cell_type == "code")


def test_find_leaks_reports_solution_lines():
    source = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "def f(x):\n    ### BEGIN SOLUTION\n    return torch.sigmoid(x) * 2\n    ### END SOLUTION")])
    clean = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "def f(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()")])
    leaky = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "def f(x):\n    return torch.sigmoid(x) * 2")])
    assert find_leaks(source, clean) == []
    assert find_leaks(source, leaky) == ["return torch.sigmoid(x) * 2"]
    assert find_leaks(source, source)[:2] == ["BEGIN SOLUTION", "END SOLUTION"]


def _release_nb(name="rbm_cd1"):
    return _read(COURSE / "release" / name / f"{name}.ipynb")


def _index(nb, gid):
    return next(i for i, c in enumerate(nb.cells) if _gid(c) == gid)


def test_check_structure_finds_each_kind_of_damage():
    release = _release_nb()
    assert check_structure(release, copy.deepcopy(release)) == []

    nb = copy.deepcopy(release)
    del nb.cells[_index(nb, "test_cd1")]
    issues = check_structure(release, nb)
    assert [(i.grade_id, i.problem, i.forfeits) for i in issues] == [("test_cd1", "deleted", True)]

    nb = copy.deepcopy(release)
    nb.cells.append(nb.cells.pop(_index(nb, "test_conditionals")))
    issues = check_structure(release, nb)
    assert [(i.grade_id, i.problem, i.forfeits) for i in issues] == [("test_conditionals", "moved", True)]

    nb = copy.deepcopy(release)  # an answer cell moved: flagged, but it carries no points itself
    nb.cells.append(nb.cells.pop(_index(nb, "unroll")))
    assert [(i.problem, i.forfeits) for i in check_structure(release, nb)] == [("moved", False)]

    nb = copy.deepcopy(release)
    i = _index(nb, "test_stack")
    nb.cells[i] = nbformat.v4.new_raw_cell(nb.cells[i].source, metadata=nb.cells[i].metadata)
    issues = check_structure(release, nb)
    assert [(i.grade_id, i.problem, i.forfeits) for i in issues] == [("test_stack", "retyped", True)]

    nb = copy.deepcopy(release)  # a read-only cell edited; a test cell pasted twice in place
    nb.cells[_index(nb, "test_unroll")].source += "\nassert True"
    i = _index(nb, "test_cd1")
    nb.cells.insert(i, copy.deepcopy(nb.cells[i]))
    found = {(i.grade_id, i.problem, i.forfeits) for i in check_structure(release, nb)}
    assert found == {("test_unroll", "edited", False), ("test_cd1", "duplicated", False)}

    nb = copy.deepcopy(release)  # pasted at the end: nbgrader grades the last copy, out of place
    nb.cells.append(copy.deepcopy(nb.cells[_index(nb, "test_cd1")]))
    found = {(i.grade_id, i.problem, i.forfeits) for i in check_structure(release, nb)}
    assert found == {("test_cd1", "duplicated", False), ("test_cd1", "moved", True)}

    nb = copy.deepcopy(release)  # metadata lost by copying a cell's text into a new cell
    nb.cells[_index(nb, "test_cd1")].metadata = {}
    assert [i.problem for i in check_structure(release, nb)] == ["deleted"]


def test_collect_copies_one_submission_per_student(tmp_path):
    course = tmp_path / "course"
    shutil.copytree(COURSE / "source" / "kl_sparsity", course / "source" / "kl_sparsity")
    shutil.copy(COURSE / "nbgrader_config.py", course)
    inbox = tmp_path / "downloads"
    for path in ("alice/kl_sparsity.ipynb", "bob/my work (final).ipynb", "carol.ipynb",
                 "bad id!/kl_sparsity.ipynb", "dave/notes.txt", "erin/a.ipynb", "erin/b.ipynb"):
        (inbox / path).parent.mkdir(parents=True, exist_ok=True)
        (inbox / path).write_text(path)
    notes = dict(commands.collect(course, "kl_sparsity", inbox))
    submitted = course / "submitted"
    assert sorted(p.relative_to(submitted).as_posix() for p in submitted.rglob("*.ipynb")) == [
        "alice/kl_sparsity/kl_sparsity.ipynb", "bob/kl_sparsity/kl_sparsity.ipynb",
        "carol/kl_sparsity/kl_sparsity.ipynb"]
    assert (submitted / "bob/kl_sparsity/kl_sparsity.ipynb").read_text() == "bob/my work (final).ipynb"
    assert notes["alice"] == notes["carol"] == "ok" and "renamed" in notes["bob"]
    assert notes["bad id!"].startswith("skipped") and notes["dave"].startswith("skipped")
    assert "missing kl_sparsity.ipynb" in notes["erin"]
    assert "replaced" in dict(commands.collect(course, "kl_sparsity", inbox))["alice"]


def test_command_line_explains_a_wrong_assignment_name(tmp_path, capsys):
    shutil.copy(COURSE / "nbgrader_config.py", tmp_path)
    shutil.copytree(COURSE / "source" / "rbm_cd1", tmp_path / "source" / "rbm_cd1")
    assert main(["--course", str(tmp_path), "autograde", "rbm"]) == 2
    assert "unknown assignment(s) ['rbm']; the course has ['rbm_cd1']" in capsys.readouterr().err
    assert main(["--course", str(tmp_path / "nowhere"), "release"]) == 2
    assert "no nbgrader_config.py" in capsys.readouterr().err


# --------------------------------------------------------------------------- the real assignments
@pytest.mark.slow
def test_committed_release_is_what_release_generates(graded):
    for name in NAMES:
        fresh = _read(graded["base"] / "release" / name / f"{name}.ipynb")
        committed = _read(COURSE / "release" / name / f"{name}.ipynb")
        shape = [[(c.cell_type, c.source, c.metadata.get("nbgrader")) for c in nb.cells]
                 for nb in (fresh, committed)]
        assert shape[0] == shape[1], (
            f"release/{name} is out of date: run `python -m aekit.grading release {name}`")


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_solution_scores_full_marks_and_release_scores_zero(graded, name):
    run = graded["runs"][name]
    rows = _summary(graded["root"] / name, name)
    release = _read(graded["base"] / "release" / name / f"{name}.ipynb")
    solution, untouched = rows["solution"], rows["untouched"]
    assert (solution["score"], solution["max_score"], solution["status"]) == ("10.0", "10.0", "ok"), run["output"][-2000:]
    assert (untouched["score"], untouched["status"]) == ("0.0", "ok")
    assert set(untouched["lost_marks_in"].split()) == _graded_ids(release)
    # nbgrader validate --invert agrees: every test of the untouched release fails.
    assert run["codes"][1] == 0 and "every untouched release fails" in run["output"]
    # each solution runs in under a minute on two cores (scaled when the machine is busier)
    busy = max(1.0, os.getloadavg()[0] / (os.cpu_count() or 1))
    assert float(solution["seconds"]) < 60 * busy


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_wrong_submission_loses_marks_with_feedback_that_names_the_mistake(graded, name):
    course = graded["root"] / name
    wrong = _summary(course, name)["wrong"]
    assert 0 <= float(wrong["score"]) < float(wrong["max_score"])
    assert set(wrong["lost_marks_in"].split()) == WRONG[name]["lost"]
    page = course / "feedback" / "wrong" / name / f"{name}.html"
    assert graded["runs"][name]["codes"][2] == 0 and page.exists()
    text = _text_of_html(page)
    for phrase in WRONG[name]["says"]:
        assert html.unescape(phrase) in text
    # Hidden tests stay hidden: neither their code nor their tracebacks reach the student,
    # while the visible tests do (so the check would see code if it were there).
    source = _read(course / "source" / name / f"{name}.ipynb")
    hidden, elsewhere = set(), set()  # lines of hidden tests; lines anywhere else
    for cell in source.cells:
        before, _, rest = cell.source.partition("### BEGIN HIDDEN TESTS")
        block, _, after = rest.partition("### END HIDDEN TESTS")
        hidden |= {line.strip() for line in block.splitlines() if len(line.strip()) >= 12}
        elsewhere |= {line.strip() for line in (before + after).splitlines()}
    shown = sorted(line for line in hidden - elsewhere if line in text)
    assert not shown, f"hidden tests in the feedback: {shown[:3]}"
    assert "BEGIN HIDDEN TESTS" not in text
    visible = [line.strip() for c in source.cells if _gid(c) and _gid(c).startswith("test_")
               and "BEGIN HIDDEN" not in c.source for line in c.source.splitlines()
               if len(line.strip()) >= 12]
    assert visible and all(line in text for line in visible[:5])


# --------------------------------------------------------------------------- broken notebooks
@pytest.mark.slow
def test_broken_submissions_are_graded_flagged_and_never_earn_marks(graded):
    run = graded["runs"]["tiny"]
    assert run["codes"] == [0, 0, 0], run["output"][-3000:]
    rows = _summary(graded["root"] / "tiny", "tiny")
    expected = {  # student: (score out of 5, what the flag says, cells that must score 0)
        "solution": ("5.0", None, set()),
        "deleted": ("3.0", "cell 'test_square' was deleted; scored 0", {"test_square"}),
        "moved": ("3.0", "cell 'test_double' was moved out of its place; scored 0", {"test_double"}),
        "retyped": ("3.0", "cell 'test_square' had its cell type changed; scored 0", {"test_square"}),
        "dead": ("0.0", "the kernel died", None),
        "loop": ("0.0", "ran past its time limit in cell 'square'", None),
        "unreadable": ("0.0", "not a readable notebook", None),
        "warns": ("2.0", "wrote to stderr (a warning?)", {"test_double", "test_double_more"}),
    }
    assert set(rows) == set(expected)
    for student, (score, flag, zeroed) in expected.items():
        row = rows[student]
        assert row["score"] == score and row["max_score"] == "5.0", (student, row)
        assert (row["status"] == "ok") == (flag is None), (student, row)
        if flag:
            assert flag in row["flags"], (student, row["flags"])
        assert set(row["lost_marks_in"].split()) == (
            zeroed if zeroed is not None else {"test_double", "test_double_more", "test_square"})
    table = run["output"]
    assert "8 submission(s); 7 flagged for review" in table


@pytest.mark.slow
def test_dead_kernel_and_time_limit_leave_no_marks_behind(graded):
    tiny = graded["root"] / "tiny"
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{tiny / 'gradebook.db'}", "aekit") as gb:
        dead = gb.find_submission("tiny", "dead")
        assert dead.score == 0  # it had 5 from an earlier attempt
        assert all(g.needs_manual_grade for nb in dead.notebooks for g in nb.grades)
    looped = _read(tiny / "autograded" / "loop" / "tiny" / "tiny.ipynb")
    errors = {_gid(c): [o.ename for o in c.outputs if o.output_type == "error"]
              for c in looped.cells if c.cell_type == "code"}
    assert "CellTimeoutError" in errors["square"]
    assert errors["test_square"] == [TIME_LIMIT]  # not run at all after the deadline
    assert float(_summary(tiny, "tiny")["loop"]["seconds"]) < TINY_TIMEOUT + 60


@pytest.mark.slow
def test_feedback_explains_the_flags_to_the_student(graded):
    feedback = graded["root"] / "tiny" / "feedback"
    text = _text_of_html(feedback / "dead" / "tiny" / "tiny.html")
    assert "Grading note" in text and "the kernel died" in text
    text = _text_of_html(feedback / "moved" / "tiny" / "tiny.html")
    assert "cell 'test_double' was moved out of its place; scored 0" in text
    assert "double(0.25)" not in text  # the hidden test
    assert not (feedback / "solution" / "tiny" / "tiny.html").read_text().count("Grading note")


@pytest.mark.slow
def test_validate_rejects_a_release_whose_tests_already_pass(graded):
    tiny, solved = graded["runs"]["tiny"], graded["runs"]["tiny_solved_release"]
    assert "every solution passes its tests" in tiny["output"]
    assert solved["codes"] == [1]
    assert "PROBLEM release/tiny/tiny.ipynb" in solved["output"] and "passed:" in solved["output"]


@pytest.mark.slow
def test_an_error_while_grading_one_student_does_not_stop_the_batch(graded, monkeypatch, tmp_path):
    course = tmp_path / "tiny"
    shutil.copytree(graded["root"] / "tiny", course)

    def fake(api, course, name, student, references, log):
        if student == "deleted":
            raise RuntimeError("the gradebook is locked")
        return autograding.SubmissionResult(student, name, score=5.0, max_score=5.0)

    monkeypatch.setattr(autograding, "_grade_student", fake)
    results = autograding.autograde(course, "tiny")
    assert [r.student for r in results] == sorted(_summary(graded["root"] / "tiny", "tiny"))
    broken = next(r for r in results if r.student == "deleted")
    assert broken.flagged and "could not be graded (RuntimeError: the gradebook is locked)" in broken.flags[0]
    assert all(not r.flagged for r in results if r.student != "deleted")
    assert _summary(course, "tiny")["deleted"]["status"] == "FLAGGED"


@pytest.mark.slow
def test_zeroed_cells_keep_no_mark_given_by_hand_earlier(graded):
    """nbgrader's score is the manual score when there is one: zeroing must clear it too."""
    run = graded["runs"]["pair"]
    assert run["codes"] == [0], run["output"][-3000:]
    rows = _summary(graded["root"] / "pair", "pair")
    # part_a: 0 after a dead kernel or the time limit, 3 without its deleted test_square; part_b
    # is the solution (5), but nbgrader gives up on the whole submission when a kernel dies.
    expected = {"dead_marked": "0.0", "loop_marked": "5.0", "deleted_marked": "8.0"}
    for student, score in expected.items():
        row = rows[student]
        assert (row["score"], row["max_score"], row["status"]) == (score, "10.0", "FLAGGED"), (student, row)
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{graded['root'] / 'pair' / 'gradebook.db'}", "aekit") as gb:
        dead = gb.find_submission_notebook("part_a", "pair", "dead_marked")
        assert dead.score == 0 and all(g.manual_score is None and g.needs_manual_grade for g in dead.grades)


@pytest.mark.slow
def test_one_unreadable_notebook_leaves_the_others_graded(graded):
    row = _summary(graded["root"] / "pair", "pair")["half_unreadable"]
    assert (row["score"], row["max_score"], row["status"]) == ("5.0", "10.0", "FLAGGED"), row
    assert "part_b: scored 0 because the file is not a readable notebook" in row["flags"]
    assert "part_a" not in row["flags"]  # nothing wrong with the readable one
    submitted = graded["root"] / "pair" / "submitted" / "half_unreadable" / "pair"
    assert (submitted / "part_b.ipynb").read_text() == '{"cells": [ this is not JSON'  # left as it was
