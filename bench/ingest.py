#!/usr/bin/env python3
"""Ingest benchmark: the same OTLP/HTTP protobuf load into Theodolite and Arize Phoenix.

For each server: spans/s durably stored (counted in its SQLite database, not merely
acknowledged), request latency p50/p99, peak RSS of the server's process tree, disk bytes
per stored span, and the Theodolite/Phoenix ratios. See bench/README.md.

Run with the project's virtualenv (it needs opentelemetry-proto):
    .venv/bin/python bench/ingest.py                 # full run, about 10 minutes
    .venv/bin/python bench/ingest.py --spans 30000 --phoenix-seconds 30   # quick look
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # run from anywhere

from ingest_lib import report  # noqa: E402
from ingest_lib.loadgen import LoadRun, Target  # noqa: E402
from ingest_lib.payload import build_bodies  # noqa: E402
from ingest_lib.servers import (  # noqa: E402
    PHOENIX_SPEC,
    RssSampler,
    ensure_phoenix_venv,
    start_phoenix,
    start_theodolite,
)

HERE = Path(__file__).resolve().parent
MB = 1024 * 1024


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--spans", type=int, default=300_000, help="spans to send to Theodolite (default 300000)")
    p.add_argument("--clients", type=int, default=8, help="concurrent client processes, one keep-alive connection each")
    p.add_argument("--spans-per-request", type=int, default=100)
    p.add_argument("--phoenix-seconds", type=float, default=300, help="how long to send to Phoenix (default 300)")
    p.add_argument(
        "--phoenix-window",
        type=int,
        default=None,
        help="max spans Phoenix may hold acknowledged but not yet stored "
        "(default max(5000, 2 x clients x spans-per-request))",
    )
    p.add_argument(
        "--phoenix-venv",
        type=Path,
        default=HERE / ".venv-phoenix",
        help="virtualenv with arize-phoenix; created on first run if missing",
    )
    p.add_argument(
        "--phoenix-spec",
        default=PHOENIX_SPEC,
        help=f"what pip installs into a new Phoenix venv (default {PHOENIX_SPEC})",
    )
    p.add_argument("--max-seconds", type=float, default=900, help="time limit for sending to Theodolite (default 900)")
    p.add_argument(
        "--drain-seconds",
        type=float,
        default=180,
        help="time limit, after sending, for the DB count to catch up (default 180)",
    )
    p.add_argument(
        "--stall-seconds",
        type=float,
        default=60,
        help="stop a phase early when no request succeeded for this long (default 60)",
    )
    p.add_argument(
        "--theodolite-cmd",
        default=None,
        help="command that starts the server instead of 'python -m theodolite' "
        "('serve --host ... --port ... --database-url ...' is appended)",
    )
    p.add_argument("--skip-phoenix", action="store_true")
    p.add_argument("--skip-theodolite", action="store_true")
    p.add_argument("--keep", action="store_true", help="keep the temp dirs (DBs and logs)")
    p.add_argument("--json-out", type=Path, help="also write the JSON result to this file")
    args = p.parse_args(argv)
    if args.skip_phoenix and args.skip_theodolite:
        p.error("nothing to do with both --skip-phoenix and --skip-theodolite")
    if min(args.spans, args.clients, args.spans_per_request) < 1:
        p.error("--spans, --clients and --spans-per-request must be positive")
    if args.phoenix_window is None:
        # Big enough that Phoenix's queue never runs dry between our 0.5 s DB polls (a
        # 600-span window cost it a third of its rate), small enough to drain in ~1 min.
        args.phoenix_window = max(5000, 2 * args.clients * args.spans_per_request)
    return args


def run_phase(server, bodies, spans_per_body, args, *, send_seconds: float, window: int | None, headers: dict) -> dict:
    """Drive the load into a ready server and measure it. Every loop here has a deadline."""
    rss = RssSampler(server.proc.pid)
    rss_idle_kb = rss.tree_rss_kb(server.proc.pid)
    cpu0 = rss.tree_cpu_s(server.proc.pid)
    count0 = server.count() or 0  # a fresh DB: 0, but never assume it
    target = Target("127.0.0.1", server.port, "/v1/traces", {"Content-Type": "application/x-protobuf", **headers})
    load = LoadRun(target, bodies, spans_per_body, args.clients, send_seconds, window)
    load.set_stored(count0)
    t0 = load.start()
    rss.start()  # after the fork: the clients need not inherit a running thread
    # While the clients run: with a window, poll the DB to open it (0.5 s; a count(*) is
    # cheap at Phoenix's size). Without one (the server answers after commit) leave the
    # DB alone so the count query does not compete with the server for the 2 cores.
    hard_stop = t0 + send_seconds + 120
    stalled, acked_seen, t_progress = False, 0, t0
    while not load.wait(0.5) and time.monotonic() < hard_stop:
        if window is not None:
            load.set_stored(server.count() or count0)
        # A server that answers only errors would keep the clients retrying until the time
        # limit; stop early once nothing at all was acknowledged for --stall-seconds.
        if load.acked.value != acked_seen:
            acked_seen, t_progress = load.acked.value, time.monotonic()
        elif not stalled and time.monotonic() - t_progress > args.stall_seconds:
            print(
                f"[{server.name}] nothing acknowledged for {args.stall_seconds:.0f}s: stopping the clients", flush=True
            )
            stalled = True
            load.abort()
    result = load.finish()
    t_sent = time.monotonic()
    # Drain: poll until every acknowledged span is counted, or the drain deadline.
    t_last = t_stored = time.monotonic()  # before the query: it sees the state of then
    last = server.count() or count0
    stored_at_send_end = last - count0
    print(
        f"[{server.name}] sending done after {t_sent - t0:.1f}s: {result.ok_spans:,} spans "
        f"acknowledged, {stored_at_send_end:,} in the DB; waiting for the rest",
        flush=True,
    )
    drain_deadline = t_sent + args.drain_seconds
    while last - count0 < result.ok_spans and time.monotonic() < drain_deadline:
        time.sleep(0.1 if window is None else 0.5)
        t_poll = time.monotonic()
        now = server.count() or count0
        if now != last:
            last, t_last = now, t_poll
        t_stored = t_poll
    stored = last - count0
    complete = stored >= result.ok_spans
    # Complete: time until the count reached what was acknowledged. Incomplete: until the
    # last observed increase, so a server that loses spans is not credited with idle time.
    t_end = t_stored if complete else t_last
    rss.stop()
    server_cpu = rss.tree_cpu_s(server.proc.pid) - cpu0
    disk = server.disk_bytes()
    out = {
        "spans_acked": result.ok_spans,
        "requests_ok": result.ok_requests,
        "spans_stored": stored,
        "drain_complete": complete,
        "stalled": stalled,
        "stored_at_send_end": stored_at_send_end,
        "send_seconds": round(t_sent - t0, 3),
        "seconds_to_stored": round(t_end - t0, 3),
        "stored_spans_per_s": round(stored / (t_end - t0), 1) if t_end > t0 else None,
        "latency_ms_p50": _ms(report.percentile(result.latencies_s, 50)),
        "latency_ms_p99": _ms(report.percentile(result.latencies_s, 99)),
        "latency_ms_max": _ms(max(result.latencies_s, default=None)),
        "throttled": result.throttled,
        "throttled_wait_s": round(result.throttled_wait_s, 1),
        "reconnects": result.reconnects,
        # Where the 2 cores went: the server under test vs. our own client processes.
        "server_cpu_s": round(server_cpu, 1),
        "client_cpu_s": round(result.cpu_s, 1),
        "failed_requests": result.failed_requests,
        "unsent_requests": result.unsent_requests,
        "errors": result.errors,
        "rss_idle_mb": round(rss_idle_kb / 1024, 1),
        "rss_peak_mb": round(rss.peak_kb / 1024, 1),
        "disk_bytes": disk,
        "bytes_per_span": round(disk / stored, 1) if stored else None,
        "window_spans": window,
    }
    return out


def _ms(seconds):
    return None if seconds is None else round(seconds * 1000, 2)


def benchmark(name: str, server, bodies, spans_per_body, args, **kw) -> dict:
    """Start-to-stop for one server: ready check, load, measurements, shutdown."""
    try:
        ready_s = server.wait_ready(timeout=180)
        print(f"[{name}] ready in {ready_s:.1f}s on port {server.port}", flush=True)
        res = run_phase(server, bodies, spans_per_body, args, **kw)
        res["startup_s"] = round(ready_s, 1)
    except BaseException:
        server.stop()
        print(f"[{name}] failed; last log lines:\n{server.log_tail()}", file=sys.stderr)
        raise
    stored = res["spans_stored"]
    server.stop()  # graceful: a server may checkpoint and truncate its WAL on the way out
    after = server.disk_bytes()
    res["disk_bytes_after_stop"] = after
    res["bytes_per_span_after_stop"] = round(after / stored, 1) if stored else None
    res["log"] = str(server.log_path)
    return res


def main(argv=None) -> int:
    args = parse_args(argv)
    results: dict[str, dict] = {}
    phoenix_version = None
    if not args.skip_phoenix:  # fail early (or install) before the long build
        phoenix_version = ensure_phoenix_venv(args.phoenix_venv.resolve(), args.phoenix_spec)
        print(f"[phoenix] arize-phoenix {phoenix_version} in {args.phoenix_venv}", flush=True)

    # One body set for both servers (each gets a fresh DB, so reusing ids across servers is
    # fine). Phoenix only gets through the front of it before its time is up.
    t = time.monotonic()
    bodies, spans_per_body = build_bodies(args.spans, args.spans_per_request)
    body_bytes = sum(map(len, bodies))
    print(
        f"[load] built {len(bodies):,} requests, {args.spans:,} spans, "
        f"{body_bytes / args.spans:,.0f} B/span on the wire, in {time.monotonic() - t:.1f}s",
        flush=True,
    )

    tmp = Path(tempfile.mkdtemp(prefix="theodolite-bench-"))
    try:
        if not args.skip_theodolite:
            (tmp / "theodolite").mkdir()
            server = start_theodolite(tmp / "theodolite", args.theodolite_cmd)
            results["theodolite"] = benchmark(
                "theodolite",
                server,
                bodies,
                spans_per_body,
                args,
                send_seconds=args.max_seconds,
                window=None,
                headers={"Authorization": "Bearer sk-bench"},
            )
            results["theodolite"]["version"] = "working tree"
        if not args.skip_phoenix:
            (tmp / "phoenix").mkdir()
            server = start_phoenix(tmp / "phoenix", args.phoenix_venv.resolve())
            results["phoenix"] = benchmark(
                "phoenix",
                server,
                bodies,
                spans_per_body,
                args,
                send_seconds=args.phoenix_seconds,
                window=args.phoenix_window,
                headers={},
            )
            results["phoenix"]["version"] = phoenix_version
    finally:
        if args.keep:
            print(f"[bench] kept {tmp}", flush=True)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
            for r in results.values():
                r.pop("log", None)  # gone with the temp dir

    ratio = report.ratios(results)
    print()
    print(report.table(results, ratio))
    payload = {
        "benchmark": "ingest",
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {"cpus": len(os.sched_getaffinity(0)), "python": platform.python_version()},
        "load": {
            "spans": args.spans,
            "requests": len(bodies),
            "clients": args.clients,
            "spans_per_request": args.spans_per_request,
            "wire_bytes_per_span": round(body_bytes / args.spans, 1),
            "phoenix_seconds": args.phoenix_seconds,
            "phoenix_window_spans": args.phoenix_window,
        },
        "results": results,
        "ratio_theodolite_over_phoenix": ratio,
    }
    line = report.json_line(payload)
    if args.json_out:
        args.json_out.write_text(line + "\n")
    print()
    print(line)
    for name, r in results.items():
        if not r["drain_complete"] or r["failed_requests"] or r["stalled"]:
            print(
                f"WARNING: {name}: {r['spans_acked'] - r['spans_stored']:,} acknowledged "
                f"spans not in the DB, {r['failed_requests']} requests failed "
                f"({r['errors']}); logs: {r.get('log', 'rerun with --keep')}",
                file=sys.stderr,
            )
    # Non-zero only if Theodolite, whose answers promise a commit, lost anything.
    t = results.get("theodolite")
    return 1 if t and (not t["drain_complete"] or t["failed_requests"] or t["stalled"]) else 0


if __name__ == "__main__":
    sys.exit(main())
