"""The ClickHouse trace writer on a real ClickHouse engine (embedded: chdb behind clickhouse-connect's
`chdb://` DSN), compared with the SQL writer on a real SQLite file: the same batches, prepared by
the real decode path (demo traffic; Langfuse ingestion bodies decoded by the Langfuse adapter), go
through `SqlWriter` into SQLite and through `ClickHouseWriter` into ClickHouse, and what each store
then holds is compared: rows, per-trace totals (the `trace_totals` view) and per-hour, per-model
rollups (the `rollups_hour` view) against GROUP BY over SQLite's rows, costs exactly."""

from __future__ import annotations

import json
import pickle
import random
import uuid
from collections import defaultdict
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

from sqlalchemy import select

from tests.support.builders import T0, trace_batch
from theodolite.demo.traffic import generate_traffic
from theodolite.errors import ConfigurationError, StorageError
from theodolite.ingestion.adapters.langfuse import decode_ingestion
from theodolite.ingestion.adapters.langsmith import RunDecoder
from theodolite.ingestion.costing import price_batch
from theodolite.ingestion.pipeline import IngestPipeline
from theodolite.model import Batch, Score
from theodolite.pricing import PriceOverrides
from theodolite.storage import tables
from theodolite.storage.clickhouse.connection import create_schema, parse_url
from theodolite.storage.clickhouse.writer import ClickHouseWriter
from theodolite.storage.codec import ValueCodec
from theodolite.storage.engine import Database, open_database
from theodolite.storage.metadata.projects import get_or_create_project
from theodolite.storage.rows import PreparedBatch, prepare_batch
from theodolite.storage.writer import SqlWriter

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
PER_COMMIT = 8
# gpt-4o-mini: 10 x $0.15 + 2 cached x $0.075 + 5 x $0.60 per million (tests/http/test_observation_updates.py)
UPDATE_COST = Decimal("0.00000465")


@pytest.fixture(scope="module")
def data_dir(chdb_path: Path) -> Path:
    return chdb_path  # the process's one chdb directory (tests/conftest.py)


@pytest.fixture(scope="module")
def client(data_dir: Path) -> Iterator[Any]:
    # chdb keeps one data directory per process: one client for the module, a database per test.
    client = clickhouse_connect.get_client(dsn=f"chdb://{data_dir}")
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def ch(client: Any) -> ClickHouseWriter:
    database = "w_" + uuid.uuid4().hex[:12]
    create_schema(client, database)
    create_schema(client, database)  # idempotent
    # Every row version stays on disk, so that a test sees what the writer sent (a background merge
    # would hide a row sent twice); reads use FINAL as they must anyway.
    for table in ("traces", "observations", "scores"):
        client.command(f"SYSTEM STOP MERGES `{database}`.{table}")
    return ClickHouseWriter(client, database)


@pytest.fixture
def sql(tmp_path: Path) -> Iterator[Database]:
    database = open_database(f"sqlite:///{tmp_path / 'theodolite.db'}")
    try:
        yield database
    finally:
        database.dispose()


def demo(seed: int = 3, days: int = 2, traces_per_day: int = 300) -> list[Batch]:
    """Demo traffic, priced as the decode workers price it."""
    rng = random.Random(seed)
    traffic = generate_traffic(NOW, rng, days=days, traces_per_day=traces_per_day)
    return [price_batch(batch, PriceOverrides()) for batch in traffic]


def langfuse(*events: dict[str, Any]) -> Batch:
    """A Langfuse ingestion body, decoded and priced by the server's path."""
    body = {"batch": [{"id": uuid.uuid4().hex, "timestamp": "2026-11-30T10:00:00Z", **event} for event in events]}
    result = decode_ingestion(body)
    assert not result.errors, result.errors
    return price_batch(result.batch, PriceOverrides())


def prepared(codec: ValueCodec, project_id: int, batches: list[Batch], mergeable: bool) -> list[PreparedBatch]:
    return [
        prepare_batch(project_id, batch, codec, NOW, mergeable=mergeable,
                      overrides=PriceOverrides() if mergeable else None)
        for batch in batches
    ]  # fmt: skip


def write_sql(
    sql: Database, batches: list[Batch], *, mergeable: bool = False, project: str = "p"
) -> list[PreparedBatch]:
    """Commit the batches through `SqlWriter`, PER_COMMIT per commit; returns what it was given
    (with the duplicates it marked)."""
    project_id, _ = get_or_create_project(sql, project)
    writer = SqlWriter(sql)
    try:
        to_sql = prepared(writer.codec, project_id, batches, mergeable)
        for start in range(0, len(to_sql), PER_COMMIT):
            assert writer.commit(to_sql[start : start + PER_COMMIT]) == [[]] * len(to_sql[start : start + PER_COMMIT])
        writer.catch_up()  # SQLite derives totals and rollups after the commit
    finally:
        writer.close()
    return to_sql


