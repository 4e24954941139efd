"""Liveness/readiness for probes: no authentication."""

from __future__ import annotations

import logging

from anyio import to_thread
from fastapi import APIRouter, Request

from theodolite import __version__
from theodolite.errors import StorageError
from theodolite.server.routes.api_models import Health

log = logging.getLogger(__name__)
router = APIRouter(tags=["health"])


@router.get("/api/v1/health", response_model=Health, summary="Health (no auth): 200 when the database answers")
async def health(request: Request) -> dict:
    state = request.app.state.theodolite

    try:
        await to_thread.run_sync(state.database.ping)
        if state.trace_store.dialect_name != state.database.dialect_name:  # ClickHouse beside the metadata
            await to_thread.run_sync(state.trace_store.ping)
    except Exception as exc:
        log.warning("health check: database unreachable: %s", exc)
        raise StorageError("database unreachable (the server log has the reason)") from exc
    return {
        "status": "ok",
        "version": __version__,
        "database": state.trace_store.dialect_name,
        "queued_items": state.pipeline.queued_items,
        "reads_in_progress": state.database.reads_in_progress,  # this probe's own has ended
    }
