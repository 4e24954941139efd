"""bench/group_detail.py — GET /api/v1/sessions/{id} and /api/v1/users/{id} on 1,000,000 observations.

    .venv/bin/python bench/group_detail.py                    # SQLite; builds the database on first use (~2 min)
    .venv/bin/python bench/group_detail.py --db /path/to/demo.db --sessions 300
    .venv/bin/python bench/group_detail.py --database-url postgresql://user@127.0.0.1:5432/db

The database is bench/list_api.py's (the demo's 7 days x 25,700 traces: ~180,000 traces,
~1,000,000 observations, 40 users, ~52,000 sessions), built the same way when missing. A real
`theodolite serve` runs on it; then over one keep-alive connection:
- `--sessions` sessions, the 10 longest of the 5,000 most recent then a random sample of those,
  each requested once (first page of 50 turns, with the session totals and the payloads of every
  turn shown);
- every user, once for each range: the last 24 hours, the last 7 days, and all time.
Printed per kind: requests, p50 / p95 / max ms, PASS or FAIL against `--target-ms` (100) at p95.
The last line is JSON. Exit status 1 if a kind fails.
"""

from __future__ import annotations

import argparse
import http.client
import random
import statistics
import sys
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import quote, urlencode

from list_api import (  # the same database and server as the trace-list benchmark
    HERE,
    Server,
    demo_database,
    print_summary,
    timed,
)

SESSION_PAGES = 10  # x 500: the sessions sampled are among the 5,000 most recent


def percentile(times: list[float], share: float) -> float:
    ordered = sorted(times)
    return ordered[max(0, int(len(ordered) * share + 0.5) - 1)]


def every_page(server: Server, conn: http.client.HTTPConnection, path: str, pages: int = 100_000) -> list[dict]:
    items: list[dict] = []
    cursor = None
    for _ in range(pages):
        suffix = f"&cursor={cursor}" if cursor else ""
        _, body = timed(server, conn, path + suffix)
        items.extend(body["data"])
        cursor = body["next_cursor"]
        if cursor is None:
            return items
    return items


def summary(times: list[float], target: float) -> dict:
    return {
        "requests": len(times),
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(percentile(times, 0.95), 1),
        "max_ms": round(max(times), 1),
        "pass": percentile(times, 0.95) <= target,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, default=HERE / "results" / "list-api-demo.db", help="SQLite file")
    parser.add_argument("--database-url", help="a PostgreSQL URL instead of the SQLite file")
    parser.add_argument("--sessions", type=int, default=200, help="sessions requested")
    parser.add_argument("--target-ms", type=float, default=100.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    url, build_s, log = demo_database(args, "group-detail-server.log")
    server = Server(url, log)
    results: dict[str, dict] = {}
    try:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=600)
        _, newest = timed(server, conn, "/api/v1/traces?limit=1")
        if not newest["data"]:
            raise RuntimeError("no traces: build the database first (bench/list_api.py does)")
        latest = datetime.fromisoformat(newest["data"][0]["timestamp"].replace("Z", "+00:00"))
        # Which sessions and users exist: read through the list endpoints (not timed).
        sessions = every_page(server, conn, "/api/v1/sessions?limit=500", pages=SESSION_PAGES)
        users = every_page(server, conn, "/api/v1/users?limit=500")
        rng = random.Random(args.seed)
        longest = sorted(sessions, key=lambda s: -s["trace_count"])[:10]
        sample = longest + rng.sample(sessions, min(len(sessions), max(0, args.sessions - len(longest))))
        longest_n = longest[0]["trace_count"]
        print(f"{len(sessions):,} sessions (longest {longest_n} traces), {len(users)} users", flush=True)
        for warm in sample[:2]:  # warm-up, not counted
            timed(server, conn, f"/api/v1/sessions/{quote(warm['session_id'], safe='')}")
        times = []
        for session in sample:
            elapsed, body = timed(server, conn, f"/api/v1/sessions/{quote(session['session_id'], safe='')}")
            assert len(body["turns"]) == min(50, session["trace_count"]), session
            times.append(elapsed)
        results["session (first page of turns + totals)"] = summary(times, args.target_ms)
        ranges = {
            "24h": {"from": (latest - timedelta(days=1)).isoformat()},
            "7d": {"from": (latest - timedelta(days=7)).isoformat()},
            "all time": {},
        }
        for name, params in ranges.items():
            query = f"?{urlencode(params)}" if params else ""
            times = []
            for user in users:
                elapsed, _ = timed(server, conn, f"/api/v1/users/{quote(user['user_id'], safe='')}{query}")
                times.append(elapsed)
            results[f"user ({name})"] = summary(times, args.target_ms)
        conn.close()
    finally:
        server.stop()
    print(f"{'request':42} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}  verdict")
    for name, result in results.items():
        verdict = "PASS" if result["pass"] else "FAIL"
        print(
            f"{name:42} {result['requests']:>5} {result['p50_ms']:>8.1f} {result['p95_ms']:>8.1f} "
            f"{result['max_ms']:>8.1f}  {verdict}"
        )
    print_summary("group_detail", url, build_s, results, target_ms=args.target_ms)

    return 0 if all(result["pass"] for result in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
