"""OTLP/HTTP trace export: /v1/traces, and the same at the Langfuse and LangSmith OTLP paths."""

from __future__ import annotations

from typing import Annotated

from anyio import to_thread
from fastapi import APIRouter, Depends, Request, Response

from theodolite.errors import UnsupportedMediaTypeError
from theodolite.ingestion.adapters.otlp import encode_response
from theodolite.server.body import read_body
from theodolite.server.decoding import decode_otlp_traces
from theodolite.server.state import AppState, authenticated_project

OTLP_TRACE_PATHS = ("/v1/traces", "/api/public/otel/v1/traces", "/otel/v1/traces")
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


for _path in OTLP_TRACE_PATHS:
    router.add_api_route(
        _path,
        export_traces,
        methods=["POST"],
        include_in_schema=_path == "/v1/traces",
        summary="OTLP/HTTP trace export (protobuf or JSON, gzip or not)",
    )
