"""`costs recompute` and `costs report` on a ClickHouse trace store (embedded: chdb), against the SQL
store. Demo traffic goes through the real ingest path into SQLite and `theodolite migrate-data` copies
it into ClickHouse; the SQLite file is also the ClickHouse store's metadata (projects, prices). After
a price override, both stores are re-priced by their own code: every call's cost, the cost report
and the analytics API's costs (rollups, per-trace totals) come out the same, and ClickHouse's
rollups and totals equal a fresh GROUP BY over its calls. A second run writes nothing; calls outside
the range keep their row. The commands themselves run end to end in a subprocess, on a chdb
directory of their own (tests/conftest.py `chdb_path`), and print the same as on SQLite."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

import pytest

try:
    import chdb  # noqa: F401
    import clickhouse_connect  # noqa: F401
except ImportError as error:  # the test extra installs both; a bare install skips, saying why
    pytest.skip(f"embedded ClickHouse (chdb + clickhouse-connect) is not installed: {error}", allow_module_level=True)

from click.testing import CliRunner
from sqlalchemy import select

from tests.support.clickhouse_stores import query_in_subprocess
from theodolite.cli.demo_command import write_demo
from theodolite.cli.main import cli
from theodolite.pricing import PriceOverride
from theodolite.query.analytics_params import make_metric_query
from theodolite.server.settings import Settings
from theodolite.storage import tables
from theodolite.storage.clickhouse.queries.sql import PRICED_COST
from theodolite.storage.clickhouse.store import ClickHouseTraceStore, open_clickhouse_store
from theodolite.storage.engine import Database, open_database
from theodolite.storage.metadata.prices import load_overrides, set_price
from theodolite.storage.metadata.project_reads import project_name
from theodolite.storage.metadata.projects import get_or_create_project
from theodolite.storage.sql_store import SqlTraceStore

NOW = datetime(2026, 11, 20, 12, 0, 7, tzinfo=UTC)
HOUR_END = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # whole hours: both stores read the same buckets
DAYS = 3
SINCE = datetime(2000, 1, 1, tzinfo=UTC)
UNKNOWN_MODEL = "orbit-7b-instruct"  # the demo's self-hosted model: no public price
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Rates with at most 6 decimals per million tokens: every cost has at most 12 decimals, so SQLite's
# REAL holds it exactly to the digit and the stores can be compared call by call.
OVERRIDES = [
    PriceOverride(UNKNOWN_MODEL, EPOCH, input_mtok=Decimal("0.2"), output_mtok=Decimal("0.4")),
    PriceOverride("gpt-4o-mini*", EPOCH, input_mtok=Decimal("1.234567"), output_mtok=Decimal("2.345678")),
]
REPORT_FIELDS = ("calls", "unpriced_calls", "partial_calls", "not_billed_calls", "input_tokens", "output_tokens",
                 "billed_costed_calls", "saved_calls", "cost", "saved")  # fmt: skip


@dataclass
class Pair:
    """The same traffic in SQLite (`sql`, also the metadata) and in ClickHouse (`ch`, database `name`)."""

    sql: Database
    ch: ClickHouseTraceStore
    project_id: int

    def rows(self, statement: str, **parameters: Any) -> list[tuple[Any, ...]]:
        text = statement.replace("DB.", f"`{self.ch.database}`.")
        return [tuple(row) for row in self.ch.client.query(text, parameters=parameters).result_rows]


@pytest.fixture
def pair(tmp_path: Path, chdb_path: Path) -> Iterator[Pair]:
    url = f"sqlite:///{tmp_path / 'theodolite.db'}"
    sql = open_database(url)
    project_id, _ = get_or_create_project(sql, "demo")
    write_demo(sql, project_id, now=NOW, days=DAYS, traces_per_day=80, seed=11, settings=Settings())
    name = "costs_" + uuid.uuid4().hex[:10]
    copied = CliRunner().invoke(cli, ["migrate-data", "--from", url, "--to", f"chdb://{chdb_path}?database={name}"])
    assert copied.exit_code == 0, copied.output
    ch = open_clickhouse_store(f"chdb://{chdb_path}?database={name}", migrate=False,
                               project_name=partial(project_name, sql))  # fmt: skip
    try:
        yield Pair(sql, ch, project_id)
    finally:
        ch.close()
        sql.dispose()


def override(pair: Pair, *overrides: PriceOverride) -> None:
    for item in overrides:
        set_price(pair.sql, pair.project_id, item)


def exact(value: Any) -> Decimal | None:
    """A cost SQLite stored as REAL, back to the decimal it was (at most 12 decimals)."""
    return None if value is None else Decimal(repr(float(value))).quantize(Decimal("1e-12"))


def sql_costs(pair: Pair) -> dict[str, tuple[Any, ...]]:
    o = tables.observations
    columns = (o.c.calculated_input_cost, o.c.calculated_output_cost, o.c.calculated_total_cost, o.c.saved_cost)
    with pair.sql.connect() as conn:
        rows = conn.execute(select(o.c.id, o.c.cost_status, *columns)).all()
    return {row[0]: (row[1], *map(exact, row[2:])) for row in rows}


def ch_costs(pair: Pair, where: str = "1") -> dict[str, tuple[Any, ...]]:
    rows = pair.rows(
        "SELECT id, cost_status, calculated_input_cost, calculated_output_cost, calculated_total_cost, saved_cost"
        f" FROM DB.observations FINAL WHERE {where}"
    )
    return {row[0]: row[1:] for row in rows}


def ch_versions(pair: Pair) -> dict[str, tuple[Any, ...]]:
    """Per call: its start, newest row version and cost, as a read sees them."""
    rows = pair.rows("SELECT id, start_time, row_version, calculated_total_cost, saved_cost FROM DB.observations FINAL")
    return {row[0]: row[1:] for row in rows}


def stored_rows(pair: Pair) -> tuple[int, ...]:
    """Every row on disk (no FINAL) of the calls and of what the views fed."""
    return tuple(
        pair.rows(f"SELECT count() FROM DB.{table}")[0][0]
        for table in ("observations", "trace_totals", "rollups_minute", "rollups_hour")
    )


def assert_views_equal_a_fresh_computation(pair: Pair) -> None:
    """The rollups and per-trace totals (fed by the views, sign-aware) equal a GROUP BY over the
    calls as they are now (FINAL): counts exactly, costs to the last digit."""
    for table in ("rollups_hour", "rollups_minute"):
        fed = pair.rows(
            f"SELECT bucket, model, sum(n), sum(priced), sum(unpriced), sum(cost) FROM DB.{table}"
            " GROUP BY bucket, model HAVING sum(n) != 0 ORDER BY bucket, model"
        )
        bucket = "toStartOfHour" if table == "rollups_hour" else "toStartOfMinute"
        fresh = pair.rows(
            f"SELECT {bucket}(o.start_time) AS b, o.model AS m, count(), countIf({PRICED_COST} IS NOT NULL),"
            f" countIf(o.cost_status = 'unpriced'), sum(ifNull({PRICED_COST}, 0)) FROM DB.observations AS o FINAL"
            " GROUP BY b, m ORDER BY b, m"
        )
        assert fed == fresh, table
    fed = pair.rows(
        "SELECT trace_id, sum(observation_count), sum(priced_count), sum(unpriced_count), sum(not_billed_count),"
        " sum(total_cost) FROM DB.trace_totals GROUP BY trace_id HAVING sum(observation_count) != 0 ORDER BY trace_id"
    )
    fresh = pair.rows(
        f"SELECT o.trace_id AS t, count(), countIf({PRICED_COST} IS NOT NULL), countIf(o.cost_status = 'unpriced'),"
        f" countIf(o.cost_status = 'not_billed'), sum(ifNull({PRICED_COST}, 0)) FROM DB.observations AS o FINAL"
        " GROUP BY t ORDER BY t"
    )
    assert fed == fresh


def assert_cost_reports_equal(pair: Pair) -> Any:
    groupings = [("day", "model"), ("model",), ("project", "provider"), ("source",), ("user",), ("feature",)]
    since, until = NOW - timedelta(days=DAYS + 1), NOW + timedelta(hours=1)
    want = SqlTraceStore(pair.sql).queries.cost_reports(groupings, since, until)
    got = pair.ch.queries.cost_reports(groupings, since, until)
    for grouping, report in want.items():
        assert [line.key for line in got[grouping].lines] == [line.key for line in report.lines], grouping
        for mine, theirs in zip([*got[grouping].lines, got[grouping].total], [*report.lines, report.total],
                                strict=True):  # fmt: skip
            assert [getattr(mine, name) for name in REPORT_FIELDS] == [
                getattr(theirs, name) for name in REPORT_FIELDS
            ], (grouping, mine.key)
    return got


def metric(pair: Pair, **given: Any) -> Any:
    defaults: dict[str, Any] = {
        "measure": "cost", "aggregation": None, "scope": None, "group_by": [], "interval": "1h", "filters": {},
        "fill": "none", "start": HOUR_END - timedelta(days=DAYS + 1), "end": HOUR_END,
    }  # fmt: skip
    return make_metric_query(pair.project_id, **(defaults | given))


def assert_analytics_costs_equal(pair: Pair) -> None:
    """The analytics API's costs: per model from the rollups, per user from the per-trace totals.
    SQLite adds its costs as floats: equal to 1e-9 relative."""
    sql = SqlTraceStore(pair.sql).queries
    for query in (
        metric(pair, group_by=["model"]),
        metric(pair, interval="total"),
        metric(pair, scope="traces", group_by=["user"], interval="total"),
    ):
        got, want = pair.ch.queries.metric_rows(query), sql.metric_rows(query)
        assert [{k: v for k, v in row.items() if k != "value"} for row in got] == [
            {k: v for k, v in row.items() if k != "value"} for row in want
        ]
        for mine, theirs in zip(got, want, strict=True):
            if theirs["value"] is None:  # no call of the group has a cost
                assert mine["value"] is None, (mine, theirs)
            else:
                assert mine["value"] == pytest.approx(theirs["value"], rel=1e-9, abs=1e-12), (mine, theirs)


def test_a_recompute_after_an_override_gives_the_sql_stores_costs_reports_and_analytics(pair: Pair) -> None:
    before = ch_costs(pair)
    report_before = pair.ch.queries.cost_reports([("model",)], SINCE, None)[("model",)]
    override(pair, *OVERRIDES)
    overrides = load_overrides(pair.sql)
    sql_summary = SqlTraceStore(pair.sql).reprice(overrides, since=SINCE)
    batches: list[int] = []
    ch_summary = pair.ch.reprice(overrides, since=SINCE, batch_size=97, on_batch=batches.append)

    assert ch_summary.changed > 50 and ch_summary.scanned == pair.ch.count_to_reprice(SINCE, None, None)
    assert (ch_summary.scanned, ch_summary.changed, ch_summary.by_status) == (
        sql_summary.scanned, sql_summary.changed, sql_summary.by_status)  # fmt: skip
    assert sum(batches) == ch_summary.scanned and len(batches) > 3 and set(batches[:-1]) == {97}
    after = ch_costs(pair)
    assert after == sql_costs(pair)  # every call, every cost column, to the digit
    assert sum(after[key] != before[key] for key in before) == ch_summary.changed
    # The unknown model is priced now: the report's cost moved by its calls' new costs.
    report_after = assert_cost_reports_equal(pair)[("model",)]
    orbit = {line.key: line for line in report_after.lines}[(UNKNOWN_MODEL,)]
    assert orbit.unpriced_calls == 0 and orbit.cost > 0
    assert {line.key: line for line in report_before.lines}[(UNKNOWN_MODEL,)].unpriced_calls > 0
    assert report_after.total.cost != report_before.total.cost
    assert_analytics_costs_equal(pair)
    assert_views_equal_a_fresh_computation(pair)


def test_a_second_run_writes_nothing(pair: Pair) -> None:
    # Rates with more decimals than the columns keep: the second run must compare the cost as the
    # column stores it (rounded to 12 decimals), or it would rewrite those calls again and again.
    fine = PriceOverride("gpt-4o-mini*", EPOCH, input_mtok=Decimal("0.123456789"), output_mtok=Decimal("0.987654321"))
    override(pair, fine)
    overrides = load_overrides(pair.sql)
    first = pair.ch.reprice(overrides, since=SINCE, batch_size=500)
    assert first.changed > 20
    costs, rows = ch_costs(pair), stored_rows(pair)
    assert any(cost[2] is not None and cost[2].as_tuple().exponent == -12 and cost[2] % Decimal("1e-11")
               for cost in costs.values())  # fmt: skip  # some costs use the 12th decimal: rounding is exercised
    again = pair.ch.reprice(overrides, since=SINCE, batch_size=333)
    assert (again.changed, again.scanned, again.by_status) == (0, first.scanned, first.by_status)
    assert ch_costs(pair) == costs and stored_rows(pair) == rows  # not one row written
    assert_views_equal_a_fresh_computation(pair)


def test_an_interrupted_run_run_again_ends_as_one_full_run(pair: Pair) -> None:
    override(pair, *OVERRIDES)
    overrides = load_overrides(pair.sql)
    batches: list[int] = []

    def stop_after_two(n: int) -> None:
        batches.append(n)
        if len(batches) == 2:
            raise KeyboardInterrupt

    before = ch_costs(pair)
    with pytest.raises(KeyboardInterrupt):
        pair.ch.reprice(overrides, since=SINCE, batch_size=150, on_batch=stop_after_two)
    partial_costs = ch_costs(pair)
    assert partial_costs != before  # the first two batches are written
    rest = pair.ch.reprice(overrides, since=SINCE, batch_size=150)
    assert rest.changed > 0 and rest.changed == sum(partial_costs[key] != cost for key, cost in ch_costs(pair).items())
    full = SqlTraceStore(pair.sql).reprice(overrides, since=SINCE)
    assert full.changed > rest.changed and ch_costs(pair) == sql_costs(pair)
    assert_views_equal_a_fresh_computation(pair)


def test_calls_outside_the_range_or_the_project_keep_their_row(pair: Pair) -> None:
    override(pair, *OVERRIDES)
    overrides = load_overrides(pair.sql)
    since, until = NOW - timedelta(days=2), NOW - timedelta(days=1)
    before = ch_versions(pair)
    assert pair.ch.reprice(overrides, since=SINCE, project_id=pair.project_id + 1).scanned == 0  # another project
    assert ch_versions(pair) == before
    summary = pair.ch.reprice(overrides, since=since, until=until)
    sql_summary = SqlTraceStore(pair.sql).reprice(overrides, since=since, until=until)
    assert (summary.scanned, summary.changed) == (sql_summary.scanned, sql_summary.changed) and summary.changed > 0
    assert ch_costs(pair) == sql_costs(pair)
    after = ch_versions(pair)
    inside = {key for key, (start, *_) in before.items() if since <= start.replace(tzinfo=UTC) < until}
    moved = {key for key in before if after[key] != before[key]}
    assert moved and moved <= inside and len(moved) == summary.changed
    # The same override would change calls outside the range too: they were left as they were.
    whole = pair.ch.reprice(overrides, since=SINCE)
    assert whole.changed > 0 and {key for key in before if ch_versions(pair)[key] != after[key]}.isdisjoint(inside)
    assert_views_equal_a_fresh_computation(pair)


# The commands, end to end: a subprocess per command, on SQLite and on a chdb directory of the test's own.


def theodolite(*args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "theodolite", *args], capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return done.stdout


def test_the_commands_print_on_clickhouse_what_they_print_on_sqlite(tmp_path: Path) -> None:
    sqlite = ["--database-url", f"sqlite:///{tmp_path / 'theodolite.db'}"]
    theodolite("demo", *sqlite, "--days", "2", "--traces-per-day", "60", "--seed", "5", "--no-serve")
    chdb = [f"chdb://{tmp_path / 'ch'}?database=traces", f"sqlite:///{tmp_path / 'theodolite.db'}"]
    theodolite("migrate-data", "--from", sqlite[1], "--to", chdb[0])
    clickhouse = ["--database-url", chdb[0], "--metadata-url", chdb[1]]  # prices and projects: the same file
    report = ["costs", "report", "--since", "2000-01-01", "--group-by", "day,model,project"]
    before = theodolite(*report, *clickhouse)
    assert before == theodolite(*report, *sqlite)
    theodolite("prices", "set", UNKNOWN_MODEL, "--input", "0.2", "--output", "0.4", *clickhouse)

    recompute = ["costs", "recompute", "--since", "2000-01-01", "--batch-size", "100"]
    on_clickhouse, on_sqlite = theodolite(*recompute, *clickhouse), theodolite(*recompute, *sqlite)
    assert on_clickhouse == on_sqlite and " 0 changed" not in on_clickhouse, on_clickhouse
    assert " 0 changed" in theodolite(*recompute, *clickhouse)  # a re-run changes nothing
    after = theodolite(*report, *clickhouse)
    assert after != before and after == theodolite(*report, *sqlite)
    csv_report = [*report, "--format", "csv", "--project", "default"]
    lines = list(csv.DictReader(io.StringIO(theodolite(*csv_report, *clickhouse))))
    assert lines and lines == list(csv.DictReader(io.StringIO(theodolite(*csv_report, *sqlite))))
    orbit = [line for line in lines if line["model"] == UNKNOWN_MODEL]
    assert orbit and all(line["unpriced_calls"] == "0" for line in orbit)  # priced now (or cache hits at $0)
    assert sum(Decimal(line["cost_usd"]) for line in orbit) > 0
    [[spans, fed]] = query_in_subprocess(
        tmp_path / "ch",
        "SELECT (SELECT count() FROM traces.observations FINAL), (SELECT sum(n) FROM traces.rollups_hour)",
    )
    assert spans == fed  # the views counted each re-priced call once


def test_a_mistyped_clickhouse_database_is_one_line_and_creates_nothing(tmp_path: Path) -> None:
    metadata = f"sqlite:///{tmp_path / 'metadata.db'}"
    theodolite("migrate", "--database-url", f"chdb://{tmp_path / 'ch'}?database=traces", "--metadata-url", metadata)
    for command in (["costs", "report"], ["costs", "recompute", "--since", "2026-01-01"]):
        done = subprocess.run(
            [sys.executable, "-m", "theodolite", *command, "--database-url", f"chdb://{tmp_path / 'ch'}?database=typo",
             "--metadata-url", metadata], capture_output=True, text=True, timeout=180,
        )  # fmt: skip
        assert done.returncode == 1 and "no Theodolite trace store in ClickHouse" in done.stderr, done.stderr
        assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
    unknown = subprocess.run(
        [sys.executable, "-m", "theodolite", "costs", "report", "--project", "nope", "--database-url",
         f"chdb://{tmp_path / 'ch'}?database=traces", "--metadata-url", metadata],
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert unknown.returncode == 1 and "no project named 'nope'" in unknown.stderr, unknown.stderr
    databases = {row[0] for row in query_in_subprocess(tmp_path / "ch", "SHOW DATABASES")}
    assert "traces" in databases and "typo" not in databases
