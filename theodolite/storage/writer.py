"""The single writer: commits many requests' batches in one transaction (group commit).

Only the ingestion pipeline's writer thread calls `SqlWriter.commit`. One writer is what SQLite
allows anyway, and on PostgreSQL it turns many small transactions into few large ones. Batches
arrive already encoded (`rows.prepare_batch`), so this thread spends its time in the database.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from theodolite.errors import StorageError
from theodolite.model import Rejection, Trace, merge_trace
from theodolite.storage import tables
from theodolite.storage.bulk import BulkInsert
from theodolite.storage.checkpointer import WalCheckpointer
from theodolite.storage.codec import ValueCodec
from theodolite.storage.dictionaries import install_stored_dictionaries
from theodolite.storage.document_worker import DocumentWorker
from theodolite.storage.engine import Database
from theodolite.storage.facets import FacetWriter, TransactionTraces
from theodolite.storage.observation_merges import TransactionMerges, delete_replaced
from theodolite.storage.process_locks import lock_projects
from theodolite.storage.rollups import RollupDeltas, committed_observations, flush_rollups, stored_scores
from theodolite.storage.rows import PreparedBatch, row_to_trace, trace_to_row
from theodolite.storage.search import (
    FOLLOW_CHUNK,
    SearchWriter,
    highest_mark,
    index_committed,
    indexed_below,
    record_indexed,
    record_last_mark,
    repricing_count,
)
from theodolite.storage.trace_keys import TraceKeyPlan, is_plain, qualified_key
from theodolite.storage.trace_totals import Sums, TotalsWriter, Touched, TraceState, sum_parts, write_scores
from theodolite.storage.upserts import insert_ignoring_duplicates, insert_replacing
from theodolite.storage.writer_lease import WriterLease

# SQLite allows 32,766 bound parameters per statement; 500 ids stays far below on every engine.
ID_CHUNK = 500


@dataclass(slots=True)
class _Committed:
    """A committed transaction not derived yet (SQLite): its mark (its first seq), the seq above
    its own (set at commit), what it did to each trace it wrote (`Touched`), and whether `costs
    recompute` ran since (`stale`: its traces are then recomputed from their observations)."""

    mark: int
    touched: dict[str, Touched]
    rollups: RollupDeltas  # what its observations add to the rollups
    documents: list[dict[str, Any]] | None = None  # made before the commit (the demo), else None
    below: int = 0
    stale: bool = False
    at: float = field(default_factory=time.monotonic)


def _touched(traces: TransactionTraces, parts: dict[str, Sums]) -> dict[str, Touched]:
    touched = {}
    for key, (project_id, _) in traces.keys.items():
        merged = traces.merged[key]
        stored = traces.stored.get(key)
        whens = (
            (merged.timestamp,)
            if stored is None or stored.timestamp == merged.timestamp
            else (merged.timestamp, stored.timestamp)
        )
        state = TraceState(
            merged.timestamp,
            merged.name,
            merged.tags,
            merged.user_id,
            merged.release,
            merged.version,
            merged.environment,
        )
        touched[key] = Touched(project_id, whens, stored is not None, state, parts.get(key) or Sums())
    return touched


def _step_size(window: deque[_Committed], first: int, start: int, max_seqs: int) -> int:
    """How many commits from `window[first]` on (the first of them starting at seq `start`) one
    step takes: whole commits up to `max_seqs` seqs, at least one."""
    taken = 0
    while first + taken < len(window) and (not taken or window[first + taken].below - start <= max_seqs):
        taken += 1
    return taken


def _first_states(commits: list[_Committed]) -> dict[str, Touched]:
    """Per trace, what these commits did to it, the first of them first."""
    states: dict[str, Touched] = {}
    for commit in commits:
        for key, touched in commit.touched.items():
            state = states.get(key)
            if state is None:
                states[key] = touched.copy()  # the commit's own stays as it is: a failed step is retried
            else:
                state.then(touched)
    return states


class SqlWriter:
    """Writes PreparedBatches to a SQL database. Not thread-safe: one writer thread owns it."""

    def __init__(self, database: Database, *, document_worker_after_s: float | None = None) -> None:
        """`document_worker_after_s`: on SQLite, once commits have waited this long for their
        step (sustained load), make the search documents in a process of their own
        (`document_worker.py`) until the writer has caught up; None: always on this thread."""
        self.database = database
        self.dialect = database.dialect_name
        self.codec = ValueCodec(self.dialect)
        self._lease = WriterLease(database.path) if self.dialect == "sqlite" and database.path is not None else None
        self._conn = database.writer_connection()
        self._checkpointer: WalCheckpointer | None = None
        if self.dialect == "sqlite":
            self._pragma("wal_autocheckpoint=0")
            self._checkpointer = WalCheckpointer(database)
            self._checkpointer.start()
        dialect = database.engine.dialect

        def bulk(table: Any, statement: Any) -> BulkInsert:
            return BulkInsert(table, statement, dialect)

        # Duplicates are filtered before the insert (`_stored_span_ids`; another server's commits
        # too, under the project's lock: `process_locks.py`); ignoring conflicts on (trace_id, id)
        # is a last guard.
        self._insert_observations = bulk(
            tables.observations, insert_ignoring_duplicates(tables.observations, self.dialect, on=("trace_id", "id"))
        )
        self._insert_payloads = bulk(tables.observation_payloads, insert(tables.observation_payloads))
        self._upsert_traces = bulk(tables.traces, insert_replacing(tables.traces, self.dialect))
        self._upsert_scores = bulk(tables.scores, insert_replacing(tables.scores, self.dialect))
        self._facets = FacetWriter(dialect)
        self._search = SearchWriter(self.dialect)
        self._totals = TotalsWriter(dialect)
        # On SQLite the search index and the per-trace totals follow the commits, off the ingest
        # path (`step`): seqs below `_followed_below` are derived, seqs below `_committed_below`
        # committed; `_window` holds what each commit not derived yet touched. After a crash the
        # commits between the two marks are recovered from the database (`_recover_below`).
        # PostgreSQL derives both in the ingest transaction.
        self._followed_below = self._committed_below = self._numbered_below = self._recover_below = 0
        self._repricings = 0
        self._started = time.monotonic()
        self._window: deque[_Committed] = deque()
        self._touched: _Committed | None = None  # the commit in progress
        self._documents: DocumentWorker | None = None
        self._documents_after_s = document_worker_after_s or 0.0
        if document_worker_after_s is not None and self.dialect == "sqlite" and database.path is not None:
            self._documents = DocumentWorker(str(database.engine.url))  # a file another process can open
        if self.dialect == "sqlite":
            with self._conn.begin():
                self._followed_below = indexed_below(self._conn)
                self._repricings = repricing_count(self._conn)
                # The recorded mark may be past the last row (a commit that stored no observation).
                first = max(self._next_seq(), self._followed_below)
                self._committed_below = self._numbered_below = self._recover_below = first

    def commit(self, items: Sequence[PreparedBatch]) -> list[list[Rejection]]:
        """Write every batch in one transaction; blocks until it is committed.

        Returns, per batch, what was rejected while writing: nothing today (a trace id another
        project also uses is stored apart, `trace_keys.py`), kept for engines that may refuse.
        Raises StorageError if the transaction failed; then nothing of it was stored.
        """
        self._numbered_below = self._committed_below  # a failed transaction's seqs are free again
        self._touched = None
        try:
            with self._conn.begin():
                self._write(items)
        except SQLAlchemyError as exc:
            # The client learns that nothing was stored and may retry; the driver's text (SQL,
            # parameters, class names) goes to the server log through the exception's cause.
            raise StorageError("database write failed: the request was not stored; retry later") from exc
        if self._numbered_below > self._committed_below:
            self._committed_below = self._numbered_below
            if self._touched is not None:
                self._touched.below = self._numbered_below
                self._window.append(self._touched)
                self._prefetch()
        return [[] for _ in items]

    # The search index's follower (`ingestion/pipeline.Follower`): positions are seqs.

    def committed(self) -> int:
        return self._committed_below

    def followed(self) -> int:
        return self._followed_below if self.dialect == "sqlite" else self._committed_below

    def step(self, max_seqs: int = FOLLOW_CHUNK) -> int:
        """Derive what the next commits stored (whole commits, about `max_seqs` seqs; all of a
        crash's leftover at once): their search documents and their traces' totals, in one
        transaction with the mark. Returns the seqs covered. SQLite only; 0 elsewhere."""
        start = self._followed_below
        if self.dialect != "sqlite" or start >= self._committed_below:
            return 0
        taken = 0
        if start < self._recover_below:
            stop = self._recover_below
        else:
            taken = _step_size(self._window, 0, start, max_seqs)
            stop = self._window[taken - 1].below
        commits = [self._window[i] for i in range(taken)]
        made_before = bool(commits) and all(commit.documents is not None for commit in commits)  # the demo
        documents = None
        if self._documents is not None and not made_before:
            documents = self._documents.take(start, stop)
        self._totals.rollups = RollupDeltas()  # a failed step's deltas are made again by its retry
        try:
            with self._conn.begin():
                if not commits:
                    index_committed(self._conn, self.codec, self._search, start, stop, documents)
                    self._totals.recover(self._conn, start, stop - 1)
                    self._totals.rollups.add_observations(committed_observations(self._conn, start, stop))
                else:
                    if made_before:
                        for commit in commits:
                            self._search.write(self._conn, commit.documents or [])
                        record_indexed(self._conn, stop)
                    else:
                        index_committed(self._conn, self.codec, self._search, start, stop, documents)
                    self._notice_repricing()
                    states = _first_states(commits)
                    if any(commit.stale for commit in commits):  # re-priced, or observations replaced
                        self._totals.recompute(self._conn, sorted(states), commits[-1].mark)
                        # The recompute read the later commits' observations too: they must not add theirs again.
                        for later in list(self._window)[len(commits) :]:
                            later.stale = True
                    else:
                        self._totals.derive(self._conn, states, commits[-1].mark)
                    for commit in commits:
                        self._totals.rollups.merge(commit.rollups)
                flush_rollups(self._conn, self._totals.rollups)
        except SQLAlchemyError as exc:
            raise StorageError("deriving the search index and totals failed; it is retried") from exc
        for _ in commits:
            self._window.popleft()
        self._followed_below = stop
        if self._documents is not None:
            if stop >= self._committed_below:
                self._documents.stop_process()  # caught up: its memory back until the next long burst
            else:
                self._prefetch(max_seqs)
        return stop - start

    def _prefetch(self, max_seqs: int = FOLLOW_CHUNK) -> None:
        """Ask the document worker for the next steps' ranges that are complete: the commit after
        each is committed, so the step will take exactly that range (`_step_size`)."""
        worker = self._documents
        if worker is None or self._followed_below < self._recover_below or not self._window:
            return
        if time.monotonic() - self._window[0].at < self._documents_after_s and not worker.running():
            return  # a short burst: its steps come after it, on this thread
        start, first = self._followed_below, 0
        while True:
            taken = _step_size(self._window, first, start, max_seqs)
            if taken == 0 or first + taken >= len(self._window):
                return  # no commit, or the range may still grow
            stop = self._window[first + taken - 1].below
            if not self._documents_asked(worker, start, stop, first, taken):
                return
            start, first = stop, first + taken

    def _documents_asked(self, worker: DocumentWorker, start: int, stop: int, first: int, taken: int) -> bool:
        """Ask for [start, stop) unless it is asked already or made before the commit; False when
        the worker takes no more."""
        if worker.asked(start, stop):
            return True
        if not worker.wants():
            return False
        if all(self._window[i].documents is None for i in range(first, first + taken)):
            worker.prefetch(start, stop)
        return True

    def _write(self, items: Sequence[PreparedBatch]) -> None:
        # Another process may write the same projects to this PostgreSQL database: what follows
        # reads before it writes (stored spans, traces, totals, rollups), under their locks.
        lock_projects(self._conn, [batch.project_id for batch in items])
        plan, stored = self._plan_keys(items)
        parts: dict[str, tuple[int, Trace]] = {}
        for batch in items:
            for trace in batch.traces:
                key = plan.key_for_trace(batch.project_id, trace.id)
                part = trace if key == trace.id else replace(trace, id=key)
                seen = parts.get(key)
                parts[key] = (batch.project_id, part if seen is None else merge_trace(seen[1], part))
        stored.update(self._stored_traces([key for key in parts if not is_plain(key)]))  # rare: ids shared
        stored_spans = self._stored_span_ids([key for key in parts if key in stored])
        merges = TransactionMerges(self.codec, self.dialect)
        # The rollups' deltas of the stored rows: the batches' own (summed where they were prepared)
        # less their duplicates' cells, plus the cells of rows no batch summed (merged ones).
        added = RollupDeltas()
        observation_rows: list[dict[str, Any]] = []
        with_payload: list[tuple[dict[str, Any], Any]] = []
        with_document: list[tuple[dict[str, Any], str]] = []
        score_rows: list[dict[str, Any]] = []
        for batch in items:
            summed = batch.rollups is not None
            if summed:
                added.merge(batch.rollups)
            documents = batch.search_documents
            if len(documents) != len(batch.observation_rows):  # a batch made without documents
                documents = [None] * len(batch.observation_rows)
            for index, (row, payload, document) in enumerate(
                zip(batch.observation_rows, batch.payloads, documents, strict=True)
            ):
                row["trace_id"] = plan.key_for_trace(batch.project_id, row["trace_id"])
                key = (row["trace_id"], row["id"])
                if batch.observations is not None:  # Langfuse, LangSmith: a later write completes it
                    merges.add(batch, index, key, stored=key in stored_spans)
                    stored_spans.add(key)
                elif key in stored_spans:
                    batch.duplicate_ids.add(row["id"])  # a retry: stored once, accepted again
                    if summed:
                        added.add_observations([row], -1)
                else:
                    stored_spans.add(key)
                    observation_rows.append(row)
                    if not summed:
                        added.add_observations([row])
                    if payload is not None:
                        with_payload.append((row, payload))
                    if document is not None:
                        with_document.append((row, document))
            for row in batch.score_rows:
                if row["trace_id"] is not None:
                    row["trace_id"] = plan.key_for_score(batch.project_id, row["trace_id"])
                score_rows.append(row)
        for row, payload, document in merges.resolve(self._conn) if merges.by_key else ():
            observation_rows.append(row)
            added.add_observations([row])
            if payload is not None:
                with_payload.append((row, payload))
            if document is not None:
                with_document.append((row, document))
        mark = self._number(observation_rows) if parts or observation_rows or score_rows else None
        if mark is not None and not observation_rows:  # no seq holds this commit's mark: record it
            record_last_mark(self._conn, mark)
        # A replaced observation's cell leaves the rollups in this transaction (its row is deleted
        # here); the other deltas go where the totals are derived.
        at_once = RollupDeltas()
        if merges.replaced_seqs:  # after numbering: a replaced row's seq is never given again
            at_once.add_observations(merges.replaced_rows, -1)
            delete_replaced(self._conn, merges.replaced_seqs, self.dialect)
        trace_rows, traces = self._trace_rows(parts, stored, mark)
        self._upsert_traces.execute(self._conn, trace_rows)
        self._insert_observations.execute(self._conn, observation_rows)
        self._facets.write(self._conn, traces, observation_rows)
        documents = [{"s": row["seq"], "d": document} for row, document in with_document]
        if self.dialect == "sqlite":  # derived after the commit (`step`)
            if mark is not None:
                touched = _touched(traces, sum_parts(observation_rows))
                self._touched = _Committed(mark, touched, added, documents or None)
                # A replaced observation's old sums are in its trace's totals: recomputed at the step.
                self._touched.stale = bool(merges.replaced_traces)
        else:
            self._totals.rollups = added
            self._totals.write(self._conn, traces, observation_rows, mark)
            if merges.replaced_traces:
                assert mark is not None
                self._totals.recompute(self._conn, sorted(merges.replaced_traces), mark)
            self._search.write(self._conn, documents)
            at_once.merge(self._totals.rollups)
        self._insert_payloads.execute(
            self._conn, [{"observation_seq": row["seq"], "payload": payload} for row, payload in with_payload]
        )
        moved_scores = self._requalify_waiting_scores(plan)
        if score_rows:
            # With the commit's deltas (SQLite: written at the step; after a crash the underived
            # commits' scores are missing from the rollups until `rollups rebuild`, their rows are not).
            scored = added if self.dialect == "sqlite" else at_once
            scored.add_scores(stored_scores(self._conn, score_rows), -1)
            scored.add_scores(score_rows)
        flush_rollups(self._conn, at_once)
        self._upsert_scores.execute(self._conn, score_rows)
        if score_rows or moved_scores:
            assert mark is not None
            write_scores(self._conn, score_rows, moved_scores, mark)

    def _plan_keys(self, items: Sequence[PreparedBatch]) -> tuple[TraceKeyPlan, dict[str, Any]]:
        """Who owns each plain trace id this transaction names (one query, as before tenancy:
        the common case, a new trace or one of the sender's own, costs nothing more)."""
        wire_ids: set[str] = set()
        for batch in items:
            wire_ids.update(trace.id for trace in batch.traces)
            wire_ids.update(row["trace_id"] for row in batch.score_rows if row["trace_id"] is not None)
        stored = self._stored_traces([wire_id for wire_id in wire_ids if is_plain(wire_id)])
        plan = TraceKeyPlan({key: row.project_id for key, row in stored.items()})
        return plan, stored

    def _trace_rows(
        self, parts: dict[str, tuple[int, Trace]], stored: dict[str, Any], mark: int | None
    ) -> tuple[list[dict[str, Any]], TransactionTraces]:
        """Merged trace rows, and what their `trace_facets` need (by storage key: each (project,
        storage key) trace has its own facets). `timestamp_seq` moves to this commit's mark when
        the trace is new or its timestamp moved earlier: the trace list's cursor leaves such traces
        out of later pages. The same move re-keys the trace's facet rows."""
        now = datetime.now(UTC)
        rows = []
        traces = TransactionTraces()
        for key, (project_id, part) in parts.items():
            existing = stored.get(key)
            created_at, seq = None, mark
            new_tags = part.tags
            if existing is not None:
                traces.stored[key] = existing
                part = merge_trace(row_to_trace(existing), part)
                created_at = self.codec.time(existing.created_at)
                old_tags = list(existing.tags or [])
                if part.timestamp >= existing.timestamp:
                    seq = existing.timestamp_seq
                    new_tags = [tag for tag in part.tags if tag not in old_tags]  # the others have rows
                else:
                    traces.moved[key] = (existing.timestamp, old_tags)
                    new_tags = part.tags
            row = trace_to_row(project_id, part, self.codec, created_at, now, seq)
            row["changed_seq"] = mark or 0  # what a recovery after a crash finds (`trace_totals.recover`)
            traces.keys[key] = (project_id, row["timestamp"])
            traces.merged[key] = part
            if new_tags:
                traces.new_tags[key] = new_tags
            rows.append(row)
        return rows, traces

    def _number(self, observation_rows: list[dict[str, Any]]) -> int:
        """Give each new observation its seq, in commit order; returns this commit's mark: its
        first seq (reserved even when there are no rows), above every seq committed before."""
        count = max(1, len(observation_rows))
        if self.dialect == "postgresql":
            seqs = list(
                self._conn.exec_driver_sql(
                    "SELECT nextval('observation_seq') FROM generate_series(1, %(n)s)", {"n": count}
                ).scalars()
            )
        else:
            # Above what earlier commits reserved too: a commit that stored no observation (a
            # client's retry) reserved a seq no row holds, and the follower may be past it already.
            first = max(self._next_seq(), self._committed_below)
            seqs = list(range(first, first + count))
            self._numbered_below = first + count
        for row, seq in zip(observation_rows, seqs, strict=False):
            row["seq"] = seq
        return min(seqs)

    def _next_seq(self) -> int:
        """SQLite: the writer holds the write lock from BEGIN IMMEDIATE, so the highest mark stays ours."""
        return highest_mark(self._conn) + 1

    def oldest_unfollowed(self) -> float | None:
        if self._followed_below < self._recover_below:
            return self._started  # left by the previous process
        return self._window[0].at if self._window else None

    def _notice_repricing(self) -> None:
        """`costs recompute` (any process) counts its runs in `search_progress`: the sums the
        window's commits kept were priced before it, so they are read back instead."""
        repricings = repricing_count(self._conn)
        if repricings != self._repricings:
            self._repricings = repricings
            for commit in self._window:
                commit.stale = True

    def catch_up(self, on_step: Callable[[int], None] | None = None) -> int:
        """Follow everything committed (the demo's end, tests); `on_step` gets each step's seqs.
        Returns the seqs covered."""
        covered = 0
        while self.followed() < self.committed():
            stepped = self.step()
            covered += stepped
            if on_step is not None:
                on_step(stepped)
        return covered

    def _requalify_waiting_scores(self, plan: TraceKeyPlan) -> list[tuple[int, str, str]]:
        """Scores sent before their trace wait under the wire id. When a project first stores that
        id as its plain key, other projects' waiting scores move to their own qualified key, so
        that `scores.trace_id = traces.id` never joins a score to another project's trace.
        Returns the moves: (project id, old key, new key)."""
        table = tables.scores
        claimed = plan.claimed
        moves: list[dict[str, Any]] = []
        moved_from: list[str] = []
        for start in range(0, len(claimed), ID_CHUNK):
            query = select(table.c.project_id, table.c.id, table.c.trace_id).where(
                table.c.trace_id.in_(claimed[start : start + ID_CHUNK])
            )
            for project_id, score_id, trace_id in self._conn.execute(query):
                if plan.owner(trace_id) != project_id:
                    moves.append({"p": project_id, "i": score_id, "k": qualified_key(project_id, trace_id)})
                    moved_from.append(trace_id)
        if moves:
            self._conn.execute(
                update(table)
                .where(table.c.project_id == bindparam("p"), table.c.id == bindparam("i"))
                .values(trace_id=bindparam("k")),
                moves,
            )
        return sorted({(move["p"], wire_id, move["k"]) for move, wire_id in zip(moves, moved_from, strict=True)})

    def _stored_span_ids(self, trace_keys: list[str]) -> set[tuple[str, str]]:
        """(trace key, span id) already stored for these traces. Only traces that existed before this
        transaction can hold them, so the common case (a new trace) costs no query."""
        table = tables.observations
        found: set[tuple[str, str]] = set()
        for start in range(0, len(trace_keys), ID_CHUNK):
            query = select(table.c.trace_id, table.c.id).where(
                table.c.trace_id.in_(trace_keys[start : start + ID_CHUNK])
            )
            found.update((trace_id, span_id) for trace_id, span_id in self._conn.execute(query))
        return found

    def _stored_traces(self, keys: list[str]) -> dict[str, Any]:
        table = tables.traces
        query = table.select().with_for_update() if self.dialect == "postgresql" else table.select()
        stored: dict[str, Any] = {}
        for start in range(0, len(keys), ID_CHUNK):
            for row in self._conn.execute(query.where(table.c.id.in_(keys[start : start + ID_CHUNK]))):
                stored[row.id] = row
        return stored

    def _pragma(self, setting: str) -> None:
        # On the DB-API connection: through SQLAlchemy it would open a transaction (autobegin).
        self._conn.connection.dbapi_connection.execute(f"PRAGMA {setting}")  # type: ignore[union-attr]

    def close(self) -> None:
        if self._conn.closed:
            return
        if self.dialect == "sqlite":
            self._pragma("wal_autocheckpoint=1000")  # the pooled connection lives on
        self._conn.close()
        if self._documents is not None:
            self._documents.close()
        if self._checkpointer is not None:
            self._checkpointer.stop()
        if self._lease is not None:
            self._lease.release()


def count_rows(database: Database, table_name: str) -> int:
    """Rows in one of our tables; for `doctor`, tests and benchmarks. Blocks."""
    table = tables.metadata.tables[table_name]
    with database.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def derive_to_end(conn: Connection) -> None:
    """Derive everything committed above the mark, in `conn`'s transaction (a migration's): what a
    writer restarted after a crash does first (SQLite)."""
    install_stored_dictionaries(conn)
    start = indexed_below(conn)
    stop = (conn.execute(select(func.max(tables.observations.c.seq))).scalar() or 0) + 1
    if stop > start:
        index_committed(conn, ValueCodec("sqlite"), SearchWriter("sqlite"), start, stop)
        TotalsWriter(conn.dialect).recover(conn, start, stop - 1)
