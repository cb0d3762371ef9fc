"""Set up and run the course's JupyterHub on one machine (run as root).

    python -m hub.admin install                       # folders, configuration, lessons
    python -m hub.admin add-user ada --role student   # a system user in the students' group
    python -m hub.admin add-user grace --role instructor
    python -m hub.admin release kl_sparsity --instructor grace
    python -m hub.admin start                         # JupyterHub on 127.0.0.1:8000

``make hub`` runs ``install`` and ``start`` after installing the environment and the proxy.

Everything lives in one folder, ``AEKIT_HUB_DIR`` (default /srv/aekit-hub)::

    venv/        the course's Python environment, shared by every user (aekit, JupyterLab,
                 nbgrader, JupyterHub); none of the course's solutions are in it
    proxy/       configurable-http-proxy from npm
    bin/         aekit-autograde (hub/autograde.py): autograding with a worker per core
    etc/common/  nbgrader_config.py for everyone: course id and exchange folder
    etc/student/, etc/instructor/   what differs between the two kinds of server
    lessons/     the lessons, copied into each user's home on their first start
    exchange/    nbgrader's exchange (mode 1777); exchange/aekit belongs to the instructor
    state/       the hub's database and cookie secret (root only)

The instructor's course folder is ``~instructor/aekit`` (mode 700): the assignments' sources
with solutions and hidden tests, the submissions and the gradebook. Students reach nothing
of it; they exchange files only through ``exchange/``.
"""
from __future__ import annotations

import argparse
import grp
import os
import pwd
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
COURSE_SOURCE = REPO / "lessons" / "assignments"
COURSE_ID = "aekit"
COURSE_FOLDER = "aekit"  # in the instructor's home
ROLES = ("student", "instructor")
_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,30}$")  # what useradd and JupyterHub both accept

COMMON_NBGRADER_CONFIG = '''\
# Written by `python -m hub.admin install`: the course every user of this hub takes.
c = get_config()  # noqa: F821
c.CourseDirectory.course_id = {course_id!r}
c.Exchange.root = {exchange!r}
'''
# Appended to the instructor's copy of lessons/assignments/nbgrader_config.py.
COURSE_CONFIG_ON_HUB = '''
# --- on the course hub (added by `python -m hub.admin add-user --role instructor`)
c.Exchange.root = {exchange!r}
# Graders working in parallel share this SQLite gradebook: wait for a lock, do not fail.
c.CourseDirectory.db_url = {db_url!r}
# nbgrader leaves autograded notebooks read-only (444); `aekit.grading autograde` then adds
# its grading note to them, which only root may do to a read-only file. The instructor
# is not root here: keep them writable by their owner.
c.Autograde.permissions = 644
'''
DB_LOCK_TIMEOUT_S = 120


@dataclass(frozen=True)
class Hub:
    """Where one hub keeps its files, and the two system groups it serves."""

    root: Path
    venv: Path
    proxy: Path
    instructors: str = "aekit-instructors"
    students: str = "aekit-students"

    @classmethod
    def from_env(cls, env=os.environ) -> "Hub":
        root = Path(env.get("AEKIT_HUB_DIR", "/srv/aekit-hub"))
        return cls(root=root,
                   venv=Path(env.get("AEKIT_HUB_VENV", root / "venv")),
                   proxy=Path(env.get("AEKIT_HUB_PROXY", root / "proxy" / "node_modules" / ".bin"
                                      / "configurable-http-proxy")),
                   instructors=env.get("AEKIT_HUB_INSTRUCTORS", cls.instructors),
                   students=env.get("AEKIT_HUB_STUDENTS", cls.students))

    @property
    def exchange(self) -> Path:
        return self.root / "exchange"

    @property
    def state(self) -> Path:
        return self.root / "state"

    @property
    def autograde_command(self) -> Path:
        """hub/autograde.py, installed for the instructor: autograding with a worker per core."""
        return self.root / "bin" / "aekit-autograde"

    @property
    def lessons(self) -> Path:
        return self.root / "lessons"

    def config_path(self, role: str) -> str:
        """JUPYTER_CONFIG_PATH for a server or a command of this role."""
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}; choose one of {ROLES}")
        return os.pathsep.join([str(self.root / "etc" / role), str(self.root / "etc" / "common")])

    def members(self, group: str) -> set[str]:
        """The users in a system group (as a supplementary or as their primary group)."""
        try:
            entry = grp.getgrnam(group)
        except KeyError:
            return set()
        return set(entry.gr_mem) | {p.pw_name for p in pwd.getpwall() if p.pw_gid == entry.gr_gid}

    def role_of(self, user: str) -> str:
        if user in self.members(self.instructors):
            return "instructor"
        if user in self.members(self.students):
            return "student"
        raise PermissionError(f"{user} is in neither {self.instructors} nor {self.students}")

    def course_dir(self, instructor: str) -> Path:
        if instructor not in self.members(self.instructors):
            raise ValueError(f"{instructor} is not an instructor of this hub (not in "
                             f"{self.instructors}): add them with `make hub-user "
                             f"NAME={instructor} ROLE=instructor`")
        return Path(pwd.getpwnam(instructor).pw_dir) / COURSE_FOLDER


