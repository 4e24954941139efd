"""bench/clickhouse_analytics.py — the analytics API's queries on ClickHouse beside SQLite, same data.

    .venv/bin/python bench/clickhouse_analytics.py                          # 1,000,000 observations (~3 min to build)
    .venv/bin/python bench/clickhouse_analytics.py --traces-per-day 2000    # a quick run (~80,000 observations)
    .venv/bin/python bench/clickhouse_analytics.py --runs 30

The SQLite database is the demo's (`theodolite demo --days 7 --traces-per-day N --no-serve`; N =
25,700 is bench/analytics_api.py's database, about 180,000 traces and 1,000,000 observations), built
once under bench/results/ and reused. `theodolite migrate-data --to chdb://...` copies it into
embedded ClickHouse (chdb, in-process; its data directory beside the SQLite file), timed on first
use. Then each of bench/analytics_api.py's 13 queries (its list, imported: the Grafana dashboards'
queries over the last seven days, hourly) is asked `--runs` times of each store's `TraceQueries`,
in this process (no HTTP: the stores alone), after two warm-up calls. Printed per query: rows, p95 ms
on SQLite, p95 ms on ClickHouse and their ratio (ClickHouse / SQLite). The last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from analytics_api import QUERIES  # noqa: E402  (the same 13 queries)
from list_api import ENV  # noqa: E402

from theodolite.query.analytics_params import make_metric_query  # noqa: E402
from theodolite.storage.clickhouse.queries.trace_queries import ClickHouseTraceQueries  # noqa: E402
from theodolite.storage.engine import Database  # noqa: E402
from theodolite.storage.sql_store import SqlTraceQueries  # noqa: E402

DATABASE = "theodolite"


def build(db: Path, traces_per_day: int) -> float:
    started = time.monotonic()
    demo = ["--days", "7", "--traces-per-day", str(traces_per_day), "--no-serve"]
    print(f"building {db} (theodolite demo {' '.join(demo)}) ...", file=sys.stderr)
    db.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [sys.executable, "-m", "theodolite", "demo", *demo, "--database-url", f"sqlite:///{db}"],
        env={**os.environ, **ENV},
        check=True,
    )
    return time.monotonic() - started


def copy(db: Path, data: Path) -> float:
    """migrate-data into chdb, in its own process (chdb holds one data directory per process)."""
    started = time.monotonic()
    print(f"copying into chdb://{data} ...", file=sys.stderr)
    subprocess.run(
        [sys.executable, "-m", "theodolite", "migrate-data", "--from", f"sqlite:///{db}", "--to",
         f"chdb://{data}?database={DATABASE}"],
        check=True,
    )  # fmt: skip
    (data / "copied").write_text("done\n")
    return time.monotonic() - started


def ask(store: Any, project_id: int, path: str, params: dict, start: datetime, end: datetime) -> list:
    """One of bench/analytics_api.py's HTTP queries, asked of a store as the route would ask it."""
    if path == "variables/models":
        return store.variable_values(project_id, "models", start, end, 1000)
    if path == "costs":
        query = make_metric_query(
            project_id, measure="cost", aggregation="sum", scope="observations", group_by=["model"], start=start,
            end=end, interval="1d", filters={}, fill="none",
        )  # fmt: skip
        return store.cost_rows(query)
    query = make_metric_query(
        project_id, measure=params["measure"], aggregation=params.get("aggregation"), scope=params.get("scope"),
        group_by=[params["group_by"]] if "group_by" in params else [], start=start, end=end,
        interval=params.get("interval", "auto"), filters={}, fill="none",
    )  # fmt: skip
    return store.metric_rows(query)


def p95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[max(0, int(len(ordered) * 0.95 + 0.5) - 1)]


def timed(store: Any, runs: int, *question: Any) -> tuple[float, int]:
    return measured(lambda: ask(store, *question), runs)


def measured(call: Callable[[], list], runs: int) -> tuple[float, int]:
    """(p95 ms of `runs` calls after two warm-up calls, rows of the last)."""
    p95_ms, rows, _ = measured_with_cpu(call, runs)
    return p95_ms, rows