def write_both(
    sql: Database, ch: ClickHouseWriter, batches: list[Batch], *, mergeable: bool = False, project: str = "p"
) -> tuple[list[PreparedBatch], list[PreparedBatch]]:
    """The batches through both writers (the project id is SQL's), PER_COMMIT per commit."""
    to_sql = write_sql(sql, batches, mergeable=mergeable, project=project)
    project_id, _ = get_or_create_project(sql, project)
    to_ch = prepared(ch.codec, project_id, batches, mergeable)
    for start in range(0, len(to_ch), PER_COMMIT):
        assert ch.commit(to_ch[start : start + PER_COMMIT]) == [[]] * len(to_ch[start : start + PER_COMMIT])
    ch.catch_up()  # the trace rollups follow the commits
    assert ch.committed() == ch.followed() and ch.step() == 0 and ch.catch_up() == 0
    assert ch_trace_cells(ch) == sql_trace_cells(sql)
    return to_sql, to_ch


_CELL_SUMS = ("n", "errors", "input_tokens", "output_tokens", "total_tokens", "priced", "unpriced", "latency_n")
_CELL_SUMS += ("value_n",)
_CELL_DIMS = ("d_name", "d_release", "d_version", "d_environment", "d_level", "d_user", "d_tag", "d_source", "d_type")
_CELL_FLOATS = ("cost", "value_sum")  # to 1e-9: SQLite sums floats


def _cells(rows: list[Any]) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    key, sums = 2 + len(_CELL_DIMS), 2 + len(_CELL_DIMS) + len(_CELL_SUMS)
    return {
        (row[0], int(row[1]), *(value or "" for value in row[2:key])): (
            *(int(value) for value in row[key:sums]),
            *(round(float(value), 9) for value in row[sums:]),
        )
        for row in rows
    }


def sql_trace_cells(sql: Database) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    """The SQL writer's hour cells of the trace, user, tag and score cubes: the reference the
    ClickHouse trace rollups must equal, cell for cell."""
    columns = ", ".join(("cube", "bucket", *_CELL_DIMS, *_CELL_SUMS, *_CELL_FLOATS))
    with sql.connect() as conn:
        rows = conn.exec_driver_sql(
            f"SELECT {columns} FROM rollups WHERE cube IN ('trace', 'user', 'tag', 'score') AND grain_s = 3600"
            " AND n != 0"
        ).all()
    return _cells(rows)


def ch_trace_cells(ch: ClickHouseWriter) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    columns = ", ".join(("cube", "toUnixTimestamp(bucket)", *_CELL_DIMS, *_CELL_SUMS, *_CELL_FLOATS))
    return _cells(ch_rows(ch, f"SELECT {columns} FROM DB.trace_rollups FINAL WHERE grain_s = 3600"))


def ch_rows(ch: ClickHouseWriter, sql: str) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in ch.client.query(sql.replace("DB.", f"`{ch.database}`.")).result_rows]


def ch_counts(ch: ClickHouseWriter, final: bool = True) -> dict[str, int]:
    """Rows per table: as a read sees them (FINAL), or every row version on disk."""
    return {
        table: ch_rows(ch, f"SELECT count() FROM DB.{table}{' FINAL' if final else ''}")[0][0]
        for table in ("traces", "observations", "scores")
    }


def sql_counts(sql: Database) -> dict[str, int]:
    with sql.connect() as conn:
        return {
            table: len(conn.execute(select(tables.metadata.tables[table].c.id)).all())
            for table in ("traces", "observations", "scores")
        }


def exact(value: Any) -> Decimal | None:
    """A cost SQLite stored as REAL, back to the decimal it was (at most 12 decimals, 15 digits)."""
    return None if value is None else Decimal(repr(float(value))).quantize(Decimal("1e-12"))


def sql_observations(sql: Database) -> list[Any]:
    o = tables.observations
    with sql.connect() as conn:
        return list(conn.execute(select(o)))


def priced_cost(row: Any) -> Decimal | None:
    """What the views and `trace_totals.Sums` count as a call's cost (None: not counted)."""
    if row.cost_status == "not_billed":
        return None
    return exact(row.calculated_total_cost if row.calculated_total_cost is not None else row.total_cost)


LEVEL_RANK = {"DEBUG": 0, "DEFAULT": 1, "WARNING": 2, "ERROR": 3}


def sql_totals(sql: Database) -> dict[str, tuple[Any, ...]]:
    """Per trace, GROUP BY over SQLite's observations, summed as the views and `trace_totals.Sums`
    sum (costs exactly)."""
    totals: dict[str, list[Any]] = defaultdict(lambda: [0, 0, 0, 0, Decimal(0), 0, 0, 0, 0, 0])
    for row in sql_observations(sql):
        sums, cost = totals[row.trace_id], priced_cost(row)
        sums[0] += 1
        sums[1] += row.prompt_tokens or 0
        sums[2] += row.completion_tokens or 0
        sums[3] += row.total_tokens or 0
        sums[4] += cost or 0
        sums[5] += cost is not None
        sums[6] += row.cost_status == "unpriced"
        sums[7] += row.cost_status == "not_billed"
        sums[8] += row.level == "ERROR"
        sums[9] = max(sums[9], LEVEL_RANK[row.level])
    return {trace_id: tuple(sums) for trace_id, sums in totals.items()}


