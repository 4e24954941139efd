"""Connecting to a ClickHouse trace store from a URL, and creating its schema.

- `clickhouse://user:password@host:8123/database`: a server over HTTP (port 8123 by default);
- `clickhouses://user:password@host:8443/database`: the same over TLS (port 8443 by default);
- `chdb:///path/to/data?database=name`: embedded ClickHouse (chdb) keeping its data in that
  directory, for tests and benchmarks. chdb holds one data directory per process.

The database defaults to `theodolite`. User and password may be percent-encoded (a password with
`@` or `/`). clickhouse-connect is imported only when a client is made: the rest of Theodolite
runs without the `clickhouse` extra.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from theodolite.errors import ConfigurationError, StorageError
from theodolite.storage.clickhouse.schema import schema_statements
from theodolite.storage.clickhouse.trace_rollups import TraceRollups

DEFAULT_DATABASE = "theodolite"
PORTS = {"clickhouse": 8123, "clickhouses": 8443}


@dataclass(frozen=True, slots=True)
class ClickHouseUrl:
    """What a URL names. `host` is None for chdb, whose data directory is `path`."""

    scheme: str
    database: str
    host: str | None = None
    port: int | None = None
    username: str | None = None
    password: str | None = None
    path: str | None = None

    @property
    def secure(self) -> bool:
        return self.scheme == "clickhouses"

    def describe(self) -> str:
        """The URL for messages and logs: no password."""
        if self.host is None:
            return f"chdb://{self.path}?database={self.database}"
        user = f"{self.username}@" if self.username else ""
        return f"{self.scheme}://{user}{self.host}:{self.port}/{self.database}"


def parse_url(url: str) -> ClickHouseUrl:
    """Raises ConfigurationError for a URL that names no ClickHouse store (never quoting the password)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "chdb":
        if parts.netloc or not parts.path or parts.path == "/":
            raise ConfigurationError("a chdb URL is chdb:///absolute/path/to/data[?database=name]")
        database = (parse_qs(parts.query).get("database") or [DEFAULT_DATABASE])[0]
        return ClickHouseUrl(scheme, _database(database), path=unquote(parts.path))
    if scheme not in PORTS:
        raise ConfigurationError(
            f"not a ClickHouse URL (clickhouse://, clickhouses:// or chdb://): {scheme or 'no'} scheme"
        )
    if not parts.hostname:
        raise ConfigurationError(f"a {scheme}:// URL needs a host: {scheme}://user:password@host:port/database")
    try:
        port = parts.port or PORTS[scheme]
    except ValueError:  # urlsplit's own, for a port that is no number
        raise ConfigurationError(f"the port of a {scheme}:// URL must be a number") from None
    database = unquote(parts.path.strip("/")) or DEFAULT_DATABASE
    return ClickHouseUrl(
        scheme,
        _database(database),
        host=parts.hostname,
        port=port,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
    )


def _database(name: str) -> str:
    if not name or "/" in name or "`" in name or "\\" in name:
        raise ConfigurationError(f"not a usable ClickHouse database name: {name!r}")
    return name


def connect(url: str | ClickHouseUrl, *, connect_timeout_s: float = 10) -> tuple[Any, str]:
    """A clickhouse-connect client for the URL, and the database its tables are in (the client is
    not bound to it: statements name `database.table`, so the database may not exist yet). Raises
    ConfigurationError for a bad URL or without the clickhouse extra, StorageError (one line) when
    the server cannot be reached."""
    target = parse_url(url) if isinstance(url, str) else url
    try:
        import clickhouse_connect
    except ImportError as exc:
        raise ConfigurationError("ClickHouse needs the clickhouse extra: pip install 'theodolite[clickhouse]'") from exc
    try:
        if target.host is None:
            return clickhouse_connect.get_client(dsn=f"chdb://{target.path}"), target.database
        client = clickhouse_connect.get_client(
            host=target.host,
            port=target.port,
            username=target.username or "default",
            password=target.password or "",
            secure=target.secure,
            connect_timeout=connect_timeout_s,
            # An insert is acknowledged once its parts are written, never queued (docs/clickhouse.md).
            settings={"async_insert": 0},
        )
    except Exception as exc:  # noqa: BLE001 - clickhouse-connect raises its own errors and OSErrors alike
        raise StorageError(f"cannot reach ClickHouse at {target.describe()}: {first_line(exc)}") from exc
    return client, target.database


def first_line(exc: BaseException) -> str:
    """An error's first line, for one-line messages (the rest goes to the log through the cause)."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]


def create_schema(client: Any, database: str, **options: Any) -> None:
    """Create the trace store's database, tables and views if missing (idempotent); `options` are
    `schema_statements`' (`cluster`, `ttl_days`). A store made before the trace rollups gets every
    minute with traces marked: the first writer's follower derives them (`trace_rollups.py`)."""
    upgrading = _exists(client, database, "traces") and not _exists(client, database, "trace_rollup_marks")
    for statement in schema_statements(database, **options):
        client.command(statement)
    if upgrading:
        TraceRollups(client, database).mark_all(time.time_ns())


def _exists(client: Any, database: str, table: str) -> bool:
    return bool(int(client.command(f"EXISTS TABLE `{database}`.`{table}`")))
