"""bench/metrics_scrape.py — /metrics scrape time as the number of stored spans grows.

    .venv/bin/python bench/metrics_scrape.py                    # 1,000,000 spans, ~5 min
    .venv/bin/python bench/metrics_scrape.py --spans 100000     # a quick look

Starts `theodolite serve` on SQLite, scrapes /metrics `--scrapes` times at each checkpoint
(empty, then every `--every` spans ingested, up to `--spans`), and prints p50/p99/max scrape
milliseconds and the series count. The target is <= 20 ms with 1,000,000 stored spans: the
metrics are derived at commit time, so a scrape never reads the traces.
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from ingest_lib.payload import build_bodies  # noqa: E402
from ingest_lib.servers import start_theodolite  # noqa: E402

HEADERS = {"Content-Type": "application/x-protobuf", "Authorization": "Bearer sk-bench"}


def scrape_times(port: int, scrapes: int) -> tuple[list[float], int]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    times, series = [], 0
    for _ in range(scrapes):
        started = time.perf_counter()
        conn.request("GET", "/metrics")
        response = conn.getresponse()
        body = response.read()
        times.append((time.perf_counter() - started) * 1000)
        assert response.status == 200, response.status
        series = sum(1 for line in body.decode().splitlines() if line and not line.startswith("#"))
    conn.close()
    return times, series


def send(port: int, bodies: list[bytes], clients: int = 6) -> None:
    def one_client(mine: list[bytes]) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        for body in mine:
            for _attempt in range(100):
                conn.request("POST", "/v1/traces", body=body, headers=HEADERS)
                response = conn.getresponse()
                response.read()
                if response.status == 200:
                    break
                time.sleep(float(response.getheader("Retry-After") or 1))  # the server asked to wait
            else:
                raise RuntimeError("a request was refused 100 times")

    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(one_client, [bodies[i::clients] for i in range(clients)]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--spans", type=int, default=1_000_000)
    parser.add_argument("--every", type=int, default=250_000, help="scrape after each this many spans")
    parser.add_argument("--scrapes", type=int, default=50)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        server = start_theodolite(Path(tmp), None)
        try:
            server.wait_ready(60)
            stored, chunk = 0, 0
            while True:
                times, series = scrape_times(server.port, args.scrapes)
                rows.append({"stored_spans": stored, "series": series, "p50_ms": statistics.median(times),
                             "p99_ms": sorted(times)[int(len(times) * 0.99) - 1], "max_ms": max(times)})  # fmt: skip
                print(f"[scrape] {rows[-1]}", file=sys.stderr)
                if stored >= args.spans:
                    break
                todo = min(args.every, args.spans - stored)
                for start in range(0, todo, 50_000):  # bodies in chunks: 2 KB a span adds up
                    bodies, _ = build_bodies(min(50_000, todo - start), 100, seed=1000 + chunk)
                    chunk += 1
                    send(server.port, bodies)
                stored = server.count() or 0
        finally:
            server.stop()
    print(f"\n{'stored spans':>13} {'series':>7} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for row in rows:
        print(f"{row['stored_spans']:>13,} {row['series']:>7} {row['p50_ms']:>8.2f} {row['p99_ms']:>8.2f} "
              f"{row['max_ms']:>8.2f}")  # fmt: skip
    print(json.dumps({"benchmark": "metrics_scrape", "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "rows": rows}))


if __name__ == "__main__":
    main()
