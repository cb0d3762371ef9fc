"""A throw-away course hub on 127.0.0.1: fresh folder, system users, JupyterHub running.

Used by the tests in tests/hub and by the load run (python -m hub.load); needs root.

    with start_hub(n_students=2) as running:
        running.url, running.instructor, running.students, running.passwords
"""
from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from hub import admin

REPO = Path(__file__).resolve().parents[1]
HUB_START_TIMEOUT_S = 90


def why_no_hub() -> str | None:
    """Why a real hub cannot run here, or None."""
    installed = admin.Hub.from_env()
    if os.geteuid() != 0:
        return ("not root. It creates throw-away system users and JupyterHub starts each "
                "user's server as that user; run it as root (sudo).")
    if not (installed.venv / "bin" / "jupyterhub-singleuser").exists():
        return (f"no hub environment at {installed.venv}; `make hub-env` (run by `make test` "
                f"as root) installs it: see its output for what failed.")
    if not installed.proxy.exists():
        return (f"configurable-http-proxy is not at {installed.proxy}; `make hub-env` installs "
                f"it with npm (Node.js and npm from Debian).")
    if not shutil.which("useradd"):
        return "no useradd on this machine to create the users."
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class RunningHub:
    """A started hub, its users and their passwords."""

    hub: admin.Hub
    url: str
    instructor: str
    students: list[str]
    passwords: dict[str, str] = field(default_factory=dict)
    log: Path | None = None

    def log_tail(self, n: int = 60) -> str:
        if not self.log or not self.log.exists():
            return ""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])


@contextlib.contextmanager
def start_hub(n_students: int, tag: str | None = None):
    """Set up a hub in a fresh folder with one instructor and ``n_students``; yield it running.

    Everything is removed afterwards: the hub's processes, the users with their homes, the
    groups and the folder.
    """
    installed = admin.Hub.from_env()
    tag = tag or secrets.token_hex(2)
    root = Path(tempfile.mkdtemp(prefix=f"aekit-hub-{tag}-", dir="/tmp"))
    hub = admin.Hub(root=root, venv=installed.venv, proxy=installed.proxy,
                    instructors=f"aekt{tag}-teach", students=f"aekt{tag}-learn")
    instructor = f"aekt{tag}i"
    students = [f"aekt{tag}s{i:02d}" for i in range(n_students)]
    running = RunningHub(hub, "", instructor, students)
    process = None
    try:
        admin.install(hub)
        for name, role in [(instructor, "instructor")] + [(s, "student") for s in students]:
            running.passwords[name] = secrets.token_urlsafe(12)
            admin.add_user(hub, name, role, running.passwords[name])
        port = free_port()
        running.url = f"http://127.0.0.1:{port}"
        env = dict(os.environ, AEKIT_HUB_DIR=str(root), AEKIT_HUB_VENV=str(hub.venv),
                   AEKIT_HUB_PROXY=str(hub.proxy), AEKIT_HUB_INSTRUCTORS=hub.instructors,
                   AEKIT_HUB_STUDENTS=hub.students, AEKIT_HUB_PORT=str(port),
                   AEKIT_HUB_INTERNAL_PORT=str(free_port()),
                   AEKIT_HUB_PROXY_API_PORT=str(free_port()))
        running.log = hub.state / "jupyterhub.log"
        with open(running.log, "wb") as log:
            process = subprocess.Popen(
                [str(hub.venv / "bin" / "jupyterhub"), "-f", str(REPO / "hub" / "jupyterhub_config.py")],
                cwd=hub.state, env=env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)
        deadline = time.monotonic() + HUB_START_TIMEOUT_S
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"JupyterHub exited with {process.returncode}:\n{running.log_tail()}")
            try:
                urllib.request.urlopen(f"{running.url}/hub/api/", timeout=5).read()
                break
            except (urllib.error.URLError, ConnectionError, OSError):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"JupyterHub did not answer within {HUB_START_TIMEOUT_S} s:\n"
                                f"{running.log_tail()}")
                time.sleep(0.5)
        yield running
    finally:
        if process is not None and process.poll() is None:
            process.terminate()  # the hub stops the users' servers as it exits
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, 9)
                process.wait()
        for name in [instructor, *students]:
            admin.remove_user(name)
        for group in (hub.instructors, hub.students):
            subprocess.run(["groupdel", group], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)