def sql_writer_totals(sql: Database) -> dict[str, tuple[Any, ...]]:
    """Per trace, the SQL writer's own totals (`trace_totals`; SQLite sums costs as REAL)."""
    tt = tables.trace_totals
    with sql.connect() as conn:
        rows = conn.execute(select(tt)).all()
    return {
        row.trace_id: (
            row.observation_count, row.input_tokens, row.output_tokens, row.total_tokens,
            round(float(row.total_cost or 0), 9), row.priced_count, row.unpriced_count, row.not_billed_count,
            row.error_count, row.level_rank,
        )
        for row in rows
    }  # fmt: skip


def rounded(totals: dict[str, tuple[Any, ...]]) -> dict[str, tuple[Any, ...]]:
    return {key: (*sums[:4], round(float(sums[4]), 9), *sums[5:]) for key, sums in totals.items()}


def ch_totals(ch: ClickHouseWriter) -> dict[str, tuple[Any, ...]]:
    rows = ch_rows(
        ch,
        "SELECT trace_id, sum(observation_count), sum(input_tokens), sum(output_tokens), sum(total_tokens),"
        " sum(total_cost), sum(priced_count), sum(unpriced_count), sum(not_billed_count), sum(error_count),"
        " max(level_rank) FROM DB.trace_totals GROUP BY trace_id HAVING sum(observation_count) != 0",
    )
    return {row[0]: row[1:] for row in rows}


def sql_rollups(sql: Database) -> dict[tuple[datetime, str], tuple[Any, ...]]:
    """GROUP BY hour and model over SQLite's observations, counted as the views count."""
    groups: dict[tuple[datetime, str], list[Any]] = defaultdict(lambda: [0, 0, 0, 0, 0, 0, 0, Decimal(0)])
    for row in sql_observations(sql):
        hour = row.start_time.replace(minute=0, second=0, microsecond=0, tzinfo=None)
        sums = groups[(hour, row.model or "")]
        cost = priced_cost(row)
        sums[0] += 1
        sums[1] += row.level == "ERROR"
        sums[2] += row.prompt_tokens or 0
        sums[3] += row.completion_tokens or 0
        sums[4] += row.total_tokens or 0
        sums[5] += cost is not None
        sums[6] += row.cost_status == "unpriced"
        sums[7] += cost or 0
    return {key: tuple(sums) for key, sums in groups.items()}


def ch_rollups(ch: ClickHouseWriter) -> dict[tuple[datetime, str], tuple[Any, ...]]:
    rows = ch_rows(
        ch,
        "SELECT bucket, model, sum(n), sum(errors), sum(input_tokens), sum(output_tokens), sum(total_tokens),"
        " sum(priced), sum(unpriced), sum(cost) FROM DB.rollups_hour GROUP BY bucket, model HAVING sum(n) != 0",
    )
    return {(row[0], row[1]): row[2:] for row in rows}


def test_demo_traffic_stores_what_the_sql_writer_stores(sql: Database, ch: ClickHouseWriter) -> None:
    batches = demo()
    to_sql, to_ch = write_both(sql, ch, batches)
    counts = sql_counts(sql)
    assert counts["observations"] == sum(len(batch.observations) for batch in batches) > 3000
    assert ch_counts(ch) == counts
    assert ch_counts(ch, final=False) == counts  # nothing was written twice
    totals = ch_totals(ch)
    assert len(totals) == counts["traces"] and totals == sql_totals(sql)
    assert rounded(totals) == sql_writer_totals(sql)  # the SQL writer's own totals, to 1e-9 USD
    assert sum(total[4] for total in totals.values()) > Decimal("0.5")  # priced calls were summed
    rollups = ch_rollups(ch)
    assert rollups == sql_rollups(sql) and len(rollups) > 48
    # What /metrics would count: nothing skipped on a first write, by either writer.
    assert [batch.duplicate_ids for batch in to_ch] == [batch.duplicate_ids for batch in to_sql] == [set()] * len(to_ch)


def test_the_ingest_pipeline_commits_through_the_clickhouse_writer(sql: Database, ch: ClickHouseWriter) -> None:
    batches = demo(seed=12, days=1, traces_per_day=400)
    project_id, _ = get_or_create_project(sql, "p")
    # The server's group commit: requests queued while the writer is busy go in one commit.
    pipeline = IngestPipeline(ch.commit, max_queue_items=100_000, max_transaction_items=2_000, follower=ch)
    pipeline.start()
    work = prepared(ch.codec, project_id, batches + batches[:3], False)  # three requests retried
    futures = [pipeline.submit_nowait(item) for item in work]
    assert [future.result(timeout=60) for future in futures] == [[]] * len(work)
    # A reader waits for the follower (the trace rollups), which the writer thread steps for it.
    assert pipeline.wait_followed(60) == 0 and pipeline.underived() == 0
    assert pipeline.stop(60)
    assert sum(len(item.duplicate_ids) for item in work[-3:]) == sum(len(b.observations) for b in batches[:3])
    write_sql(sql, batches)
    assert ch_counts(ch, final=False) == ch_counts(ch) == sql_counts(sql)
    assert ch_totals(ch) == sql_totals(sql) and ch_rollups(ch) == sql_rollups(sql)
    assert ch_trace_cells(ch) == sql_trace_cells(sql)


