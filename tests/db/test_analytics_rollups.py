"""The rollups the writer keeps answer every aggregate as the raw rows do (counts and sums exactly,
percentiles within the histograms' 1 %), on SQLite and PostgreSQL; `rollups rebuild` re-derives the
same rows; `costs recompute` and re-sent data move them as they move the raw rows."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from theodolite.cli.demo_command import write_demo
from theodolite.model import histograms
from theodolite.query.analytics_params import make_metric_query
from theodolite.server.settings import Settings
from theodolite.storage import rollups, tables
from theodolite.storage.engine import Database
from theodolite.storage.metadata.projects import get_or_create_project
from theodolite.storage.sql.queries import analytics
from theodolite.storage.sql.queries.analytics import list_metric_rows

NOW = datetime(2026, 11, 20, 12, 0, 7, tzinfo=UTC)
DAYS = 3


@pytest.fixture
def demo(database: Database) -> tuple[Database, int]:
    project_id, _ = get_or_create_project(database, "demo")
    write_demo(database, project_id, now=NOW, days=DAYS, traces_per_day=120, seed=7, settings=Settings())
    return database, project_id


def query(project_id: int, **given: Any) -> Any:
    defaults: dict[str, Any] = {
        "measure": "cost", "aggregation": None, "scope": None, "group_by": [], "interval": "1h",
        "filters": {}, "fill": "none", "start": NOW - timedelta(days=DAYS + 1), "end": NOW,
    }  # fmt: skip
    return make_metric_query(project_id, **(defaults | given))


def raw(database: Database, metric_query: Any, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    with monkeypatch.context() as patch:
        patch.setattr(analytics.rollups, "ready", lambda *_: False)
        return list_metric_rows(database, metric_query)


def assert_same(rolled: list[dict], exact: list[dict], relative: float = 1e-9) -> None:
    assert [{k: v for k, v in row.items() if k != "value"} for row in rolled] == [
        {k: v for k, v in row.items() if k != "value"} for row in exact
    ]
    for got, want in zip(rolled, exact, strict=True):
        if want["value"] is None:
            assert got["value"] is None
        else:
            assert got["value"] == pytest.approx(want["value"], rel=relative, abs=1e-9), (got, want)


CASES = [
    ({"measure": "cost"}, 1e-9),
    ({"measure": "cost", "group_by": ["model"]}, 1e-9),
    ({"measure": "observation_count", "group_by": ["type", "level"]}, 0),
    ({"measure": "trace_count", "group_by": ["name"], "interval": "1d"}, 0),
    ({"measure": "total_tokens", "aggregation": "avg", "scope": "traces", "group_by": ["user"],
      "interval": "total"}, 1e-9),
    ({"measure": "cost", "scope": "traces", "group_by": ["tag"], "interval": "6h"}, 1e-9),
    ({"measure": "error_rate", "group_by": ["name"], "interval": "1d"}, 1e-9),
    ({"measure": "latency", "aggregation": "p95", "group_by": ["name"]}, 0.0101),
    ({"measure": "latency", "aggregation": "max", "scope": "traces", "interval": "total"}, 0.0101),
    ({"measure": "ttft", "aggregation": "p50", "group_by": ["model"], "interval": "total"}, 0.0101),
    ({"measure": "score", "aggregation": "avg", "group_by": ["name"], "interval": "1d"}, 1e-9),
    ({"measure": "score", "aggregation": "count", "group_by": ["name", "source"], "interval": "total"}, 0),
    ({"measure": "cost", "filters": {"model": ("gpt-4o-mini",)}, "interval": "15m"}, 1e-9),
    ({"measure": "input_tokens", "group_by": ["provider"], "interval": "5m",
      "start": NOW - timedelta(hours=5, minutes=17), "end": NOW - timedelta(minutes=3)}, 0),
    # Projections without minute rows: the edges come from the base cube's minute rows.
    ({"measure": "observation_count", "group_by": ["name"], "start": NOW - timedelta(hours=30, minutes=7),
      "end": NOW - timedelta(hours=2, minutes=44)}, 0),
    ({"measure": "cost", "group_by": ["model"], "interval": "15m", "start": NOW - timedelta(hours=20, minutes=52),
      "end": NOW - timedelta(hours=1, minutes=1)}, 1e-9),
]  # fmt: skip


@pytest.mark.parametrize(("given", "relative"), CASES, ids=[str(case[0]) for case in CASES])
def test_rollups_answer_as_the_raw_rows_do(
    demo: tuple[Database, int], given: dict, relative: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    database, project_id = demo
    metric_query = query(project_id, **given)
    with database.connect() as conn:
        assert rollups.ready(conn)
    rolled = list_metric_rows(database, metric_query)
    assert rolled, "the demo has data in the range"
    assert_same(rolled, raw(database, metric_query, monkeypatch), relative)


def test_costs_and_counts_equal_sql_over_the_observations(demo: tuple[Database, int]) -> None:
    database, project_id = demo
    o = tables.observations
    start, end = NOW - timedelta(days=2), NOW - timedelta(hours=1)
    rows = list_metric_rows(database, query(project_id, measure="cost", interval="total", start=start, end=end))
    count = list_metric_rows(
        database, query(project_id, measure="observation_count", interval="total", start=start, end=end)
    )
    billed = func.coalesce(o.c.calculated_total_cost, o.c.total_cost)
    in_range = (
        o.c.project_id == project_id,
        o.c.start_time >= start.replace(second=0),
        o.c.start_time < end.replace(second=0) + timedelta(minutes=1),
    )
    with database.connect() as conn:
        sql_cost = conn.execute(select(func.sum(billed)).where(*in_range, o.c.cost_status != "not_billed")).scalar_one()
        sql_count = conn.execute(select(func.count()).where(*in_range)).scalar_one()
    assert round(rows[0]["value"], 2) == round(float(sql_cost), 2) and rows[0]["value"] == pytest.approx(
        float(sql_cost)
    )
    assert count[0]["value"] == sql_count


def test_percentiles_are_within_the_stated_error_of_exact_ones(demo: tuple[Database, int]) -> None:
    database, project_id = demo
    o = tables.observations
    with database.connect() as conn:
        found = conn.execute(select(o.c.start_time, o.c.end_time).where(o.c.end_time.is_not(None))).all()
    latencies = sorted(max(0.0, (end - start).total_seconds() * 1000) for start, end in found)
    for name, q in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99), ("min", 0.0), ("max", 1.0)):
        everything = {"start": NOW - timedelta(days=30), "end": NOW + timedelta(days=1), "interval": "total"}
        rows = list_metric_rows(database, query(project_id, measure="latency", aggregation=name, **everything))
        exact = latencies[round(q * (len(latencies) - 1))]
        assert rows[0]["value"] == pytest.approx(exact, rel=histograms.RELATIVE_ACCURACY + 1e-6), name


def test_histogram_quantiles_on_random_values() -> None:
    rng = random.Random(3)
    values = [rng.lognormvariate(5, 2) * rng.choice((1, 1, 1, -1)) for _ in range(5000)] + [0.0] * 50
    histogram: dict[int, int] = {}
    for value in values:
        histograms.count_value(histogram, value)
    assert histograms.decode(histograms.encode(histogram)) == histogram
    ordered = sorted(values)
    for q in (0.0, 0.01, 0.25, 0.5, 0.9, 0.99, 1.0):
        exact = ordered[round(q * (len(ordered) - 1))]
        assert math.isclose(histograms.quantile(histogram, q), exact, rel_tol=0.0101, abs_tol=1e-9), q
    for value in values:  # subtracting everything leaves nothing
        histograms.count_value(histogram, value, -1)
    assert histogram == {}


def snapshot(database: Database) -> list[tuple]:
    r = tables.rollups
    with database.connect() as conn:
        rows = conn.execute(select(r).order_by(r.c.project_id, r.c.cube, r.c.grain_s, r.c.bucket, r.c.dims_key)).all()
    normalised = []
    for row in rows:
        values = dict(row._mapping)
        for name in ("cost", "latency_sum", "ttft_sum", "value_sum"):
            values[name] = pytest.approx(values[name], rel=1e-9, abs=1e-12)  # sums in another order
        for name in rollups.HISTOGRAMS:
            values[name] = histograms.decode(values[name])
        normalised.append(tuple(values.items()))
    return normalised


def test_a_rebuild_derives_what_the_writer_kept(demo: tuple[Database, int]) -> None:
    database, _ = demo
    kept = snapshot(database)
    with database.write_transaction() as conn:
        written = rollups.rebuild(conn, database.dialect_name)
    assert written == len(kept) > 100
    assert kept == snapshot(database)


def test_a_costs_recompute_moves_the_rollups_as_it_moves_the_calls(demo: tuple[Database, int]) -> None:
    from theodolite.storage.repricing import reprice

    database, project_id = demo
    o = tables.observations
    with database.write_transaction() as conn:  # as if the prices had changed since: every cost doubled
        conn.execute(update(o).values(calculated_total_cost=o.c.calculated_total_cost * 2))
        rollups.rebuild(conn, database.dialect_name)
    summary = reprice(database, {}, since=NOW - timedelta(days=30))
    assert summary.changed > 100
    kept = snapshot(database)
    with database.write_transaction() as conn:
        rollups.rebuild(conn, database.dialect_name)
    assert kept == snapshot(database)


def test_the_rebuild_command_refuses_a_database_a_server_writes(tmp_path: Any) -> None:
    from click.testing import CliRunner

    from theodolite.cli.main import cli
    from theodolite.storage.engine import open_database
    from theodolite.storage.writer_lease import WriterLease

    url = f"sqlite:///{tmp_path / 'theodolite.db'}"
    database = open_database(url, migrate=True)
    try:
        project_id, _ = get_or_create_project(database, "demo")
        write_demo(database, project_id, now=NOW, days=1, traces_per_day=60, seed=2, settings=Settings())
        kept = snapshot(database)
        lease = WriterLease(database.path)
        try:
            refused = CliRunner().invoke(cli, ["rollups", "rebuild", "--database-url", url])
        finally:
            lease.release()
        assert refused.exit_code != 0 and "another Theodolite process" in refused.output
        done = CliRunner().invoke(cli, ["rollups", "rebuild", "--database-url", url])
        assert done.exit_code == 0, done.output
        assert f"wrote {len(kept):,} rollup rows" in done.output
        assert snapshot(database) == kept
    finally:
        database.dispose()


def test_re_sent_traffic_changes_no_rollup(demo: tuple[Database, int]) -> None:
    database, project_id = demo
    kept = snapshot(database)
    write_demo(database, project_id, now=NOW, days=DAYS, traces_per_day=120, seed=7, settings=Settings())
    assert kept == snapshot(database)
