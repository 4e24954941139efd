"""The ClickHouse trace writer: `TraceWriter` (`storage/backend.py`) over clickhouse-connect.

One commit is one insert per table (traces, then observations with their payloads, then scores),
synchronous: an insert returns once its parts are written, so `commit` returning means durable.
ClickHouse derives the observation rollups and per-trace totals at insert (materialised views,
`schema.py`). The trace-level rollups cannot be derived so (`trace_rollups.py`): a commit marks the
minutes of the traces it touched, and the writer's follower (`step`, run by the pipeline between
commits) recomputes their cells.

ClickHouse has no unique key and its views see inserts, not the merged table, so the writer must
never send a row twice. It reads before it writes, only the commit's keys and with `FINAL`
(one writer thread per process, as for SQL):

- traces: the stored row of each (project, trace id) is merged with the commit's parts
  (`merge_trace`, like `SqlWriter`); an unchanged trace is not written again, a changed one is
  written with a higher `row_version`; a trace whose timestamp moved to another day (the sorting
  key holds the day) also gets a deletion row at its old key;
- spans (OTLP): for traces stored before the commit, the ids already stored are skipped as a
  client's retry and reported in `PreparedBatch.duplicate_ids` (metrics skip them);
- mergeable writes (Langfuse, LangSmith): merged into the stored observation (`merges.py`); the
  stored row goes back as a cancelling row (`sign` -1, `is_deleted` 1, `row_version` - 1) before
  the merged row, so every sum of the views stays exact;
- scores: upserted by (project, id); an unchanged score is not written again.

Storage keys: every ClickHouse table holds `project_id` in its sorting key, so a trace is stored
under its wire id in every project; the `@project` qualification of the SQL tables
(`trace_keys.py`) is not needed here.

Inserts go traces, observations, scores: if one fails after another succeeded, a retry of the
request finds the trace stored, so its spans are looked up and not counted twice.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from theodolite.errors import StorageError
from theodolite.model import Observation, Rejection, Trace, merge_trace
from theodolite.storage.clickhouse.connection import connect, create_schema
from theodolite.storage.clickhouse.merges import Key, MergeableWrites, document_of
from theodolite.storage.clickhouse.rows import (
    OBSERVATION_COLUMNS,
    SCORE_COLUMNS,
    SCORE_CONTENT,
    STORED_COLUMNS,
    TRACE_COLUMNS,
    TRACE_CONTENT,
    cancelling_row,
    inserted_row,
    observation_values,
    score_values,
    stored_observation,
    stored_score_content,
    stored_trace,
    stored_trace_content,
    trace_values,
    utc,
)
from theodolite.storage.clickhouse.trace_rollups import MARK_COLUMNS, TraceRollups, mark_rows, minute_of
from theodolite.storage.clickhouse.write_locks import NoLocks, WriteLocks
from theodolite.storage.codec import ValueCodec
from theodolite.storage.rows import PreparedBatch

# Ids per read: clickhouse-connect sends query parameters in the HTTP URL (the server takes 1 MiB).
ID_CHUNK = 2_000
# FINAL reads of a few keys through the bloom-filter indexes on `traces.id` and `trace_id`. Skipping
# granules by an index is exact with FINAL here (ClickHouse's "exact mode" is not needed, nor known
# to older servers): the filtered columns are in the sorting key, so every version of a row has the
# same values and a skipped granule holds none of them.
READ_SETTINGS = {"use_skip_indexes_if_final": 1}
# The full-text index is built by the background merges, not by the insert: built in the insert it
# doubled the insert's CPU for long documents (docs/clickhouse.md). A search reads a part without it
# (the newest, small ones) by its column: the same answer, a little slower until the part is merged.
INSERT_SETTINGS = {"observations": {"exclude_materialize_skip_indexes_on_insert": "ix_search"}}


def _day(moment: datetime) -> Any:
    return moment.astimezone(UTC).date()


def _chunks(values: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(values), ID_CHUNK):
        yield values[start : start + ID_CHUNK]


class ClickHouseWriter:
    """Writes PreparedBatches to a ClickHouse trace store. Not thread-safe: one writer thread owns it."""

    # A follower step (the trace rollups) costs a few hundred milliseconds on a busy store, and the
    # writer thread commits nothing meanwhile: when idle, the pipeline waits this long before one
    # (a reader that waits for it still gets it at once; sustained ingest, every `derive_max_lag_s`).
    follow_idle_s = 2.0

    def __init__(self, client: Any, database: str, locks: WriteLocks | None = None) -> None:
        """`client`: a clickhouse-connect client (`connection.connect`); `database`: where the
        schema is (`connection.create_schema`); `locks`: what keeps sibling processes' commits for a
        project apart (`write_locks.py`; None: this writer is the store's only one)."""
        self.client = client
        self.database = database
        self.locks = locks or NoLocks()
        self.codec = ValueCodec("clickhouse")
        self._version = 0  # the last row_version given
        self.trace_rollups = TraceRollups(client, database)
        # The follower's positions. One commit counts as made before this writer's first: marks left
        # by a process that stopped before its follower ran (or by a bulk copy) are followed first.
        self._commits = 1
        self._followed = 0
        self._unfollowed_since: float | None = time.monotonic()
        self._contexts: dict[str, Any] = {}  # per table, clickhouse-connect's InsertContext

    @classmethod
    def from_url(cls, url: str, *, create: bool = True) -> ClickHouseWriter:
        """A writer on the store a URL names (`connection.py`), its schema created if missing."""
        client, database = connect(url)
        try:
            if create:
                create_schema(client, database)
        except Exception as exc:
            client.close()
            raise StorageError(f"creating the ClickHouse schema in {database!r} failed") from exc
        return cls(client, database)

    def commit(self, items: Sequence[PreparedBatch]) -> list[list[Rejection]]:
        """Write every batch: one insert per table, each acknowledged once written. Returns, per
        batch, what was refused: nothing (kept for the protocol). Raises StorageError when a read
        or an insert failed; a retry of the same batches then stores what is missing, once."""
        try:
            with self.locks.hold({batch.project_id for batch in items}):
                self._write(items)
        except StorageError:
            raise
        except Exception as exc:  # clickhouse-connect's errors, the connection's (OSError), chdb's
            raise StorageError("ClickHouse write failed: the request may not be stored; retry later") from exc
        self._commits += 1
        if self._unfollowed_since is None:
            self._unfollowed_since = time.monotonic()
        return [[] for _ in items]

    def replace_observations(self, replacements: Sequence[tuple[Sequence[Any], Sequence[Any]]]) -> None:
        """Rewrite stored observations as an update is written: per (the stored row as read, its new
        values), both STORED_COLUMNS and under the same key, the cancelling row
        and the new row, all in one insert (`costs recompute`: `repricing.py`), their traces' minutes
        marked for the trace rollups (`catch_up` recomputes them). Raises StorageError."""
        if not replacements:
            return
        version = self._next_version()
        rows = []
        for stored, values in replacements:
            rows.append(cancelling_row(stored, version))
            rows.append(inserted_row(values, version))
        try:
            # Their traces' totals change: their minutes' trace rollups follow (`catch_up`).
            traces = {(stored[0], stored[1]) for stored, _ in replacements}
            minutes = {
                (row[0], minute_of(utc(row[1])))
                for row in self._rows_of("traces", "project_id, timestamp", traces, trace_column="id")
            }
            self._insert("trace_rollup_marks", MARK_COLUMNS, mark_rows(minutes, version))
            self._insert("observations", OBSERVATION_COLUMNS, rows)
        except Exception as exc:  # as in `commit`: the client's, the connection's and chdb's errors
            raise StorageError("ClickHouse write failed: the calls of this batch keep their old costs") from exc

    def _next_version(self) -> int:
        """This commit's row_version (the ingest time in ns), at least 2 above the last: its
        cancelling rows take the version below it, which must still be above every stored one."""
        self._version = max(time.time_ns(), self._version + 2)
        return self._version

    def _write(self, items: Sequence[PreparedBatch]) -> None:
        now = datetime.now(UTC)
        parts: dict[tuple[int, str], Trace] = {}
        for batch in items:
            for trace in batch.traces:
                key = (batch.project_id, trace.id)
                seen = parts.get(key)
                parts[key] = trace if seen is None else merge_trace(seen, trace)
        trace_keys = set(parts)
        for batch in items:
            trace_keys.update((batch.project_id, row["trace_id"]) for row in batch.observation_rows)
        stored_traces = self._stored_traces(trace_keys)
        stored_spans = self._stored_span_ids([key for key in trace_keys if key in stored_traces])

        fresh: list[list[Any]] = []
        merges = MergeableWrites(self.codec)
        for batch in items:
            for index, (row, payload) in enumerate(zip(batch.observation_rows, batch.payloads, strict=True)):
                key = (batch.project_id, row["trace_id"], row["id"])
                if batch.observations is not None:  # Langfuse, LangSmith: a later write completes it
                    merges.add(batch, index, key, key in stored_spans)
                elif key in stored_spans:
                    batch.duplicate_ids.add(row["id"])  # a retry: stored once, accepted again
                else:
                    stored_spans.add(key)
                    fresh.append(observation_values(row, payload, document_of(batch, index)))
        stored_observations = self.stored_observations(merges.keys_to_read()) if merges.by_key else {}
        scores = self._latest_scores(items)
        score_keys = {(key[0], values[2], key[1]) for key, (values, _) in scores.items()}
        stored_scores = self._stored_scores(score_keys) if score_keys else {}

        # The version is taken after the reads, just before the inserts: a list's snapshot (the
        # reader's clock, `queries/traces.py`) is then rarely below a commit still being written.
        version = self._next_version()
        observations = [inserted_row(values, version) for values in fresh]
        if merges.by_key:
            inserts, replaced = merges.resolve(stored_observations)
            for values in replaced:  # its cells leave the views before the merged row's arrive
                observations.append(cancelling_row(values, version))
            for row, payload, document in inserts:
                observations.append(inserted_row(observation_values(row, payload, document), version))
        trace_rows = self._trace_rows(parts, stored_traces, version, now)
        score_rows = self._score_rows(scores, stored_scores, version)
        # The minutes whose trace and score cells this commit changes (a re-send changes none),
        # marked before the data: a write that fails half-way leaves a mark too many, never too few.
        written = {(row[0], row[1]) for row in trace_rows} | {(row[0], row[1]) for row in observations}
        minutes = _touched_minutes(parts, stored_traces, written)
        for row in score_rows:  # a changed score: its new time and its stored one
            minutes.add((row[0], minute_of(utc(row[12]))))
            if (stored := stored_scores.get((row[0], row[1]))) is not None:
                minutes.add((row[0], minute_of(utc(stored[12]))))
        self._insert("trace_rollup_marks", MARK_COLUMNS, mark_rows(minutes, version))
        self._insert("traces", TRACE_COLUMNS, trace_rows)
        self._insert("observations", OBSERVATION_COLUMNS, observations)
        self._insert("scores", SCORE_COLUMNS, score_rows)

    def _trace_rows(
        self,
        parts: dict[tuple[int, str], Trace],
        stored: dict[tuple[int, str], Sequence[Any]],
        version: int,
        now: datetime,
    ) -> list[list[Any]]:
        rows = []
        for (project_id, _), part in parts.items():
            existing = stored.get((project_id, part.id))
            if existing is None:
                rows.append([*trace_values(project_id, part, self.codec.json), now, now, version, 0])
                continue
            before = stored_trace_content(existing)
            values = trace_values(project_id, merge_trace(stored_trace(existing), part), self.codec.json)
            if values == before:
                continue  # nothing new (a re-send): not written again
            created_at, updated_at = utc(existing[len(TRACE_CONTENT)]), utc(existing[len(TRACE_CONTENT) + 1])
            if _day(values[2]) != _day(before[2]):  # the sorting key moved: the old key is deleted
                rows.append([*before, created_at, updated_at, version - 1, 1])
            rows.append([*values, created_at, now, version, 0])
        return rows

    @staticmethod
    def _latest_scores(items: Sequence[PreparedBatch]) -> dict[tuple[int, str], tuple[list[Any], Any]]:
        """(project, score id) -> (its SCORE_CONTENT values, created_at): the later write of an id wins."""
        latest: dict[tuple[int, str], tuple[list[Any], Any]] = {}
        for batch in items:
            for row in batch.score_rows:
                latest[(batch.project_id, row["id"])] = (score_values(row), row["created_at"])
        return latest

    @staticmethod
    def _score_rows(
        latest: dict[tuple[int, str], tuple[list[Any], Any]],
        stored: dict[tuple[int, str], Sequence[Any]],
        version: int,
    ) -> list[list[Any]]:
        rows = []
        for key, (values, created_at) in latest.items():
            existing = stored.get(key)
            if existing is not None:
                before = stored_score_content(existing)
                if values == before:
                    continue  # the same score again: not written again
                # The sorting key holds the day and the name: a score that moved is deleted at its old key.
                if (_day(values[12]), values[5]) != (_day(before[12]), before[5]):
                    rows.append([*before, utc(existing[len(SCORE_CONTENT)]), version - 1, 1])
            rows.append([*values, created_at, version, 0])
        return rows

    # Reads: only the commit's keys, newest versions (FINAL), through the sorting key and the
    # bloom-filter indexes.

    def _query(self, sql: str, parameters: dict[str, Any]) -> list[Sequence[Any]]:
        return self.client.query(sql, parameters=parameters, settings=READ_SETTINGS).result_rows

    def _rows_of(
        self,
        table: str,
        columns: str,
        trace_keys: set[tuple[int, str]],
        *,
        trace_column: str = "trace_id",
        ids: set[Key] | None = None,
    ) -> Iterator[Sequence[Any]]:
        """`table`'s rows (FINAL) of these (project, trace id) keys, and with `ids` only those
        (project, trace id, id): read per group of projects, in chunks of trace ids, through the
        primary key and the bloom-filter indexes."""
        for projects, trace_ids in _by_projects(trace_keys):
            sql = (
                f"SELECT {columns} FROM `{self.database}`.{table} FINAL"
                f" WHERE project_id IN {{projects:Array(UInt32)}} AND {trace_column} IN {{traces:Array(String)}}"
            )
            parameters: dict[str, Any] = {"projects": projects}
            if ids is not None:
                in_group = (set(projects), set(trace_ids))
                sql += " AND id IN {ids:Array(String)}"
                parameters["ids"] = sorted({i for p, t, i in ids if p in in_group[0] and t in in_group[1]})
            for chunk in _chunks(trace_ids):
                yield from self._query(sql, {**parameters, "traces": chunk})

    def _stored_traces(self, keys: Iterable[tuple[int, str]]) -> dict[tuple[int, str], Sequence[Any]]:
        """(project, trace id) -> its stored TRACE_CONTENT, created_at, updated_at."""
        wanted = set(keys)
        found: dict[tuple[int, str], tuple[int, Sequence[Any]]] = {}
        columns = ", ".join((*TRACE_CONTENT, "created_at", "updated_at", "row_version"))
        for row in self._rows_of("traces", columns, wanted, trace_column="id"):
            key = (row[0], row[1])
            # One row per key after FINAL; two keys (days) only if a deletion was lost.
            if key in wanted and (key not in found or row[-1] > found[key][0]):
                found[key] = (row[-1], row[:-1])
        return {key: row for key, (_, row) in found.items()}

    def _stored_span_ids(self, trace_keys: list[tuple[int, str]]) -> set[Key]:
        """(project, trace id, span id) stored for these traces. Only traces stored before this
        commit can hold them, so a new trace (the common case) costs no read."""
        found: set[Key] = set()
        wanted = set(trace_keys)
        rows = self._rows_of("observations", "project_id, trace_id, id", wanted)
        found.update((p, t, i) for p, t, i in rows if (p, t) in wanted)
        return found

    def stored_observations(self, keys: list[Key]) -> dict[Key, tuple[Sequence[Any], Observation]]:
        """(project, trace id, id) -> (the stored row as read, the observation it holds)."""
        wanted = set(keys)
        found: dict[Key, tuple[Sequence[Any], Observation]] = {}
        columns = ", ".join(STORED_COLUMNS)
        for row in self._rows_of("observations", columns, {(p, t) for p, t, _ in wanted}, ids=wanted):
            key = (row[0], row[1], row[2])
            if key in wanted:
                found[key] = (row, stored_observation(row))
        return found

    def _stored_scores(self, keys: set[tuple[int, str, str]]) -> dict[tuple[int, str], Sequence[Any]]:
        """(project, score id) -> its stored SCORE_CONTENT and created_at, for (project, trace id,
        score id) keys. Read through the trace index (scores have no index on their id, and their
        sorting key starts with the day), so a score re-sent under another trace id is not found:
        it is stored as a second score."""
        wanted = {(project_id, score_id) for project_id, _, score_id in keys}
        found: dict[tuple[int, str], Sequence[Any]] = {}
        columns = ", ".join(SCORE_CONTENT) + ", created_at"
        rows = self._rows_of("scores", columns, {(p, t) for p, t, _ in keys}, ids=keys)
        found.update(((row[0], row[1]), row) for row in rows if (row[0], row[1]) in wanted)
        return found

    def _insert(self, table: str, columns: Sequence[str], rows: list[list[Any]]) -> None:
        if not rows:
            return
        # The column types are asked once per table (a DESCRIBE round trip), not once per insert.
        context = self._contexts.get(table)
        if context is None:
            context = self.client.create_insert_context(
                table, list(columns), database=self.database, settings=INSERT_SETTINGS.get(table)
            )
        try:
            self.client.insert(data=rows, context=context)
        except Exception:
            self._contexts.pop(table, None)  # asked again next time: the table may have changed
            raise
        finally:
            context.data = None  # an insert context holds no rows between commits
        self._contexts[table] = context

    # The follower's protocol: the views derive the rest at insert; the trace rollups follow.

    def committed(self) -> int:
        return self._commits

    def followed(self) -> int:
        return self._followed

    def step(self) -> int:
        """Recompute the trace rollups of every minute marked (by any process) and not recomputed
        yet. Returns the minutes recomputed."""
        target = self._commits
        self._unfollowed_since = None
        try:
            covered = self.trace_rollups.step(self.locks, self._next_version)
        except Exception as exc:  # the client's, the connection's and chdb's errors
            self._unfollowed_since = time.monotonic()
            raise StorageError("recomputing the ClickHouse trace rollups failed; the marks stay for a retry") from exc
        self._followed = target
        return covered

    def oldest_unfollowed(self) -> float | None:
        return self._unfollowed_since

    def catch_up(self, on_step: Callable[[int], None] | None = None) -> int:
        covered = 0
        while self._followed < self._commits:
            stepped = self.step()
            covered += stepped
            if on_step is not None:
                on_step(stepped)
        return covered

    def close(self) -> None:
        self.client.close()


def _touched_minutes(
    parts: dict[tuple[int, str], Trace],
    stored: dict[tuple[int, str], Sequence[Any]],
    trace_keys: set[tuple[int, str]],
) -> set[tuple[int, int]]:
    """(project, minute) of every trace a commit changes: its stored time and its new one (a trace
    may move), or the stored time of a trace that only gets spans. A trace with no row yet counts
    nowhere until its row comes (which marks its minute then)."""
    minutes: set[tuple[int, int]] = set()
    for key in trace_keys:
        existing = stored.get(key)
        if existing is not None:
            minutes.add((key[0], minute_of(utc(existing[2]))))
        part = parts.get(key)
        if part is not None:
            minutes.add((key[0], minute_of(part.timestamp)))
    return minutes


def _by_projects(keys: set[tuple[int, str]]) -> list[tuple[list[int], list[str]]]:
    """The keys as (projects, ids) groups for `IN` reads: one group when one project (the common
    case), else one per project (a read of one project's rows never names another's)."""
    by_project: dict[int, set[str]] = {}
    for project_id, value in keys:
        by_project.setdefault(project_id, set()).add(value)
    return [([project_id], sorted(values)) for project_id, values in sorted(by_project.items())]