def test_trace_and_span_columns_read_back_as_written(sql: Database, ch: ClickHouseWriter) -> None:
    batches = demo(seed=5, days=1, traces_per_day=40)
    write_both(sql, ch, batches)
    [(name, user, session, tags, metadata, release, root)] = ch_rows(
        ch,
        f"SELECT name, user_id, session_id, tags, metadata, release, root_observation_id FROM DB.traces FINAL"
        f" WHERE id = '{batches[0].traces[0].id}'",
    )
    trace = batches[0].traces[0]
    assert (name, user, session or None, tags, release, root) == (
        trace.name, trace.user_id, trace.session_id, trace.tags, trace.release, trace.root_observation_id)  # fmt: skip
    assert json.loads(metadata) == trace.metadata
    llm = next(obs for obs in batches[0].observations if obs.model and obs.input is not None)
    [(start, end, model, prompt, cost, payload_in, payload_out)] = ch_rows(
        ch,
        "SELECT start_time, end_time, model, prompt_tokens, calculated_total_cost, input, output"
        f" FROM DB.observations FINAL WHERE id = '{llm.id}'",
    )
    assert (start.replace(tzinfo=UTC), end.replace(tzinfo=UTC), model) == (llm.start_time, llm.end_time, llm.model)
    assert (prompt, cost) == (llm.usage.input_tokens, llm.cost.calculated_total)
    assert json.loads(payload_in) == llm.input and json.loads(payload_out) == llm.output


def test_resending_the_same_batches_changes_nothing(sql: Database, ch: ClickHouseWriter) -> None:
    batches = demo(seed=4, days=1, traces_per_day=200)
    write_both(sql, ch, batches)
    counts, totals, rollups = ch_counts(ch, final=False), ch_totals(ch), ch_rollups(ch)
    marks = ch_rows(ch, "SELECT count() FROM DB.trace_rollup_marks")
    to_sql, to_ch = write_both(sql, ch, batches)  # the clients' retries, prepared again
    assert ch_counts(ch, final=False) == counts  # not a row more, of any version
    assert ch_rows(ch, "SELECT count() FROM DB.trace_rollup_marks") == marks  # nor a minute to recompute
    assert ch_totals(ch) == totals and ch_rollups(ch) == rollups
    assert totals == sql_totals(sql) and rollups == sql_rollups(sql)
    assert rounded(totals) == sql_writer_totals(sql)
    # Every re-sent span is reported as a duplicate (metrics skip it), as the SQL writer reports.
    assert [batch.duplicate_ids for batch in to_ch] == [batch.duplicate_ids for batch in to_sql]
    assert sum(len(batch.duplicate_ids) for batch in to_ch) == counts["observations"]


def test_every_column_reads_back_exactly_for_merges(sql: Database, ch: ClickHouseWriter) -> None:
    # Demo traffic sent as mergeable writes, twice: the second time every observation is read back
    # from ClickHouse and merged with its re-send; any column that did not read back exactly as it
    # was written (times, money, JSON, payloads, '' for None) would make it a change, written again.
    batches = demo(seed=10, days=1, traces_per_day=100)
    write_both(sql, ch, batches, mergeable=True)
    counts = ch_counts(ch, final=False)
    to_sql, to_ch = write_both(sql, ch, batches, mergeable=True)
    assert ch_counts(ch, final=False) == counts
    assert [batch.duplicate_ids for batch in to_ch] == [batch.duplicate_ids for batch in to_sql]
    assert sum(len(batch.duplicate_ids) for batch in to_ch) == counts["observations"] > 400
    assert ch_totals(ch) == sql_totals(sql) and ch_rollups(ch) == sql_rollups(sql)


def test_resends_within_one_commit_are_stored_once(sql: Database, ch: ClickHouseWriter) -> None:
    batches = demo(seed=6, days=1, traces_per_day=30)
    doubled = [batch for batch in batches for _ in (0, 1)]  # each request twice in a row: one commit
    to_sql, to_ch = write_both(sql, ch, doubled)
    assert ch_counts(ch, final=False) == ch_counts(ch) == sql_counts(sql)
    assert ch_totals(ch) == sql_totals(sql) and ch_rollups(ch) == sql_rollups(sql)
    assert [batch.duplicate_ids for batch in to_ch] == [batch.duplicate_ids for batch in to_sql]


