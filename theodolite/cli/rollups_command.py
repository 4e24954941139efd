"""`theodolite rollups rebuild`: derive the analytics rollups again from the stored rows."""

from __future__ import annotations

import sys
from typing import Any

import click

from theodolite.cli.common import DATABASE_OPTIONS, database_from, run
from theodolite.cli.options import settings_options


@click.group()
def rollups() -> None:
    """The minute and hour rollups the analytics API and Grafana read."""


@rollups.command("rebuild")
@settings_options(DATABASE_OPTIONS)
def rollups_rebuild(**values: Any) -> None:
    """Delete the rollups and derive them again from the stored observations, traces and scores.

    The writer keeps them as data arrives and as `costs recompute` changes costs, so this is for
    repairs (after restoring a backup, or editing rows by hand). One transaction: readers see the old
    rollups until it commits. On SQLite no server may write the database meanwhile (the command
    takes the writer's lock and says so); on PostgreSQL run it when ingest is quiet: deltas
    committed while it reads would be counted twice.
    """
    from theodolite.storage.rollups import rebuild
    from theodolite.storage.writer_lease import WriterLease

    def work() -> None:
        with database_from(values, migrate=True, traces=True) as database:
            lease = WriterLease(database.path) if database.path is not None else None
            try:
                with database.write_transaction() as conn:
                    with click.progressbar(length=1, label="rebuilding the rollups", file=sys.stderr) as bar:

                        def progress(done: int, total: int) -> None:
                            bar.length = total
                            bar.update(done - bar.pos)

                        written = rebuild(conn, database.dialect_name, on_progress=progress)
            finally:
                if lease is not None:
                    lease.release()
            click.echo(f"wrote {written:,} rollup rows; the analytics API reads them")

    run(work)
