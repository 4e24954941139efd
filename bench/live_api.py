"""bench/live_api.py — GET /api/v1/live (the polled live dashboard) on a 1,000,000-observation database.

    .venv/bin/python bench/live_api.py                        # SQLite; builds the database on first use (~3 min)
    .venv/bin/python bench/live_api.py --db /tmp/demo.db --polls 60
    .venv/bin/python bench/live_api.py --database-url postgresql://user@127.0.0.1:5432/db

The database is bench/list_api.py's (`theodolite demo --days 7 --traces-per-day 25700 --no-serve`).
Its traffic ends when it was built: the windows are full only on a fresh build (the script says how
many calls each window holds). A real `theodolite serve` runs on it with the demo's live traffic on
(`THEODOLITE_DEMO_LIVE_INTERVAL_S`, one trace every --live-interval-s seconds), so polls take in new
calls as in production. For each window (15m, 1h, 6h, 24h) the first request (it reads the window's
buckets) is timed apart, then `--polls` requests every `--poll-interval-s` (the UI polls every 5 s)
over one keep-alive connection. Printed per window: calls in it, first ms, p50 / p95 / max ms of the
polls, PASS or FAIL against `--target-ms` (100) at p95; and a past view (`to=`, read straight from
the observations, no kept buckets). The last line is JSON. Exit status 1 if a window fails.
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import list_api  # noqa: E402  (the same database and server harness)

WINDOWS = ("15m", "1h", "6h", "24h")


def percentile(times: list[float], q: float) -> float:
    ordered = sorted(times)
    return ordered[max(0, int(len(ordered) * q + 0.5) - 1)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, default=HERE / "results" / "list-api-demo.db", help="SQLite file")
    parser.add_argument("--database-url", help="a PostgreSQL URL instead of the SQLite file")
    parser.add_argument("--polls", type=int, default=40, help="timed polls per window")
    parser.add_argument("--poll-interval-s", type=float, default=0.5, help="pause between polls")
    parser.add_argument("--live-interval-s", type=float, default=0.2, help="the demo's live traffic: a trace every ...")
    parser.add_argument("--target-ms", type=float, default=100.0)
    args = parser.parse_args()
    url, build_s, log = list_api.demo_database(args, "live-api-server.log")
    live_env = {"THEODOLITE_DEMO_LIVE_INTERVAL_S": str(args.live_interval_s)}
    if args.database_url is not None:  # PostgreSQL: built when the database has no trace
        server = list_api.Server(url, log)
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=600)
        status, newest = server.get(conn, "/api/v1/traces?limit=1")
        conn.close()
        server.stop()
        if status == 200 and not newest["data"]:
            build_s = list_api.build(url)
    server = list_api.Server(url, log, live_env)
    results, failed = {}, []
    try:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=600)
        print(f"{'window':8} {'calls':>7} {'first ms':>9} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}  verdict")
        for window in WINDOWS:
            first_ms, body = list_api.timed(server, conn, f"/api/v1/live?window={window}")
            times = []
            for _ in range(args.polls):
                time.sleep(args.poll_interval_s)  # the pace of a polling page, not a synchronisation
                elapsed, body = list_api.timed(server, conn, f"/api/v1/live?window={window}")
                times.append(elapsed)
            result = {
                "calls": body["totals"]["calls"],
                "first_ms": round(first_ms, 1),
                "p50_ms": round(statistics.median(times), 1),
                "p95_ms": round(percentile(times, 0.95), 1),
                "max_ms": round(max(times), 1),
            }
            result["pass"] = result["p95_ms"] <= args.target_ms
            results[window] = result
            if not result["pass"]:
                failed.append(window)
            print(f"{window:8} {result['calls']:>7} {result['first_ms']:>9.1f} {result['p50_ms']:>8.1f} "
                  f"{result['p95_ms']:>8.1f} {result['max_ms']:>8.1f}  {'PASS' if result['pass'] else 'FAIL'}",
                  flush=True)  # fmt: skip
        past = [list_api.timed(server, conn, f"/api/v1/live?window=24h&to={body['now']}")[0] for _ in range(5)]
        results["24h past view (to=, no kept buckets)"] = {"p50_ms": round(statistics.median(past), 1)}
        print(f"24h past view (to=, read afresh): p50 {statistics.median(past):.1f} ms", flush=True)
        conn.close()
    finally:
        server.stop()
    list_api.print_summary(
        "live_api", url, build_s, results, polls=args.polls, poll_interval_s=args.poll_interval_s,
        live_interval_s=args.live_interval_s, target_ms=args.target_ms,
    )  # fmt: skip
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
