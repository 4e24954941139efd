"""`trace_facets`: the models, levels and tags of each trace, keyed for the list API's filters.

A filter on something observations carry (`model`, `level`) asks "traces, newest first, with some
observation that has X". Read from `observations` that is either a probe per trace (fast when X is
common, a scan of every trace when X is rare) or a scan of observations by time (the reverse); a
tag inside the traces' JSON array has the same problem (a rare tag reads every trace). One row per
(trace, value) keyed (project, kind, value, trace timestamp, trace id) answers both: the matching
traces are one index range, already in the list's order. The trace id is the storage key
(`trace_keys.py`), as in `observations.trace_id`: two projects' traces of one wire id have their
own rows. The writer keeps it in the same
transaction as the rows it derives from; the key carries the trace's timestamp, so when a later
span moves a trace's timestamp earlier (a root span arriving after its children) its rows are
re-keyed.

Kinds: `model` holds both the response model and the requested one (a filter on `gpt-4o-mini`
finds a call that asked for it and got `gpt-4o-mini-2024-07-18`), `level` every level used but
the default one, `tag` the trace's tags.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, exists, func, select
from sqlalchemy.engine import Connection, Dialect

from theodolite.storage import tables
from theodolite.storage.bulk import BulkInsert
from theodolite.storage.expressions import delete_keys
from theodolite.storage.upserts import insert_ignoring_duplicates

# Longer values are not indexed (a PostgreSQL B-tree key must stay under ~2,700 bytes); a filter on
# such a value reads the traces or observations themselves (`indexable`).
MAX_VALUE_CHARS = 200
ID_CHUNK = 500

f = tables.trace_facets
o = tables.observations


# Almost every trace has an observation at the default level: indexing it would add a row per trace
# (~30% of this table, ~3% of the writer's time) to serve a filter that matches nearly everything,
# which a newest-first probe of each trace's observations answers at once.
UNINDEXED_LEVEL = "DEFAULT"


def indexable(value: str) -> bool:
    return 0 < len(value) <= MAX_VALUE_CHARS


def observation_facets(row: dict[str, Any]) -> Iterable[tuple[str, str]]:
    """(kind, value) of one observation row (a dict as the writer inserts it)."""
    for kind, value in (("model", row["model"]), ("model", row["request_model"]), ("level", row["level"])):
        if value and indexable(value) and (kind != "level" or value != UNINDEXED_LEVEL):
            yield kind, value


@dataclass(slots=True)
class TransactionTraces:
    """What the facets need of one transaction's traces, by storage key; the writer fills it
    while it merges the trace rows.

    `keys`: (project id, timestamp as written) of every trace of the transaction; `new_tags`: the
    tags whose facet rows do not exist yet (all of a new or moved trace's, only the ones a merge
    added to a stored trace's); `moved`: (previous timestamp, previous tags) of stored traces whose
    timestamp moved earlier (the new one encoded for the engine as the writer writes it, the old
    one a datetime). `merged`: each trace as merged in this transaction; `stored`: the `traces`
    row of those that existed before it (what `trace_totals.py` needs too)."""

    keys: dict[str, tuple[int, Any]] = field(default_factory=dict)
    new_tags: dict[str, list[str]] = field(default_factory=dict)
    moved: dict[str, tuple[Any, list[str]]] = field(default_factory=dict)
    merged: dict[str, Any] = field(default_factory=dict)
    stored: dict[str, Any] = field(default_factory=dict)


class FacetWriter:
    """Used by the ingest writer inside its transaction. Not thread-safe (one writer thread)."""

    def __init__(self, dialect: Dialect) -> None:
        self._insert = BulkInsert(f, insert_ignoring_duplicates(f, dialect.name), dialect)

    def write(self, conn: Connection, traces: TransactionTraces, observation_rows: list[dict[str, Any]]) -> None:
        """Add the facets of new observations and of the traces' new tags; re-key moved traces."""
        trace_keys, moved = traces.keys, traces.moved
        keys: set[tuple[int, str, str, Any, str]] = set()
        if moved:
            old_keys = []
            stored = self._stored_facets(conn, list(moved))
            stored.update(
                (trace_id, "tag", tag) for trace_id, (_, old) in moved.items() for tag in old if indexable(tag)
            )
            for trace_id, kind, value in stored:
                project_id, timestamp = trace_keys[trace_id]
                old_keys.append((project_id, kind, value, moved[trace_id][0], trace_id))
                if kind != "tag":  # the trace's current tags are added below
                    keys.add((project_id, kind, value, timestamp, trace_id))
            delete_keys(conn, f, [f.c.project_id, f.c.kind, f.c.value, f.c.timestamp, f.c.trace_id], old_keys)
        for trace_id, trace_tags in traces.new_tags.items():
            project_id, timestamp = trace_keys[trace_id]
            keys.update((project_id, "tag", tag, timestamp, trace_id) for tag in trace_tags if indexable(tag))
        # observation_facets inlined: this loop runs once per span on the writer thread.
        for row in observation_rows:
            model, requested, level = row["model"], row["request_model"], row["level"]
            if model is None and requested is None and level == UNINDEXED_LEVEL:
                continue  # most spans: no model, default level
            trace_id = row["trace_id"]
            project_id, timestamp = trace_keys[trace_id]
            for value in (model, requested):
                if value and len(value) <= MAX_VALUE_CHARS:
                    keys.add((project_id, "model", value, timestamp, trace_id))
            if level != UNINDEXED_LEVEL:
                keys.add((project_id, "level", level, timestamp, trace_id))
        self._insert.execute(
            conn,
            [{"project_id": p, "kind": k, "value": v, "timestamp": ts, "trace_id": t} for p, k, v, ts, t in keys],
        )

    @staticmethod
    def _stored_facets(conn: Connection, trace_ids: list[str]) -> set[tuple[str, str, str]]:
        """(trace id, kind, value) of the observations already stored for these traces."""
        found: set[tuple[str, str, str]] = set()
        for start in range(0, len(trace_ids), ID_CHUNK):
            query = (
                select(o.c.trace_id, o.c.model, o.c.request_model, o.c.level)
                .where(o.c.trace_id.in_(trace_ids[start : start + ID_CHUNK]))
                .distinct()
            )
            for row in conn.execute(query):
                facets = observation_facets(row._asdict())
                found.update((row.trace_id, kind, value) for kind, value in facets)
        return found


def facet_condition(kind: str, value: str, project_id: int, timestamp: Any, trace_id: Any) -> Any:
    """True where the trace (`timestamp`, `trace_id`: columns of the outer query) has this facet:
    one lookup of the whole key."""
    return exists().where(
        and_(
            f.c.project_id == project_id,
            f.c.kind == kind,
            f.c.value == value,
            f.c.timestamp == timestamp,
            f.c.trace_id == trace_id,
        )
    )


def facet_rows_counted(project_id: int, kind: str, value: str, at_most: int) -> Any:
    """SELECT the number of traces with this facet, counting no further than `at_most` (a bounded
    range of the key's index, to choose a plan)."""
    matching = (
        select(f.c.trace_id)
        .where(f.c.project_id == project_id, f.c.kind == kind, f.c.value == value)
        .limit(at_most)
        .subquery()
    )
    return select(func.count()).select_from(matching)
