"""Two real `theodolite serve` processes on one PostgreSQL database, as behind a load balancer.

Parts of the same traces go to both servers at once, from several threads, and some parts are
sent again to the other server (a client retrying after a timeout). Afterwards the database must
hold what one server would have stored: every span once, trace totals equal to the sums of the
observations, rollups (and so the analytics API, percentiles included) equal to a rebuild from the
raw rows, group totals equal to their traces', the trace list, its filters and search finding
every trace; and the servers' own /metrics counting each stored span once between them.
"""

from __future__ import annotations

import base64
import json
import random
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span, Status
from sqlalchemy import create_engine, text

from tests.conftest import new_postgres_database
from tests.support.postgres import PostgresServer
from tests.support.server import PUBLIC_KEY, SECRET_KEY, TheodoliteServer, fetch_trace
from theodolite.model import histograms
from theodolite.pricing import PriceOverrides
from theodolite.pricing.overrides import PriceOverride
from theodolite.storage import rollups
from theodolite.storage.engine import open_database
from theodolite.storage.repricing import reprice

TRACES = 48
CHILDREN = 5  # LLM calls under each trace's root span
PARTS = 3  # each trace's spans are sent in this many requests
TRACES_PER_REQUEST = 4  # a request carries parts of several traces (lock order between traces)
THREADS = 6
MODELS = ("gpt-4o-mini", "gpt-4o")
WORD = "quadrantfox"  # in every trace's input: the search must find them all
NOW = datetime.now(UTC).replace(microsecond=0)


@dataclass(frozen=True)
class Sent:
    trace_id: str
    span_ids: list[str]


def _attr(key: str, value: object) -> KeyValue:
    if isinstance(value, bool):
        return KeyValue(key=key, value=AnyValue(bool_value=value))
    if isinstance(value, int):
        return KeyValue(key=key, value=AnyValue(int_value=value))
    return KeyValue(key=key, value=AnyValue(string_value=str(value)))


def _ns(moment: datetime) -> int:
    return int(moment.timestamp() * 1e9)


def _trace_spans(index: int, rng: random.Random) -> tuple[Sent, list[Span]]:
    """One trace: a root span and CHILDREN LLM calls with tokens (priced by the server), latencies
    that differ per trace, an error on some."""
    trace_id = rng.randbytes(16)
    root_id = rng.randbytes(8)
    start = NOW - timedelta(minutes=50) + timedelta(seconds=index * 47 % 2900)
    root = Span(trace_id=trace_id, span_id=root_id, name=f"agent-{index % 3}", start_time_unix_nano=_ns(start),
                end_time_unix_nano=_ns(start + timedelta(seconds=20 + index % 7)),
                attributes=[_attr("user.id", f"user-{index % 5}"),
                            _attr("session.id", f"session-{index % 4}")])  # fmt: skip
    spans = [root]
    for child in range(CHILDREN):
        begin = start + timedelta(seconds=1 + child * 3)
        attributes = [
            _attr("gen_ai.operation.name", "chat"), _attr("gen_ai.provider.name", "openai"),
            _attr("gen_ai.request.model", MODELS[(index + child) % 2]),
            _attr("gen_ai.usage.input_tokens", 100 + 37 * index + child),
            _attr("gen_ai.usage.output_tokens", 20 + 11 * child + index),
            _attr("gen_ai.input.messages", json.dumps(
                [{"role": "user", "parts": [{"type": "text", "content": f"{WORD} question {index} {child}"}]}])),
        ]  # fmt: skip
        span = Span(trace_id=trace_id, span_id=rng.randbytes(8), parent_span_id=root_id, name="chat",
                    start_time_unix_nano=_ns(begin),
                    end_time_unix_nano=_ns(begin + timedelta(milliseconds=300 + 173 * ((index * 7 + child) % 11))),
                    attributes=attributes)  # fmt: skip
        if (index + child) % 9 == 0:
            span.status.CopyFrom(Status(code=Status.STATUS_CODE_ERROR, message="rate limited"))
        spans.append(span)
    # The root last in some traces: children arrive first, the trace's timestamp moves earlier later.
    if index % 2:
        spans.reverse()
    return Sent(trace_id.hex(), [span.span_id.hex() for span in spans]), spans


