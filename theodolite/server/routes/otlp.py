"""OTLP/HTTP export: traces, logs (evaluation events become scores) and metrics (dropped), at
/v1/* and at the same paths under the Langfuse and LangSmith OTLP prefixes."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Annotated

from anyio import to_thread
from fastapi import APIRouter, Depends, Request, Response

from theodolite.errors import UnsupportedMediaTypeError
from theodolite.ingestion.adapters.otlp import encode_response
from theodolite.ingestion.adapters.otlp_logs import decode_logs, encode_logs_response
from theodolite.ingestion.adapters.otlp_metrics import decode_metrics, encode_metrics_response
from theodolite.model import Rejection
from theodolite.server.body import read_body
from theodolite.server.decoding import decode_otlp_traces
from theodolite.server.score_config_book import check_rows
from theodolite.server.state import AppState, authenticated_project
from theodolite.storage.rows import prepare_batch

log = logging.getLogger(__name__)
# Where each SDK sends OTLP: the standard path, Langfuse's and LangSmith's.
OTLP_PREFIXES = ("", "/api/public/otel", "/otel")
OTLP_TRACE_PATHS = tuple(f"{prefix}/v1/traces" for prefix in OTLP_PREFIXES)
MEDIA_TYPES = {"protobuf": "application/x-protobuf", "json": "application/json"}

router = APIRouter(tags=["ingestion"])


def body_kind(content_type: str) -> str:
    media = content_type.split(";", 1)[0].strip().lower()
    if media in ("application/x-protobuf", "application/protobuf", "application/octet-stream"):
        return "protobuf"
    if media == "application/json":
        return "json"
    raise UnsupportedMediaTypeError(
        f"Content-Type {media or '(none)'!r} is not OTLP; use application/x-protobuf or application/json"
    )


async def export_traces(request: Request, project_id: Annotated[int, Depends(authenticated_project)]) -> Response:
    """Accept an ExportTraceServiceRequest; answer only after its spans are committed."""
    state: AppState = request.app.state.theodolite
    kind = body_kind(request.headers.get("content-type", ""))
    body = await read_body(request, state.settings.max_body_bytes)
    overrides = await state.prices.for_project(project_id)
    # Decoding is CPU work; off the event loop so small requests are not stuck behind big ones.
    prepared = await state.decoder.run(
        decode_otlp_traces, body, kind, state.settings.max_span_attributes, project_id, state.codec, overrides
    )
    rejected = list(prepared.rejections)
    if prepared.observation_rows:
        rejected.extend(await state.pipeline.submit(prepared))
    elif rejected:  # nothing to commit, so no commit counts them
        await to_thread.run_sync(state.metrics.count_rejections, project_id, len(rejected))
    return Response(encode_response(rejected, kind), media_type=MEDIA_TYPES[kind])


async def export_logs(request: Request, project_id: Annotated[int, Depends(authenticated_project)]) -> Response:
    """Accept an ExportLogsServiceRequest: `gen_ai.evaluation.result` events become scores,
    answered after their commit; every other record is dropped."""
    state: AppState = request.app.state.theodolite
    kind = body_kind(request.headers.get("content-type", ""))
    body = await read_body(request, state.settings.max_body_bytes)
    now = datetime.now(UTC)
    batch, dropped = await to_thread.run_sync(decode_logs, body, kind, now)
    prepared = prepare_batch(project_id, batch, state.codec, now)
    if prepared.score_rows:  # evaluation results that do not fit their score config: partial success
        configs = await state.score_configs.for_project(project_id)
        refused = check_rows(configs, prepared.score_rows)
        prepared.rejections.extend(Rejection(row["id"], reason) for row, reason in refused)
    rejected = list(prepared.rejections)
    if prepared.score_rows:
        rejected.extend(await state.pipeline.submit(prepared))
    elif rejected:
        await to_thread.run_sync(state.metrics.count_rejections, project_id, len(rejected))
    log.debug("OTLP logs: %d score(s), %d record(s) dropped", len(batch.scores), dropped)
    return Response(encode_logs_response(rejected, kind), media_type=MEDIA_TYPES[kind])


async def export_metrics(request: Request, project_id: Annotated[int, Depends(authenticated_project)]) -> Response:
    """Accept an ExportMetricsServiceRequest and drop it: Theodolite derives its metrics from the
    spans. A 200, so that the exporters (Traceloop, OpenLIT) neither retry nor log errors."""
    state: AppState = request.app.state.theodolite
    kind = body_kind(request.headers.get("content-type", ""))
    body = await read_body(request, state.settings.max_body_bytes)
    points = await to_thread.run_sync(decode_metrics, body, kind)
    log.debug("OTLP metrics: %d data point(s) dropped", points)
    return Response(encode_metrics_response(kind), media_type=MEDIA_TYPES[kind])


for _prefix in OTLP_PREFIXES:
    for _signal, _endpoint, _summary in (
        ("traces", export_traces, "OTLP/HTTP trace export (protobuf or JSON, gzip or not)"),
        ("logs", export_logs, "OTLP/HTTP log export: gen_ai.evaluation.result events become scores"),
        ("metrics", export_metrics, "OTLP/HTTP metric export: accepted and dropped"),
    ):
        router.add_api_route(
            f"{_prefix}/v1/{_signal}",
            _endpoint,
            methods=["POST"],
            include_in_schema=_prefix == "",
            summary=_summary,
        )
