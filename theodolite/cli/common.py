"""What every command shares: settings from flags and environment, errors as one-line messages."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import click

from theodolite.cli.options import pick_settings
from theodolite.errors import TheodoliteError
from theodolite.server.settings import Settings, load_settings

DATABASE_OPTIONS = ("config_file", "database_url", "metadata_url")
DATE_FORMATS = ["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M"]


def settings_from(values: dict[str, Any]) -> Settings:
    try:
        return load_settings(**pick_settings(values))
    except TheodoliteError as exc:
        raise click.ClickException(exc.message) from exc


def run(work: Any) -> None:
    """Run a command body, turning our errors into one-line messages (exit 1), not tracebacks."""
    try:
        work()
    except TheodoliteError as exc:
        raise click.ClickException(exc.message) from exc


def utc(value: datetime | None) -> datetime | None:
    """click.DateTime gives naive datetimes; the command line speaks UTC."""
    return None if value is None else value.replace(tzinfo=UTC)


def check_range(since: datetime | None, until: datetime | None) -> None:
    """A usage error (exit 2) when --since is after --until: the range would silently be empty."""
    if since is not None and until is not None and since > until:
        raise click.UsageError(f"--since {since:%Y-%m-%d %H:%M:%S} is after --until {until:%Y-%m-%d %H:%M:%S}")


def date_option(*decls: str, **kwargs: Any) -> Any:
    kwargs.setdefault("metavar", "DATE")
    return click.option(*decls, type=click.DateTime(DATE_FORMATS), **kwargs)


def sql_url(settings: Settings, traces: bool) -> str:
    """The SQL database a command works on: the metadata store's (projects, keys, users, prices), or
    with `traces` the trace store's, which must then be SQL: a command not written for ClickHouse
    says so rather than reading the empty metadata file beside it."""
    if traces and settings.traces_on_clickhouse:
        raise click.ClickException(
            f"this command works on a SQL trace store (sqlite:/// or postgresql://), not on ClickHouse "
            f"({settings.database_url.split('://')[0]}://); docs/clickhouse.md lists what runs there"
        )
    return settings.metadata_database_url


def open_from(values: dict[str, Any]):  # type: ignore[no-untyped-def]
    """The metadata database of a command that creates rows on a new install (`prices set`, `users
    create`): created and migrated if new."""
    from theodolite.storage.engine import open_database

    return open_database(sql_url(settings_from(values), traces=False))


def open_existing_from(values: dict[str, Any], *, migrate: bool = False, traces: bool = False):  # type: ignore[no-untyped-def]
    """The database of a command that reads or changes rows of an existing install: a mistyped
    path is a one-line error, not a new file (storage.engine.open_existing_database). `traces`: the
    command reads or writes traces (see `sql_url`)."""
    from theodolite.storage.engine import open_existing_database

    return open_existing_database(sql_url(settings_from(values), traces), migrate=migrate)


@contextmanager
def database_from(
    values: dict[str, Any], *, existing: bool = True, migrate: bool = False, traces: bool = False
) -> Iterator[Any]:
    """`open_existing_from` (or, with existing=False, `open_from`), disposed when the block ends,
    also when it raises."""
    database = open_existing_from(values, migrate=migrate, traces=traces) if existing else open_from(values)
    try:
        yield database
    finally:
        database.dispose()


@contextmanager
def stores_from(values: dict[str, Any], *, migrate: bool = False) -> Iterator[Any]:
    """Both stores of an existing install (`storage.stores.open_existing_stores`: the trace store on
    SQL or ClickHouse, the metadata store beside it), closed when the block ends, also when it raises.
    For a command written for both engines; `migrate` upgrades the metadata schema."""
    from theodolite.storage.stores import open_existing_stores

    settings = settings_from(values)
    stores = open_existing_stores(settings.database_url, settings.metadata_database_url, migrate=migrate)
    try:
        yield stores
    finally:
        stores.close()
