"""A permissive fake of the Langfuse and LangSmith ingestion APIs that records every request.

It answers the way a server that accepts everything would, so that a client SDK runs its normal
path, and keeps each request (method, path, headers, raw body, decompressed body) for inspection.
Used to capture what the real SDKs send; `save()` writes one `.json` (decoded) and one `.bin`
(the body exactly as received) per request.

    with Recorder(info={"version": "0.12.0"}) as recorder:
        ...  # point the SDK at recorder.url
    recorder.save(Path("captures/langsmith-multipart"))
"""

from __future__ import annotations

import base64
import gzip
import json
import re
import threading
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

OTLP_PATHS = ("/v1/traces", "/v1/metrics", "/v1/logs")


@dataclass
class Recorded:
    method: str
    path: str
    query: str
    headers: list[tuple[str, str]]
    raw: bytes
    body: bytes  # after Content-Encoding was undone
    status: int = 0
    reply: bytes = b""
    notes: list[str] = field(default_factory=list)

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key.lower() == name.lower()), None)

    def decoded(self) -> Any:
        """The body as data: JSON, multipart parts, or OTLP protobuf as OTLP/JSON."""
        content_type = (self.header("content-type") or "").lower()
        if not self.body:
            return None
        if content_type.startswith("multipart/"):
            return multipart_parts(content_type, self.body)
        if "protobuf" in content_type:
            return otlp_as_dict(self.path, self.body)
        try:
            return json.loads(self.body)
        except ValueError:
            return {"text": self.body.decode("utf-8", "replace")}

    def as_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": self.headers,
            "raw_size": len(self.raw),
            "decoded_size": len(self.body),
            "notes": self.notes,
            "response": {"status": self.status, "body": self.reply.decode("utf-8", "replace")},
            "body": self.decoded(),
        }


def decompress(encoding: str | None, raw: bytes, notes: list[str]) -> bytes:
    encoding = (encoding or "").lower().strip()
    if encoding == "gzip":
        return gzip.decompress(raw)
    if encoding == "zstd":
        import zstandard

        # The SDK writes a streaming frame without a content size: decompress as a stream.
        with zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True) as reader:
            out = reader.read()
        params = zstandard.get_frame_parameters(raw)
        notes.append(f"zstd frame: content_size={params.content_size} (0 or -1 = not in header)")
        return out
    if encoding:
        notes.append(f"unknown Content-Encoding {encoding!r}, body kept as is")
    return raw


def multipart_parts(content_type: str, body: bytes) -> list[dict[str, Any]]:
    message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    parts = []
    for part in message.iter_parts():
        payload = part.get_payload(decode=True) or b""
        try:
            value: Any = json.loads(payload)
        except ValueError:
            value = payload.decode("utf-8", "replace")
        headers = {key: str(val) for key, val in part.items()}
        parts.append({"name": part.get_param("name", header="content-disposition"), "headers": headers, "value": value})
    return parts


def otlp_as_dict(path: str, body: bytes) -> Any:
    try:
        from google.protobuf.json_format import MessageToDict
        from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
        from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
        from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
    except ImportError:
        return {"protobuf_base64": base64.b64encode(body).decode()}
    kind = {"/v1/metrics": ExportMetricsServiceRequest, "/v1/logs": ExportLogsServiceRequest}
    message_type = next((t for suffix, t in kind.items() if path.endswith(suffix)), ExportTraceServiceRequest)
    message = message_type()
    message.ParseFromString(body)
    decoded = MessageToDict(message)
    for span in _spans(decoded):  # OTLP/JSON writes ids as hex; MessageToDict writes base64
        for key in ("traceId", "spanId", "parentSpanId"):
            if key in span:
                span[key] = base64.b64decode(span[key]).hex()
    return decoded


def _spans(decoded: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        span
        for rs in decoded.get("resourceSpans", [])
        for ss in rs.get("scopeSpans", [])
        for span in ss.get("spans", [])
    ]


class Recorder:
    """A recording server on 127.0.0.1 and a free port; `info` is what `GET /info` answers."""

    def __init__(self, info: dict[str, Any] | None = None) -> None:
        self.info = info if info is not None else {}
        self.requests: list[Recorded] = []
        self._lock = threading.Lock()
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                path, _, query = self.path.partition("?")
                notes: list[str] = []
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    raw = _read_chunked(self.rfile)
                    notes.append("chunked transfer encoding")
                body = decompress(self.headers.get("Content-Encoding"), raw, notes)
                record = Recorded(self.command, path, query, list(self.headers.items()), raw, body, notes=notes)
                status, content_type, reply = recorder.answer(record)
                record.status, record.reply = status, reply
                with recorder._lock:
                    recorder.requests.append(record)
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def answer(self, record: Recorded) -> tuple[int, str, bytes]:
        """What a permissive server replies (status, content type, body)."""
        if record.method == "GET" and record.path == "/info":
            return 200, "application/json", json.dumps(self.info).encode()
        if record.path.endswith(OTLP_PATHS):
            return 200, "application/x-protobuf", b""
        if record.path == "/api/public/ingestion":
            batch = (json.loads(record.body or b"{}") or {}).get("batch", [])
            successes = [{"id": event.get("id"), "status": 201} for event in batch]
            return 207, "application/json", json.dumps({"successes": successes, "errors": []}).encode()
        if record.path == "/api/public/scores":
            return 202, "application/json", b'{"message":"Accepted"}'
        return 200, "application/json", b"{}"

    def __enter__(self) -> Recorder:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def save(self, directory: Path) -> list[Path]:
        directory.mkdir(parents=True, exist_ok=True)
        written = []
        for number, record in enumerate(self.requests, 1):
            stem = f"{number:03d}-{record.method}-{re.sub(r'[^A-Za-z0-9.-]', '_', record.path.strip('/'))}"
            (directory / f"{stem}.json").write_text(json.dumps(record.as_dict(), indent=2, ensure_ascii=False) + "\n")
            (directory / f"{stem}.bin").write_bytes(record.raw)
            written.append(directory / f"{stem}.json")
        return written


def _read_chunked(stream: Any) -> bytes:
    chunks = []
    while size := int(stream.readline().split(b";")[0].strip() or b"0", 16):
        chunks.append(stream.read(size))
        stream.readline()
    stream.readline()
    return b"".join(chunks)
