"""LangSmith's API, for its SDK unchanged (`LANGSMITH_ENDPOINT` set to Theodolite):
`GET /info`, `POST /runs/multipart` (zstd too), `POST /runs/batch`, `POST /runs`,
`PATCH /runs/{id}` and `POST /feedback`. OTLP from its OTel mode arrives at `/otel/v1/traces`.

Authentication is LangSmith's `x-api-key`. Answers come after the commit. A run that cannot be
read is refused alone: the others are stored and the answer is a 422 naming it, so that the
SDK's log says which run was lost. Feedback is checked against the project's score configs of its
key (`server/score_config_book.py`) once decoded; feedback that does not fit is refused the same way.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from theodolite import __version__
from theodolite.model import Rejection
from theodolite.server.body import read_body
from theodolite.server.decoding import decode_langsmith
from theodolite.server.score_config_book import check_rows
from theodolite.server.state import AppState, authenticated_project

router = APIRouter(tags=["langsmith"])

# What the SDK reads at start: multipart with zstd (without the flag it logs a warning on every
# start), and a complete batch config (a partial one kills its tracing thread). A version from
# 0.8.10 on makes it send feedback inside the multipart body, one request fewer.
INFO = {
    "version": "0.10.0",
    "instance_flags": {"zstd_compression_enabled": True},
    "batch_ingest_config": {
        "use_multipart_endpoint": True, "size_limit": 100, "size_limit_bytes": 20_971_520,
        "scale_up_nthreads_limit": 16, "scale_up_qsize_trigger": 1000, "scale_down_nempty_trigger": 4,
    },
    "theodolite_version": __version__,
}  # fmt: skip


@router.get("/info", summary="LangSmith server info: the SDK reads its ingest settings here")
async def info() -> dict[str, Any]:
    return INFO


async def _ingest(request: Request, project_id: int, shape: str) -> JSONResponse:
    state: AppState = request.app.state.theodolite
    body = await read_body(request, state.settings.max_body_bytes)
    overrides = await state.prices.for_project(project_id)
    content_type = request.headers.get("content-type", "")
    prepared = await state.decoder.run(decode_langsmith, shape, body, content_type, project_id, state.codec, overrides)
    if prepared.score_rows:
        configs = await state.score_configs.for_project(project_id)
        refused = check_rows(configs, prepared.score_rows)
        prepared.rejections.extend(Rejection(row["id"], reason) for row, reason in refused)
    rejected = list(prepared.rejections)
    if prepared.size():
        rejected.extend(await state.pipeline.submit(prepared))
    if rejected:
        errors = [{"id": item.item_id, "message": item.reason} for item in rejected]
        return JSONResponse({"detail": f"{len(rejected)} item(s) refused", "errors": errors}, status_code=422)
    return JSONResponse({"message": "accepted"}, status_code=202)


Project = Annotated[int, Depends(authenticated_project)]


@router.post("/runs/multipart", status_code=202, summary="LangSmith runs as multipart parts (zstd allowed)")
async def runs_multipart(request: Request, project_id: Project) -> JSONResponse:
    return await _ingest(request, project_id, "multipart")


@router.post("/runs/batch", status_code=202, summary='LangSmith runs as {"post": [...], "patch": [...]}')
async def runs_batch(request: Request, project_id: Project) -> JSONResponse:
    return await _ingest(request, project_id, "batch")


@router.post("/runs", status_code=202, summary="One LangSmith run, when it starts")
async def runs_create(request: Request, project_id: Project) -> JSONResponse:
    return await _ingest(request, project_id, "post")


@router.patch("/runs/{run_id}", status_code=202, summary="One LangSmith run's end")
async def runs_update(run_id: str, request: Request, project_id: Project) -> JSONResponse:
    return await _ingest(request, project_id, f"patch:{run_id}")


@router.post("/feedback", summary="LangSmith feedback, stored as a score")
async def feedback(request: Request, project_id: Project) -> JSONResponse:
    response = await _ingest(request, project_id, "feedback")
    return response if response.status_code != 202 else JSONResponse({"message": "accepted"}, status_code=200)
