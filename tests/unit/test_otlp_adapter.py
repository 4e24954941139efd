"""The OTLP adapter is a pure function: bodies in, canonical model out."""

from __future__ import annotations

import json

import orjson
import pytest
from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from tests.support.otlp_bodies import request_with_spans
from theodolite.errors import BadRequestError
from theodolite.ingestion.adapters.otlp import decode_traces
from theodolite.model import Level, ObservationType


def otlp_json(body: bytes) -> bytes:
    """The OTLP/JSON form of a protobuf body: ids as hex, as the spec requires."""
    request = ExportTraceServiceRequest.FromString(body)
    document = json_format.MessageToDict(request)
    for rs in document["resourceSpans"]:
        for ss in rs["scopeSpans"]:
            for span in ss["spans"]:
                for key in ("traceId", "spanId", "parentSpanId"):
                    if key in span:
                        import base64

                        span[key] = base64.b64decode(span[key]).hex()
    return json.dumps(document).encode()


def test_json_and_protobuf_decode_to_the_same_model() -> None:
    body, _ = request_with_spans(3)
    from_protobuf = decode_traces(body, "protobuf")
    from_json = decode_traces(otlp_json(body), "json")
    assert from_protobuf == from_json
    assert len(from_protobuf.observations) == 3


def test_genai_attributes_map_to_the_model() -> None:
    request = ExportTraceServiceRequest()
    span = request.resource_spans.add().scope_spans.add().spans.add()
    span.trace_id, span.span_id, span.name = b"\x01" * 16, b"\x02" * 8, "chat"
    span.start_time_unix_nano, span.end_time_unix_nano = 1_700_000_000_000_000_000, 1_700_000_001_000_000_000
    for key, value in {
        "gen_ai.operation.name": "chat",
        "gen_ai.system": "anthropic",
        "gen_ai.request.model": "claude-x",
        "gen_ai.usage.prompt_tokens": 100,
        "gen_ai.usage.completion_tokens": 40,
        "gen_ai.usage.cache_read.input_tokens": 60,
        "gen_ai.server.time_to_first_token": 0.25,
        "gen_ai.conversation.id": "conv-1",
        "theodolite.generation.source": "cache",
        "theodolite.trace.tags": json.dumps(["prod", "beta"]),
        "theodolite.metadata.feature": "faq",
    }.items():
        kv = span.attributes.add(key=key)
        if isinstance(value, int):
            kv.value.int_value = value
        elif isinstance(value, float):
            kv.value.double_value = value
        else:
            kv.value.string_value = value
    batch = decode_traces(request.SerializeToString(), "protobuf")
    [obs], [trace] = batch.observations, batch.traces
    assert obs.type is ObservationType.GENERATION and obs.level is Level.DEFAULT
    assert (obs.model, obs.provider, obs.source) == ("claude-x", "anthropic", "cache")
    assert (obs.usage.input_tokens, obs.usage.output_tokens, obs.usage.total_tokens) == (100, 40, 140)
    assert obs.usage.cache_read_tokens == 60
    assert (obs.completion_start_time - obs.start_time).total_seconds() == 0.25
    assert obs.metadata == {"feature": "faq"}
    assert obs.attributes == {"otel.span.kind": "SPAN_KIND_UNSPECIFIED"}  # everything else was consumed
    assert (trace.session_id, trace.tags) == ("conv-1", ["prod", "beta"])


@pytest.mark.parametrize("kind, body", [("protobuf", b"\xff\xff\xff"), ("json", b"[1]"), ("json", b"{")])
def test_unreadable_bodies_raise_bad_request(kind: str, body: bytes) -> None:
    with pytest.raises(BadRequestError):
        decode_traces(body, kind)


def test_json_spans_that_cannot_be_read_are_rejected_one_by_one() -> None:
    good = {"traceId": "0af7651916cd43dd8448eb211c80319c", "spanId": "b7ad6b7169203331", "name": "ok",
            "startTimeUnixNano": "1700000000000000000"}  # fmt: skip
    spans = [
        good,
        good | {"spanId": "zz"},
        good | {"spanId": "b7ad6b7169203332", "traceId": "abcd"},
        good | {"spanId": "b7ad6b7169203333", "startTimeUnixNano": "soon"},
        "not a span",
        good | {"spanId": "b7ad6b7169203334", "parentSpanId": "b7ad6b71692033", "name": "short parent"},
        good | {"spanId": "b7ad6b7169203335", "parentSpanId": "b7ad6b7169203331", "name": "child"},
    ]
    body = orjson.dumps({"resourceSpans": [{"scopeSpans": [{"spans": spans}]}]})
    batch = decode_traces(body, "json")
    assert [obs.name for obs in batch.observations] == ["ok", "child"]
    assert [r.item_id for r in batch.rejections] == [
        "zz", "b7ad6b7169203332", "b7ad6b7169203333", None, "b7ad6b7169203334",
    ]  # fmt: skip
    assert "startTimeUnixNano" in batch.rejections[2].reason
    assert "parentSpanId 'b7ad6b71692033' must be 16 hex digits" == batch.rejections[4].reason
