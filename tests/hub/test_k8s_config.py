"""hub/k8s/config.yaml is valid for the Zero to JupyterHub chart it names, as deployed.

The values are checked against the chart's own values schema (vendored from the chart's
release, hub/k8s/values.schema.json) after applying what hub/k8s/deploy.sh passes to helm
(--set and --set-file), so the test sees what the chart would get. Nothing runs on a
cluster here: helm, kubectl and a cluster are not part of the test machine.
"""
from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import jsonschema
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
K8S = REPO / "hub" / "k8s"
CHART_VERSION = "4.4.0"


def _schema() -> dict:
    return json.loads((K8S / "values.schema.json").read_text())


def _set(values: dict, dotted: str, value) -> None:
    *parents, last = dotted.split(".")
    for key in parents:
        values = values.setdefault(key, {})
    values[last] = value


def _coalesce(defaults: dict, given: dict) -> dict:
    """Helm's merge of a chart's defaults with the user's values (theirs win; null removes)."""
    merged = dict(defaults)
    for key, value in given.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _coalesce(merged[key], value)
        else:
            merged[key] = value
    return merged


def deploy_values(image: str = "registry.example.org/aekit/lab:2026.1") -> dict:
    """config.yaml plus the --set and --set-file options of deploy.sh's `hub` step."""
    values = yaml.safe_load((K8S / "config.yaml").read_text())
    script = (K8S / "deploy.sh").read_text()
    name, tag = image.rsplit(":", 1)
    words = shlex.split(script.replace("\\\n", " "), comments=True)
    for option, setting in zip(words, words[1:]):
        if option not in ("--set", "--set-string", "--set-file"):
            continue
        key, value = setting.split("=", 1)
        value = value.replace("$IMAGE_NAME", name).replace("$IMAGE_TAG", tag)
        if option == "--set-file":
            value = (REPO / value).read_text()
        _set(values, key, value)
    return values


def chart_values(values: dict) -> dict:
    """What helm validates: the chart's own defaults (hub/k8s/chart-values.yaml) with ours."""
    return _coalesce(yaml.safe_load((K8S / "chart-values.yaml").read_text()), values)


def test_the_schema_is_the_named_release_and_strict():
    schema = _schema()
    assert schema["$schema"].startswith("http://json-schema.org/draft-07/")
    assert schema["additionalProperties"] is False
    notice = (K8S / "README.md").read_text()
    assert f"chart {CHART_VERSION}" in notice
    assert re.search(rf"CHART_VERSION={re.escape(CHART_VERSION)}\b", (K8S / "deploy.sh").read_text())
    assert f"chart {CHART_VERSION}" in (K8S / "config.yaml").read_text()


def test_config_as_deployed_matches_the_charts_values_schema():
    values = deploy_values()
    jsonschema.Draft7Validator(_schema()).validate(chart_values(values))
    # Every extra file got its content from a file in the repository.
    for key, entry in values["singleuser"]["extraFiles"].items():
        assert entry.get("stringData", "").strip(), f"extraFiles.{key} has no content"


def test_the_schema_catches_mistakes():
    """The check has teeth: a misspelt key and a wrong type are both rejected."""
    validator = jsonschema.Draft7Validator(_schema())
    values = deploy_values()
    values["singleuser"]["memroy"] = values["singleuser"].pop("memory")
    assert any("memroy" in e.message for e in validator.iter_errors(chart_values(values)))
    values = deploy_values()
    values["cull"]["timeout"] = "one hour"
    errors = list(validator.iter_errors(chart_values(values)))
    assert [list(e.path) for e in errors] == [["cull", "timeout"]]


def test_limits_culling_and_shared_exchange():
    values = deploy_values()
    single = values["singleuser"]
    assert single["memory"]["limit"] == "2G"  # Binder's limit; each lesson peaks < 600 MB
    assert single["cpu"]["limit"] >= 0.5
    assert values["cull"]["enabled"] and values["cull"]["timeout"] <= 3600
    assert single["image"]["name"] == "registry.example.org/aekit/lab"
    assert single["image"]["tag"] == "2026.1"
    mounts = {m["name"]: m["mountPath"] for m in single["storage"]["extraVolumeMounts"]}
    claims = {v["name"]: v["persistentVolumeClaim"]["claimName"] for v in single["storage"]["extraVolumes"]}
    exchange = single["extraFiles"]["nbgrader-common"]["stringData"]
    assert f'c.Exchange.root = "{mounts["exchange"]}"' in exchange
    # The claims exist in volumes.yaml, shared (ReadWriteMany).
    docs = {(d["kind"], d["metadata"]["name"]): d for d in yaml.safe_load_all((K8S / "volumes.yaml").read_text())}
    hook = values["hub"]["extraConfig"]["aekit"]
    for claim in [claims["exchange"], *re.findall(r'"claimName": "([\w-]+)"', hook)]:
        assert docs[("PersistentVolumeClaim", claim)]["spec"]["accessModes"] == ["ReadWriteMany"]
    assert "instructors" in values["hub"]["config"]["JupyterHub"]["load_groups"]
    compile(hook, "extraConfig.aekit", "exec")  # the hub would fail to start on a syntax error


@pytest.mark.parametrize("image", ["registry.example.org/aekit/lab", ""])
def test_deploy_script_refuses_an_image_without_tag(image, tmp_path):
    import subprocess

    done = subprocess.run(["bash", str(K8S / "deploy.sh"), "hub", image],
                          capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 2 and "NAME:TAG" in done.stderr
