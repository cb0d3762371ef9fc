"""pyproject.toml, environment.yml and binder/environment.yml list the same dependencies.

The course can be installed three ways (pip through `make`, conda, Binder), from three files.
These tests read all three and fail, naming the package, as soon as a dependency or a version
bound is in one file and not in the others. A few packages have another name on conda-forge:
that map is below and is the only translation allowed.
"""
from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

REPO = Path(__file__).resolve().parents[2]
PYPROJECT = REPO / "pyproject.toml"
CONDA_FILES = [REPO / "environment.yml", REPO / "binder" / "environment.yml"]
EXTRAS = ("lab", "test")  # the optional dependencies both conda environments include

# PyPI name -> conda-forge name, where they differ.
CONDA_NAMES = {
    "torch": "pytorch-cpu",             # CPU-only PyTorch (a CUDA build is several GB)
    "matplotlib": "matplotlib-base",    # matplotlib without the Qt GUI libraries
    "playwright": "playwright-python",  # conda-forge's `playwright` is the Node.js tool
}
# In a conda file but not dependencies of aekit: the interpreter and the installer.
CONDA_TOOLS = {"python", "pip"}
# What repo2docker accepts as a line of apt.txt.
APT_NAME = re.compile(r"^[a-z0-9][a-z0-9.+-]+$")


# ------------------------------------------------------------------------------ readers
def _conda_name(pypi_name: str) -> str:
    name = canonicalize_name(pypi_name)
    return CONDA_NAMES.get(name, name)


def _add(found: dict[str, SpecifierSet], name: str, spec: SpecifierSet, where: str) -> None:
    if name in found:
        raise ValueError(f"{name} is listed twice in {where}")
    found[name] = spec


def pyproject_requirements(pyproject: dict) -> dict[str, SpecifierSet]:
    """{conda-forge name: version specifier} for the base dependencies and EXTRAS."""
    project = pyproject["project"]
    lines = list(project.get("dependencies", []))
    for extra in EXTRAS:
        lines += project.get("optional-dependencies", {}).get(extra, [])
    found: dict[str, SpecifierSet] = {}
    for line in lines:
        requirement = Requirement(line)
        _add(found, _conda_name(requirement.name), requirement.specifier, "pyproject.toml")
    return found


def parse_conda_spec(spec: str) -> tuple[str, SpecifierSet]:
    """Read one conda dependency, e.g. ``numpy>=1.26`` or ``python=3.11``.

    Only a name followed by pip-style bounds is accepted (conda's ``=X`` means ``==X.*``);
    a bare version or a build string would not compare with pyproject.toml, so it is an error.
    """
    match = re.fullmatch(r"\s*([A-Za-z0-9_.\-]+)\s*(.*?)\s*", spec)
    if not match:
        raise ValueError(f"cannot read the conda dependency {spec!r}")
    name, version = match.group(1), match.group(2).replace(" ", "")
    if re.fullmatch(r"=[^=<>!~].*", version):  # conda's fuzzy "=3.11" is "==3.11.*"
        version = "=" + version + ("" if version.endswith("*") else ".*")
    try:
        specifier = SpecifierSet(version)
    except InvalidSpecifier:
        raise ValueError(
            f"cannot read the version in the conda dependency {spec!r}: write it as a name "
            "followed by pip-style bounds such as 'numpy>=1.26' or 'jupyterlab>=4.2,<5'"
        ) from None
    return canonicalize_name(name), specifier


def conda_requirements(env: dict, where: str) -> tuple[dict[str, SpecifierSet], list[str]]:
    """({conda name: specifier}, local pip installs such as '-e .') of a conda environment.

    Packages in the ``pip:`` section count too, under their conda-forge name.
    """
    found: dict[str, SpecifierSet] = {}
    local: list[str] = []
    for entry in env.get("dependencies") or []:
        if isinstance(entry, dict):
            for line in entry.get("pip", []):
                line = str(line).strip()
                if line.startswith(("-e", ".", "/")) or line.startswith("file:"):
                    local.append(line)
                    continue
                requirement = Requirement(line)
                _add(found, _conda_name(requirement.name), requirement.specifier, where)
        else:
            name, spec = parse_conda_spec(str(entry))
            _add(found, name, spec, where)
    return found, local


