"""The ClickHouse trace store's schema on a real ClickHouse engine: embedded (chdb) behind
clickhouse-connect's `chdb://` DSN, the client API a server is used with. Rows go in as one batch
insert, re-sends and updates follow the writer's protocol (`storage/clickhouse/schema.py`), and the
materialised views' rollups are compared with GROUP BY over the raw rows. The cluster variant cannot
run on one embedded engine: ClickHouse's own parser checks each of its statements."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

try:
    import chdb  # noqa: F401
    import clickhouse_connect
except ImportError as error:  # the test extra installs both; a bare install skips, saying why
    pytest.skip(f"embedded ClickHouse (chdb + clickhouse-connect) is not installed: {error}", allow_module_level=True)

from clickhouse_connect.driver.exceptions import DatabaseError

from theodolite.storage.clickhouse.connection import create_schema
from theodolite.storage.clickhouse.schema import (
    ROLLUP_DIMENSIONS,
    SKETCH_ACCURACY,
    SKETCH_RELATIVE_ERROR,
    schema_statements,
)

MODELS = ["gpt-4o", "gpt-4o-mini", "claude-sonnet-4", "llama-3.1-70b", ""]
LEVELS = ["DEBUG", "DEFAULT", "DEFAULT", "DEFAULT", "WARNING", "ERROR"]
STATUSES = ["priced", "priced", "priced", "unpriced", "not_billed", "reported"]
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
COLUMNS = [
    "project_id", "trace_id", "id", "parent_observation_id", "type", "name", "start_time", "end_time",
    "completion_start_time", "level", "model", "provider", "source", "environment", "version",
    "prompt_tokens", "completion_tokens", "total_tokens", "total_cost", "calculated_total_cost",
    "cost_status", "input", "output", "row_version", "is_deleted", "sign",
]  # fmt: skip
SPANS = 6000


@pytest.fixture(scope="module")
def client(chdb_path: Path) -> Iterator[Any]:
    # chdb keeps one data directory per process: one client for the module, a database per test.
    client = clickhouse_connect.get_client(dsn=f"chdb://{chdb_path}")
    try:
        yield client
    finally:
        client.close()


def _create(client: Any, database: str, **options: Any) -> None:
    for statement in schema_statements(database, **options):
        client.command(statement)


def _span(rng: random.Random, number: int, version: int) -> dict[str, Any]:
    start = NOW - timedelta(hours=rng.randrange(6), minutes=rng.randrange(60), seconds=rng.random() * 60)
    status = rng.choice(STATUSES)
    calculated = Decimal(rng.randrange(1, 10**9)) / Decimal(10**12) if status == "priced" else None
    reported = Decimal(rng.randrange(1, 10**8)) / Decimal(10**12) if status in ("reported", "not_billed") else None
    generation = rng.random() < 0.7
    prompt, completion = rng.randrange(10, 5000), rng.randrange(1, 2000)
    latency = timedelta(milliseconds=rng.lognormvariate(6, 1))
    return {
        "project_id": rng.choice((1, 1, 1, 2)),
        "trace_id": f"{number // 4:032x}",
        "id": f"{number:016x}",
        "parent_observation_id": "",
        "type": "GENERATION" if generation else "SPAN",
        "name": rng.choice(("chat", "retrieve", "rerank", "answer")),
        "start_time": start,
        "end_time": start + latency if rng.random() < 0.95 else None,
        "completion_start_time": start + latency / 3 if generation and rng.random() < 0.8 else None,
        "level": rng.choice(LEVELS),
        "model": rng.choice(MODELS) if generation else "",
        "provider": "openai" if generation else "",
        "source": "otel",
        "environment": rng.choice(("production", "staging")),
        "version": "",
        "prompt_tokens": prompt if generation else None,
        "completion_tokens": completion if generation else None,
        "total_tokens": prompt + completion if generation else None,
        "total_cost": reported,
        "calculated_total_cost": calculated,
        "cost_status": status,
        "input": '{"messages": [{"role": "user", "content": "' + "question " * rng.randrange(1, 50) + '"}]}',
        "output": "answer " * rng.randrange(1, 80),
        "row_version": version,
        "is_deleted": 0,
        "sign": 1,
    }


def _insert(client: Any, database: str, rows: list[dict[str, Any]]) -> None:
    """One batch insert of all the rows: the way a writer must send them (never row by row)."""
    client.insert("observations", [[row[name] for name in COLUMNS] for row in rows], COLUMNS, database=database)


def _cancel(row: dict[str, Any], version: int) -> dict[str, Any]:
    """The writer's cancelling row for a stored row it replaces or deletes."""
    return {**row, "sign": -1, "is_deleted": 1, "row_version": version - 1}


