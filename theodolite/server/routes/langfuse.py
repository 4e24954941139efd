"""Langfuse's public API, for its SDKs unchanged: `POST /api/public/ingestion` (the v2 SDK's
event batches, the v3 SDK's scores), `POST /api/public/scores` (the v5 SDK's scores), and
`GET /api/public/health` and `/api/public/projects`, which `auth_check()` and health probes call.

Authentication is Langfuse's Basic `public:secret` (any of Theodolite's key forms works). Answers
come after the commit, like OTLP's: 207 with per-event `successes` and `errors`, so that one bad
event never fails the others and the SDK logs exactly which one was refused.

Scores are checked against the project's score configs (`server/score_config_book.py`): by the
`configId` a score names, else by its name; in ingestion batches (decoded in worker processes, which
keep no config) after decoding, from the rows. A score that does not fit, or that names a config the
project does not have, is refused alone, as any bad event is.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from anyio import to_thread
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from theodolite import __version__
from theodolite.errors import BadRequestError
from theodolite.evaluation.scores import InvalidScore
from theodolite.ingestion.adapters.langfuse import EventError, score_from
from theodolite.model import Batch
from theodolite.server.body import parse_json, read_body
from theodolite.server.decoding import decode_langfuse_ingestion
from theodolite.server.score_config_book import check_rows, fit_score
from theodolite.server.state import AppState, authenticated_project
from theodolite.storage.metadata.project_reads import project_name
from theodolite.storage.rows import prepare_batch

router = APIRouter(prefix="/api/public", tags=["langfuse"])
MAX_SCORES = 10_000


@router.get("/health", summary="Langfuse's health probe")
async def health() -> dict[str, str]:
    return {"status": "OK", "version": __version__}


@router.get("/projects", summary="The key's project, as Langfuse's auth_check() reads it")
async def projects(request: Request, project_id: Annotated[int, Depends(authenticated_project)]) -> dict[str, Any]:
    state: AppState = request.app.state.theodolite
    name = await to_thread.run_sync(project_name, state.database, project_id)
    return {"data": [{"id": str(project_id), "name": name, "metadata": {}}]}


@router.post("/ingestion", status_code=207, summary="Langfuse v2 ingestion batch (answered after commit)")
async def ingestion(request: Request, project_id: Annotated[int, Depends(authenticated_project)]) -> JSONResponse:
    state: AppState = request.app.state.theodolite
    body = await read_body(request, state.settings.max_body_bytes)
    overrides = await state.prices.for_project(project_id)
    prepared, successes, errors, score_events = await state.decoder.run(
        decode_langfuse_ingestion, body, project_id, state.codec, overrides
    )
    if prepared.score_rows:
        configs = await state.score_configs.for_project(project_id)
        refused = {
            score_events.get(row["id"], row["id"]): reason for row, reason in check_rows(configs, prepared.score_rows)
        }
        successes = [event_id for event_id in successes if event_id not in refused]
        errors += [{"id": event_id, "status": 400, "message": reason, "error": "invalid score"}
                   for event_id, reason in refused.items()]  # fmt: skip
    if prepared.size():
        await state.pipeline.submit(prepared)
    answer = {"successes": [{"id": event_id, "status": 201} for event_id in successes], "errors": errors}
    return JSONResponse(answer, status_code=207)


@router.post("/scores", summary="Langfuse v5 scores: an array, or one score (answered after commit)")
async def scores(request: Request, project_id: Annotated[int, Depends(authenticated_project)]) -> JSONResponse:
    state: AppState = request.app.state.theodolite
    body = await read_body(request, state.settings.max_body_bytes)
    document = parse_json(body)
    items = document if isinstance(document, list) else [document]
    if len(items) > MAX_SCORES:
        raise BadRequestError(f"send at most {MAX_SCORES} scores per request")
    now = datetime.now(UTC)
    batch, errors = Batch(), []
    configs = await state.score_configs.for_project(project_id)
    for index, item in enumerate(items):
        try:
            if not isinstance(item, dict):
                raise EventError("a score must be an object")
            score = score_from(item, now)
            if configs or score.config_id is not None:  # a named config must exist
                fit_score(configs, score)
            batch.scores.append(score)
        except (EventError, InvalidScore) as exc:
            errors.append({"id": str(item.get("id")) if isinstance(item, dict) else f"#{index}", "message": str(exc)})
    if batch.scores:
        await state.pipeline.submit(prepare_batch(project_id, batch, state.codec, now))
    if not errors:
        return JSONResponse({"message": "Accepted"}, status_code=202)
    answer = {"accepted": len(batch.scores), "rejected": len(errors), "errors": errors}
    return JSONResponse(answer, status_code=207 if batch.scores else 400)
