"""Per-trace totals, per-trace score values and per-session / per-user rollups, kept by the writer.

The trace list sorts by latency, tokens, cost, level, name, tags and scores and filters on cost,
latency and scores; the sessions and users lists page through groups of traces. Summing
observations at read time for that costs a scan of every trace (a sort needs every trace's sum
before the first row), so the sums are stored where the rows they derive from are written, in the
same transaction:

- `trace_totals`: one row per trace, keyed like `trace_facets` by the trace's (project, timestamp,
  storage key): a new trace appends, and when a late span moves a trace's timestamp earlier its row
  is re-keyed (deleted under the old timestamp, written under the new one). A later part of a
  stored trace adds its new observations to the stored sums (read back once per commit, and only
  for traces that existed before it: a new trace costs no read). Re-sent spans are not in
  `observation_rows` (the writer drops them first), so a retry adds nothing.
- `trace_scores`: per (trace, score name) the mean of its numeric and boolean scores, rebuilt from
  `scores` for each trace a commit's scores name (scores may arrive before their trace: the row
  waits under the key the score waits under, and follows it when `writer.py` re-qualifies it).
- `group_rollups`: per user, all-time sums of their traces' totals, kept by adding
  each commit's deltas in one upsert. A trace that leaves a user (its user changed) makes the
  writer recount that user from `trace_totals`; a trace whose timestamp moved earlier makes it
  re-read the user's first and last timestamps from the traces' (project, user, timestamp) index
  (two index lookups). Sessions have no row: their list sums their few traces when shown.

`costs recompute` changes costs of stored observations: `refresh_costs` recomputes the totals of
the traces it touched and adds the differences to their groups.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import and_, bindparam, case, delete, func, insert, literal, select, text, tuple_, update
from sqlalchemy.engine import Connection, Dialect

from theodolite.model.rollup_cells import LEVELS, level_name
from theodolite.storage import tables
from theodolite.storage.bulk import BulkInsert
from theodolite.storage.codec import ValueCodec
from theodolite.storage.facets import TransactionTraces
from theodolite.storage.rollups import RollupDeltas, flush_rollups
from theodolite.storage.search import count_repricing, indexed_below
from theodolite.storage.upserts import insert_adding, insert_replacing

tt = tables.trace_totals
ts = tables.trace_scores
g = tables.group_rollups
t = tables.traces
o = tables.observations
s = tables.scores

ID_CHUNK = 500
SORT_KEY_CHARS = 200  # name and tags sort keys: a PostgreSQL B-tree entry must stay under ~2,700 bytes
LEVEL_RANK = {name: rank for rank, name in enumerate(LEVELS)}  # DEBUG 0, DEFAULT 1, WARNING 2, ERROR 3
NOT_BILLED = "not_billed"
UNPRICED = "unpriced"
# Users only: a session is short, and its list sums its few traces when shown (`storage/sql/queries/groups.py`);
# a row per session cost the writer two random-order inserts per new session.
GROUPS = (("user", "user_id"),)
# Sums that add up across observations, traces and groups.
COUNTS = (
    "observation_count", "input_tokens", "output_tokens", "total_tokens", "priced_count", "saved_count",
    "unpriced_count", "not_billed_count", "error_count",
)  # fmt: skip


class Sums:
    """Totals of some observations, values encoded for one engine (`ValueCodec`): costs are floats
    on SQLite and Decimals on PostgreSQL, times text on SQLite (in time order) and datetimes."""

    __slots__ = (*COUNTS, "cost", "saved", "first_start", "last_end", "level_rank", "models")

    def __init__(self) -> None:
        for name in COUNTS:
            setattr(self, name, 0)
        self.cost: Any = None  # None when priced_count == 0
        self.saved: Any = None  # None when saved_count == 0
        self.first_start: Any = None
        self.last_end: Any = None
        self.level_rank = 0
        self.models: frozenset[str] = frozenset()  # response and requested models

    def add_observation(self, row: dict[str, Any]) -> None:
        """One observation row as the writer inserts it. Runs once per span on the writer thread."""
        self.observation_count += 1
        self.input_tokens += row["prompt_tokens"] or 0
        self.output_tokens += row["completion_tokens"] or 0
        self.total_tokens += row["total_tokens"] or 0
        status = row["cost_status"]
        if status == NOT_BILLED:
            self.not_billed_count += 1
        else:
            cost = row["calculated_total_cost"]
            if cost is None:
                cost = row["total_cost"]
            if cost is not None:
                self.cost = cost if self.cost is None else self.cost + cost
                self.priced_count += 1
            if status == UNPRICED:
                self.unpriced_count += 1
        saved = row["saved_cost"]
        if saved is not None:
            self.saved = saved if self.saved is None else self.saved + saved
            self.saved_count += 1
        level = row["level"]
        if level == "ERROR":
            self.error_count += 1
        rank = LEVEL_RANK.get(level, 1)
        if rank > self.level_rank:
            self.level_rank = rank
        model, requested = row["model"], row["request_model"]
        if model is not None or requested is not None:
            self.models = shared_models(self.models.union(value for value in (model, requested) if value is not None))
        start, end = row["start_time"], row["end_time"]
        if self.first_start is None or start < self.first_start:
            self.first_start = start
        if end is not None and (self.last_end is None or end > self.last_end):
            self.last_end = end

    def merged(self, other: Sums) -> Sums:
        result = Sums()
        for name in COUNTS:
            setattr(result, name, getattr(self, name) + getattr(other, name))
        result.cost = _plus(self.cost, other.cost)
        result.saved = _plus(self.saved, other.saved)
        result.first_start = _extreme(min, self.first_start, other.first_start)
        result.last_end = _extreme(max, self.last_end, other.last_end)
        result.level_rank = max(self.level_rank, other.level_rank)
        result.models = shared_models(self.models | other.models)
        return result

    def latency_s(self) -> float | None:
        first, last = self.first_start, self.last_end
        if first is None or last is None:
            return None
        if isinstance(first, str):  # SQLite's text
            first, last = datetime.fromisoformat(first), datetime.fromisoformat(last)
        return (last - first).total_seconds()

    @classmethod
    def from_row(cls, row: Any, codec: ValueCodec) -> Sums:
        """A `trace_totals` row read through SQLAlchemy (decoded), encoded again."""
        sums = cls()
        for name in COUNTS:
            setattr(sums, name, getattr(row, name))
        sums.cost, sums.saved = codec.money(row.total_cost), codec.money(row.saved_cost)
        sums.first_start, sums.last_end = codec.time(row.first_start), codec.time(row.last_end)
        sums.level_rank = row.level_rank
        sums.models = frozenset(row.models.strip("|").split("|")) if row.models else frozenset()
        return sums


_MODEL_SETS: dict[frozenset[str], frozenset[str]] = {}
MODEL_SETS_KEPT = 4_096


def shared_models(models: frozenset[str]) -> frozenset[str]:
    """One object for equal sets of models: the writer keeps a set per trace until the step
    (`Touched`), and most traces share a few (216 bytes each otherwise)."""
    found = _MODEL_SETS.get(models)
    if found is None:
        if len(_MODEL_SETS) >= MODEL_SETS_KEPT:
            _MODEL_SETS.clear()
        found = _MODEL_SETS[models] = models
    return found


def _plus(a: Any, b: Any) -> Any:
    return b if a is None else a if b is None else a + b


def _extreme(pick: Any, a: Any, b: Any) -> Any:
    return b if a is None else a if b is None else pick(a, b)


def models_key(models: frozenset[str]) -> str | None:
    """`trace_totals.models`: "|a|b|", sorted, so that a filter is one substring test per row."""
    return "|" + "|".join(sorted(models)) + "|" if models else None


def sort_key(value: str | None) -> str | None:
    return value[:SORT_KEY_CHARS] if value else None


def tags_key(tags: Sequence[str]) -> str | None:
    return sort_key(", ".join(tags)) if tags else None


def totals_row(project_id: int, timestamp: Any, key: str, sums: Sums, trace: Any, mark: int) -> dict[str, Any]:
    return {
        "project_id": project_id,
        "timestamp": timestamp,
        "trace_id": key,
        "changed_seq": mark,
        "user_id": trace.user_id,
        "name_key": sort_key(trace.name),
        "tags_key": tags_key(trace.tags),
        "first_start": sums.first_start,
        "last_end": sums.last_end,
        "latency_s": sums.latency_s(),
        **{name: getattr(sums, name) for name in COUNTS},
        "total_cost": sums.cost,
        "saved_cost": sums.saved,
        "level_rank": sums.level_rank,
        "models": models_key(sums.models),
        "release": trace.release,
        "version": trace.version,
        "environment": trace.environment,
        "tags": codec_tags(trace.tags),
    }


def codec_tags(tags: Any) -> list[str]:
    """As `traces.tags` holds them; `TotalsWriter` encodes them for its engine (`ValueCodec.json`)."""
    return list(tags or ())


def rollup_dims(trace: Any, sums: Sums) -> dict[str, Any]:
    """The dimensions a trace counts under in the rollups (`storage/rollups.py`)."""
    return {
        "name": sort_key(trace.name), "release": trace.release, "version": trace.version,
        "environment": trace.environment, "level": level_name(sums.level_rank), "user": trace.user_id,
    }  # fmt: skip


class GroupDeltas:
    """What one transaction adds to `group_rollups`, summed per group before one upsert."""

    def __init__(self, mark: int) -> None:
        self.mark = mark
        self.rows: dict[tuple[int, str, str], dict[str, Any]] = {}
        self.rebound: set[tuple[int, str, str]] = set()  # first/last seen to re-read
        self.recount: set[tuple[int, str, str]] = set()  # to recount from trace_totals

    def add(self, group: tuple[int, str, str], sums: Sums, timestamp: Any, traces: int) -> None:
        row = self.rows.get(group)
        if row is None:
            project_id, kind, key = group
            row = self.rows[group] = {
                "project_id": project_id, "kind": kind, "key": key, "first_seen": timestamp, "last_seen": timestamp,
                "changed_seq": self.mark, "trace_count": 0, "cost_sum": 0, "saved_sum": 0,
                **dict.fromkeys(COUNTS, 0),
            }  # fmt: skip
        else:
            row["first_seen"] = min(row["first_seen"], timestamp)
            row["last_seen"] = max(row["last_seen"], timestamp)
        row["trace_count"] += traces
        for name in COUNTS:
            row[name] += getattr(sums, name)
        if sums.cost is not None:
            row["cost_sum"] += sums.cost
        if sums.saved is not None:
            row["saved_sum"] += sums.saved


def sum_parts(observation_rows: Iterable[dict[str, Any]]) -> dict[str, Sums]:
    """Per trace key, the sums of these observation rows (as the writer inserts them)."""
    parts: dict[str, Sums] = {}
    for row in observation_rows:
        sums = parts.get(row["trace_id"])
        if sums is None:
            sums = parts[row["trace_id"]] = Sums()
        sums.add_observation(row)
    return parts


class TraceState(NamedTuple):
    """What the totals keep of a trace (`totals_row`): less to hold than the whole model."""

    timestamp: Any
    name: str | None
    tags: list[str]
    user_id: str | None
    release: str | None
    version: str | None
    environment: str | None


@dataclass(slots=True)
class Touched:
    """A trace as commits not derived yet wrote it (SQLite, `writer.py`): its project, every
    timestamp they saw it with, whether it existed before the first of them (only then can it have
    a totals row), its merged state after the last of them and the sums of their observations."""

    project_id: int
    whens: tuple[Any, ...]  # distinct; a tuple, not a set: 56 bytes against 216 for each trace kept
    existed: bool
    trace: Any
    sums: Sums

    def copy(self) -> Touched:
        return Touched(self.project_id, self.whens, self.existed, self.trace, self.sums)

    def then(self, later: Touched) -> None:
        """Add what a later commit did to the trace."""
        self.whens += tuple(when for when in later.whens if when not in self.whens)
        self.trace = later.trace
        self.sums = self.sums.merged(later.sums)


class TotalsWriter:
    """Used by the ingest writer inside its transaction. Not thread-safe (one writer thread)."""

    def __init__(self, dialect: Dialect) -> None:
        self.codec = ValueCodec(dialect.name)
        self._upsert = BulkInsert(tt, insert_replacing(tt, dialect.name, keep=()), dialect)
        self._add = BulkInsert(g, group_adding(dialect.name), dialect)
        # What the totals change in the trace cubes of the rollups; the writer flushes it.
        self.rollups = RollupDeltas()

    def write(
        self, conn: Connection, traces: TransactionTraces, observation_rows: list[dict[str, Any]], mark: int | None
    ) -> None:
        if not traces.keys:
            return
        assert mark is not None  # the writer numbers every transaction that has traces
        before = self._stored(conn, traces) if traces.stored else {}
        self._write_sums(conn, traces, sum_parts(observation_rows), before, mark)

    def _write_sums(
        self, conn: Connection, traces: TransactionTraces, parts: dict[str, Sums], before: dict[str, Any], mark: int
    ) -> None:
        """`parts`: what the new observations add per trace; `before`: the stored totals rows of the
        traces in `traces.stored`."""
        deltas = GroupDeltas(mark)
        rows = []
        encode_tags = self.codec.json
        for key, (project_id, timestamp) in traces.keys.items():
            trace = traces.merged[key]
            part = parts.get(key) or Sums()
            old_row = before.get(key)
            old = None if old_row is None else Sums.from_row(old_row, self.codec)
            sums = part if old is None else old.merged(part)
            row = totals_row(project_id, timestamp, key, sums, trace, mark)
            row["tags"] = encode_tags(row["tags"])
            rows.append(row)
            if old_row is not None:
                self.rollups.add_trace_row(old_row, -1)
            self.rollups.add_trace(project_id, timestamp, rollup_dims(trace, sums), trace.tags, sums)
            stored = traces.stored.get(key)
            for kind, column in GROUPS:
                new_group = getattr(trace, column)
                old_group = getattr(stored, column) if stored is not None else None
                if new_group is not None:
                    group = (project_id, kind, new_group)
                    if stored is not None and old is not None and old_group == new_group:
                        deltas.add(group, part, timestamp, 0)
                        if key in traces.moved:
                            deltas.rebound.add(group)
                    else:
                        deltas.add(group, sums, timestamp, 1)
                if old_group is not None and old_group != new_group:
                    deltas.recount.add((project_id, kind, old_group))
        moved = [(traces.keys[key][0], old_timestamp, key) for key, (old_timestamp, _) in traces.moved.items()]
        for chunk in _by_project(moved):
            conn.execute(delete(tt).where(_totals_keys(chunk)))
        self._upsert.execute(conn, rows)
        self._add.execute(conn, list(deltas.rows.values()))
        rebound(conn, deltas.rebound - deltas.recount)
        recount(conn, deltas.recount, mark)

    def _stored(self, conn: Connection, traces: TransactionTraces) -> dict[str, Any]:
        """The stored totals rows of the traces that existed before this transaction."""
        keys = [(traces.keys[key][0], row.timestamp, key) for key, row in traces.stored.items()]
        found: dict[str, Any] = {}
        for chunk in _by_project(keys):
            query = select(tt).where(_totals_keys(chunk))
            for row in conn.execute(query):
                found[row.trace_id] = row
        return found

    # -- SQLite: derived after the ingest commit (`writer.py`, `search.py`) ----------------------

    def derive(self, conn: Connection, touched: dict[str, Touched], mark: int) -> None:
        """The totals of some commits: `touched` holds what they did to each trace they wrote, as
        the writer kept it at commit (`Touched`). What a trace was before is its stored totals row
        (sums, user, timestamp: it was derived, if at all, while the trace had one of the timestamps
        the commits saw). Then as in the ingest transaction."""
        traces = TransactionTraces()
        keys = sorted(touched)
        derived = self._derived_rows(conn, {key: touched[key] for key in keys if touched[key].existed})
        before: dict[str, Any] = {}
        for key in keys:
            trace = touched[key].trace
            traces.keys[key] = (touched[key].project_id, self.codec.time(trace.timestamp))
            traces.merged[key] = trace
            stored = derived.get(key)
            if stored is not None:
                traces.stored[key] = stored
                before[key] = stored
                if stored.timestamp != trace.timestamp:
                    traces.moved[key] = (stored.timestamp, [])
        self._write_sums(conn, traces, {key: touched[key].sums for key in keys}, before, mark)

    def _derived_rows(self, conn: Connection, touched: dict[str, Touched]) -> dict[str, Any]:
        """The stored `trace_totals` rows of these traces: two IN lists per project, as
        `_totals_keys`."""
        triples = [(state.project_id, when, key) for key, state in touched.items() for when in state.whens]
        found: dict[str, Any] = {}
        # Small chunks: SQLite probes every (timestamp, key) pair of the two IN lists.
        for chunk in _by_project(triples, DERIVED_CHUNK):
            for row in conn.execute(select(tt).where(_totals_keys(chunk))):
                found[row.trace_id] = row
        return found

    def recover(self, conn: Connection, start: int, mark: int) -> None:
        """After a crash: the commits with seqs from `start` on are stored, their totals maybe not,
        and what their traces were before them is gone. So their traces' totals are recomputed from
        all their observations and the projects' users recounted from the totals. Rare, slow (it
        scans `traces` and `trace_totals`)."""
        keys = [key for (key,) in conn.execute(select(t.c.id).where(t.c.changed_seq >= start))]
        self.recompute(conn, keys, mark)

    def recompute(self, conn: Connection, keys: list[str], mark: int) -> None:
        """These traces' totals from all their observations, and their projects' users from the
        totals: after a crash, and for commits `costs recompute` re-priced before they were
        derived (the prices of earlier parts changed too, under a timestamp it may not have found)."""
        current = self._current_traces(conn, keys)
        traces = TransactionTraces()
        rows: list[dict[str, Any]] = []
        for chunk_start in range(0, len(keys), ID_CHUNK):
            chunk = keys[chunk_start : chunk_start + ID_CHUNK]
            for old_row in conn.execute(select(tt).where(tt.c.trace_id.in_(chunk))):
                self.rollups.add_trace_row(old_row, -1)  # what the rollups hold of it
            conn.execute(delete(tt).where(tt.c.trace_id.in_(chunk)))
            found = conn.execute(_OBSERVATIONS_OF.bindparams(bindparam("keys", expanding=True)), {"keys": chunk})
            rows += [dict(r._mapping) for r in found]
        for key in keys:
            row = current[key]
            traces.keys[key] = (row.project_id, self.codec.time(row.timestamp))
            traces.merged[key] = row
        self.write(conn, traces, rows, mark)
        for project_id in {row.project_id for row in current.values()}:
            for kind, column in GROUPS:
                conn.execute(delete(g).where(g.c.project_id == project_id, g.c.kind == kind))
                query = group_sums_select(kind, column, mark).where(t.c.project_id == project_id)
                conn.execute(insert(g).from_select(GROUP_COLUMNS, query))

    def _current_traces(self, conn: Connection, keys: list[str]) -> dict[str, Any]:
        found: dict[str, Any] = {}
        columns = (
            t.c.id, t.c.project_id, t.c.timestamp, t.c.name, t.c.tags, t.c.user_id, t.c.release, t.c.version,
            t.c.environment,
        )  # fmt: skip
        for chunk_start in range(0, len(keys), ID_CHUNK):
            for row in conn.execute(select(*columns).where(t.c.id.in_(keys[chunk_start : chunk_start + ID_CHUNK]))):
                found[row.id] = row
        return found


# The observation columns `Sums.add_observation` reads, as stored (SQLite: times as text, costs as
# floats: what the writer wrote), by trace.
_SUMMED = (
    "trace_id", "prompt_tokens", "completion_tokens", "total_tokens", "cost_status", "calculated_total_cost",
    "total_cost", "saved_cost", "level", "start_time", "end_time", "model", "request_model",
)  # fmt: skip
_OBSERVATIONS_OF = text(f"SELECT {', '.join(_SUMMED)} FROM observations WHERE trace_id IN :keys")
DERIVED_CHUNK = 50


def _by_project(keys: list[tuple[int, Any, str]], size: int = ID_CHUNK) -> Iterable[list[tuple[int, Any, str]]]:
    """(project, timestamp, key) triples in chunks of one project each."""
    projects: dict[int, list[tuple[int, Any, str]]] = {}
    for key in keys:
        projects.setdefault(key[0], []).append(key)
    for triples in projects.values():
        for start in range(0, len(triples), size):
            yield triples[start : start + size]


def _totals_keys(chunk: list[tuple[int, Any, str]]) -> Any:
    """These rows of one project: two IN lists, not an IN of (timestamp, key) pairs, which SQLite
    answers with a scan. A key is one trace with one row, so the cross product matches no other."""
    return and_(
        tt.c.project_id == chunk[0][0],
        tt.c.timestamp.in_({when for _, when, _ in chunk}),
        tt.c.trace_id.in_([key for _, _, key in chunk]),
    )


def group_adding(dialect_name: str) -> Any:
    sums = ("trace_count", *COUNTS, "cost_sum", "saved_sum")
    return insert_adding(g, dialect_name, add=sums, least=("first_seen",), greatest=("last_seen",))


def rebound(conn: Connection, groups: Iterable[tuple[int, str, str]]) -> None:
    """Re-read the first and last timestamps of these groups from their traces (index lookups)."""
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for project_id, kind, key in groups:
        by_kind.setdefault(kind, []).append({"b_project": project_id, "b_key": key})
    for kind, column in GROUPS:
        if kind not in by_kind:
            continue
        mine = and_(t.c.project_id == bindparam("b_project"), t.c[column] == bindparam("b_key"))
        statement = (
            update(g)
            .where(g.c.project_id == bindparam("b_project"), g.c.kind == kind, g.c.key == bindparam("b_key"))
            .values(
                first_seen=select(func.min(t.c.timestamp)).where(mine).scalar_subquery(),
                last_seen=select(func.max(t.c.timestamp)).where(mine).scalar_subquery(),
            )
        )
        conn.execute(statement, by_kind[kind])


def group_sums_select(kind: str, column: str, mark: Any) -> Any:
    """SELECT the `group_rollups` columns of every group of `kind`, summed from trace_totals (filter
    it with `.where`). The migration's backfill is the same query."""
    joined = t.join(
        tt, and_(tt.c.project_id == t.c.project_id, tt.c.timestamp == t.c.timestamp, tt.c.trace_id == t.c.id)
    )
    return (
        select(
            t.c.project_id,
            literal(kind).label("kind"),
            t.c[column].label("key"),
            func.min(t.c.timestamp).label("first_seen"),
            func.max(t.c.timestamp).label("last_seen"),
            literal(mark).label("changed_seq"),
            func.count().label("trace_count"),
            *(func.sum(tt.c[name]).label(name) for name in COUNTS),
            func.coalesce(func.sum(tt.c.total_cost), 0).label("cost_sum"),
            func.coalesce(func.sum(tt.c.saved_cost), 0).label("saved_sum"),
        )
        .select_from(joined)
        .where(t.c[column].is_not(None))
        .group_by(t.c.project_id, t.c[column])
    )


