"""SDK tests run against a real `theodolite serve` on SQLite (one per module)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import theodolite
from tests.support.server import SECRET_KEY, TheodoliteServer, fetch_trace, walk  # noqa: F401 - re-exported


@pytest.fixture(scope="module")
def sdk_server(sqlite_server: TheodoliteServer) -> TheodoliteServer:
    return sqlite_server


@pytest.fixture
def traced(sdk_server: TheodoliteServer) -> Iterator[TheodoliteServer]:
    """The SDK configured against the server, strict (its own errors raise, in its own tests)."""
    theodolite.configure(endpoint=sdk_server.base_url, api_key=SECRET_KEY, strict=True, environment="test",
                         release="r1", flush_interval_s=0.2)  # fmt: skip
    yield sdk_server
    assert theodolite.shutdown(10)
