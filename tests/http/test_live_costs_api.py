"""GET /api/v1/live and GET /api/v1/costs through a real server on SQLite and PostgreSQL, fed by the
OpenTelemetry SDK's own OTLP exporter: every bucket equals a computation over the stored rows read
straight from the database; unpriced calls are counted apart, never as $0; cache hits and
fallbacks are not billed; the buckets kept between polls take in new calls (and late ones) and
equal a fresh read; another project's calls are never visible, by key or by session."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import select

from tests.support.accounts import cli_ok, new_secret, sign_in
from tests.support.otel import protobuf_exporter, provider_with
from tests.support.server import SECRET_KEY, TheodoliteServer
from theodolite.query.live_dashboard import class_bounds, quantile_from_classes
from theodolite.storage import tables
from theodolite.storage.engine import open_database

PRICED, UNKNOWN = "gpt-4o-mini", "acme-unknown-7b"
PASSWORD = "a long enough password"
o = tables.observations


@dataclass(frozen=True)
class Call:
    model: str
    ago_s: float  # start, seconds before the fixture runs
    duration_s: float
    source: str = "provider"
    error: bool = False
    user: str = "u1"
    feature: str | None = "search"
    input_tokens: int = 1000
    output_tokens: int = 500


# Spread over several minutes (several buckets), with every kind of call.
CALLS = [
    Call(PRICED, 30, 0.4),
    Call(PRICED, 31, 1.3, user="u2", feature="chat"),
    Call(PRICED, 95, 2.5, error=True),
    Call(PRICED, 96, 0.05, source="cache"),
    Call(PRICED, 97, 0.01, source="fallback_template", feature="chat"),
    # Each group of calls starts over 60 s after the previous one: at least four minute buckets.
    Call(UNKNOWN, 160, 3.0, user="u2"),
    Call(UNKNOWN, 160.5, 0.02, source="cache", feature=None),
    Call(PRICED, 400, 0.9, input_tokens=20, output_tokens=7),
]
OTHER_CALLS = [Call(PRICED, 60, 5.0, input_tokens=99_999, output_tokens=1), Call(UNKNOWN, 61, 7.0)]


def send(server: TheodoliteServer, secret: str, calls: list[Call], now: datetime) -> None:
    """Each call as a trace of one generation span, exported by the OTel SDK's OTLP/HTTP exporter
    (acknowledged after commit: the simple processor exports each span as it ends)."""
    provider = provider_with(protobuf_exporter(f"{server.base_url}/v1/traces", secret))
    tracer = provider.get_tracer("live-tests")
    for call in calls:
        start = now - timedelta(seconds=call.ago_s)
        attributes = {
            "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.request.model": call.model,
            "gen_ai.usage.input_tokens": call.input_tokens, "gen_ai.usage.output_tokens": call.output_tokens,
            "user.id": call.user, "theodolite.generation.source": call.source,
        }  # fmt: skip
        if call.feature is not None:
            attributes["theodolite.trace.metadata.feature"] = call.feature
        start_ns = int(start.timestamp() * 1e9)
        span = tracer.start_span(f"chat {call.model}", attributes=attributes, start_time=start_ns)
        if call.error:
            from opentelemetry.trace import Status, StatusCode

            span.set_status(Status(StatusCode.ERROR, "rate limited"))
        span.end(end_time=start_ns + int(call.duration_s * 1e9))
    assert provider.force_flush(30_000)
    provider.shutdown()


@dataclass
class World:
    server: TheodoliteServer
    other_secret: str
    now: datetime


@pytest.fixture(scope="module")
def world(server: TheodoliteServer) -> Iterator[World]:
    url = server.database_url
    _, other_secret = new_secret(url, "other")
    # A viewer of `test` only, and a viewer of both projects.
    cli_ok(url, "users", "create", "one@example.com", "--password-stdin", "--project", "test", "--role", "viewer",
           stdin=PASSWORD + "\n")  # fmt: skip
    cli_ok(url, "users", "create", "both@example.com", "--password-stdin", "--project", "test", "--role", "viewer",
           stdin=PASSWORD + "\n")  # fmt: skip
    cli_ok(url, "users", "grant", "both@example.com", "--project", "other", "--role", "viewer")
    now = datetime.now(UTC)
    send(server, SECRET_KEY, CALLS, now)
    send(server, other_secret, OTHER_CALLS, now)
    yield World(server, other_secret, now)


def stored_calls(server: TheodoliteServer, project: str) -> list[dict]:
    """The project's generations, read straight from the database."""
    database = open_database(server.database_url, migrate=False)
    try:
        with database.connect() as conn:
            project_id = conn.execute(
                select(tables.projects.c.id).where(tables.projects.c.name == project)
            ).scalar_one()
            rows = conn.execute(select(o).where(o.c.project_id == project_id, o.c.type == "generation")).all()
    finally:
        database.dispose()
    return [row._asdict() for row in rows]


