"""`theodolite` command: serve, demo, migrate, keys, users, prices, costs, alerts, doctor, grafana."""

from __future__ import annotations

import logging
import sys
from typing import Any

import click

from theodolite import __version__
from theodolite.cli.alerts_command import alerts
from theodolite.cli.common import DATABASE_OPTIONS, run, settings_from
from theodolite.cli.datasets_command import datasets
from theodolite.cli.doctor_command import doctor
from theodolite.cli.experiments_command import experiments
from theodolite.cli.grafana_command import grafana
from theodolite.cli.migrate_data_command import migrate_data
from theodolite.cli.options import settings_options
from theodolite.cli.pricing_commands import costs, prices
from theodolite.cli.rollups_command import rollups
from theodolite.cli.search_command import search
from theodolite.cli.users_command import users


def _configure_logging(level: str) -> None:
    logging.basicConfig(level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if level != "debug":
        # Alembic narrates every plugin and step at INFO; open_database logs the revisions applied
        # in one line, so a first start (and the demo's) stays readable.
        logging.getLogger("alembic").setLevel(logging.WARNING)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="theodolite")
def cli() -> None:
    """Theodolite: self-hosted observability for LLM applications.

    Start with `theodolite demo` to see it filled with example traffic, or `theodolite serve`
    to receive your own traces (OTLP/HTTP on /v1/traces).
    """


@cli.command()
@settings_options()
def serve(**values: Any) -> None:
    """Run the server: OTLP ingestion, the query API, /metrics and (later) the UI."""
    from theodolite.server.runner import run_server

    settings = settings_from(values)
    _configure_logging(settings.log_level)
    run(lambda: run_server(settings))


@cli.command()
@settings_options()
@click.option("--days", default=7, show_default=True, type=click.IntRange(1, 90), help="Days of history to generate.")
@click.option(
    "--traces-per-day",
    default=400,
    show_default=True,
    type=click.IntRange(1, 100_000),
    help="Traces generated per day of history.",
)
@click.option("--seed", default=42, show_default=True, help="Random seed: the same seed gives the same data.")
@click.option("--no-serve", is_flag=True, help="Only fill the database, do not start the server.")
def demo(days: int, traces_per_day: int, seed: int, no_serve: bool, **values: Any) -> None:
    """Fill a database with realistic demo traffic, then serve it.

    Without --database-url the demo uses its own file (demo.db in the data directory), never
    your real database. Re-running is safe: the same seed yields the same ids, stored once.
    """
    from theodolite.cli.demo_command import run_demo

    if values.get("database_url") is None:
        from theodolite.cli.demo_command import default_demo_url

        values["database_url"] = default_demo_url()
    settings = settings_from(values)
    _configure_logging(settings.log_level)
    run(lambda: run_demo(settings, days=days, traces_per_day=traces_per_day, seed=seed, serve=not no_serve))


@cli.command()
@settings_options(DATABASE_OPTIONS)
@click.option(
    "--cluster",
    metavar="NAME",
    help="ClickHouse: create ReplicatedMergeTree tables and Distributed tables ON CLUSTER NAME (a cluster of the "
    "servers' remote_servers), sharded by trace id.",
)
@click.option(
    "--ttl-days",
    type=click.IntRange(1, None),
    help="ClickHouse: delete traces, observations and scores this many days after their time (rollups are kept).",
)
def migrate(cluster: str | None, ttl_days: int | None, **values: Any) -> None:
    """Apply pending database migrations (serve also does this on start).

    With a ClickHouse --database-url, also create the trace store's tables and views if missing
    (idempotent), and migrate the metadata store (--metadata-url)."""
    from theodolite.storage.engine import open_database

    settings = settings_from(values)
    if (cluster or ttl_days) and not settings.traces_on_clickhouse:
        raise click.UsageError("--cluster and --ttl-days are for a ClickHouse --database-url")

    def work() -> None:
        database = open_database(settings.metadata_database_url, migrate=False)
        try:
            applied = database.migrate()
        finally:
            database.dispose()
        click.echo(f"applied: {', '.join(applied)}" if applied else "schema is up to date")
        if settings.traces_on_clickhouse:
            from theodolite.storage.clickhouse.store import open_clickhouse_store

            store = open_clickhouse_store(settings.database_url, migrate=False)
            try:
                store.create_schema(cluster=cluster, ttl_days=ttl_days)
            finally:
                store.close()
            where = f" on cluster {cluster}" if cluster else ""
            click.echo(f"ClickHouse trace store {store.target.describe()}: tables and views in place{where}")

    run(work)


@cli.group()
def keys() -> None:
    """Create, list and revoke project API keys."""


@keys.command("create")
@settings_options(DATABASE_OPTIONS)
@click.option("--project", default="default", show_default=True, help="Project name (created if missing).")
@click.option("--note", default=None, help="A note shown by `keys list`.")
def keys_create(project: str, note: str | None, **values: Any) -> None:
    """Create a key; its secret is printed once."""
    from theodolite.storage.engine import open_database
    from theodolite.storage.metadata.projects import create_key

    settings = settings_from(values)

    def work() -> None:
        key = create_key(open_database(settings.metadata_database_url), project, note=note)
        click.echo(f"project:    {key.project_name}\npublic key: {key.public_key}\nsecret key: {key.secret_key}")
        click.echo("The secret is not stored and will not be shown again.", err=True)

    run(work)


@keys.command("list")
@settings_options(DATABASE_OPTIONS)
@click.option("--project", default=None, help="Only this project.")
def keys_list(project: str | None, **values: Any) -> None:
    """List keys (secrets are never shown, only their first and last characters)."""
    from theodolite.storage.engine import open_existing_database
    from theodolite.storage.metadata.project_reads import list_keys

    settings = settings_from(values)

    def work() -> None:
        rows = list_keys(open_existing_database(settings.metadata_database_url), project)
        if not rows:
            click.echo("no keys")
            return
        click.echo(f"{'PROJECT':<20} {'PUBLIC KEY':<26} {'SECRET':<14} {'CREATED':<20} STATUS")
        for key in rows:
            status = f"revoked {key.revoked_at:%Y-%m-%d %H:%M}" if key.revoked_at else "active"
            click.echo(
                f"{key.project_name:<20} {key.public_key:<26} {key.display_secret:<14} "
                f"{key.created_at:%Y-%m-%d %H:%M:%S}  {status}"
            )

    run(work)


@keys.command("revoke")
@settings_options(DATABASE_OPTIONS)
@click.argument("public_key")
def keys_revoke(public_key: str, **values: Any) -> None:
    """Revoke the key with this public key (a running server stops accepting it within
    THEODOLITE_API_KEY_CACHE_S seconds)."""
    from theodolite.storage.engine import open_existing_database
    from theodolite.storage.metadata.projects import revoke_key

    settings = settings_from(values)
    run(lambda: (revoke_key(open_existing_database(settings.metadata_database_url, migrate=True), public_key),
                 click.echo(f"revoked {public_key}")))  # fmt: skip


cli.add_command(prices)
cli.add_command(costs)
cli.add_command(alerts)
cli.add_command(doctor)
cli.add_command(grafana)
cli.add_command(rollups)
cli.add_command(users)
cli.add_command(search)
cli.add_command(migrate_data)
cli.add_command(datasets)
cli.add_command(experiments)


def main() -> None:
    cli(prog_name="theodolite")


if __name__ == "__main__":
    sys.exit(main())
