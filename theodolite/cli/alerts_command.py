"""`theodolite alerts export DIR`: the Prometheus rule file and an example Alertmanager config."""

from __future__ import annotations

from pathlib import Path

import click


@click.group()
def alerts() -> None:
    """Prometheus alert rules for LLM cost, latency, fallbacks, cache hits, errors and budgets."""


@alerts.command("export")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--profile", "profiles", multiple=True, default=("default",), show_default=True,
              type=click.Choice(["default", "app"]),
              help="Which rules: `default` (the server's metrics), `app` (an application's own metrics, "
                   "theodolite.metrics); repeat for both.")  # fmt: skip
@click.option(
    "--app-namespace",
    default="app",
    show_default=True,
    help="The namespace of the application's metrics (LLMMetrics(namespace=...)), for --profile app.",
)
def alerts_export(directory: Path, profiles: tuple[str, ...], app_namespace: str) -> None:
    """Write DIRECTORY/theodolite-alerts.yml (rules; thresholds from THEODOLITE_ALERT_* settings)
    and DIRECTORY/alertmanager.example.yml. Load the first in Prometheus' `rule_files`."""
    from theodolite.alerts.app_rules import profile_rule_file
    from theodolite.alerts.rules import alertmanager_example
    from theodolite.alerts.thresholds import AlertThresholds
    from theodolite.metrics.catalog import check_app_namespace

    try:
        thresholds = AlertThresholds()
    except ValueError as exc:
        raise click.ClickException(f"bad THEODOLITE_ALERT_* setting: {exc}") from exc
    try:
        check_app_namespace(app_namespace)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--app-namespace") from exc
    text, count = profile_rule_file(profiles, thresholds, app_namespace)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "theodolite-alerts.yml").write_text(text)
    (directory / "alertmanager.example.yml").write_text(alertmanager_example())
    click.echo(f"wrote {count} alert rules ({', '.join(dict.fromkeys(profiles))}) to "
               f"{directory / 'theodolite-alerts.yml'} and {directory / 'alertmanager.example.yml'}")  # fmt: skip
