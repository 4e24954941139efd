"""Sorting and filtering the trace list by its totals, and the sessions and users lists, over a real
server on both engines: spans from the real OpenTelemetry SDK, scores over HTTP, repricing through
the real CLI.

The totals are stored per trace (`trace_totals`) by the writer: every test compares what the list
shows with the trace's own observations (the detail endpoint sums them when asked), so that a part
merged late, a trace re-keyed by an earlier root span, a score sent later or a re-priced call that
the stored totals missed shows up as a difference. Each test sends its traces on its own day and
reads that day only (`from`, `to`), so the tests share one server.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.conftest import ALL_ENGINES
from tests.support.otel import protobuf_exporter, provider_with
from tests.support.server import SECRET_KEY, TheodoliteServer

SERVER_ENGINES = ALL_ENGINES  # what any trace store answers: on ClickHouse too

BASE = datetime(2026, 10, 1, tzinfo=UTC)
PRICED = "gpt-4o-mini"  # genai-prices knows it
UNKNOWN = "acme-sorting-llm"  # no price: its calls are unpriced


def _ns(when: datetime) -> int:
    return int(when.timestamp() * 1e9)


def _day(n: int) -> dict[str, str]:
    return {"from": (BASE + timedelta(days=n)).isoformat(), "to": (BASE + timedelta(days=n + 1)).isoformat()}


class Sender:
    """Sends traces with the real OTel SDK; each span is committed when it ends (simple processor)."""

    def __init__(self, server: TheodoliteServer) -> None:
        self.provider = provider_with(protobuf_exporter(server.base_url + "/v1/traces", SECRET_KEY))
        self.tracer = self.provider.get_tracer("sorting")

    def trace(
        self,
        start: datetime,
        name: str,
        *,
        calls: list[tuple[str, int, int, float]] = (),  # type: ignore[assignment]
        duration_s: float = 1.0,
        user: str | None = None,
        session: str | None = None,
        tags: list[str] | None = None,
        error: bool = False,
    ) -> str:
        """A root span and one child per call (model, input tokens, output tokens, seconds), each
        committed when it ends: the children first, then the root, whose earlier start moves the
        stored trace's timestamp (and re-keys its totals)."""
        from opentelemetry.trace import Status, StatusCode

        attributes: dict[str, Any] = {}
        if user:
            attributes["user.id"] = user
        if session:
            attributes["session.id"] = session
        if tags:
            attributes["theodolite.trace.tags"] = json.dumps(tags)
        root = self.tracer.start_span(name, start_time=_ns(start), attributes=attributes)
        from opentelemetry.trace import set_span_in_context

        context = set_span_in_context(root)
        offset = 0.1
        for model, input_tokens, output_tokens, seconds in calls:
            child_attributes = {
                "gen_ai.operation.name": "chat",
                "gen_ai.provider.name": "openai",
                "gen_ai.request.model": model,
                "gen_ai.usage.input_tokens": input_tokens,
                "gen_ai.usage.output_tokens": output_tokens,
                **attributes,
            }
            child = self.tracer.start_span(
                "llm", context=context, start_time=_ns(start + timedelta(seconds=offset)), attributes=child_attributes
            )
            if error:
                child.set_status(Status(StatusCode.ERROR, "overloaded"))
            child.end(end_time=_ns(start + timedelta(seconds=offset + seconds)))
            offset += seconds
        root.end(end_time=_ns(start + timedelta(seconds=duration_s)))
        return format(root.get_span_context().trace_id, "032x")

    def close(self) -> None:
        self.provider.shutdown()


