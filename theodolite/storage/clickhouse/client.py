"""A clickhouse-connect client from a URL, for the reads and `migrate-data` (the writer's branch has
the same parsing in `connection.py`; the two are one module once both land).

- `clickhouse://user:password@host:8123/database`: a server over HTTP (port 8123 by default);
- `clickhouses://user:password@host:8443/database`: the same over TLS (port 8443 by default);
- `chdb:///path/to/data?database=name`: embedded ClickHouse (chdb) keeping its data in that
  directory, for tests and benchmarks (chdb holds one data directory per process).

The database defaults to `theodolite`. clickhouse-connect is imported only when a client is made:
the rest of Theodolite runs without the `clickhouse` extra.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from theodolite.errors import ConfigurationError, StorageError

DEFAULT_DATABASE = "theodolite"
PORTS = {"clickhouse": 8123, "clickhouses": 8443}
SCHEMES = ("clickhouse", "clickhouses", "chdb")


@dataclass(frozen=True, slots=True)
class ClickHouseTarget:
    """What a URL names. `host` is None for chdb, whose data directory is `path`."""

    scheme: str
    database: str
    host: str | None = None
    port: int | None = None
    username: str | None = None
    password: str | None = None
    path: str | None = None

    def describe(self) -> str:
        """The URL for messages: no password."""
        if self.host is None:
            return f"chdb://{self.path}?database={self.database}"
        user = f"{self.username}@" if self.username else ""
        return f"{self.scheme}://{user}{self.host}:{self.port}/{self.database}"


def is_clickhouse_url(url: str) -> bool:
    return urlsplit(url).scheme.lower() in SCHEMES


def parse_clickhouse_url(url: str) -> ClickHouseTarget:
    """Raises ConfigurationError for a URL that names no ClickHouse store (never quoting the password)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "chdb":
        if parts.netloc or not parts.path or parts.path == "/":
            raise ConfigurationError("a chdb URL is chdb:///absolute/path/to/data[?database=name]")
        database = (parse_qs(parts.query).get("database") or [DEFAULT_DATABASE])[0]
        return ClickHouseTarget(scheme, _database(database), path=unquote(parts.path))
    if scheme not in PORTS:
        raise ConfigurationError(
            f"not a ClickHouse URL (clickhouse://, clickhouses:// or chdb://): {scheme or 'no'} scheme"
        )
    if not parts.hostname:
        raise ConfigurationError(f"a {scheme}:// URL needs a host: {scheme}://user:password@host:port/database")
    try:
        port = parts.port or PORTS[scheme]
    except ValueError:
        raise ConfigurationError(f"the port of a {scheme}:// URL must be a number") from None
    return ClickHouseTarget(
        scheme,
        _database(unquote(parts.path.strip("/")) or DEFAULT_DATABASE),
        host=parts.hostname,
        port=port,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
    )


def _database(name: str) -> str:
    if not name or "/" in name or "`" in name or "\\" in name:
        raise ConfigurationError(f"not a usable ClickHouse database name: {name!r}")
    return name


def connect(target: ClickHouseTarget, *, connect_timeout_s: float = 10) -> Any:
    """A clickhouse-connect client (not bound to the database: statements name `database.table`, so
    the database may not exist yet). Raises StorageError, one line, when the server cannot be reached."""
    try:
        import clickhouse_connect
    except ImportError as exc:
        raise ConfigurationError("ClickHouse needs the clickhouse extra: pip install 'theodolite[clickhouse]'") from exc
    try:
        if target.host is None:
            return clickhouse_connect.get_client(dsn=f"chdb://{target.path}")
        return clickhouse_connect.get_client(
            host=target.host,
            port=target.port,
            username=target.username or "default",
            password=target.password or "",
            secure=target.scheme == "clickhouses",
            connect_timeout=connect_timeout_s,
            # An insert is acknowledged once its parts are written, never queued (docs/clickhouse.md).
            settings={"async_insert": 0},
        )
    except Exception as exc:  # clickhouse-connect raises its own errors and OSErrors alike
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        raise StorageError(f"cannot reach ClickHouse at {target.describe()}: {reason}") from exc
