"""Reading request bodies safely: a size limit before and after decompression."""

from __future__ import annotations

import zlib
from typing import Any

import orjson
import zstandard
from starlette.requests import Request

from theodolite.errors import BadRequestError, PayloadTooLargeError, UnsupportedMediaTypeError


def parse_json(body: bytes) -> Any:
    """A JSON body; 400 with the parser's reason when it is none."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BadRequestError(f"the body is not JSON: {exc}") from None


async def read_body(request: Request, max_bytes: int) -> bytes:
    """The decoded body. 413 above `max_bytes` (compressed or not), 415 for unknown encodings
    (gzip, deflate and zstd are read).

    The limit is enforced while streaming, so an oversized or lying Content-Length never makes the
    server hold more than `max_bytes`; gzip is inflated with a bound, so a zip bomb cannot either.
    """
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise PayloadTooLargeError(f"body of {declared} bytes exceeds the limit of {max_bytes} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise PayloadTooLargeError(f"body exceeds the limit of {max_bytes} bytes")
        chunks.append(chunk)
    body = b"".join(chunks)
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding in ("", "identity"):
        return body
    if encoding in ("gzip", "x-gzip", "deflate"):
        # wbits 47 = auto-detect zlib or gzip header (zlib docs), which covers both encodings.
        inflater = zlib.decompressobj(wbits=47)
        try:
            inflated = inflater.decompress(body, max_bytes + 1)
        except zlib.error as exc:
            raise BadRequestError(f"body is not valid {encoding}: {exc}") from exc
        if len(inflated) > max_bytes or inflater.unconsumed_tail:
            raise PayloadTooLargeError(f"decompressed body exceeds the limit of {max_bytes} bytes")
        if not inflater.eof:
            raise BadRequestError(f"{encoding} body is truncated")
        return inflated
    if encoding == "zstd":  # LangSmith's SDK; its frames carry no content size, so read as a stream
        try:
            inflated = zstandard.ZstdDecompressor().stream_reader(body).read(max_bytes + 1)
        except zstandard.ZstdError as exc:
            raise BadRequestError(f"body is not valid zstd: {exc}") from exc
        if len(inflated) > max_bytes:
            raise PayloadTooLargeError(f"decompressed body exceeds the limit of {max_bytes} bytes")
        return inflated
    raise UnsupportedMediaTypeError(f"Content-Encoding {encoding!r} is not supported; use gzip, zstd or none")
