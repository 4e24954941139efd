"""The Grafana plugin's build, shared by the modules that run its checks or drive its editors."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = ROOT / "grafana-plugin"


@pytest.fixture(scope="module")
def built_plugin() -> Path:
    """The plugin's npm packages and build, made now if grafana-plugin/ changed since the last build."""
    if shutil.which("npm") is None:
        pytest.fail("the Grafana plugin's tests need Node.js 20+ and npm (scripts/test installs them)")
    result = subprocess.run(
        [str(ROOT / "scripts" / "build-grafana-plugin")], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, f"scripts/build-grafana-plugin failed:\n{result.stdout}\n{result.stderr}"
    return PLUGIN
