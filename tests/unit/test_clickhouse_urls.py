"""ClickHouse store URLs (`storage/clickhouse/connection.py`): the forms `migrate-data --to` takes, and
messages that never show the password."""

from __future__ import annotations

import pytest

from theodolite.errors import ConfigurationError
from theodolite.storage.clickhouse.connection import parse_url
from theodolite.storage.urls import is_clickhouse_url


def test_the_url_forms() -> None:
    server = parse_url("clickhouse://theodolite:p%40ss%2Fword@ch.internal/traces")
    assert (server.host, server.port, server.database) == ("ch.internal", 8123, "traces")
    assert (server.username, server.password) == ("theodolite", "p@ss/word")
    assert server.describe() == "clickhouse://theodolite@ch.internal:8123/traces"
    secure = parse_url("clickhouses://u:secret@ch.internal")
    assert (secure.scheme, secure.port, secure.database) == ("clickhouses", 8443, "theodolite")
    assert "secret" not in secure.describe()
    assert parse_url("clickhouse://ch:9000/x").port == 9000
    embedded = parse_url("chdb:///var/lib/ch?database=demo")
    assert (embedded.host, embedded.path, embedded.database) == (None, "/var/lib/ch", "demo")
    assert parse_url("chdb:///var/lib/ch").database == "theodolite"
    assert is_clickhouse_url("CLICKHOUSE://h/d") and not is_clickhouse_url("postgresql://h/d")


@pytest.mark.parametrize(
    ("url", "saying"),
    [
        ("clickhouse:///db", "needs a host"),
        ("clickhouse://h:port/db", "must be a number"),
        ("chdb://relative/dir", "chdb:///absolute/path"),
        ("chdb:///", "chdb:///absolute/path"),
        ("clickhouse://h/a`b", "not a usable ClickHouse database name"),
        ("mysql://h/db", "not a ClickHouse URL"),
    ],
)
def test_what_is_refused(url: str, saying: str) -> None:
    with pytest.raises(ConfigurationError, match=saying):
        parse_url(url)