def _require_root() -> None:
    if os.geteuid() != 0:
        raise PermissionError("this needs root: JupyterHub starts each user's server as that "
                              "user, and setting up users and folders needs root too (sudo)")


def _check_name(name: str) -> str:
    if not _NAME.match(name):
        raise ValueError(f"{name!r} is not a usable user name: lower-case letters, digits, "
                         f"'-' and '_', starting with a letter, at most 31 characters")
    return name


def _chown_tree(path: Path, user: str) -> None:
    entry = pwd.getpwnam(user)
    for folder, dirs, files in os.walk(path):
        for name in [folder, *(os.path.join(folder, f) for f in dirs + files)]:
            os.chown(name, entry.pw_uid, entry.pw_gid, follow_symlinks=False)


# --------------------------------------------------------------------------- install
def install(hub: Hub) -> None:
    """Create the hub's folders and configuration (idempotent; keeps the exchange's files)."""
    _require_root()
    if not (hub.venv / "bin" / "jupyterhub-singleuser").exists():
        raise FileNotFoundError(f"no course environment at {hub.venv} (jupyterhub-singleuser is "
                                f"missing): run `make hub`, which installs it")
    python = (hub.venv / "bin" / "python").resolve()
    hidden = next((p for p in python.parents if not os.stat(p).st_mode & 0o001), None)
    if hidden is not None:
        raise PermissionError(f"the environment's Python {python} is inside {hidden}, which "
                              f"other users cannot enter: build {hub.venv} from the system's "
                              f"Python (make hub does, with HUB_PYTHON=/usr/bin/python3)")
    hub.root.mkdir(parents=True, exist_ok=True)
    hub.root.chmod(0o755)
    etc = hub.root / "etc"
    if etc.exists():
        shutil.rmtree(etc)
    shutil.copytree(HERE / "etc", etc, ignore=shutil.ignore_patterns("__pycache__"))
    (etc / "common").mkdir()
    (etc / "common" / "nbgrader_config.py").write_text(
        COMMON_NBGRADER_CONFIG.format(course_id=COURSE_ID, exchange=str(hub.exchange)))
    if hub.lessons.exists():
        shutil.rmtree(hub.lessons)
    shutil.copytree(REPO / "lessons", hub.lessons, ignore=shutil.ignore_patterns(
        "assignments", ".ipynb_checkpoints", "__pycache__"))
    for folder, dirs, files in os.walk(hub.root / "etc"):
        os.chmod(folder, 0o755)
        for f in files:
            os.chmod(os.path.join(folder, f), 0o644)
    hub.autograde_command.parent.mkdir(mode=0o755, exist_ok=True)
    hub.autograde_command.write_text(f"#!{hub.venv / 'bin' / 'python'}\n"
                                     + (HERE / "autograde.py").read_text())
    hub.autograde_command.chmod(0o755)
    hub.exchange.mkdir(exist_ok=True)
    hub.exchange.chmod(0o1777)  # nbgrader wants it writable by all; the sticky bit keeps
    hub.state.mkdir(exist_ok=True)  # each course folder in it safe from other users
    hub.state.chmod(0o700)
    for group in (hub.instructors, hub.students):
        if subprocess.run(["getent", "group", group], capture_output=True).returncode:
            subprocess.run(["groupadd", group], check=True)


