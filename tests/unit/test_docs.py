"""Documentation cannot fall behind the code: settings and the README's two commands."""

from __future__ import annotations

from pathlib import Path

from theodolite.server.settings import Settings, settings_markdown

ROOT = Path(__file__).resolve().parents[2]


def test_settings_doc_is_current() -> None:
    """Regenerate with `python -m theodolite.server.settings > docs/settings.md`."""
    assert (ROOT / "docs" / "settings.md").read_text() == settings_markdown()


def test_metrics_doc_is_current() -> None:
    """Regenerate with `python -m theodolite.metrics.catalog > docs/metrics.md`."""
    from theodolite.metrics.catalog import catalog_markdown

    assert (ROOT / "docs" / "metrics.md").read_text() == catalog_markdown()


def test_every_setting_has_a_description() -> None:
    assert [name for name, field in Settings.model_fields.items() if not field.description] == []


def test_readme_leads_with_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text().splitlines()
    commands = [line.strip() for line in readme[:30] if line.strip().startswith("./scripts/")]
    assert commands[:2] == ["./scripts/demo", "./scripts/test"]
    assert "./scripts/test" in (ROOT / ".ci" / "run").read_text()
