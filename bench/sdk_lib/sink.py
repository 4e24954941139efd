"""A local sink for every SDK's export: answers 200 at once and counts what arrived.

OTLP protobuf bodies (OTel SDK, Langfuse, Theodolite) are parsed to count spans; LangSmith's
multipart bodies are counted by their `post.<run id>` parts. GET /info (LangSmith) gets {}.
Run as its own process so that its CPU is not the measured process's.
"""

from __future__ import annotations

import gzip
import json
import re
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

COUNTS = {"spans": 0, "requests": 0, "bytes": 0}
RUN_PART = re.compile(rb'name="post\.[0-9a-f-]{36}"')


class Sink(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _reply(self, body: bytes = b"{}", content_type: str = "application/json") -> None:
        self.send_response(200)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802
        if self.path.startswith("/_counts"):
            self._reply(json.dumps(COUNTS).encode())
        else:
            self._reply()

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        COUNTS["requests"] += 1
        COUNTS["bytes"] += len(body)
        if self.headers.get("content-encoding") == "gzip":
            body = gzip.decompress(body)
        if "protobuf" in (self.headers.get("content-type") or ""):
            request = ExportTraceServiceRequest.FromString(body)
            COUNTS["spans"] += sum(len(s.spans) for r in request.resource_spans for s in r.scope_spans)
            self._reply(b"", "application/x-protobuf")
            return
        if self.path.endswith("/runs/multipart"):
            # a run's parts are post.<id>, post.<id>.inputs, ...: count the runs themselves
            COUNTS["spans"] += len(RUN_PART.findall(body))
        self._reply()

    def log_message(self, *args: object) -> None:
        pass


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Sink)
    server.daemon_threads = True
    print("ready", flush=True)
    server.serve_forever()
