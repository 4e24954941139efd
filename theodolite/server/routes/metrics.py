"""GET /metrics: Prometheus exposition of the metrics derived from traces and the server's health.

Who may read it. The metrics name projects, models, features and costs, so a fresh install must
not show them to anyone who can reach the port. The rule:

- with the `metrics_token` setting, a request needs `Authorization: Bearer <token>` (401 otherwise),
  wherever it comes from;
- without it, only loopback clients (127.0.0.0/8, ::1) are answered; any other client gets 403
  with a message naming THEODOLITE_METRICS_TOKEN. A reverse proxy on the same host makes every
  client look local: behind one, set a token.

No API key: scrapers do not have one, and one project's key must not read every project's metrics.
"""

from __future__ import annotations

import hmac
import ipaddress

from fastapi import APIRouter, Request, Response, Security
from fastapi.security import HTTPBearer
from prometheus_client import CONTENT_TYPE_LATEST

from theodolite.errors import AuthenticationError, ForbiddenError

router = APIRouter(tags=["metrics"])
# Declared for the OpenAPI schema (/docs' Authorize button); the route checks the token itself.
METRICS_TOKEN = HTTPBearer(
    scheme_name="metricsToken",
    auto_error=False,
    description="Authorization: Bearer <metrics_token> (the THEODOLITE_METRICS_TOKEN setting).",
)


def is_loopback_address(host: str | None) -> bool:
    """127.0.0.0/8, ::1 and IPv4-mapped loopback (::ffff:127.0.0.1); a name or None is not."""
    if not host:
        return False
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return (mapped or address).is_loopback


def is_loopback_host(host: str) -> bool:
    """Whether a listen address only accepts local connections (`localhost` included)."""
    return host == "localhost" or is_loopback_address(host)


@router.get(
    "/metrics",
    summary="Prometheus metrics: bearer metrics_token if set, else loopback clients only",
    response_class=Response,
    dependencies=[Security(METRICS_TOKEN)],
    responses={401: {"description": "metrics_token set, missing or wrong"},
               403: {"description": "no metrics_token set and the client is not on loopback"}},
)  # fmt: skip
def metrics(request: Request) -> Response:
    state = request.app.state.theodolite
    token = state.settings.metrics_token
    if token:
        given = request.headers.get("authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            raise AuthenticationError("/metrics needs Authorization: Bearer <metrics_token>")
    elif not is_loopback_address(request.client.host if request.client else None):
        raise ForbiddenError(
            "/metrics answers only loopback clients while no token is set: set THEODOLITE_METRICS_TOKEN "
            "(--metrics-token) on the server and scrape with Authorization: Bearer <token>"
        )
    return Response(state.metrics.exposition(), media_type=CONTENT_TYPE_LATEST)
