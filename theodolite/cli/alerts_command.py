"""`theodolite alerts export DIR`: the Prometheus rule file and an example Alertmanager config."""

from __future__ import annotations

from pathlib import Path

import click


@click.group()
def alerts() -> None:
    """Prometheus alert rules for LLM cost, latency, fallbacks, cache hits, errors and budgets."""


@alerts.command("export")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def alerts_export(directory: Path) -> None:
    """Write DIRECTORY/theodolite-alerts.yml (rules; thresholds from THEODOLITE_ALERT_* settings)
    and DIRECTORY/alertmanager.example.yml. Load the first in Prometheus' `rule_files`."""
    from theodolite.alerts.rules import alert_rules, alertmanager_example, rule_file
    from theodolite.alerts.thresholds import AlertThresholds

    try:
        thresholds = AlertThresholds()
    except ValueError as exc:
        raise click.ClickException(f"bad THEODOLITE_ALERT_* setting: {exc}") from exc
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "theodolite-alerts.yml").write_text(rule_file(thresholds))
    (directory / "alertmanager.example.yml").write_text(alertmanager_example())
    click.echo(f"wrote {len(alert_rules(thresholds))} alert rules to {directory / 'theodolite-alerts.yml'} "
               f"and {directory / 'alertmanager.example.yml'}")  # fmt: skip
