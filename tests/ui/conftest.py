"""The web UI's tests need its build: `scripts/build-ui` (a no-op when ui/ has not changed)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from theodolite.web import STATIC_DIR

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def built_ui() -> Path:
    """The built assets, built now if ui/ changed since the last build."""
    if shutil.which("npm") is None:
        pytest.fail("the web UI tests need Node.js 20+ and npm (scripts/test installs them)")
    result = subprocess.run([str(ROOT / "scripts" / "build-ui")], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"scripts/build-ui failed:\n{result.stdout}\n{result.stderr}"
    assert (STATIC_DIR / "index.html").is_file()
    return STATIC_DIR
