"""Submissions that do not do the work earn nothing: trivial answers, and cheats, are scored 0.

Every test cell of the four assignments must fail for answers that know nothing of the task
(zeros, a constant, an input handed back, random values of the right shape). Cheats that
change what the tests rely on (builtins, NumPy, math and torch functions, the notebook's
helpers and expected values, the kernel's hooks, objects that equal anything) must score 0
and be flagged. The grading runs once, in the module fixture, through the command line.
"""
from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("nbgrader")
pytestmark = pytest.mark.filterwarnings("ignore::Warning:nbgrader")

import grading_cheats as cheats  # noqa: E402
import grading_trivial as trivial  # noqa: E402
import grading_support as support  # noqa: E402

from aekit.grading import commands  # noqa: E402
from aekit.grading.integrity import bound_names, scan_source, scan_submission  # noqa: E402

NAMES = ("anomaly_detection", "kl_sparsity", "rbm_cd1", "vae_elbo")
GUARD_FLAG = "the code changes what the tests rely on"


def _read(path):
    return nbformat.read(str(path), as_version=4)


def _graded(nb) -> set[str]:
    return {c.metadata["nbgrader"]["grade_id"] for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("grade")}


def _submit(course: Path, student: str, name: str, nb) -> None:
    folder = course / "submitted" / student / name
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(folder / f"{name}.ipynb"))


def _autograde(courses: dict[str, Path]) -> dict[str, str]:
    """``python -m aekit.grading autograde`` for each course, two at a time; the outputs."""
    env = dict(os.environ, MPLBACKEND="Agg")
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")

    def run(name, course):
        done = subprocess.run([sys.executable, "-m", "aekit.grading", "--course", str(course),
                               "autograde", name], env=env, capture_output=True, text=True, timeout=1200)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
        return done.stdout

    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {name: pool.submit(run, name, course) for name, course in courses.items()}
        return {name: f.result() for name, f in futures.items()}


def _rows(course: Path, name: str) -> dict[str, dict]:
    with open(course / "autograded" / f"summary_{name}.csv", newline="") as f:
        return {row["student"]: row for row in csv.DictReader(f)}


@pytest.fixture(scope="module")
def cheated(tmp_path_factory):
    root = tmp_path_factory.mktemp("cheats")
    base = support.released_course(root / "course", commands.release)
    courses = {}
    for name in NAMES:
        course, release, source = support.assignment_copy(root, base, name)
        courses[name] = course
        for kind in trivial.KINDS:
            _submit(course, kind, name, trivial.trivial(name, kind, release, source))
        if name == "kl_sparsity":
            for kind in cheats.KL_CHEATS:
                _submit(course, kind, name, cheats.kl_cheat(kind, release, source))
    checks = courses["checks"] = root / "checks"
    (checks / "source" / "checks").mkdir(parents=True)
    shutil.copy(support.COURSE / "nbgrader_config.py", checks)
    nbformat.write(cheats.checks_source(), str(checks / "source" / "checks" / "checks.ipynb"))
    commands.release(checks)
    for student, nb in cheats.checks_submissions(_read(checks / "release/checks/checks.ipynb")).items():
        _submit(checks, student, "checks", nb)
    outputs = _autograde(courses)
    return {"courses": courses, "outputs": outputs,
            "graded": {n: _graded(_read(base / "release" / n / f"{n}.ipynb")) for n in NAMES}}


# --------------------------------------------------------------------------- pure checks
def test_bound_names_are_the_names_a_cell_binds_at_its_top_level():
    source = ("import numpy as np\nfrom torch import nn as network\nX, (y, z) = 1, (2, 3)\n"
              "for i in range(3):\n    total = i\nwith open('f') as handle:\n    pass\n"
              "def helper():\n    inner = 1\nclass Model:\n    attribute = 2\nW += 1\n%matplotlib inline")
    assert sorted(bound_names(source)) == sorted(["np", "network", "X", "y", "z", "i", "total",
                                                  "handle", "helper", "Model", "W"])
    assert bound_names("def broken(:\n") == []