def _get(server: TheodoliteServer, path: str, **params: Any) -> dict[str, Any]:
    with server.client() as client:
        response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def _all(server: TheodoliteServer, path: str, limit: int = 2, **params: Any) -> list[dict[str, Any]]:
    """Every page of a list, following next_cursor (bounded)."""
    items: list[dict[str, Any]] = []
    cursor = None
    for _ in range(200):
        body = _get(server, path, limit=limit, **({"cursor": cursor} if cursor else {}), **params)
        items += body["data"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("more than 200 pages")


def _ids(items: list[dict[str, Any]]) -> list[str]:
    return [item["id"] for item in items]


TOTALS = (
    "input_tokens", "output_tokens", "total_tokens", "total_cost", "unpriced_count", "error_count", "latency_s",
    "observation_count",
)  # fmt: skip


def _detail_totals(server: TheodoliteServer, trace_id: str) -> dict[str, Any]:
    """The trace's totals as the detail endpoint sums them from its observations."""
    detail = _get(server, f"/api/v1/traces/{trace_id}")
    return {key: detail[key] for key in TOTALS}


def _list_totals(item: dict[str, Any]) -> dict[str, Any]:
    return {key: item[key] for key in TOTALS}


def _same_totals(listed: dict[str, Any], direct: dict[str, Any]) -> None:
    for key, value in direct.items():
        if isinstance(value, float) and listed[key] is not None:
            assert listed[key] == pytest.approx(value, abs=1e-9), key
        else:
            assert listed[key] == value, key


def _expected_order(items: list[dict[str, Any]], key: Any, descending: bool) -> list[str]:
    """Traces with a value by (value, timestamp, id) in the sort's direction, then those without, newest first."""
    with_value = [item for item in items if key(item) is not None]
    without = [item for item in items if key(item) is None]
    with_value.sort(key=lambda item: (key(item), item["timestamp"], item["id"]), reverse=descending)
    without.sort(key=lambda item: (item["timestamp"], item["id"]), reverse=True)
    return _ids(with_value + without)


@pytest.fixture(scope="module")
def day0(server: TheodoliteServer) -> dict[str, str]:
    """Seven traces on day 0 with distinct values of every sort key, some without one."""
    sender = Sender(server)
    start = BASE + timedelta(hours=1)
    spec = [
        ("alpha", [(PRICED, 1000, 500, 2.0)], 3.0, "u-b", "s-1", ["x", "b"], False),
        ("bravo", [(PRICED, 5000, 100, 0.5)], 1.0, "u-a", "s-1", ["a"], True),
        ("charlie", [(UNKNOWN, 300, 300, 0.2)], 9.0, "u-c", None, None, False),
        ("delta", [(PRICED, 10, 10, 0.1), (UNKNOWN, 10, 10, 0.1)], 0.5, None, "s-2", ["c"], False),
        ("echo", [], 4.0, "u-a", "s-3", None, False),
        ("foxtrot", [(PRICED, 20000, 2000, 1.0)], 2.0, "u-b", "s-2", ["b", "a"], False),
        ("golf", [(PRICED, 1000, 500, 2.0)], 3.0, "u-c", "s-3", ["x", "b"], False),  # ties alpha
    ]
    ids = {}
    for index, (name, calls, duration, user, session, tags, error) in enumerate(spec):
        ids[name] = sender.trace(
            start + timedelta(minutes=index), name, calls=calls, duration_s=duration, user=user, session=session,
            tags=tags, error=error,
        )  # fmt: skip
    sender.close()
    _post_scores(server, [{"trace_id": ids["alpha"], "name": "helpfulness", "value": 0.9},
                          {"trace_id": ids["bravo"], "name": "helpfulness", "value": 0.2},
                          {"trace_id": ids["bravo"], "name": "helpfulness", "value": 0.4},  # mean 0.3
                          {"trace_id": ids["foxtrot"], "name": "helpfulness", "value": 0.7},
                          {"trace_id": ids["golf"], "name": "helpfulness", "value": True}])  # fmt: skip
    return ids


def _post_scores(server: TheodoliteServer, scores: list[dict[str, Any]]) -> None:
    with server.client() as client:
        response = client.post("/api/v1/scores", json={"scores": scores})
    assert response.status_code == 200, response.text


SORT_KEYS = {
    "name": lambda item: item["name"],
    "user": lambda item: item["user_id"],
    "session": lambda item: item["session_id"],
    "tags": lambda item: ", ".join(item["tags"]) or None,
    "latency": lambda item: item["latency_s"],
    "tokens": lambda item: item["total_tokens"],
    "cost": lambda item: None if item["total_cost"] is None else Decimal(str(item["total_cost"])),
    "level": lambda item: 3 if item["error_count"] else 1,
    "score:helpfulness": lambda item: item["scores"].get("helpfulness"),
}


def test_totals_in_the_list_equal_the_sums_of_each_traces_observations(
    server: TheodoliteServer, day0: dict[str, str]
) -> None:
    items = _all(server, "/api/v1/traces", limit=50, **_day(0))
    assert sorted(_ids(items)) == sorted(day0.values())
    for item in items:
        _same_totals(_list_totals(item), _detail_totals(server, item["id"]))
    by_name = {item["name"]: item for item in items}
    assert by_name["charlie"]["total_cost"] is None and by_name["charlie"]["unpriced_count"] == 1  # not $0
    assert by_name["echo"]["total_cost"] is None and by_name["echo"]["total_tokens"] == 0
    assert by_name["bravo"]["scores"] == {"helpfulness": pytest.approx(0.3)}


@pytest.mark.parametrize("sort", list(SORT_KEYS))
@pytest.mark.parametrize("order", ["desc", "asc"])
def test_each_sort_orders_every_page(server: TheodoliteServer, day0: dict[str, str], sort: str, order: str) -> None:
    everything = _all(server, "/api/v1/traces", limit=50, **_day(0))
    expected = _expected_order(everything, SORT_KEYS[sort], order == "desc")
    paged = _all(server, "/api/v1/traces", limit=2, sort=sort, order=order, **_day(0))
    assert _ids(paged) == expected


def test_time_order_ascending_and_a_bad_sort(server: TheodoliteServer, day0: dict[str, str]) -> None:
    newest_first = _ids(_all(server, "/api/v1/traces", limit=50, **_day(0)))
    assert _ids(_all(server, "/api/v1/traces", limit=3, sort="time", order="asc", **_day(0))) == newest_first[::-1]
    with server.client() as client:
        assert client.get("/api/v1/traces", params={"sort": "colour"}).status_code == 400
        assert client.get("/api/v1/traces", params={"order": "sideways"}).status_code == 422
        assert client.get("/api/v1/traces", params={"score": "helpfulness~1"}).status_code == 400
        assert client.get("/api/v1/traces", params={"cost_min": "cheap"}).status_code == 400
        first = client.get("/api/v1/traces", params={"sort": "cost", "limit": 1, **_day(0)}).json()
        other = client.get("/api/v1/traces", params={"sort": "tokens", "cursor": first["next_cursor"]})
        assert other.status_code == 400  # a cursor of another order


def test_cost_latency_and_score_filters(server: TheodoliteServer, day0: dict[str, str]) -> None:
    everything = _all(server, "/api/v1/traces", limit=50, **_day(0))

    def names(**params: Any) -> set[str]:
        return {item["name"] for item in _all(server, "/api/v1/traces", limit=2, **params, **_day(0))}

    costs = {item["name"]: item["total_cost"] for item in everything}
    latencies = {item["name"]: item["latency_s"] for item in everything}
    threshold = costs["alpha"]
    assert names(cost_min=str(threshold)) == {n for n, c in costs.items() if c is not None and c >= threshold}
    assert names(cost_max=str(threshold)) == {n for n, c in costs.items() if c is not None and c <= threshold}
    assert "charlie" not in names(cost_max="1000")  # unpriced is not $0
    assert names(latency_min=2.5) == {n for n, v in latencies.items() if v is not None and v >= 2.5}
    assert names(latency_min=1, latency_max=3) == {n for n, v in latencies.items() if v is not None and 1 <= v <= 3}
    assert names(score="helpfulness>=0.7") == {"alpha", "foxtrot", "golf"}
    assert names(score="helpfulness<0.5") == {"bravo"}
    assert names(score=["helpfulness>0.5", "helpfulness!=1"]) == {"alpha", "foxtrot"}
    assert names(score="helpfulness>0.5", cost_min=str(threshold), sort="cost") == {"alpha", "foxtrot", "golf"}
    assert names(score="nothing>0") == set()
    for sort in ("score:helpfulness", "time", "cost"):  # with the small set driving, and without one
        assert names(score="helpfulness>0.5", sort=sort) == {"alpha", "foxtrot", "golf"}
        assert {i["name"] for i in _all(server, "/api/v1/traces", score="helpfulness>0.5", sort=sort)} >= {"alpha"}
    # the model, level and tag filters (trace_facets) with another order
    models = {"alpha", "bravo", "delta", "foxtrot", "golf"}  # a call of the priced model
    assert names(model=PRICED, sort="latency") == models
    assert names(tags="b", sort="cost", order="asc") == {"alpha", "foxtrot", "golf"}
    assert names(level="ERROR", sort="tokens") == {"bravo"}
    assert names(model=PRICED, tags="x", sort="name") == {"alpha", "golf"}
    assert {i["name"] for i in _all(server, "/api/v1/traces", model=PRICED, sort="cost")} >= models
    # with a sort, the filters keep the sort's order
    by_cost = _all(server, "/api/v1/traces", limit=1, sort="cost", order="asc", latency_min=1, **_day(0))
    assert _ids(by_cost) == _expected_order(
        [i for i in everything if (i["latency_s"] or 0) >= 1], SORT_KEYS["cost"], False
    )


def _late_span(server: TheodoliteServer, trace_id: str, when: datetime, input_tokens: int) -> None:
    """One more priced call in a stored trace, sent as its own request (committed on its own)."""
    from tests.support.otlp_bodies import request_of, span

    body = request_of(span(bytes.fromhex(trace_id), "late-call", _ns(when), tokens=(input_tokens, 1)))
    headers = {"Content-Type": "application/x-protobuf", "Authorization": f"Bearer {SECRET_KEY}"}
    response = httpx.post(f"{server.base_url}/v1/traces", content=body, headers=headers, timeout=30)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("order", ["desc", "asc"])
def test_keyset_pages_stay_exact_while_traces_arrive(server: TheodoliteServer, order: str) -> None:
    """A scroll sorted by cost while traces arrive between its pages: new ones (costlier and cheaper
    than all), and a late call in the trace the first page showed first, which moves it past the
    cursor. No trace comes twice, and every trace that did not change comes, in order."""
    sender = Sender(server)
    day_number = 1 if order == "desc" else 5
    start = BASE + timedelta(days=day_number, hours=2)
    # The older a trace, the costlier: the cost order is not the default one.
    before = [
        sender.trace(start + timedelta(minutes=i), f"t{i}", calls=[(PRICED, 100 * (8 - i), 10, 0.1)]) for i in range(8)
    ]
    day = _day(day_number)
    with server.client() as client:
        response = client.get("/api/v1/traces", params={"sort": "cost", "order": order, "limit": 3, **day}).json()
        seen = _ids(response["data"])
        cursor = response["next_cursor"]
        moved = seen[0]
        _late_span(server, moved, start + timedelta(minutes=20), 900_000)  # now the costliest of all
        arrivals = 0
        for _ in range(20):
            sender.trace(start + timedelta(minutes=30 + arrivals), "new-big", calls=[(PRICED, 90000, 10, 0.1)])
            sender.trace(start + timedelta(minutes=40 + arrivals), "new-small", calls=[(PRICED, 1, 1, 0.1)])
            arrivals += 1
            if cursor is None:
                break
            params = {"sort": "cost", "order": order, "limit": 3, "cursor": cursor, **day}
            response = client.get("/api/v1/traces", params=params)
            assert response.status_code == 200, response.text
            seen += _ids(response.json()["data"])
            cursor = response.json()["next_cursor"]
    sender.close()
    assert len(seen) == len(set(seen))  # nothing twice
    expected = before if order == "desc" else before[::-1]
    assert [trace for trace in seen if trace in before] == expected  # every one, in the order of the first page


def test_parts_in_several_batches_and_a_root_that_moves_the_trace(server: TheodoliteServer) -> None:
    """Children committed first, then the root with an earlier start: the stored totals (re-keyed
    under the new timestamp) are the sums of all the spans, in the list, every sort and the groups."""
    sender = Sender(server)
    start = BASE + timedelta(days=2, hours=5)
    tracer = sender.tracer
    from opentelemetry.trace import set_span_in_context

    root = tracer.start_span(
        "late-root", start_time=_ns(start), attributes={"user.id": "u-late", "session.id": "s-late"}
    )
    context = set_span_in_context(root)
    for index, tokens in enumerate((100, 250)):
        attributes = {
            "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.request.model": PRICED,
            "gen_ai.usage.input_tokens": tokens, "gen_ai.usage.output_tokens": 5,
            "user.id": "u-late", "session.id": "s-late",
        }  # fmt: skip
        when = _ns(start + timedelta(seconds=10 + index))
        child = tracer.start_span("llm", context=context, start_time=when, attributes=attributes)
        child.end(end_time=_ns(start + timedelta(seconds=12 + index)))  # committed on its own
    mid = _get(server, "/api/v1/traces", **_day(2))["data"]
    assert [item["timestamp"] for item in mid] == [(start + timedelta(seconds=10)).isoformat().replace("+00:00", "Z")]
    root.end(end_time=_ns(start + timedelta(seconds=20)))
    trace_id = format(root.get_span_context().trace_id, "032x")
    sender.trace(start + timedelta(seconds=5), "other", calls=[(PRICED, 1, 1, 1.0)], user="u-late", session="s-late")
    sender.close()
    items = _all(server, "/api/v1/traces", limit=50, **_day(2))
    moved = next(item for item in items if item["id"] == trace_id)
    assert moved["timestamp"].startswith("2026-10-03T05:00:00")  # the root's start
    assert moved["total_tokens"] == 350 + 10 and moved["observation_count"] == 3
    assert moved["latency_s"] == pytest.approx(20.0)
    _same_totals(_list_totals(moved), _detail_totals(server, trace_id))
    for sort in SORT_KEYS:
        assert sorted(_ids(_all(server, "/api/v1/traces", limit=1, sort=sort, **_day(2)))) == sorted(_ids(items))
    _groups_equal_direct_sums(server, items, "session")
    _groups_equal_direct_sums(server, items, "user")
    [user] = [row for row in _all(server, "/api/v1/users", limit=50, **_day(2)) if row["user_id"] == "u-late"]
    assert user["first_seen"].startswith("2026-10-03T05:00:00") and user["trace_count"] == 2


def test_a_score_before_and_after_its_trace(server: TheodoliteServer) -> None:
    sender = Sender(server)
    start = BASE + timedelta(days=3, hours=1)
    first = sender.trace(start, "scored-later", calls=[(PRICED, 10, 10, 0.1)])
    _post_scores(server, [{"trace_id": first, "name": "accuracy", "value": 0.25}])
    waiting = "ab" * 16
    _post_scores(server, [{"trace_id": waiting, "name": "accuracy", "value": 0.75}])  # before its trace
    sender.close()
    # The waiting score's trace arrives with that id.
    from tests.support.otlp_bodies import request_of, span

    body = request_of(span(bytes.fromhex(waiting), "scored-first", _ns(start + timedelta(minutes=1)), tokens=(5, 5)))
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        response = client.post("/v1/traces", content=body, headers={
            "Content-Type": "application/x-protobuf", "Authorization": f"Bearer {SECRET_KEY}"})  # fmt: skip
        assert response.status_code == 200
    listed = _all(server, "/api/v1/traces", limit=1, sort="score:accuracy", **_day(3))
    assert _ids(listed) == [waiting, first]
    assert [item["scores"] for item in listed] == [{"accuracy": 0.75}, {"accuracy": 0.25}]
    assert {i["id"] for i in _all(server, "/api/v1/traces", score="accuracy>0.5", **_day(3))} == {waiting}
    _post_scores(server, [{"trace_id": first, "name": "accuracy", "value": 2.0}])  # mean of 0.25 and 2.0
    listed = _all(server, "/api/v1/traces", limit=1, sort="score:accuracy", **_day(3))
    assert _ids(listed) == [first, waiting]


def _cli(server: TheodoliteServer, *arguments: str) -> None:
    command = [sys.executable, "-m", "theodolite", *arguments, *server.cli_options()]
    with server.stopped_for_cli():
        result = subprocess.run(command, capture_output=True, text=True, timeout=120, env=server.env)
    assert result.returncode == 0, result.stdout + result.stderr


def test_repricing_updates_trace_session_and_user_totals(server: TheodoliteServer) -> None:
    sender = Sender(server)
    start = BASE + timedelta(days=4, hours=1)
    model = "acme-reprice-llm"
    cheap = sender.trace(start, "cheap", calls=[(PRICED, 1000, 1000, 0.1)], user="u-rp", session="s-rp")
    unknown = sender.trace(start + timedelta(minutes=1), "unknown", calls=[(model, 1_000_000, 2_000_000, 0.1)],
                           user="u-rp", session="s-rp")  # fmt: skip
    sender.close()
    items = {item["id"]: item for item in _all(server, "/api/v1/traces", limit=50, **_day(4))}
    assert items[unknown]["total_cost"] is None
    assert _ids(_all(server, "/api/v1/traces", sort="cost", **_day(4))) == [cheap, unknown]  # unpriced last
    _cli(server, "prices", "set", model, "--input", "1", "--output", "2", "--project", "test")
    _cli(server, "costs", "recompute", "--since", "2026-10-01")
    items = {item["id"]: item for item in _all(server, "/api/v1/traces", limit=50, **_day(4))}
    assert items[unknown]["total_cost"] == pytest.approx(5.0)  # 1M x $1 + 2M x $2 per million
    assert items[unknown]["unpriced_count"] == 0
    assert _ids(_all(server, "/api/v1/traces", sort="cost", **_day(4))) == [unknown, cheap]
    assert _ids(_all(server, "/api/v1/traces", cost_min="1", **_day(4))) == [unknown]
    _groups_equal_direct_sums(server, list(items.values()), "session")
    _groups_equal_direct_sums(server, list(items.values()), "user")


def _groups_equal_direct_sums(server: TheodoliteServer, traces: list[dict[str, Any]], kind: str) -> None:
    """Each group's figures (all time) equal the sums over its traces, read from each trace's detail."""
    column = f"{kind}_id"
    rows = {row[column]: row for row in _all(server, f"/api/v1/{kind}s", limit=50)}
    for key in {trace[column] for trace in traces if trace[column] is not None}:
        mine = [t for t in _all(server, "/api/v1/traces", limit=100, **{column: key})]
        direct = [_detail_totals(server, trace["id"]) for trace in mine]
        row = rows[key]
        assert row["trace_count"] == len(mine)
        for name in (
            "input_tokens",
            "output_tokens",
            "total_tokens",
            "unpriced_count",
            "error_count",
            "observation_count",
        ):
            assert row[name] == sum(d[name] for d in direct), (key, name)
        costs = [d["total_cost"] for d in direct if d["total_cost"] is not None]
        assert (row["total_cost"] is None) == (not costs), key
        if costs:
            assert row["total_cost"] == pytest.approx(sum(costs), abs=1e-9)
        stamps = sorted(trace["timestamp"] for trace in mine)
        assert (row["first_seen"], row["last_seen"]) == (stamps[0], stamps[-1])


def test_sessions_and_users_page_by_latest_activity_with_direct_sums(
    server: TheodoliteServer, day0: dict[str, str]
) -> None:
    sender = Sender(server)  # session s-3 and user u-a of day 0 come back on day 6
    sender.trace(BASE + timedelta(days=6), "again", calls=[(PRICED, 7, 7, 0.1)], user="u-a", session="s-3")
    sender.close()
    everything = _all(server, "/api/v1/traces", limit=100)
    for kind in ("session", "user"):
        column = f"{kind}_id"
        paged = _all(server, f"/api/v1/{kind}s", limit=2)
        keys = [row[column] for row in paged]
        assert len(keys) == len(set(keys)) == len({t[column] for t in everything if t[column] is not None})
        assert [row["last_seen"] for row in paged] == sorted((row["last_seen"] for row in paged), reverse=True)
        _groups_equal_direct_sums(server, everything, kind)
        # A time range lists the groups active in it (first seen before its end, last seen after its
        # start), with their all-time figures.
        ranged = _all(server, f"/api/v1/{kind}s", limit=1, **_day(0))
        active = {t[column] for t in _all(server, "/api/v1/traces", limit=100, **_day(0)) if t[column] is not None}
        assert {row[column] for row in ranged} >= active
        day_start, day_end = _day(0)["from"], _day(0)["to"]
        for row in ranged:
            assert row["first_seen"] < day_end.replace("+00:00", "Z") and row["last_seen"] >= day_start.replace(
                "+00:00", "Z"
            )
            assert row == next(r for r in paged if r[column] == row[column])
    [session] = [row for row in _all(server, "/api/v1/sessions", **_day(0)) if row["session_id"] == "s-3"]
    assert session["trace_count"] == 3 and session["last_seen"].startswith("2026-10-07")  # the whole session


@pytest.mark.parametrize("sort", list(SORT_KEYS))
def test_each_sort_without_a_range_reads_the_sort_index(
    server: TheodoliteServer, day0: dict[str, str], sort: str
) -> None:
    """Without a narrow filter the sort's own index drives the query (with one, its few traces are sorted)."""
    everything = _all(server, "/api/v1/traces", limit=100)
    expected = _expected_order(everything, SORT_KEYS[sort], True)
    assert _ids(_all(server, "/api/v1/traces", limit=3, sort=sort)) == expected
