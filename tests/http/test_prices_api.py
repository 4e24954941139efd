"""/api/v1/prices over a real server, and the price it sets applied to spans sent with the OTel SDK."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import httpx

from tests.support.accounts import new_secret
from tests.support.otel import protobuf_exporter, provider_with
from tests.support.server import SECRET_KEY, TheodoliteServer

PRICE = {"model": "acme-llm-*", "effective_from": "2026-01-01T00:00:00Z", "input_mtok": "2", "output_mtok": "8",
         "cache_read_mtok": "0.5", "note": "contract 42"}  # fmt: skip


def call(
    server: TheodoliteServer, method: str, path: str, secret: str = SECRET_KEY, **kwargs: object
) -> httpx.Response:
    with server.client(secret) as client:
        return client.request(method, path, **kwargs)


def send_generation(server: TheodoliteServer, model: str, start: datetime) -> str:
    provider = provider_with(protobuf_exporter(server.base_url + "/v1/traces", SECRET_KEY))
    ns = int(start.timestamp() * 1e9)
    attributes = {
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": model,
        "gen_ai.usage.input_tokens": 1_000_000,
        "gen_ai.usage.cache_read.input_tokens": 400_000,
        "gen_ai.usage.output_tokens": 100_000,
    }
    with provider.get_tracer("t").start_as_current_span("chat", start_time=ns, attributes=attributes) as span:
        span.end(end_time=ns + 1_000_000)
    provider.shutdown()  # flushes: the exporter returned after the server committed
    return format(span.get_span_context().trace_id, "032x")


def generation_of(server: TheodoliteServer, trace_id: str) -> dict:
    [observation] = call(server, "GET", f"/api/v1/traces/{trace_id}").json()["observations"]
    return observation


def test_a_price_set_through_the_api_prices_the_next_spans(server: TheodoliteServer) -> None:
    unpriced = generation_of(server, send_generation(server, "acme-llm-v2", datetime(2026, 3, 1, tzinfo=UTC)))
    assert (unpriced["cost_status"], unpriced["calculated_total_cost"]) == ("unpriced", None)

    stored = call(server, "PUT", "/api/v1/prices", json=PRICE)
    assert stored.status_code == 200, stored.text
    assert stored.json()["model"] == "acme-llm-*" and Decimal(stored.json()["input_mtok"]) == 2
    assert [p["note"] for p in call(server, "GET", "/api/v1/prices").json()["data"]] == ["contract 42"]

    lookup = call(server, "GET", "/api/v1/prices/lookup", params={"model": "acme-llm-v2", "at": "2026-02-01T00:00:00Z"})
    assert lookup.json()["source"] == "override acme-llm-* from 2026-01-01"
    # 600k uncached input x $2 + 400k cache reads x $0.50 + 100k output x $8 = 1.2 + 0.2 + 0.8
    priced = generation_of(server, send_generation(server, "acme-llm-v2", datetime(2026, 3, 1, tzinfo=UTC)))
    assert priced["cost_status"] == "priced"
    assert Decimal(str(priced["calculated_total_cost"])) == Decimal("2.2")
    before = generation_of(server, send_generation(server, "acme-llm-v2", datetime(2025, 12, 31, tzinfo=UTC)))
    assert before["cost_status"] == "unpriced"  # the price is not in force yet


def test_public_prices_and_unknown_models(server: TheodoliteServer) -> None:
    found = call(server, "GET", "/api/v1/prices/lookup", params={"model": "claude-sonnet-4-5", "provider": "anthropic"})
    assert found.status_code == 200
    body = found.json()
    assert body["source"] == "genai-prices claude-sonnet-4-5"
    assert Decimal(body["rates"]["input_mtok"]["base"]) == 3 and Decimal(body["rates"]["output_mtok"]["base"]) == 15
    missing = call(server, "GET", "/api/v1/prices/lookup", params={"model": "nobody-knows-7b"})
    assert missing.status_code == 404 and "unpriced" in missing.json()["error"]["message"]


def test_bad_prices_are_refused_with_a_reason(server: TheodoliteServer) -> None:
    no_rate = call(server, "PUT", "/api/v1/prices", json={"model": "m"})
    assert no_rate.status_code == 422 and "at least one rate" in no_rate.text
    negative = call(server, "PUT", "/api/v1/prices", json={"model": "m", "input_mtok": "-1"})
    assert negative.status_code == 422
    assert call(server, "PUT", "/api/v1/prices", json=PRICE, secret="sk-wrong").status_code == 401


def test_another_project_does_not_see_or_use_the_price(server: TheodoliteServer) -> None:
    call(server, "PUT", "/api/v1/prices", json=PRICE)
    other = new_secret(server.database_url, "other")[1]
    assert call(server, "GET", "/api/v1/prices", secret=other).json() == {"data": []}
    lookup = call(server, "GET", "/api/v1/prices/lookup", secret=other, params={"model": "acme-llm-v2"})
    assert lookup.status_code == 404
