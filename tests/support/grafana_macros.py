"""Grafana's PostgreSQL macro expansion, as its Go source does it
(https://github.com/grafana/grafana, pkg/tsdb/grafana-postgresql-datasource/macros.go), for the macros
Theodolite's dashboards use — so that every SQL panel can be run on a real PostgreSQL as Grafana
would run it. Unknown macros are an error, as in Grafana."""

from __future__ import annotations

import re
from datetime import datetime

MACRO = re.compile(r"\$([_a-zA-Z0-9]+)\(([^\)]*)\)")
UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def rfc3339nano(moment: datetime) -> str:
    """Go's RFC3339Nano in UTC: trailing fractional zeros dropped."""
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += "." + f"{moment.microsecond:06d}".rstrip("0")
    return text + "Z"


def interval_seconds(value: str) -> float:
    value = value.strip().strip("'")
    match = re.fullmatch(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)", value)
    if match is None:
        raise ValueError(f"error parsing interval {value!r}")
    return float(match.group(1)) * UNITS[match.group(2)]


def go_float(value: float) -> str:
    """Go's %v for the interval in seconds: integers without a point, else the shortest repr."""
    return str(int(value)) if value == int(value) and value < 1e6 else repr(value)


def expand(sql: str, start: datetime, end: datetime, interval: str = "1m") -> str:
    """`sql` as Grafana sends it to PostgreSQL for the range [start, end]."""
    millis = int(interval_seconds(interval) * 1000)
    sql = sql.replace("$__interval_ms", str(millis)).replace("$__interval", interval)
    sql = sql.replace("$__unixEpochFrom()", str(int(start.timestamp()))).replace(
        "$__unixEpochTo()", str(int(end.timestamp()))
    )

    def one(match: re.Match[str]) -> str:
        name, args = match.group(1), [a.strip() for a in match.group(2).split(",")]
        if name == "__timeFilter":
            return f"{args[0]} BETWEEN '{rfc3339nano(start)}' AND '{rfc3339nano(end)}'"
        if name == "__timeFrom":
            return f"'{rfc3339nano(start)}'"
        if name == "__timeTo":
            return f"'{rfc3339nano(end)}'"
        if name in ("__timeGroup", "__timeGroupAlias"):
            seconds = go_float(interval_seconds(args[1]))
            group = f"floor(extract(epoch from {args[0]})/{seconds})*{seconds}"
            return group + (' AS "time"' if name == "__timeGroupAlias" else "")
        if name == "__time":
            return f'{args[0]} AS "time"'
        raise ValueError(f'unknown macro "{name}"')

    return MACRO.sub(one, sql)


def expand_sqlite_plugin(sql: str, start: datetime, end: datetime) -> str:
    """`sql` as the SQLite datasource plugin (frser-sqlite-datasource, pkg/plugin/variables.go and
    macros.go) runs it: `$__from`/`$__to` become epoch milliseconds of whole seconds, and
    `$__unixEpochGroupSeconds(col, n)` becomes `cast((col / n) as int) * n` (its only macro common to
    all versions). Anything else that looks like a macro would reach SQLite unchanged: an error here."""
    sql = sql.replace("$__from", str(int(start.timestamp()) * 1000)).replace("$__to", str(int(end.timestamp()) * 1000))

    def one(match: re.Match[str]) -> str:
        name, args = match.group(1), [a.strip() for a in match.group(2).split(",")]
        if name == "__unixEpochGroupSeconds" and len(args) in (2, 3):
            return f"cast(({args[0]} / {int(args[1])}) as int) * {int(args[1])}"
        raise ValueError(f"the SQLite plugin has no macro {name!r}")

    sql = MACRO.sub(one, sql)
    if "$__" in sql:
        raise ValueError(f"unexpanded Grafana variable in {sql!r}")
    return sql
