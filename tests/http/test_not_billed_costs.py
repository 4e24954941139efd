"""A cache hit or a fallback is not a provider call: through a real server on each engine, it is stored
as a known $0 with what the provider would have charged as its saved amount, and every figure —
the stored row, /metrics, the API's totals, `theodolite costs report` — agrees."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest
from click.testing import CliRunner
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from tests.support.server import TheodoliteServer
from tests.support.spans import llm_body, post
from theodolite.cli.main import cli
from theodolite.storage import tables
from theodolite.storage.engine import open_database

MODEL, UNKNOWN = "gpt-4o-mini", "acme-unknown-7b"
# gpt-4o-mini: 1,000 input tokens x $0.15 + 500 output tokens x $0.60 per million
PROVIDER_PRICE = Decimal("0.00045")
SOURCES = ("provider", "cache", "fallback_template")
o = tables.observations


@pytest.fixture(scope="module")
def ingested(server: TheodoliteServer) -> Iterator[TheodoliteServer]:
    """The same call (model and usage) answered by the provider, by the cache and by a fallback, each in
    a trace of its own user and all in one session; and an unpriced model's provider call and cache hit."""
    for source in SOURCES:
        post(server, llm_body(MODEL, user=f"u-{source}", source=source, session="s-priced"))
    for source in ("provider", "cache"):
        post(server, llm_body(UNKNOWN, user="u-unknown", source=source, session="s-unknown"))
    yield server


def stored(server: TheodoliteServer) -> dict[tuple[str, str], dict]:
    database = open_database(server.database_url, migrate=False)
    try:
        with database.connect() as conn:
            rows = conn.execute(select(o).where(o.c.type == "generation")).all()
    finally:
        database.dispose()
    return {(row.model, row.source): row._asdict() for row in rows}


def test_stored_rows_cost_nothing_and_keep_the_provider_price_as_saved(ingested: TheodoliteServer) -> None:
    rows = stored(ingested)
    provider = rows[(MODEL, "provider")]
    assert (provider["cost_status"], provider["calculated_total_cost"], provider["saved_cost"]) == (
        "priced", PROVIDER_PRICE, None)  # fmt: skip
    for source in ("cache", "fallback_template"):
        row = rows[(MODEL, source)]
        assert row["cost_status"] == "not_billed", source
        assert (row["calculated_input_cost"], row["calculated_output_cost"], row["calculated_total_cost"]) == (0, 0, 0)
        assert row["saved_cost"] == PROVIDER_PRICE, source
    assert rows[(UNKNOWN, "provider")]["cost_status"] == "unpriced"
    unknown_hit = rows[(UNKNOWN, "cache")]
    assert (unknown_hit["cost_status"], unknown_hit["calculated_total_cost"], unknown_hit["saved_cost"]) == (
        "not_billed", 0, None)  # fmt: skip


def metric_samples(server: TheodoliteServer) -> list[tuple[str, dict[str, str], float]]:
    text = httpx.get(f"{server.base_url}/metrics", timeout=30).text
    return [(s.name, s.labels, s.value) for family in text_string_to_metric_families(text) for s in family.samples]


def test_metrics_count_the_provider_call_as_cost_and_the_others_as_saved(ingested: TheodoliteServer) -> None:
    deadline = time.monotonic() + 10
    while True:  # counted at commit; poll with a deadline rather than assume the scrape sees it
        found = metric_samples(ingested)
        generations = sum(v for name, labels, v in found if name == "theodolite_generations_total")
        if generations >= 5 or time.monotonic() > deadline:
            break

    def by_source(metric: str, model: str) -> dict[str, float]:
        return {labels["source"]: value for name, labels, value in found if name == metric and labels["model"] == model}

    assert by_source("theodolite_cost_usd_total", MODEL) == {"provider": pytest.approx(float(PROVIDER_PRICE))}
    assert by_source("theodolite_cost_saved_usd_total", MODEL) == {
        "cache": pytest.approx(float(PROVIDER_PRICE)),
        "fallback_template": pytest.approx(float(PROVIDER_PRICE)),
    }
    assert by_source("theodolite_cost_usd_total", UNKNOWN) == {}
    assert by_source("theodolite_cost_saved_usd_total", UNKNOWN) == {}
    unpriced = [value for name, labels, value in found if name == "theodolite_generations_unpriced_total"]
    assert unpriced == [1.0]  # the unknown model's provider call; its cache hit is not unpriced


