"""README promises that the tests keep: every lesson it names exists, and every lesson is listed."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
LESSONS = {p.name[:2]: p for p in (ROOT / "lessons").glob("[0-9][0-9]_*.ipynb")}


def _section(title: str) -> str:
    match = re.search(rf"^#+ {title}\n(.*?)(?=^#+ )", README, re.S | re.M)
    assert match, f"README has no section '{title}'"
    return match.group(1)


def _table_rows(text: str) -> list[list[str]]:
    rows = [[cell.strip() for cell in line.strip().strip("|").split("|")]
            for line in text.splitlines() if line.startswith("|")]
    return [r for r in rows[2:]]  # drop the header and the |---| line


def test_every_lesson_in_the_coverage_table_exists():
    rows = _table_rows(_section("Coverage"))
    assert len(rows) >= 25, "the coverage table lost rows"
    for concept, lessons in rows:
        numbers = re.findall(r"\b\d\d\b", lessons)
        assert numbers, f"coverage row '{concept}' names no lesson"
        for number in numbers:
            assert number in LESSONS, f"coverage row '{concept}' names lesson {number}, which does not exist"


def test_lesson_table_lists_every_lesson_once():
    rows = _table_rows(_section("Lessons"))
    listed = [row[0] for row in rows]
    assert sorted(listed) == sorted(LESSONS), (
        f"README's lesson table lists {sorted(listed)}, lessons/ holds {sorted(LESSONS)}")
    assert len(LESSONS) == 15, f"the course has lessons 00-14; found {sorted(LESSONS)}"


def test_quick_start_is_the_two_make_commands():
    quick = _section("Quick start")
    commands = re.findall(r"^make \w+", quick, re.M)
    assert commands == ["make lab", "make test"], commands