@pytest.fixture(scope="module")
def loaded(client: Any) -> dict[str, Any]:
    """A store with SPANS spans in one insert, then an update of 10 % of them (cancelling rows and new
    versions in one insert), a delete, and an identical re-send; merges stopped so no part is merged."""
    database = "loaded"
    _create(client, database)
    client.command(f"SYSTEM STOP MERGES {database}.observations")
    rng = random.Random(7)
    first = [_span(rng, number, 1_000) for number in range(SPANS)]
    _insert(client, database, first)
    updated = {row["id"]: {**row, "output": "revised", "row_version": 2_000, "model": "gpt-4o",
                           "calculated_total_cost": Decimal("0.000123456789"), "cost_status": "priced"}
               for row in first[::10]}  # fmt: skip
    stored = {row["id"]: row for row in first}
    batch = []
    for key, row in updated.items():
        batch += [_cancel(stored[key], 2_000), row]
        stored[key] = row
    deleted = first[1]
    batch.append(_cancel(deleted, 2_000))
    del stored[deleted["id"]]
    _insert(client, database, batch)
    return {"database": database, "first": first, "stored": stored, "updated": updated, "batch": len(batch)}


def test_single_node_schema_creates_tables_ordered_and_compressed_for_the_reads(client: Any) -> None:
    _create(client, "shape")
    _create(client, "shape")  # idempotent: a second run changes nothing
    tables = {
        name: (engine, sorting, partition)
        for name, engine, sorting, partition in client.query(
            "SELECT name, engine, sorting_key, partition_key FROM system.tables WHERE database = 'shape'"
        ).result_rows
    }
    assert tables["traces"] == ("ReplacingMergeTree", "project_id, toDate(timestamp), id", "toYYYYMM(timestamp)")
    assert tables["observations"] == (
        "ReplacingMergeTree",
        "project_id, toDate(start_time), trace_id, id",
        "toYYYYMM(start_time)",
    )
    assert tables["scores"][0] == "ReplacingMergeTree"
    dims = ", ".join(ROLLUP_DIMENSIONS)
    for rollup in ("rollups_minute", "rollups_hour"):
        assert tables[rollup] == ("AggregatingMergeTree", f"project_id, bucket, {dims}", "toYYYYMM(bucket)")
        assert tables[rollup + "_mv"][0] == "MaterializedView"
    assert tables["trace_totals"][:2] == ("AggregatingMergeTree", "project_id, trace_id")
    columns = dict(
        client.query(
            "SELECT name, concat(type, ' ', compression_codec) FROM system.columns"
            " WHERE database = 'shape' AND table = 'observations'"
        ).result_rows
    )
    for payload in ("input", "output", "attributes", "metadata"):
        assert columns[payload] == "String CODEC(ZSTD(3))"
    for dimension in ("model", "provider", "name", "type", "level", "environment"):
        assert columns[dimension].startswith("LowCardinality(String)")


