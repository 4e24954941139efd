"""GET /metrics: Prometheus exposition of the metrics derived from traces and the server's health.

No API key (scrapers do not have one); the optional `metrics_token` setting requires
`Authorization: Bearer <token>`.
"""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST

from theodolite.errors import AuthenticationError

router = APIRouter(tags=["metrics"])


@router.get("/metrics", summary="Prometheus metrics (optional bearer token)", response_class=Response)
def metrics(request: Request) -> Response:
    state = request.app.state.theodolite
    token = state.settings.metrics_token
    if token:
        given = request.headers.get("authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            raise AuthenticationError("/metrics needs Authorization: Bearer <metrics_token>")
    return Response(state.metrics.exposition(), media_type=CONTENT_TYPE_LATEST)
