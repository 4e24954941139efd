"""The one place where exceptions become HTTP responses: JSON `{"error": {...}}` with a message."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse

from theodolite.errors import OverloadedError, RateLimitedError, ReadTimeoutError, ShuttingDownError, TheodoliteError

log = logging.getLogger(__name__)


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"status": status, "message": message}}, status_code=status, headers=headers)


def _location(loc: tuple) -> str:
    """`('query', 'limit')` -> `query limit`; `('body', 'prices', 0, 'model')` -> `body prices[0].model`."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text.replace(".", " ", 1) if text.count(".") else text


def _problem(err: dict) -> str:
    if err.get("type") == "json_invalid":  # its loc is a character offset, not a field
        return f"body is not valid JSON ({err.get('ctx', {}).get('error', 'JSON decode error')})"
    return f"{_location(err['loc'])}: {_plain(err['msg'])}"


def _plain(message: str) -> str:
    """pydantic prefixes our validators' messages with the exception kind ('Value error, ...')."""
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    return message


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(TheodoliteError)
    async def on_theodolite_error(_request: Request, exc: TheodoliteError) -> JSONResponse:
        headers = None
        if isinstance(exc, (OverloadedError, RateLimitedError, ReadTimeoutError, ShuttingDownError)):
            headers = {"Retry-After": str(exc.retry_after_s)}
        if exc.http_status >= 500:  # the cause (driver error, ...) is for the log, never the client
            log.warning("%s: %s (cause: %r)", exc.__class__.__name__, exc.message, exc.__cause__)
        return error_response(exc.http_status, exc.message, headers)

    @app.exception_handler(RequestValidationError)
    async def on_validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(_problem(err) for err in exc.errors())
        return error_response(422, f"invalid request: {problems}")

    @app.exception_handler(StarletteHTTPException)
    async def on_http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return error_response(exc.status_code, str(exc.detail), getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def on_unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return error_response(500, "internal error: the server log has the details")
