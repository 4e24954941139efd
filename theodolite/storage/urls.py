"""Which store a database URL names, without importing any database library (settings use it)."""

from __future__ import annotations

SQL_SCHEMES = ("sqlite:", "sqlite+pysqlite:", "postgresql:", "postgresql+psycopg:")
# clickhouses: over TLS; chdb: the embedded engine (clickhouse-connect's DSN), for tests and trials.
CLICKHOUSE_SCHEMES = ("clickhouse:", "clickhouses:", "chdb:")


def is_clickhouse_url(url: str) -> bool:
    return url.lower().startswith(CLICKHOUSE_SCHEMES)