# --------------------------------------------------------------------------- users
def add_user(hub: Hub, name: str, role: str, password: str | None = None) -> None:
    """Create (or update) a system user of the course; an instructor gets the course folder.

    ``password`` sets the login password (the hub logs users in with PAM); None leaves it.
    """
    _require_root()
    _check_name(name)
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; choose one of {ROLES}")
    group = hub.instructors if role == "instructor" else hub.students
    other = hub.students if role == "instructor" else hub.instructors
    if name in hub.members(other):
        raise ValueError(f"{name} is already in {other}: one role per user")
    try:
        pwd.getpwnam(name)
        subprocess.run(["usermod", "-a", "-G", group, name], check=True)
    except KeyError:
        subprocess.run(["useradd", "--create-home", "--shell", "/bin/bash", "-K", "HOME_MODE=0700",
                        "--groups", group, name], check=True)
    home = Path(pwd.getpwnam(name).pw_dir)
    home.chmod(0o700)  # no student reads another's work, fetched feedback included
    if password is not None:
        subprocess.run(["chpasswd"], input=f"{name}:{password}\n", text=True, check=True)
    if role == "instructor":
        _make_course(hub, name)


def course_config(course: Path, exchange: Path) -> str:
    """The course's nbgrader_config.py for a course folder on the hub."""
    return (COURSE_SOURCE / "nbgrader_config.py").read_text() + COURSE_CONFIG_ON_HUB.format(
        exchange=str(exchange),
        db_url=f"sqlite:///{course / 'gradebook.db'}?timeout={DB_LOCK_TIMEOUT_S}")


def _make_course(hub: Hub, instructor: str) -> None:
    course = hub.course_dir(instructor)
    if not (course / "nbgrader_config.py").exists():
        course.mkdir(mode=0o700, exist_ok=True)
        shutil.copytree(COURSE_SOURCE / "source", course / "source", dirs_exist_ok=True)
        (course / "nbgrader_config.py").write_text(course_config(course, hub.exchange))
        _chown_tree(course, instructor)
    course.chmod(0o700)
    # The course's exchange folder belongs to its instructor, so no student can take the
    # course id first; nbgrader creates inbound/ and outbound/ in it on the first release.
    exchange = hub.exchange / COURSE_ID
    exchange.mkdir(exist_ok=True)
    entry = pwd.getpwnam(instructor)
    os.chown(exchange, entry.pw_uid, entry.pw_gid)
    exchange.chmod(0o755)


def remove_user(name: str) -> None:
    """Delete a system user and their home (used for throw-away users)."""
    _require_root()
    try:
        pwd.getpwnam(_check_name(name))
    except KeyError:
        return
    subprocess.run(["pkill", "-KILL", "-u", name], capture_output=True)
    subprocess.run(["userdel", "--remove", name], capture_output=True)


# --------------------------------------------------------------------------- running as a user
def user_env(hub: Hub, user: str, role: str | None = None) -> dict[str, str]:
    """The environment a command of ``user`` runs with, as in their server's terminal."""
    entry = pwd.getpwnam(user)
    return {"HOME": entry.pw_dir, "USER": user, "LOGNAME": user, "LANG": "C.UTF-8",
            "PATH": f"{hub.venv / 'bin'}:{hub.root / 'bin'}:/usr/local/bin:/usr/bin:/bin",
            "JUPYTER_CONFIG_PATH": hub.config_path(role or hub.role_of(user)),
            "MPLBACKEND": "Agg"}


