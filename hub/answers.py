"""Students' answers for the hub's tests and load run: the released notebook, filled in.

``answer(course, name)`` is what a student who solved everything would hand in: the release
with each answer cell holding the source's solution (the solution markers dropped). With
``wrong=True`` the KL divergence of ``kl_sparsity`` has its sign flipped, a mistake that
fails four of its test cells (3 of 10 points left).
"""
from __future__ import annotations

import copy
from pathlib import Path

import nbformat

ASSIGNMENT = "kl_sparsity"
RIGHT_KL = "rho * torch.log(rho / rho_hat) + (1 - rho) * torch.log((1 - rho) / (1 - rho_hat))"
WRONG_KL = "rho * torch.log(rho_hat / rho) + (1 - rho) * torch.log((1 - rho_hat) / (1 - rho))"


def _solution_text(cell) -> str:
    kept = [line for line in cell.source.split("\n")
            if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION")]
    return "\n".join(kept)


def answer(release_nb, source_nb, wrong: bool = False):
    """The release with the source's solutions in its answer cells (and the mistake, if wrong)."""
    solutions = {}
    for cell in source_nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            solutions[meta["grade_id"]] = _solution_text(cell)
    nb = copy.deepcopy(release_nb)
    changed = 0
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in solutions:
            cell.source = solutions[grade_id]
            if wrong and RIGHT_KL in cell.source:
                cell.source = cell.source.replace(RIGHT_KL, WRONG_KL)
                changed += 1
    if wrong and not changed:
        raise ValueError("the wrong answer no longer applies: the KL divergence of the source "
                         f"does not contain {RIGHT_KL!r}")
    return nb


def answer_file(course_source: Path, release_nb_path: Path, wrong: bool = False) -> str:
    """``answer`` of a released notebook file, as the JSON text a student's editor saves."""
    release_nb = nbformat.read(str(release_nb_path), as_version=4)
    name = release_nb_path.stem
    source_nb = nbformat.read(str(course_source / name / f"{name}.ipynb"), as_version=4)
    return nbformat.writes(answer(release_nb, source_nb, wrong))