def test_trace_parts_of_later_batches_merge_into_the_stored_trace(sql: Database, ch: ClickHouseWriter) -> None:
    first = trace_batch(user_id=None, session_id=None, tags=["a"])
    trace_id = first.traces[0].id
    later = trace_batch(trace_id=trace_id, at=T0 + timedelta(minutes=5), name="follow_up", user_id="u9",
                        session_id="s9", tags=["b", "a"])  # fmt: skip
    later.traces[0].is_root_seen = False  # not the root: the first name stays
    earlier = trace_batch(trace_id=trace_id, at=T0 - timedelta(days=1), name="x", user_id=None, session_id=None)
    earlier.traces[0].is_root_seen = False
    for batch in (first, later, earlier):  # one commit each: each merges with what is stored
        write_both(sql, ch, [batch])
    t = tables.traces
    with sql.connect() as conn:
        stored = conn.execute(
            select(t.c.timestamp, t.c.name, t.c.user_id, t.c.session_id, t.c.tags).where(t.c.id == trace_id)
        ).one()
    rows = ch_rows(
        ch, f"SELECT timestamp, name, user_id, session_id, tags FROM DB.traces FINAL WHERE id = '{trace_id}'"
    )
    assert len(rows) == 1
    timestamp, *rest = rows[0]
    assert (timestamp.replace(tzinfo=UTC), *rest) == tuple(stored)
    assert (timestamp.replace(tzinfo=UTC), rest) == (
        T0 - timedelta(days=1),
        ["handle_question", "u9", "s9", ["a", "b"]],
    )
    # The earlier part moved the trace to another day (its sorting key): the old key is deleted.
    versions = ch_rows(
        ch, f"SELECT toDate(timestamp), is_deleted FROM DB.traces WHERE id = '{trace_id}' ORDER BY row_version"
    )
    assert [deleted for _, deleted in versions] == [0, 0, 1, 0]
    assert ch_totals(ch) == sql_totals(sql) and ch_rollups(ch) == sql_rollups(sql)


def test_two_projects_with_one_trace_id_keep_their_own_traces(sql: Database, ch: ClickHouseWriter) -> None:
    batch = trace_batch()
    write_both(sql, ch, [batch], project="a")
    write_both(sql, ch, [batch], project="b")
    rows = ch_rows(ch, "SELECT project_id, id FROM DB.traces FINAL ORDER BY project_id")
    assert [row[1] for row in rows] == [batch.traces[0].id] * 2 and rows[0][0] != rows[1][0]
    assert ch_counts(ch) == sql_counts(sql) == {"traces": 2, "observations": 4, "scores": 0}
    per_project = ch_rows(ch, "SELECT project_id, sum(observation_count), sum(total_cost) FROM DB.trace_totals"
                              " GROUP BY project_id ORDER BY project_id")  # fmt: skip
    assert [row[1:] for row in per_project] == [(2, Decimal("0.001"))] * 2


def _create(trace_id: str, generation: str) -> Batch:
    return langfuse(
        {"type": "trace-create", "body": {"id": trace_id, "name": "ask", "timestamp": "2026-11-30T10:00:00Z",
                                          "input": "hi"}},
        {"type": "generation-create", "body": {"id": generation, "traceId": trace_id, "name": "chat",
                                               "startTime": "2026-11-30T10:00:00Z", "model": "gpt-4o-mini",
                                               "input": "hi"}},
    )  # fmt: skip


def _update(trace_id: str, generation: str, prompt: int, completion: int, output: str) -> Batch:
    return langfuse(
        {
            "type": "generation-update",
            "body": {
                "id": generation,
                "traceId": trace_id,
                "endTime": "2026-11-30T10:00:02Z",
                "output": output,
                "usageDetails": {
                    "prompt_tokens": prompt,
                    "completion_tokens": completion,
                    "prompt_tokens_details": {"cached_tokens": 2},
                },
            },
        }  # fmt: skip
    )


def test_a_langfuse_update_moves_the_totals_exactly(sql: Database, ch: ClickHouseWriter) -> None:
    background = demo(seed=8, days=1, traces_per_day=20)
    write_both(sql, ch, background)
    trace_id, generation = uuid.uuid4().hex, uuid.uuid4().hex
    sql_created, created = write_both(sql, ch, [_create(trace_id, generation)], mergeable=True)
    # Not ended (the generation, and the root span the trace's input made): not counted yet.
    assert created[0].duplicate_ids == sql_created[0].duplicate_ids == {generation, trace_id}
    before = ch_totals(ch)[trace_id]
    assert before[:5] == (2, 0, 0, 0, 0)
    sql_updated, updated = write_both(sql, ch, [_update(trace_id, generation, 12, 5, "hello")], mergeable=True)
    assert updated[0].duplicate_ids == sql_updated[0].duplicate_ids == set()  # counted once, now that it ended
    sql_retried, retried = write_both(sql, ch, [_update(trace_id, generation, 12, 5, "hello")], mergeable=True)
    assert retried[0].duplicate_ids == sql_retried[0].duplicate_ids == {generation}  # a retry: stored once
    totals = ch_totals(ch)
    assert totals[trace_id][:6] == (2, 12, 5, 17, UPDATE_COST, 1)
    assert totals == sql_totals(sql) and ch_rollups(ch) == sql_rollups(sql)
    [(output, end, cost, rows)] = ch_rows(
        ch, f"SELECT output, end_time, calculated_total_cost, count() OVER () FROM DB.observations FINAL"
            f" WHERE id = '{generation}'")  # fmt: skip
    assert (output, end, cost, rows) == ('"hello"', datetime(2026, 11, 30, 10, 0, 2), UPDATE_COST, 1)
    # A second update changes the usage of the ended generation: the old cost leaves the views.
    write_both(sql, ch, [_update(trace_id, generation, 1012, 5, "hello again")], mergeable=True)
    totals = ch_totals(ch)
    assert totals[trace_id][:4] == (2, 1012, 5, 1017) and totals[trace_id][4] > UPDATE_COST
    assert totals == sql_totals(sql) and ch_rollups(ch) == sql_rollups(sql)
    assert ch_counts(ch) == sql_counts(sql)
    # On disk: one row per write that changed it: a cancelling row and its
    # replacement, sent in one insert, are merged as the part is written (`optimize_on_insert`),
    # after the views took both; the retry added none.
    versions = ch_rows(ch, f"SELECT sign, is_deleted FROM DB.observations WHERE id = '{generation}'")
    assert versions == [(1, 0)] * 3


