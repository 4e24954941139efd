"""OTLP/HTTP metrics (protobuf or JSON): read, counted, and dropped.

Traceloop and OpenLIT export metrics next to their spans (`gen_ai.client.token.usage`,
`gen_ai.client.operation.duration`...). Theodolite derives the same metrics from the spans it
stores, per project and with costs, so it keeps none of these: answering 404 would only make the
exporters log an error on every export. The body is still read, so that a client sending
something that is not OTLP metrics learns it (400), as it would from a collector.
"""

from __future__ import annotations

from typing import Any

import orjson
from google.protobuf import json_format
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)

from theodolite.errors import BadRequestError
from theodolite.ingestion.adapters.otlp import encode_export_response, parse_protobuf


def parse_metrics(body: bytes, kind: str) -> ExportMetricsServiceRequest:
    """Raises BadRequestError when the body is not an ExportMetricsServiceRequest. The JSON form's
    hex ids (in exemplars) are not converted: nothing reads them."""
    if kind != "json":
        return parse_protobuf(body, ExportMetricsServiceRequest())
    request = ExportMetricsServiceRequest()
    try:
        document: Any = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BadRequestError(f"body is not valid JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise BadRequestError("OTLP/JSON body must be an object with a resourceMetrics array")
    try:
        json_format.ParseDict(document, request, ignore_unknown_fields=True)
    except (json_format.ParseError, AttributeError, TypeError, ValueError) as exc:
        raise BadRequestError("OTLP/JSON body does not match ExportMetricsServiceRequest") from exc
    return request


def count_data_points(request: ExportMetricsServiceRequest) -> int:
    count = 0
    for resource_metrics in request.resource_metrics:
        for scope_metrics in resource_metrics.scope_metrics:
            for metric in scope_metrics.metrics:
                kind = metric.WhichOneof("data")  # gauge, sum, histogram...: each has data_points
                if kind is not None:
                    count += len(getattr(metric, kind).data_points)
    return count


def decode_metrics(body: bytes, kind: str) -> int:
    """Body of POST /v1/metrics -> how many data points it held (all dropped). Raises BadRequestError."""
    return count_data_points(parse_metrics(body, kind))


def encode_metrics_response(kind: str) -> bytes:
    """An empty ExportMetricsServiceResponse: everything was accepted (and dropped on purpose)."""
    return encode_export_response(ExportMetricsServiceResponse(), "rejected_data_points", "data point(s)", [], kind)
