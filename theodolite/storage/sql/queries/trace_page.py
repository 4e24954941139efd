"""Reads of the web UI's trace page: the skeleton of a trace, one observation's details, in-trace search.

The page must open a 10,000-span trace fast, so it never reads the whole trace at once:
- the skeleton is one row per observation without inputs or outputs (they live compressed in
  `observation_payloads`, which the skeleton never touches), sent as columns (one array per
  field) so that 10,000 spans are one compact JSON document the browser parses in milliseconds;
  over `max_observations` it holds the first ones in start order and says so (`truncated`);
- one observation's input, output and metadata are read when the user selects it;
- in-trace search scans that trace's payloads only (bounded by the trace, no index needed).

Trace ids are read within the caller's project, as in `traces.py`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float, String, func, select, type_coerce
from sqlalchemy.engine import Connection

from theodolite.errors import NotFoundError
from theodolite.query.totals import empty_totals
from theodolite.query.trace_page import SKELETON_NAMES, START_ORDER, matches, skeleton, skeleton_totals, transpose
from theodolite.storage import tables
from theodolite.storage.dictionaries import load_dictionaries
from theodolite.storage.payloads import MissingDictionaryError
from theodolite.storage.sql.queries.aggregates import trace_totals
from theodolite.storage.sql.queries.traces import OBSERVATION_FIELDS, TRACE_FIELDS, observation_row_to_dict, score_means
from theodolite.storage.trace_keys import candidate_keys, wire_trace_id

t = tables.traces
o = tables.observations
p = tables.observation_payloads
s = tables.scores

# The skeleton's columns, in the order of the SELECT (the arrays of the answer follow it). Times
# and costs are read without the types' per-value processing (UtcDateTime, Money): the offsets
# only need differences, the costs floats, and for 10,000 rows that processing cost more than the
# query. Times then arrive as the driver gives them: datetimes (PostgreSQL) or SQLite's text,
# which `query.trace_page.transpose` parses with datetime.fromisoformat (C; SQLAlchemy's parser is ~10 times slower).
_SKELETON_COLUMNS = (
    o.c.id.label("id"),
    o.c.parent_observation_id.label("parent"),
    o.c.type.label("type"),
    o.c.name.label("name"),
    type_coerce(o.c.start_time, String()).label("start"),
    type_coerce(o.c.end_time, String()).label("end"),
    o.c.level.label("level"),
    o.c.model.label("model"),
    o.c.prompt_tokens.label("input_tokens"),
    o.c.completion_tokens.label("output_tokens"),
    o.c.total_tokens.label("tokens"),
    type_coerce(func.coalesce(o.c.calculated_total_cost, o.c.total_cost), Float()).label("cost"),
    o.c.cost_status.label("cost_status"),
    type_coerce(o.c.saved_cost, Float()).label("saved"),  # for the totals, not a column of the answer
)
assert tuple(column.name for column in _SKELETON_COLUMNS) == SKELETON_NAMES


def _same_project(project_id: int) -> Any:
    """`project_id = ?` that no index can serve. With `ORDER BY start_time`, SQLite (without
    statistics) prefers (project_id, start_time), which reads the project's every observation in
    time order to find one trace's: seconds on a big database. This leaves it the (trace_id, id)
    index and a sort of the trace's rows."""
    return o.c.project_id + 0 == project_id


def _retrying(read: Any, *args: Any) -> Any:
    """Run `read`; once more after loading dictionaries another process trained since ours."""
    database = args[0]
    try:
        return read(*args)
    except MissingDictionaryError:
        load_dictionaries(database)
        return read(*args)


def _trace_row(conn: Connection, project_id: int, trace_id: str) -> Any:
    row = conn.execute(select(t).where(t.c.id.in_(candidate_keys(project_id, trace_id)), t.c.project_id == project_id))
    found = row.first()
    if found is None:
        raise NotFoundError(f"trace {trace_id} not found")
    return found