def test_search_finds_an_updated_generation_by_its_latest_output_as_sql_does(
    sql: Database, ch: ClickHouseWriter
) -> None:
    from theodolite.query.filters import TraceFilter
    from theodolite.storage.clickhouse.queries.trace_queries import ClickHouseTraceQueries
    from theodolite.storage.sql_store import SqlTraceQueries

    write_both(sql, ch, demo(seed=9, days=1, traces_per_day=30))
    trace_id, generation = uuid.uuid4().hex, uuid.uuid4().hex
    write_both(sql, ch, [_create(trace_id, generation)], mergeable=True)
    write_both(sql, ch, [_update(trace_id, generation, 12, 5, "alpha quokka")], mergeable=True)
    write_both(sql, ch, [_update(trace_id, generation, 12, 5, "omega quokka")], mergeable=True)
    project_id, _ = get_or_create_project(sql, "p")
    stores = (SqlTraceQueries(sql), ClickHouseTraceQueries(ch.client, ch.database))

    def found(search: str) -> list[list[str]]:
        return [
            [
                item["id"]
                for item in store.list_traces(project_id, TraceFilter(search=search), limit=500, cursor=None)[0]
            ]
            for store in stores
        ]

    assert found("omega quokka") == found("quok") == [[trace_id]] * 2  # the latest output, whole or a prefix
    assert found("alpha") == [[], []]  # the superseded output matches nothing
    assert found("quokka omega") == [[], []]  # a phrase, in order
    for word in ("the", "webhook", "refund pol"):  # the demo traffic, written by the writer itself
        sql_ids, ch_ids = found(word)
        assert ch_ids == sql_ids, word
    assert found("the")[0]


def test_updates_in_one_commit_merge_before_they_are_written(sql: Database, ch: ClickHouseWriter) -> None:
    trace_id, generation = uuid.uuid4().hex, uuid.uuid4().hex
    parts = [_create(trace_id, generation), _update(trace_id, generation, 12, 5, "hello")]
    to_sql, to_ch = write_both(sql, ch, parts, mergeable=True)  # one commit
    assert [batch.duplicate_ids for batch in to_ch] == [batch.duplicate_ids for batch in to_sql]
    assert ch_totals(ch)[trace_id][:5] == (2, 12, 5, 17, UPDATE_COST)
    assert ch_totals(ch) == sql_totals(sql) and ch_rollups(ch) == sql_rollups(sql)
    assert ch_counts(ch, final=False) == ch_counts(ch) == sql_counts(sql)  # written once, merged


def langsmith(posts: list[dict[str, Any]], patches: list[dict[str, Any]], feedback: list[dict[str, Any]]) -> Batch:
    """A LangSmith runs body (`/runs/batch`) and feedback, decoded and priced by the server's path."""
    decoder = RunDecoder(NOW)
    for run in posts:
        decoder.add_run(run, patch=False)
    for run in patches:
        decoder.add_run(run, patch=True)
    for item in feedback:
        decoder.add_feedback(item)
    batch = decoder.finish()
    assert not batch.rejections, batch.rejections
    return price_batch(batch, PriceOverrides())


def test_langsmith_patches_and_feedback_match_the_sql_writer(sql: Database, ch: ClickHouseWriter) -> None:
    root, llm = str(uuid.uuid4()), str(uuid.uuid4())
    usage = {"usage_metadata": {"input_tokens": 120, "output_tokens": 30, "total_tokens": 150}}
    post_root = {"id": root, "trace_id": root, "name": "agent", "run_type": "chain",
                 "start_time": "2026-11-30T10:00:00Z", "inputs": {"q": "hi"}}  # fmt: skip
    metadata = {"ls_model_name": "gpt-4o-mini", "ls_provider": "openai", "user_id": "u7"}
    post_llm = {"id": llm, "trace_id": root, "parent_run_id": root, "name": "chat", "run_type": "llm",
                "start_time": "2026-11-30T10:00:01Z", "inputs": {"messages": ["hi"]},
                "extra": {"metadata": metadata}}  # fmt: skip
    patch_llm = {"id": llm, "trace_id": root, "parent_run_id": root, "end_time": "2026-11-30T10:00:03Z",
                 "outputs": {"text": "hello", **usage}}  # fmt: skip
    patch_root = {"id": root, "trace_id": root, "end_time": "2026-11-30T10:00:04Z", "outputs": {"a": "hello"},
                  "error": "ValueError('boom')\n\nTraceback ..."}  # fmt: skip
    feedback = {"id": str(uuid.uuid4()), "run_id": root, "key": "correct", "score": True}
    requests = [
        langsmith([post_root, post_llm], [], []),
        langsmith([], [patch_llm], []),
        langsmith([], [patch_llm, patch_root], [feedback]),  # the llm's patch again: a retry
        langsmith([], [], [{**feedback, "score": False}]),  # the feedback changed its mind
    ]
    sent = [write_both(sql, ch, [request], mergeable=True) for request in requests]
    assert [batch.duplicate_ids for _, to_ch in sent for batch in to_ch] == [
        batch.duplicate_ids for to_sql, _ in sent for batch in to_sql
    ]
    assert ch_counts(ch) == sql_counts(sql) == {"traces": 1, "observations": 2, "scores": 1}
    totals = ch_totals(ch)
    assert totals == sql_totals(sql) and ch_rollups(ch) == sql_rollups(sql)
    assert totals[root][:4] == (2, 120, 30, 150) and totals[root][4] > 0 and totals[root][8] == 1  # one error
    assert ch_rows(ch, "SELECT name, value FROM DB.scores FINAL") == [("correct", 0.0)]
    assert ch_rows(ch, "SELECT user_id, name FROM DB.traces FINAL") == [("u7", "agent")]


