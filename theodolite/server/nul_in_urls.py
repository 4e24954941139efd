"""U+0000 (NUL) in a request's path or query reads as U+FFFD, as ingestion stores it.

Ingestion stores NUL as U+FFFD on every engine (`storage/nul_characters.py`). A read that names
what was sent with a NUL (`GET /api/v1/traces/a%00b`, `?user_id=u%00`) must find what was stored,
and on PostgreSQL a NUL in a query parameter made the driver fail the read with a 500. Replacing
it here, before routing, covers every route's path and query parameters at once.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from theodolite.storage.nul_characters import NUL, REPLACEMENT

ENCODED_NUL = b"%00"
ENCODED_REPLACEMENT = b"%EF%BF%BD"  # U+FFFD, percent-encoded UTF-8


class NulInUrlsMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path, query = scope["path"], scope.get("query_string", b"")
            if NUL in path or ENCODED_NUL in query:
                scope = dict(scope)
                scope["path"] = path.replace(NUL, REPLACEMENT)
                scope["query_string"] = query.replace(ENCODED_NUL, ENCODED_REPLACEMENT)
        await self.app(scope, receive, send)
