"""`theodolite migrate-data`: copy a whole database to another engine (`storage/data_copy.py`)."""

from __future__ import annotations

import sys
from typing import Any

import click

from theodolite.cli.common import run
from theodolite.errors import ConfigurationError


@click.command("migrate-data")
@click.option("--from", "source", required=True, metavar="URL", help="The database to copy (it is only read).")
@click.option("--to", "target", required=True, metavar="URL", help="The database to fill: new or empty.")
@click.option("--restart", is_flag=True, help="Empty what an interrupted copy left in the target and start over.")
@click.option(
    "--chunk-rows",
    default=None,
    type=click.IntRange(1, 1_000_000),
    help="Rows read and written per transaction (default 5,000; 10,000 per insert into ClickHouse).",
)
def migrate_data(source: str, target: str, restart: bool, chunk_rows: int | None) -> None:
    """Copy every trace, observation, score, project, key, user and derived table from one
    database to another: SQLite to PostgreSQL (a team outgrowing the default file) or back.
    Into ClickHouse (--to clickhouse://user:pass@host:8123/db, clickhouses://..., chdb:///dir)
    only traces, observations and scores are copied; metadata stays on SQL.

    The target is created and migrated if new; it must be empty. Interrupted, the same command
    continues where it stopped. Stop the servers writing the source first: on SQLite the command
    refuses while one runs. See docs/migrate-data.md.

    \b
    theodolite migrate-data --from sqlite:///var/lib/theodolite/theodolite.db \\
        --to postgresql://theodolite@db.internal/theodolite
    """
    from theodolite.storage.data_copy import DataCopy, reported_as_stopped
    from theodolite.storage.urls import is_clickhouse_url

    def work() -> None:
        if is_clickhouse_url(source):
            raise ConfigurationError("--from: ClickHouse is a target only; copy from SQLite or PostgreSQL")
        if is_clickhouse_url(target):
            from theodolite.storage.clickhouse.data_copy import DEFAULT_CHUNK_ROWS, ClickHouseCopy, reported

            into = ClickHouseCopy(source, target, chunk_rows=chunk_rows or DEFAULT_CHUNK_ROWS)
            try:
                with reported():
                    _copy_to_clickhouse(into, restart)
            finally:
                into.close()
            return
        copy = DataCopy(source, target, chunk_rows=chunk_rows or 5_000)
        try:
            with reported_as_stopped():
                _copy(copy, restart)
        finally:
            copy.close()

    run(work)


def _copy_to_clickhouse(copy: Any, restart: bool) -> None:
    """Open, copy the three trace tables under their progress bars, verify, print the summary."""
    from theodolite.storage.clickhouse.data_copy import NOT_COPIED

    copy.open(restart=restart)
    verb = "continuing the copy" if copy.resumed else "copying"
    click.echo(f"{verb} {copy.source_name} -> {copy.target_name}", err=True)
    click.echo(
        f"not copied: {', '.join(NOT_COPIED)} (metadata stays on SQL); totals and rollups are derived by ClickHouse",
        err=True,
    )
    for step in copy.steps():
        with click.progressbar(length=max(step.total, 1), label=f"{step.name:<22}", file=sys.stderr) as bar:
            bar.update(min(step.copied, step.total))
            copy.copy_table(step.name, on_rows=bar.update)
            bar.update(bar.length - bar.pos)
    with click.progressbar(
        length=max(copy.mark_trace_minutes(), 1), label=f"{'trace rollups':<22}", file=sys.stderr
    ) as bar:
        copy.derive_trace_rollups(on_minutes=bar.update)
        bar.update(bar.length - bar.pos)
    counts = copy.verify()
    width = max(len(count.name) for count in counts)
    for count in counts:
        click.echo(f"{count.name:<{width}}  {count.target:>12,}")
    click.echo(
        f"copied {sum(c.target for c in counts):,} rows; the row counts of all {len(counts)} tables match "
        "(read with FINAL) and the rollups count every span once"
    )


def _copy(copy: Any, restart: bool) -> None:
    """Open, copy each table under its progress bar, finish, verify, print the summary."""
    from theodolite.storage.engine import describe_url

    copy.open(restart=restart)
    verb = "continuing the copy" if copy.resumed else "copying"
    click.echo(f"{verb} {copy.source_name} -> {describe_url(copy.target_url)}", err=True)
    for step in copy.steps():
        with click.progressbar(length=max(step.total, 1), label=f"{step.name:<22}", file=sys.stderr) as bar:
            bar.update(min(step.copied, step.total))
            copy.copy_table(step.name, on_rows=bar.update)
            bar.update(bar.length - bar.pos)
    copy.set_marks()
    searching = max(copy.search_to_index(), 1)
    with click.progressbar(length=searching, label=f"{'search index':<22}", file=sys.stderr) as bar:
        copy.index_search(on_chunk=bar.update)
        bar.update(bar.length - bar.pos)
    copy.finish()
    counts = copy.verify()
    width = max(len(count.name) for count in counts)
    for count in counts:
        click.echo(f"{count.name:<{width}}  {count.target:>12,}")
    click.echo(f"copied {sum(c.target for c in counts):,} rows; the row counts of all {len(counts)} tables match")