def test_the_source_scan_finds_each_way_of_changing_what_tests_rely_on():
    modules = {"np", "torch", "math", "builtins"}
    expect = {
        "np.allclose = lambda *a, **k: True": "changes np.allclose",
        "torch.Tensor.__lt__ = f": "changes torch.Tensor.__lt__",
        "abs = lambda x: 0": "rebinds the builtin 'abs'",
        "def isinstance(a, b):\n    return True": "rebinds the builtin 'isinstance'",
        "__builtins__.abs = f": "uses __builtins__",
        "import builtins\nbuiltins.abs = f": "changes builtins.abs",
        "setattr(np, 'allclose', f)": "calls setattr() on np",
        "np.allclose.__code__ = g.__code__": "changes or reads a function's __code__",
        "def f():\n    global expected\n    expected = 0": "writes notebook globals from a function (expected)",
        "globals()['expected'] = 0": "calls globals()",
        "get_ipython().events.register('pre_run_cell', f)": "uses get_ipython()",
        "import sys\nsys.modules['numpy'] = fake": "uses sys.modules",
        "class A(float):\n    def __lt__(self, o):\n        return True": "defines class A with __lt__",
        "class T(torch.Tensor):\n    pass": "defines class T, a subclass of Tensor",
        "import gc": "uses the gc module",
    }
    for source, finding in expect.items():
        assert finding in scan_source(source, modules), (source, scan_source(source, modules))
    honest = ("def kl(rho, rho_hat, eps=1e-6):\n    rho_hat = rho_hat.clamp(eps, 1 - eps)\n"
              "    total = abs(rho) + max(1, 2)\n    X = np.zeros(3)\n    X[0] = 1\n    return total\n")
    assert scan_source(honest, modules) == []


def test_the_source_scan_reads_only_the_students_cells():
    release = _read(support.COURSE / "release" / "kl_sparsity" / "kl_sparsity.ipynb")
    assert scan_submission(release) == []
    nb = trivial.with_answers(release, release, {"kl_divergence": "np.allclose = None\nabs = 1"})
    assert scan_submission(nb) == ["cell 'kl_divergence' changes np.allclose",
                                   "cell 'kl_divergence' rebinds the builtin 'abs'"]


# --------------------------------------------------------------------------- graded
@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_trivial_answers_fail_every_test_cell(cheated, name):
    rows = _rows(cheated["courses"][name], name)
    for kind in trivial.KINDS:
        row = rows[kind]
        assert (row["score"], row["max_score"]) == ("0.0", "10.0"), (kind, row)
        assert set(row["lost_marks_in"].split()) == cheated["graded"][name], (kind, row)
        assert GUARD_FLAG not in row["flags"], (kind, row["flags"])  # no cheating: no such flag


@pytest.mark.slow
def test_cheats_on_the_kl_assignment_score_zero_and_are_flagged(cheated):
    rows = _rows(cheated["courses"]["kl_sparsity"], "kl_sparsity")
    for kind in cheats.KL_CHEATS:
        row = rows[kind]
        assert (row["score"], row["status"]) == ("0.0", "FLAGGED"), (kind, row)
        assert "code to review" in row["flags"], (kind, row["flags"])
    assert GUARD_FLAG in rows["rebinds_library"]["flags"]
    for rebound in ("numpy.allclose", "numpy.isclose", "math.isclose", "torch.allclose", "'abs'"):
        assert rebound in rows["rebinds_library"]["flags"], rebound
    assert re.search(r"test cells that ran with them changed scored 0: test_\w+",
                     rows["patches_when_called"]["flags"])


@pytest.mark.slow
def test_each_cheat_scores_zero_and_is_flagged_while_honest_work_scores_full_marks(cheated):
    rows = _rows(cheated["courses"]["checks"], "checks")
    assert (rows["honest"]["score"], rows["honest"]["status"]) == ("5.0", "ok"), rows["honest"]
    assert set(rows) == {"honest", *cheats.CHEATS}
    for kind in cheats.CHEATS:
        row = rows[kind]
        assert (row["score"], row["max_score"], row["status"]) == ("0.0", "5.0", "FLAGGED"), (kind, row)
        assert set(row["lost_marks_in"].split()) == {"test_allclose", "test_helper", "test_isclose", "test_abs"}
    found = {kind: rows[kind]["flags"] for kind in cheats.CHEATS}
    for kind, words in {"shadow_builtins": "rebinds the builtin 'abs' in the notebook",
                        "builtins_module": "rebinds builtins.abs", "builtins_dict": "rebinds __builtins__",
                        "patch_numpy_math": "rebinds numpy.allclose", "swap_code": "rewrites the code of",
                        "helpers_and_expected": "changes 'EXPECTED' in place",
                        "blank_later_cells": "stops the grader's check from answering",
                        "patch_when_called": "scored 0: test_allclose",
                        "trick_object": "defines class Anything"}.items():
        assert words in found[kind], (kind, found[kind])
