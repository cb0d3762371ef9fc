"""A class on a real JupyterHub: nbgrader's exchange from release to feedback.

One instructor and two students, each a throw-away system user with their own server
spawned by the hub. The instructor releases ``kl_sparsity``; each student logs in with
Chromium, opens nbgrader's assignment list in JupyterLab, fetches the assignment, saves
their answer (one right, one with the KL divergence's sign flipped) and submits it; the
instructor collects, autogrades, writes and releases feedback; each student fetches their
feedback in the assignment list. The tests then check the scores, that neither student can
reach the other's work, and that only the instructor reaches the formgrader and the course.
"""
from __future__ import annotations

import html
import pwd
import re
import time
from pathlib import Path

import pytest

from hub import admin
from hub.answers import ASSIGNMENT, answer_file

pytestmark = [pytest.mark.slow, pytest.mark.browser]

SCREENSHOTS = Path(__file__).resolve().parents[1] / "browser" / "screenshots"
LOGIN_TIMEOUT_S = 150  # login, spawn and JupyterLab's first load, on a busy 2-core machine
ACTION_TIMEOUT_S = 120

# What JupyterLab does when a student saves a notebook: PUT it through the contents API,
# with the _xsrf cookie as the header the server checks.
SAVE_JS = """async ([url, text]) => {
  const m = document.cookie.match(/(?:^|; )_xsrf=([^;]*)/);
  const r = await fetch(url, {method: 'PUT', credentials: 'same-origin', headers: {
      'Content-Type': 'application/json', 'X-XSRFToken': m ? decodeURIComponent(m[1]) : ''},
    body: JSON.stringify({type: 'notebook', format: 'json', content: JSON.parse(text)})});
  return r.status;
}"""


def _shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"hub-{name}.png"), full_page=True)


def log_in(browser, running, user: str):
    """Log ``user`` in on the hub's login page; returns the page once JupyterLab is up.

    This and the other functions that touch a page run in the browser's thread
    (``browser.run``, see conftest.py).
    """
    context = browser.browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(ACTION_TIMEOUT_S * 1000)
    page.goto(f"{running.url}/hub/login")
    page.fill("#username_input", user)
    page.fill("#password_input", running.passwords[user])
    page.click("#login_submit")
    page.wait_for_url(re.compile(rf"/user/{user}/lab"), timeout=LOGIN_TIMEOUT_S * 1000)
    page.wait_for_selector(".lm-MenuBar-itemLabel", timeout=LOGIN_TIMEOUT_S * 1000)
    return page


def open_menu_item(page, menu: str, item: str) -> None:
    page.locator(".lm-MenuBar-itemLabel", has_text=menu).click()
    page.locator(".lm-Menu-itemLabel", has_text=item).first.click()


def fetch_save_submit(page, running, user: str, text: str) -> None:
    """In the assignment list: Fetch, save the answer in the fetched notebook, Submit."""
    open_menu_item(page, "Nbgrader", "Assignment List")
    released = page.locator("#released_assignments_list .list_item", has_text=ASSIGNMENT)
    released.get_by_role("button", name="Fetch").click()
    fetched = page.locator("#fetched_assignments_list .list_item", has_text=ASSIGNMENT).first
    fetched.wait_for()
    status = page.evaluate(SAVE_JS, [
        f"/user/{user}/api/contents/{ASSIGNMENT}/{ASSIGNMENT}.ipynb", text])
    assert status == 200, f"{user}: saving the answer answered HTTP {status}"
    fetched.get_by_role("button", name="Submit").click()
    page.locator("#submitted_assignments_list .list_item", has_text=ASSIGNMENT).first.wait_for()
    _shot(page, f"{user}-submitted")


def fetch_feedback(page, user: str) -> None:
    page.click("#refresh_assignments_list")
    submitted = page.locator("#submitted_assignments_list .list_item", has_text=ASSIGNMENT).first
    submitted.get_by_role("button", name="Fetch Feedback").click()
    page.locator("#submitted_assignments_list", has_text="view feedback").wait_for()
    _shot(page, f"{user}-feedback")


def score_in_feedback(path: Path) -> tuple[float, float]:
    """(score, max score) as nbgrader's feedback page states it."""
    text = html.unescape(re.sub(r"<[^>]+>", " ", path.read_text()))
    match = re.search(r"Score:\s*([\d.]+)\s*/\s*([\d.]+)", text)
    assert match, f"{path} states no score"
    return float(match.group(1)), float(match.group(2))


def can_read(running, user: str, path: Path) -> bool:
    """Whether ``user`` can list (a folder) or read (a file) ``path``."""
    command = ["ls", str(path)] if path.is_dir() else ["head", "-c", "1", str(path)]
    return admin.run_as(running.hub, user, command, check=False).returncode == 0


