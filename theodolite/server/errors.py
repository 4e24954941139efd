"""The one place where exceptions become HTTP responses: JSON `{"error": {...}}` with a message."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse

from theodolite.errors import OverloadedError, RateLimitedError, ShuttingDownError, TheodoliteError

log = logging.getLogger(__name__)


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"status": status, "message": message}}, status_code=status, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(TheodoliteError)
    async def on_theodolite_error(_request: Request, exc: TheodoliteError) -> JSONResponse:
        headers = None
        if isinstance(exc, (OverloadedError, RateLimitedError, ShuttingDownError)):
            headers = {"Retry-After": str(exc.retry_after_s)}
        if exc.http_status >= 500:
            log.warning("%s: %s", exc.__class__.__name__, exc.message)
        return error_response(exc.http_status, exc.message, headers)

    @app.exception_handler(RequestValidationError)
    async def on_validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(f"{'.'.join(str(part) for part in err['loc'])}: {err['msg']}" for err in exc.errors())
        return error_response(422, f"invalid request: {problems}")

    @app.exception_handler(StarletteHTTPException)
    async def on_http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return error_response(exc.status_code, str(exc.detail), getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def on_unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return error_response(500, f"internal error: {exc.__class__.__name__}")
