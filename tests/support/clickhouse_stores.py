"""Both trace stores on the same demo traffic, for the tests that compare ClickHouse's reads with the
SQL store's: SQLite filled through the real ingest path, copied into embedded ClickHouse (chdb) by
`theodolite migrate-data`. `tests/db/conftest.py` makes them a fixture (`stores`), once per session:
chdb opens one data directory per process."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from tests.support.builders import prepared, trace_batch
from theodolite.cli.demo_command import write_demo
from theodolite.cli.main import cli
from theodolite.model import Batch
from theodolite.server.settings import Settings
from theodolite.storage.clickhouse.queries.trace_queries import ClickHouseTraceQueries
from theodolite.storage.engine import Database, open_database
from theodolite.storage.metadata.projects import get_or_create_project
from theodolite.storage.sql_store import SqlTraceQueries, SqlTraceStore

NOW = datetime(2026, 11, 20, 12, 0, 7, tzinfo=UTC)
HOUR_END = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # whole hours: both stores read the same buckets
DAYS = 3


def both_stores(workdir: Path, chdb_path: Path) -> Iterator[tuple[SqlTraceQueries, ClickHouseTraceQueries, int]]:
    """`chdb_path`: the test process's one chdb directory (tests/conftest.py)."""
    import clickhouse_connect

    url = f"sqlite:///{workdir / 'theodolite.db'}"
    database = open_database(url)
    project_id, _ = get_or_create_project(database, "demo")
    write_demo(database, project_id, now=NOW, days=DAYS, traces_per_day=150, seed=7, settings=Settings())
    # A trace without any observation yet (an SDK sends the trace before its spans): SQL keeps its
    # (empty) totals, and every read counts it.
    writer = SqlTraceStore(database).make_writer()
    try:
        sent = trace_batch(at=NOW - timedelta(hours=29), name="no-spans", user_id="user-001", tags=["prod"])
        writer.commit([prepared(database, project_id, Batch(traces=sent.traces, observations=[]))])
        writer.commit([prepared(database, project_id, trace_batch(at=NOW - timedelta(hours=3), user_id="user-001"))])
        writer.catch_up()
    finally:
        writer.close()
    database.dispose()
    copied = CliRunner().invoke(
        cli,
        ["migrate-data", "--from", url, "--to", f"chdb://{chdb_path}?database=theodolite", "--chunk-rows", "700"],
    )
    assert copied.exit_code == 0, copied.output
    client = clickhouse_connect.get_client(dsn=f"chdb://{chdb_path}")
    database = Database(url)
    try:
        yield (
            SqlTraceQueries(database),
            ClickHouseTraceQueries(client, "theodolite", project_name=lambda _: "demo"),
            (project_id),
        )
    finally:
        database.dispose()
        client.close()


def comparable(value: Any) -> Any:
    """Money as Decimal to 12 places (SQLite reads a float back with more digits), times in seconds to
    the microsecond (SQL derives them from float epoch seconds), trees and lists alike."""
    if isinstance(value, dict):
        return {key: comparable(item) for key, item in value.items() if key != "seq"}  # SQL's insert order
    if isinstance(value, list | tuple):
        return [comparable(item) for item in value]
    if isinstance(value, Decimal):
        return value.quantize(Decimal("1e-12"))
    if isinstance(value, float):
        return round(value, 6)
    return value


def query_in_subprocess(path: Path, statement: str) -> list[list[Any]]:
    """Rows of `statement` on a chdb directory a subprocess wrote (a CLI run, a server), read in a
    subprocess too: this process may open only its own directory (`chdb_path`, tests/conftest.py)."""
    import json
    import subprocess
    import sys

    code = (
        "import json, sys, clickhouse_connect\n"
        "client = clickhouse_connect.get_client(dsn='chdb://' + sys.argv[1])\n"
        "print(json.dumps([list(row) for row in client.query(sys.argv[2]).result_rows], default=str))\n"
        "client.close()\n"
    )
    done = subprocess.run([sys.executable, "-c", code, str(path), statement], capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)
