"""The front end's own unit tests (vitest: formatting, URL <-> filter state), run by the Python suite
so that one command, and CI, runs everything."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_vitest_suite_passes(built_ui: Path) -> None:
    # built_ui has run `npm ci`; the type check catches what vitest (which strips types) does not.
    typecheck = subprocess.run(
        ["npx", "--no-install", "tsc", "--noEmit"], cwd=ROOT / "ui", capture_output=True, text=True, timeout=300
    )
    assert typecheck.returncode == 0, typecheck.stdout + typecheck.stderr
    result = subprocess.run(
        ["npx", "--no-install", "vitest", "run", "--reporter=dot"],
        cwd=ROOT / "ui",
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
