"""HTTP request metrics: an ASGI middleware timing every response the server sends.

It wraps the whole app (outside routing and the exception handlers), so a 401 from a revoked
key, a 413, a 415, a 429 and a 404 on an unknown path are all counted, and an exception that
escapes every handler is counted as the 500 the client gets. Labels follow the OpenTelemetry HTTP
server conventions and stay bounded: the route *template*, never the raw path.
"""

from __future__ import annotations

import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from theodolite.metrics.derived import DerivedMetrics

# http.request.method: the methods HTTP defines; anything else is `_OTHER` (semconv), so a client
# inventing methods cannot create series.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"})
UNMATCHED = "unmatched"


def route_template(scope: Scope) -> str:
    """The template of the route that matched; the router writes it into the (shared) scope."""
    route: Any = scope.get("route")
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    return template if isinstance(template, str) else UNMATCHED


class RequestMetricsMiddleware:
    def __init__(self, app: ASGIApp, metrics: DerivedMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client gets when an exception escapes before a response starts

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            method = scope.get("method", "")
            self.metrics.observe_request(
                method if method in KNOWN_METHODS else "_OTHER",
                route_template(scope),
                status,
                time.perf_counter() - started,
            )