def test_one_batch_insert_of_thousands_of_spans_is_one_part(client: Any, loaded: dict[str, Any]) -> None:
    parts = client.query(
        "SELECT rows FROM system.parts WHERE database = %(db)s AND table = 'observations' AND active"
        " ORDER BY min_block_number",
        parameters={"db": loaded["database"]},
    ).result_rows
    # Two inserts, two parts (one month), none merged: the first holds the whole first batch. The
    # second may hold less than was sent: ClickHouse collapses one block's rows of one key on insert
    # (`optimize_on_insert`), which keeps the newest version as merges would.
    assert len(parts) == 2 and parts[0] == (SPANS,)
    assert len(loaded["updated"]) + 1 <= parts[1][0] <= loaded["batch"]


def test_final_reads_one_row_per_span_before_any_merge(client: Any, loaded: dict[str, Any]) -> None:
    db = loaded["database"]
    raw = client.query(f"SELECT count() FROM {db}.observations").result_rows[0][0]
    assert raw > SPANS  # nothing merged: the first versions of updated spans are still there
    rows = client.query(f"SELECT id, output, model, sign FROM {db}.observations FINAL").result_rows
    assert len(rows) == len({row[0] for row in rows}) == len(loaded["stored"]) == SPANS - 1
    assert {row[0] for row in rows} == set(loaded["stored"])
    assert all(sign == 1 for *_, sign in rows)
    for key, output, model, _ in rows:
        assert (output, model) == (loaded["stored"][key]["output"], loaded["stored"][key]["model"])
    # argMax by version, the other way to read before merges, sees the same rows.
    latest = client.query(
        f"SELECT id, argMax(output, row_version), argMax(is_deleted, row_version) AS gone"
        f" FROM {db}.observations GROUP BY project_id, trace_id, id HAVING gone = 0"
    ).result_rows
    assert sorted((key, output) for key, output, _ in latest) == sorted((key, output) for key, output, _, _ in rows)


def test_identical_resend_is_one_row_under_final(client: Any) -> None:
    _create(client, "resend")
    rng = random.Random(3)
    rows = [_span(rng, number, 1_000) for number in range(2000)]
    _insert(client, "resend", rows)
    _insert(client, "resend", rows[:500])  # a client's retry of the first 500
    counts = client.query("SELECT count(), (SELECT count() FROM resend.observations FINAL) FROM resend.observations")
    assert counts.result_rows[0] == (2500, 2000)


def _exact_rollups(client: Any, db: str, bucket: str) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    dims = ", ".join(ROLLUP_DIMENSIONS)
    priced = "if(cost_status != 'not_billed', coalesce(calculated_total_cost, total_cost), NULL)"
    rows = client.query(
        f"""SELECT project_id, {bucket}(start_time) AS b, {dims}, count(), countIf(level = 'ERROR'),
               sum(ifNull(prompt_tokens, 0)), sum(ifNull(completion_tokens, 0)), sum(ifNull(total_tokens, 0)),
               countIf({priced} IS NOT NULL), countIf(cost_status = 'unpriced'), count(end_time),
               count(completion_start_time), sum(ifNull({priced}, 0)),
               sum(ifNull(dateDiff('microsecond', start_time, end_time) / 1000, 0))
            FROM {db}.observations FINAL GROUP BY project_id, b, {dims}"""
    ).result_rows
    return {row[:10]: row[10:] for row in rows}


def _rollups(client: Any, db: str, table: str) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    dims = ", ".join(ROLLUP_DIMENSIONS)
    rows = client.query(
        f"""SELECT project_id, bucket, {dims}, sum(n), sum(errors), sum(input_tokens), sum(output_tokens),
               sum(total_tokens), sum(priced), sum(unpriced), sum(latency_n), sum(ttft_n), sum(cost),
               sum(latency_ms_sum)
            FROM {db}.{table} GROUP BY project_id, bucket, {dims} HAVING sum(n) != 0"""
    ).result_rows
    return {row[:10]: row[10:] for row in rows}


