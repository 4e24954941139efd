"""Database URLs as users type them: the shipped drivers are picked, anything else is a clear error."""

from __future__ import annotations

import pytest

from theodolite.errors import ConfigurationError
from theodolite.storage.engine import normalise_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://u:p@db:5432/theo", "postgresql+psycopg://u:p@db:5432/theo"),
        ("postgres://u:p@db/theo", "postgresql+psycopg://u:p@db/theo"),
        ("sqlite:////var/lib/theo.db", "sqlite+pysqlite:////var/lib/theo.db"),
    ],
)
def test_users_urls_get_the_shipped_driver(url: str, expected: str) -> None:
    assert normalise_url(url) == expected


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("clickhouse://localhost:8123/theo", "ClickHouse is not supported yet"),
        ("mysql://u@db/theo", "unsupported database URL scheme 'mysql'"),
        ("sqlite://", "SQLite URL needs a file path"),
    ],
)
def test_other_urls_are_refused_with_the_fix(url: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        normalise_url(url)
