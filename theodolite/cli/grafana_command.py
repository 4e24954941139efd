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
def grafana_export(directory: Path, theodolite_target: str) -> None:
    """Write a Grafana provisioning tree, the dashboards, a Prometheus config with the alert rules
    and a docker-compose example into DIRECTORY."""
    from theodolite.grafana.export import export

    written = export(directory, theodolite_target)
    click.echo(f"wrote {len(written)} files under {directory}:")
    for path in written:
        click.echo(f"  {path.relative_to(directory)}")