def test_an_observation_moved_to_another_day_leaves_its_old_key(sql: Database, ch: ClickHouseWriter) -> None:
    trace_id, generation = uuid.uuid4().hex, uuid.uuid4().hex
    write_both(sql, ch, [_create(trace_id, generation), _update(trace_id, generation, 12, 5, "hello")], mergeable=True)
    # The generation created again (not an update), with a start the day before: its sorting key moves.
    moved = {"type": "generation-create", "body": {"id": generation, "traceId": trace_id, "name": "chat",
                                                   "startTime": "2026-11-29T23:59:00Z", "model": "gpt-4o"}}  # fmt: skip
    write_both(sql, ch, [langfuse(moved)], mergeable=True)
    rows = ch_rows(ch, f"SELECT toDate(start_time), model FROM DB.observations FINAL WHERE id = '{generation}'")
    assert [(str(day), model) for day, model in rows] == [("2026-11-29", "gpt-4o")]
    assert ch_totals(ch) == sql_totals(sql) and ch_rollups(ch) == sql_rollups(sql)
    assert ch_counts(ch) == sql_counts(sql)


def _score(trace_id: str, name: str, value: float) -> Batch:
    return Batch(scores=[Score(id="score-1", trace_id=trace_id, name=name, timestamp=NOW, value=value)])


def test_scores_upsert_by_id(sql: Database, ch: ClickHouseWriter) -> None:
    batch = trace_batch()
    trace_id = batch.traces[0].id
    write_both(sql, ch, [batch, _score(trace_id, "quality", 0.5)])
    write_both(sql, ch, [_score(trace_id, "quality", 0.5)])  # the same again: nothing written
    assert ch_counts(ch, final=False)["scores"] == 1
    write_both(sql, ch, [_score(trace_id, "quality", 0.9)])
    assert ch_rows(ch, "SELECT name, value FROM DB.scores FINAL") == [("quality", 0.9)]
    write_both(sql, ch, [_score(trace_id, "accuracy", 0.7)])  # another name: another sorting key
    assert ch_rows(ch, "SELECT name, value FROM DB.scores FINAL") == [("accuracy", 0.7)]
    with sql.connect() as conn:
        assert conn.execute(select(tables.scores.c.name, tables.scores.c.value)).all() == [("accuracy", 0.7)]


def test_a_writer_from_a_url_creates_its_schema_and_writes(client: Any, data_dir: Path) -> None:
    database = "u_" + uuid.uuid4().hex[:8]
    # The process's data directory (chdb has one): its session is the module client's, which closes it.
    writer = ClickHouseWriter.from_url(f"chdb://{data_dir}?database={database}")
    writer.commit([prepare_batch(1, trace_batch(), writer.codec, NOW, documents=False)])
    assert client.query(f"SELECT count() FROM `{database}`.observations").result_rows == [(2,)]
    assert client.query(f"SELECT sum(observation_count) FROM `{database}`.trace_totals").result_rows == [(2,)]


def test_a_failed_read_raises_storage_error(client: Any) -> None:
    writer = ClickHouseWriter(client, "no_such_database_" + uuid.uuid4().hex[:8])
    batch = prepare_batch(1, trace_batch(), writer.codec, NOW, documents=False)
    with pytest.raises(StorageError):
        writer.commit([batch])