def measured_with_cpu(call: Callable[[], list], runs: int) -> tuple[float, int, float]:
    """`measured`, and the median CPU ms of a call: this process's, so an embedded engine's threads
    count, and time spent waiting for a core of a busy machine does not."""
    rows: list = []
    times, cpu = [], []
    for index in range(runs + 2):
        started, started_cpu = time.perf_counter(), time.process_time()
        rows = call()
        if index >= 2:
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
    return p95(times), len(rows), statistics.median(cpu)


def arguments(doc: str) -> argparse.ArgumentParser:
    """The command line naming the databases (`--traces-per-day`, `--db`) and `--runs`; a script adds its own."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--traces-per-day", type=int, default=25_700)
    parser.add_argument("--db", type=Path, help="the SQLite file (default bench/results/clickhouse-demo-N.db)")
    parser.add_argument("--runs", type=int, default=20)
    return parser


def prepared(args: argparse.Namespace) -> tuple[Path, Path, float | None, float | None]:
    """The SQLite file and chdb directory `args` name, built and copied on first use:
    (db, data, build s, copy s; None when reused)."""
    db = args.db or HERE / "results" / f"clickhouse-demo-{args.traces_per_day}.db"
    data = db.with_suffix(".chdb")
    build_s = build(db, args.traces_per_day) if not db.exists() else None
    copy_s = copy(db, data) if not (data / "copied").exists() else None
    return db, data, build_s, copy_s


def databases(doc: str) -> tuple[argparse.Namespace, Path, Path, float | None, float | None]:
    """`arguments` parsed and `prepared`: (args, db, data, build s, copy s)."""
    args = arguments(doc).parse_args()
    return args, *prepared(args)


def questions(end: datetime) -> list[tuple[str, str, dict, datetime]]:
    """bench/analytics_api.py's 13 queries as (name, path, params, start), each ending at `end`."""
    asked = []
    for name, path, given, _ in QUERIES:
        params = dict(given)
        asked.append((name, path, params, end - timedelta(hours=params.pop("_hours", 7 * 24))))
    return asked


def newest_end(client: Any) -> datetime:
    """The queries' end: a minute after the newest trace (the demo's traffic ends when it was built)."""
    newest = client.query(f"SELECT max(timestamp) FROM `{DATABASE}`.traces").result_rows[0][0]
    return newest.replace(tzinfo=UTC) + timedelta(minutes=1)


def main() -> int:
    args, db, data, build_s, copy_s = databases(__doc__)

    import clickhouse_connect

    client = clickhouse_connect.get_client(dsn=f"chdb://{data}")
    database = Database(f"sqlite:///{db}")
    sql, clickhouse = SqlTraceQueries(database), ClickHouseTraceQueries(client, DATABASE)
    project_id = 1
    spans = int(client.command(f"SELECT count() FROM `{DATABASE}`.observations"))
    end = newest_end(client)
    results = {}
    print(f"{spans:,} observations; SQLite {db.name} beside chdb; p95 of {args.runs} runs", file=sys.stderr)
    print(f"{'query':30} {'rows':>6} {'SQLite ms':>10} {'ClickHouse ms':>14} {'ratio':>7}")
    try:
        for name, path, params, start in questions(end):
            sqlite_ms, rows = timed(sql, args.runs, project_id, path, params, start, end)
            clickhouse_ms, ch_rows = timed(clickhouse, args.runs, project_id, path, params, start, end)
            ratio = clickhouse_ms / sqlite_ms
            results[name] = {
                "rows": rows, "clickhouse_rows": ch_rows, "sqlite_p95_ms": round(sqlite_ms, 1),
                "clickhouse_p95_ms": round(clickhouse_ms, 1), "ratio": round(ratio, 3),
            }  # fmt: skip
            print(f"{name:30} {rows:>6} {sqlite_ms:>10.1f} {clickhouse_ms:>14.1f} {ratio:>7.2f}")
    finally:
        client.close()
        database.dispose()
    summary = {
        "benchmark": "clickhouse_analytics",
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "observations": spans,
        "build_s": None if build_s is None else round(build_s, 1),
        "copy_s": None if copy_s is None else round(copy_s, 1),
        "runs": args.runs,
        "results": results,
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
