"""Documentation cannot fall behind the code: every setting is in docs/settings.md and the README."""

from __future__ import annotations

from pathlib import Path

import pytest

from theodolite.server.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", list(Settings.model_fields))
def test_every_setting_is_documented(name: str) -> None:
    docs = (ROOT / "docs" / "settings.md").read_text()
    row = next((line for line in docs.splitlines() if line.startswith(f"| `{name}` |")), None)
    assert row is not None, f"setting {name} missing from docs/settings.md"
    assert f"`THEODOLITE_{name.upper()}`" in row and f"`--{name.replace('_', '-')}`" in row


def test_documented_settings_exist() -> None:
    docs = (ROOT / "docs" / "settings.md").read_text()
    documented = {line.split("`")[1] for line in docs.splitlines() if line.startswith("| `")}
    assert documented == set(Settings.model_fields)


def test_readme_leads_with_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text().splitlines()
    commands = [line.strip() for line in readme[:30] if line.strip().startswith("./scripts/")]
    assert commands[:2] == ["./scripts/demo", "./scripts/test"]
    assert "./scripts/test" in (ROOT / ".ci" / "run").read_text()
