"""Trace-level rollups on ClickHouse: per-trace cells by minute and hour, recomputed, not summed.

A trace counts in the analytics by its own row (time, name, release, version, environment, user,
tags) and by its totals (tokens, cost, latency, worst level), and those arrive in different inserts:
the root span, which names the trace, often comes after its children, and a late span changes the
totals of a trace counted long before. A materialised view sees one insert at a time and cannot
take a trace out of the cell it counted in before, so these cells are kept another way:

1. Each commit of the writer adds a mark per (project, minute of a trace's time) it touched, with
   its row version, to `trace_rollup_marks` (before its data, so a crash leaves a mark too many,
   never one too few).
2. The writer's follower (`ClickHouseWriter.step`, run by the ingestion pipeline between commits,
   when idle or when a reader waits) reads the minutes marked since their last recompute and, under
   the projects' write locks, recomputes their cells from the raw rows (`traces FINAL` with their
   `trace_totals`), the same expressions as the raw reads (`queries/sql.py`): the "trace" cube's
   minute cells of those minutes, and the hour cells of every cube for their hours. The new cells
   are written with a new version; cells of those buckets the recompute no longer made get a
   deletion row; then the marks are done.

`trace_rollups` is a ReplacingMergeTree on (project, cube, grain, bucket, dimensions), so a read with
`FINAL` sees exactly the last recompute's cells: exact sums and exact sketches (a recompute starts
from the rows, so nothing superseded lingers, unlike the observation sketches). The cost is one
read of a minute's and an hour's traces per step, against nothing for a view; a read of a week of
trace aggregates then reads a few thousand cells instead of every trace.

The cubes follow the SQL store's (`model/rollup_cells.CUBES`): "trace" by name, release, version,
environment and level, by minute and hour; "user" and "tag" by hour only (a busy minute has about
as many users as traces), so their ranges widen to whole hours as on SQL; "score" by name, source
and type, by minute and hour, made the same way from `scores FINAL`: a score is upserted by its id,
so a view over the inserts would count a changed score twice. A commit marks its scores' minutes
too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from theodolite.storage.clickhouse.queries.sql import SCORE_SUMS, SCORE_VALUES, TRACE_LEVEL, TRACE_SUMS, TRACE_VALUES
from theodolite.storage.clickhouse.schema import (
    SKETCH_ACCURACY,
    TRACE_ROLLUP_DIMENSIONS,
    TRACE_ROLLUP_SKETCHES,
    TRACE_ROLLUP_SUMS,
)

if TYPE_CHECKING:
    from theodolite.storage.clickhouse.write_locks import WriteLocks

MINUTE, HOUR = 60, 3600
# cube -> (its dimensions, its grains)
CUBES: dict[str, tuple[tuple[str, ...], tuple[int, ...]]] = {
    "trace": (("name", "release", "version", "environment", "level"), (MINUTE, HOUR)),
    "user": (("user",), (HOUR,)),
    "tag": (("tag",), (HOUR,)),
    "score": (("name", "source", "type"), (MINUTE, HOUR)),
}
SCOPES = {"trace": "traces", "user": "traces", "tag": "traces", "score": "scores"}
WITHOUT_SKETCHES = frozenset({"user", "tag"})  # kept, but reads take percentiles by user from raw rows
# Minutes per recompute statement: a rebuild's minutes go a day at a time (the parameters travel in
# the request's URL, and a statement reads one day's traces).
CHUNK_MINUTES = 1440

# How one trace counts, over `tt` (its row joined with its totals, named as `queries/sql.py`'s
# expressions read the totals), and one score (`s`): the expressions of the raw reads. A trace's
# tag is the variable of the `arrayMap` that makes its "tag" keys (`_trace_cells`).
_DIMENSIONS = {
    "traces": {
        "name": "leftUTF8(tt.name, 200)", "release": "tt.release", "version": "tt.version",
        "environment": "tt.environment", "level": TRACE_LEVEL, "user": "tt.user_id", "tag": "tag",
    },
    "scores": {"name": "s.name", "source": "s.source", "type": "s.data_type"},
}  # fmt: skip
_SUMS = {
    "traces": {name: TRACE_SUMS[name] for name in TRACE_ROLLUP_SUMS if name in TRACE_SUMS}
    | {"cost": TRACE_SUMS["cost"], "latency_ms_sum": TRACE_SUMS["latency_sum"]},
    "scores": {"n": SCORE_SUMS["n"], "value_n": SCORE_SUMS["value_n"], "value_sum": SCORE_SUMS["value_sum"]},
}
_SKETCH_VALUES = {
    "traces": {
        "latency_ms_q": TRACE_VALUES["latency"], "cost_q": TRACE_VALUES["cost"],
        "tokens_q": TRACE_VALUES["total_tokens"],
    },
    "scores": {"value_q": SCORE_VALUES["score"]},
}  # fmt: skip
_MEASURES = (*TRACE_ROLLUP_SUMS, "cost", "latency_ms_sum", "value_sum")
# The dimensions of the trace cubes, in the order of the key tuple a trace is ARRAY JOINed into.
_TRACE_KEY = ("name", "release", "version", "environment", "level", "user", "tag")
_TOTAL_COLUMNS = (
    "first_start", "last_end", "input_tokens", "output_tokens", "total_tokens", "total_cost", "priced_count",
    "unpriced_count", "error_count", "level_rank",
)  # fmt: skip


def _sketch(value: str | None) -> str:
    """A sketch column's state of `value` (its NULLs left out), or an empty state."""
    if value is None:
        return f"quantileDDStateIf({SKETCH_ACCURACY}, 0.5)(toFloat64(0), 0)"
    return f"quantileDDStateIf({SKETCH_ACCURACY}, 0.5)(toFloat64(ifNull({value}, 0)), ({value}) IS NOT NULL)"