@pytest.mark.parametrize(
    ("table", "bucket"), [("rollups_minute", "toStartOfMinute"), ("rollups_hour", "toStartOfHour")]
)
def test_rollups_equal_group_by_over_the_stored_rows(
    client: Any, loaded: dict[str, Any], table: str, bucket: str
) -> None:
    db = loaded["database"]
    exact, rolled = _exact_rollups(client, db, bucket), _rollups(client, db, table)
    assert len(exact) > 100 and set(rolled) == set(exact)
    for key, want in exact.items():
        got = rolled[key]
        assert got[:9] == want[:9], key  # counts and token sums: exact
        assert abs(got[9] - want[9]) <= Decimal("1e-9"), key  # cost (USD)
        assert got[10] == pytest.approx(want[10], rel=1e-9, abs=1e-6), key  # latency sum (ms)
    totals = client.query(f"SELECT sum(cost), sum(n) FROM {db}.{table}").result_rows[0]
    assert totals[1] == len(loaded["stored"])
    assert totals[0] == sum(
        (row["calculated_total_cost"] or row["total_cost"] or 0)
        for row in loaded["stored"].values()
        if row["cost_status"] != "not_billed"
    )


def test_trace_totals_equal_group_by_trace(client: Any, loaded: dict[str, Any]) -> None:
    db = loaded["database"]
    exact = client.query(
        f"""SELECT project_id, trace_id, count(), sum(ifNull(total_tokens, 0)), countIf(level = 'ERROR'),
               sum(ifNull(if(cost_status != 'not_billed', coalesce(calculated_total_cost, total_cost), NULL), 0))
            FROM {db}.observations FINAL GROUP BY project_id, trace_id ORDER BY project_id, trace_id"""
    ).result_rows
    rolled = client.query(
        f"""SELECT project_id, trace_id, sum(observation_count), sum(total_tokens), sum(error_count), sum(total_cost)
            FROM {db}.trace_totals GROUP BY project_id, trace_id HAVING sum(observation_count) != 0
            ORDER BY project_id, trace_id"""
    ).result_rows
    assert len(exact) > 1000 and rolled == exact


def _within_sketch_error(estimate: float, ordered: list[float], q: float) -> bool:
    """DDSketch's bound: within the relative error of the exact quantile; the rank a quantile
    falls on differs by one between definitions, so either neighbour is the exact value."""
    rank = q * (len(ordered) - 1)
    low, high = ordered[max(0, int(rank) - 1)], ordered[min(len(ordered) - 1, int(rank) + 2)]
    return low * (1 - SKETCH_RELATIVE_ERROR) - 1e-9 <= estimate <= high * (1 + SKETCH_RELATIVE_ERROR) + 1e-9


