"""nbgrader's configuration for this course and the preprocessors aekit adds to it."""
from __future__ import annotations

import json
import logging
import math
import os
import secrets
import sys
import time
from pathlib import Path

try:
    import nbformat
    from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
    from nbgrader.apps import NbGraderAPI
    from nbgrader.converters import Autograde
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.preprocessors import ClearHiddenTests, Execute, GetGrades, NbGraderPreprocessor
    from traitlets import Bool, Integer
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader
except ImportError as error:  # pragma: no cover - depends on the environment
    raise ImportError(
        f"aekit.grading needs nbgrader ({error}). Install the course's lab extras: "
        f"pip install -e '.[lab]' (or run `make lab` once).") from error

from aekit.grading.integrity import bound_names  # noqa: E402

DEFAULT_TIMEOUT = 600       # seconds for a whole notebook
DEFAULT_CELL_TIMEOUT = 180  # seconds for one cell
TIME_LIMIT = "NotebookTimeLimit"
TIMEOUT_ERRORS = {"CellTimeoutError", TIME_LIMIT}
_GUARD_SOURCE = (Path(__file__).parent / "guard.py").read_text()
_GUARD_LOADER = ("import sys as _s, types as _t\n_m = _t.ModuleType('_aekit_guard')\n"
                 "exec(compile({source}, 'aekit/grading/guard.py', 'exec'), _m.__dict__)\n"
                 "_s.modules['_aekit_guard'] = _m\ndel _s, _t, _m\n")
UNTRUSTED = "UntrustedResult"  # the error given to a test cell whose result the guard rejects
GUARD_KEY = "aekit_guard"      # notebook metadata: what the guard found, cell by cell

# nbgrader's log goes here: silent on the console, captured per submission (--verbose shows it).
LOG = logging.getLogger("aekit.grading.nbgrader")
LOG.addHandler(logging.NullHandler())
LOG.propagate = False
LOG.setLevel(logging.WARNING)


class TimedExecute(Execute):
    """nbgrader's Execute with a time limit for the whole notebook and integrity checks.

    Each cell may run for ``timeout`` seconds but never past the notebook's deadline; once the
    deadline has passed, the remaining code cells are not run and get a ``NotebookTimeLimit``
    error (so a test cell cannot pass by not running).

    With ``guard`` on, ``aekit.grading.guard`` runs in the kernel before and after every
    read-only cell: it puts back library functions, builtins, kernel hooks and the names that
    read-only cells bound, as they were, and reports what it had to put back. A change found
    after a test cell (made while the test ran) gives that cell an ``UntrustedResult`` error;
    one found after another read-only cell does so for every test cell after it, since they
    check what that cell computed. The findings go to the notebook's metadata (``GUARD_KEY``).
    """

    notebook_timeout = Integer(DEFAULT_TIMEOUT, help="Seconds for the whole notebook.").tag(config=True)
    guard = Bool(True, help="Run aekit's integrity checks around read-only cells.").tag(config=True)
    _deadline = None  # set when the first cell starts: starting the kernel does not count

    def preprocess(self, nb, resources=None, km=None):
        self._deadline, self._findings, self._distrust = None, [], None
        nb, resources = super().preprocess(nb, resources, km=km)
        if self.guard:
            nb.metadata[GUARD_KEY] = self._findings
        return nb, resources

    def _get_timeout(self, cell):
        if self._deadline is None or cell is None:
            return super()._get_timeout(cell)
        left = self._deadline - time.monotonic()
        limit = left if not self.timeout or self.timeout < 0 else min(self.timeout, left)
        return max(1, math.ceil(limit))

    def _guard(self, index: int, call: str) -> list[str]:
        """Run ``guard.<call>`` in the kernel, out of the notebook; return what it reports."""
        nonce = secrets.token_hex(12)
        code = f"__import__('_aekit_guard').{call.format(nonce=repr(nonce))}"
        if call.startswith("install"):
            code = _GUARD_LOADER.format(source=repr(_GUARD_SOURCE)) + code
        keep = self.nb.cells[index]
        try:
            probe = self.execute_cell(nbformat.v4.new_code_cell(code), index, store_history=False)
        finally:
            self.nb.cells[index] = keep
        text = "".join(o.get("text", "") for o in probe.outputs if o.output_type == "stream")
        for line in text.splitlines():
            if line.startswith(nonce + " "):
                return json.loads(line[len(nonce) + 1:])
        errors = [f"{o.ename}: {o.evalue}" for o in probe.outputs if o.output_type == "error"]
        return [f"stops the grader's check from answering ({'; '.join(errors) or 'no output'})"]

    def _note(self, cell, index: int, when: str, issues: list[str]) -> None:
        if issues:
            gid = cell.metadata.get("nbgrader", {}).get("grade_id") or f"number {index + 1}"
            self._findings.append({"cell": gid, "when": when, "issues": issues})

    def preprocess_cell(self, cell, resources, index):
        if self._deadline is None:
            self._deadline = time.monotonic() + self.notebook_timeout
            if self.guard:
                self._note(cell, index, "start", self._guard(index, "install({nonce})"))
        if cell.cell_type == "code" and cell.source.strip() and time.monotonic() >= self._deadline:
            cell.outputs = [nbformat.v4.new_output(
                "error", ename=TIME_LIMIT, evalue=f"not run: the notebook used up its "
                f"{self.notebook_timeout} s time limit", traceback=[])]
            cell.execution_count = None
            return cell, resources
        meta = cell.metadata.get("nbgrader", {})
        checked = (self.guard and cell.cell_type == "code" and cell.source.strip()
                   and meta.get("locked") and not meta.get("solution"))
        if not checked:
            return super().preprocess_cell(cell, resources, index)
        test = bool(meta.get("grade"))
        self._note(cell, index, "before", self._guard(index, "before({nonce})"))
        cell, resources = super().preprocess_cell(cell, resources, index)
        if time.monotonic() < self._deadline:
            names = bound_names(cell.source)
            after = self._guard(index, f"after({{nonce}}, {names!r}, test={test})")
            self._note(cell, index, "during", after)
            if after and not test and self._distrust is None:
                gid = meta.get("grade_id") or f"number {index + 1}"
                self._distrust = f"the read-only cell '{gid}' ran with changed functions or values"
            if test and (after or self._distrust):
                cell.outputs.append(nbformat.v4.new_output(
                    "error", ename=UNTRUSTED, evalue=self._distrust or "this test ran with changed "
                    "functions or values: " + "; ".join(after[:3]), traceback=[]))
        return cell, resources


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


def make_config(course: Path, timeout: int | None = None, cell_timeout: int | None = None) -> Config:
    """The course's nbgrader_config.py with aekit's preprocessors and time limits."""
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


def make_api(course: Path, **limits) -> NbGraderAPI:
    """nbgrader's API object for the course folder, logging to ``LOG``."""
    # nbgrader runs the `alembic` executable of the environment it is installed in.
    bindir = str(Path(sys.executable).parent)
    if bindir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")
    config = make_config(course, **limits)
    return NbGraderAPI(CourseDirectory(config=config, log=LOG), config=config, log=LOG)
