"""The hub's set-up code without a hub: its configuration files and its refusals."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from traitlets.config import Config

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
from hub import admin  # noqa: E402


def _load(text: str, path: Path) -> Config:
    """Run a Jupyter/nbgrader config file the way traitlets does; returns its config."""
    config = Config()
    exec(compile(text, str(path), "exec"), {"get_config": lambda: config, "__file__": str(path)})
    return config


def test_course_config_on_the_hub_keeps_the_course_and_adds_the_hub(tmp_path):
    course = tmp_path / "aekit"
    config = _load(admin.course_config(course, tmp_path / "exchange"), course / "nbgrader_config.py")
    assert config.CourseDirectory.course_id == "aekit"   # from lessons/assignments
    assert config.Execute.timeout == 180
    assert config.Exchange.root == str(tmp_path / "exchange")
    assert config.CourseDirectory.db_url == f"sqlite:///{course}/gradebook.db?timeout=120"
    assert config.Autograde.permissions == 644


def test_roles_get_their_own_server_configuration(tmp_path):
    hub = admin.Hub(root=tmp_path, venv=tmp_path / "venv", proxy=tmp_path / "chp")
    assert hub.config_path("student").split(":") == [f"{tmp_path}/etc/student", f"{tmp_path}/etc/common"]
    with pytest.raises(ValueError, match="unknown role 'grader'"):
        hub.config_path("grader")
    etc = REPO / "hub" / "etc"
    student = _load((etc / "student" / "jupyter_server_config.py").read_text(), etc)
    assert student.ServerApp.jpserver_extensions["nbgrader.server_extensions.formgrader"] is False
    disabled = json.loads((etc / "student" / "labconfig" / "page_config.json").read_text())
    assert disabled["disabledExtensions"]["@jupyter/nbgrader:formgrader"] is True
    instructor = _load((etc / "instructor" / "jupyter_server_config.py").read_text(), etc)
    csp = instructor.ServerApp.tornado_settings["headers"]["Content-Security-Policy"]
    assert csp == "frame-ancestors 'self'"


@pytest.mark.parametrize("name", ["Ada", "ada lovelace", "1ada", "", "a" * 40, "ada;rm"])
def test_bad_user_names_are_refused(name):
    with pytest.raises(ValueError, match="not a usable user name"):
        admin._check_name(name)


def test_commands_say_what_is_wrong(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("AEKIT_HUB_DIR", str(tmp_path))
    code = admin.main(["add-user", "Bad Name", "--role", "student"])
    err = capsys.readouterr().err
    assert code == 2
    assert "not a usable user name" in err or "needs root" in err
    with pytest.raises(SystemExit):
        admin.main(["add-user", "ada", "--role", "teacher"])