# A trace's totals merged as `trace_totals`' SimpleAggregateFunctions merge: a GROUP BY of the rows of
# the bucket's traces reads less than FINAL, which merges the key ranges it touches whole.
_TOTALS = ", ".join(
    f"{function}(y.{column}) AS {column}"
    for function, column in (
        ("min", "first_start"), ("max", "last_end"), ("sum", "input_tokens"), ("sum", "output_tokens"),
        ("sum", "total_tokens"), ("sum", "total_cost"), ("sum", "priced_count"), ("sum", "unpriced_count"),
        ("sum", "error_count"), ("max", "level_rank"),
    )
)  # fmt: skip
COLUMNS = (
    "project_id", "cube", "grain_s", "bucket", *(f"d_{name}" for name in TRACE_ROLLUP_DIMENSIONS),
    *_MEASURES, *TRACE_ROLLUP_SKETCHES, "row_version", "is_deleted",
)  # fmt: skip


MARK_COLUMNS = ("project_id", "minute", "dirty", "done")


def mark_rows(minutes: Iterable[tuple[int, int]], version: int) -> list[list[Any]]:
    """`trace_rollup_marks` rows marking (project, epoch minute) dirty as of `version` (a commit's
    row version)."""
    return [[project_id, _at(minute), version, 0] for project_id, minute in sorted(set(minutes))]


def minute_of(moment: datetime) -> int:
    """The epoch second of the minute a time falls in (UTC)."""
    return int(moment.timestamp()) // MINUTE * MINUTE


def _at(epoch_s: int) -> datetime:
    return datetime.fromtimestamp(epoch_s, UTC)


