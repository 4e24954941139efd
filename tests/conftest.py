"""Shared fixtures: `database_url` runs a test on a real SQLite file and on a real PostgreSQL server;
`server`, a real `theodolite serve` on each, and on ClickHouse too where a module asks for it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.support.postgres import PostgresServer
from tests.support.server import TheodoliteServer
from theodolite.storage.engine import Database, open_database


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    server = PostgresServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def new_postgres_database(server: PostgresServer) -> str:
    name = "t_" + uuid.uuid4().hex[:12]
    admin = create_engine(server.url().replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return server.url(name)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database of each SQL engine."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'theodolite.db'}"
    return new_postgres_database(request.getfixturevalue("postgres_server"))


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    """A migrated database of each SQL engine."""
    db = open_database(database_url)
    try:
        yield db
    finally:
        db.dispose()


@pytest.fixture(scope="module")
def sqlite_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TheodoliteServer]:
    """A real `theodolite serve` subprocess on a SQLite file, shared by the tests of one module
    (for tests whose subject is not the storage engine)."""
    workdir = tmp_path_factory.mktemp("sqlite-server")
    instance = TheodoliteServer(f"sqlite:///{workdir / 'theodolite.db'}", workdir).start()
    try:
        yield instance
    finally:
        instance.stop()


SQL_ENGINES = ("sqlite", "postgresql")
ALL_ENGINES = (*SQL_ENGINES, "clickhouse")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """`server` runs on SQLite and PostgreSQL; a module whose subject is what any trace store
    answers (the query API, search, sorting, ingest) sets `SERVER_ENGINES = ALL_ENGINES` and runs on
    ClickHouse too. The other modules' ClickHouse cases are deselected, not skipped: they never were."""
    kept, dropped = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        engine = callspec.params.get("server") if callspec is not None else None
        wanted = getattr(getattr(item, "module", None), "SERVER_ENGINES", SQL_ENGINES)
        (dropped if engine == "clickhouse" and engine not in wanted else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(scope="module", params=ALL_ENGINES)
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TheodoliteServer]:
    """A real `theodolite serve` subprocess on each engine, shared by the tests of one module. On
    ClickHouse (embedded chdb, a data directory of the server's own) its metadata is a SQLite file."""
    from tests.support.server import TheodoliteServer

    workdir = tmp_path_factory.mktemp("server")
    settings = dict(getattr(request.module, "SERVER_SETTINGS", {}))
    if request.param == "sqlite":
        url = f"sqlite:///{workdir / 'theodolite.db'}"
    elif request.param == "clickhouse":
        url = f"chdb://{workdir / 'chdb'}?database=theodolite"
        settings["metadata_url"] = f"sqlite:///{workdir / 'metadata.db'}"
    else:
        url = new_postgres_database(request.getfixturevalue("postgres_server"))
    instance = TheodoliteServer(url, workdir, **settings).start(deadline_s=60)
    try:
        yield instance
    finally:
        instance.stop()


@pytest.fixture(autouse=True)
def no_active_payload_dictionary(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts with no payload dictionary active in this process: the active one is process
    state (`storage/payloads.py`), and a test that trained one (a copy of a database holding one)
    made a later test's payloads name a dictionary its own database does not store."""
    from theodolite.storage import payloads

    monkeypatch.setattr(payloads, "_active_id", 0)


@pytest.fixture(scope="session")
def chdb_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The one data directory embedded ClickHouse (chdb) opens in this test process: chdb refuses a
    second path while one is open, and another process may not open this one meanwhile. Every
    in-process ClickHouse test uses it, each with databases of its own names; a test whose ClickHouse
    runs in a subprocess (a server, a CLI) gives that process a directory of its own and never opens
    it here."""
    return tmp_path_factory.mktemp("chdb")
