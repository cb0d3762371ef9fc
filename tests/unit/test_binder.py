"""Binder: the launch link is formed from the git remote, and repo2docker renders the build
that the README describes (binder/environment.yml, apt.txt, postBuild, Python and pins)."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
from binder_link import binder_url, main  # noqa: E402


@pytest.mark.parametrize("remote", ["https://github.com/someone/aekit.git",
                                    "https://github.com/someone/aekit", "git@github.com:someone/aekit.git",
                                    "ssh://git@github.com/someone/aekit.git\n",
                                    "https://token@github.com/someone/aekit/"])
def test_binder_link_from_every_form_of_github_remote(remote):
    assert binder_url(remote) == "https://mybinder.org/v2/gh/someone/aekit/HEAD?urlpath=lab/tree/lessons"
    assert binder_url(remote, ref="v0.2").startswith("https://mybinder.org/v2/gh/someone/aekit/v0.2?")


@pytest.mark.parametrize("remote", ["/srv/git/aekit", "https://gitlab.com/someone/aekit.git", ""])
def test_a_remote_that_is_not_github_is_a_clear_error(remote):
    with pytest.raises(ValueError, match="not a GitHub repository URL"):
        binder_url(remote)


def test_make_binder_link_reads_the_clone_remote(tmp_path, monkeypatch, capsys):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    monkeypatch.chdir(tmp_path)
    assert main([]) == 2 and "no git remote 'origin'" in capsys.readouterr().err
    subprocess.run(["git", "remote", "add", "origin", "git@github.com:a-fork/aekit.git"], check=True)
    assert main([]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "https://mybinder.org/v2/gh/a-fork/aekit/HEAD?urlpath=lab/tree/lessons"
    assert out[1] == f"[![Binder](https://mybinder.org/badge_logo.svg)]({out[0]})"
    assert main(["--repository"]) == 0
    assert capsys.readouterr().out == "https://github.com/a-fork/aekit\n"


def test_readme_has_no_placeholder_binder_link():
    readme = (ROOT / "README.md").read_text()
    for link in re.findall(r"\((https://mybinder\.org/v2/[^)]+)\)", readme):
        assert "OWNER" not in link, f"placeholder Binder link in README: {link}"
    assert "make binder-link" in readme


@pytest.fixture(scope="module")
def rendered():
    exe = shutil.which("repo2docker", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.skip("repo2docker is not installed (it comes with `make test`: the [dev] extra)")
    out = subprocess.run([exe, "--no-build", "--debug", "--user-id", "1000", "--user-name",
                          "jovyan", str(ROOT)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout + out.stderr


def test_repo2docker_builds_from_the_binder_folder(rendered):
    env = yaml.safe_load((ROOT / "binder" / "environment.yml").read_text())
    python = next(d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python="))
    assert f"Building conda environment for {python}" in rendered
    assert '--file "binder/environment.yml"' in rendered       # not the root environment.yml
    assert "src/environment.yml" not in rendered
    apt = [ln for ln in (ROOT / "binder" / "apt.txt").read_text().splitlines()
           if ln.strip() and not ln.startswith("#")]
    assert apt and all(re.search(rf"apt-get install [^\n]*\b{re.escape(p)}\b", rendered) for p in apt)
    assert "./binder/postBuild" in rendered


def test_the_base_image_is_the_ubuntu_release_apt_txt_names(rendered):
    release = re.search(r"FROM docker\.io/library/buildpack-deps:(\d\d\.\d\d)", rendered)
    assert release, "repo2docker no longer builds on buildpack-deps"
    assert f"Ubuntu {release[1]}" in (ROOT / "binder" / "apt.txt").read_text().splitlines()[0]


def test_readme_states_the_binder_python_and_torch_pin():
    readme = (ROOT / "README.md").read_text()
    env = (ROOT / "binder" / "environment.yml").read_text()
    python = re.search(r"- python=(\S+)", env)[1]
    torch_pin = re.search(r"- pytorch-cpu==(\S+)", env)[1]
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert f'"torch=={torch_pin}"' in pyproject
    binder = readme[readme.index("### Open on Binder"):]
    binder = binder[:binder.index("\n### ", 5)]
    assert f"Python {python}" in binder and f"PyTorch {torch_pin}" in binder