def compare(pyproject: dict[str, SpecifierSet], conda: dict[str, SpecifierSet],
            where: str) -> list[str]:
    """One sentence per disagreement between pyproject.toml and a conda file."""
    problems = []
    for name in sorted((pyproject.keys() | conda.keys()) - CONDA_TOOLS):
        if name not in conda:
            problems.append(f"{name} is in pyproject.toml but not in {where}")
        elif name not in pyproject:
            problems.append(f"{name} is in {where} but not in pyproject.toml "
                            f"(base dependencies or the extras {', '.join(EXTRAS)})")
        elif pyproject[name] != conda[name]:
            problems.append(f"{name}: pyproject.toml asks for '{pyproject[name] or 'any'}', "
                            f"{where} for '{conda[name] or 'any'}'")
    return problems


def _load_pyproject() -> dict:
    return tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))


def _load_env(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _rel(path: Path) -> str:
    return path.relative_to(REPO).as_posix()


# ------------------------------------------------------------------------------ the files
@pytest.mark.parametrize("env_file", CONDA_FILES, ids=_rel)
def test_conda_file_lists_what_pyproject_lists(env_file: Path) -> None:
    expected = pyproject_requirements(_load_pyproject())
    found, _ = conda_requirements(_load_env(env_file), _rel(env_file))
    problems = compare(expected, found, _rel(env_file))
    assert not problems, (
        "the dependency lists disagree; change every file together (conda-forge names: "
        f"{CONDA_NAMES}):\n  " + "\n  ".join(problems))


def test_pyproject_has_the_lists_these_tests_rely_on() -> None:
    # Guards against a reader returning nothing, which would make the comparison vacuous.
    expected = pyproject_requirements(_load_pyproject())
    assert expected["pytorch-cpu"] == SpecifierSet("==2.13.0")
    assert {"numpy", "jupyterlab", "nbval", "playwright-python"} <= expected.keys()


@pytest.mark.parametrize("env_file", CONDA_FILES, ids=_rel)
def test_conda_file_uses_conda_forge_and_cpu_only_pytorch(env_file: Path) -> None:
    env = _load_env(env_file)
    channels = env.get("channels") or []
    assert channels and channels[0] == "conda-forge", f"{_rel(env_file)}: channels {channels}"
    assert "defaults" not in channels and "pytorch" not in channels, channels
    names, _ = conda_requirements(env, _rel(env_file))
    gpu = {n for n in names if n in {"pytorch", "torch", "pytorch-gpu"} or "cuda" in n}
    assert "pytorch-cpu" in names and not gpu, f"{_rel(env_file)}: GPU packages {gpu}"


@pytest.mark.parametrize("env_file", CONDA_FILES, ids=_rel)
def test_conda_python_is_one_pyproject_allows(env_file: Path) -> None:
    requires = SpecifierSet(_load_pyproject()["project"]["requires-python"])
    found, _ = conda_requirements(_load_env(env_file), _rel(env_file))
    assert "python" in found, f"{_rel(env_file)} does not say which Python to install"
    candidates = [Version(f"3.{minor}") for minor in range(6, 20)]
    allowed = [v for v in candidates if v in found["python"]]
    assert allowed, f"{_rel(env_file)}: python '{found['python']}' matches no 3.x release"
    assert all(v in requires for v in allowed), (
        f"{_rel(env_file)} allows Python {[str(v) for v in allowed if v not in requires]}, "
        f"which pyproject.toml (requires-python '{requires}') does not")


def test_root_environment_installs_aekit_and_binder_leaves_it_to_postbuild() -> None:
    _, root_local = conda_requirements(_load_env(CONDA_FILES[0]), "environment.yml")
    assert root_local == ["-e ."], root_local
    _, binder_local = conda_requirements(_load_env(CONDA_FILES[1]), "binder/environment.yml")
    assert binder_local == [], "binder/postBuild installs aekit; do not install it twice"


def test_binder_postbuild_installs_the_package_without_dependencies() -> None:
    post_build = REPO / "binder" / "postBuild"
    lines = [line.strip() for line in post_build.read_text(encoding="utf-8").splitlines()]
    commands = [line for line in lines if line and not line.startswith("#")]
    assert lines[0].startswith("#!"), "postBuild needs a shebang line"
    assert commands[0] == "set -e", "postBuild must stop at the first failing command"
    assert "pip install --no-deps -e ." in commands
    assert os.access(post_build, os.X_OK), "postBuild must be executable (git mode 755)"


def test_binder_apt_txt_lists_plain_ubuntu_package_names() -> None:
    lines = (REPO / "binder" / "apt.txt").read_text(encoding="utf-8").splitlines()
    packages = [line.partition("#")[0].strip() for line in lines]
    packages = [p for p in packages if p]
    assert all(APT_NAME.match(p) for p in packages), packages
    assert "dataset-fashion-mnist" in packages


# ------------------------------------------------------------------------------ the checker
def test_a_dependency_added_to_one_file_only_is_reported() -> None:
    expected = pyproject_requirements(_load_pyproject())
    found, _ = conda_requirements(_load_env(CONDA_FILES[0]), "environment.yml")
    assert compare(expected, found, "environment.yml") == []

    more = dict(found, einops=SpecifierSet(">=0.7"))
    assert compare(expected, more, "environment.yml") == [
        "einops is in environment.yml but not in pyproject.toml "
        "(base dependencies or the extras lab, test)"]
    fewer = {k: v for k, v in found.items() if k != "scikit-learn"}
    assert compare(expected, fewer, "environment.yml") == [
        "scikit-learn is in pyproject.toml but not in environment.yml"]
    looser = dict(found, numpy=SpecifierSet(""))
    assert len(compare(expected, looser, "environment.yml")) == 1


def test_pyproject_reader_maps_names_and_catches_duplicates() -> None:
    pyproject = {"project": {"dependencies": ["torch==2.13.0", "Pillow>=10.0"],
                             "optional-dependencies": {"lab": ["Matplotlib>=3.8"],
                                                       "test": ["pillow"]}}}
    with pytest.raises(ValueError, match="pillow is listed twice"):
        pyproject_requirements(pyproject)
    pyproject["project"]["optional-dependencies"]["test"] = ["playwright>=1.45"]
    assert pyproject_requirements(pyproject) == {
        "pytorch-cpu": SpecifierSet("==2.13.0"), "pillow": SpecifierSet(">=10.0"),
        "matplotlib-base": SpecifierSet(">=3.8"), "playwright-python": SpecifierSet(">=1.45")}


@pytest.mark.parametrize("spec, name, version", [
    ("numpy>=1.26", "numpy", ">=1.26"),
    ("jupyterlab >=4.2,<5", "jupyterlab", ">=4.2,<5"),
    ("pytorch-cpu==2.13.0", "pytorch-cpu", "==2.13.0"),
    ("python=3.11", "python", "==3.11.*"),
    ("pip", "pip", ""),
])
def test_conda_spec_reader(spec: str, name: str, version: str) -> None:
    assert parse_conda_spec(spec) == (name, SpecifierSet(version))


@pytest.mark.parametrize("spec", ["pytorch 2.13.0 cpu_*", "numpy 1.26", "numpy>=>1"])
def test_conda_spec_reader_rejects_what_it_cannot_compare(spec: str) -> None:
    with pytest.raises(ValueError, match="pip-style bounds"):
        parse_conda_spec(spec)


def test_pip_section_counts_as_dependencies() -> None:
    env = {"dependencies": ["numpy>=1.26", {"pip": ["-e .", "torch==2.13.0"]}]}
    found, local = conda_requirements(env, "x.yml")
    assert found == {"numpy": SpecifierSet(">=1.26"), "pytorch-cpu": SpecifierSet("==2.13.0")}
    assert local == ["-e ."]