GROUP_COLUMNS = [
    "project_id", "kind", "key", "first_seen", "last_seen", "changed_seq", "trace_count", *COUNTS, "cost_sum",
    "saved_sum",
]  # fmt: skip


def recount(conn: Connection, groups: Iterable[tuple[int, str, str]], mark: int) -> None:
    """Recompute these groups from their traces' totals (a trace left them: rare)."""
    for project_id, kind, key in groups:
        column = dict(GROUPS)[kind]
        conn.execute(delete(g).where(g.c.project_id == project_id, g.c.kind == kind, g.c.key == key))
        query = group_sums_select(kind, column, mark).where(t.c.project_id == project_id, t.c[column] == key)
        conn.execute(insert(g).from_select(GROUP_COLUMNS, query))


def write_scores(
    conn: Connection, score_rows: list[dict[str, Any]], moved: list[tuple[int, str, str]], mark: int
) -> None:
    """Rebuild `trace_scores` for every trace these score rows name, and for the waiting scores the
    writer moved (project, old key, new key), from `scores` (already written)."""
    affected = {(row["project_id"], row["trace_id"]) for row in score_rows if row["trace_id"] is not None}
    for project_id, old_key, new_key in moved:
        affected.update(((project_id, old_key), (project_id, new_key)))
    keys = sorted(affected)
    for start in range(0, len(keys), ID_CHUNK):
        chunk = keys[start : start + ID_CHUNK]
        for project_id in {project_id for project_id, _ in chunk}:
            mine = [key for project, key in chunk if project == project_id]
            conn.execute(delete(ts).where(ts.c.project_id == project_id, ts.c.trace_id.in_(mine)))
        values = (
            select(s.c.project_id, s.c.trace_id, s.c.name, func.avg(s.c.value), func.count(s.c.value), literal(mark))
            .where(s.c.trace_id.in_({key for _, key in chunk}), tuple_(s.c.project_id, s.c.trace_id).in_(chunk))
            .where(s.c.value.is_not(None))
            .group_by(s.c.project_id, s.c.trace_id, s.c.name)
        )
        columns = ["project_id", "trace_id", "name", "value", "score_count", "changed_seq"]
        conn.execute(insert(ts).from_select(columns, values))


