"""The robustness matrix: which runs it makes, which cells it reads, how it judges them."""
import nbformat

from aekit.bench.robustness import (LessonResult, Run, check_cells, compared_cells, compared_text,
                                    matrix, report)


def test_matrix_is_seeds_at_native_kernels_then_seed_0_at_each_kernel_and_thread_count():
    runs = matrix(range(3), ["default", "avx2"], (1, 2))
    assert runs[:3] == [Run(0), Run(1), Run(2)]
    assert runs[3:] == [Run(0, "default", 1), Run(0, "default", 2), Run(0, "avx2", 1),
                        Run(0, "avx2", 2)]
    assert Run(3, "avx2", 1).env() == {"AEKIT_SEED": "3", "ATEN_CPU_CAPABILITY": "avx2",
                                       "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    assert Run(4).env() == {"AEKIT_SEED": "4"}


def _notebook():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("assert in prose is not a check"),
                nbformat.v4.new_code_cell("x = 1"),
                nbformat.v4.new_code_cell("# NBVAL_CHECK_OUTPUT\nassert x == 1\nprint('ok')"),
                nbformat.v4.new_code_cell("for i in range(2):\n    assert i < 2"),
                nbformat.v4.new_code_cell("y = 'assert' in 'text'")]
    nb.cells[2].outputs = [nbformat.v4.new_output("stream", name="stdout", text="ok\n"),
                           nbformat.v4.new_output("stream", name="stderr", text="warning\n")]
    return nb


def test_check_and_compared_cells_are_found_by_their_source():
    nb = _notebook()
    assert check_cells(nb) == [2, 3]
    assert compared_cells(nb) == [2]
    assert compared_text(nb.cells[2]) == "ok\n"   # stderr is not compared


def test_report_fails_a_check_that_failed_once_and_an_output_that_differs(tmp_path):
    path = tmp_path / "00_lesson.ipynb"
    nbformat.write(_notebook(), path)
    runs = [Run(0), Run(1)]
    good = {(path.name, r): LessonResult(checks={2: None, 3: None}, compared={2: "ok\n"})
            for r in runs}
    table, passed = report(good, [path], runs)
    assert passed and "| cell 2 | 2 / 2 |" in table and "1 identical in every run" in table

    one_failed = dict(good)
    one_failed[(path.name, runs[1])] = LessonResult(checks={2: None, 3: "AssertionError"},
                                                    compared={2: "ok\n"})
    table, passed = report(one_failed, [path], runs)
    assert not passed and "| cell 3 | 1 / 2 |" in table

    drifted = dict(good)
    drifted[(path.name, runs[1])] = LessonResult(checks={2: None, 3: None}, compared={2: "0.763\n"})
    table, passed = report(drifted, [path], runs)
    assert not passed and "DIFFER in cells [2]" in table
