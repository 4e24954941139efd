"""The repository stands alone: a clone with nothing beside it runs its tests, and nothing in it
points at files outside it (a newcomer has only the repository), and installing it prints no
deprecation warning of ours."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Pointers to documents that live outside the repository: a sibling `shared` directory, the
# requirement documents kept there (numbered files with a 16-hex-digit suffix) and the notes
# beside them. Spelled in pieces so that this file does not match itself.
OUTSIDE = re.compile(
    "|".join(
        (
            r"\.\./" + "shared",
            "shared/" + r"(seeds|reference)",
            r"\b00\d_[0-9a-f]{16}" + r"\.txt",
            r"\bseed 00\d",
            r"\b(CLIENT-WIRE|GRAFANA|STACK|ARCHITECTURE|UI)" + r"\.md\b",
        )
    )
)
# Where such a mention is allowed: this test, which spells the patterns.
ALLOWED = {"tests/contract/test_self_contained.py"}


def _git(*args: str, cwd: Path = ROOT) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True, timeout=120).stdout


def test_no_tracked_file_points_outside_the_repository() -> None:
    offenders = []
    for name in _git("ls-files").splitlines():
        path = ROOT / name
        if name in ALLOWED or not path.is_file():
            continue
        try:
            text = path.read_text()
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if OUTSIDE.search(line):
                offenders.append(f"{name}:{number}: {line.strip()}")
    assert offenders == [], "say what the fact is instead:\n" + "\n".join(offenders)


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """HEAD cloned alone into an empty directory (no `shared` or anything else beside it)."""
    parent = tmp_path_factory.mktemp("lone")
    target = parent / "theodolite"
    _git("clone", "--quiet", "--no-checkout", str(ROOT), str(target))
    _git("checkout", "--quiet", _git("rev-parse", "HEAD").strip(), cwd=target)
    assert sorted(p.name for p in parent.iterdir()) == ["theodolite"]
    return target


@pytest.mark.postgres
def test_a_lone_clone_passes_the_tests_that_read_files(clone: Path) -> None:
    # The tests that once read requirement documents from outside the repository.
    env = {**os.environ, "PYTHONPATH": str(clone)}
    check = subprocess.run(
        [sys.executable, "-c", "import theodolite, tests; print(theodolite.__file__)"],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert check.stdout.startswith(str(clone)), check.stdout + check.stderr  # the clone's code, not ours
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/db/test_seed_queries.py"],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=280,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def test_installing_prints_no_deprecation_warning_of_ours(clone: Path, tmp_path: Path) -> None:
    # pip builds in an isolated environment with the setuptools pyproject.toml asks for; -v shows
    # what the build backend printed (setuptools deprecates, e.g., `project.license` as a table).
    venv.create(tmp_path / "venv", with_pip=True)
    pip = tmp_path / "venv" / "bin" / "pip"
    result = subprocess.run(
        [str(pip), "install", "-v", "--no-deps", "--disable-pip-version-check", "-e", str(clone)],
        capture_output=True,
        text=True,
        timeout=280,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    output = result.stdout + result.stderr
    assert "DeprecationWarning" not in output, [line for line in output.splitlines() if "Deprecat" in line]
