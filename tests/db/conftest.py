"""`stores`: the SQL and ClickHouse trace stores on the same demo traffic (`tests/support/clickhouse_stores.py`),
built once per session: chdb opens one data directory per process, so every ClickHouse comparison shares it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.clickhouse_stores import both_stores


@pytest.fixture(scope="session")
def stores(tmp_path_factory: pytest.TempPathFactory, chdb_path: Path) -> Iterator[Any]:
    yield from both_stores(tmp_path_factory.mktemp("clickhouse-queries"), chdb_path)