def test_api_totals(ingested: TheodoliteServer) -> None:
    with ingested.client() as client:

        def trace_of(user: str) -> dict:
            [trace] = client.get("/api/v1/traces", params={"user_id": user}).json()["data"]
            return trace

        cache_only = trace_of("u-cache")
        # a trace of cache hits only costs a known $0, not null
        assert (cache_only["total_cost"], cache_only["saved_cost"], cache_only["not_billed_count"]) == (0, 0.00045, 1)
        detail = client.get(f"/api/v1/traces/{cache_only['id']}").json()
        assert (detail["total_cost"], detail["saved_cost"]) == (0, 0.00045)
        [node] = detail["observations"]
        assert (node["cost_status"], node["calculated_total_cost"], node["saved_cost"]) == ("not_billed", 0, 0.00045)
        provider = trace_of("u-provider")
        assert (provider["total_cost"], provider["saved_cost"], provider["not_billed_count"]) == (0.00045, 0, 0)

        sessions = {item["session_id"]: item for item in client.get("/api/v1/sessions").json()["data"]}
        priced = sessions["s-priced"]
        assert (priced["total_cost"], priced["saved_cost"], priced["not_billed_count"]) == (0.00045, 0.0009, 2)
        # the unknown model: its $0 cache hit must not make its unpriced provider call look free
        unknown = sessions["s-unknown"]
        assert (unknown["total_cost"], unknown["unpriced_count"], unknown["not_billed_count"]) == (None, 1, 1)
        assert unknown["saved_cost"] is None
        users = {item["user_id"]: item for item in client.get("/api/v1/users").json()["data"]}
        assert (users["u-fallback_template"]["total_cost"], users["u-fallback_template"]["saved_cost"]) == (0, 0.00045)
        assert users["u-unknown"]["total_cost"] is None


def report(server: TheodoliteServer, group_by: str, fmt: str) -> str:
    args = ["costs", "report", "--since", "2000-01-01", "--group-by", group_by, "--format", fmt]
    result = CliRunner().invoke(cli, [*args, "--database-url", server.database_url], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_costs_report_csv(ingested: TheodoliteServer) -> None:
    rows = {(row["model"], row["source"]): row
            for row in csv.DictReader(io.StringIO(report(ingested, "model,source", "csv")))}  # fmt: skip
    cells = ("calls", "unpriced_calls", "not_billed_calls", "cost_usd", "saved_usd")

    def line(model: str, source: str) -> tuple[str, ...]:
        return tuple(rows[(model, source)][cell] for cell in cells)

    assert line(MODEL, "provider") == ("1", "0", "0", "0.000450000000", "0.000000000000")
    assert line(MODEL, "cache") == ("1", "0", "1", "0.000000000000", "0.000450000000")
    assert line(MODEL, "fallback_template") == ("1", "0", "1", "0.000000000000", "0.000450000000")
    assert line(UNKNOWN, "provider") == ("1", "1", "0", "", "0.000000000000")  # unpriced: empty, never 0
    assert line(UNKNOWN, "cache") == ("1", "0", "1", "0.000000000000", "")  # nothing known to have been saved
    assert line("TOTAL", "") == ("5", "1", "3", "0.000450000000", "0.000900000000")

    by_model = {row["model"]: row for row in csv.DictReader(io.StringIO(report(ingested, "model", "csv")))}
    # a provider call that is unpriced beside a $0 cache hit: the group's cost is unknown, not 0
    assert (by_model[UNKNOWN]["cost_usd"], by_model[UNKNOWN]["unpriced_calls"]) == ("", "1")
    assert (by_model[MODEL]["cost_usd"], by_model[MODEL]["saved_usd"]) == ("0.000450000000", "0.000900000000")


def test_costs_report_table(ingested: TheodoliteServer) -> None:
    header, *lines = report(ingested, "model", "table").splitlines()
    assert header.split() == ["model", "calls", "unpriced_calls", "partial_calls", "not_billed_calls", "input_tokens",
                              "output_tokens", "cost_usd", "saved_usd"]  # fmt: skip
    by_model = {line.split()[0]: line.split()[1:] for line in lines}
    assert by_model[UNKNOWN][-2:] == ["unpriced", "unknown"]
    assert by_model[MODEL][-2:] == ["0.000450000000", "0.000900000000"]
    assert by_model["TOTAL"][-2:] == ["0.000450000000", "0.000900000000"]
    # one number of decimals for every amount, right-aligned so that the points line up
    amounts = [cell for cells in by_model.values() for cell in cells[-2:] if cell[0].isdigit()]
    assert amounts and all(len(amount.split(".")[1]) == 12 for amount in amounts)
    assert len({len(line) for line in [header, *lines]}) == 1
