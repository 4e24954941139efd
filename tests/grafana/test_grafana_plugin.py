"""The Grafana data source plugin's own checks (grafana-plugin/: the TypeScript type check, ESLint,
and the jest suite, whose DataSource queries a real `theodolite serve` that jest starts on demo
data), run by the Python suite so that one command, and CI, runs everything."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = ROOT / "grafana-plugin"


def _npm_run(script: str, timeout_s: int) -> subprocess.CompletedProcess[str]:
    """`npm run <script>` in grafana-plugin/; on a timeout its whole process group is killed, so a
    hung jest does not leave the Theodolite server it started behind."""
    env = {
        **os.environ,
        # jest starts `<python> -m theodolite`: this interpreter, so the suite tests this checkout.
        "GRAFANA_PLUGIN_TEST_PYTHON": sys.executable,
        "CI": "true",
    }
    process = subprocess.Popen(
        ["npm", "run", "--silent", script],
        cwd=PLUGIN,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        pytest.fail(f"npm run {script} took over {timeout_s} s:\n{output[-6000:]}")
    return subprocess.CompletedProcess(process.args, process.returncode, output, "")


@pytest.mark.parametrize(
    ("script", "timeout_s"),
    [("typecheck", 180), ("lint", 180), ("test:ci", 300)],
    ids=["typecheck", "lint", "jest"],
)
def test_plugin_check_passes(built_plugin: Path, script: str, timeout_s: int) -> None:
    result = _npm_run(script, timeout_s)
    assert result.returncode == 0, f"npm run {script} failed in grafana-plugin/:\n{result.stdout[-8000:]}"


def test_the_zip_is_one_folder_named_as_the_plugin_id(built_plugin: Path) -> None:
    # Grafana finds a plugin as a folder of its plugins directory holding plugin.json and module.js.
    version = json.loads((built_plugin / "package.json").read_text())["version"]
    with zipfile.ZipFile(built_plugin / f"theodolite-datasource-{version}.zip") as bundle:
        names = bundle.namelist()
        assert {name.split("/")[0] for name in names} == {"theodolite-datasource"}
        assert {"theodolite-datasource/module.js", "theodolite-datasource/plugin.json"} <= set(names)
        plugin_json = json.loads(bundle.read("theodolite-datasource/plugin.json"))
    assert plugin_json["id"] == "theodolite-datasource"
    assert plugin_json["info"]["version"] == version  # the build filled in %VERSION%
    assert (plugin_json["backend"], plugin_json["alerting"]) == (False, False)
