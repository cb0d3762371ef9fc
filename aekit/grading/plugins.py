"""nbgrader's configuration for this course and the preprocessors aekit adds to it."""
from __future__ import annotations

import logging
import math
import os
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
    from traitlets import Integer
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader
except ImportError as error:  # pragma: no cover - depends on the environment
    raise ImportError(
        f"aekit.grading needs nbgrader ({error}). Install the course's lab extras: "
        f"pip install -e '.[lab]' (or run `make lab` once).") from error

DEFAULT_TIMEOUT = 600       # seconds for a whole notebook
DEFAULT_CELL_TIMEOUT = 180  # seconds for one cell
TIME_LIMIT = "NotebookTimeLimit"
TIMEOUT_ERRORS = {"CellTimeoutError", TIME_LIMIT}

# nbgrader's log goes here: silent on the console, captured per submission (--verbose shows it).
LOG = logging.getLogger("aekit.grading.nbgrader")
LOG.addHandler(logging.NullHandler())
LOG.propagate = False
LOG.setLevel(logging.WARNING)


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
