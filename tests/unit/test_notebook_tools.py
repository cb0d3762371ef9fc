"""The lesson runner: cleaning executed notebooks before they are committed, and running one."""
import base64

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from aekit.bench.lessons import run_notebook
from aekit.notebooks import WIDGET_VIEW, clean_notebook, write_clean

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\nnot really an image").decode()
VIEW = {"version_major": 2, "version_minor": 0, "model_id": "abc123"}


def executed_notebook():
    """A notebook as nbclient leaves it after running a lesson with an explorer and tqdm."""
    nb = new_notebook()
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    explorer = new_output("display_data", data={WIDGET_VIEW: VIEW, "image/png": PNG,
                                                "text/plain": "explorer (a static picture)"})
    progress = new_output("display_data", data={WIDGET_VIEW: VIEW,
                                                "text/plain": "  0%|          | 0/3"})
    figure = new_output("execute_result", data={"image/png": PNG,
                                                "text/plain": "<Figure size 640x480>"},
                        execution_count=2)
    nb.cells = [
        new_markdown_cell("# A lesson"),
        new_code_cell("print('a'); print('b')", execution_count=1, outputs=[
            new_output("stream", name="stdout", text="a\n"),
            new_output("stream", name="stderr", text="  0%|  | 0/3 [00:00<?, ?it/s]\n"),
            new_output("stream", name="stdout", text="b\n")]),
        new_code_cell("fig", execution_count=2, outputs=[figure]),
        new_code_cell("fit(...)", execution_count=3, outputs=[progress]),
        new_code_cell("explorer", execution_count=4, outputs=[explorer]),
    ]
    for cell in nb.cells[1:]:
        cell.metadata["execution"] = {"iopub.execute_input": "2025-01-01T00:00:00.000000Z",
                                      "shell.execute_reply": "2025-01-01T00:00:01.000000Z"}
    return nb


def test_clean_notebook_strips_widgets_noise_and_timestamps():
    nb = clean_notebook(executed_notebook())
    nbformat.validate(nb)
    text = nbformat.writes(nb)
    assert "widget-state" not in text and "widget-view" not in text and "model_id" not in text
    assert "widgets" not in nb.metadata
    assert nb.metadata["kernelspec"]["name"] == "python3"  # unrelated metadata is kept
    assert all("execution" not in cell.metadata for cell in nb.cells)
    printed, figure, progress, explorer = (cell.outputs for cell in nb.cells[1:])
    # stderr (tqdm's text bar) is gone; the two stdout pieces are merged into one stream
    assert len(printed) == 1 and printed[0].name == "stdout" and printed[0].text == "a\nb\n"
    # an ordinary figure is untouched
    assert figure[0].data["image/png"] == PNG and figure[0].execution_count == 2
    # a progress bar is only a widget view: nothing is left to show without the widget
    assert progress == []
    # an explorer keeps its static picture and its text, without the view
    assert set(explorer[0].data) == {"image/png", "text/plain"}
    assert explorer[0].data["image/png"] == PNG


def test_clean_notebook_is_idempotent_and_keeps_clean_outputs():
    once = nbformat.writes(clean_notebook(executed_notebook()))
    twice = nbformat.writes(clean_notebook(nbformat.reads(once, as_version=4)))
    assert once == twice


def test_clean_notebook_rejects_non_notebooks():
    with pytest.raises(TypeError, match="nbformat"):
        clean_notebook(["not", "a", "notebook"])


def test_run_notebook_rejects_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no notebook"):
        run_notebook(tmp_path / "missing.ipynb")


@pytest.mark.slow
def test_run_notebook_measures_memory_and_saves_clean_outputs(tmp_path, monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")  # the runner must not pass this on to the kernel
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [
        new_code_cell("%matplotlib inline\nimport os, numpy as np\n"
                      "big = np.ones(40_000_000)  # 305 MiB, touched\nprint(os.getcwd())"),
        new_code_cell("import sys; print('noise', file=sys.stderr)\n"
                      "from matplotlib.figure import Figure\n"
                      "fig = Figure(); fig.subplots().plot([0, 1]); fig"),
        new_code_cell("import ipywidgets\nipywidgets.IntSlider()"),
    ]
    path = tmp_path / "lesson.ipynb"
    nbformat.write(nb, path)
    seconds, peak_mb = run_notebook(path, save=write_clean)
    assert 0 < seconds < 120
    assert peak_mb > 305, f"peak {peak_mb:.0f} MiB misses the 305 MiB array"
    saved = nbformat.read(path, as_version=4)
    first, second, third = (cell.outputs for cell in saved.cells)
    assert first[0].text.strip() == str(tmp_path)  # runs in the notebook's folder
    assert [o.output_type for o in second] == ["execute_result"]  # stderr dropped
    assert "image/png" in second[0].data  # a figure, not "<Figure size ...>" text
    assert third == [] and "widgets" not in saved.metadata


@pytest.mark.slow
def test_run_notebook_reports_a_failing_cell(tmp_path):
    pytest.importorskip("nbclient")
    from nbclient.exceptions import CellExecutionError

    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [new_code_cell("assert 1 + 1 == 3, 'arithmetic is broken'")]
    path = tmp_path / "broken.ipynb"
    nbformat.write(nb, path)
    before = path.read_text()
    with pytest.raises(CellExecutionError, match="arithmetic is broken"):
        run_notebook(path, save=write_clean)
    assert path.read_text() == before  # a failed run never overwrites the lesson
