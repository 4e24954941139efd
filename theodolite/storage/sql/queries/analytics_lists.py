"""Flat rows for Grafana tables: traces, observations and scores (newest first), cost per day and
model, and the values of template variables. Times are epoch milliseconds, costs USD floats.
Every function blocks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import desc, func, or_, select
from sqlalchemy.engine import Connection

from theodolite.errors import BadRequestError
from theodolite.model.rollup_cells import epoch_s, level_name
from theodolite.query.analytics_params import MetricQuery
from theodolite.query.metric_rows import cost_rows
from theodolite.storage import rollups, tables
from theodolite.storage.engine import Database
from theodolite.storage.sql.queries.analytics import list_metric_cells
from theodolite.storage.trace_totals import LEVEL_RANK

o, t, tt, s, r = tables.observations, tables.traces, tables.trace_totals, tables.scores, tables.rollups
_TRACE_FILTERS = {
    "name": t.c.name, "release": t.c.release, "version": t.c.version, "environment": t.c.environment,
    "user": t.c.user_id, "session": t.c.session_id,
}  # fmt: skip
_OBSERVATION_FILTERS = {
    name: o.c[name] for name in ("type", "name", "model", "provider", "level", "source", "environment", "version")
}
_SCORE_FILTERS = {"name": s.c.name, "source": s.c.source, "type": s.c.data_type, "session": s.c.session_id}


def _ms(value: Any) -> int | None:
    return None if value is None else int(round(epoch_s(value) * 1000))


def _since_ms(moment: Any, begin_s: float) -> float | None:
    return None if moment is None else (epoch_s(moment) - begin_s) * 1000


def _money(value: Any) -> float | None:
    return None if value is None else float(value)


def _refuse_unknown(filters: dict[str, tuple[str, ...]], allowed: set[str], what: str) -> None:
    unknown = sorted(set(filters) - allowed)
    if unknown:
        raise BadRequestError(f"{what} cannot be filtered by {', '.join(unknown)}; use {', '.join(sorted(allowed))}")


def _tags_match(tags: Any, wanted: tuple[str, ...] | None) -> bool:
    return wanted is None or bool(set(wanted).intersection(tags or ()))


def list_trace_rows(
    database: Database, project_id: int, start: datetime, end: datetime, filters: dict[str, tuple[str, ...]], limit: int
) -> list[dict[str, Any]]:
    _refuse_unknown(filters, {*_TRACE_FILTERS, "level", "tag", "model"}, "traces")
    conditions = [tt.c.project_id == project_id, tt.c.timestamp >= start, tt.c.timestamp < end]
    conditions += [_TRACE_FILTERS[name].in_(values) for name, values in filters.items() if name in _TRACE_FILTERS]
    if "model" in filters:  # any of its models ("|a|b|", `trace_totals.models`)
        conditions.append(or_(*(tt.c.models.contains(f"|{value}|", autoescape=True) for value in filters["model"])))
    if "level" in filters:
        conditions.append(tt.c.level_rank.in_([LEVEL_RANK.get(value.upper(), -1) for value in filters["level"]]))
    statement = (
        select(tt, t.c.name, t.c.session_id, t.c.tags.label("trace_tags"), t.c.release.label("trace_release"))
        .select_from(tt.join(t, t.c.id == tt.c.trace_id))
        .where(*conditions)
        .order_by(desc(tt.c.timestamp))
    )
    rows: list[dict[str, Any]] = []
    with database.connect() as conn:
        for row in conn.execute(statement.limit(limit if "tag" not in filters else None)):
            if not _tags_match(row.trace_tags, filters.get("tag")):
                continue
            rows.append({
                "time": _ms(row.timestamp), "trace_id": row.trace_id, "name": row.name, "user": row.user_id,
                "session": row.session_id, "release": row.trace_release, "version": row.version,
                "environment": row.environment, "tags": ", ".join(row.trace_tags or []),
                "level": level_name(row.level_rank),
                "observation_count": row.observation_count, "input_tokens": row.input_tokens,
                "output_tokens": row.output_tokens, "total_tokens": row.total_tokens, "cost": _money(row.total_cost),
                "latency_ms": None if row.latency_s is None else row.latency_s * 1000, "error_count": row.error_count,
            })  # fmt: skip
            if len(rows) >= limit:
                break
    return rows


def list_observation_rows(
    database: Database, project_id: int, start: datetime, end: datetime, filters: dict[str, tuple[str, ...]], limit: int
) -> list[dict[str, Any]]:
    _refuse_unknown(filters, set(_OBSERVATION_FILTERS), "observations")
    conditions = [o.c.project_id == project_id, o.c.start_time >= start, o.c.start_time < end]
    conditions += [_OBSERVATION_FILTERS[name].in_(values) for name, values in filters.items()]
    statement = select(o).where(*conditions).order_by(desc(o.c.start_time)).limit(limit)
    rows = []
    with database.connect() as conn:
        for row in conn.execute(statement):
            begin = epoch_s(row.start_time)
            cost = row.calculated_total_cost if row.calculated_total_cost is not None else row.total_cost
            rows.append({
                "time": _ms(row.start_time), "trace_id": row.trace_id, "observation_id": row.id,
                "parent_observation_id": row.parent_observation_id, "type": row.type, "name": row.name,
                "model": row.model, "provider": row.provider, "level": row.level, "source": row.source,
                "environment": row.environment, "version": row.version,
                "latency_ms": _since_ms(row.end_time, begin), "ttft_ms": _since_ms(row.completion_start_time, begin),
                "input_tokens": row.prompt_tokens, "output_tokens": row.completion_tokens,
                "total_tokens": row.total_tokens, "cost": None if row.cost_status == "not_billed" else _money(cost),
                "status_message": row.status_message,
            })  # fmt: skip
    return rows


def list_score_rows(
    database: Database, project_id: int, start: datetime, end: datetime, filters: dict[str, tuple[str, ...]], limit: int
) -> list[dict[str, Any]]:
    _refuse_unknown(filters, {*_SCORE_FILTERS, "user"}, "scores")
    conditions = [s.c.project_id == project_id, s.c.timestamp >= start, s.c.timestamp < end]
    conditions += [_SCORE_FILTERS[name].in_(values) for name, values in filters.items() if name in _SCORE_FILTERS]
    source: Any = s
    if "user" in filters:
        source = s.join(t, t.c.id == s.c.trace_id)
        conditions.append(t.c.user_id.in_(filters["user"]))
    statement = select(s).select_from(source).where(*conditions).order_by(desc(s.c.timestamp)).limit(limit)
    with database.connect() as conn:
        return [
            {
                "time": _ms(row.timestamp),
                "score_id": row.id,
                "trace_id": row.trace_id,
                "observation_id": row.observation_id,
                "session": row.session_id,
                "name": row.name,
                "value": row.value,
                "string_value": row.string_value,
                "data_type": row.data_type,
                "source": row.source,
                "comment": row.comment,
            }  # fmt: skip
            for row in conn.execute(statement)
        ]


def list_cost_rows(database: Database, query: MetricQuery) -> list[dict[str, Any]]:
    """Cost, tokens and calls per bucket and group, from one read of the cells."""
    return cost_rows(query, list_metric_cells(database, query))


# Template variables: (rollup cube and dimension, or None) and the raw column to fall back on.
VARIABLES = {
    "models": ("obs", "model", o.c.model, "observations"),
    "providers": ("obs", "provider", o.c.provider, "observations"),
    "types": ("obs", "type", o.c.type, "observations"),
    "sources": ("obs", "source", o.c.source, "observations"),
    "levels": ("obs", "level", o.c.level, "observations"),
    "environments": ("obs", "environment", o.c.environment, "observations"),
    "names": ("trace", "name", t.c.name, "traces"),
    "releases": ("trace", "release", t.c.release, "traces"),
    "versions": ("trace", "version", t.c.version, "traces"),
    "users": ("user", "user", t.c.user_id, "traces"),
    "tags": ("tag", "tag", None, "traces"),
    "sessions": (None, "session", t.c.session_id, "traces"),
    "score_names": ("score", "name", s.c.name, "scores"),
}


def list_variable_values(
    database: Database, project_id: int, kind: str, start: datetime, end: datetime, limit: int
) -> list[dict[str, str]]:
    """Values most used in the range first (then alphabetical)."""
    if kind not in VARIABLES:
        raise BadRequestError(f"unknown variable {kind!r}; choose from {', '.join(VARIABLES)}")
    cube, dimension, column, scope = VARIABLES[kind]
    with database.connect() as conn:
        if cube is not None and rollups.ready(conn):
            found = _rollup_values(conn, project_id, cube, dimension, start, end)
        else:
            found = _raw_values(conn, project_id, column, scope, start, end)
    ranked = sorted(((value, count) for value, count in found.items() if value not in (None, "")),
                    key=lambda item: (-item[1], item[0]))  # fmt: skip
    return [{"text": value, "value": value} for value, _ in ranked[:limit]]


def _rollup_values(
    conn: Connection, project_id: int, cube: str, dimension: str, start: datetime, end: datetime
) -> dict[str, int]:
    column = r.c[f"d_{dimension}"]
    start_s, end_s = int(start.timestamp()) // 3600 * 3600, int(end.timestamp())
    statement = (
        select(column, func.sum(r.c.n))
        .where(
            r.c.project_id == project_id,
            r.c.cube == cube,
            r.c.grain_s == 3600,
            r.c.bucket >= start_s,
            r.c.bucket < end_s,
        )
        .group_by(column)
    )
    return {value: int(count) for value, count in conn.execute(statement)}


def _raw_values(
    conn: Connection, project_id: int, column: Any, scope: str, start: datetime, end: datetime
) -> dict[str, int]:
    if column is None:  # tags: a JSON list per trace
        counts: dict[str, int] = {}
        statement = select(t.c.tags).where(t.c.project_id == project_id, t.c.timestamp >= start, t.c.timestamp < end)
        for (tags,) in conn.execute(statement):
            for tag in tags or ():
                counts[tag] = counts.get(tag, 0) + 1
        return counts
    table = column.table
    time_column = {"observations": o.c.start_time, "traces": t.c.timestamp, "scores": s.c.timestamp}[scope]
    statement = (
        select(column, func.count())
        .where(table.c.project_id == project_id, time_column >= start, time_column < end)
        .group_by(column)
    )
    return {value: int(count) for value, count in conn.execute(statement)}
