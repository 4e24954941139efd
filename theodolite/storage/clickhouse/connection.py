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

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from theodolite.storage.clickhouse.schema import schema_statements

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
    """Raises ValueError for a URL that names no ClickHouse store (the message never holds the password)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "chdb":
        if parts.netloc or not parts.path or parts.path == "/":
            raise ValueError("a chdb URL is chdb:///absolute/path/to/data[?database=name]")
        database = (parse_qs(parts.query).get("database") or [DEFAULT_DATABASE])[0]
        return ClickHouseUrl(scheme, _database(database), path=unquote(parts.path))
    if scheme not in PORTS:
        raise ValueError(f"not a ClickHouse URL (clickhouse://, clickhouses:// or chdb://): {scheme or 'no'} scheme")
    if not parts.hostname:
        raise ValueError(f"a {scheme}:// URL needs a host: {scheme}://user:password@host:port/database")
    try:
        port = parts.port or PORTS[scheme]
    except ValueError:
        raise ValueError(f"the port of a {scheme}:// URL must be a number") from None
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
        raise ValueError(f"not a usable ClickHouse database name: {name!r}")
    return name


def connect(url: str | ClickHouseUrl) -> tuple[Any, str]:
    """A clickhouse-connect client for the URL, and the database its tables are in (the client is
    not bound to it: the writer names `database.table`, so the database may not exist yet)."""
    import clickhouse_connect

    target = parse_url(url) if isinstance(url, str) else url
    if target.host is None:
        return clickhouse_connect.get_client(dsn=f"chdb://{target.path}"), target.database
    client = clickhouse_connect.get_client(
        host=target.host,
        port=target.port,
        username=target.username or "default",
        password=target.password or "",
        secure=target.secure,
        # An insert is acknowledged once its parts are written (never queued: docs/clickhouse.md).
        settings={"async_insert": 0},
    )
    return client, target.database


def create_schema(client: Any, database: str, **options: Any) -> None:
    """Create the trace store's database, tables and views if missing (idempotent); `options` are
    `schema_statements`' (`cluster`, `ttl_days`)."""
    for statement in schema_statements(database, **options):
        client.command(statement)
