"""bench/trace_load.py — the web UI's trace page on a 10,000-span and a 100,000-span trace.

    .venv/bin/python bench/trace_load.py                      # 10,000 and 100,000 spans, ~3 min
    .venv/bin/python bench/trace_load.py --sizes 10000 --loads 5

For each size, a trace of that many spans (an agent: turns of a chain, a chat generation with
OTel GenAI messages, tool calls and a retrieval; ~600 B of messages per generation) is sent by
real OTLP/HTTP protobuf requests into a real `theodolite serve` on a fresh SQLite file. Then:
- the skeleton endpoint (GET /api/v1/traces/{id}/skeleton): median and max of --runs requests
  on one keep-alive connection, after one warm-up (target 100 ms at 10,000 spans), and the
  server's CPU time per request (/proc), which a busy machine inflates less than wall time;
- the page in Debian's Chromium (/usr/bin/chromium, Playwright), signed in: time from navigation
  start to the first span row in the DOM (performance.now() in the page), median of --loads
  loads (target 1 s), and the span rows and elements in the DOM (target: a few hundred rows);
- responsiveness: 50 `j` presses (the selection moves 50 rows) and a scroll to the last row,
  timed until the page shows the result, and the longest main-thread task seen (PerformanceObserver).
Over the server's trace_page_max_observations (50,000) the page must show its banner.
The last line is JSON. Exit status 1 if a figure misses its target.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import KeyValue

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SECRET = "sk-bench-trace"
ADMIN, PASSWORD = "bench@example.com", "bench password 123"
CHROMIUM = "/usr/bin/chromium"
SKELETON_TARGET_MS, FIRST_ROWS_TARGET_MS, DOM_ROWS_TARGET = 100.0, 1000.0, 300
SPANS_PER_REQUEST = 1000
WORDS = "the model answers a question about invoices refunds weather agents tools and prices for users".split()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def kv(key: str, value: str | int) -> KeyValue:
    item = KeyValue(key=key)
    if isinstance(value, int):
        item.value.int_value = value
    else:
        item.value.string_value = value
    return item


def prose(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def trace_bodies(size: int, seed: int = 7) -> tuple[list[bytes], str]:
    """One trace of `size` spans as OTLP request bodies; returns (bodies, trace id hex).

    Shape: root agent -> turns (chain) -> generation + 2 tools + retriever; 5 spans per turn."""
    rng = random.Random(seed)
    trace_id = rng.randbytes(16)
    start = time.time_ns() - 3_600 * 10**9
    spans = []

    def span(name: str, parent: bytes | None, begin: int, length: int, attrs: list[KeyValue]) -> bytes:
        span_id = rng.randbytes(8)
        spans.append((span_id, parent, name, begin, begin + length, attrs))
        return span_id

    turns = max(1, (size - 1) // 5)
    root_attrs = [kv("gen_ai.operation.name", "invoke_agent"), kv("user.id", "u-bench"), kv("session.id", "s-bench")]
    root = span("invoke_agent support", None, start, turns * 2_000_000 + 1_000_000, root_attrs)
    for turn in range(turns):
        if len(spans) >= size:
            break
        at = start + turn * 2_000_000
        chain = span(f"turn-{turn}", root, at, 1_900_000, [kv("theodolite.observation.type", "chain")])
        messages = [
            {"role": "system", "parts": [{"type": "text", "content": prose(rng, 20)}]},
            {"role": "user", "parts": [{"type": "text", "content": prose(rng, 40)}]},
        ]
        reply = [{"type": "text", "content": prose(rng, 30)}]
        answer = [{"role": "assistant", "parts": reply, "finish_reason": "stop"}]
        generation = [
            kv("gen_ai.operation.name", "chat"),
            kv("gen_ai.request.model", "gpt-4o-mini"),
            kv("gen_ai.usage.input_tokens", rng.randint(100, 900)),
            kv("gen_ai.usage.output_tokens", rng.randint(20, 300)),
            kv("gen_ai.input.messages", json.dumps(messages)),
            kv("gen_ai.output.messages", json.dumps(answer)),
        ]
        pieces = [
            ("chat gpt-4o-mini", generation),
            ("execute_tool lookup", [kv("gen_ai.operation.name", "execute_tool")]),
            ("execute_tool refund", [kv("gen_ai.operation.name", "execute_tool")]),
            ("retrieve kb", [kv("gen_ai.operation.name", "retrieve")]),
        ]
        for index, (name, attrs) in enumerate(pieces):
            if len(spans) >= size:
                break
            span(name, chain, at + 100_000 + index * 400_000, 350_000, attrs)
    while len(spans) < size:  # sizes not of the form 1 + 5k
        span("event", root, start, 1000, [])
    bodies = []
    for offset in range(0, len(spans), SPANS_PER_REQUEST):
        request = ExportTraceServiceRequest()
        resource = request.resource_spans.add()
        resource.resource.attributes.append(kv("service.name", "bench-trace-page"))
        scope = resource.scope_spans.add()
        for span_id, parent, name, begin, end, attrs in spans[offset : offset + SPANS_PER_REQUEST]:
            item = scope.spans.add(trace_id=trace_id, span_id=span_id, name=name)
            if parent is not None:
                item.parent_span_id = parent
            item.start_time_unix_nano, item.end_time_unix_nano = begin, end
            item.attributes.extend(attrs)
        bodies.append(request.SerializeToString())
    return bodies, trace_id.hex()


class Server:
    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "THEODOLITE_INIT_PROJECT": "bench",
            "THEODOLITE_INIT_PUBLIC_KEY": "pk-bench-trace",
            "THEODOLITE_INIT_SECRET_KEY": SECRET,
            "THEODOLITE_INIT_ADMIN_EMAIL": ADMIN,
            "THEODOLITE_INIT_ADMIN_PASSWORD": PASSWORD,
        }
        self.log = open(workdir / "server.log", "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "theodolite", "serve", "--port", str(self.port),
             "--database-url", f"sqlite:///{workdir / 'bench.db'}"],
            env=env, stdout=self.log, stderr=subprocess.STDOUT, cwd=REPO,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"the server exited: {(workdir / 'server.log').read_text()}")
            try:
                if self.request("GET", "/api/v1/health")[0] == 200:
                    return
            except OSError:
                time.sleep(0.1)  # polling the readiness probe, with a deadline
        raise SystemExit("the server did not start in 60 s")

    def request(self, method: str, path: str, body: bytes | None = None, conn=None) -> tuple[int, bytes]:  # noqa: ANN001
        own = conn is None
        conn = conn or http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        headers = {"Authorization": f"Bearer {SECRET}"}
        if body is not None:
            headers["Content-Type"] = "application/x-protobuf"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        if own:
            conn.close()
        return response.status, data

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def ingest(server: Server, size: int) -> tuple[str, float]:
    bodies, trace_id = trace_bodies(size)
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
    for body in bodies:
        status, data = server.request("POST", "/v1/traces", body, conn)
        if status != 200:
            raise SystemExit(f"ingest answered {status}: {data[:300]!r}")
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:  # the server answers after its commit; this is a safety net
        status, data = server.request("GET", f"/api/v1/traces/{trace_id}/skeleton", conn=conn)
        if status == 200 and json.loads(data)["total"] >= size:
            return trace_id, time.perf_counter() - started
        time.sleep(0.2)
    raise SystemExit(f"the {size}-span trace was not stored within 300 s")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far (/proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def skeleton_times(server: Server, trace_id: str, runs: int) -> tuple[list[float], int, bool, float]:
    """Wall milliseconds of each request, the body's size, truncated, and the server's CPU
    milliseconds per request: on a shared machine, wall time also counts waiting for a core."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
    path = f"/api/v1/traces/{trace_id}/skeleton"
    server.request("GET", path, conn=conn)  # warm-up
    times = []
    cpu_before = cpu_seconds(server.process.pid)
    for _ in range(runs):
        started = time.perf_counter()
        status, data = server.request("GET", path, conn=conn)
        times.append((time.perf_counter() - started) * 1000)
        assert status == 200, data[:300]
    cpu_ms = (cpu_seconds(server.process.pid) - cpu_before) * 1000 / runs
    body = json.loads(data)
    return times, len(data), body["truncated"], cpu_ms


