"""Flat rows for Grafana tables on ClickHouse: traces, observations and scores (newest first) and the
values of template variables, as `storage/sql/queries/analytics_lists.py` answers them. Absent
values are '' in ClickHouse's columns and None in these rows, as on SQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from theodolite.errors import BadRequestError
from theodolite.model.rollup_cells import LEVELS, level_name
from theodolite.storage.clickhouse.queries.analytics import _traces_with_totals
from theodolite.storage.clickhouse.queries.sql import Params, Runner, in_range, micros

_TRACE_FILTERS = {
    "name": "t.name", "release": "t.release", "version": "t.version", "environment": "t.environment",
    "user": "t.user_id", "session": "t.session_id",
}  # fmt: skip
_OBSERVATION_FILTERS = {
    name: f"o.{name}" for name in ("type", "name", "model", "provider", "level", "source", "environment", "version")
}
_SCORE_FILTERS = {"name": "s.name", "source": "s.source", "type": "s.data_type", "session": "s.session_id"}


def _none(value: Any) -> Any:
    return None if value == "" else value


def _ms(value: datetime | None) -> int | None:
    if value is None:
        return None
    moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return int(round(moment.timestamp() * 1000))


def _money(value: Any) -> float | None:
    return None if value is None else float(value)


def _refuse_unknown(filters: dict[str, tuple[str, ...]], allowed: set[str], what: str) -> None:
    unknown = sorted(set(filters) - allowed)
    if unknown:
        raise BadRequestError(f"{what} cannot be filtered by {', '.join(unknown)}; use {', '.join(sorted(allowed))}")


def _range(start: datetime, end: datetime) -> Params:
    return Params(project=0, start_us=micros(start), end_us=micros(end))


def list_trace_rows(
    runner: Runner, project_id: int, start: datetime, end: datetime, filters: dict[str, tuple[str, ...]], limit: int
) -> list[dict[str, Any]]:
    _refuse_unknown(filters, {*_TRACE_FILTERS, "level", "tag", "model"}, "traces")
    params = _range(start, end)
    params.values["project"] = project_id
    where = [params.one_of(_TRACE_FILTERS[name], values) for name, values in filters.items() if name in _TRACE_FILTERS]
    if "model" in filters:
        models = params.add(list(filters["model"]), "Array(String)")
        where.append(
            f"t.id IN (SELECT trace_id FROM {runner.table('observations')} FINAL WHERE project_id = {{project:UInt32}}"
            f" AND (model IN {models} OR request_model IN {models}))"
        )
    if "level" in filters:
        ranks = [LEVELS.index(value.upper()) for value in filters["level"] if value.upper() in LEVELS]
        where.append(f"tt.level_rank IN {params.add(ranks, 'Array(UInt8)')}")
    if "tag" in filters:
        where.append(f"hasAny(t.tags, {params.add(list(filters['tag']), 'Array(String)')})")
    statement = (
        "SELECT t.timestamp, t.id, t.name, t.user_id, t.session_id, t.release, t.version, t.environment, t.tags,"
        " tt.level_rank, tt.observation_count, tt.input_tokens, tt.output_tokens, tt.total_tokens,"
        " if(tt.priced_count > 0, tt.total_cost, NULL),"
        " if(tt.last_end IS NULL, NULL, dateDiff('microsecond', tt.first_start, tt.last_end) / 1000), tt.error_count"
        f" FROM {_traces_with_totals(runner)}{' WHERE ' + ' AND '.join(where) if where else ''}"
        f" ORDER BY t.timestamp DESC, t.id DESC LIMIT {int(limit)}"
    )
    return [
        {
            "time": _ms(row[0]),
            "trace_id": row[1],
            "name": _none(row[2]),
            "user": _none(row[3]),
            "session": _none(row[4]),
            "release": _none(row[5]),
            "version": _none(row[6]),
            "environment": _none(row[7]),
            "tags": ", ".join(row[8]),
            "level": level_name(row[9]),
            "observation_count": row[10],
            "input_tokens": row[11],
            "output_tokens": row[12],
            "total_tokens": row[13],
            "cost": _money(row[14]),
            "latency_ms": row[15],
            "error_count": row[16],
        }  # fmt: skip
        for row in runner.rows(statement, params)
    ]


def list_observation_rows(
    runner: Runner, project_id: int, start: datetime, end: datetime, filters: dict[str, tuple[str, ...]], limit: int
) -> list[dict[str, Any]]:
    _refuse_unknown(filters, set(_OBSERVATION_FILTERS), "observations")
    params = _range(start, end)
    params.values["project"] = project_id
    where = ["o.project_id = {project:UInt32}", in_range("o.start_time")]
    where += [params.one_of(_OBSERVATION_FILTERS[name], values) for name, values in filters.items()]
    statement = (
        "SELECT o.start_time, o.trace_id, o.id, o.parent_observation_id, o.type, o.name, o.model, o.provider, o.level,"
        " o.source, o.environment, o.version,"
        " if(o.end_time IS NULL, NULL, dateDiff('microsecond', o.start_time, o.end_time) / 1000),"
        " if(o.completion_start_time IS NULL, NULL,"
        " dateDiff('microsecond', o.start_time, o.completion_start_time) / 1000),"
        " o.prompt_tokens, o.completion_tokens, o.total_tokens,"
        " if(o.cost_status = 'not_billed', NULL, coalesce(o.calculated_total_cost, o.total_cost)), o.status_message"
        f" FROM {runner.table('observations')} AS o FINAL WHERE {' AND '.join(where)}"
        f" ORDER BY o.start_time DESC, o.trace_id DESC, o.id DESC LIMIT {int(limit)}"
    )
    names = (
        "time", "trace_id", "observation_id", "parent_observation_id", "type", "name", "model", "provider", "level",
        "source", "environment", "version", "latency_ms", "ttft_ms", "input_tokens", "output_tokens",
        "total_tokens", "cost", "status_message",
    )  # fmt: skip
    rows = []
    for row in runner.rows(statement, params):
        found = dict(zip(names, row, strict=True))
        for name in ("parent_observation_id", "name", "model", "provider", "source", "environment", "version"):
            found[name] = _none(found[name])
        found["status_message"] = _none(found["status_message"])
        found["time"], found["cost"] = _ms(row[0]), _money(found["cost"])
        rows.append(found)
    return rows


def list_score_rows(
    runner: Runner, project_id: int, start: datetime, end: datetime, filters: dict[str, tuple[str, ...]], limit: int
) -> list[dict[str, Any]]:
    _refuse_unknown(filters, {*_SCORE_FILTERS, "user"}, "scores")
    params = _range(start, end)
    params.values["project"] = project_id
    where = ["s.project_id = {project:UInt32}", in_range("s.timestamp")]
    where += [params.one_of(_SCORE_FILTERS[name], values) for name, values in filters.items() if name in _SCORE_FILTERS]
    if "user" in filters:
        where.append(
            f"s.trace_id IN (SELECT id FROM {runner.table('traces')} FINAL WHERE project_id = {{project:UInt32}}"
            f" AND {params.one_of('user_id', filters['user'])})"
        )
    statement = (
        "SELECT s.timestamp, s.id, s.trace_id, s.observation_id, s.session_id, s.name, s.value, s.string_value,"
        f" s.data_type, s.source, s.comment FROM {runner.table('scores')} AS s FINAL WHERE {' AND '.join(where)}"
        f" ORDER BY s.timestamp DESC, s.id DESC LIMIT {int(limit)}"
    )
    return [
        {
            "time": _ms(row[0]),
            "score_id": row[1],
            "trace_id": _none(row[2]),
            "observation_id": _none(row[3]),
            "session": _none(row[4]),
            "name": row[5],
            "value": row[6],
            "string_value": _none(row[7]),
            "data_type": row[8],
            "source": row[9],
            "comment": _none(row[10]),
        }  # fmt: skip
        for row in runner.rows(statement, params)
    ]


# Template variables: the column counted, and its table (observations' from the hour rollups).
VARIABLES = {
    "models": ("model", "rollups"), "providers": ("provider", "rollups"), "types": ("type", "rollups"),
    "sources": ("source", "rollups"), "levels": ("level", "rollups"), "environments": ("environment", "rollups"),
    "names": ("name", "traces"), "releases": ("release", "traces"), "versions": ("version", "traces"),
    "users": ("user_id", "traces"), "tags": ("tags", "traces"), "sessions": ("session_id", "traces"),
    "score_names": ("name", "scores"),
}  # fmt: skip


def list_variable_values(
    runner: Runner, project_id: int, kind: str, start: datetime, end: datetime, limit: int
) -> list[dict[str, str]]:
    """Values most used in the range first (then alphabetical). As on SQL, where every kind but
    sessions is read from hour rollups, the range widens to the hours it touches."""
    if kind not in VARIABLES:
        raise BadRequestError(f"unknown variable {kind!r}; choose from {', '.join(VARIABLES)}")
    column, source = VARIABLES[kind]
    hour_s = int(start.timestamp()) // 3600 * 3600
    params = Params(project=project_id, start_us=micros(hour_s), end_us=micros(end))
    if kind == "sessions":
        params.values["start_us"] = micros(start)
    if source == "rollups":
        statement = (
            f"SELECT {column}, sum(n) FROM {runner.table('rollups_hour')} WHERE project_id = {{project:UInt32}}"
            f" AND bucket >= toDateTime({hour_s}, 'UTC') AND bucket < fromUnixTimestamp64Micro({{end_us:Int64}}, 'UTC')"
            f" GROUP BY {column}"
        )
    else:
        time_column = "timestamp" if kind == "sessions" else "toStartOfHour(timestamp)"
        if kind != "sessions":
            params.values["start_us"] = micros(hour_s)
        value = "arrayJoin(tags)" if kind == "tags" else column
        statement = (
            f"SELECT {value} AS v, count() FROM {runner.table(source)} FINAL WHERE project_id = {{project:UInt32}}"
            f" AND {in_range(time_column)} GROUP BY v"
        )
    ranked = sorted(
        ((value, int(count)) for value, count in runner.rows(statement, params) if value not in (None, "")),
        key=lambda item: (-item[1], item[0]),
    )
    return [{"text": value, "value": value} for value, _ in ranked[:limit]]