def expected_bucket(rows: list[dict]) -> dict:
    """One bucket computed the plain way: per call, by the pricing rules of docs/pricing.md."""
    billed = [r for r in rows if r["cost_status"] != "not_billed"]
    costs = [r["calculated_total_cost"] for r in billed if r["calculated_total_cost"] is not None]
    unpriced = sum(r["cost_status"] == "unpriced" for r in rows)
    not_billed = sum(r["cost_status"] == "not_billed" for r in rows)
    if costs:
        cost = float(sum((Decimal(str(c)) for c in costs), Decimal(0)))
    else:
        cost = 0.0 if not_billed and not unpriced else None
    return {
        "calls": len(rows),
        "input_tokens": sum(r["prompt_tokens"] or 0 for r in rows),
        "output_tokens": sum(r["completion_tokens"] or 0 for r in rows),
        "errors": sum(r["level"] == "ERROR" for r in rows),
        "unpriced_calls": unpriced,
        "not_billed_calls": not_billed,
        "cost": cost,
    }


def rounded(value: object) -> object:
    """Floats to 12 significant digits: sums of the same durations in another order differ in the last bits."""
    if isinstance(value, float):
        return float(f"{value:.12g}")
    if isinstance(value, dict):
        return {key: rounded(item) for key, item in value.items()}
    if isinstance(value, list):
        return [rounded(item) for item in value]
    return value


