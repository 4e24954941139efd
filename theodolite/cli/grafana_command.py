"""`theodolite grafana export DIR`."""

from __future__ import annotations

from pathlib import Path

import click


@click.group()
def grafana() -> None:
    """Grafana dashboards, datasources and a docker-compose example."""


@grafana.command("export")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--theodolite-target",
    default="theodolite:4318",
    show_default=True,
    help="host:port Prometheus scrapes Theodolite's /metrics at.",
)
@click.option(
    "--sqlite-path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Theodolite's SQLite database file as Grafana sees it: provision the SQLite datasource "
    "(plugin frser-sqlite-datasource, read-only) and the Overview in SQLite's dialect instead "
    "of PostgreSQL (no docker-compose example then).",
)
@click.option("--metrics-token", default=None, envvar="THEODOLITE_METRICS_TOKEN",
              help="The server's metrics_token, for Prometheus' scrape config (default: a new one).")  # fmt: skip
@click.option(
    "--app-namespace",
    default="app",
    show_default=True,
    help="Namespace of the application's own metrics (LLMMetrics(namespace=...)) the dashboards read.",
)
@click.option("--app-target", default=None,
              help="host:port of an application's own /metrics (theodolite.metrics) for Prometheus to scrape as "
                   "job `app`.")  # fmt: skip
@click.option("--theodolite-url", default="http://theodolite:4318", show_default=True,
              help="Theodolite's URL as Grafana reaches it: the Infinity datasource's base URL and its only "
                   "allowed host.")  # fmt: skip
@click.option("--api-key", default=None, envvar="THEODOLITE_GRAFANA_API_KEY",
              help="The project's secret key the docker-compose example gives Theodolite (its first key) and "
                   "Grafana (the Infinity datasource's bearer token); default: a new one. The datasource file "
                   "only names it as ${THEODOLITE_GRAFANA_API_KEY}, from Grafana's environment.")  # fmt: skip
def grafana_export(directory: Path, theodolite_target: str, sqlite_path: Path | None, metrics_token: str | None,
                   app_namespace: str, app_target: str | None, theodolite_url: str,
                   api_key: str | None) -> None:  # fmt: skip
    """Write a Grafana provisioning tree, the dashboards, a Prometheus config with the alert rules
    and a docker-compose example into DIRECTORY. Thresholds come from THEODOLITE_ALERT_* settings."""
    from theodolite.alerts.thresholds import AlertThresholds
    from theodolite.grafana.export import export
    from theodolite.metrics.catalog import check_app_namespace

    try:
        check_app_namespace(app_namespace)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--app-namespace") from exc
    try:
        thresholds = AlertThresholds()
    except ValueError as exc:
        raise click.ClickException(f"bad THEODOLITE_ALERT_* setting: {exc}") from exc
    if not theodolite_url.startswith(("http://", "https://")):
        raise click.BadParameter("an http:// or https:// URL", param_hint="--theodolite-url")
    if api_key is not None and sqlite_path is not None:
        raise click.BadParameter("the SQLite route writes no docker-compose file: give the key to Grafana as "
                                 "THEODOLITE_GRAFANA_API_KEY instead", param_hint="--api-key")  # fmt: skip
    written = export(directory, theodolite_target, sqlite_path=sqlite_path, metrics_token=metrics_token,
                     thresholds=thresholds, app_namespace=app_namespace, app_target=app_target,
                     theodolite_url=theodolite_url, api_key=api_key)  # fmt: skip
    click.echo(f"wrote {len(written)} files under {directory}:")
    for path in written:
        click.echo(f"  {path.relative_to(directory)}")
    if metrics_token is None:
        click.echo("Prometheus sends the token in prometheus/metrics-token: give the server the same "
                   "THEODOLITE_METRICS_TOKEN (the docker-compose example does).", err=True)  # fmt: skip
    if sqlite_path is not None:
        click.echo("Grafana needs the Infinity plugin (GF_INSTALL_PLUGINS=yesoreyeram-infinity-datasource) and a "
                   "project's secret key as THEODOLITE_GRAFANA_API_KEY in its environment.", err=True)  # fmt: skip
