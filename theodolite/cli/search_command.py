"""`theodolite search reindex`: index the inputs and outputs stored before full-text search existed."""

from __future__ import annotations

import sys
from typing import Any

import click

from theodolite.cli.common import DATABASE_OPTIONS, database_from, run
from theodolite.cli.options import settings_options


@click.group()
def search() -> None:
    """The full-text index of inputs and outputs (the trace list's search)."""


@search.command("reindex")
@settings_options(DATABASE_OPTIONS)
def search_reindex(**values: Any) -> None:
    """Index the observations stored before the upgrade that added search.

    New observations are indexed as they are stored; this reads the older ones' payloads. Safe to
    interrupt and to run again (each chunk commits with its progress), and to run while the server
    is ingesting.
    """
    from theodolite.storage.search import backfill_remaining, backfill_search

    def work() -> None:
        with database_from(values, migrate=True, traces=True) as database:
            remaining = backfill_remaining(database)
            if remaining == 0:
                click.echo("the search index is complete: nothing to reindex")
                return
            with click.progressbar(length=remaining, label="indexing stored observations", file=sys.stderr) as bar:
                written = backfill_search(database, on_chunk=bar.update)
            click.echo(f"indexed {written:,} observations with text; the search index is complete")

    run(work)