class TraceRollups:
    """The marks and the recompute, on a clickhouse-connect client and the store's database."""

    def __init__(self, client: Any, database: str) -> None:
        self.client = client
        self.database = database

    def _table(self, name: str) -> str:
        return f"`{self.database}`.`{name}`"

    def mark_all(self, version: int) -> None:
        """Mark every minute that holds a trace or a score (a store made before these rollups, a
        bulk copy)."""
        minutes = " UNION ALL ".join(
            f"SELECT project_id, toStartOfMinute(timestamp) AS minute FROM {self._table(table)}"
            for table in ("traces", "scores")
        )
        self.client.command(
            f"INSERT INTO {self._table('trace_rollup_marks')} (project_id, minute, dirty, done)"
            f" SELECT project_id, minute, {int(version)}, 0 FROM ({minutes}) GROUP BY project_id, minute"
        )

    def dirty(self) -> dict[int, dict[int, int]]:
        """project -> {epoch minute: the highest version marking it}, of the minutes not recomputed
        since their last mark."""
        rows = self.client.query(
            f"SELECT project_id, toUnixTimestamp(minute), max(dirty) AS d FROM {self._table('trace_rollup_marks')}"
            " GROUP BY project_id, minute HAVING d > max(done)"
        ).result_rows
        found: dict[int, dict[int, int]] = {}
        for project_id, minute, version in rows:
            found.setdefault(int(project_id), {})[int(minute)] = int(version)
        return found

    def count_dirty(self) -> int:
        return sum(len(minutes) for minutes in self.dirty().values())

    def recompute(self, project_id: int, minutes: dict[int, int], version: int) -> None:
        """Recompute the cells of these minutes of one project (and of their hours), then mark the
        minutes done up to the version each was marked with. The caller holds the project's write
        lock and gives a version at least 2 above every stored cell's (the writer's versions are).

        One INSERT per chunk, so one new part: a deletion row at `version - 1` for every stored cell
        of those buckets, and the recomputed cells at `version`. A key the recompute made again ends
        at its new row (the higher version), a key it no longer made at its deletion: the SELECT
        reads the stored cells before its own rows are written."""
        ordered = sorted(minutes)
        for start in range(0, len(ordered), CHUNK_MINUTES):
            chunk = ordered[start : start + CHUNK_MINUTES]
            hours = sorted({minute // HOUR * HOUR for minute in chunk})
            parameters: dict[str, Any] = {"project": project_id}
            parameters |= _bounds("m", MINUTE, chunk) | _bounds("h", HOUR, hours)
            selects = [self._stale_cells(version - 1)]
            for grain in (MINUTE, HOUR):
                cubes = [cube for cube, (_, grains) in CUBES.items() if grain in grains]
                selects.append(self._trace_cells([cube for cube in cubes if SCOPES[cube] == "traces"], grain, version))
                selects += [self._cells(cube, grain, version) for cube in cubes if SCOPES[cube] == "scores"]
            self.client.command(
                f"INSERT INTO {self._table('trace_rollups')} ({', '.join(COLUMNS)}) {' UNION ALL '.join(selects)}",
                parameters=parameters,
            )
        done = [[project_id, _at(minute), 0, minutes[minute]] for minute in ordered]
        self.client.insert("trace_rollup_marks", done, column_names=list(MARK_COLUMNS), database=self.database)

    def step(self, locks: WriteLocks, next_version: Any, on_minutes: Callable[[int], object] | None = None) -> int:
        """Recompute every dirty minute, a project at a time under its write lock; `next_version()`
        gives the version (the writer's, so cells and rows share one clock); `on_minutes` is told
        each project's count. Returns the minutes."""
        covered = 0
        for project_id, minutes in sorted(self.dirty().items()):
            with locks.hold([project_id]):
                self.recompute(project_id, minutes, next_version())
            covered += len(minutes)
            if on_minutes is not None:
                on_minutes(len(minutes))
        return covered

    # -- statements ---------------------------------------------------------------------------

    def _cells(self, cube: str, grain: int, version: int) -> str:
        """SELECT a score cube's cells of the chunk's buckets of this grain from `scores FINAL`."""
        dimensions = CUBES[cube][0]
        named, sums, sketches = _DIMENSIONS["scores"], _SUMS["scores"], _SKETCH_VALUES["scores"]
        values = [
            "project_id", f"'{cube}'", str(grain), "b",
            *(f"{named[name]} AS g{dimensions.index(name)}" if name in dimensions else "''"
              for name in TRACE_ROLLUP_DIMENSIONS),
            *(sums.get(name, "0") for name in _MEASURES),
            *(_sketch(sketches.get(name)) for name in TRACE_ROLLUP_SKETCHES),
            str(int(version)), "0",
        ]  # fmt: skip
        grouped = "".join(f", g{index}" for index in range(len(dimensions)))
        truncate, p = ("toStartOfMinute", "m") if grain == MINUTE else ("toStartOfHour", "h")
        scores = self._table("scores")
        source = f"(SELECT *, {truncate}(timestamp) AS b FROM {scores} FINAL WHERE {_in_buckets(truncate, p)}) AS s"
        return f"SELECT {', '.join(values)} FROM {source} GROUP BY project_id, b{grouped}"

    def _trace_cells(self, cubes: list[str], grain: int, version: int) -> str:
        """SELECT the cells of these trace cubes for the chunk's buckets of this grain, in one read of
        the buckets' traces and their totals: each trace is ARRAY JOINed into a key per cube (one per
        tag for "tag", `''` for a trace without tags) and the rows are grouped by cube and key."""
        truncate, p = ("toStartOfMinute", "m") if grain == MINUTE else ("toStartOfHour", "h")
        in_buckets = _in_buckets(truncate, p)
        traces, totals = self._table("traces"), self._table("trace_totals")
        named = _DIMENSIONS["traces"]
        keys = []
        for cube in cubes:
            dimensions = CUBES[cube][0]
            values = [named[name] if name in dimensions else "''" for name in _TRACE_KEY]
            key = f"tuple('{cube}', {', '.join(values)})"
            if cube == "tag":  # a key per tag
                keys.append(f"arrayMap(tag -> {key}, if(empty(tt.tags), [''], tt.tags))")
            else:
                keys.append(f"[{key}]")
        # The joined row is named `tt`, as the expressions of `queries/sql.py` read a trace's totals.
        joined = (
            "SELECT t.project_id AS project_id, t.b AS b, t.name AS name, t.release AS release,"
            " t.version AS version, t.environment AS environment, t.user_id AS user_id, t.tags AS tags,"
            f" {', '.join(f'x.{column} AS {column}' for column in _TOTAL_COLUMNS)}"
            f" FROM (SELECT project_id, id, {truncate}(timestamp) AS b, name, release, version, environment,"
            f" user_id, tags FROM {traces} FINAL WHERE {in_buckets}) AS t"
            f" LEFT JOIN (SELECT y.trace_id AS trace_id, {_TOTALS} FROM {totals} AS y"
            " WHERE y.project_id = {project:UInt32}"
            f" AND y.trace_id IN (SELECT id FROM {traces} WHERE {in_buckets})"
            " GROUP BY y.trace_id) AS x ON x.trace_id = t.id"
        )
        sums, sketches = _SUMS["traces"], _SKETCH_VALUES["traces"]
        values = [
            "project_id", "k.1", str(grain), "b",
            *(f"k.{_TRACE_KEY.index(name) + 2}" if name in _TRACE_KEY else "''" for name in TRACE_ROLLUP_DIMENSIONS),
            *(sums.get(name, "0") for name in _MEASURES),
            *(_sketch(sketches.get(name)) for name in TRACE_ROLLUP_SKETCHES),
            str(int(version)), "0",
        ]  # fmt: skip
        return (
            f"SELECT {', '.join(values)} FROM ({joined}) AS tt ARRAY JOIN arrayConcat({', '.join(keys)}) AS k"
            " GROUP BY project_id, b, k"
        )

    def _stale_cells(self, version: int) -> str:
        """SELECT a deletion row at `version` for each stored cell of the chunk's buckets."""
        return (
            f"SELECT {', '.join(COLUMNS[:-2])}, {int(version)}, 1 FROM {self._table('trace_rollups')} FINAL"
            " WHERE project_id = {project:UInt32} AND bucket >= toDateTime({h_low:UInt32}, 'UTC')"
            " AND bucket < toDateTime({h_high:UInt32}, 'UTC')"
            " AND ((grain_s = 60 AND toUnixTimestamp(bucket) IN {m_buckets:Array(UInt32)})"
            " OR (grain_s = 3600 AND toUnixTimestamp(bucket) IN {h_buckets:Array(UInt32)}))"
        )


def _in_buckets(truncate: str, prefix: str) -> str:
    """The rows of the project whose time falls in the chunk's buckets (`_bounds` parameters)."""
    return (
        f"project_id = {{project:UInt32}} AND timestamp >= toDateTime({{{prefix}_low:UInt32}}, 'UTC')"
        f" AND timestamp < toDateTime({{{prefix}_high:UInt32}}, 'UTC') AND toUnixTimestamp({truncate}(timestamp))"
        f" IN {{{prefix}_buckets:Array(UInt32)}}"
    )


def _bounds(prefix: str, grain: int, buckets: Sequence[int]) -> dict[str, Any]:
    return {f"{prefix}_low": buckets[0], f"{prefix}_high": buckets[-1] + grain, f"{prefix}_buckets": list(buckets)}
