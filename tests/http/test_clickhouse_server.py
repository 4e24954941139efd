"""`theodolite serve` with its traces on ClickHouse (embedded chdb, through clickhouse-connect) and its
metadata on SQLite, beside a plain SQLite server: the same traffic, sent to both by the real
OpenTelemetry SDK and as Langfuse ingestion requests (a generation completed by a later update, and
retried), gives the same analytics API answers, cost page, variables, trace lists in every order,
users, filter options and trace page. Counts and token sums must
be equal, costs equal to 1e-9 USD, percentiles within the two stores' sketches' errors."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

try:
    import chdb  # noqa: F401
    import clickhouse_connect  # noqa: F401
except ImportError as error:  # the test extra installs both; a bare install skips, saying why
    pytest.skip(f"embedded ClickHouse (chdb + clickhouse-connect) is not installed: {error}", allow_module_level=True)

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from tests.http.test_observation_updates import ingest
from tests.support.otel import protobuf_exporter
from tests.support.server import SECRET_KEY, TheodoliteServer

MODELS = ["gpt-4o-mini", "gpt-4o", "claude-3-5-sonnet-20241022", "gemini-1.5-flash"]
NOW = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
START = NOW - timedelta(hours=6)
TRACES = 60
WINDOW = {"from": START.isoformat(), "to": (NOW + timedelta(hours=1)).isoformat()}


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TheodoliteServer, TheodoliteServer]]:
    work = tmp_path_factory.mktemp("clickhouse-server")
    sqlite = TheodoliteServer(f"sqlite:///{work / 'sql.db'}", work).start()
    clickhouse = None
    try:
        clickhouse = TheodoliteServer(
            f"chdb://{work / 'chdb'}?database=theodolite", work, metadata_url=f"sqlite:///{work / 'metadata.db'}"
        ).start(deadline_s=60)
        _send_traffic([sqlite, clickhouse])
        yield sqlite, clickhouse
    finally:
        for server in (clickhouse, sqlite):
            if server is not None:
                server.stop()


def _send_traffic(servers: list[TheodoliteServer]) -> None:
    """The same spans to every server: one provider, one exporter per server."""
    provider = TracerProvider()
    for server in servers:
        provider.add_span_processor(SimpleSpanProcessor(protobuf_exporter(f"{server.base_url}/v1/traces", SECRET_KEY)))
    tracer = provider.get_tracer("clickhouse-test")
    rng = random.Random(7)
    for number in range(TRACES):
        begin = START + timedelta(minutes=rng.randrange(6 * 60))
        ns = int(begin.timestamp() * 1e9)
        name = rng.choice(["support-chat", "summarise", "search"])
        with tracer.start_as_current_span(name, start_time=ns, end_on_exit=False) as root:
            root.set_attribute("user.id", f"user-{number % 7}")
            offset = ns
            for _ in range(rng.randint(1, 4)):
                length = rng.randint(50, 4000) * 1_000_000
                call = tracer.start_span("chat", start_time=offset + 1_000_000)
                call.set_attributes({
                    "gen_ai.operation.name": "chat",
                    "gen_ai.request.model": rng.choice(MODELS),
                    "gen_ai.usage.input_tokens": rng.randint(10, 3000),
                    "gen_ai.usage.output_tokens": rng.randint(1, 800),
                })  # fmt: skip
                call.end(end_time=offset + length)
                offset += length
            root.end(end_time=offset + 2_000_000)
    provider.shutdown()
    trace_id, generation = uuid.uuid4().hex, uuid.uuid4().hex
    at = (START + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    end = (START + timedelta(hours=2, seconds=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    create = [
        {"type": "trace-create", "body": {"id": trace_id, "name": "langfuse-ask", "timestamp": at, "userId": "lf"}},
        {"type": "generation-create", "body": {"id": generation, "traceId": trace_id, "name": "lf-chat",
                                               "startTime": at, "model": "gpt-4o-mini", "input": "hi"}},
    ]  # fmt: skip
    update = {"type": "generation-update", "body": {
        "id": generation, "traceId": trace_id, "endTime": end, "output": "hello",
        "usageDetails": {"prompt_tokens": 1200, "completion_tokens": 50},
    }}  # fmt: skip
    for server in servers:
        ingest(server, *create)
        ingest(server, update)
        ingest(server, update)  # the client's retry


def _get(server: TheodoliteServer, path: str, **params: object) -> object:
    with server.client() as client:
        response = client.get(path, params={**WINDOW, **params} if "analytics" in path else params)
    assert response.status_code == 200, f"{server.database_url}: {response.text}"
    return response.json()


def _close(sql: list[dict], ch: list[dict], *, relative: float = 0.0, absolute: float = 0.0) -> None:
    """Row for row: the same keys, and values equal within the tolerances."""
    assert len(sql) == len(ch), (sql, ch)
    for left, right in zip(sql, ch, strict=True):
        assert left.keys() == right.keys(), (left, right)
        for key, value in left.items():
            other = right[key]
            if isinstance(value, float) or isinstance(other, float):
                assert value is not None and other is not None, (key, left, right)
                assert abs(value - other) <= max(absolute, relative * abs(value)), (key, left, right)
            else:
                assert value == other, (key, left, right)


def _sorted(rows: object) -> list[dict]:
    assert isinstance(rows, list)
    return sorted(rows, key=lambda row: tuple(str(value) for key, value in sorted(row.items()) if key != "value"))


@pytest.mark.parametrize(
    "params",
    [
        {"measure": "trace_count", "interval": "total"},
        {"measure": "observation_count", "group_by": "model", "interval": "1h"},
        {"measure": "input_tokens", "group_by": "model", "interval": "total"},
        {"measure": "total_tokens", "group_by": "name", "interval": "1h"},
        {"measure": "trace_count", "group_by": "user", "interval": "total"},
        {"measure": "observation_count", "model": "gpt-4o", "interval": "total"},
    ],
    ids=lambda params: "-".join(str(value) for value in params.values()),
)
def test_counts_and_tokens_are_equal(servers: tuple[TheodoliteServer, TheodoliteServer], params: dict) -> None:
    sqlite, clickhouse = servers
    expected = _sorted(_get(sqlite, "/api/v1/analytics/metrics", **params))
    assert expected and any(row["value"] for row in expected)
    assert _sorted(_get(clickhouse, "/api/v1/analytics/metrics", **params)) == expected


def test_costs_are_equal_per_model_and_hour(servers: tuple[TheodoliteServer, TheodoliteServer]) -> None:
    sqlite, clickhouse = servers
    params = {"measure": "cost", "group_by": "model", "interval": "1h"}
    expected = _sorted(_get(sqlite, "/api/v1/analytics/metrics", **params))
    assert sum(row["value"] or 0 for row in expected) > 0
    _close(expected, _sorted(_get(clickhouse, "/api/v1/analytics/metrics", **params)), absolute=1e-9)
    _close(_sorted(_get(sqlite, "/api/v1/analytics/costs")), _sorted(_get(clickhouse, "/api/v1/analytics/costs")),
           absolute=1e-9)  # fmt: skip


@pytest.mark.parametrize("aggregation", ["p50", "p95", "max"])
def test_latency_percentiles_agree_within_the_sketches_errors(
    servers: tuple[TheodoliteServer, TheodoliteServer], aggregation: str
) -> None:
    sqlite, clickhouse = servers
    params = {"measure": "latency", "aggregation": aggregation, "group_by": "name", "interval": "total"}
    expected = _sorted(_get(sqlite, "/api/v1/analytics/metrics", **params))
    # SQLite's histograms err by 1 %, ClickHouse's quantileDD by its own bound: 2.5 % covers both.
    _close(expected, _sorted(_get(clickhouse, "/api/v1/analytics/metrics", **params)), relative=0.025)


def test_the_langfuse_update_and_its_retry_count_once(servers: tuple[TheodoliteServer, TheodoliteServer]) -> None:
    for server in servers:
        rows = _get(server, "/api/v1/analytics/metrics", measure="input_tokens", name="lf-chat", interval="total")
        assert rows == [{"time": rows[0]["time"], "value": 1200}], server.database_url
        calls = _get(server, "/api/v1/analytics/metrics", measure="observation_count", name="lf-chat",
                     interval="total")  # fmt: skip
        assert calls[0]["value"] == 1, server.database_url


def test_variables_and_the_cost_page_are_equal(servers: tuple[TheodoliteServer, TheodoliteServer]) -> None:
    sqlite, clickhouse = servers
    for kind in ("models", "names", "users"):
        expected = _get(sqlite, f"/api/v1/analytics/variables/{kind}")
        assert expected, kind
        assert _get(clickhouse, f"/api/v1/analytics/variables/{kind}") == expected, kind
    page = {"from": WINDOW["from"], "to": WINDOW["to"], "group_by": "model,day,user,project"}
    sql_page, ch_page = _get(sqlite, "/api/v1/costs", **page), _get(clickhouse, "/api/v1/costs", **page)
    assert isinstance(sql_page, dict) and isinstance(ch_page, dict)
    assert sql_page.keys() == ch_page.keys()
    assert _cost_lines(sql_page) == _cost_lines(ch_page)


def _cost_lines(page: dict) -> list[tuple]:
    """The page's groups as (group, key, calls, tokens, cost rounded to 1e-9), totals included."""
    lines = []
    for name, group in page["groups"].items():
        for line in [*group["lines"], group["total"]]:
            cost = line["cost_usd"]
            lines.append((name, line["key"], line["calls"], line["input_tokens"], line["unpriced_calls"],
                          None if cost is None else round(cost, 9)))  # fmt: skip
    assert any(line[-1] for line in lines)
    return sorted(lines, key=str)


