"""The analytics API (docs/analytics-api.md) on a real server holding demo traffic: row shapes,
times as Grafana sends them, the key's project, clear 4xx for bad input, and a schemathesis run
over its OpenAPI schema that must find no 5xx."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.support.server import SECRET_KEY, TheodoliteServer, demo_server

NOW = datetime.now(UTC).replace(microsecond=0)
BASE = "/api/v1/analytics"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TheodoliteServer]:
    workdir = tmp_path_factory.mktemp("analytics")
    with demo_server(workdir, now=NOW, days=2, traces_per_day=150, seed=5) as instance:
        yield instance


@pytest.fixture(scope="module")
def client(server: TheodoliteServer) -> Iterator[httpx.Client]:
    with server.client() as http:
        yield http


def ms(moment: datetime) -> str:
    return str(int(moment.timestamp() * 1000))


def get(client: httpx.Client, path: str, **params: object) -> list[dict]:
    response = client.get(BASE + path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_metrics_rows_are_flat_with_epoch_ms_times(client: httpx.Client) -> None:
    rows = get(client, "/metrics", measure="cost", group_by="model", interval="1h",
               **{"from": ms(NOW - timedelta(days=1)), "to": ms(NOW)})  # fmt: skip
    assert rows and set(rows[0]) == {"time", "model", "value"}
    assert all(row["time"] % 3_600_000 == 0 for row in rows)
    models = {row["model"] for row in rows}
    assert len(models) >= 3 and "" in models  # spans have no model
    iso = get(client, "/metrics", measure="cost", group_by="model", interval="1h",
              **{"from": (NOW - timedelta(days=1)).isoformat(), "to": NOW.isoformat()})  # fmt: skip
    assert iso == rows


def test_grafana_all_values_mean_no_filter(client: httpx.Client) -> None:
    window = {"from": ms(NOW - timedelta(days=2)), "to": ms(NOW), "interval": "total"}
    plain = get(client, "/metrics", measure="observation_count", **window)
    for every in ("", "$__all", "*"):
        assert get(client, "/metrics", measure="observation_count", model=every, **window) == plain
    model = get(client, "/variables/models")[0]["value"]
    one = get(client, "/metrics", measure="observation_count", model=model, **window)
    assert 0 < one[0]["value"] < plain[0]["value"]


def test_costs_per_day_sum_to_the_metric_total(client: httpx.Client) -> None:
    window = {"from": ms(NOW - timedelta(days=3)), "to": ms(NOW)}
    days = get(client, "/costs", **window)
    columns = {"time", "model", "cost", "input_tokens", "output_tokens", "total_tokens", "calls", "unpriced_calls"}
    assert days and set(days[0]) == columns
    total = get(client, "/metrics", measure="cost", interval="total", **window)[0]["value"]
    assert sum(row["cost"] or 0 for row in days) == pytest.approx(total)


def test_lists_and_variables(client: httpx.Client) -> None:
    window = {"from": ms(NOW - timedelta(days=3)), "to": ms(NOW)}
    traces = get(client, "/traces", limit=5, **window)
    assert len(traces) == 5 and traces[0]["time"] >= traces[-1]["time"]
    assert {"trace_id", "name", "user", "session", "cost", "latency_ms", "total_tokens", "level"} <= set(traces[0])
    observations = get(client, "/observations", type="generation", limit=3, **window)
    assert len(observations) == 3 and all(row["type"] == "generation" for row in observations)
    scores = get(client, "/scores", limit=3, **window)
    assert scores and {"name", "value", "data_type", "source", "trace_id"} <= set(scores[0])
    models = get(client, "/variables/models")
    assert models and models[0] == {"text": models[0]["value"], "value": models[0]["value"]}
    assert get(client, "/variables/users") and get(client, "/variables/tags")
    assert get(client, "/project") == {"project_id": 1, "name": "test"} or get(client, "/project")["name"] == "test"
    model = get(client, "/variables/models")[0]["value"]
    with_model = get(client, "/traces", model=model, limit=1000, **window)
    assert 0 < len(with_model) < len(get(client, "/traces", limit=1000, **window))
    errors = get(client, "/traces", level="ERROR", **window)
    assert all(row["level"] == "ERROR" for row in errors)


@pytest.mark.parametrize(
    ("path", "params", "expected"),
    [
        ("/metrics", {"measure": "nope"}, "measure must be one of"),
        (
            "/metrics",
            {"measure": "cost", "aggregation": "p95", "scope": "traces", "group_by": "model"},
            "cannot be grouped",
        ),
        ("/metrics", {"measure": "cost", "scope": "traces", "group_by": "provider"}, "no 'provider'"),
        ("/metrics", {"measure": "input_tokens", "aggregation": "p95"}, "not offered"),
        ("/metrics", {"measure": "cost", "group_by": "model,name,user"}, "at most 2"),
        ("/metrics", {"measure": "cost", "interval": "soon"}, "interval must be"),
        ("/metrics", {"measure": "cost", "interval": "1m", "from": "0"}, "buckets"),
        ("/metrics", {"measure": "cost", "from": "2026-12-02", "to": "2026-12-01"}, "is after"),
        ("/metrics", {"measure": "cost", "from": "yesterday"}, "not a time"),
        ("/metrics", {"measure": "latency", "aggregation": "avg", "fill": "zero"}, "fill=zero"),
        ("/traces", {"provider": "openai"}, "cannot be filtered by provider"),
        ("/variables/planets", {}, "unknown variable"),
    ],
)
def test_bad_parameters_get_a_400_that_says_why(client: httpx.Client, path: str, params: dict, expected: str) -> None:
    response = client.get(BASE + path, params=params)
    assert response.status_code == 400, response.text
    assert expected in response.json()["error"]["message"]


def test_a_key_is_needed_and_names_the_project(server: TheodoliteServer) -> None:
    assert httpx.get(server.base_url + BASE + "/project").status_code == 401
    assert server.client("sk-wrong").get(BASE + "/metrics", params={"measure": "cost"}).status_code == 401


def test_fuzzed_requests_never_get_a_server_error(server: TheodoliteServer) -> None:
    """Every analytics operation, with parameters generated from the OpenAPI schema by
    schemathesis: a 200 or a 4xx, never a 5xx."""
    schema = schemathesis.openapi.from_url(server.base_url + "/openapi.json").include(path_regex="^/api/v1/analytics/")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 7
    auth = {"Authorization": f"Bearer {SECRET_KEY}"}
    for operation in operations:

        @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(case=operation.as_strategy())
        def call(case: schemathesis.Case) -> None:
            response = case.call(headers=auth)
            assert response.status_code in (200, 400, 403, 404, 422), (case.as_curl_command(), response.text[:500])

        call()


def test_otlp_spans_count_once_in_the_aggregates_even_when_re_sent(server: TheodoliteServer) -> None:
    """Spans sent over OTLP (their cells summed in the decode worker) show in the aggregates; the
    client's retry of the same request adds nothing."""
    import os

    from tests.support.otlp_bodies import request_of, span

    start = datetime(2021, 3, 4, 5, 6, tzinfo=UTC)
    trace_id = os.urandom(16)
    root = span(trace_id, "otlp-root", int(start.timestamp() * 1e9))
    calls = [span(trace_id, "otlp-call", int(start.timestamp() * 1e9) + i, parent=root.span_id, tokens=(10, 5))
             for i in range(3)]  # fmt: skip
    body = request_of(root, *calls)
    window = {"from": ms(start - timedelta(hours=1)), "to": ms(start + timedelta(hours=1)), "interval": "total"}
    with httpx.Client(base_url=server.base_url, headers={"Authorization": f"Bearer {SECRET_KEY}"}) as http:
        for _ in range(2):  # the request and its retry
            sent = http.post("/v1/traces", content=body, headers={"Content-Type": "application/x-protobuf"})
            assert sent.status_code == 200, sent.text
        counted = get(http, "/metrics", measure="observation_count", **window)
        tokens = get(http, "/metrics", measure="input_tokens", name="otlp-call", **window)
        traces = get(http, "/metrics", measure="trace_count", **window)
    assert counted[0]["value"] == 4 and tokens[0]["value"] == 30 and traces[0]["value"] == 1
