#!/usr/bin/env python3
"""Ingest throughput with and without an active online evaluator: a judge rule sampling 50% of the
traces, answered by a fake OpenAI-compatible judge on 127.0.0.1 (instant answers: the cost measured
is Theodolite's own work, reading traces, storing verdicts and the judge's priced traces).

The same OTLP load as bench/ingest.py (its bodies, clients and measurement), into a fresh SQLite
server per run; runs alternate between modes so that drift of a shared machine hits both alike. Modes
alternate off (no rule) / thread (the worker in the server's process, `evaluator_process` false) /
process (in a process of its own, the default). Prints each mode's stored spans/s (median of the
rounds), the ratio to off, and the judge calls made during the load.

    .venv/bin/python bench/online_evaluators.py                   # 3 rounds of 60,000 spans each
    .venv/bin/python bench/online_evaluators.py --spans 20000 --rounds 1   # a quick look
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # run from anywhere

from ingest import run_phase  # noqa: E402
from ingest_lib.payload import build_bodies  # noqa: E402
from ingest_lib.servers import start_theodolite  # noqa: E402

HEADERS = {"Authorization": "Bearer sk-bench"}
# The judge's own spans are in the same table: the stored-spans count leaves them out
COUNT_SQL = "SELECT count(*) FROM observations WHERE environment IS NOT 'theodolite-evaluator'"


class FakeJudge(ThreadingHTTPServer):
    """POST /v1/chat/completions -> {"score": true} at once, with usage, counting the calls."""

    daemon_threads = True

    def __init__(self, latency_s: float = 0.0) -> None:
        super().__init__(("127.0.0.1", 0), _JudgeHandler)
        self.calls = 0
        self.latency_s = latency_s
        self.lock = threading.Lock()
        threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()


class _JudgeHandler(BaseHTTPRequestHandler):
    server: FakeJudge
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
        self.rfile.read(int(self.headers.get("content-length") or 0))
        with self.server.lock:
            self.server.calls += 1
        if self.server.latency_s:
            time.sleep(self.server.latency_s)  # a model's answer time, simulated
        content = json.dumps({"reasoning": "fine", "score": True})
        body = json.dumps({"model": "gpt-4o-mini", "choices": [{"message": {"role": "assistant", "content": content}}],
                           "usage": {"prompt_tokens": 400, "completion_tokens": 20}}).encode()  # fmt: skip
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def api(port: int, method: str, path: str, document: dict | None = None) -> dict:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request(method, path, json.dumps(document) if document else None,
                 {**HEADERS, "Content-Type": "application/json"})  # fmt: skip
    response = conn.getresponse()
    payload = response.read()
    if response.status >= 300:
        raise RuntimeError(f"{method} {path}: {response.status} {payload[:300]!r}")
    return json.loads(payload) if payload else {}


def rule(judge_port: int) -> dict:
    return {
        "name": "bench-judge", "scope": "trace", "sampling_rate": 0.5,
        "evaluator": {"type": "judge", "template": "Question and answer: {{input}} -> {{output}}. Helpful?",
                      "score": {"name": "helpful", "data_type": "BOOLEAN"},
                      "provider": {"base_url": f"http://127.0.0.1:{judge_port}/v1", "model": "gpt-4o-mini",
                                   "api_key_setting": "bench"}},
    }  # fmt: skip


def one_run(
    mode: str, bodies: list[bytes], sizes: list[int], args: argparse.Namespace, judge: FakeJudge, preload: Any
) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix=f"theodolite-online-{mode}-"))
    os.environ.update(THEODOLITE_EVALUATOR_API_KEYS="bench=sk-fake", THEODOLITE_EVALUATOR_POLL_S="1",
                      THEODOLITE_EVALUATOR_SETTLE_S="2",
                      THEODOLITE_EVALUATOR_CONCURRENCY=str(args.concurrency))  # fmt: skip
    if args.cpu_share is not None:
        os.environ["THEODOLITE_EVALUATOR_CPU_SHARE"] = str(args.cpu_share)
    os.environ["THEODOLITE_EVALUATOR_PROCESS"] = "false" if mode == "thread" else "true"
    if preload:
        # a database that already holds traffic, opened again: the server's start refreshes SQLite's
        # planner statistics (storage/statistics.py), as on any server that has run for a while
        server = start_theodolite(workdir, None)
        server.wait_ready(timeout=120)
        run_phase(server, preload[0], preload[1], args, send_seconds=args.max_seconds, window=None, headers=HEADERS)
        server.stop()
    server = start_theodolite(workdir, None)
    server.count_sql = COUNT_SQL
    try:
        server.wait_ready(timeout=120)
        rule_id = (
            api(server.port, "POST", "/api/v1/evaluators", rule(judge.server_address[1]))["id"]
            if mode != "off"
            else None
        )
        calls0 = judge.calls
        result = run_phase(server, bodies, sizes, args, send_seconds=args.max_seconds, window=None, headers=HEADERS)
        if rule_id is not None:
            result["judge_calls_during_load"] = judge.calls - calls0
            result["rule_status"] = api(server.port, "GET", f"/api/v1/evaluators/{rule_id}")["status"]
    finally:
        server.stop()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    print(f"[{mode}] {result['stored_spans_per_s']:,} spans/s stored, server CPU {result['server_cpu_s']} s"
          + (f", {result['judge_calls_during_load']:,} judge calls during the load" if mode != "off" else ""),
          flush=True)  # fmt: skip
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--spans", type=int, default=60_000)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--spans-per-request", type=int, default=100)
    p.add_argument("--max-seconds", type=float, default=600)
    p.add_argument("--drain-seconds", type=float, default=180)
    p.add_argument("--stall-seconds", type=float, default=60)
    p.add_argument("--judge-latency-ms", type=float, default=0.0, help="the fake judge's answer time (default 0)")
    p.add_argument("--cpu-share", type=float, default=None, help="evaluator_cpu_share (default: the server's)")
    p.add_argument("--preload", type=int, default=0, help="spans stored (and the server restarted) before measuring")
    p.add_argument("--keep", action="store_true", help="keep each run's directory (database and log)")
    p.add_argument("--concurrency", type=int, default=4, help="evaluator_concurrency of the server (default 4)")
    p.add_argument(
        "--modes",
        default="off,thread,process",
        help="what to alternate: off (no rule), thread (the worker in the server), process (its own)",
    )
    args = p.parse_args(argv)
    # bodies with traces spread over the last hour, as bench/ingest.py: most are quiet at once
    bodies, sizes = build_bodies(args.spans, args.spans_per_request)
    preload = build_bodies(args.preload, args.spans_per_request, seed=2) if args.preload else None
    judge = FakeJudge(args.judge_latency_ms / 1000)
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if not set(modes) <= {"off", "thread", "process"} or "off" not in modes:
        p.error("--modes: off (required, the baseline), thread, process")
    runs: dict[str, list[dict]] = {mode: [] for mode in modes}
    for _ in range(args.rounds):
        for mode in modes:
            runs[mode].append(one_run(mode, bodies, sizes, args, judge, preload))
    rate = {mode: statistics.median(r["stored_spans_per_s"] for r in results) for mode, results in runs.items()}
    summary: dict[str, Any] = {
        "benchmark": "online_evaluators", "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "cpus": os.cpu_count(),
        "spans": args.spans, "rounds": args.rounds, "judge_latency_ms": args.judge_latency_ms,
        "concurrency": args.concurrency, "cpu_share": args.cpu_share, "preload": args.preload,
    }  # fmt: skip
    for mode in modes:
        summary[f"stored_spans_per_s_{mode}"] = rate[mode]
        summary[f"runs_{mode}"] = [r["stored_spans_per_s"] for r in runs[mode]]
        summary[f"latency_ms_p99_{mode}"] = [r["latency_ms_p99"] for r in runs[mode]]
        summary[f"server_cpu_s_{mode}"] = [r["server_cpu_s"] for r in runs[mode]]  # the server and its children
        if mode != "off":
            summary[f"ratio_{mode}_over_off"] = round(rate[mode] / rate["off"], 3)
            summary[f"judge_calls_during_load_{mode}"] = [r.get("judge_calls_during_load") for r in runs[mode]]
    print(json.dumps(summary))
    print(f"without a rule: {rate['off']:,.0f} spans/s", flush=True)
    for mode in modes[1:] if modes[0] == "off" else [m for m in modes if m != "off"]:
        print(f"with a 50% judge rule, worker in a {mode}: {rate[mode]:,.0f} spans/s, "
              f"ratio {summary[f'ratio_{mode}_over_off']}")  # fmt: skip
    judge.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
