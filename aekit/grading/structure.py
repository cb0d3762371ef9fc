"""Pure checks of a notebook's cells against the released version: no nbgrader, no kernel.

``check_structure`` finds graded or read-only cells that a submission deleted, moved, retyped,
duplicated or edited; ``find_leaks`` finds solution or hidden-test lines in a release.
"""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CellIssue", "nbgrader_meta", "tracked", "graded_ids", "find_leaks", "check_structure"]


@dataclass
class CellIssue:
    """A graded or read-only cell that a submission deleted, moved, retyped, duplicated or edited."""

    grade_id: str
    problem: str
    points: float = 0.0

    def __str__(self) -> str:
        what = {"deleted": "was deleted", "moved": "was moved out of its place",
                "retyped": "had its cell type changed", "duplicated": "appears more than once",
                "edited": "was edited (restored from the original before grading)"}[self.problem]
        return f"cell '{self.grade_id}' {what}"

    @property
    def forfeits(self) -> bool:
        """True if the cell's points are lost (a graded cell deleted, moved or retyped)."""
        return self.points > 0 and self.problem in ("deleted", "moved", "retyped")


def nbgrader_meta(cell) -> dict:
    """The cell's nbgrader metadata ({} for an ordinary cell)."""
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def tracked(nb) -> list[tuple[str, dict]]:
    """(grade_id, cell) of the cells nbgrader tracks: graded, solution or read-only."""
    out = []
    for cell in nb.cells:
        meta = nbgrader_meta(cell)
        if meta.get("grade_id") and (meta.get("grade") or meta.get("solution") or meta.get("locked")):
            out.append((meta["grade_id"], cell))
    return out


def graded_ids(nb) -> list[str]:
    """The grade ids of the cells that carry points."""
    return [gid for gid, cell in tracked(nb) if nbgrader_meta(cell).get("grade")]


_REGIONS = (("BEGIN SOLUTION", "END SOLUTION"), ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS"))


def find_leaks(source_nb, release_nb, min_length: int = 12) -> list[str]:
    """Lines of solutions or hidden tests in ``source_nb`` that appear as lines of ``release_nb``.

    Lines shorter than ``min_length`` characters, and lines that also appear outside those
    regions in the source (shared imports, ``return`` statements), are not counted.
    """
    secret, public = set(), set()
    for cell in source_nb.cells:
        inside = None
        for line in cell.source.splitlines():
            text = line.strip()
            if inside is None and any(begin in text for begin, _ in _REGIONS):
                inside = next(end for begin, end in _REGIONS if begin in text)
            elif inside is not None and inside in text:
                inside = None
            elif text:
                (secret if inside else public).add(text)
    released = "\n".join(cell.source for cell in release_nb.cells)
    released_lines = {line.strip() for line in released.splitlines()}
    leaks = [marker for pair in _REGIONS for marker in pair if marker in released]
    return leaks + sorted(line for line in secret - public
                          if len(line) >= min_length and line in released_lines)


def _longest_increasing(seq: list[int]) -> set[int]:
    """Positions of one longest strictly increasing subsequence of ``seq``."""
    best = [1] * len(seq)
    prev = [-1] * len(seq)
    for i in range(len(seq)):
        for j in range(i):
            if seq[j] < seq[i] and best[j] + 1 > best[i]:
                best[i], prev[i] = best[j] + 1, j
    keep, i = set(), max(range(len(seq)), key=best.__getitem__) if seq else -1
    while i >= 0:
        keep.add(i)
        i = prev[i]
    return keep


def check_structure(reference_nb, submitted_nb) -> list[CellIssue]:
    """Compare a submission's tracked cells with the released notebook's.

    Reports cells that were deleted (or lost their metadata by copy and paste), moved out of
    order, changed to another cell type, duplicated, or edited though read-only.
    """
    ref = tracked(reference_nb)
    order = {gid: i for i, (gid, _) in enumerate(ref)}
    ref_cells = dict(ref)
    points = {gid: float(nbgrader_meta(c).get("points", 0) or 0) if nbgrader_meta(c).get("grade") else 0.0
              for gid, c in ref}
    sub = [(gid, c) for gid, c in tracked(submitted_nb) if gid in order]
    issues, last = [], {}
    for gid, cell in sub:
        if gid in last:
            issues.append(CellIssue(gid, "duplicated", points[gid]))
        last[gid] = cell  # nbgrader keeps the last copy
    issues = list({i.grade_id: i for i in issues}.values())
    issues += [CellIssue(gid, "deleted", points[gid]) for gid, _ in ref if gid not in last]
    present = [gid for gid in dict.fromkeys(g for g, _ in reversed(sub))][::-1]  # last copies, in order
    keep = _longest_increasing([order[g] for g in present])
    issues += [CellIssue(g, "moved", points[g]) for i, g in enumerate(present) if i not in keep]
    for gid, cell in last.items():
        original = ref_cells[gid]
        if cell.cell_type != original.cell_type:
            issues.append(CellIssue(gid, "retyped", points[gid]))
        elif nbgrader_meta(original).get("locked") and cell.source.strip() != original.source.strip():
            issues.append(CellIssue(gid, "edited", points[gid]))
    return issues
