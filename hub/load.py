"""A class-sized run on this machine: ten students fetch and submit at once, then autograding.

    sudo make hub-load                      # or: python -m hub.load --students 10

On a throw-away hub (hub.local): every student logs in and gets their own server, as in a
browser (the hub's login form, then the server's own endpoints that nbgrader's assignment
list calls). Once all servers are up, all students at the same moment fetch the
assignment, save their answer (half right, half with the KL divergence's sign flipped) and
submit. The instructor then collects and autogrades everything twice: one submission after
another (``python -m aekit.grading autograde``), then with a worker per core
(``python -m hub.autograde``). The figures are printed, with what they imply for 200.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import pwd
import re
import sys
import threading
import time
from pathlib import Path

import psutil
import requests

from hub import admin
from hub.answers import ASSIGNMENT, answer_file
from hub.local import start_hub, why_no_hub

SERVER_TIMEOUT_S = 300


class Student:
    """One student's browser session: the hub's and their server's cookies."""

    def __init__(self, url: str, name: str, password: str):
        self.url, self.name, self.password = url, name, password
        self.http = requests.Session()
        self.server = f"{url}/user/{name}"

    def log_in_and_wait(self) -> float:
        """Log in on the hub's form (which starts the server); returns seconds until it answers."""
        start = time.perf_counter()
        page = self.http.get(f"{self.url}/hub/login", timeout=60)
        xsrf = re.search(r'name="_xsrf" value="([^"]+)"', page.text)
        form = {"username": self.name, "password": self.password}
        if xsrf:
            form["_xsrf"] = xsrf.group(1)
        self.http.post(f"{self.url}/hub/login", data=form, timeout=120)
        # As a browser: open the server's page (the hub sends it to the spawn page until the
        # server is up, then the server logs the student in and sets its own cookies).
        deadline = time.monotonic() + SERVER_TIMEOUT_S
        while time.monotonic() < deadline:
            page = self.http.get(f"{self.server}/lab", timeout=60)
            if page.ok and page.url.split("?")[0].endswith(f"/user/{self.name}/lab"):
                status = self.http.get(f"{self.server}/api/status", timeout=60)
                if status.ok:
                    return time.perf_counter() - start
            time.sleep(2)
        raise RuntimeError(f"{self.name}: no server after {SERVER_TIMEOUT_S} s")

    def _headers(self) -> dict:
        return {"X-XSRFToken": self.http.cookies.get("_xsrf", path=f"/user/{self.name}/") or ""}

    def _action(self, action: str) -> None:
        reply = self.http.post(f"{self.server}/assignments/{action}", headers=self._headers(),
                               data={"course_id": admin.COURSE_ID, "assignment_id": ASSIGNMENT},
                               timeout=300)
        reply.raise_for_status()
        body = reply.json()
        if not body.get("success"):
            raise RuntimeError(f"{self.name}: {action} failed: {body.get('value', body)}")

    def fetch_save_submit(self, text: str) -> dict[str, float]:
        times = {}
        start = time.perf_counter()
        self._action("fetch")
        times["fetch"] = time.perf_counter() - start
        reply = self.http.put(f"{self.server}/api/contents/{ASSIGNMENT}/{ASSIGNMENT}.ipynb",
                              headers=self._headers(), timeout=120,
                              json={"type": "notebook", "format": "json",
                                    "content": json.loads(text)})
        reply.raise_for_status()
        mark = time.perf_counter()
        self._action("submit")
        times["submit"] = time.perf_counter() - mark
        times["all"] = time.perf_counter() - start
        return times


def _servers_memory(names: list[str]) -> float:
    """Resident memory (GB) of all processes of these users: their servers, mostly."""
    uids = {pwd.getpwnam(n).pw_uid for n in names}
    total = 0
    for proc in psutil.process_iter(["uids", "memory_info"]):
        try:
            if proc.info["uids"] and proc.info["uids"].real in uids:
                total += proc.info["memory_info"].rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return total / 1e9


def run(n_students: int, workers: int) -> dict:
    figures: dict = {"students": n_students, "workers": workers, "cores": os.cpu_count()}
    with start_hub(n_students=n_students) as running:
        hub, teacher = running.hub, running.instructor
        course = hub.course_dir(teacher)
        admin.release(hub, teacher, ASSIGNMENT)
        released = course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        texts = [answer_file(course / "source", released, wrong=bool(i % 2))
                 for i in range(n_students)]
        students = [Student(running.url, s, running.passwords[s]) for s in running.students]

        with concurrent.futures.ThreadPoolExecutor(n_students) as pool:
            start = time.perf_counter()
            spawn = list(pool.map(Student.log_in_and_wait, students))
            figures["servers up (s)"] = time.perf_counter() - start
            figures["slowest server start (s)"] = max(spawn)
            figures["servers' memory (GB)"] = _servers_memory(running.students)

            barrier = threading.Barrier(n_students)

            def at_once(pair):
                student, text = pair
                barrier.wait()
                return student.fetch_save_submit(text)

            start = time.perf_counter()
            each = list(pool.map(at_once, zip(students, texts)))
            figures["fetch+submit, all at once (s)"] = time.perf_counter() - start
            figures["slowest fetch (s)"] = max(t["fetch"] for t in each)
            figures["slowest submit (s)"] = max(t["submit"] for t in each)

        admin.nbgrader(hub, teacher, "collect", ASSIGNMENT, cwd=course)
        start = time.perf_counter()
        sequential = admin.grading(hub, teacher, "autograde", ASSIGNMENT)
        figures["autograde one after another (s)"] = time.perf_counter() - start
        start = time.perf_counter()
        parallel = admin.run_as(hub, teacher, [
            str(hub.autograde_command), ASSIGNMENT, "--course", str(course),
            "--workers", str(workers)], cwd=course).stdout
        figures["autograde, a worker per core (s)"] = time.perf_counter() - start
        figures["scores"] = _scores(sequential), _scores(parallel)
    return figures


def _scores(table: str) -> list[str]:
    return re.findall(r"^\S+\s+(\d+\.\d/\d+\.\d)", table, re.M)


def report(f: dict) -> str:
    n, per = f["students"], 200 / f["students"]
    memory = f["servers' memory (GB)"]
    seq, par = f["autograde one after another (s)"], f["autograde, a worker per core (s)"]
    lines = [f"{k}: {v:.1f}" if isinstance(v, float) else f"{k}: {v}" for k, v in f.items()
             if k != "scores"]
    same = f["scores"][0] == f["scores"][1]
    lines.append(f"scores, sequential vs parallel: {'the same' if same else 'DIFFERENT'}: "
                 f"{f['scores'][0]}")
    lines.append(
        f"for 200 students on this machine: autograding about {seq * per / 60:.0f} min one "
        f"after another, {par * per / 60:.0f} min with {f['workers']} workers "
        f"({par / n:.0f} s per submission); about {memory * per:.0f} GB for "
        f"200 idle servers, so 200 at once need more than one machine")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hub.load", description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=10)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    reason = why_no_hub()
    if reason:
        print(f"error: cannot run the load test: {reason}", file=sys.stderr)
        return 2
    print(report(run(args.students, args.workers)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
