"""Copying a SQL database's trace data into a ClickHouse trace store (`theodolite migrate-data --to
clickhouse://...`).

What is copied: traces, observations (with their payloads, decoded from the SQL payload storage:
zstd with trained dictionaries on SQLite, jsonb on PostgreSQL, written as the `input`, `output` and
`attributes` JSON texts) and scores. The derived tables are not copied: ClickHouse's materialised
views (`schema.py`) derive the per-trace totals and the minute and hour rollups from the observation
inserts. Metadata (projects, keys, users, prices, ...) is not copied either: it stays on SQL.

The source side is the SQL copy's (`storage/data_copy.py`: `open_copy_source`, `read_chunk`):
keyset chunks in the source's key order. Each chunk is one insert (one part, thousands of rows),
then its progress row is written (`migrate_data_progress` in the target database, a
ReplacingMergeTree read with FINAL).

Resuming without double counting. ClickHouse has no transaction spanning the chunk and its progress
row, and the views count every inserted row, so a chunk sent twice would be counted twice in the
rollups even though `FINAL` reads would hide the duplicate. A resumed copy therefore continues
strictly after the last key recorded, and reconciles the one chunk that may have gone in without its
progress row (killed between the two inserts): it asks the target which of that chunk's keys it
holds and sends only the others. An insert of one block is atomic (a chunk is far below
`max_insert_block_size`), so that chunk is either wholly there or not at all; sending only what is
missing is right in both cases. Insert de-duplication tokens were the other way; they need
`non_replicated_deduplication_window` on every table and de-duplication in the dependent views,
settings the schema would have to carry for this one use.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import func, select

from theodolite.errors import ConfigurationError, StorageError
from theodolite.storage import tables
from theodolite.storage.clickhouse.connection import ClickHouseUrl, connect, parse_url
from theodolite.storage.clickhouse.schema import schema_statements
from theodolite.storage.clickhouse.trace_rollups import TraceRollups
from theodolite.storage.clickhouse.write_locks import NoLocks
from theodolite.storage.codec import ValueCodec, dumps_json
from theodolite.storage.data_copy import (
    TableCount,
    TableStep,
    checked_source_url,
    decode_key,
    encode_key,
    open_copy_source,
    read_chunk,
    reported_as_stopped,
    source_name,
)
from theodolite.storage.engine import Database
from theodolite.storage.rows import search_document
from theodolite.storage.writer_lease import WriterLease

DEFAULT_CHUNK_ROWS = 10_000  # rows per insert: a part each (docs/clickhouse.md, "Inserts")
COPY_ORDER = ("traces", "observations", "scores")
# What stays on SQL: the metadata store's tables (and the SQL store's derived tables, which the
# materialised views derive on ClickHouse).
NOT_COPIED = (
    "projects", "users", "project_members", "auth_sessions", "api_keys", "model_prices", "datasets",
    "dataset_versions", "dataset_items", "experiments", "experiment_runs", "annotation_queues",
    "annotation_queue_items", "annotation_reviews", "annotation_claims", "score_configs",
    "evaluator_rules", "evaluator_progress",
)  # fmt: skip
DERIVED = ("trace_totals", "rollups_minute", "rollups_hour", "trace_rollups", "trace_rollup_marks")
PROGRESS = "migrate_data_progress"
MONEY_QUANTUM = Decimal("1e-12")

_o, _op, _t, _s = tables.observations, tables.observation_payloads, tables.traces, tables.scores
_SOURCES: dict[str, tuple[Any, list[Any]]] = {
    "traces": (select(_t), [_t.c.id]),
    "observations": (
        select(_o, _op.c.payload).select_from(_o.outerjoin(_op, _op.c.observation_seq == _o.c.seq)),
        [_o.c.seq],
    ),
    "scores": (select(_s), [_s.c.project_id, _s.c.id]),
}

TRACE_COLUMNS = (
    "project_id", "id", "timestamp", "name", "root_observation_id", "user_id", "session_id", "release", "version",
    "environment", "tags", "metadata", "created_at", "updated_at", "row_version", "is_deleted",
)  # fmt: skip
_OBSERVATION_TEXT = (
    "parent_observation_id", "name", "level", "status_message", "model", "request_model", "provider", "source",
    "version", "environment",
)  # fmt: skip
_OBSERVATION_PLAIN = (
    "project_id", "trace_id", "id", "type", "start_time", "end_time", "completion_start_time", "prompt_tokens",
    "completion_tokens", "total_tokens", "cache_read_tokens", "cache_write_tokens", "reasoning_tokens", "cost_status",
)  # fmt: skip
_OBSERVATION_MONEY = (
    "input_cost", "output_cost", "total_cost", "calculated_input_cost", "calculated_output_cost",
    "calculated_total_cost", "saved_cost",
)  # fmt: skip
OBSERVATION_COLUMNS = (
    *_OBSERVATION_PLAIN, *_OBSERVATION_TEXT, *_OBSERVATION_MONEY, "model_parameters", "metadata", "input", "output",
    "attributes", "search_text", "row_version", "is_deleted", "sign",
)  # fmt: skip
_CODEC = ValueCodec("clickhouse")
SCORE_COLUMNS = (
    "project_id", "id", "trace_id", "observation_id", "session_id", "name", "value", "string_value", "data_type",
    "source", "comment", "metadata", "timestamp", "config_id", "created_at", "row_version", "is_deleted",
)  # fmt: skip
_SCORE_TEXT = ("trace_id", "observation_id", "session_id", "string_value", "comment", "config_id")


def money(value: Decimal | None) -> Decimal | None:
    """A cost as `Decimal(18, 12)` keeps it: rounded to 12 decimals (a SQLite float reads back with
    more digits; clickhouse-connect would cut them off, PostgreSQL's numeric rounds)."""
    if value is None:
        return None
    exponent = value.as_tuple().exponent
    if not isinstance(exponent, int) or exponent >= -12:
        return value
    return value.quantize(MONEY_QUANTUM, rounding=ROUND_HALF_UP)


def _json(value: Any) -> str:
    """A JSON column's text: '' for none (the ClickHouse columns are not Nullable)."""
    return "" if value is None else dumps_json(value)


def trace_values(row: dict[str, Any], version: int) -> list[Any]:
    return [
        row["project_id"], row["id"], row["timestamp"], row["name"] or "", row["root_observation_id"] or "",
        row["user_id"] or "", row["session_id"] or "", row["release"] or "", row["version"] or "",
        row["environment"] or "", list(row["tags"] or ()), _json(row["metadata"]), row["created_at"],
        row["updated_at"], version, 0,
    ]  # fmt: skip


def observation_values(row: dict[str, Any], version: int) -> list[Any]:
    payload = row["payload"] or {}
    return [
        *(row[name] for name in _OBSERVATION_PLAIN),
        *(row[name] or "" for name in _OBSERVATION_TEXT),
        *(money(row[name]) for name in _OBSERVATION_MONEY),
        _json(row["model_parameters"]),
        _json(row["metadata"]),
        _json(payload.get("input")),
        _json(payload.get("output")),
        _json(payload.get("attributes")),
        # The document the writer would have made (without its per-request de-duplication of strings
        # an earlier span of the trace had: the trace matches the same queries).
        search_document(payload.get("input"), payload.get("output"), _CODEC) or "",
        version,
        0,
        1,
    ]


def score_values(row: dict[str, Any], version: int) -> list[Any]:
    values = []
    for name in SCORE_COLUMNS[:-2]:
        value = row[name]
        if name == "metadata":
            value = _json(value)
        elif name in _SCORE_TEXT and value is None:
            value = ""
        values.append(value)
    return [*values, version, 0]


_ROWS: dict[str, tuple[tuple[str, ...], Callable[[dict[str, Any], int], list[Any]]]] = {
    "traces": (TRACE_COLUMNS, trace_values),
    "observations": (OBSERVATION_COLUMNS, observation_values),
    "scores": (SCORE_COLUMNS, score_values),
}


class ClickHouseCopy:
    """One copy from a SQL `source_url` into the ClickHouse store `target_url`. Use: `open()`,
    `steps()`, `copy_table()` for each step, `verify()`, `close()` (also after an error). Blocks."""

    def __init__(self, source_url: str, target_url: str, *, chunk_rows: int = DEFAULT_CHUNK_ROWS) -> None:
        self.source_url = checked_source_url(source_url)
        self.target: ClickHouseUrl = parse_url(target_url)
        if chunk_rows < 1:
            raise ConfigurationError("--chunk-rows must be at least 1")
        self.chunk_rows = chunk_rows
        self.source_name = source_name(self.source_url)
        self.source: Database | None = None
        self.client: Any = None
        self._leases: list[WriterLease] = []
        self.resumed = False
        self._reconcile: set[str] = set()  # tables whose next chunk may already be in the target
        self.version = time.time_ns()  # every row's row_version: any one version per copy will do

    @property
    def target_name(self) -> str:
        return self.target.describe()

    def _table(self, name: str) -> str:
        return f"`{self.target.database}`.`{name}`"

    # -- opening -------------------------------------------------------------------------------

    def open(self, *, restart: bool = False) -> None:
        """Open the source (at this release's schema; on SQLite the writer's lease is taken), reach
        the target and create its schema if missing. The target must hold no traces, or an
        interrupted copy from this source (`restart`: anything, emptied first)."""
        self.source, leases = open_copy_source(self.source_url)
        self._leases.extend(leases)
        self.client, _ = connect(self.target)
        try:
            self.client.command("SELECT 1")
        except Exception as exc:
            raise StorageError(f"cannot reach ClickHouse at {self.target_name}: {_reason(exc)}") from exc
        for statement in schema_statements(self.target.database):
            self.client.command(statement)
        self.client.command(
            f"CREATE TABLE IF NOT EXISTS {self._table(PROGRESS)} (table_name String, source String, last_key String, "
            "rows_copied UInt64, done UInt8, version UInt64) ENGINE = ReplacingMergeTree(version) ORDER BY table_name"
        )
        rows = self._progress()
        sources = {row["source"] for row in rows.values()}
        if not rows and not restart:
            holding = [name for name in (*COPY_ORDER, *DERIVED) if self._count(name, final=False)]
            if holding:
                raise ConfigurationError(
                    f"the target {self.target_name} already holds data ({', '.join(holding[:4])}) that no copy "
                    "put there; copy into a new, empty database (or add --restart to empty it)"
                )
        if restart:
            for name in (*COPY_ORDER, *DERIVED):
                self.client.command(f"TRUNCATE TABLE {self._table(name)}")
            self.client.command(f"TRUNCATE TABLE {self._table(PROGRESS)}")
            rows, sources = {}, set()
        elif sources and sources != {self.source_name}:
            raise ConfigurationError(
                f"the target holds part of a copy from {', '.join(sorted(sources))}; run the same command again "
                f"to continue it, or add --restart to empty the target and copy from {self.source_name}"
            )
        self.resumed = bool(rows)
        if not rows:
            for name in COPY_ORDER:
                self._record(name, None, 0, False)
        else:  # the chunk after each recorded key may be in the target without its progress row
            self._reconcile = {name for name, row in rows.items() if not row["done"]}

    def _progress(self) -> dict[str, dict[str, Any]]:
        result = self.client.query(
            f"SELECT table_name, source, last_key, rows_copied, done FROM {self._table(PROGRESS)} FINAL"
        )
        return {row[0]: dict(zip(result.column_names, row, strict=True)) for row in result.result_rows}

    def _record(self, name: str, last_key: str | None, rows_copied: int, done: bool) -> None:
        self.client.insert(
            self._table(PROGRESS),
            [[name, self.source_name, last_key or "", rows_copied, int(done), time.time_ns()]],
            column_names=["table_name", "source", "last_key", "rows_copied", "done", "version"],
        )

    def _count(self, name: str, *, final: bool = True) -> int:
        return int(self.client.command(f"SELECT count() FROM {self._table(name)}{' FINAL' if final else ''}"))

    # -- copying -------------------------------------------------------------------------------

    def steps(self) -> list[TableStep]:
        source = self._source()
        with source.connect() as conn:
            totals = {name: _source_count(conn, name) for name in COPY_ORDER}
        rows = self._progress()
        return [
            TableStep(name, totals[name], int(rows[name]["rows_copied"]), bool(rows[name]["done"]))
            for name in COPY_ORDER
        ]

    def copy_table(self, name: str, on_rows: Callable[[int], None] | None = None) -> int:
        """Copy what is left of one table, an insert per chunk; returns the rows sent."""
        source = self._source()
        statement, key = _SOURCES[name]
        columns, values = _ROWS[name]
        row = self._progress()[name]
        if row["done"]:
            return 0
        last = decode_key(key, row["last_key"] or None)
        rows_copied, sent = int(row["rows_copied"]), 0
        while True:
            chunk = read_chunk(source, statement, key, last, self.chunk_rows)
            if chunk:
                missing = self._missing(name, chunk) if name in self._reconcile else chunk
                self._reconcile.discard(name)
                if missing:
                    self.client.insert(
                        self._table(name), [values(r, self.version) for r in missing], column_names=list(columns)
                    )
                last = [chunk[-1][column.name] for column in key]
                sent += len(missing)
            rows_copied += len(chunk)
            done = len(chunk) < self.chunk_rows
            self._record(name, encode_key(last), rows_copied, done)
            if on_rows is not None and chunk:
                on_rows(len(chunk))
            if done:
                return sent

    def _missing(self, name: str, chunk: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The rows of `chunk` the target does not hold (by their ClickHouse row identity)."""
        if name == "observations":
            identity, column = (lambda r: (r["project_id"], r["trace_id"], r["id"])), "(project_id, trace_id, id)"
        else:
            identity, column = (lambda r: (r["project_id"], r["id"])), "(project_id, id)"
        ids = sorted({r["id"] for r in chunk})
        found = self.client.query(
            f"SELECT DISTINCT {column.strip('()')} FROM {self._table(name)} WHERE id IN %(ids)s",
            parameters={"ids": ids},
        ).result_rows
        held = {tuple(row) for row in found}
        return [r for r in chunk if identity(r) not in held]

    def mark_trace_minutes(self) -> int:
        """Mark every minute that holds a copied trace for the trace rollups (`trace_rollups.py`;
        the views derive the rest at insert). Returns the minutes to recompute."""
        rollups = TraceRollups(self.client, self.target.database)
        rollups.mark_all(time.time_ns())
        return rollups.count_dirty()

    def derive_trace_rollups(self, on_minutes: Callable[[int], None] | None = None) -> int:
        """Recompute the trace rollups of the marked minutes (the copy is the store's only writer);
        `on_minutes` gets each project's count. Returns the minutes."""
        return TraceRollups(self.client, self.target.database).step(NoLocks(), time.time_ns, on_minutes)

    # -- checking ------------------------------------------------------------------------------

    def verify(self) -> list[TableCount]:
        """Rows per table on both sides (the target's with FINAL), and the rollups' span count
        equal to the observations' (a chunk counted twice by the views would show here); raises
        StorageError if any differs. Drops the progress table once all match."""
        source = self._source()
        with source.connect() as conn:
            before = {name: _source_count(conn, name) for name in COPY_ORDER}
        counts = [TableCount(name, before[name], self._count(name)) for name in COPY_ORDER]
        wrong = [count for count in counts if count.source != count.target]
        if wrong:
            listed = ", ".join(f"{c.name} {c.source:,} -> {c.target:,}" for c in wrong)
            raise StorageError(
                f"the copy's row counts differ ({listed}): did something write the source meanwhile? "
                "run again with --restart"
            )
        for rollup in ("rollups_minute", "rollups_hour"):
            counted = int(self.client.command(f"SELECT sum(n) FROM {self._table(rollup)}") or 0)
            if counted != before["observations"]:
                raise StorageError(
                    f"the {rollup} table counts {counted:,} spans for {before['observations']:,} copied: "
                    "run again with --restart"
                )
        traces = before["traces"]
        counted = int(
            self.client.command(
                f"SELECT sum(n) FROM {self._table('trace_rollups')} FINAL WHERE cube = 'trace' AND grain_s = 3600"
            )
            or 0
        )
        if counted != traces:
            raise StorageError(f"the trace rollups count {counted:,} traces for {traces:,} copied: run again")
        self.client.command(f"DROP TABLE IF EXISTS {self._table(PROGRESS)}")
        return counts

    def close(self) -> None:
        for lease in self._leases:
            lease.release()
        self._leases.clear()
        if self.source is not None:
            self.source.dispose()
        if self.client is not None:
            self.client.close()

    def _source(self) -> Database:
        if self.source is None or self.client is None:
            raise RuntimeError("ClickHouseCopy.open() first")
        return self.source


def _source_count(conn: Any, name: str) -> int:
    return int(conn.execute(select(func.count()).select_from(tables.metadata.tables[name])).scalar_one())


def _reason(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]


@contextmanager
def reported() -> Iterator[None]:
    """A database lost half-way (the SQL source, or ClickHouse) becomes one line saying the copy can
    continue: what was copied stays, and counts."""
    with reported_as_stopped():
        try:
            yield
        except (ConfigurationError, StorageError):
            raise
        except Exception as exc:
            if not (type(exc).__module__.startswith("clickhouse_connect") or isinstance(exc, OSError)):
                raise
            raise StorageError(f"the copy stopped: {_reason(exc)}; run the same command again to continue") from exc