def test_health_names_the_trace_store_and_a_trace_command_refuses_it(
    servers: tuple[TheodoliteServer, TheodoliteServer], tmp_path: Path
) -> None:
    _, clickhouse = servers
    health = _get(clickhouse, "/api/v1/health")
    assert isinstance(health, dict) and health["database"] == "clickhouse"
    with httpx.Client(base_url=clickhouse.base_url) as client:
        assert "theodolite_observations_total" in client.get("/metrics").text
    import subprocess
    import sys

    refused = subprocess.run(
        [sys.executable, "-m", "theodolite", "rollups", "rebuild", "--database-url", clickhouse.database_url],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert refused.returncode == 1 and "not on ClickHouse" in refused.stderr, refused.stderr


@pytest.mark.parametrize("past", [False, True], ids=["polled", "a past window"])
def test_the_live_dashboard_is_equal(servers: tuple[TheodoliteServer, TheodoliteServer], past: bool) -> None:
    sqlite, clickhouse = servers
    params = {"window": "24h", **({"to": (NOW + timedelta(hours=1)).isoformat()} if past else {})}
    sql, ch = _get(sqlite, "/api/v1/live", **params), _get(clickhouse, "/api/v1/live", **params)
    assert isinstance(sql, dict) and isinstance(ch, dict)
    totals, other = sql["totals"], ch["totals"]
    assert totals["calls"] >= TRACES and totals["input_tokens"] > 0
    for key in ("calls", "input_tokens", "output_tokens", "unpriced_calls", "not_billed_calls", "errors",
                "unfinished_calls"):  # fmt: skip
        assert totals[key] == other[key], key
    assert abs(totals["cost"] - other["cost"]) <= 1e-9
    assert other["p95_latency_s"] == pytest.approx(totals["p95_latency_s"], rel=1e-6)  # the same classes
    # Polled, each server reads its own clock: a 15-minute bucket may turn between the two reads.
    if past or sql["buckets"]["t"] == ch["buckets"]["t"]:
        assert sql["buckets"]["t"] == ch["buckets"]["t"] and sql["buckets"]["calls"] == ch["buckets"]["calls"]
    assert [(m["model"], m["calls"]) for m in sql["models"]] == [(m["model"], m["calls"]) for m in ch["models"]]


def test_the_trace_list_a_trace_and_a_search_are_equal(
    servers: tuple[TheodoliteServer, TheodoliteServer],
) -> None:
    sqlite, clickhouse = servers
    params = {"from": START.isoformat(), "limit": 25}
    pages = []
    for server in servers:
        page = _get(server, "/api/v1/traces", **params)
        assert isinstance(page, dict)
        pages.append(page)
    sql_ids = [item["id"] for item in pages[0]["data"]]
    assert len(sql_ids) == 25 and sql_ids == [item["id"] for item in pages[1]["data"]]
    for key in ("observation_count", "input_tokens", "output_tokens", "latency_s"):
        assert [item[key] for item in pages[0]["data"]] == [item[key] for item in pages[1]["data"]], key
    one = sql_ids[0]
    sql_trace, ch_trace = _get(sqlite, f"/api/v1/traces/{one}"), _get(clickhouse, f"/api/v1/traces/{one}")
    assert isinstance(sql_trace, dict) and isinstance(ch_trace, dict)
    assert sql_trace["name"] == ch_trace["name"] and len(sql_trace["observations"]) == len(ch_trace["observations"])
    # Full-text search: the Langfuse generation's output, completed by its update.
    found = [_get(server, "/api/v1/traces", search="hello")["data"] for server in servers]  # type: ignore[index]
    assert [item["name"] for item in found[0]] == ["langfuse-ask"]
    assert [item["id"] for item in found[0]] == [item["id"] for item in found[1]]
    with clickhouse.client() as client:
        refused = client.get("/api/v1/traces", params={"search": "?!"})
    assert refused.status_code == 400 and "letter or digit" in refused.text


def _walk(server: TheodoliteServer, path: str, **params: object) -> list[dict]:
    items: list[dict] = []
    cursor = None
    while True:
        page = _get(server, path, **params, **({"cursor": cursor} if cursor else {}))
        assert isinstance(page, dict)
        items += page["data"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


def test_other_orders_users_filter_options_and_the_trace_page_are_equal(
    servers: tuple[TheodoliteServer, TheodoliteServer],
) -> None:
    sqlite, clickhouse = servers
    keys = ("id", "observation_count", "total_tokens", "latency_s", "user_id")
    # One page per order: on this live SQLite server the last commit (the Langfuse retry) stored no
    # observation and its mark is above every seq, so SQL's later pages of a sorted list leave every
    # trace out (their totals' changed_seq is above the snapshot). Cursors: tests/db/test_clickhouse_trace_views.py.
    for sort, order in (("tokens", "asc"), ("latency", "desc"), ("user", "asc"), ("level", "desc")):
        params = {"from": START.isoformat(), "limit": 200, "sort": sort, "order": order}
        sql, ch = _walk(sqlite, "/api/v1/traces", **params), _walk(clickhouse, "/api/v1/traces", **params)
        assert len(sql) >= TRACES
        assert [[item[key] for key in keys] for item in ch] == [[item[key] for key in keys] for item in sql], sort
    users = _walk(sqlite, "/api/v1/users", limit=50)  # one page: the same snapshot as above
    assert len(users) >= 7  # user-0 ... user-6, and the Langfuse traffic's
    columns = ("user_id", "trace_count", "observation_count", "total_tokens", "last_seen")
    assert [[u[c] for c in columns] for u in _walk(clickhouse, "/api/v1/users", limit=50)] == [
        [u[c] for c in columns] for u in users
    ]
    user = users[0]["user_id"]
    sql_user, ch_user = _get(sqlite, f"/api/v1/users/{user}"), _get(clickhouse, f"/api/v1/users/{user}")
    assert isinstance(sql_user, dict) and isinstance(ch_user, dict)
    assert [(d["day"], d["trace_count"], d["total_tokens"]) for d in ch_user["daily"]] == [
        (d["day"], d["trace_count"], d["total_tokens"]) for d in sql_user["daily"]
    ]
    assert _get(clickhouse, "/api/v1/trace-filter-options") == _get(sqlite, "/api/v1/trace-filter-options")
    one = sql_user["recent_traces"][0]["id"]
    sql_page = _get(sqlite, f"/api/v1/traces/{one}/skeleton")
    ch_page = _get(clickhouse, f"/api/v1/traces/{one}/skeleton")
    assert isinstance(sql_page, dict) and isinstance(ch_page, dict)
    for column in ("id", "parent", "type", "start_ms", "duration_ms", "tokens", "cost_status"):
        assert ch_page["observations"][column] == sql_page["observations"][column], column
    search = {"q": "chat"}
    assert _get(clickhouse, f"/api/v1/traces/{one}/search", **search) == _get(
        sqlite, f"/api/v1/traces/{one}/search", **search
    )
