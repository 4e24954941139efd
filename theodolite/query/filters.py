"""What a read asks for, engine-neutral: the trace and observation filters, the trace list's sort
and score filters, and their parsing from request parameters.

Every trace store (SQL today, ClickHouse next) takes these; none of them knows a table or a
column, so this module imports no database library.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation

from theodolite.errors import BadRequestError

# The trace list's orders besides a named score; "time" is the default (newest first).
SORT_KEYS = ("time", "name", "user", "session", "tags", "latency", "tokens", "cost", "level")
SCORE_PREFIX = "score:"
SORT_NAMES = (*SORT_KEYS, "score:NAME")
COMPARISONS = {">=": "__ge__", "<=": "__le__", ">": "__gt__", "<": "__lt__", "=": "__eq__", "!=": "__ne__"}
_SCORE_FILTER = re.compile(r"^(?P<name>.+?)(?P<op>>=|<=|!=|=|>|<)(?P<value>[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?)$")


@dataclass(frozen=True, slots=True)
class Sort:
    name: str = "time"  # one of SORT_KEYS or "score:<score name>"
    descending: bool = True

    @classmethod
    def parse(cls, sort: str | None, order: str | None) -> Sort:
        name = sort or "time"
        if name not in SORT_KEYS and not (name.startswith(SCORE_PREFIX) and len(name) > len(SCORE_PREFIX)):
            raise BadRequestError(f"sort must be one of {', '.join(SORT_NAMES)}, not {name!r}")
        if order not in (None, "asc", "desc"):
            raise BadRequestError(f"order must be asc or desc, not {order!r}")
        return cls(name, order != "asc")

    @property
    def score_name(self) -> str | None:
        return self.name[len(SCORE_PREFIX) :] if self.name.startswith(SCORE_PREFIX) else None

    @property
    def is_default(self) -> bool:
        return self.name == "time" and self.descending


@dataclass(frozen=True, slots=True)
class ScoreFilter:
    """Traces with a score `name` whose mean value compares to `value` (`helpfulness>=0.8`)."""

    name: str
    op: str  # a key of COMPARISONS
    value: float

    @classmethod
    def parse(cls, text: str) -> ScoreFilter:
        match = _SCORE_FILTER.match(text.strip())
        if match is None:
            raise BadRequestError(
                f"score filter {text!r} is not NAME<op>NUMBER, with <op> one of {' '.join(COMPARISONS)}"
            )
        return cls(match["name"].strip(), match["op"], float(match["value"]))


def parse_money(value: str | None, name: str) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        amount = Decimal(value)
    except InvalidOperation as exc:
        raise BadRequestError(f"{name} must be a number of USD, not {value!r}") from exc
    if not amount.is_finite():
        raise BadRequestError(f"{name} must be a finite number, not {value!r}")
    return amount


@dataclass(slots=True)
class TraceFilter:
    start: datetime | None = None  # inclusive
    end: datetime | None = None  # exclusive
    name: str | None = None
    user_id: str | None = None
    session_id: str | None = None
    tags: list[str] = field(default_factory=list)  # all must be present
    model: str | None = None  # some observation asked for or answered with this model
    level: str | None = None  # some observation has this level
    release: str | None = None
    environment: str | None = None
    search: str | None = None  # full-text, in inputs and outputs (storage/search_text.py)
    sort: Sort = field(default_factory=Sort)
    cost_min: Decimal | None = None  # USD, inclusive; a trace without a known cost never matches
    cost_max: Decimal | None = None
    latency_min: float | None = None  # seconds, inclusive
    latency_max: float | None = None
    scores: list[ScoreFilter] = field(default_factory=list)  # all must hold

    def on_totals(self) -> bool:
        """Whether the list must read per-trace totals or scores (another order, a totals filter)."""
        ranges = (self.cost_min, self.cost_max, self.latency_min, self.latency_max)
        return not self.sort.is_default or bool(self.scores) or any(bound is not None for bound in ranges)


@dataclass(slots=True)
class ObservationFilter:
    start: datetime | None = None  # inclusive, on start_time
    end: datetime | None = None  # exclusive
    type: str | None = None
    model: str | None = None
    name: str | None = None
    trace_id: str | None = None
    level: str | None = None
