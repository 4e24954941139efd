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
from datetime import datetime

from sqlalchemy import and_, bindparam, func, or_, select, update

from theodolite.model import GENERATION_LIKE, Cost, Usage
from theodolite.pricing import PriceOverrides
from theodolite.storage import tables
from theodolite.storage.engine import Database
from theodolite.storage.process_locks import lock_projects
from theodolite.storage.repricing_rule import COST_COLUMNS, NO_OVERRIDES, RepriceSummary, cost_values, repriced
from theodolite.storage.rollups import RollupDeltas, flush_rollups
from theodolite.storage.trace_totals import refresh_costs

o = tables.observations
_READ = (
    o.c.seq, o.c.trace_id, o.c.project_id, o.c.type, o.c.source, o.c.model, o.c.provider, o.c.start_time,
    o.c.prompt_tokens, o.c.completion_tokens, o.c.total_tokens,
    o.c.cache_read_tokens, o.c.cache_write_tokens, o.c.reasoning_tokens,
    o.c.input_cost, o.c.output_cost, o.c.total_cost,
    *(o.c[name] for name in COST_COLUMNS),
    # What the call's rollup cell also counts (its cost moves between two cells of the same key).
    o.c.name, o.c.level, o.c.environment, o.c.version, o.c.end_time, o.c.completion_start_time,
)  # fmt: skip


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
    project = overrides.get(row.project_id, NO_OVERRIDES)
    return repriced(row.type, row.source, usage, row.model, row.provider, row.start_time, reported, project)


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
        update(o).where(o.c.seq == bindparam("b_seq")).values({name: bindparam(f"b_{name}") for name in COST_COLUMNS})
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
                summary.count(cost.status.value)
                new = cost_values(cost)
                old = tuple(getattr(row, name) for name in COST_COLUMNS)
                if new != old:
                    changes.append({"b_seq": row.seq, **{f"b_{n}": v for n, v in zip(COST_COLUMNS, new, strict=True)}})
                    traces.add(row.trace_id)
                    stored = dict(row._mapping)
                    rollup_deltas.add_observations([stored], -1)
                    rollup_deltas.add_observations([stored | dict(zip(COST_COLUMNS, new, strict=True))])
            if changes:
                conn.execute(statement, changes)
                flush_rollups(conn, rollup_deltas)
                refresh_costs(conn, database.engine.dialect, traces)  # their traces', sessions' and users' totals
        summary.scanned += len(rows)
        summary.changed += len(changes)
        after = rows[-1].seq
        on_batch(len(rows))
