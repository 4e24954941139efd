"""`theodolite grafana export DIR`."""

from __future__ import annotations

from pathlib import Path

import click


@click.group()
def grafana() -> None:
    """Grafana dashboards, datasources and a docker-compose example."""


@grafana.command("export")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--theodolite-target", default="theodolite:4318", show_default=True,
              help="host:port Prometheus scrapes Theodolite's /metrics at.")  # fmt: skip
@click.option(
    "--app-namespace",
    default="app",
    show_default=True,
    help="Namespace of the application's own metrics (LLMMetrics(namespace=...)) the dashboards read.",
)
@click.option("--app-target", default=None,
              help="host:port of an application's own /metrics (theodolite.metrics) for Prometheus to scrape as "
                   "job `app`.")  # fmt: skip
def grafana_export(directory: Path, theodolite_target: str, app_namespace: str, app_target: str | None) -> None:
    """Write a Grafana provisioning tree, the dashboards, a Prometheus config with the alert rules
    and a docker-compose example into DIRECTORY."""
    from theodolite.grafana.export import export
    from theodolite.metrics.catalog import check_app_namespace

    try:
        check_app_namespace(app_namespace)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--app-namespace") from exc
    written = export(directory, theodolite_target, app_namespace, app_target)
    click.echo(f"wrote {len(written)} files under {directory}:")
    for path in written:
        click.echo(f"  {path.relative_to(directory)}")
