"""`theodolite migrate-data --to chdb://...` (and clickhouse://): a SQLite database filled by the demo
in its own process (payloads compressed with its trained dictionaries) is copied into embedded
ClickHouse; what arrives is what SQL holds, an interrupted copy continues without counting a chunk
twice in the materialised views, and what cannot be copied is refused in one line."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import zstandard

try:
    import chdb  # noqa: F401
    import clickhouse_connect
except ImportError as error:
    pytest.skip(f"embedded ClickHouse (chdb + clickhouse-connect) is not installed: {error}", allow_module_level=True)

from click.testing import CliRunner
from sqlalchemy import func, select

from theodolite.cli.main import cli
from theodolite.storage import tables
from theodolite.storage.clickhouse.data_copy import PROGRESS, ClickHouseCopy
from theodolite.storage.dictionaries import load_dictionaries
from theodolite.storage.engine import Database

CHUNK = 200


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite database the demo filled in its own process, with its own payload dictionaries."""
    url = f"sqlite:///{tmp_path_factory.mktemp('source') / 'theodolite.db'}"
    train = (
        "from theodolite.storage.dictionaries import train_and_store_dictionary; "
        "from theodolite.storage.engine import open_database; "
        f"assert train_and_store_dictionary(open_database({url!r}))"
    )
    more = (  # the demo's traffic again, through a writer that compresses with the stored dictionary
        "from datetime import UTC, datetime; from theodolite.cli.demo_command import write_demo; "
        "from theodolite.server.settings import Settings; from theodolite.storage.dictionaries import "
        "load_dictionaries; from theodolite.storage.engine import open_database; "
        f"db = open_database({url!r}); load_dictionaries(db); "
        "write_demo(db, 1, now=datetime.now(UTC), days=1, traces_per_day=150, seed=4, settings=Settings())"
    )
    # Payloads before and after a dictionary was trained (in another process than this one).
    for command in (
        ["-m", "theodolite", "demo", "--no-serve", "--days", "2", "--traces-per-day", "150", "--seed", "3"],
        ["-c", train],
        ["-c", more],
    ):
        database_url = ["--database-url", url] if command[0] == "-m" else []
        done = subprocess.run([sys.executable, *command, *database_url], capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
    return url


@pytest.fixture(scope="module")
def data_dir(chdb_path: Path) -> Path:
    return chdb_path  # the process's one chdb directory (tests/conftest.py)


@pytest.fixture(scope="module")
def client(data_dir: Path) -> Iterator[Any]:
    """chdb keeps one data directory per process: every copy of this module uses it, each into its own
    database, and this client reads them."""
    client = clickhouse_connect.get_client(dsn=f"chdb://{data_dir}")
    try:
        yield client
    finally:
        client.close()


def target(data_dir: Path, database: str) -> str:
    return f"chdb://{data_dir}?database={database}"


def migrate_data(*args: str) -> Any:
    return CliRunner().invoke(cli, ["migrate-data", *args])


def sql_counts(url: str) -> dict[str, int]:
    database = Database(url)
    try:
        with database.connect() as conn:
            return {
                name: conn.execute(select(func.count()).select_from(tables.metadata.tables[name])).scalar_one()
                for name in ("traces", "observations", "scores")
            }
    finally:
        database.dispose()


def clickhouse_counts(client: Any, database: str) -> dict[str, int]:
    return {
        name: int(client.command(f"SELECT count() FROM `{database}`.`{name}` FINAL"))
        for name in ("traces", "observations", "scores")
    }


def rollups(client: Any, database: str, table: str = "rollups_hour") -> list[tuple]:
    """Every rollup key's merged sums and sketch (as its quantiles): what the views counted."""
    return client.query(
        f"SELECT project_id, bucket, type, name, model, provider, level, source, environment, version, sum(n),"
        " sum(errors), sum(input_tokens), sum(output_tokens), sum(total_tokens), sum(cost), sum(priced),"
        " sum(latency_ms_sum), sum(latency_n),"
        " arrayMap(q -> if(isNaN(q), -1, q), quantilesDDMerge(0.003, 0.5, 0.99)(latency_ms_q))"  # empty: nan
        f" FROM `{database}`.`{table}` GROUP BY ALL ORDER BY ALL"
    ).result_rows


def test_the_copy_holds_what_sql_holds(source: str, data_dir: Path, client: Any) -> None:
    database = Database(source)
    try:
        with database.engine.connect() as conn:
            blobs = conn.exec_driver_sql("SELECT payload FROM observation_payloads").scalars().all()
        assert {zstandard.get_frame_parameters(blob).dict_id != 0 for blob in blobs} == {True, False}
        load_dictionaries(database)  # this process reads the payloads the demo's process compressed
        with database.connect() as conn:
            o, p = tables.observations, tables.observation_payloads
            payloads = {
                (row.trace_id, row.id): row.payload
                for row in conn.execute(
                    select(o.c.trace_id, o.c.id, p.c.payload).join(p, p.c.observation_seq == o.c.seq)
                )
            }
            cost = func.coalesce(o.c.calculated_total_cost, o.c.total_cost)
            costs = conn.execute(
                select(func.count(), func.sum(cost)).where(o.c.cost_status != "not_billed", cost.is_not(None))
            ).one()
            t = tables.traces
            traces = {row.id: row for row in conn.execute(select(t))}
    finally:
        database.dispose()

    copied = migrate_data("--from", source, "--to", target(data_dir, "whole"), "--chunk-rows", str(CHUNK))

    assert copied.exit_code == 0, copied.output
    assert "not copied: projects, users" in copied.output and "metadata stays on SQL" in copied.output
    assert "the row counts of all 3 tables match" in copied.output
    assert clickhouse_counts(client, "whole") == sql_counts(source)
    names = client.query("SELECT name FROM system.tables WHERE database = 'whole'").result_rows
    assert ("traces",) in names and (PROGRESS,) not in names  # the progress goes once the counts match
    stored = client.query("SELECT trace_id, id, input, output, attributes FROM `whole`.observations FINAL").result_rows
    assert len(payloads) > 500
    for trace_id, span_id, given, produced, attributes in stored:
        want = payloads.get((trace_id, span_id)) or {}
        assert (json.loads(given) if given else None) == want.get("input"), span_id
        assert (json.loads(produced) if produced else None) == want.get("output"), span_id
        assert (json.loads(attributes) if attributes else None) == want.get("attributes"), span_id
    for trace_id, timestamp, tags, metadata, user in client.query(
        "SELECT id, timestamp, tags, metadata, user_id FROM `whole`.traces FINAL"
    ).result_rows:
        row = traces[trace_id]
        assert timestamp.replace(tzinfo=row.timestamp.tzinfo) == row.timestamp
        assert list(tags) == list(row.tags) and (json.loads(metadata) if metadata else None) == row.metadata
        assert user == (row.user_id or "")
    # The views counted every span once, and its cost exactly as SQL holds it (12 decimals).
    priced, cost = client.query("SELECT sum(priced), sum(cost) FROM `whole`.rollups_minute").result_rows[0]
    assert priced == costs[0] and float(cost) == pytest.approx(float(costs[1]), rel=1e-12)


def test_an_interrupted_copy_continues_and_counts_each_span_once(source: str, data_dir: Path, client: Any) -> None:
    fresh = migrate_data("--from", source, "--to", target(data_dir, "fresh"), "--chunk-rows", str(CHUNK))
    assert fresh.exit_code == 0, fresh.output

    copy = ClickHouseCopy(source, target(data_dir, "resumed"), chunk_rows=CHUNK)
    chunks = []

    def interrupt(rows: int) -> None:  # Ctrl-C after the third chunk of observations
        chunks.append(rows)
        if len(chunks) == 3:
            raise KeyboardInterrupt

    try:
        copy.open()
        copy.copy_table("traces")
        with pytest.raises(KeyboardInterrupt):
            copy.copy_table("observations", on_rows=interrupt)
    finally:
        copy.close()
    assert int(client.command("SELECT count() FROM `resumed`.observations")) == 3 * CHUNK
    # As if the third chunk had gone in and the process had died before its progress row: the
    # progress says two chunks, the target holds three.
    database = Database(source)
    try:
        with database.connect() as conn:
            o = tables.observations
            second_last = conn.execute(select(o.c.seq).order_by(o.c.seq).offset(2 * CHUNK - 1).limit(1)).scalar_one()
    finally:
        database.dispose()
    client.insert(
        f"`resumed`.`{PROGRESS}`",
        [["observations", copy.source_name, json.dumps([second_last]), 2 * CHUNK, 0, time.time_ns()]],
        column_names=["table_name", "source", "last_key", "rows_copied", "done", "version"],
    )

    other = f"sqlite:///{data_dir / 'other.db'}"
    subprocess.run(
        [sys.executable, "-m", "theodolite", "demo", "--no-serve", "--days", "1", "--traces-per-day", "5",
         "--database-url", other],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    refused = migrate_data("--from", other, "--to", target(data_dir, "resumed"))
    assert refused.exit_code == 1 and "holds part of a copy from" in refused.output

    again = migrate_data("--from", source, "--to", target(data_dir, "resumed"), "--chunk-rows", str(CHUNK))

    assert again.exit_code == 0, again.output
    assert "continuing the copy" in again.output
    assert clickhouse_counts(client, "resumed") == sql_counts(source)
    # Without FINAL too: no span was sent twice, so the views counted none twice.
    assert int(client.command("SELECT count() FROM `resumed`.observations")) == sql_counts(source)["observations"]
    for table in ("rollups_minute", "rollups_hour"):
        assert rollups(client, "resumed", table) == rollups(client, "fresh", table)
    totals = "SELECT trace_id, sum(observation_count), sum(total_cost) FROM `{}`.trace_totals GROUP BY ALL ORDER BY ALL"
    assert client.query(totals.format("resumed")).result_rows == client.query(totals.format("fresh")).result_rows

    restarted = migrate_data("--from", other, "--to", target(data_dir, "resumed"), "--restart")
    assert restarted.exit_code == 0, restarted.output
    assert clickhouse_counts(client, "resumed") == sql_counts(other)


def test_refusals_are_one_line_errors(source: str, data_dir: Path, client: Any) -> None:
    def refused(*args: str, saying: str) -> None:
        result = migrate_data("--from", source, *args)
        assert result.exit_code == 1, result.output
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: ") and saying in lines[0], result.output

    refused("--to", "clickhouse://theodolite:secret@127.0.0.1:1/traces", saying="cannot reach ClickHouse at")
    refused("--to", "clickhouse://theodolite:secret@127.0.0.1:1/traces", saying="clickhouse://theodolite@127.0.0.1:1")
    refused("--to", "clickhouse:///traces", saying="needs a host")
    refused("--to", "clickhouse://host:port/traces", saying="must be a number")
    refused("--to", "chdb://relative/path", saying="chdb:///absolute/path")
    result = migrate_data("--from", target(data_dir, "x"), "--to", source)
    assert result.exit_code == 1 and "ClickHouse is a target only" in result.output
    # A store that holds traces no copy put there.
    copied = migrate_data("--from", source, "--to", target(data_dir, "foreign"))
    assert copied.exit_code == 0, copied.output
    refused("--to", target(data_dir, "foreign"), saying="already holds data (traces, observations, scores")
    assert "secret" not in migrate_data("--from", source, "--to", "clickhouse://u:secret@127.0.0.1:1/").output


def test_a_postgresql_source_copies_the_same(source: str, data_dir: Path, client: Any, postgres_server: Any) -> None:
    """From PostgreSQL (payloads in jsonb, costs in numeric) the same rows arrive as from SQLite."""
    from tests.conftest import new_postgres_database

    postgres = new_postgres_database(postgres_server)
    into_postgres = migrate_data("--from", source, "--to", postgres)
    assert into_postgres.exit_code == 0, into_postgres.output
    from_sqlite = migrate_data("--from", source, "--to", target(data_dir, "from_sqlite"))
    from_postgres = migrate_data("--from", postgres, "--to", target(data_dir, "from_postgres"))
    assert from_sqlite.exit_code == 0 and from_postgres.exit_code == 0, from_postgres.output
    # A search document's tokens in another order: jsonb keeps an object's keys in its own order,
    # and a document follows the payload's. Compared as a sorted list of tokens.
    tokens = "arraySort(splitByChar(' ', trim(search_text))) AS tokens"
    for table, order, columns in (
        ("traces", "id", "* EXCEPT (row_version)"),
        ("observations", "trace_id, id", f"* EXCEPT (row_version, search_text), {tokens}"),
        ("scores", "project_id, id", "* EXCEPT (row_version)"),
    ):
        statement = f"SELECT {columns} FROM `{{}}`.{table} FINAL ORDER BY {order}"
        assert _parsed(client.query(statement.format("from_postgres"))) == _parsed(
            client.query(statement.format("from_sqlite"))
        ), table
    assert rollups(client, "from_postgres") == rollups(client, "from_sqlite")


_JSON_COLUMNS = ("metadata", "model_parameters", "input", "output", "attributes")


def _parsed(result: Any) -> list[list[Any]]:
    """Rows with their JSON texts parsed (PostgreSQL's jsonb orders an object's keys its own way)."""
    parsed = [result.column_names.index(name) for name in _JSON_COLUMNS if name in result.column_names]
    rows = []
    for row in result.result_rows:
        values = list(row)
        for index in parsed:
            values[index] = json.loads(values[index]) if values[index] else None
        rows.append(values)
    return rows