FIRST_ROW = "() => document.querySelector('[data-testid=span-row]') ? performance.now() : null"
LONG_TASKS = """() => { window.__longest = 0; new PerformanceObserver((list) => { for (const e of list.getEntries())
  window.__longest = Math.max(window.__longest, e.duration); }).observe({ type: 'longtask', buffered: true }); }"""


def browse(server: Server, trace_id: str, loads: int, truncated: bool) -> dict:
    from playwright.sync_api import sync_playwright

    figures: dict = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        context = browser.new_context(base_url=server.url, viewport={"width": 1400, "height": 900})
        page = context.new_page()
        page.goto("/login")
        page.get_by_label("Email or user name").fill(ADMIN)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/traces*")
        first_rows = []
        for _ in range(loads):
            page.goto(f"/traces/{trace_id}", wait_until="commit")
            first_rows.append(page.wait_for_function(FIRST_ROW, polling="raf", timeout=60_000).json_value())
        page.wait_for_selector("[data-testid=observation-panel]", timeout=60_000)
        figures["first_rows_ms"] = first_rows
        figures["dom_rows"] = page.locator("[data-testid=span-row]").count()
        figures["dom_elements"] = page.evaluate("() => document.getElementsByTagName('*').length")
        figures["tree_rows"] = int(page.get_by_test_id("span-tree").get_attribute("data-rows"))
        figures["banner"] = page.get_by_test_id("truncated-banner").count() == 1
        page.evaluate(LONG_TASKS)
        started = time.perf_counter()
        for _ in range(50):
            page.keyboard.press("j")
        page.wait_for_selector('[data-testid=span-row][aria-selected=true][data-index="50"]', timeout=60_000)
        figures["j_50_ms"] = (time.perf_counter() - started) * 1000
        last = figures["tree_rows"] - 1
        started = time.perf_counter()
        page.get_by_test_id("span-tree").evaluate("el => { el.scrollTop = el.scrollHeight; }")
        page.wait_for_selector(f'[data-testid=span-row][data-index="{last}"]', timeout=60_000)
        figures["scroll_to_end_ms"] = (time.perf_counter() - started) * 1000
        figures["dom_rows_after_scroll"] = page.locator("[data-testid=span-row]").count()
        figures["longest_task_ms"] = page.evaluate("() => window.__longest")
        browser.close()
    if truncated and not figures["banner"]:
        figures["error"] = "no truncation banner"
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--runs", type=int, default=9, help="skeleton requests per size (median)")
    parser.add_argument("--loads", type=int, default=3, help="page loads per size (median)")
    args = parser.parse_args()
    results = []
    failed = False
    with tempfile.TemporaryDirectory(prefix="bench-trace-") as tmp:
        server = Server(Path(tmp))
        try:
            for size in args.sizes:
                trace_id, ingest_s = ingest(server, size)
                times, body_bytes, truncated, cpu_ms = skeleton_times(server, trace_id, args.runs)
                page = browse(server, trace_id, args.loads, truncated)
                result = {
                    "spans": size,
                    "ingest_s": round(ingest_s, 1),
                    "skeleton_ms_median": round(statistics.median(times), 1),
                    "skeleton_ms_max": round(max(times), 1),
                    "skeleton_server_cpu_ms": round(cpu_ms, 1),
                    "skeleton_bytes": body_bytes,
                    "truncated": truncated,
                    "first_rows_ms_median": round(statistics.median(page["first_rows_ms"]), 0),
                    **{k: (round(v, 1) if isinstance(v, float) else v) for k, v in page.items()},
                }
                results.append(result)
                skeleton_ratio = result["skeleton_ms_median"] / SKELETON_TARGET_MS
                rows_ratio = result["first_rows_ms_median"] / FIRST_ROWS_TARGET_MS
                lines = [
                    f"{size:>7,} spans: ingest {ingest_s:.1f} s",
                    f"skeleton {result['skeleton_ms_median']} ms median ({skeleton_ratio:.2f} x the target of "
                    f"{SKELETON_TARGET_MS:g} ms; server CPU {cpu_ms:.0f} ms per request; {body_bytes / 1e6:.1f} MB"
                    f"{', truncated' if truncated else ''})",
                    f"first rows {result['first_rows_ms_median']:.0f} ms median ({rows_ratio:.2f} x the target of "
                    f"{FIRST_ROWS_TARGET_MS:g} ms)",
                    f"{page['dom_rows']} span rows ({page['dom_rows'] / DOM_ROWS_TARGET:.2f} x {DOM_ROWS_TARGET}) and "
                    f"{page['dom_elements']} elements in the DOM for {page['tree_rows']:,} rows",
                    f"50 j: {page['j_50_ms']:.0f} ms; scroll to the end: {page['scroll_to_end_ms']:.0f} ms",
                    f"longest task {page['longest_task_ms']:.0f} ms; banner: {page['banner']}",
                ]
                print("; ".join(lines), flush=True)
                if size <= 10_000 and (skeleton_ratio > 1 or rows_ratio > 1):
                    failed = True
                if page["dom_rows"] > DOM_ROWS_TARGET or "error" in page:
                    failed = True
        finally:
            server.stop()
    machine = {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}
    print(json.dumps({"date": time.strftime("%Y-%m-%d"), "machine": machine, "results": results}))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