def get_live(server: TheodoliteServer, secret: str = SECRET_KEY, **params: str) -> dict:
    with server.client(secret) as client:
        response = client.get("/api/v1/live", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_live_buckets_equal_a_direct_computation(world: World) -> None:
    live = get_live(world.server, window="15m")
    rows = stored_calls(world.server, "test")
    assert len(rows) == len(CALLS)
    step = live["step_s"]
    assert step == 60 and len(live["buckets"]["t"]) == 15
    by_bucket: dict[int, list[dict]] = {}
    for row in rows:
        by_bucket.setdefault(int(row["start_time"].timestamp()) // step * step, []).append(row)
    assert set(by_bucket) <= set(live["buckets"]["t"])
    checked = 0
    for i, t in enumerate(live["buckets"]["t"]):
        got = {key: live["buckets"][key][i] for key in expected_bucket([])}
        want = expected_bucket(by_bucket.get(t, []))
        if want["cost"] is not None:
            assert got.pop("cost") == pytest.approx(want.pop("cost"), rel=1e-9), t
        assert got == want, t
        assert live["buckets"]["completions_per_min"][i] == pytest.approx(want["calls"])  # a 60 s bucket
        durations = sorted((r["end_time"] - r["start_time"]).total_seconds() for r in by_bucket.get(t, []))
        estimate = live["buckets"]["p95_latency_s"][i]
        if not durations:
            assert estimate is None
            continue
        exact = durations[math.ceil(0.95 * len(durations)) - 1]  # nearest rank
        lower, upper = next(class_bounds(c) for c in range(98) if class_bounds(c)[0] <= exact < class_bounds(c)[1])
        assert lower <= estimate <= upper, (t, durations, estimate)
        assert abs(estimate - exact) <= 0.155 * exact + 1e-9
        # SQLite's julianday() reads a time to ~50 µs
        assert live["buckets"]["active_requests"][i] == pytest.approx(sum(durations) / step, abs=1e-4 * len(durations))
        checked += 1
    assert checked == len(by_bucket) >= 4
    totals = live["totals"]
    want = expected_bucket(rows)
    assert totals["cost"] == pytest.approx(want["cost"], rel=1e-9)
    assert (totals["calls"], totals["unpriced_calls"], totals["not_billed_calls"], totals["errors"]) == (8, 1, 3, 1)
    assert totals["error_rate"] == pytest.approx(1 / 8)
    models = {m["model"]: m for m in live["models"]}
    # the unknown model: one unpriced provider call and a $0 cache hit; its cost is unknown, not $0
    assert (models[UNKNOWN]["cost"], models[UNKNOWN]["unpriced_calls"], models[UNKNOWN]["not_billed_calls"]) == (
        None, 1, 1)  # fmt: skip
    assert sum(live["model_calls"][UNKNOWN]) == 2 and sum(live["model_calls"][PRICED]) == 6


def test_a_bucket_of_cache_hits_only_is_a_known_zero_and_unpriced_only_is_unknown(world: World) -> None:
    live = get_live(world.server, window="15m")
    b = live["buckets"]
    index = {t: i for i, t in enumerate(b["t"])}
    unknown_bucket = index[int((world.now - timedelta(seconds=160)).timestamp()) // 60 * 60]
    if b["calls"][unknown_bucket] == 2:  # the unknown model's provider call and its cache hit only
        assert b["cost"][unknown_bucket] is None and b["cost_per_hour"][unknown_bucket] is None
    assert all(cost is None or cost >= 0 for cost in b["cost"])
    assert [c for c, n in zip(b["cost"], b["calls"], strict=True) if n == 0] == [None] * b["calls"].count(0)


def test_every_window_answers_and_a_bad_one_is_a_400(world: World) -> None:
    for window, (count, step) in {"15m": (15, 60), "1h": (60, 60), "6h": (72, 300), "24h": (96, 900)}.items():
        live = get_live(world.server, window=window)
        assert (len(live["buckets"]["t"]), live["step_s"]) == (count, step)
        assert live["totals"]["calls"] >= len(CALLS)
    with world.server.client() as client:
        assert client.get("/api/v1/live", params={"window": "7d"}).status_code == 422


def test_live_never_shows_another_projects_calls(world: World) -> None:
    mine, theirs = get_live(world.server, window="1h"), get_live(world.server, world.other_secret, window="1h")
    assert theirs["totals"]["calls"] == len(OTHER_CALLS)
    assert {m["model"]: m["calls"] for m in theirs["models"]} == {PRICED: 1, UNKNOWN: 1}
    assert 99_999 not in [m["input_tokens"] for m in mine["models"]]
    with world.server.client() as client:  # a key cannot name another project
        assert client.get("/api/v1/live", params={"project": "other"}).status_code == 404
    assert httpx.get(f"{world.server.base_url}/api/v1/live", timeout=30).status_code == 401
    with sign_in(world.server, "one@example.com", PASSWORD) as session:
        assert session.get("/api/v1/live", headers={"X-Theodolite-Project": "other"}).status_code == 404
        assert session.get("/api/v1/live").json()["totals"]["calls"] == mine["totals"]["calls"]
    with sign_in(world.server, "both@example.com", PASSWORD) as session:
        answer = session.get("/api/v1/live", params={"window": "1h"}, headers={"X-Theodolite-Project": "other"})
        assert answer.json()["totals"]["calls"] == len(OTHER_CALLS)


def get_costs(client: httpx.Client, **params: str) -> dict:
    response = client.get("/api/v1/costs", params={"from": "2000-01-01T00:00:00Z", **params})
    assert response.status_code == 200, response.text
    return response.json()


def test_costs_by_model_user_feature_and_day(world: World) -> None:
    with world.server.client() as client:
        costs = get_costs(client)
    rows = stored_calls(world.server, "test")
    groups = costs["groups"]
    assert set(groups) == {"day", "model", "project", "user", "feature"}
    by_model = {line["key"]: line for line in groups["model"]["lines"]}
    unknown = by_model[UNKNOWN]
    # unpriced apart, never $0: cost unknown; its cache hit is counted as not billed
    assert (unknown["cost_usd"], unknown["unpriced_calls"], unknown["not_billed_calls"]) == (None, 1, 1)
    priced = by_model[PRICED]
    assert priced["not_billed_calls"] == 2 and priced["unpriced_calls"] == 0
    want = expected_bucket([r for r in rows if r["model"] == PRICED])
    assert priced["cost_usd"] == pytest.approx(want["cost"], rel=1e-12)
    assert priced["saved_usd"] > 0
    total = groups["model"]["total"]
    for name in ("day", "user", "feature"):  # every grouping adds up to the same total
        assert groups[name]["total"] == total, name
        assert sum(line["calls"] for line in groups[name]["lines"]) == len(rows)
    users = {line["key"]: line["calls"] for line in groups["user"]["lines"]}
    assert users == {"u1": sum(c.user == "u1" for c in CALLS), "u2": sum(c.user == "u2" for c in CALLS)}
    features = {line["key"]: line["calls"] for line in groups["feature"]["lines"]}
    assert features == {"search": 5, "chat": 2, "": 1}  # "": a trace without the metadata key
    assert total["unpriced_calls"] == 1 and total["not_billed_calls"] == 3


def test_costs_by_project_covers_the_projects_the_caller_can_read(world: World) -> None:
    with world.server.client() as client:
        by_key = get_costs(client, group_by="project")
    assert by_key["projects"] == ["test"] and [line["key"] for line in by_key["groups"]["project"]["lines"]] == ["test"]
    with world.server.client(world.other_secret) as client:
        theirs = get_costs(client, group_by="project,model")
    assert theirs["project"] == "other" and theirs["groups"]["project"]["total"]["calls"] == len(OTHER_CALLS)
    assert {line["key"] for line in theirs["groups"]["model"]["lines"]} == {PRICED, UNKNOWN}
    with sign_in(world.server, "one@example.com", PASSWORD) as session:
        mine = get_costs(session, group_by="project,model")
        assert mine["projects"] == ["test"]
        assert [line["key"] for line in mine["groups"]["project"]["lines"]] == ["test"]
        assert session.get("/api/v1/costs", headers={"X-Theodolite-Project": "other"}).status_code == 404
    with sign_in(world.server, "both@example.com", PASSWORD) as session:
        both = get_costs(session, group_by="project,model")
        assert both["projects"] == ["other", "test"]
        lines = {line["key"]: line for line in both["groups"]["project"]["lines"]}
        assert (lines["test"]["calls"], lines["other"]["calls"]) == (len(CALLS), len(OTHER_CALLS))
        # the other groupings stay in the project the request acts in
        assert both["groups"]["model"]["total"]["calls"] == lines[both["project"]]["calls"]


def test_costs_bad_input_is_a_400(world: World) -> None:
    with world.server.client() as client:
        assert client.get("/api/v1/costs", params={"group_by": "colour"}).status_code == 400
        assert client.get("/api/v1/costs", params={"group_by": "provider"}).status_code == 400
        reversed_range = {"from": "2026-02-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"}
        assert client.get("/api/v1/costs", params=reversed_range).status_code == 400


def test_quantile_from_classes_interpolates_inside_the_class() -> None:
    assert quantile_from_classes({}, 0.95) is None
    lower, upper = class_bounds(50)
    assert quantile_from_classes({50: 10}, 0.5) == pytest.approx(lower + (upper - lower) * 0.5)
    assert quantile_from_classes({10: 95, 60: 5}, 0.95) == pytest.approx(class_bounds(10)[1])


def test_polls_take_in_new_and_late_calls_and_equal_a_fresh_read(world: World) -> None:
    before = get_live(world.server, window="1h")
    late = [Call(PRICED, 20, 0.7, input_tokens=3, output_tokens=4), Call(UNKNOWN, 1500, 1.1)]  # 25 min ago: late
    send(world.server, SECRET_KEY, late, datetime.now(UTC))
    deadline = time.monotonic() + 20
    while True:  # committed before the exporter was answered; a bounded poll all the same
        after = get_live(world.server, window="1h")
        if after["totals"]["calls"] == before["totals"]["calls"] + 2 or time.monotonic() > deadline:
            break
    assert after["totals"]["calls"] == before["totals"]["calls"] + 2
    assert after["totals"]["unpriced_calls"] == before["totals"]["unpriced_calls"] + 1
    # The kept buckets equal a read straight from the observations at the same moment
    # (`to` reads the observations afresh).
    fresh = get_live(world.server, window="1h", to=after["now"])
    assert rounded(fresh) == rounded(after)
