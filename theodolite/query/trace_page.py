"""The web UI's trace page from rows any store reads: the skeleton's columns and totals, and the
in-trace search's matching. Engine-neutral: the SQL store (`storage/sql/queries/trace_page.py`)
and the ClickHouse one (`storage/clickhouse/queries/trace_page.py`) read the rows, this shapes them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from operator import itemgetter
from types import SimpleNamespace
from typing import Any

from theodolite.model import CostStatus
from theodolite.query.totals import empty_totals, totals_from_row

NOT_BILLED = CostStatus.NOT_BILLED.value
# The skeleton's raw columns, in the order a store selects them: the observation's id, parent id,
# type, name, start, end, level, model, prompt, completion and total tokens, cost (calculated, else
# reported; a float), cost status and saved cost (for the totals, not a column of the answer).
SKELETON_NAMES = ("id", "parent", "type", "name", "start", "end", "level", "model", "input_tokens", "output_tokens",
                  "tokens", "cost", "cost_status", "saved")  # fmt: skip
START_ORDER = itemgetter(4, 0)  # (start, id): the skeleton's order
FIELDS = ("id", "parent", "type", "name", "start_ms", "duration_ms", "level", "model", "input_tokens",
          "output_tokens", "tokens", "cost", "cost_status", "error")  # fmt: skip
_MICROSECOND = timedelta(microseconds=1)


def as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment  # SQLite: naive UTC


def transpose(rows: list[Any]) -> dict[str, list[Any]]:
    """Rows of SKELETON_NAMES -> one list per column, transposed in C (zip); times as datetimes."""
    if not rows:
        return {name: [] for name in SKELETON_NAMES}
    columns = dict(zip(SKELETON_NAMES, (list(column) for column in zip(*rows, strict=True)), strict=True))
    if isinstance(columns["start"][0], str):  # SQLite's `YYYY-MM-DD HH:MM:SS.ffffff`, naive UTC
        parse = datetime.fromisoformat
        columns["start"] = list(map(parse, columns["start"]))
        columns["end"] = [parse(end) if end is not None else None for end in columns["end"]]
    return columns


def skeleton_totals(columns: dict[str, list[Any]]) -> dict[str, Any]:
    """A whole trace's totals from its skeleton's columns, by the rules of a store's per-trace sums
    (a cache hit or a fallback is not billed, an unpriced call is counted, never summed as $0)."""
    ids = columns["id"]
    if not ids:
        return empty_totals() | {"latency_s": None}

    def total(values: Any) -> Any:  # SQL SUM: NULL when every value is NULL
        present = [value for value in values if value is not None]
        return sum(present) if present else None

    statuses = columns["cost_status"]
    billed = [cost for cost, status in zip(columns["cost"], statuses, strict=True) if status != NOT_BILLED]
    sums = SimpleNamespace(
        observation_count=len(ids),
        input_tokens=total(columns["input_tokens"]),
        output_tokens=total(columns["output_tokens"]),
        total_tokens=total(columns["tokens"]),
        total_cost=total(billed),
        saved_cost=total(columns["saved"]),
        unpriced_count=statuses.count("unpriced"),
        not_billed_count=statuses.count(NOT_BILLED),
        error_count=columns["level"].count("ERROR"),
    )
    totals = totals_from_row(sums)
    ends = [end for end in columns["end"] if end is not None]
    totals["latency_s"] = (max(ends) - columns["start"][0]).total_seconds() if ends else None
    return totals


def skeleton_columns(raw: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """The answer's columns (see `trace_skeleton`): one list comprehension per field; 10,000 rows in
    a few ms."""
    ids, starts, levels = raw["id"], raw["start"], raw["level"]
    if not ids:
        return {name: [] for name in FIELDS}
    index_of = {ident: i for i, ident in enumerate(ids)}
    first = starts[0]
    return {
        "id": ids,
        "parent": [index_of.get(parent, -1) if parent is not None else -1 for parent in raw["parent"]],
        "type": raw["type"],
        "name": raw["name"],
        # Whole microseconds, then milliseconds: 10.0, not 9.999000000000001.
        "start_ms": [((start - first) // _MICROSECOND) / 1000 for start in starts],
        "duration_ms": [
            ((end - start) // _MICROSECOND) / 1000 if end is not None else None
            for start, end in zip(starts, raw["end"], strict=True)
        ],
        "level": levels,
        "model": raw["model"],
        "input_tokens": raw["input_tokens"],
        "output_tokens": raw["output_tokens"],
        "tokens": raw["tokens"],
        "cost": raw["cost"],
        "cost_status": raw["cost_status"],
        "error": [level == "ERROR" for level in levels],
    }


def skeleton(
    trace: dict[str, Any], raw: dict[str, list[Any]], totals: dict[str, Any], max_observations: int
) -> dict[str, Any]:
    """The skeleton's answer: `trace` (its fields, scores and score count) with `totals`, and the
    observations `raw` holds (the first `max_observations` in start order)."""
    trace.update(totals)
    total = totals["observation_count"]
    shown = len(raw["id"])
    return {
        "trace": trace,
        "total": total,
        "truncated": shown < total,
        "max_observations": max_observations,
        "trace_start": as_utc(raw["start"][0]) if shown else trace["timestamp"],
        "observations": skeleton_columns(raw),
    }


def matches(needle: str, name: str | None, payload: dict[str, Any]) -> bool:
    """Whether an observation's name, input or output contains `needle` (already casefolded):
    compared on the decoded strings, so JSON escapes never hide a match."""
    return (name is not None and needle in name.casefold()) or any(
        needle in piece.casefold() for piece in _strings((payload.get("input"), payload.get("output")))
    )


def _strings(value: Any) -> Iterator[str]:
    """Every string in a JSON value: keys, string values, and numbers as text."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            for key, child in item.items():
                yield str(key)
                stack.append(child)
        elif isinstance(item, list | tuple):
            stack.extend(item)
        elif item is not None and not isinstance(item, bool):
            yield str(item)
