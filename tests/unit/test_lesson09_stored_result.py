"""Lesson 09 shows the stored Fashion-MNIST result of ``python -m aekit.bench hinton2006`` and
discusses its numbers in prose. These tests fail when the stored file moves, loses its table,
or is re-run with numbers (or epochs) that the lesson's text no longer matches."""
import importlib.resources
import json
import re
from pathlib import Path

import pytest

LESSON = Path(__file__).resolve().parents[2] / "lessons" / "09_deep_autoencoders_and_pretraining.ipynb"
STORED = importlib.resources.files("aekit.bench") / "results" / "hinton2006_fashion-mnist_budget.txt"


def stored_numbers() -> dict[str, float]:
    """The Fashion-MNIST row, the errors before fine-tuning and the epochs of the stored run."""
    text = STORED.read_text()
    row = next(line for line in text.splitlines() if line.startswith("fashion-mnist (this run)"))
    rbm, stack, random, logistic, pca = (float(v) for v in row.split()[-5:])
    before = re.search(r"deep AE \(RBMs\) ([\d.]+), deep AE \(AE stack\) ([\d.]+), "
                       r"deep AE \(random\) ([\d.]+)", text)
    epochs = re.search(r"epochs \(pretraining per layer \+ fine-tuning\): deep AE \(RBMs\) "
                       r"(\d+)\+(\d+)", text)
    equal = re.findall(r"at equal cost: deep AE \((?:AE stack|random)\) ([\d.]+) after \d+ "
                       r"epochs and ([\d.]+) CPU-min; deep AE \(RBMs\) at the same CPU time "
                       r"([\d.]+)", text)
    return {"rbm": rbm, "stack": stack, "random": random, "logistic": logistic, "pca": pca,
            "rbm_before": float(before[1]), "stack_before": float(before[2]),
            "random_before": float(before[3]),
            "rbm_epochs": int(epochs[1]), "fine_tune_epochs": int(epochs[2]),
            "stack_minutes": float(equal[0][1]), "rbm_at_stack": float(equal[0][2]),
            "random_minutes": float(equal[1][1]), "rbm_at_random": float(equal[1][2])}


def lesson_prose() -> str:
    cells = json.loads(LESSON.read_text())["cells"]
    return " ".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")


def test_the_lesson_reads_a_stored_result_that_exists():
    assert STORED.is_file(), f"{STORED} is missing: lesson 09 prints it"
    source = " ".join("".join(c["source"]) for c in json.loads(LESSON.read_text())["cells"])
    assert '"results" / "hinton2006_fashion-mnist_budget.txt"' in source


@pytest.mark.parametrize("quoted", [
    lambda n: f"about {n['rbm']:.1f} per image",
    lambda n: f"about {n['stack']:.1f} per image",
    lambda n: f"{round(100 * (1 - n['rbm'] / n['pca']))}% below PCA",
    lambda n: f"({n['pca']:.2f})",
    lambda n: f"ends at {n['random']:.1f}",
    lambda n: f"logistic PCA ({n['logistic']:.2f})",
    lambda n: f"start at {n['rbm_before']:.1f}",
    lambda n: f"{n['stack_before']:.1f} (shallow autoencoders)",
    lambda n: f"the random start at {n['random_before']:.1f}",
    lambda n: f"bought {n['rbm_epochs']} epochs per RBM and {n['fine_tune_epochs']} epochs",
    lambda n: f"random start's {n['random_minutes']:.1f} CPU-minutes the RBM scheme was at "
              f"{n['rbm_at_random']:.1f}",
    lambda n: f"{n['stack_minutes']:.1f} minutes the two greedy recipes were level "
              f"({n['rbm_at_stack']:.2f} against {n['stack']:.2f})",
])
def test_the_discussion_quotes_the_stored_numbers(quoted):
    numbers = stored_numbers()
    text = " ".join(lesson_prose().split())
    expected = quoted(numbers)
    assert expected in text, (
        f"lesson 09 should say {expected!r} about the stored benchmark result; update its "
        f"section 6 to the numbers in {STORED.name}")


def test_the_stored_numbers_support_the_lessons_reading():
    numbers = stored_numbers()
    assert numbers["rbm"] < numbers["pca"] and numbers["stack"] < numbers["pca"], (
        "the lesson says both pretrained networks beat PCA in the stored run")
    assert numbers["random"] > numbers["pca"], (
        "the lesson says the random start ends worse than PCA in the stored run")
    assert numbers["rbm"] <= 0.5 * numbers["pca"], (
        "the 15-minute budget should bring the RBM-pretrained network to half of PCA's error")
    assert numbers["rbm"] < numbers["logistic"] < numbers["stack"], (
        "the lesson says logistic PCA beats the shallow-autoencoder stack but not the RBM scheme")


def test_the_lesson_draws_the_stored_time_curves():
    from aekit.bench._hinton_runs import load_result, time_curves_figure

    result = load_result()
    assert set(result["curves"]) == {"rbm", "autoencoders", "random"}
    rbm = result["curves"]["rbm"]
    assert rbm[0]["cpu_minutes"] > 0, "the RBM curve starts after its pretraining"
    assert rbm[-1]["test_error"] == pytest.approx(stored_numbers()["rbm"], abs=0.01)
    fig = time_curves_figure(result)
    assert len(fig.axes[0].lines) >= 5  # three schemes, PCA and logistic PCA
    # each pretrained scheme's pretraining is its own strip, in its colour, with its own label
    strips = [p for p in fig.axes[0].patches if "pretraining" in p.get_label()]
    assert len(strips) == 2 and len({p.get_label() for p in strips}) == 2
    (y0, y1), (y2, y3) = sorted((p.get_bbox().y0, p.get_bbox().y1) for p in strips)
    assert y1 <= y2, "the two pretraining strips should not overlap"
    source = " ".join("".join(c["source"]) for c in json.loads(LESSON.read_text())["cells"])
    assert "time_curves_figure()" in source
