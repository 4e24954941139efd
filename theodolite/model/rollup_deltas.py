"""The deltas a write makes to the analytics rollups, summed per (project, cube, minute, dimension
values) in memory before the writer adds them to the stored rows (`storage/rollups.py`).

Pure (no SQLAlchemy): the decode workers sum an OTLP request's observations here, off the writer's
thread, and the batch carries the result (`storage/rows.PreparedBatch.rollups`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from theodolite.model.rollup_cells import (
    CUBES,
    HISTOGRAM_GRAINS_S,
    WITHOUT_HISTOGRAMS,
    Cell,
    count_observation,
    count_score,
    count_trace,
    epoch_s,
    level_name,
)

OBSERVATION_DIMENSIONS = CUBES["obs"][1]
# `add_observations` spells the tuple out (it runs per span): it must stay in this order.
assert OBSERVATION_DIMENSIONS == ("type", "name", "model", "provider", "level", "source", "environment", "version")
assert CUBES["trace"][1] == ("name", "release", "version", "environment", "level") and CUBES["user"][1] == ("user",)
assert WITHOUT_HISTOGRAMS == {"user", "tag"}  # `add_trace` counts no histogram there
QUARTER_S = min(HISTOGRAM_GRAINS_S)
# (project, cube, minute, dimension values in the cube's order)
CellKey = tuple[int, str, int, tuple[Any, ...]]


class RollupDeltas:
    """Deltas to the rollups: sums per (project, cube, minute, dimension values) in `cells`, and
    histograms per quarter-hour in `quarters` (the finest rows that keep them, `rollup_cells.
    HISTOGRAM_GRAINS_S`): a span counts its histograms once per quarter-hour cell, and the flush
    merges a quarter's histograms instead of fifteen minutes'. Not thread-safe: the writer
    thread's (or a decode worker's, for one batch)."""

    __slots__ = ("cells", "quarters")

    def __init__(self) -> None:
        self.cells: dict[CellKey, Cell] = {}
        self.quarters: dict[CellKey, Cell] = {}

    def __bool__(self) -> bool:
        return bool(self.cells)

    def _cells_at(self, project_id: int, cube: str, moment_s: float, values: tuple[Any, ...]) -> tuple[Cell, Cell]:
        """The minute's cell (sums) and the quarter-hour's cell (histograms) of this key."""
        minute = int(moment_s) // 60 * 60
        key = (project_id, cube, minute, values)
        cell = self.cells.get(key)
        if cell is None:
            cell = self.cells[key] = Cell(False)
        quarter_key = (project_id, cube, minute - minute % QUARTER_S, values)
        quarter = self.quarters.get(quarter_key)
        if quarter is None:
            quarter = self.quarters[quarter_key] = Cell()
        return cell, quarter

    def add_observations(self, rows: Iterable[dict[str, Any]], sign: int = 1) -> None:
        """Observation rows as the writer inserts them (they carry project_id)."""
        for row in rows:
            values = (row["type"], row["name"], row["model"], row["provider"], row["level"], row["source"],
                      row["environment"], row["version"])  # fmt: skip
            start_s = epoch_s(row["start_time"])
            cell, quarter = self._cells_at(row["project_id"], "obs", start_s, values)
            count_observation(cell, row, sign, start_s, quarter)

    def add_trace(
        self, project_id: int, timestamp: Any, dims: dict[str, Any], tags: Any, totals: Any, sign: int = 1
    ) -> None:
        """A trace's cells: one in "trace", one in "user" and one per tag in "tag" (a trace without
        a user or tags under ""), so that each cube alone sums to the whole. `dims` has name,
        release, version, environment, level and user. Runs twice per trace and commit."""
        moment = epoch_s(timestamp)
        trace = (dims["name"], dims["release"], dims["version"], dims["environment"], dims["level"])
        cell, quarter = self._cells_at(project_id, "trace", moment, trace)
        count_trace(cell, totals, sign, quarter)
        count_trace(self._sums_at(project_id, "user", moment, (dims["user"],)), totals, sign, False)
        for tag in tags or (None,):
            count_trace(self._sums_at(project_id, "tag", moment, (tag,)), totals, sign, False)

    def _sums_at(self, project_id: int, cube: str, moment_s: float, values: tuple[Any, ...]) -> Cell:
        """A cube without histograms (users, tags): the minute's cell alone."""
        minute = int(moment_s) // 60 * 60
        key = (project_id, cube, minute, values)
        cell = self.cells.get(key)
        if cell is None:
            cell = self.cells[key] = Cell(False)
        return cell

    def add_trace_row(self, row: Any, sign: int = 1) -> None:
        """A trace as its `trace_totals` row counted it."""
        self.add_trace(row.project_id, row.timestamp, trace_row_dims(row), row.tags, row, sign)

    def add_scores(self, rows: Iterable[Any], sign: int = 1) -> None:
        """Score rows; a score written twice under one id counts once (the last write is stored)."""
        last = {(row["project_id"], row.get("id") or id(row)): row for row in rows} if sign > 0 else None
        for row in last.values() if last is not None else rows:
            values = (row["name"], row["source"], row["data_type"])
            cell, quarter = self._cells_at(row["project_id"], "score", epoch_s(row["timestamp"]), values)
            count_score(cell, row, sign, quarter)

    def merge(self, other: RollupDeltas) -> None:
        for mine, theirs, with_histograms in ((self.cells, other.cells, False), (self.quarters, other.quarters, True)):
            for key, cell in theirs.items():
                found = mine.get(key)
                if found is None:
                    found = mine[key] = Cell(with_histograms)
                found.add(cell, with_histograms=with_histograms)


def trace_row_dims(row: Any) -> dict[str, Any]:
    return {
        "name": row.name_key, "release": row.release, "version": row.version, "environment": row.environment,
        "level": level_name(row.level_rank), "user": row.user_id,
    }  # fmt: skip