_COST_SUMS = ("total_cost", "priced_count", "saved_cost", "saved_count", "unpriced_count", "not_billed_count")


def refresh_costs(conn: Connection, dialect: Dialect, trace_keys: Iterable[str]) -> None:
    """After stored observations were re-priced: recompute these traces' cost totals from their
    observations and add the differences to their sessions and users."""
    codec = ValueCodec(dialect.name)
    keys = sorted(set(trace_keys))
    rollup_deltas = RollupDeltas()
    billed = func.coalesce(o.c.calculated_total_cost, o.c.total_cost)
    # SQLite derives totals after the commit: observations above the mark are not in them yet, and
    # the step that derives them adds their (re-priced) costs itself.
    derived = []
    if dialect.name == "sqlite":
        derived.append(o.c.seq < indexed_below(conn))
        count_repricing(conn)  # the writer's kept sums of later observations are stale now
    for start in range(0, len(keys), ID_CHUNK):
        chunk = keys[start : start + ID_CHUNK]
        joined = tt.join(
            t, and_(t.c.id == tt.c.trace_id, t.c.project_id == tt.c.project_id, t.c.timestamp == tt.c.timestamp)
        )
        stored = {
            row.trace_id: row
            for row in conn.execute(
                select(tt, t.c.user_id, t.c.session_id).select_from(joined).where(t.c.id.in_(chunk))
            )
        }
        fresh = conn.execute(
            select(
                o.c.trace_id,
                func.sum(_unless_not_billed(billed)).label("total_cost"),
                func.count(_unless_not_billed(billed)).label("priced_count"),
                func.sum(o.c.saved_cost).label("saved_cost"),
                func.count(o.c.saved_cost).label("saved_count"),
                func.sum(_is(o.c.cost_status, UNPRICED)).label("unpriced_count"),
                func.sum(_is(o.c.cost_status, NOT_BILLED)).label("not_billed_count"),
            )
            .where(o.c.trace_id.in_(chunk), *derived)
            .group_by(o.c.trace_id)
        ).all()
        updates, deltas = [], []
        for row in fresh:
            old = stored.get(row.trace_id)
            if old is None or all(getattr(row, name) == getattr(old, name) for name in _COST_SUMS):
                continue
            rollup_deltas.add_trace_row(old, -1)
            rollup_deltas.add_trace_row(_Overridden(old, {name: getattr(row, name) or 0 for name in _COST_SUMS}))
            updates.append({"b_" + name: getattr(row, name) for name in _COST_SUMS} | {
                "b_project": old.project_id, "b_timestamp": old.timestamp, "b_trace": old.trace_id,
            })  # fmt: skip
            delta = Sums()
            delta.priced_count = row.priced_count - old.priced_count
            delta.saved_count = row.saved_count - old.saved_count
            delta.unpriced_count = int(row.unpriced_count or 0) - old.unpriced_count
            delta.not_billed_count = int(row.not_billed_count or 0) - old.not_billed_count
            delta.cost = codec.money((row.total_cost or 0) - (old.total_cost or 0))
            delta.saved = codec.money((row.saved_cost or 0) - (old.saved_cost or 0))
            when = codec.time(old.timestamp)
            for kind, column in GROUPS:
                key = getattr(old, column)
                if key is not None:
                    deltas.append((old.project_id, kind, key, delta, when))
        if updates:
            conn.execute(
                update(tt)
                .where(
                    tt.c.project_id == bindparam("b_project"),
                    tt.c.timestamp == bindparam("b_timestamp"),
                    tt.c.trace_id == bindparam("b_trace"),
                )
                .values({name: bindparam("b_" + name) for name in _COST_SUMS}),
                updates,
            )
        group_deltas = GroupDeltas(0)
        for project_id, kind, key, delta, when in deltas:
            group_deltas.add((project_id, kind, key), delta, when, 0)
        rows = list(group_deltas.rows.values())
        if rows:
            # Repricing does not move a group in the lists' order: keep its changed_seq.
            _add_keeping_seq(conn, dialect, rows)
    flush_rollups(conn, rollup_deltas)


def _add_keeping_seq(conn: Connection, dialect: Dialect, rows: list[dict[str, Any]]) -> None:
    for row in rows:
        row["changed_seq"] = 0
    statement = insert_adding(
        g,
        dialect.name,
        add=("trace_count", *COUNTS, "cost_sum", "saved_sum"),
        least=("first_seen",),
        greatest=("last_seen", "changed_seq"),
    )
    BulkInsert(g, statement, dialect).execute(conn, rows)


def _unless_not_billed(value: Any) -> Any:
    return case((o.c.cost_status != NOT_BILLED, value))


def _is(column: Any, value: str) -> Any:
    return case((column == value, 1), else_=0)


class _Overridden:
    """A row with some values replaced (a trace's totals after re-pricing, for its rollup cells)."""

    def __init__(self, row: Any, values: dict[str, Any]) -> None:
        self._row, self._values = row, values

    def __getattr__(self, name: str) -> Any:
        return self._values[name] if name in self._values else getattr(self._row, name)