def trace_skeleton(database: Any, project_id: int, trace_id: str, *, max_observations: int) -> dict[str, Any]:
    """The trace's summary and its observations as columns, at most `max_observations` of them
    (the first in start order; `truncated` and `total` say when there are more). Blocks.

    Columns: `id`, `parent` (index of the parent in these arrays, -1 for a root or a parent that
    is not among them), `type`, `name`, `start_ms` (from the first observation's start),
    `duration_ms` (null while unfinished), `level`, `model`, `input_tokens`, `output_tokens`,
    `tokens`, `cost` (USD, null when unknown) and `cost_status` (`unpriced`, `not_billed`, ...:
    the page never shows an unknown cost as $0), `error` (level ERROR).
    """
    with database.connect() as conn:
        row = _trace_row(conn, project_id, trace_id)
        # Index-only: the (trace_id, id) index holds the trace's observations (a storage key is
        # one project's, `trace_keys`), so this costs no row reads.
        total = conn.execute(select(func.count()).select_from(o).where(o.c.trace_id == row.id)).scalar_one()
        statement = select(*_SKELETON_COLUMNS).where(o.c.trace_id == row.id, _same_project(project_id))
        whole = total <= max_observations
        if whole:  # SQLite sorts 10,000 rows with all their columns in ~20 ms; Python in ~3
            rows = sorted(conn.execute(statement).all(), key=START_ORDER)  # SQLite's time text sorts as the times do
        else:
            rows = conn.execute(statement.order_by(o.c.start_time, o.c.id).limit(max_observations)).all()
        raw = transpose(rows)
        if whole:  # its totals without reading the trace again
            totals = skeleton_totals(raw)
        else:
            totals = trace_totals(conn, project_id, [row.id]).get(row.id, empty_totals() | {"latency_s": None})
        score_count = conn.execute(
            select(func.count())
            .select_from(s)
            .where(s.c.trace_id.in_(candidate_keys(project_id, trace_id)), s.c.project_id == project_id)
        ).scalar_one()
        means = score_means(conn, project_id, [row.id])
    trace = {name: getattr(row, name) for name in TRACE_FIELDS}
    trace["id"] = wire_trace_id(row.id)
    trace["root_observation_id"] = row.root_observation_id
    trace["score_count"] = score_count
    trace["scores"] = means.get(row.id, {})  # each score name's mean, as the list shows them
    return skeleton(trace, raw, totals, max_observations)


def observation_detail(database: Any, project_id: int, trace_id: str, observation_id: str) -> dict[str, Any]:
    """One observation with its input, output, attributes and scores. NotFoundError when the trace is
    not in this project or has no such observation. Blocks."""
    return _retrying(_observation_detail, database, project_id, trace_id, observation_id)


def _observation_detail(database: Any, project_id: int, trace_id: str, observation_id: str) -> dict[str, Any]:
    keys = candidate_keys(project_id, trace_id)
    with database.connect() as conn:
        row = _trace_row(conn, project_id, trace_id)
        found = conn.execute(
            select(*(o.c[name] for name in OBSERVATION_FIELDS), p.c.payload)
            .outerjoin(p, p.c.observation_seq == o.c.seq)
            .where(o.c.trace_id == row.id, o.c.id == observation_id, o.c.project_id == project_id)
        ).first()
        if found is None:
            raise NotFoundError(f"trace {trace_id} has no observation {observation_id}")
        score_rows = conn.execute(
            select(s)
            .where(s.c.trace_id.in_(keys), s.c.project_id == project_id, s.c.observation_id == observation_id)
            .order_by(s.c.timestamp)
        ).all()
    item = observation_row_to_dict(found)
    payload = found.payload or {}
    item.update(input=payload.get("input"), output=payload.get("output"), attributes=payload.get("attributes"))
    item["scores"] = [
        {c: getattr(r, c) for c in r._fields if c not in ("project_id", "created_at")} | {"trace_id": item["trace_id"]}
        for r in score_rows
    ]
    return item


def search_trace(database: Any, project_id: int, trace_id: str, text: str, *, max_observations: int) -> dict[str, Any]:
    """Ids of the trace's observations whose name, input or output contains `text` (case-insensitive,
    Unicode case folding), in start order, among its first `max_observations`. Blocks.

    A scan of the trace's payloads: they are compressed (SQLite) or JSON documents whose text
    escapes differ from what a user types, so the strings are compared once decoded, in Python."""
    return _retrying(_search_trace, database, project_id, trace_id, text, max_observations)


def _search_trace(database: Any, project_id: int, trace_id: str, text: str, max_observations: int) -> dict[str, Any]:
    needle = text.casefold()
    found: list[str] = []
    scanned = 0
    with database.connect() as conn:
        row = _trace_row(conn, project_id, trace_id)
        result = conn.execution_options(yield_per=500).execute(
            select(o.c.id, o.c.name, p.c.payload)
            .outerjoin(p, p.c.observation_seq == o.c.seq)
            .where(o.c.trace_id == row.id, _same_project(project_id))
            .order_by(o.c.start_time, o.c.id)
            .limit(max_observations)
        )
        for obs in result:
            scanned += 1
            if matches(needle, obs.name, obs.payload or {}):
                found.append(obs.id)
    return {"ids": found, "scanned": scanned}