@pytest.fixture(scope="session")
def class_run(class_hub, browser):
    """The whole term for one assignment; returns what the tests check."""
    running = class_hub
    hub, teacher = running.hub, running.instructor
    right, wrong = running.students
    course = hub.course_dir(teacher)
    times = {}
    start = time.perf_counter()
    admin.release(hub, teacher, ASSIGNMENT)
    released = course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    texts = {right: answer_file(course / "source", released),
             wrong: answer_file(course / "source", released, wrong=True)}
    times["release"] = time.perf_counter() - start

    pages = {}
    try:
        # The instructor's server runs through the term (the formgrader lives in it).
        step = time.perf_counter()
        pages[teacher] = browser.run(log_in, browser, running, teacher)
        times["instructor log in"] = time.perf_counter() - step
        for student in running.students:
            step = time.perf_counter()
            pages[student] = browser.run(log_in, browser, running, student)
            browser.run(fetch_save_submit, pages[student], running, student, texts[student])
            times[f"{student} log in, fetch, submit"] = time.perf_counter() - step

        step = time.perf_counter()
        admin.nbgrader(hub, teacher, "collect", ASSIGNMENT, cwd=course)
        table = admin.grading(hub, teacher, "autograde", ASSIGNMENT)
        admin.grading(hub, teacher, "feedback", ASSIGNMENT)
        admin.nbgrader(hub, teacher, "release_feedback", ASSIGNMENT, cwd=course)
        times["collect, autograde, feedback"] = time.perf_counter() - step

        for student in running.students:
            browser.run(fetch_feedback, pages[student], student)
        yield {"running": running, "course": course, "table": table, "pages": pages,
               "right": right, "wrong": wrong, "times": times, "browser": browser}
    except Exception:
        for user, page in pages.items():
            browser.run(_shot, page, f"{user}-FAILED")
        print(running.log_tail())
        raise
    finally:
        print("\n[hub] " + ", ".join(f"{k} {v:.0f} s" for k, v in times.items()))
        for page in pages.values():
            browser.run(lambda p=page: p.context.close())


def _home(user: str) -> Path:
    return Path(pwd.getpwnam(user).pw_dir)


def test_scores_are_full_marks_and_less_for_the_wrong_answer(class_run):
    from nbgrader.api import Gradebook

    course = class_run["course"]
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "aekit") as gb:
        scores = {s: (gb.find_submission(ASSIGNMENT, s).score, gb.find_submission(ASSIGNMENT, s).max_score)
                  for s in class_run["running"].students}
    right, wrong = class_run["right"], class_run["wrong"]
    assert scores[right][0] == scores[right][1] == 10, (scores, class_run["table"])
    # The sign of the KL divergence flipped fails four test cells: 3 of 10 points are left.
    assert scores[wrong] == (3.0, 10.0), (scores, class_run["table"])
    # Each student fetched exactly one feedback page, their own, stating their score.
    for student in (right, wrong):
        pages = sorted((_home(student) / ASSIGNMENT / "feedback").glob(f"*/{ASSIGNMENT}.html"))
        assert len(pages) == 1, f"{student} has the feedback pages {pages}"
        assert score_in_feedback(pages[0]) == scores[student]
        ours = course / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html"
        assert pages[0].read_bytes() == ours.read_bytes()


def test_a_student_reaches_neither_the_others_work_nor_the_course(class_run):
    running = class_run["running"]
    right, wrong = class_run["right"], class_run["wrong"]
    course, exchange = class_run["course"], running.hub.exchange / "aekit"
    theirs = {s: _home(s) / ASSIGNMENT for s in (right, wrong)}
    secret = [course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", course / "gradebook.db",
              course / "submitted" / right / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", course]
    # The positive controls: each path exists and its owner reads it.
    for student in (right, wrong):
        assert can_read(running, student, theirs[student] / f"{ASSIGNMENT}.ipynb")
    assert all(can_read(running, running.instructor, p) for p in secret)
    for me, other in [(right, wrong), (wrong, right)]:
        assert not can_read(running, me, theirs[other] / f"{ASSIGNMENT}.ipynb")
        assert not can_read(running, me, next((theirs[other] / "feedback").glob("*/*.html")))
        assert not can_read(running, me, exchange / "inbound"), "inbound must not be listable"
        assert not can_read(running, me, exchange / "feedback"), "feedback must not be listable"
        for path in secret:
            assert not can_read(running, me, path), f"{me} can read {path}"
    # Through the hub, in the student's browser: another user's server, and the
    # formgrader, are refused.
    refused = [f"/user/{right}/files/{ASSIGNMENT}/{ASSIGNMENT}.ipynb",
               f"/user/{running.instructor}/formgrader", f"/user/{running.instructor}/lab"]
    own = f"/user/{wrong}/formgrader"
    statuses = class_run["browser"].run(_statuses, class_run["pages"][wrong], running.url,
                                        refused + [own])
    for path in refused:
        assert statuses[path] == 403, f"{wrong} opened {path}: HTTP {statuses[path]}"
    assert statuses[own] == 404, f"a student's own server serves the formgrader: HTTP {statuses[own]}"


def _statuses(page, url: str, paths: list[str]) -> dict[str, int]:
    """The HTTP status the page ends on, for each path opened in it."""
    return {path: page.goto(f"{url}{path}").status for path in paths}


def test_the_instructor_sees_the_formgrader_in_jupyterlab(class_run):
    running = class_run["running"]
    student = class_run["right"]
    policies = class_run["browser"].run(_open_formgrader, class_run["pages"], running, student)
    assert policies == {"instructor": "frame-ancestors 'self'", "student": "frame-ancestors 'none'"}


def _open_formgrader(pages, running, student: str) -> dict[str, str]:
    """Open Nbgrader > Formgrader as the instructor and wait until the embedded page shows
    the assignments, with the released one; returns the frame policies of both servers."""
    page = pages[running.instructor]
    response = page.request.get(f"{running.url}/user/{running.instructor}/formgrader")
    assert response.ok, f"formgrader: HTTP {response.status}"
    open_menu_item(page, "Nbgrader", "Formgrader")
    frame = page.frame_locator("#formgrader-iframe iframe")
    frame.locator("text=Manage Assignments").first.wait_for()
    frame.locator("td", has_text=ASSIGNMENT).first.wait_for()
    _shot(page, "formgrader")
    lab = pages[student].request.get(f"{running.url}/user/{student}/lab")
    return {"instructor": response.headers.get("content-security-policy"),
            "student": lab.headers.get("content-security-policy")}