def run_as(hub: Hub, user: str, argv: list[str], cwd: Path | str | None = None,
           timeout: float = 900, check: bool = True) -> subprocess.CompletedProcess:
    """Run ``argv`` as ``user`` (with their groups and environment); output is captured."""
    _require_root()
    entry = pwd.getpwnam(user)
    groups = [g.gr_gid for g in grp.getgrall() if user in g.gr_mem]
    done = subprocess.run(argv, cwd=cwd or entry.pw_dir, env=user_env(hub, user),
                          user=entry.pw_uid, group=entry.pw_gid, extra_groups=groups,
                          capture_output=True, text=True, timeout=timeout)
    if check and done.returncode:
        raise RuntimeError(f"`{' '.join(map(str, argv))}` as {user} exited with "
                           f"{done.returncode}:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    return done


def nbgrader(hub: Hub, user: str, *args: str, cwd: Path | None = None) -> str:
    """Run one nbgrader command as ``user``; returns its output."""
    done = run_as(hub, user, [str(hub.venv / "bin" / "nbgrader"), *args], cwd=cwd)
    return done.stdout + done.stderr


def grading(hub: Hub, instructor: str, *args: str) -> str:
    """Run ``python -m aekit.grading --course ~/aekit ARGS`` as the instructor."""
    course = hub.course_dir(instructor)
    done = run_as(hub, instructor, [str(hub.venv / "bin" / "python"), "-m", "aekit.grading",
                                    "--course", str(course), *args], cwd=course)
    return done.stdout + done.stderr


def release(hub: Hub, instructor: str, name: str) -> str:
    """Generate the student version of ``name`` (checked for leaks) and put it in the exchange."""
    course = hub.course_dir(instructor)
    out = grading(hub, instructor, "release", name)
    return out + nbgrader(hub, instructor, "release_assignment", name, "--force", cwd=course)


# --------------------------------------------------------------------------- start
def start(hub: Hub) -> None:
    """Replace this process with JupyterHub, configured by hub/jupyterhub_config.py."""
    _require_root()
    for path, what in [(hub.venv / "bin" / "jupyterhub", "JupyterHub"),
                       (hub.proxy, "configurable-http-proxy")]:
        if not path.exists():
            raise FileNotFoundError(f"{what} is not installed at {path}: run `make hub`")
    if not (hub.root / "etc" / "common").is_dir():
        raise FileNotFoundError(f"{hub.root} is not set up: run `python -m hub.admin install`")
    os.chdir(hub.state)
    jupyterhub = str(hub.venv / "bin" / "jupyterhub")
    os.execv(jupyterhub, [jupyterhub, "-f", str(HERE / "jupyterhub_config.py")])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hub.admin", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("install", help="create the hub's folders and configuration")
    p = sub.add_parser("add-user", help="create a system user of the course")
    p.add_argument("name")
    p.add_argument("--role", choices=ROLES, required=True)
    p.add_argument("--password-stdin", action="store_true",
                   help="read the login password from standard input (else: set it with passwd)")
    p = sub.add_parser("release", help="generate an assignment and release it to the exchange")
    p.add_argument("name")
    p.add_argument("--instructor", required=True)
    sub.add_parser("start", help="start JupyterHub (runs until Ctrl-C)")
    args = parser.parse_args(argv)
    hub = Hub.from_env()
    try:
        if args.command == "install":
            install(hub)
            print(f"set up {hub.root} (exchange {hub.exchange})")
        elif args.command == "add-user":
            password = sys.stdin.readline().rstrip("\n") if args.password_stdin else None
            add_user(hub, args.name, args.role, password)
            print(f"{args.name}: {args.role}" + (f", course folder {hub.course_dir(args.name)}"
                                                 if args.role == "instructor" else "")
                  + ("" if password is not None else f"; set a password with `passwd {args.name}`"))
        elif args.command == "release":
            print(release(hub, args.instructor, args.name))
        elif args.command == "start":
            start(hub)
    except (FileNotFoundError, PermissionError, ValueError, RuntimeError, KeyError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