def test_a_commit_that_failed_half_way_is_stored_once_by_its_retry(sql: Database, ch: ClickHouseWriter) -> None:
    batches = demo(seed=9, days=1, traces_per_day=200)
    assert len(batches) > 2
    project_id, _ = get_or_create_project(sql, "p")
    ch.commit(prepared(ch.codec, project_id, batches[:1], False))  # its insert contexts are kept
    # The observations table goes away (its views with it): the commit's traces are stored, its spans fail.
    ch.client.command(f"RENAME TABLE `{ch.database}`.observations TO `{ch.database}`.observations_away")
    with pytest.raises(StorageError):
        ch.commit(prepared(ch.codec, project_id, batches[1:], False))
    assert ch_rows(ch, "SELECT count() FROM DB.traces FINAL") == [(sum(len(batch.traces) for batch in batches),)]
    ch.client.command(f"RENAME TABLE `{ch.database}`.observations_away TO `{ch.database}`.observations")
    retried = prepared(ch.codec, project_id, batches[1:], False)  # the client's retry
    ch.commit(retried)
    assert all(not batch.duplicate_ids for batch in retried)  # none was stored: all counted now
    to_sql, _ = write_both(sql, ch, batches)  # SQLite gets them; ClickHouse sees a retry of everything
    assert ch_counts(ch) == sql_counts(sql)
    assert ch_totals(ch) == sql_totals(sql) and ch_rollups(ch) == sql_rollups(sql)


def test_urls_name_a_server_a_tls_server_or_embedded_clickhouse() -> None:
    server = parse_url("clickhouse://theo:p%40ss%2Fword@ch.internal:9123/traces")
    assert (server.host, server.port, server.username, server.password, server.database, server.secure) == (
        "ch.internal", 9123, "theo", "p@ss/word", "traces", False)  # fmt: skip
    assert server.describe() == "clickhouse://theo@ch.internal:9123/traces"  # no password
    tls = parse_url("clickhouses://ch.example.com")
    assert (tls.port, tls.database, tls.secure, tls.username) == (8443, "theodolite", True, None)
    assert parse_url("clickhouse://localhost").port == 8123
    embedded = parse_url("chdb:///var/lib/theodolite/ch?database=t1")
    assert (embedded.host, embedded.path, embedded.database) == (None, "/var/lib/theodolite/ch", "t1")
    for bad in (
        "postgresql://x/y",
        "clickhouse:///db",
        "chdb://relative",
        "clickhouse://h:port/db",
        "clickhouse://h/a`b",
    ):
        with pytest.raises(ConfigurationError) as raised:
            parse_url(bad)
        assert "port" not in bad or "number" in str(raised.value)


def test_the_clickhouse_codec_travels_to_workers_and_rounds_money_like_postgres() -> None:
    codec = pickle.loads(pickle.dumps(ValueCodec("clickhouse")))
    assert codec.dialect_name == "clickhouse"
    assert codec.money(Decimal("0.0000000000015")) == Decimal("0.000000000002")
    assert codec.money(Decimal("0.25")) == Decimal("0.25") and codec.money(None) is None
    assert codec.json({"a": [1, "é"]}) == '{"a":[1,"é"]}' and codec.json(None) is None
    assert codec.time(NOW) is NOW
    assert codec.payload({"input": "hi", "output": None, "attributes": {"k": 1}}) == ('"hi"', "", '{"k":1}')


def test_a_store_made_before_the_trace_rollups_derives_them_at_its_first_step(
    sql: Database, ch: ClickHouseWriter
) -> None:
    write_both(sql, ch, demo(seed=8, days=1, traces_per_day=120))
    for table in ("trace_rollups", "trace_rollup_marks"):  # as a store made by an older release
        ch.client.command(f"DROP TABLE `{ch.database}`.{table}")
    create_schema(ch.client, ch.database)  # `theodolite migrate`, or a server's start
    assert ch_trace_cells(ch) == {}
    later = ClickHouseWriter(ch.client, ch.database)  # the next server's writer
    assert later.committed() > later.followed()  # its first step is due before any commit
    assert later.catch_up() == len(_trace_minutes(ch)) > 60
    assert ch_trace_cells(ch) == sql_trace_cells(sql)


def _trace_minutes(ch: ClickHouseWriter) -> list[int]:
    """The minutes that hold a trace or a score."""
    sql = "SELECT DISTINCT toStartOfMinute(timestamp) FROM DB.{}"
    return sorted({row[0] for table in ("traces", "scores") for row in ch_rows(ch, sql.format(table))})


def test_a_late_span_moves_its_trace_between_cells(sql: Database, ch: ClickHouseWriter) -> None:
    """Spans come one request each, children first and the root last, and the follower steps after
    every commit: a trace's totals and level change at each step, so each recompute must take the
    trace out of the cell it counted in and put it in its new one (stale cells deleted)."""
    batches = demo(seed=21, days=1, traces_per_day=40)
    spans = [(batch, observation) for batch in batches for observation in batch.observations]
    requests = [Batch(traces=batch.traces, observations=[observation]) for batch, observation in reversed(spans)]
    write_sql(sql, requests)
    project_id, _ = get_or_create_project(sql, "p")
    to_ch = prepared(ch.codec, project_id, requests, False)
    steps = 0
    for start in range(0, len(to_ch), 7):
        ch.commit(to_ch[start : start + 7])
        steps += ch.step() > 0
    assert steps == -(-len(to_ch) // 7)
    assert ch_trace_cells(ch) == sql_trace_cells(sql)
    levels = {key[6] for key in ch_trace_cells(ch) if key[0] == "trace"}
    assert "ERROR" in levels and len(levels) > 1  # traces did move between level cells
