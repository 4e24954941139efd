"""`theodolite prices` and `theodolite costs` on demo traffic, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from theodolite.cli.demo_command import run_demo
from theodolite.cli.main import cli
from theodolite.server.settings import Settings
from theodolite.storage import tables
from theodolite.storage.engine import open_database
from theodolite.storage.metadata.prices import load_overrides
from theodolite.storage.repricing import reprice

UNKNOWN_MODEL = "orbit-7b-instruct"  # the demo's self-hosted model: no public price
SINCE = "2000-01-01"
o = tables.observations


@pytest.fixture
def demo_url(database_url: str) -> str:
    run_demo(Settings(database_url=database_url), days=3, traces_per_day=60, seed=3, serve=False)
    return database_url


def invoke(url: str, *args: str) -> str:
    result = CliRunner().invoke(cli, [*args, "--database-url", url], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def per_call(url: str, where=None) -> list[tuple[str, Decimal | None]]:  # type: ignore[no-untyped-def]
    database = open_database(url, migrate=False)
    try:
        query = select(o.c.cost_status, func.coalesce(o.c.calculated_total_cost, o.c.total_cost)).where(
            o.c.type.in_(["generation", "embedding"])
        )
        if where is not None:
            query = query.where(where)
        with database.connect() as conn:
            return [(status, None if cost is None else Decimal(str(cost))) for status, cost in conn.execute(query)]
    finally:
        database.dispose()


def report(url: str, group_by: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(invoke(url, "costs", "report", "--since", SINCE, "--group-by", group_by,
                                                  "--format", "csv"))))  # fmt: skip


def test_report_total_is_the_exact_sum_of_per_call_costs(demo_url: str) -> None:
    rows = report(demo_url, "day,model,project")
    *lines, total = rows
    assert total["day"] == "TOTAL"
    calls = per_call(demo_url)
    expected = sum((cost for _, cost in calls if cost is not None), Decimal(0))
    assert expected > 0
    amounts = [Decimal(line["cost_usd"]) for line in lines if line["cost_usd"]]
    assert Decimal(total["cost_usd"]) == expected == sum(amounts)
    assert int(total["calls"]) == len(calls) == sum(int(line["calls"]) for line in lines)
    unpriced = sum(status == "unpriced" for status, _ in calls)
    assert unpriced > 0 and int(total["unpriced_calls"]) == unpriced
    not_billed = sum(status == "not_billed" for status, _ in calls)
    assert not_billed > 0 and int(total["not_billed_calls"]) == not_billed
    # the demo's cache hits and fallbacks cost nothing; its cache hits saved what the provider would have charged
    by_source = {line["source"]: line for line in report(demo_url, "source")}
    assert {source: Decimal(by_source[source]["cost_usd"]) for source in ("cache", "fallback_template")} == {
        "cache": 0, "fallback_template": 0}  # fmt: skip
    assert Decimal(by_source["cache"]["saved_usd"]) > 0 and Decimal(total["saved_usd"]) > 0
    assert {line["project"] for line in lines} == {"default"}
    orbit = [line for line in lines if line["model"] == UNKNOWN_MODEL]
    # its provider calls are all unpriced: no cost (an empty cell), never 0, even beside its $0 cache hits
    assert orbit and all(line["cost_usd"] == "" and int(line["unpriced_calls"]) > 0 for line in orbit)
    # every amount has the same 12 decimals (the stored precision), so lines add up to TOTAL digit for digit
    figures = [line[column] for line in rows for column in ("cost_usd", "saved_usd") if line[column]]
    assert all(len(figure.split(".")[1]) == 12 for figure in figures)


def test_a_new_price_recomputed_prices_the_unknown_model_from_its_date(demo_url: str) -> None:
    cutoff = (datetime.now(UTC) - timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    out = invoke(demo_url, "prices", "set", UNKNOWN_MODEL, "--input", "0.2", "--output", "0.4",
                 "--from", f"{cutoff:%Y-%m-%d}", "--note", "our GPUs")  # fmt: skip
    assert "input $0.2; output $0.4" in out
    assert UNKNOWN_MODEL in invoke(demo_url, "prices", "list")
    assert "override orbit-7b-instruct" in invoke(demo_url, "prices", "show", UNKNOWN_MODEL)

    after = per_call(demo_url, (o.c.model == UNKNOWN_MODEL) & (o.c.start_time >= cutoff))
    before = per_call(demo_url, (o.c.model == UNKNOWN_MODEL) & (o.c.start_time < cutoff))
    # A cache hit or fallback of the model is a known $0 whose saved amount was unknown: the new
    # price sets what it saved, so it changes too (how many there are depends on the demo's draw).
    unknown_savings = len(per_call(demo_url, (o.c.model == UNKNOWN_MODEL) & (o.c.start_time >= cutoff)
                                   & (o.c.cost_status == "not_billed") & o.c.saved_cost.is_(None)))  # fmt: skip
    to_price = sum(status == "unpriced" for status, _ in after) + unknown_savings
    assert to_price > 0 and any(status == "unpriced" for status, _ in before)

    first = invoke(demo_url, "costs", "recompute", "--since", SINCE)
    assert f"{to_price:,} changed" in first
    assert all((status == "priced" and cost > 0) or (status == "not_billed" and cost == 0) for status, cost in per_call(
        demo_url, (o.c.model == UNKNOWN_MODEL) & (o.c.start_time >= cutoff) & (o.c.prompt_tokens > 0)))  # fmt: skip
    assert not per_call(demo_url, (o.c.model == UNKNOWN_MODEL) & (o.c.start_time >= cutoff)
                        & (o.c.cost_status == "not_billed") & o.c.saved_cost.is_(None))  # fmt: skip
    assert per_call(demo_url, (o.c.model == UNKNOWN_MODEL) & (o.c.start_time < cutoff)) == before  # not yet in force
    assert " 0 changed" in invoke(demo_url, "costs", "recompute", "--since", SINCE)  # a re-run changes nothing


def test_recompute_interrupted_then_rerun_equals_one_full_run(demo_url: str) -> None:
    invoke(demo_url, "prices", "set", "gpt-4o-mini*", "--input", "1", "--output", "2")
    database = open_database(demo_url, migrate=False)
    since = datetime(2000, 1, 1, tzinfo=UTC)
    batches = []

    def stop_after_two(n: int) -> None:
        batches.append(n)
        if len(batches) == 2:
            raise KeyboardInterrupt

    try:
        with pytest.raises(KeyboardInterrupt):
            reprice(database, load_overrides(database), since=since, batch_size=25, on_batch=stop_after_two)
        partial = per_call(demo_url, o.c.model.like("gpt-4o-mini%"))
        assert any(cost is not None and cost > Decimal("0.001") for _, cost in partial)  # batches 1-2 committed
        rest = reprice(database, load_overrides(database), since=since, batch_size=25)
        assert rest.changed > 0
        done = per_call(demo_url)
        again = reprice(database, load_overrides(database), since=since, batch_size=1000)
        assert again.changed == 0 and per_call(demo_url) == done
    finally:
        database.dispose()


def test_bad_arguments_are_clear_errors(demo_url: str) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["prices", "set", "m", "--input", "1", "--project", "nope", "--database-url", demo_url])
    assert result.exit_code == 1 and "no project named 'nope' (projects: default)" in result.output
    result = runner.invoke(cli, ["prices", "set", "m", "--input", "-1", "--database-url", demo_url])
    assert result.exit_code == 2 and "non-negative" in result.output
    result = runner.invoke(cli, ["costs", "report", "--group-by", "colour", "--database-url", demo_url])
    assert result.exit_code == 1 and "cannot group by colour" in result.output
    result = runner.invoke(cli, ["prices", "show", "acme-unknown", "--database-url", demo_url])
    assert result.exit_code == 1 and "its calls are unpriced" in result.output


def test_recompute_keeps_cache_hits_and_fallbacks_at_zero_and_reprices_what_they_saved(demo_url: str) -> None:
    invoke(demo_url, "prices", "set", "gpt-4o-mini*", "--input", "1", "--output", "2")
    invoke(demo_url, "costs", "recompute", "--since", SINCE)
    database = open_database(demo_url, migrate=False)
    try:
        with database.connect() as conn:
            rows = conn.execute(select(o).where(o.c.model.like("gpt-4o-mini%"), o.c.type == "generation")).all()
    finally:
        database.dispose()
    cached = [row for row in rows if row.source == "cache"]
    fallbacks = [row for row in rows if row.source.startswith("fallback")]
    assert cached and fallbacks and any(row.source == "provider" for row in rows)
    for row in rows:
        # the override's rates: $1 per million input tokens, $2 per million output tokens
        price = (Decimal(row.prompt_tokens or 0) + 2 * Decimal(row.completion_tokens or 0)) / 1_000_000
        if row.source == "provider":
            assert (row.cost_status, row.calculated_total_cost, row.saved_cost) == ("priced", price, None)
        else:
            assert (row.cost_status, row.calculated_total_cost) == ("not_billed", 0), row.source
            # a fallback made no call and reports no usage: nothing is known to have been saved
            assert row.saved_cost == (price if row.prompt_tokens else None), row.source
    assert " 0 changed" in invoke(demo_url, "costs", "recompute", "--since", SINCE)
    by_source = {line["source"]: line for line in report(demo_url, "source")}
    saved = sum(Decimal(str(row.saved_cost)) for row in cached)
    assert Decimal(by_source["cache"]["cost_usd"]) == 0 and Decimal(by_source["cache"]["saved_usd"]) >= saved > 0
