"""`theodolite migrate-data` copies a whole database between SQLite and PostgreSQL: every table's
rows, the same answers through the query functions the API serves, a target that takes new spans
afterwards (its seqs, sequences and derived-state marks past the copy), resumable after a kill."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pytest
import zstandard
from click.testing import CliRunner
from sqlalchemy import create_engine, func, inspect, select, text

from tests.conftest import new_postgres_database
from tests.support.builders import prepared, trace_batch
from tests.support.postgres import PostgresServer, free_port
from theodolite.cli.main import cli
from theodolite.query.analytics_params import make_metric_query
from theodolite.query.filters import Sort, TraceFilter
from theodolite.storage import tables
from theodolite.storage.data_copy import COPY_ORDER, MARK_TABLES
from theodolite.storage.engine import open_database
from theodolite.storage.sql.queries.analytics import list_metric_rows
from theodolite.storage.sql.queries.traces import get_trace, list_traces
from theodolite.storage.sql_store import SqlTraceStore
from theodolite.storage.writer_lease import WriterLease

NOW = datetime(2026, 11, 20, 12, 0, 7, tzinfo=UTC)
PROJECT = 1  # the demo's project, the first one of a new database
SEARCHES = ("password", "パスワード", "revenue by region")
METRICS = [
    {"measure": "cost", "group_by": ["model"]},
    {"measure": "observation_count", "group_by": ["type", "level"]},
    {"measure": "trace_count", "group_by": ["name"], "interval": "1d"},
    {"measure": "latency", "aggregation": "p95", "group_by": ["name"]},
]


def write_demo(url: str, days: int = 2, per_day: int = 100) -> None:
    """The demo in its own process, as a user fills a database (with its own payload dictionaries)."""
    done = subprocess.run(
        [sys.executable, "-m", "theodolite", "demo", "--no-serve", "--days", str(days), "--traces-per-day",
         str(per_day), "--seed", "3", "--database-url", url],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


def migrate_data(*args: str) -> Any:
    return CliRunner().invoke(cli, ["migrate-data", *args])


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def counts(url: str) -> dict[str, int]:
    database = open_database(url, migrate=False)
    try:
        with database.connect() as conn:
            return {
                name: conn.execute(select(func.count()).select_from(tables.metadata.tables[name])).scalar_one()
                for name in COPY_ORDER
            }
    finally:
        database.dispose()


def metric(project_id: int, **given: Any) -> Any:
    defaults: dict[str, Any] = {
        "measure": "cost", "aggregation": None, "scope": None, "group_by": [], "interval": "1h",
        "filters": {}, "fill": "none", "start": NOW - timedelta(days=30), "end": NOW + timedelta(days=30),
    }  # fmt: skip
    return make_metric_query(project_id, **(defaults | given))


def all_traces(database: Any, filters: TraceFilter) -> list[dict[str, Any]]:
    items, cursor = [], None
    for _ in range(100):  # bounded: a few hundred traces, 100 a page
        page, cursor = list_traces(database, PROJECT, filters, limit=100, cursor=cursor)
        items += page
        if cursor is None:
            return items
    raise AssertionError("too many pages")


def comparable(value: Any) -> Any:
    """Money as both engines hold it: PostgreSQL's numeric keeps 12 decimals, SQLite's REAL reads
    back as the float's digits (0.017199700000000002 there is 0.017199700000 here)."""
    if isinstance(value, Decimal):
        return value.quantize(Decimal("1e-12"))
    if isinstance(value, dict):
        return {key: comparable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [comparable(item) for item in value]
    return value


def answers(url: str) -> dict[str, Any]:
    """What the API answers from a database: the trace list (also sorted by cost, read from the
    copied totals), a few traces with their observations and payloads, searches, analytics."""
    database = open_database(url, migrate=False)
    try:
        listed = all_traces(database, TraceFilter())
        return comparable(
            {
                "traces": listed,
                "by_cost": [item["id"] for item in all_traces(database, TraceFilter(sort=Sort.parse("cost", "desc")))],
                "detail": [get_trace(database, PROJECT, item["id"]) for item in listed[::40]],
                "search": {
                    search: [i["id"] for i in all_traces(database, TraceFilter(search=search))] for search in SEARCHES
                },
                "metrics": [list_metric_rows(database, metric(PROJECT, **given)) for given in METRICS],
            }
        )
    finally:
        database.dispose()


def ingest_one(url: str) -> dict[str, Any]:
    """Store one new trace through the ingest writer; returns the seqs it got and the old maximum."""
    database = open_database(url)
    try:
        with database.connect() as conn:
            before = conn.execute(select(func.max(tables.observations.c.seq))).scalar_one()
        writer = SqlTraceStore(database).make_writer()
        try:
            batch = trace_batch(at=NOW - timedelta(minutes=5), name="after the copy")
            writer.commit([prepared(database, PROJECT, batch)])
            writer.catch_up()
        finally:
            writer.close()
        trace_id = batch.traces[0].id
        with database.connect() as conn:
            seqs = conn.execute(
                select(tables.observations.c.seq).where(tables.observations.c.trace_id == trace_id)
            ).scalars()
            return {"before": before, "seqs": sorted(seqs), "trace_id": trace_id}
    finally:
        database.dispose()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    return new_postgres_database(postgres_server)


def test_every_table_is_copied_or_set() -> None:
    assert sorted((*COPY_ORDER, *MARK_TABLES)) == sorted(tables.metadata.tables)


@pytest.mark.parametrize("direction", ["sqlite->postgresql", "postgresql->sqlite"])
def test_copy_reads_the_same_and_takes_new_spans(direction: str, postgres_url: str, tmp_path: Path) -> None:
    sqlite = sqlite_url(tmp_path / "theodolite.db")
    source, target = (sqlite, postgres_url) if direction.startswith("sqlite") else (postgres_url, sqlite)
    write_demo(source)

    result = migrate_data("--from", source, "--to", target, "--chunk-rows", "700")

    assert result.exit_code == 0, result.output
    assert f"the row counts of all {len(COPY_ORDER)} tables match" in result.output
    copied = counts(source)
    assert copied == counts(target)
    assert copied["observations"] > 700 and copied["rollups"] > 700  # several chunks each
    expected = answers(source)
    assert all(expected["search"].values()) and expected["metrics"][0]  # the demo has each of them
    assert answers(target) == expected
    engine = create_engine(target.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        assert not inspect(conn).has_table("migrate_data_progress")  # dropped once verified
    engine.dispose()

    # New spans on the target: new seqs past the copied ones (PostgreSQL's sequence was moved, the
    # SQLite writer follows from the copied maximum), counted once in the derived tables.
    traces_before = sum(row["value"] for row in list_metric_rows_of(target, measure="trace_count"))
    stored = ingest_one(target)
    assert len(stored["seqs"]) == 2 and min(stored["seqs"]) > stored["before"]
    assert sum(row["value"] for row in list_metric_rows_of(target, measure="trace_count")) == traces_before + 1
    database = open_database(target)
    try:
        first = all_traces(database, TraceFilter(name="after the copy"))
        assert [item["id"] for item in first] == [stored["trace_id"]]
        assert first[0]["observation_count"] == 2
    finally:
        database.dispose()


def list_metric_rows_of(url: str, **given: Any) -> list[dict[str, Any]]:
    database = open_database(url, migrate=False)
    try:
        return list_metric_rows(database, metric(PROJECT, interval="total", **given))
    finally:
        database.dispose()


def progress_rows(url: str, engine: Any = None) -> dict[str, tuple[int, bool]]:
    """The copy's progress table as (rows copied, done) by table; `engine`: poll on one engine (a
    new one per call costs a connection, long enough for a fast copy to finish a table unseen)."""
    owned = engine is None
    engine = engine or create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.connect() as conn:
            if not inspect(conn).has_table("migrate_data_progress"):
                return {}
            rows = conn.execute(text("SELECT table_name, rows_copied, done FROM migrate_data_progress"))
            return {name: (copied, bool(done)) for name, copied, done in rows}
    finally:
        if owned:
            engine.dispose()


@pytest.mark.parametrize("rerun", ["continue", "restart"])
def test_a_killed_copy_continues_without_duplicates_or_gaps(rerun: str, postgres_url: str, tmp_path: Path) -> None:
    source = sqlite_url(tmp_path / "theodolite.db")
    write_demo(source, days=3, per_day=150)
    command = [sys.executable, "-m", "theodolite", "migrate-data", "--from", source, "--to", postgres_url]
    process = subprocess.Popen([*command, "--chunk-rows", "10"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    poller = create_engine(postgres_url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        deadline = time.monotonic() + 120
        seen: dict[str, tuple[int, bool]] = {}
        while time.monotonic() < deadline and process.poll() is None:
            seen = progress_rows(postgres_url, poller)
            if seen.get("observations", (0, False))[0] > 0:
                break
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=60)
        poller.dispose()
    assert process.returncode == -signal.SIGKILL, process.stderr.read() if process.stderr else ""
    copied, done = seen["observations"]
    assert copied > 0 and not done  # interrupted half-way through a table
    left = progress_rows(postgres_url)
    assert left and not left["rollups"][1]

    other = sqlite_url(tmp_path / "other.db")
    write_demo(other, days=1, per_day=5)
    refused = migrate_data("--from", other, "--to", postgres_url)
    assert refused.exit_code == 1 and "holds part of a copy from" in refused.output

    again = migrate_data("--from", source, "--to", postgres_url, *(["--restart"] if rerun == "restart" else []))

    assert again.exit_code == 0, again.output
    assert ("continuing the copy" in again.output) == (rerun == "continue")
    assert counts(source) == counts(postgres_url)
    assert answers(source) == answers(postgres_url)


def test_refusals_are_one_line_errors(postgres_url: str, tmp_path: Path) -> None:
    source = sqlite_url(tmp_path / "theodolite.db")
    write_demo(source, days=1, per_day=20)

    def refused(*args: str) -> str:
        result = migrate_data(*args)
        assert result.exit_code != 0 and "Traceback" not in result.output, result.output
        return result.output

    assert "same database" in refused(
        "--from", source, "--to", f"sqlite:///{tmp_path}/../{tmp_path.name}/theodolite.db"
    )
    assert "not a database URL" in refused("--from", "not a url", "--to", postgres_url)
    assert "unsupported database URL scheme" in refused("--from", source, "--to", "mysql://h/db")
    assert "no database file" in refused("--from", sqlite_url(tmp_path / "missing.db"), "--to", postgres_url)
    unreachable = f"postgresql://postgres@127.0.0.1:{free_port()}/nothing"
    assert "cannot open the database" in refused("--from", source, "--to", unreachable)

    lease = WriterLease(tmp_path / "theodolite.db")  # a server writing the source
    try:
        assert "is writing to" in refused("--from", source, "--to", postgres_url)
    finally:
        lease.release()

    assert migrate_data("--from", source, "--to", postgres_url).exit_code == 0
    # A second copy into the same target: its rows did not come from a copy under way.
    assert "already holds data" in refused("--from", source, "--to", postgres_url)

    old = tmp_path / "old.db"
    write_demo(sqlite_url(old), days=1, per_day=5)
    from alembic import command

    from theodolite.storage.migrations.runner import alembic_config

    engine = create_engine(sqlite_url(old))
    with engine.begin() as conn:
        config = alembic_config()
        config.attributes["connection"] = conn
        command.downgrade(config, "-1")
    engine.dispose()
    assert "at schema revision" in refused("--from", sqlite_url(old), "--to", sqlite_url(tmp_path / "new.db"))


def test_a_sqlite_source_stopped_before_deriving_is_derived_first(postgres_url: str, tmp_path: Path) -> None:
    # A server that stopped (or crashed) right after a commit, before deriving its totals, search
    # documents and rollups: its next start would derive them; PostgreSQL derives in the ingest
    # transaction and never would, so the copy derives them on the source first.
    source = sqlite_url(tmp_path / "theodolite.db")
    write_demo(source, days=1, per_day=20)
    database = open_database(source)
    try:
        writer = SqlTraceStore(database).make_writer()
        batch = trace_batch(at=NOW - timedelta(minutes=5), name="not derived yet", cost="0.5")
        writer.commit([prepared(database, PROJECT, batch)])
        writer.close()  # no catch_up()
    finally:
        database.dispose()

    assert migrate_data("--from", source, "--to", postgres_url).exit_code == 0

    target = open_database(postgres_url)
    try:
        [item] = all_traces(target, TraceFilter(name="not derived yet"))
        assert item["observation_count"] == 2 and item["total_cost"] == Decimal("0.5")
        assert all_traces(target, TraceFilter(sort=Sort.parse("cost", "desc")))[0]["id"] == batch.traces[0].id
    finally:
        target.dispose()
    assert answers(source) == answers(postgres_url)


def test_text_postgresql_cannot_hold_arrives_with_a_replacement_character(postgres_url: str, tmp_path: Path) -> None:
    # SQLite stores U+0000 in text and JSON, and did before ingestion replaced it (so the rows are
    # given it here, past the writer); PostgreSQL's text and jsonb refuse it, and one such value
    # must not stop the copy: it arrives as U+FFFD. A literal backslash-u0000 stays as it is.
    source = sqlite_url(tmp_path / "theodolite.db")
    database = open_database(source)
    try:
        writer = SqlTraceStore(database).make_writer()
        batch = trace_batch()
        writer.commit([prepared(database, PROJECT, batch)])
        writer.close()
        payload = {"input": {"question": "x\x00y", "k\x00": "\\u0000"}, "output": None, "attributes": None}
        with database.write_transaction() as conn:
            conn.execute(
                text("UPDATE traces SET name = :name, metadata = :metadata"),
                {"name": "nul\x00name", "metadata": '{"agent": "a\\u0000gent"}'},
            )
            conn.execute(
                text("UPDATE observation_payloads SET payload = :payload WHERE observation_seq = "
                     "(SELECT seq FROM observations WHERE id = :id)"),
                {"payload": zstandard.ZstdCompressor().compress(orjson.dumps(payload)), "id": batch.observations[0].id},
            )  # fmt: skip
        writer = SqlTraceStore(database).make_writer()
        writer.catch_up()
        writer.close()
    finally:
        database.dispose()

    result = migrate_data("--from", source, "--to", postgres_url)

    assert result.exit_code == 0, result.output
    target = open_database(postgres_url)
    try:
        trace = get_trace(target, PROJECT, batch.traces[0].id)
    finally:
        target.dispose()
    assert trace["name"] == "nul\ufffdname" and trace["metadata"] == {"agent": "a\ufffdgent"}
    root = next(o for o in trace["observations"] if o["id"] == batch.observations[0].id)
    assert root["input"] == {"question": "x\ufffdy", "k\ufffd": "\\u0000"}
