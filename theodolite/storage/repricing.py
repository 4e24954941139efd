"""Re-price stored generations after a price change (`theodolite costs recompute`).

Batches of `batch_size` rows in `seq` order, each read and updated in its own short transaction,
so that an interrupted run has lost nothing and a re-run continues correctly: the result of
pricing a row depends only on the row and the current prices, so running twice changes nothing
the second time. Only rows whose cost changed are written. The rule is ingestion's own
(`theodolite.pricing.engine.cost_of_call`): a cache hit or a fallback stays a known $0 with its
saved amount re-priced. The per-trace, per-session and per-user totals of the re-priced calls
are updated in the same transaction as the calls (`trace_totals.refresh_costs`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, bindparam, func, or_, select, update

from theodolite.model import GENERATION_LIKE, Cost, CostStatus, Usage
from theodolite.pricing import PriceOverrides
from theodolite.pricing.engine import cost_of_call
from theodolite.storage import tables
from theodolite.storage.engine import Database
from theodolite.storage.process_locks import lock_projects
from theodolite.storage.rollups import RollupDeltas, flush_rollups
from theodolite.storage.trace_totals import refresh_costs

o = tables.observations
_NO_OVERRIDES = PriceOverrides()
_COST_COLUMNS = (
    "calculated_input_cost", "calculated_output_cost", "calculated_total_cost", "cost_status", "saved_cost",
)  # fmt: skip
_READ = (
    o.c.seq, o.c.trace_id, o.c.project_id, o.c.type, o.c.source, o.c.model, o.c.provider, o.c.start_time,
    o.c.prompt_tokens, o.c.completion_tokens, o.c.total_tokens,
    o.c.cache_read_tokens, o.c.cache_write_tokens, o.c.reasoning_tokens,
    o.c.input_cost, o.c.output_cost, o.c.total_cost,
    *(o.c[name] for name in _COST_COLUMNS),
    # What the call's rollup cell also counts (its cost moves between two cells of the same key).
    o.c.name, o.c.level, o.c.environment, o.c.version, o.c.end_time, o.c.completion_start_time,
)  # fmt: skip


@dataclass(slots=True)
class RepriceSummary:
    scanned: int = 0
    changed: int = 0
    by_status: dict[str, int] | None = None


def _scope(since: datetime, until: datetime | None, project_id: int | None):
    generation_types = [t.value for t in GENERATION_LIKE]
    conditions = [o.c.start_time >= since, or_(o.c.type.in_(generation_types), o.c.total_cost.is_not(None))]
    if until is not None:
        conditions.append(o.c.start_time < until)
    if project_id is not None:
        conditions.append(o.c.project_id == project_id)
    return and_(*conditions)


def count_to_reprice(database: Database, since: datetime, until: datetime | None, project_id: int | None) -> int:
    with database.connect() as conn:
        return int(conn.execute(select(func.count()).where(_scope(since, until, project_id))).scalar_one())


def _new_cost(row, overrides: dict[int, PriceOverrides]) -> Cost:
    usage = Usage(
        row.prompt_tokens, row.completion_tokens, row.total_tokens,
        row.cache_read_tokens, row.cache_write_tokens, row.reasoning_tokens,
    )  # fmt: skip
    reported = Cost(reported_input=row.input_cost, reported_output=row.output_cost, reported_total=row.total_cost)
    project = overrides.get(row.project_id, _NO_OVERRIDES)
    cost = cost_of_call(row.type, row.source, usage, row.model, row.provider, row.start_time, reported, project)
    return Cost(status=CostStatus.NOT_APPLICABLE) if cost is None else cost  # None: outside _scope, never read


def reprice(
    database: Database,
    overrides: dict[int, PriceOverrides],
    *,
    since: datetime,
    until: datetime | None = None,
    project_id: int | None = None,
    batch_size: int = 2000,
    on_batch: Callable[[int], None] = lambda n: None,
) -> RepriceSummary:
    """Re-price every generation in the range with today's prices and `overrides`. Blocks."""
    summary = RepriceSummary(by_status={})
    scope = _scope(since, until, project_id)
    statement = (
        update(o).where(o.c.seq == bindparam("b_seq")).values({name: bindparam(f"b_{name}") for name in _COST_COLUMNS})
    )
    after = None
    while True:
        query = select(*_READ).where(scope).order_by(o.c.seq).limit(batch_size)
        if after is not None:
            query = query.where(o.c.seq > after)
        with database.write_transaction() as conn:
            rows = conn.execute(query).all()
            if not rows:
                return summary
            if database.dialect_name == "postgresql":
                # A server's writer reads and writes the same totals and rollups: under its lock,
                # and the rows again (a Langfuse update may have replaced one before the lock).
                lock_projects(conn, [row.project_id for row in rows])
                rows = conn.execute(query).all()
                if not rows:
                    return summary
            changes, traces = [], set()
            rollup_deltas = RollupDeltas()
            for row in rows:
                cost = _new_cost(row, overrides)
                summary.by_status[cost.status.value] = summary.by_status.get(cost.status.value, 0) + 1
                new = (
                    cost.calculated_input, cost.calculated_output, cost.calculated_total, cost.status.value, cost.saved,
                )  # fmt: skip
                old = tuple(getattr(row, name) for name in _COST_COLUMNS)
                if new != old:
                    changes.append({"b_seq": row.seq, **{f"b_{n}": v for n, v in zip(_COST_COLUMNS, new, strict=True)}})
                    traces.add(row.trace_id)
                    stored = dict(row._mapping)
                    rollup_deltas.add_observations([stored], -1)
                    rollup_deltas.add_observations([stored | dict(zip(_COST_COLUMNS, new, strict=True))])
            if changes:
                conn.execute(statement, changes)
                flush_rollups(conn, rollup_deltas)
                refresh_costs(conn, database.engine.dialect, traces)  # their traces', sessions' and users' totals
        summary.scanned += len(rows)
        summary.changed += len(changes)
        after = rows[-1].seq
        on_batch(len(rows))