def test_rollup_percentiles_are_within_the_sketch_error(client: Any, loaded: dict[str, Any]) -> None:
    db = loaded["database"]
    levels = (0.5, 0.9, 0.95, 0.99)
    # The sketches count every received version (a sketch cannot take a value away): compare with
    # the sign +1 rows as inserted, by model over the whole range (minutes merged into one sketch).
    for sketch, column in (("latency_ms_q", "end_time"), ("ttft_ms_q", "completion_start_time")):
        values: dict[str, list[float]] = {}
        for model, value in client.query(
            f"SELECT model, dateDiff('microsecond', start_time, {column}) / 1000 FROM {db}.observations"
            f" WHERE sign = 1 AND {column} IS NOT NULL"
        ).result_rows:
            values.setdefault(model, []).append(max(0.0, value))
        for table in ("rollups_minute", "rollups_hour"):
            estimates = client.query(
                f"SELECT model, quantilesDDMerge({SKETCH_ACCURACY}, {', '.join(map(str, levels))})({sketch})"
                f" FROM {db}.{table} GROUP BY model HAVING sum(n) > 0"
            ).result_rows
            assert {model for model, _ in estimates} >= set(values)
            for model, quantiles in estimates:
                if model not in values:  # no value of this kind (spans have no first token): no estimate
                    assert all(q != q or q == 0 for q in quantiles), (sketch, model, quantiles)
                    continue
                ordered = sorted(values[model])
                for q, estimate in zip(levels, quantiles, strict=True):
                    assert _within_sketch_error(estimate, ordered, q), (sketch, table, model, q, estimate)
    # The check itself rejects an estimate 2 % off.
    ordered = sorted(values["gpt-4o"])
    assert not _within_sketch_error(ordered[len(ordered) // 2] * 1.03, ordered, 0.5)


def test_ttl_clause_is_accepted_and_expires_old_rows(client: Any) -> None:
    _create(client, "retention", ttl_days=30)
    create = client.query("SELECT create_table_query FROM system.tables WHERE database = 'retention'").result_rows
    assert sum("TTL toDateTime(" in query and "toIntervalDay(30)" in query for (query,) in create) == 4
    rng = random.Random(5)
    rows = [_span(rng, number, 1_000) for number in range(1000)]
    for row in rows[:400]:
        row["start_time"] -= timedelta(days=90)
        row["end_time"] = row["completion_start_time"] = None
    _insert(client, "retention", rows)
    client.command("ALTER TABLE retention.observations MATERIALIZE TTL SETTINGS mutations_sync = 2")
    assert client.query("SELECT count() FROM retention.observations").result_rows[0][0] == 600


def test_cluster_statements_parse_and_are_replicated_and_sharded(client: Any) -> None:
    statements = schema_statements("theodolite", cluster="theodolite", ttl_days=90)
    # A Distributed table per stored table, and the search and score config columns added to older ones.
    assert len(statements) == len(schema_statements("theodolite")) + 10
    for statement in statements:
        formatted = client.query("SELECT formatQuery(%(q)s)", parameters={"q": statement}).result_rows[0][0]
        assert "ON CLUSTER theodolite" in formatted
        if "MergeTree(" in statement:
            assert "ENGINE = Replicated" in formatted
            assert "('/clickhouse/tables/{shard}/{database}/{table}', '{replica}'" in formatted
    distributed = [s for s in statements if "ENGINE = Distributed" in s]
    # Distributed(cluster, database, local table, sharding key): the key is what follows the third comma.
    sharding = {
        s.split(".", 2)[1].split(" ", 1)[0].strip("`"): s.split("Distributed(", 1)[1].split(", ", 3)[3]
        for s in distributed
    }
    assert sharding == {
        "traces": "cityHash64(id))",
        "observations": "cityHash64(trace_id))",
        "scores": "cityHash64(trace_id))",
        "trace_totals": "cityHash64(trace_id))",
        "rollups_minute": "rand())",
        "rollups_hour": "rand())",
        # a trace rollup cell's replacement and deletion rows meet on one shard
        "trace_rollups": "cityHash64(project_id, bucket))",
        "trace_rollup_marks": "cityHash64(project_id, minute))",
    }
    # The parser is a real check: a statement cut short is refused.
    with pytest.raises(DatabaseError, match="Syntax error"):
        client.query("SELECT formatQuery(%(q)s)", parameters={"q": statements[2][:-40]})


def test_a_store_made_before_full_text_search_gains_its_column_and_index(client: Any) -> None:
    database = "older_" + uuid.uuid4().hex[:8]
    create_schema(client, database)
    client.command(f"ALTER TABLE `{database}`.observations DROP INDEX ix_search")
    client.command(f"ALTER TABLE `{database}`.observations DROP COLUMN search_text")

    def search_parts() -> list[tuple[Any, ...]]:
        return [tuple(row) for row in client.query(
            "SELECT 'column', type FROM system.columns WHERE database = %(d)s AND table = 'observations'"
            " AND name = 'search_text' UNION ALL SELECT 'index', type FROM system.data_skipping_indices"
            " WHERE database = %(d)s AND table = 'observations' AND name = 'ix_search' ORDER BY 1",
            parameters={"d": database},
        ).result_rows]  # fmt: skip

    assert search_parts() == []
    create_schema(client, database)  # `theodolite migrate` again
    assert search_parts() == [("column", "String"), ("index", "text")]


def test_a_store_made_before_score_config_ids_gains_the_column(client: Any) -> None:
    database = "older_" + uuid.uuid4().hex[:8]
    create_schema(client, database)
    client.command(f"ALTER TABLE `{database}`.scores DROP COLUMN config_id")

    def columns() -> list[str]:
        return [row[0] for row in client.query(
            "SELECT name FROM system.columns WHERE database = %(d)s AND table = 'scores' ORDER BY position",
            parameters={"d": database},
        ).result_rows]  # fmt: skip

    assert "config_id" not in columns()
    create_schema(client, database)  # `theodolite migrate` again
    found = columns()
    assert found[found.index("timestamp") + 1] == "config_id"  # where a new store has it


def test_bad_parameters_are_refused() -> None:
    with pytest.raises(ValueError, match="ttl_days"):
        schema_statements(ttl_days=0)
    with pytest.raises(ValueError, match="identifier"):
        schema_statements("bad`name")


TRACE_COLUMNS = ["project_id", "id", "timestamp", "name", "user_id", "environment", "tags", "created_at", "updated_at"]
TRACE_COLUMNS += ["row_version", "is_deleted"]


def _trace(number: int, timestamp: datetime, name: str, version: int, deleted: int = 0) -> list[Any]:
    tags = ["a", "b"][: number % 3]
    head = [1, f"{number:032x}", timestamp, name, f"user-{number % 50}", "production", tags, timestamp, timestamp]
    return [*head, version, deleted]


def test_a_trace_moved_to_another_day_is_one_row_under_final(client: Any) -> None:
    """A late span moves a trace earlier, to another day: another sorting key, so the writer sends a
    deletion at the old key with the new row; without it the old row would stay visible."""
    _create(client, "moves")
    client.command("SYSTEM STOP MERGES moves.traces")
    times = {number: NOW - timedelta(minutes=number) for number in range(3000)}
    client.insert("traces", [_trace(n, t, "first", 1_000) for n, t in times.items()], TRACE_COLUMNS, database="moves")
    batch = []
    for number in range(0, 3000, 10):  # renamed, same key
        batch.append(_trace(number, times[number], "renamed", 2_000))
    for number in range(5, 3000, 10):  # moved two days earlier: deletion at the old key, row at the new
        batch.append(_trace(number, times[number], "first", 1_999, deleted=1))
        times[number] -= timedelta(days=2)
        batch.append(_trace(number, times[number], "moved", 2_000))
    batch.append(_trace(3001, NOW - timedelta(days=2), "moved without deletion", 2_000))
    client.insert("traces", [_trace(3001, NOW, "first", 1_000)], TRACE_COLUMNS, database="moves")
    client.insert("traces", batch, TRACE_COLUMNS, database="moves")
    rows = client.query("SELECT id, timestamp, name FROM moves.traces FINAL WHERE id != %(x)s", {"x": f"{3001:032x}"})
    assert len(rows.result_rows) == len({row[0] for row in rows.result_rows}) == 3000
    got = {key: (timestamp, name) for key, timestamp, name in rows.result_rows}
    for number, timestamp in times.items():
        want = "renamed" if number % 10 == 0 else "moved" if number % 10 == 5 else "first"
        assert got[f"{number:032x}"] == (timestamp.replace(tzinfo=None), want)  # read back as naive UTC
    # The rule is needed: a moved row without a deletion at its old key is a second trace.
    assert client.query(
        "SELECT count() FROM moves.traces FINAL WHERE id = %(x)s", {"x": f"{3001:032x}"}
    ).result_rows == [(2,)]


def test_a_re_sent_score_replaces_its_value(client: Any) -> None:
    _create(client, "scores")
    columns = ["project_id", "id", "trace_id", "name", "value", "data_type", "source", "timestamp", "created_at"]
    columns += ["row_version"]

    def score(number: int, value: float, version: int) -> list[Any]:
        return [1, f"s{number}", f"{number // 3:032x}", "quality", value, "NUMERIC", "API", NOW, NOW, version]

    client.insert("scores", [score(n, 0.5, 1_000) for n in range(2000)], columns, database="scores")
    client.insert("scores", [score(n, 0.9, 2_000) for n in range(0, 2000, 10)], columns, database="scores")
    rows = client.query("SELECT count(), countIf(value = 0.9), sum(value) FROM scores.scores FINAL").result_rows
    assert rows == [(2000, 200, pytest.approx(1800 * 0.5 + 200 * 0.9))]


# Runs in a child process: embedded ClickHouse has no replication threads (its replicated tables stay
# read-only) and aborts at exit once it holds them, so the child prints its findings and leaves with
# os._exit, skipping the engine's shutdown. The ALTER statements (which bring a store made by an
# older version up to date, no-ops on a new one) are checked by the parse test above only.
CLUSTER_CHILD = """
import json, os, sys
import chdb
from theodolite.storage.clickhouse.schema import schema_statements
data, config = sys.argv[1], sys.argv[2]
conn = chdb.connect(f"{data}?config-file={config}")
for statement in schema_statements("theodolite", cluster="theodolite", ttl_days=30):
    if statement.startswith("ALTER TABLE"):  # an older store's upgrade: waits forever on a read-only replica
        continue
    conn.query(statement.replace(" ON CLUSTER `theodolite`", ""))
def rows(sql):
    return json.loads(str(conn.query(sql, "JSONCompact")))["data"]
print(json.dumps({
    "tables": rows("SELECT name, engine FROM system.tables WHERE database = 'theodolite' ORDER BY name"),
    "replicas": rows("SELECT table, zookeeper_path, replica_name FROM system.replicas ORDER BY table"),
    "distributed": rows("SELECT name, engine_full FROM system.tables WHERE engine = 'Distributed' ORDER BY name"),
}), flush=True)
os._exit(0)
"""
CLUSTER_CONFIG = """<clickhouse>
    <remote_servers><theodolite>
        <shard><replica><host>127.0.0.1</host><port>9000</port></replica></shard>
        <shard><replica><host>127.0.0.2</host><port>9000</port></replica></shard>
    </theodolite></remote_servers>
    <zookeeper><implementation>testkeeper</implementation></zookeeper>
    <macros><shard>02</shard><replica>clickhouse-s2r1</replica></macros>
</clickhouse>
"""


def test_cluster_statements_create_replicated_and_distributed_tables(tmp_path: Path) -> None:
    """The cluster variant executed on one replica: embedded ClickHouse with the in-memory test
    keeper, a cluster and this replica's macros. ON CLUSTER needs a server's DDL queue, so the
    statements run here without it (the parse test above checks them with it)."""
    config = tmp_path / "config.xml"
    config.write_text(CLUSTER_CONFIG)
    child = subprocess.run(
        [sys.executable, "-c", CLUSTER_CHILD, str(tmp_path / "data"), str(config)],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert child.returncode == 0, child.stderr[-2000:]
    found = json.loads(child.stdout.strip().splitlines()[-1])
    tables = dict(found["tables"])
    stored = ["traces", "observations", "scores", "trace_totals", "rollups_minute", "rollups_hour"]
    stored += ["trace_rollups", "trace_rollup_marks"]
    for name in stored:
        assert tables[name] == "Distributed", name
        assert tables[name + "_local"].startswith("Replicated"), name
    assert [tables[name + "_mv"] for name in ("trace_totals", "rollups_minute", "rollups_hour")] == [
        "MaterializedView"
    ] * 3
    # The macros expand into one keeper path per shard and table, and the replica's own name.
    assert found["replicas"] == [
        [name + "_local", f"/clickhouse/tables/02/theodolite/{name}_local", "clickhouse-s2r1"]
        for name in sorted(stored)
    ]
    engines = dict(found["distributed"])
    assert (
        engines["observations"] == "Distributed('theodolite', 'theodolite', 'observations_local', cityHash64(trace_id))"
    )
    assert engines["traces"] == "Distributed('theodolite', 'theodolite', 'traces_local', cityHash64(id))"