def _body(spans: list[Span]) -> bytes:
    request = ExportTraceServiceRequest(
        resource_spans=[ResourceSpans(scope_spans=[ScopeSpans(spans=spans)])]
    )  # fmt: skip
    return request.SerializeToString()


def _plan(rng: random.Random, traces: int = TRACES) -> tuple[list[Sent], list[list[tuple[int, bytes]]]]:
    """The traces, and per thread its requests (server index, body): each trace's parts are spread
    over both servers; every third request is sent to the other server too."""
    sent, parts = [], []
    for index in range(traces):
        trace, spans = _trace_spans(index, rng)
        sent.append(trace)
        size = -(-len(spans) // PARTS)
        parts += [(index, spans[start : start + size]) for start in range(0, len(spans), size)]
    rng.shuffle(parts)
    requests: list[tuple[int, bytes]] = []
    for number, start in enumerate(range(0, len(parts), TRACES_PER_REQUEST)):
        chunk = parts[start : start + TRACES_PER_REQUEST]
        body = _body([span for _, piece in chunk for span in piece])
        requests.append((number % 2, body))
        if number % 3 == 0:
            requests.append((1 - number % 2, body))  # a client's retry, through the other server
    rng.shuffle(requests)
    return sent, [requests[thread::THREADS] for thread in range(THREADS)]


def _send_all(servers: list[TheodoliteServer], threads: list[list[tuple[int, bytes]]]) -> list[int]:
    """Send every thread's requests at once; each retries a 429/503 a bounded number of times as an
    exporter would. Returns every status received."""
    statuses: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(len(threads))

    def run(requests: list[tuple[int, bytes]]) -> None:
        clients = [server.client() for server in servers]
        try:
            start.wait(30)
            for server_index, body in requests:
                for _ in range(20):
                    response = clients[server_index].post(
                        "/v1/traces", content=body, headers={"Content-Type": "application/x-protobuf"}
                    )
                    with lock:
                        statuses.append(response.status_code)
                    if response.status_code not in (429, 503):
                        break
                    time.sleep(float(response.headers.get("Retry-After", "0.2")))  # the server's advice
        finally:
            for client in clients:
                client.close()

    workers = [threading.Thread(target=run, args=(requests,)) for requests in threads]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(300)
        assert not worker.is_alive(), "a sender did not finish within 300 s"
    return statuses


@pytest.fixture(scope="module")
def two_servers(postgres_server: PostgresServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    workdir: Path = tmp_path_factory.mktemp("two-servers")
    url = new_postgres_database(postgres_server)
    servers = [TheodoliteServer(url, workdir).start(), TheodoliteServer(url, workdir).start()]
    try:
        sent, threads = _plan(random.Random(11))
        statuses = _send_all(servers, threads)
        yield {"url": url, "servers": servers, "sent": sent, "statuses": statuses}
    finally:
        for server in servers:
            server.stop()


def _engine(url: str):  # noqa: ANN202 - a throw-away engine for the test's own SQL
    return create_engine(url.replace("postgresql://", "postgresql+psycopg://"))


def test_every_request_is_accepted_without_a_storage_error(two_servers: dict) -> None:
    statuses = two_servers["statuses"]
    assert set(statuses) == {200}, {status: statuses.count(status) for status in set(statuses)}


def test_every_trace_is_whole_and_each_span_stored_once(two_servers: dict) -> None:
    engine = _engine(two_servers["url"])
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT trace_id, id FROM observations")).all()
        traces = {row[0] for row in conn.execute(text("SELECT id FROM traces"))}
    engine.dispose()
    expected = {(trace.trace_id, span) for trace in two_servers["sent"] for span in trace.span_ids}
    assert len(stored) == len(set(stored)) == len(expected)
    assert set(stored) == expected
    assert traces == {trace.trace_id for trace in two_servers["sent"]}


def test_trace_totals_equal_the_sums_of_their_observations(two_servers: dict) -> None:
    _check_totals(two_servers["url"], TRACES, users=5)


def _check_totals(url: str, traces: int, users: int) -> None:
    """Each trace's totals and each user's equal the sums of their rows (SQL over the raw rows)."""
    engine = _engine(url)
    with engine.connect() as conn:
        expected = conn.execute(text("""
            SELECT t.id, t.timestamp, count(*), sum(o.prompt_tokens), sum(o.completion_tokens), sum(o.total_tokens),
                   round(sum(coalesce(o.calculated_total_cost, o.total_cost))::numeric, 9),
                   extract(epoch FROM max(o.end_time) - min(o.start_time)),
                   sum(CASE WHEN o.level = 'ERROR' THEN 1 ELSE 0 END)
            FROM traces t JOIN observations o ON o.trace_id = t.id GROUP BY t.id, t.timestamp ORDER BY t.id
        """)).all()  # fmt: skip
        totals = conn.execute(text("""
            SELECT trace_id, timestamp, observation_count, input_tokens, output_tokens, total_tokens,
                   round(total_cost::numeric, 9), latency_s, error_count
            FROM trace_totals ORDER BY trace_id
        """)).all()  # fmt: skip
        groups = conn.execute(text("""
            SELECT kind, key, trace_count, observation_count, input_tokens, round(cost_sum::numeric, 9)
            FROM group_rollups ORDER BY kind, key
        """)).all()  # fmt: skip
        expected_groups = conn.execute(text("""
            SELECT kind, key, count(*), sum(tt.observation_count), sum(tt.input_tokens),
                   round(sum(tt.total_cost)::numeric, 9)
            FROM (SELECT 'user' AS kind, user_id AS key, id FROM traces) AS g
            JOIN trace_totals tt ON tt.trace_id = g.id
            GROUP BY kind, key ORDER BY kind, key
        """)).all()  # fmt: skip
    engine.dispose()
    assert len(expected) == traces
    assert [row[:7] + (round(row[7], 6), row[8]) for row in totals] == [
        row[:7] + (round(float(row[7]), 6), row[8]) for row in expected
    ]
    assert len(groups) == users
    assert groups == expected_groups


def _rollup_rows(url: str) -> dict[tuple, tuple]:
    engine = _engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM rollups")).mappings().all()
    engine.dispose()
    found = {}
    for row in rows:
        key = (row["project_id"], row["cube"], row["grain_s"], row["bucket"], row["dims_key"])
        # Sums of floats (latencies in ms, costs) kept by many deltas differ from a fresh sum in their last bits.
        measures = tuple(float(f"{round(float(row[name] or 0), 9):.10g}") for name in rollups.MEASURE_FIELDS)
        kept = tuple(tuple(sorted(histograms.decode(row[name]).items())) for name in rollups.HISTOGRAMS)
        if any(measures) or any(kept):  # a row of sums added back to zero stays until a rebuild (rollups.py)
            found[key] = (measures, kept)
    return found


def _digits(value: object) -> object:
    return float(f"{value:.9g}") if isinstance(value, float) else value


def _analytics(server: TheodoliteServer) -> list[list[dict]]:
    window = {"from": str(int((NOW - timedelta(hours=2)).timestamp() * 1000)),
              "to": str(int((NOW + timedelta(hours=1)).timestamp() * 1000))}  # fmt: skip
    asked = [
        {"measure": "observation_count", "group_by": "model", "interval": "total"},
        {"measure": "trace_count", "interval": "5m"},
        {"measure": "cost", "group_by": "model", "interval": "total"},
        {"measure": "latency", "aggregation": "p95", "interval": "total"},
        {"measure": "latency", "aggregation": "p95", "scope": "traces", "interval": "total"},
        {"measure": "cost", "aggregation": "p95", "scope": "traces", "group_by": "user", "interval": "total"},
        {"measure": "total_tokens", "scope": "traces", "group_by": "user", "interval": "1h"},
    ]
    answers = []
    with server.client() as client:
        for params in asked:
            response = client.get("/api/v1/analytics/metrics", params={**params, **window})
            assert response.status_code == 200, response.text
            # Sums of floats added in another order differ in their last bits.
            answers.append([{k: _digits(v) for k, v in row.items()} for row in response.json()])
    return answers


def test_rollups_and_the_analytics_api_equal_a_rebuild_from_the_raw_rows(two_servers: dict) -> None:
    url, server = two_servers["url"], two_servers["servers"][0]
    kept, answers = _rollup_rows(url), _analytics(server)
    engine = _engine(url)
    with engine.connect() as conn:
        count, cost = conn.execute(
            text("SELECT count(*), sum(coalesce(calculated_total_cost, total_cost)) FROM observations")
        ).one()
        p95 = conn.execute(text("""
            SELECT percentile_disc(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM end_time - start_time) * 1000)
            FROM observations
        """)).scalar_one()  # fmt: skip
    engine.dispose()
    assert sum(row["value"] for row in answers[0]) == count
    assert sum(row["value"] or 0 for row in answers[2]) == pytest.approx(float(cost), rel=1e-9)
    [latency] = answers[3]
    assert latency["value"] == pytest.approx(float(p95), rel=0.02)  # the histograms' 1 % (docs/analytics-api.md)
    _rebuild(url)
    assert _rollup_rows(url) == kept
    assert _analytics(server) == answers


def _rebuild(url: str) -> None:
    """`theodolite rollups rebuild`: every rollup row derived again from the raw rows."""
    database = open_database(url, migrate=False)
    try:
        with database.engine.begin() as conn:
            rollups.rebuild(conn, "postgresql")
    finally:
        database.dispose()


def test_the_trace_list_its_filters_and_search_find_every_trace(two_servers: dict) -> None:
    expected = {trace.trace_id for trace in two_servers["sent"]}
    for server in two_servers["servers"]:
        with server.client() as client:
            for params in ({}, {"model": "gpt-4o"}, {"search": WORD}, {"level": "error"}):
                response = client.get("/api/v1/traces", params={"limit": 500, **params})
                assert response.status_code == 200, response.text
                found = [item["id"] for item in response.json()["data"]]
                assert len(found) == len(set(found))
                if params.get("level"):
                    assert set(found) and set(found) <= expected
                else:
                    assert set(found) == expected, params


def _observations_counted(server: TheodoliteServer) -> float:
    response = httpx.get(f"{server.base_url}/metrics", timeout=30)
    assert response.status_code == 200, response.text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in response.text.splitlines()
        if line.startswith("theodolite_observations_total{")
    )


def test_each_server_counts_its_own_spans_and_a_duplicate_once(two_servers: dict) -> None:
    counts = [_observations_counted(server) for server in two_servers["servers"]]
    stored = sum(len(trace.span_ids) for trace in two_servers["sent"])
    assert all(count > 0 for count in counts)
    assert sum(counts) == stored


# -- Langfuse updates: an observation created through one server, completed through the other ----

LANGFUSE_TRACES = 24
T0 = "2026-11-30T10:00:00Z"


def _langfuse_events(index: int) -> tuple[str, str, list[dict], dict]:
    trace_id, generation = uuid.UUID(int=index * 2 + 1).hex, uuid.UUID(int=index * 2 + 2).hex
    create = [
        {"type": "trace-create", "body": {"id": trace_id, "name": "ask", "timestamp": T0, "userId": f"u{index % 3}"}},
        {"type": "generation-create", "body": {"id": generation, "traceId": trace_id, "name": "chat",
                                               "startTime": T0, "model": "gpt-4o-mini", "input": "hi"}},
    ]  # fmt: skip
    update = {"type": "generation-update", "body": {
        "id": generation, "traceId": trace_id, "endTime": f"2026-11-30T10:00:{1 + index % 50:02d}Z", "output": "hello",
        "usageDetails": {"prompt_tokens": 10 + index, "completion_tokens": 5},
    }}  # fmt: skip
    return trace_id, generation, create, update


def _post_langfuse(server: TheodoliteServer, events: list[dict]) -> int:
    token = base64.b64encode(f"{PUBLIC_KEY}:{SECRET_KEY}".encode()).decode()
    batch = [{"id": uuid.uuid4().hex, "timestamp": T0, **event} for event in events]
    with httpx.Client(base_url=server.base_url, headers={"Authorization": f"Basic {token}"}, timeout=30) as client:
        for _ in range(20):
            response = client.post("/api/public/ingestion", json={"batch": batch})
            if response.status_code not in (429, 503):
                break
            time.sleep(float(response.headers.get("Retry-After", "0.2")))  # the server's advice
    assert response.status_code == 207 and response.json()["errors"] == [], response.text
    return response.status_code


def _generations_counted(server: TheodoliteServer) -> float:
    response = httpx.get(f"{server.base_url}/metrics", timeout=30)
    return sum(float(line.rsplit(" ", 1)[1]) for line in response.text.splitlines()
               if line.startswith("theodolite_observations_total{") and 'type="generation"' in line)  # fmt: skip


def test_langfuse_updates_through_the_other_server_complete_the_observation_once(
    postgres_server: PostgresServer, tmp_path_factory: pytest.TempPathFactory
) -> None:
    workdir: Path = tmp_path_factory.mktemp("two-servers-langfuse")
    url = new_postgres_database(postgres_server)
    servers = [TheodoliteServer(url, workdir).start(), TheodoliteServer(url, workdir).start()]
    try:
        sends: list[tuple[int, list[dict]]] = []
        for index in range(LANGFUSE_TRACES):
            _, _, create, update = _langfuse_events(index)
            first = index % 2
            sends += [(first, create), (1 - first, [update]), (first, [update])]  # the last: a retry
        random.Random(5).shuffle(sends)
        errors: list[BaseException] = []

        def run(mine: list[tuple[int, list[dict]]]) -> None:
            try:
                for server_index, events in mine:
                    _post_langfuse(servers[server_index], events)
            except BaseException as exc:  # noqa: BLE001 - reported by the test thread
                errors.append(exc)

        workers = [threading.Thread(target=run, args=(sends[thread::4],)) for thread in range(4)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(300)
            assert not worker.is_alive()
        assert not errors, errors
        engine = _engine(url)
        with engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT trace_id, id, end_time IS NOT NULL, prompt_tokens, completion_tokens FROM observations "
                "WHERE type = 'generation' ORDER BY trace_id"
            )).all()  # fmt: skip
            totals = conn.execute(text("SELECT trace_id, observation_count, input_tokens FROM trace_totals "
                                       "ORDER BY trace_id")).all()  # fmt: skip
        engine.dispose()
        expected = sorted(_langfuse_events(index) for index in range(LANGFUSE_TRACES))
        assert [tuple(row) for row in rows] == [(t, g, True, 10 + int(g, 16) // 2 - 1, 5) for t, g, _, _ in expected]
        assert [tuple(row) for row in totals] == [(t, 2, 10 + int(g, 16) // 2 - 1) for t, g, _, _ in expected]
        assert sum(_generations_counted(server) for server in servers) == LANGFUSE_TRACES
        [root] = fetch_trace(servers[1], expected[0][0])["observations"]
        assert [(chat["input"], chat["output"]) for chat in root["children"]] == [("hi", "hello")]
        kept = _rollup_rows(url)
        _rebuild(url)
        assert _rollup_rows(url) == kept
    finally:
        for server in servers:
            server.stop()


def test_two_servers_started_at_once_on_an_empty_database_both_come_up(
    postgres_server: PostgresServer, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Replicas deployed together: one migrates and creates the first project, key and admin; the
    other waits for it and finds them."""
    workdir: Path = tmp_path_factory.mktemp("two-servers-start")
    url = new_postgres_database(postgres_server)
    servers = [TheodoliteServer(url, workdir) for _ in range(3)]
    failures: list[BaseException] = []

    def start(server: TheodoliteServer) -> None:
        try:
            server.start(deadline_s=60)
        except BaseException as exc:  # noqa: BLE001 - reported by the test thread
            failures.append(exc)

    starters = [threading.Thread(target=start, args=(server,)) for server in servers]
    try:
        for starter in starters:
            starter.start()
        for starter in starters:
            starter.join(90)
        assert not failures, failures
        for server in servers:
            with server.client() as client:
                assert client.get("/api/v1/traces").status_code == 200
        engine = _engine(url)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM projects")).scalar_one() == 1
            assert conn.execute(text("SELECT count(*) FROM users")).scalar_one() == 1
        engine.dispose()
    finally:
        for server in servers:
            server.stop()


def _generations(server: TheodoliteServer) -> float:
    text = httpx.get(f"{server.base_url}/metrics", timeout=10).text
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line.startswith("theodolite_generations_total{"))  # fmt: skip


def test_the_live_demo_traffic_is_sent_by_one_server_and_taken_over_when_it_stops(
    postgres_server: PostgresServer, tmp_path_factory: pytest.TempPathFactory
) -> None:
    workdir: Path = tmp_path_factory.mktemp("two-servers-demo")
    url = new_postgres_database(postgres_server)
    servers = [TheodoliteServer(url, workdir, demo_live_interval_s="0.1").start() for _ in range(2)]
    try:
        deadline = time.monotonic() + 60
        before = [_generations(server) for server in servers]  # both up from here on
        counts = [0.0, 0.0]
        while time.monotonic() < deadline and max(counts) < 20:  # a few dozen ticks of each server
            counts = [_generations(server) - base for server, base in zip(servers, before, strict=True)]
            time.sleep(0.1)  # polling the expositions with a deadline
        assert max(counts) >= 20 and min(counts) == 0, counts
        sender = counts.index(max(counts))
        servers[sender].stop()
        other = servers[1 - sender]
        while time.monotonic() < deadline and _generations(other) == 0:
            time.sleep(0.1)  # polling with a deadline: the other server takes the lease over
        assert _generations(other) > 0
    finally:
        for server in servers:
            server.stop()


def test_costs_recompute_and_rollups_rebuild_while_two_servers_ingest(
    postgres_server: PostgresServer, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The administrative commands that rewrite derived rows run while the servers write the same
    traces: afterwards totals and rollups still equal what the raw rows give."""
    workdir: Path = tmp_path_factory.mktemp("two-servers-admin")
    url = new_postgres_database(postgres_server)
    servers = [TheodoliteServer(url, workdir).start(), TheodoliteServer(url, workdir).start()]
    try:
        _, threads = _plan(random.Random(23), traces=3 * TRACES)  # long enough for several rounds below
        statuses: list[int] = []
        sender = threading.Thread(target=lambda: statuses.extend(_send_all(servers, threads)))
        sender.start()
        database = open_database(url, migrate=False)
        try:
            rounds, deadline = 0, time.monotonic() + 120
            while sender.is_alive() and time.monotonic() < deadline:  # bounded; until the senders are done
                price = Decimal("1") + rounds  # every round changes what gpt-4o costs
                override = PriceOverride("gpt-4o", NOW - timedelta(days=1), input_mtok=price, output_mtok=price)
                summary = reprice(
                    database, {1: PriceOverrides([override])}, since=NOW - timedelta(hours=2), batch_size=20
                )
                rounds += summary.changed > 0
                if rounds % 3 == 1:
                    with database.engine.begin() as conn:
                        rollups.rebuild(conn, "postgresql")
            assert rounds >= 2  # it did overlap with the ingest
        finally:
            database.dispose()
        sender.join(300)
        assert not sender.is_alive()
        assert set(statuses) == {200}, {status: statuses.count(status) for status in set(statuses)}
        _check_totals(url, 3 * TRACES, users=5)
        kept = _rollup_rows(url)
        _rebuild(url)
        assert _rollup_rows(url) == kept
    finally:
        for server in servers:
            server.stop()
