"""bench/analytics_api.py — the analytics API (what the Grafana dashboards query) on 1,000,000 observations.

    .venv/bin/python bench/analytics_api.py                       # SQLite; builds the database on first use (~2 min)
    .venv/bin/python bench/analytics_api.py --runs 30
    .venv/bin/python bench/analytics_api.py --database-url postgresql://user@127.0.0.1:5432/db

The database is bench/list_api.py's (`theodolite demo --days 7 --traces-per-day 25700 --no-serve`),
about 180,000 traces and 1,000,000 observations. A real `theodolite serve` runs on it; each query of
the shipped Grafana dashboards over the last seven days (hourly, as the dashboards ask for seven
days) is requested `--runs` times over one keep-alive connection after two warm-up requests. The
peer is what teams run today: the same aggregate as one hand-written SQL GROUP BY over the raw
tables (a Grafana SQL panel over a tracing tool's database), timed on the same database in the same
run. Printed per query: rows, p50 / p95 ms of the API, the SQL's median ms, the ratio, and PASS or
FAIL against `--target-ms` (50) at p95. The last line is JSON. Exit status 1 if a query fails.
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import create_engine, text

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import list_api  # noqa: E402  (the same database and server harness)

BASE = "/api/v1/analytics/"
HOURLY = {"interval": "1h"}
# (name, API path and parameters, the raw SQL a hand-written panel would run; :start/:end bound)
BUCKET = {
    "sqlite": "CAST(strftime('%s', {col}) AS INTEGER) / 3600",
    "postgresql": "floor(extract(epoch from {col}) / 3600)",
}
COST = "COALESCE(calculated_total_cost, total_cost)"
OBSERVATIONS = "FROM observations WHERE project_id = 1 AND start_time >= :start AND start_time < :end"
TRACES = "FROM traces WHERE project_id = 1 AND timestamp >= :start AND timestamp < :end"
SCORES = "FROM scores WHERE project_id = 1 AND timestamp >= :start AND timestamp < :end"
JOINED = (
    "FROM observations o JOIN traces t ON t.id = o.trace_id "
    "WHERE o.project_id = 1 AND o.start_time >= :start AND o.start_time < :end"
)
QUERIES = [
    ("cost over time", "metrics", {"measure": "cost", **HOURLY},
     f"SELECT {{b}}, sum({COST}) {OBSERVATIONS} GROUP BY 1"),
    ("cost by model", "metrics", {"measure": "cost", "group_by": "model", **HOURLY},
     f"SELECT {{b}}, model, sum({COST}) {OBSERVATIONS} GROUP BY 1, 2"),
    ("daily cost breakdown", "costs", {},
     f"SELECT {{d}}, model, sum({COST}), sum(prompt_tokens), sum(completion_tokens), count(*) {OBSERVATIONS} "
     "GROUP BY 1, 2"),
    ("top users by cost", "metrics", {"measure": "cost", "scope": "traces", "group_by": "user", "interval": "total"},
     f"SELECT t.user_id, sum({COST}) {JOINED} GROUP BY 1"),
    ("request count", "metrics", {"measure": "trace_count", **HOURLY},
     f"SELECT {{bt}}, count(*) {TRACES} GROUP BY 1"),
    ("p95 latency by model", "metrics",
     {"measure": "latency", "aggregation": "p95", "group_by": "model", **HOURLY}, None),
    ("p95 latency by name", "metrics",  # the Performance dashboard's panel: traces by their name
     {"measure": "latency", "aggregation": "p95", "scope": "traces", "group_by": "name", **HOURLY}, None),
    ("p95 obs. latency by name", "metrics",  # no dashboard asks this one: ~4,700 points, a stress case
     {"measure": "latency", "aggregation": "p95", "group_by": "name", **HOURLY}, None),
    ("error rate", "metrics", {"measure": "error_rate", **HOURLY},
     f"SELECT {{b}}, avg(CASE WHEN level = 'ERROR' THEN 1.0 ELSE 0 END) {OBSERVATIONS} GROUP BY 1"),
    ("tokens per request", "metrics", {"measure": "total_tokens", "aggregation": "avg", "scope": "traces", **HOURLY},
     None),
    ("score trends", "metrics", {"measure": "score", "aggregation": "avg", "group_by": "name", **HOURLY},
     f"SELECT {{bs}}, name, avg(value) {SCORES} GROUP BY 1, 2"),
    ("p95 latency, 24 h by model", "metrics",
     {"measure": "latency", "aggregation": "p95", "group_by": "model", "interval": "15m", "_hours": 24}, None),
    ("models variable", "variables/models", {}, None),
]  # fmt: skip


def sql_for(template: str, dialect: str) -> str:
    bucket = BUCKET[dialect]
    day = bucket.replace("3600", "86400")
    return template.format(
        b=bucket.format(col="start_time"), d=day.format(col="start_time"), bt=bucket.format(col="timestamp"),
        bs=bucket.format(col="timestamp"),
    )  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, default=HERE / "results" / "list-api-demo.db", help="SQLite file")
    parser.add_argument("--database-url", help="a PostgreSQL URL instead of the SQLite file")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--target-ms", type=float, default=50.0)
    args = parser.parse_args()
    url, build_s, log = list_api.demo_database(args, "analytics-api-server.log")
    server = list_api.Server(url, log)
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=600)
    if args.database_url is not None:
        _, newest = server.get(conn, BASE + "traces?limit=1&from=0")
        if not newest:
            server.stop()
            build_s = list_api.build(url)
            server = list_api.Server(url, log)
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=600)
    _, newest = server.get(conn, BASE + "traces?limit=1&from=0")
    end_ms = newest[0]["time"] + 60_000
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    dialect = engine.dialect.name
    results, failed = {}, []
    print(f"{'query':30} {'rows':>5} {'p50 ms':>8} {'p95 ms':>8} {'raw SQL ms':>11} {'ratio':>7}  verdict")
    try:
        for name, path, params, sql in QUERIES:
            params = dict(params)
            hours = params.pop("_hours", 7 * 24)
            start_ms = end_ms - hours * 3_600_000
            query = BASE + path + "?" + urlencode({**params, "from": start_ms, "to": end_ms})
            times, rows = [], 0
            for index in range(args.runs + 2):
                elapsed, body = list_api.timed(server, conn, query)
                rows = len(body)
                if index >= 2:
                    times.append(elapsed)
            times.sort()
            p95 = times[max(0, int(len(times) * 0.95 + 0.5) - 1)]
            raw_ms = None
            if sql is not None:
                bounds = {"start": _moment(start_ms, dialect), "end": _moment(end_ms, dialect)}
                raw_times = []
                with engine.connect() as db:
                    for _ in range(3):
                        started = time.perf_counter()
                        db.execute(text(sql_for(sql, dialect)), bounds).all()
                        raw_times.append((time.perf_counter() - started) * 1000)
                raw_ms = statistics.median(raw_times)
            result = {
                "rows": rows, "p50_ms": round(statistics.median(times), 1), "p95_ms": round(p95, 1),
                "raw_sql_ms": None if raw_ms is None else round(raw_ms, 1),
                "ratio": None if raw_ms is None else round(p95 / raw_ms, 3), "pass": p95 <= args.target_ms,
            }  # fmt: skip
            results[name] = result
            if not result["pass"]:
                failed.append(name)
            ratio = "-" if raw_ms is None else f"{result['ratio']:.3f}"
            raw = "-" if raw_ms is None else f"{raw_ms:.1f}"
            verdict = "PASS" if result["pass"] else "FAIL"
            print(f"{name:30} {rows:>5} {result['p50_ms']:>8} {result['p95_ms']:>8} {raw:>11} {ratio:>7}  {verdict}")
    finally:
        conn.close()
        server.stop()
        engine.dispose()
    list_api.print_summary("analytics_api", url, build_s, results, runs=args.runs, target_ms=args.target_ms)
    return 1 if failed else 0


def _moment(epoch_ms: int, dialect: str) -> object:
    from datetime import UTC, datetime

    moment = datetime.fromtimestamp(epoch_ms / 1000, UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f") if dialect == "sqlite" else moment


if __name__ == "__main__":
    sys.exit(main())
