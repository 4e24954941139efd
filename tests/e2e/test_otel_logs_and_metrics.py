"""The real OpenTelemetry log and metric exporters -> a real `theodolite serve`: evaluation events
become scores of the span they name, everything else is accepted and dropped.

The evaluation records are the ones openlit 1.45's `log_score` emits: event name
`gen_ai.evaluation.result`, an empty body, the target span's ids, `gen_ai.evaluation.name`,
`.score.value` (a bool is sent as 1.0/0.0 plus the label "true"/"false"), `.score.label`,
`.explanation`, and the user's metadata and custom attributes as plain attributes.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from opentelemetry._logs import LogRecord
from opentelemetry.exporter.otlp.proto.common._log_encoder import encode_logs
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceResponse
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceResponse
from opentelemetry.sdk._logs import LoggerProvider, ReadableLogRecord
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, LogRecordExportResult, SimpleLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader, MetricExportResult
from opentelemetry.sdk.resources import Resource

from tests.support.otel import protobuf_exporter, provider_with
from tests.support.server import SECRET_KEY, TheodoliteServer, fetch_trace

AUTH = {"Authorization": f"Bearer {SECRET_KEY}"}
EVALUATION = "gen_ai.evaluation.result"


def log_exporter(wire: str, endpoint: str) -> Any:
    if wire == "json":
        from opentelemetry.exporter.otlp.json.http._log_exporter import OTLPLogExporter as JSONLogExporter

        return JSONLogExporter(endpoint=endpoint, headers=AUTH)
    from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter

    compression = Compression.Gzip if wire == "protobuf+gzip" else Compression.NoCompression
    return OTLPLogExporter(endpoint=endpoint, headers=AUTH, compression=compression)


def metric_exporter(wire: str, endpoint: str) -> Any:
    if wire == "json":
        from opentelemetry.exporter.otlp.json.http.metric_exporter import OTLPMetricExporter as JSONMetricExporter

        return JSONMetricExporter(endpoint=endpoint, headers=AUTH)
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter

    compression = Compression.Gzip if wire == "protobuf+gzip" else Compression.NoCompression
    return OTLPMetricExporter(endpoint=endpoint, headers=AUTH, compression=compression)


def traced_call(server: TheodoliteServer) -> tuple[int, int, int]:
    """A stored trace of a root and one LLM call: (trace id, root span id, LLM span id)."""
    provider = provider_with(protobuf_exporter(server.base_url + "/v1/traces", SECRET_KEY))
    tracer = provider.get_tracer("theodolite-tests")
    with tracer.start_as_current_span("handle_question") as root:
        attributes = {"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o-mini"}
        with tracer.start_as_current_span("chat gpt-4o-mini", attributes=attributes) as llm:
            pass
    provider.shutdown()
    context = root.get_span_context()
    return context.trace_id, context.span_id, llm.get_span_context().span_id


def records(emit: Callable[[Any], None]) -> list[ReadableLogRecord]:
    """What a LoggerProvider hands its exporter after `emit(logger)`."""
    memory = InMemoryLogRecordExporter()
    provider = LoggerProvider(resource=Resource.create({"service.name": "atlas-app", "telemetry.sdk.name": "openlit"}))
    provider.add_log_record_processor(SimpleLogRecordProcessor(memory))
    emit(provider.get_logger("openlit.score"))
    provider.shutdown()
    return list(memory.get_finished_logs())


def evaluation(trace_id: int, span_id: int, time_ns: int, **attributes: Any) -> LogRecord:
    return LogRecord(timestamp=time_ns, trace_id=trace_id, span_id=span_id, body="", event_name=EVALUATION,
                     attributes=attributes)  # fmt: skip


@pytest.mark.parametrize("wire", ["protobuf", "protobuf+gzip", "json"])
def test_evaluation_events_become_scores_of_the_span_they_name(server: TheodoliteServer, wire: str) -> None:
    trace_id, root_id, llm_id = traced_call(server)
    at = 1_795_000_000_000_000_000

    def emit(logger: Any) -> None:
        logger.emit(evaluation(trace_id, llm_id, at, **{"gen_ai.evaluation.name": "relevance",
                    "gen_ai.evaluation.score.value": 0.85, "gen_ai.evaluation.explanation": "on topic",
                    "reviewer": "human", "agent": "atlas"}))  # fmt: skip
        logger.emit(evaluation(trace_id, root_id, at + 1, **{"gen_ai.evaluation.name": "user_feedback",
                    "gen_ai.evaluation.score.value": 1.0, "gen_ai.evaluation.score.label": "true"}))  # fmt: skip
        logger.emit(evaluation(trace_id, llm_id, at + 2, **{"gen_ai.evaluation.name": "category",
                    "gen_ai.evaluation.score.label": "accurate"}))  # fmt: skip
        # OpenLIT's per-call details event, and an application log: accepted, dropped
        logger.emit(LogRecord(trace_id=trace_id, span_id=llm_id, event_name="gen_ai.client.inference.operation.details",
                              attributes={"gen_ai.input.messages": [{"role": "user"}]}))  # fmt: skip
        logger.emit(LogRecord(body="application started", attributes={"event.name": "app.start"}))

    exporter = log_exporter(wire, server.base_url + "/v1/logs")
    batch = records(emit)
    assert exporter.export(batch) is LogRecordExportResult.SUCCESS
    assert exporter.export(batch) is LogRecordExportResult.SUCCESS  # a retry: stored once
    exporter.shutdown()

    scores = {s["name"]: s for s in fetch_trace(server, format(trace_id, "032x"))["scores"]}
    assert sorted(scores) == ["category", "relevance", "user_feedback"]
    relevance, feedback, category = scores["relevance"], scores["user_feedback"], scores["category"]
    assert (relevance["value"], relevance["data_type"], relevance["comment"]) == (0.85, "NUMERIC", "on topic")
    assert relevance["observation_id"] == format(llm_id, "016x")
    assert relevance["metadata"] == {"reviewer": "human", "agent": "atlas"}
    assert relevance["timestamp"].startswith("2026-11-18T")  # the record's time, not the arrival's
    assert (feedback["value"], feedback["data_type"], feedback["observation_id"]) == (
        1.0,
        "BOOLEAN",
        format(root_id, "016x"),
    )
    assert (category["string_value"], category["data_type"], category["value"]) == ("accurate", "CATEGORICAL", None)


def test_records_that_cannot_be_scores_are_counted_as_rejected(server: TheodoliteServer) -> None:
    trace_id, _, llm_id = traced_call(server)

    def emit(logger: Any) -> None:
        logger.emit(
            evaluation(trace_id, llm_id, 1, **{"gen_ai.evaluation.name": "kept", "gen_ai.evaluation.score.value": 3})
        )
        logger.emit(evaluation(0, 0, 1, **{"gen_ai.evaluation.name": "no trace", "gen_ai.evaluation.score.value": 1}))
        logger.emit(evaluation(trace_id, llm_id, 1, **{"gen_ai.evaluation.score.value": 1}))  # no name
        logger.emit(evaluation(trace_id, llm_id, 1, **{"gen_ai.evaluation.name": "no value"}))

    body = encode_logs(records(emit)).SerializeToString()
    headers = {"Content-Type": "application/x-protobuf", **AUTH}
    response = httpx.post(server.base_url + "/api/public/otel/v1/logs", content=body, headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    reply = ExportLogsServiceResponse.FromString(response.content)
    assert reply.partial_success.rejected_log_records == 3
    assert "trace_id" in reply.partial_success.error_message
    assert "gen_ai.evaluation.name" in reply.partial_success.error_message
    assert [s["name"] for s in fetch_trace(server, format(trace_id, "032x"))["scores"]] == ["kept"]


@pytest.mark.parametrize(
    "body, headers, status",
    [
        (b"\xff\xff\xff", {"Content-Type": "application/x-protobuf"}, 400),
        (b"[1]", {"Content-Type": "application/json"}, 400),
        (
            b'{"resourceLogs": [{"scopeLogs": 7}], "resourceMetrics": [{"scopeMetrics": 7}]}',
            {"Content-Type": "application/json"},
            400,
        ),
        (
            gzip.compress(b"\xff\xff", mtime=0)[:-4],
            {"Content-Type": "application/x-protobuf", "Content-Encoding": "gzip"},
            400,
        ),
        (b"", {"Content-Type": "text/plain"}, 415),
    ],
)
def test_unreadable_log_and_metric_bodies_get_a_clear_4xx(server: TheodoliteServer, body: bytes,
                                                         headers: dict[str, str], status: int) -> None:  # fmt: skip
    for path in ("/v1/logs", "/v1/metrics"):
        response = httpx.post(server.base_url + path, content=body, headers={**headers, **AUTH}, timeout=30)
        assert response.status_code == status, (path, response.text)
        assert response.json()["error"]["message"]
    unauthenticated = httpx.post(
        server.base_url + "/v1/logs", content=b"", headers={"Content-Type": "application/json"}
    )
    assert unauthenticated.status_code == 401


def test_json_log_record_with_an_id_that_is_not_hex_is_rejected_alone(server: TheodoliteServer) -> None:
    trace_id, _, llm_id = traced_call(server)
    record = {"eventName": EVALUATION, "traceId": format(trace_id, "032x"), "spanId": format(llm_id, "016x"),
              "attributes": [{"key": "gen_ai.evaluation.name", "value": {"stringValue": "json"}},
                             {"key": "gen_ai.evaluation.score.value", "value": {"doubleValue": 0.5}}]}  # fmt: skip
    bad = record | {"traceId": "not-hex"}
    document = {"resourceLogs": [{"scopeLogs": [{"logRecords": [record, bad]}]}]}
    response = httpx.post(server.base_url + "/otel/v1/logs", json=document, headers=AUTH, timeout=30)
    assert response.status_code == 200, response.text
    assert response.json()["partialSuccess"]["rejectedLogRecords"] == "1"
    assert [s["value"] for s in fetch_trace(server, format(trace_id, "032x"))["scores"]] == [0.5]


@pytest.mark.parametrize("wire", ["protobuf", "protobuf+gzip", "json"])
def test_metrics_are_accepted_and_dropped(server: TheodoliteServer, wire: str) -> None:
    reader = InMemoryMetricReader()
    meter = MeterProvider(metric_readers=[reader]).get_meter("openlit.otel.metrics")
    tokens = meter.create_histogram("gen_ai.client.token.usage", unit="{token}")
    tokens.record(12, {"gen_ai.token.type": "input", "gen_ai.response.model": "gpt-4o-mini"})
    tokens.record(5, {"gen_ai.token.type": "output", "gen_ai.response.model": "gpt-4o-mini"})
    meter.create_counter("gen_ai.client.generation.choices").add(1)
    data = reader.get_metrics_data()
    exporter = metric_exporter(wire, server.base_url + "/v1/metrics")
    assert exporter.export(data) is MetricExportResult.SUCCESS
    exporter.shutdown()

    from opentelemetry.exporter.otlp.proto.common.metrics_encoder import encode_metrics

    response = httpx.post(server.base_url + "/otel/v1/metrics", content=encode_metrics(data).SerializeToString(),
                          headers={"Content-Type": "application/x-protobuf", **AUTH}, timeout=30)  # fmt: skip
    assert response.status_code == 200
    assert not ExportMetricsServiceResponse.FromString(response.content).HasField("partial_success")
