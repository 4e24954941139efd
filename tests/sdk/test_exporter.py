"""The exporter's promises to its host: bounded memory, exact drop counts, retries that honour
Retry-After, timeouts that hold, fork safety, and no exception ever reaching the application."""

from __future__ import annotations

import os
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

import theodolite
from tests.sdk.conftest import fetch_trace
from tests.support.server import SECRET_KEY, TheodoliteServer
from theodolite.sdk.client import get_client


def unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@theodolite.observe
def work(i: int) -> int:
    return i


def test_server_down_memory_is_bounded_drops_are_counted_and_calls_stay_fast() -> None:
    theodolite.configure(endpoint=f"http://127.0.0.1:{unused_port()}", api_key="k", max_queue_spans=1000,
                         max_retries=1000, flush_interval_s=0.05)  # fmt: skip
    exporter = get_client().exporter
    calls = 20_000
    for i in range(calls):
        work(i)
    # One batch may be out of the queue, being retried; everything else is queued or dropped.
    in_queue = len(exporter._spans)
    assert in_queue <= 1000
    assert exporter.dropped_spans + in_queue + exporter._in_flight == calls
    assert exporter.dropped_spans >= calls - 1000 - exporter.config.batch_spans
    started = time.monotonic()
    assert theodolite.flush(0.5) is False  # cannot deliver, and says so within its timeout
    assert theodolite.shutdown(0.5) is False
    assert time.monotonic() - started < 3.0


class _Flaky(BaseHTTPRequestHandler):
    """Answers 429 with Retry-After the first `server.refusals` times, then 200."""

    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers["content-length"]))
        self.server.times.append(time.monotonic())
        if len(self.server.times) <= self.server.refusals:
            self.send_response(429)
            self.send_header("Retry-After", "0.3")
        else:
            self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_retries_honour_retry_after() -> None:
    sink = ThreadingHTTPServer(("127.0.0.1", 0), _Flaky)
    sink.times, sink.refusals = [], 2
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    try:
        theodolite.configure(endpoint=f"http://127.0.0.1:{sink.server_address[1]}", flush_interval_s=0.05)
        work(1)
        assert theodolite.flush(10)
        assert len(sink.times) == 3
        gaps = [later - earlier for earlier, later in zip(sink.times, sink.times[1:], strict=False)]
        assert all(gap >= 0.25 for gap in gaps), gaps  # waited as told (0.3 s), not the 0.5 s default
        assert get_client().exporter.exported_spans == 1
    finally:
        theodolite.shutdown(5)
        sink.shutdown()


def test_sdk_errors_are_logged_not_raised(sdk_server: TheodoliteServer, caplog: pytest.LogCaptureFixture) -> None:
    def broken_mask(value: object) -> object:
        raise RuntimeError("mask bug")

    theodolite.configure(endpoint=sdk_server.base_url, api_key=SECRET_KEY, mask=broken_mask, flush_interval_s=0.05)
    with theodolite.span("root", input="x") as root:
        assert work(7) == 7
        theodolite.update_current(no_such_field=1)  # an SDK misuse: logged, the app goes on
        theodolite.score("s", 1.0, trace_id=None, observation_id=None)
    assert theodolite.flush(10)
    assert "masking hook failed" in caplog.text and "update_current failed" in caplog.text
    [node] = fetch_trace(sdk_server, root.trace_id)["observations"]
    assert node["input"] == "<masking failed>"
    theodolite.shutdown(5)


def test_strict_mode_raises_sdk_errors(sdk_server: TheodoliteServer) -> None:
    theodolite.configure(endpoint=sdk_server.base_url, api_key=SECRET_KEY, strict=True)
    with theodolite.span("root"), pytest.raises(TypeError, match="no_such_field"):
        theodolite.update_current(no_such_field=1)
    theodolite.shutdown(5)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_exports_its_own_spans_only(sdk_server: TheodoliteServer) -> None:
    theodolite.configure(endpoint=sdk_server.base_url, api_key=SECRET_KEY, flush_interval_s=60)
    with theodolite.span("parent-only") as parent:
        pass  # queued in the parent, not yet exported (the interval is long)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its queue starts empty; it traces and flushes on its own thread
        try:
            with theodolite.span("child") as child:
                work(1)
            ok = theodolite.flush(10) and get_client().exporter.exported_spans == 2
            os.write(write, f"{int(ok)} {child.trace_id}".encode())
        finally:
            os._exit(0)
    os.close(write)
    ok, child_trace = os.read(read, 100).decode().split()
    os.waitpid(pid, 0)
    assert ok == "1"
    assert theodolite.flush(10) and get_client().exporter.exported_spans == 1  # the parent's own span, once
    assert [n["name"] for n in fetch_trace(sdk_server, child_trace)["observations"]] == ["child"]
    assert [n["name"] for n in fetch_trace(sdk_server, parent.trace_id)["observations"]] == ["parent-only"]
    theodolite.shutdown(5)


def test_a_score_its_config_refuses_costs_that_score_only(
    sdk_server: TheodoliteServer, caplog: pytest.LogCaptureFixture
) -> None:
    name = f"stars-{os.getpid()}-{time.monotonic_ns()}"
    with sdk_server.client() as client:
        created = client.post("/api/v1/score-configs", json={"name": name, "data_type": "NUMERIC", "max_value": 5})
        assert created.status_code == 201, created.text
    theodolite.configure(endpoint=sdk_server.base_url, api_key=SECRET_KEY, flush_interval_s=60)
    trace_id = "c" * 32
    for value in (4, 9, 5, 7, 1):  # one batch: the server refuses it for 9, then for 7
        theodolite.score(name, value, trace_id=trace_id)
    assert theodolite.flush(10)
    assert get_client().exporter.failed_spans == 2
    assert caplog.text.count(f"the server refused score {name!r}") == 2
    theodolite.shutdown(5)
    with sdk_server.client() as client:
        stored = client.get("/api/v1/analytics/scores", params={"name": name}).json()
    assert sorted(row["value"] for row in stored) == [1.0, 4.0, 5.0]
