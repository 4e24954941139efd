"""What an aggregate over time is made of: dimensions, the rollup cubes, and the cell that sums a
group of observations, traces or scores in one time bucket.

One definition serves three places, so that they cannot disagree:
- the writer adds each commit's cells to the minute and hour rollups (`storage/rollups.py`);
- `theodolite rollups rebuild` re-derives the rollups from the raw rows with the same cells;
- an aggregate no cube covers (group by session, or by user and model) sums the raw rows through
  the same cells at read time (`storage/sql/queries/analytics.py`).

Rows come as dicts with the column names of `observations` (as the writer inserts them),
`trace_totals` plus the trace's dimensions, and `scores`; times are datetimes or SQLite's text.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from theodolite.model import histograms

# The dimensions an aggregate can be grouped and filtered by (the API's names).
DIMENSIONS = (
    "type", "name", "model", "provider", "level", "source", "environment", "version", "release", "user", "session",
    "tag",
)  # fmt: skip
SCOPES = ("observations", "traces", "scores")
LEVELS = ("DEBUG", "DEFAULT", "WARNING", "ERROR")  # trace_totals.level_rank indexes this

# A cube: the dimensions its rows are keyed by, and the scope of what its cells count. A trace
# counts in one "trace" row, one "user" row and one "tag" row per tag (a trace without a user or
# tags under ""), so each cube alone sums to the whole. Sessions have no cube: a session is about
# one trace long, so a cube of them would be as big as the traces.
CUBES: dict[str, tuple[str, tuple[str, ...]]] = {
    "obs": ("observations", ("type", "name", "model", "provider", "level", "source", "environment", "version")),
    "trace": ("traces", ("name", "release", "version", "environment", "level")),
    "user": ("traces", ("user",)),
    "tag": ("traces", ("tag",)),
    "score": ("scores", ("name", "source", "type")),
}
# Projections: smaller cubes summed from a base cube's cells when the writer flushes (no work per
# span). A query reads the smallest cube of its scope that has its dimensions: a chart of cost by
# model reads a row per model and hour, not one per combination of the eight dimensions of "obs"
# (70 an hour in the demo's traffic), and percentiles merge that many fewer histograms.
PROJECTIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "obs_m": ("obs", ("model", "provider")),
    "obs_n": ("obs", ("name", "type")),
    "obs_0": ("obs", ()),
    "trace_0": ("trace", ()),
}
CUBES.update({name: (CUBES[base][0], names) for name, (base, names) in PROJECTIONS.items()})
# Every dimension some cube has: the rollup table's `d_*` columns.
ROLLUP_DIMENSIONS = tuple(dict.fromkeys(name for _, names in CUBES.values() for name in names))
# Minute, quarter-hour and hour rows: a 7-day range reads 168 hour rows per group, a day at 15
# minutes 96 quarter-hour rows, and a range's edges the finer rows.
GRAINS_S = (60, 900, 3600)
# The model and name projections keep no minute rows: they are nearly as many as their base's (a
# week of the demo: 206,000 name and 75,000 model minute rows for the 270,000 of "obs"), and each
# costs the writer a row write; a range's minute edges read the base cube's minute rows, grouped by
# the projection's dimensions (`storage/rollups.read_cells`).
# Users and tags: a busy minute has as many users as traces, so a row per user and minute would cost
# the writer a read and a write per trace. They are kept per hour only, with sums and no histograms
# (their ranges widen to whole hours; a percentile per user or tag reads raw rows).
CUBE_GRAINS_S = {"user": (3600,), "tag": (3600,), "obs_m": (900, 3600), "obs_n": (900, 3600)}
WITHOUT_HISTOGRAMS = frozenset({"user", "tag"})


# Minute rows hold sums only: live traffic touches every minute row of its spread at each step,
# and a row with histograms must be read, merged and written back, while sums add in SQL. A
# percentile reads quarter-hour and hour rows (its range widens to whole quarter-hours).
HISTOGRAM_GRAINS_S = (900, 3600)


def grains_of(cube: str, histogram: bool = False) -> tuple[int, ...]:
    grains = CUBE_GRAINS_S.get(cube, GRAINS_S)
    return tuple(grain for grain in grains if grain in HISTOGRAM_GRAINS_S) if histogram else grains


def base_of(cube: str) -> str:
    """The cube a projection is summed from (a base cube: itself)."""
    return PROJECTIONS[cube][0] if cube in PROJECTIONS else cube


def keeps_histograms(cube: str, grain_s: int) -> bool:
    return cube not in WITHOUT_HISTOGRAMS and grain_s in HISTOGRAM_GRAINS_S


MEASURE_FIELDS = (
    "n", "errors", "input_tokens", "output_tokens", "total_tokens", "cost", "priced", "unpriced",
    "latency_sum", "latency_n", "ttft_sum", "ttft_n", "value_sum", "value_n",
)  # fmt: skip
HISTOGRAMS = ("h_latency", "h_ttft", "h_cost", "h_tokens", "h_value")  # `Cell.add` spells both lists out


class Cell:
    """Sums of a group of rows in one bucket. Costs are USD floats, times milliseconds."""

    __slots__ = (*MEASURE_FIELDS, *HISTOGRAMS)

    def __init__(self, histograms: bool = True) -> None:
        self.n = self.errors = self.input_tokens = self.output_tokens = self.total_tokens = 0
        self.priced = self.unpriced = self.latency_n = self.ttft_n = self.value_n = 0
        self.cost = self.latency_sum = self.ttft_sum = self.value_sum = 0
        if histograms:
            self.h_latency, self.h_ttft, self.h_cost, self.h_tokens, self.h_value = {}, {}, {}, {}, {}
        else:
            # A cell of sums (minute rows, users, tags): the writer makes tens of thousands per step
            # and five dicts each cost more than the rest. None, not {}: counting a value into it
            # fails, and it pickles (decode workers send cells).
            self.h_latency = self.h_ttft = self.h_cost = self.h_tokens = self.h_value = None

    def add(self, other: Cell, sign: int = 1, *, with_histograms: bool = True) -> None:
        # Spelled out, not a loop over the names: the writer's flush runs this for every row it
        # touches (three times fewer bytecodes than getattr/setattr by name).
        self.n += sign * other.n
        self.errors += sign * other.errors
        self.input_tokens += sign * other.input_tokens
        self.output_tokens += sign * other.output_tokens
        self.total_tokens += sign * other.total_tokens
        self.cost += sign * other.cost
        self.priced += sign * other.priced
        self.unpriced += sign * other.unpriced
        self.latency_sum += sign * other.latency_sum
        self.latency_n += sign * other.latency_n
        self.ttft_sum += sign * other.ttft_sum
        self.ttft_n += sign * other.ttft_n
        self.value_sum += sign * other.value_sum
        self.value_n += sign * other.value_n
        if with_histograms:
            self.add_histograms(other, sign)

    def add_histograms(self, other: Cell, sign: int = 1) -> None:
        if other.h_latency:
            histograms.add(self.h_latency, other.h_latency, sign)
        if other.h_ttft:
            histograms.add(self.h_ttft, other.h_ttft, sign)
        if other.h_cost:
            histograms.add(self.h_cost, other.h_cost, sign)
        if other.h_tokens:
            histograms.add(self.h_tokens, other.h_tokens, sign)
        if other.h_value:
            histograms.add(self.h_value, other.h_value, sign)

    def is_empty(self) -> bool:
        return self.n == 0 and not any(getattr(self, name) for name in HISTOGRAMS)


_MINUTES: dict[str, float] = {}
MINUTES_KEPT = 10_000


def epoch_s(value: Any) -> float:
    """A stored time (datetime, or SQLite's 'YYYY-MM-DD HH:MM:SS.ffffff' text) as UTC epoch seconds.
    The writer runs this for every span: SQLite's text is read as a cached minute plus its seconds
    (0.3 µs instead of 1.1 µs for a full parse)."""
    if isinstance(value, str):
        if len(value) > 17 and value[16] == ":":
            minute = _MINUTES.get(value[:16])
            if minute is None:
                if len(_MINUTES) >= MINUTES_KEPT:
                    _MINUTES.clear()
                minute = _MINUTES[value[:16]] = datetime.fromisoformat(value[:16]).replace(tzinfo=UTC).timestamp()
            return minute + float(value[17:])
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.timestamp()


def observation_cell(row: dict[str, Any]) -> Cell:
    cell = Cell()
    count_observation(cell, row)
    return cell


def count_observation(
    cell: Cell, row: dict[str, Any], sign: int = 1, start_s: float | None = None, hist: Cell | None = None
) -> None:
    """Add (sign -1: take away) one observation, as `trace_totals.Sums.add_observation` counts it:
    a not-billed call has no cost, an unpriced one counts apart. In place: the writer runs this
    once per stored span. Histograms go to `hist` when given (the writer keeps them per quarter-hour).
    """
    h = cell if hist is None else hist
    cell.n += sign
    if row["level"] == "ERROR":
        cell.errors += sign
    cell.input_tokens += sign * (row["prompt_tokens"] or 0)
    cell.output_tokens += sign * (row["completion_tokens"] or 0)
    total = row["total_tokens"]
    if total is not None:
        cell.total_tokens += sign * total
        histograms.count_value(h.h_tokens, total, sign)
    status = row["cost_status"]
    if status != "not_billed":
        cost = row["calculated_total_cost"]
        if cost is None:
            cost = row["total_cost"]
        if cost is not None:
            cost = float(cost)
            cell.cost += sign * cost
            cell.priced += sign
            histograms.count_value(h.h_cost, cost, sign)
        if status == "unpriced":
            cell.unpriced += sign
    start, end, first = row["start_time"], row["end_time"], row["completion_start_time"]
    if end is not None or first is not None:
        if start_s is None:
            start_s = epoch_s(start)
        if end is not None:
            latency = max(0.0, (epoch_s(end) - start_s) * 1000)
            cell.latency_sum += sign * latency
            cell.latency_n += sign
            histograms.count_value(h.h_latency, latency, sign)
        if first is not None:
            ttft = max(0.0, (epoch_s(first) - start_s) * 1000)
            cell.ttft_sum += sign * ttft
            cell.ttft_n += sign
            histograms.count_value(h.h_ttft, ttft, sign)


def trace_cell(totals: Any) -> Cell:
    cell = Cell()
    count_trace(cell, totals)
    return cell


def count_trace(cell: Cell, totals: Any, sign: int = 1, hist: Cell | None | bool = True) -> None:
    """Add (or take away) one trace from its totals: a `trace_totals.Sums` or a `trace_totals`
    row (cost in `total_cost`, latency in `latency_s`). Histograms into `hist` (a cell), into
    `cell` (True) or nowhere (False, None)."""
    h = cell if hist is True else hist or None
    with_histograms = h is not None
    cell.n += sign
    if totals.error_count:
        cell.errors += sign
    cell.input_tokens += sign * totals.input_tokens
    cell.output_tokens += sign * totals.output_tokens
    cell.total_tokens += sign * totals.total_tokens
    if with_histograms:
        histograms.count_value(h.h_tokens, totals.total_tokens, sign)
    cost = totals.cost if hasattr(totals, "cost") else totals.total_cost
    if totals.priced_count and cost is not None:
        cost = float(cost)
        cell.cost += sign * cost
        cell.priced += sign
        if with_histograms:
            histograms.count_value(h.h_cost, cost, sign)
    if totals.unpriced_count:
        cell.unpriced += sign
    latency_s = totals.latency_s() if callable(getattr(totals, "latency_s", None)) else totals.latency_s
    if latency_s is not None:
        latency = max(0.0, latency_s * 1000)
        cell.latency_sum += sign * latency
        cell.latency_n += sign
        if with_histograms:
            histograms.count_value(h.h_latency, latency, sign)


def score_cell(row: Any) -> Cell:
    cell = Cell()
    count_score(cell, row)
    return cell


def count_score(cell: Cell, row: Any, sign: int = 1, hist: Cell | None = None) -> None:
    """A score row (categorical scores have no value: counted, not summed)."""
    h = cell if hist is None else hist
    cell.n += sign
    value = row["value"]
    if value is not None:
        cell.value_sum += sign * float(value)
        cell.value_n += sign
        histograms.count_value(h.h_value, float(value), sign)


def level_name(rank: int | None) -> str:
    return LEVELS[rank] if rank is not None and 0 <= rank < len(LEVELS) else "DEFAULT"


def dims_key(values: tuple[Any, ...]) -> str:
    """The rollup row's key part for its dimension values, in the cube's order (None as "")."""
    return "\x1f".join("" if value is None else str(value) for value in values)
