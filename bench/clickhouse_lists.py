"""bench/clickhouse_lists.py — the trace list's orders and filters, sessions, users, filter options and
the trace page, full-text search, on ClickHouse beside SQLite, same data (the reads of the web UI and the list API).

    .venv/bin/python bench/clickhouse_lists.py                          # 1,000,000 observations
    .venv/bin/python bench/clickhouse_lists.py --traces-per-day 2000    # a quick run (~80,000 observations)
    .venv/bin/python bench/clickhouse_lists.py --only search=           # the full-text searches alone

The databases are bench/clickhouse_analytics.py's (the demo's SQLite file and its copy in embedded
ClickHouse, built once under bench/results/ and reused). Each read is asked `--runs` times of each
store's `TraceQueries` in this process, after two warm-up calls: a first page of 50, over the last
seven days unless it says 24 h. Printed per read: items, p95 ms on SQLite, on ClickHouse, and their
ratio. The last line is JSON.
"""

from __future__ import annotations

import json
import platform
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from clickhouse_analytics import DATABASE, arguments, measured, prepared  # noqa: E402

from theodolite.query.filters import ScoreFilter, Sort, TraceFilter  # noqa: E402
from theodolite.storage.clickhouse.queries.trace_queries import ClickHouseTraceQueries  # noqa: E402
from theodolite.storage.engine import Database  # noqa: E402
from theodolite.storage.sql_store import SqlTraceQueries  # noqa: E402

PAGE = 50


def reads(project_id: int, start: datetime, end: datetime, trace_id: str, user: str) -> dict[str, Callable]:
    day = end - timedelta(hours=24)

    def listed(**given: Any) -> Callable:
        window = {"start": start, "end": end} | given
        return lambda store: store.list_traces(project_id, TraceFilter(**window), limit=PAGE, cursor=None)[0]

    return {
        "traces, newest first": listed(),
        "sort=cost": listed(sort=Sort("cost")),
        "sort=latency asc": listed(sort=Sort("latency", descending=False)),
        "sort=name": listed(sort=Sort("name")),
        "sort=user": listed(sort=Sort("user")),
        "sort=score:relevance": listed(sort=Sort("score:relevance")),
        "sort=cost, 24 h": listed(sort=Sort("cost"), start=day),
        "cost_min=0.01": listed(cost_min=Decimal("0.01")),
        "relevance>=0.9": listed(scores=[ScoreFilter.parse("relevance>=0.9")]),
        # Full-text search: a word in every trace, rarer words, a phrase with a trailing prefix, a
        # prefix alone (no whole token for ClickHouse's index: a scan), other scripts, with an order.
        "search=the": listed(search="the"),
        "search=webhook": listed(search="webhook"),
        "search=refund pol": listed(search="refund pol"),
        "search=pass": listed(search="pass"),
        "search=экспорт": listed(search="экспорт"),
        "search=款": listed(search="款"),
        "search=webhook, sort=cost": listed(search="webhook", sort=Sort("cost")),
        "sessions": lambda store: store.list_sessions(project_id, start=start, end=end, limit=PAGE, cursor=None)[0],
        "users": lambda store: store.list_users(project_id, start=start, end=end, limit=PAGE, cursor=None)[0],
        "one user": lambda store: [store.get_user(project_id, user, start=start, end=end)],
        "filter options": lambda store: [store.list_trace_filter_options(project_id, start=start, end=end, limit=200)],
        "trace skeleton": lambda store: [store.trace_skeleton(project_id, trace_id, max_observations=10_000)],
    }


def main() -> int:
    parser = arguments(__doc__)
    parser.add_argument("--only", default="", help="only the reads whose name contains this (e.g. search=)")
    args = parser.parse_args()
    db, data, _, _ = prepared(args)

    import clickhouse_connect

    client = clickhouse_connect.get_client(dsn=f"chdb://{data}")
    database = Database(f"sqlite:///{db}")
    sql, clickhouse = SqlTraceQueries(database), ClickHouseTraceQueries(client, DATABASE)
    project_id = 1
    newest = client.query(f"SELECT max(timestamp) FROM `{DATABASE}`.traces").result_rows[0][0]
    end = newest.replace(tzinfo=UTC) + timedelta(minutes=1)
    start = end - timedelta(days=7)
    latest = sql.list_traces(project_id, TraceFilter(start=start, end=end), limit=1, cursor=None)[0][0]
    user = sql.list_users(project_id, start=start, end=end, limit=1, cursor=None)[0][0]["user_id"]
    traces = int(client.command(f"SELECT count() FROM `{DATABASE}`.traces FINAL"))
    print(f"{traces:,} traces; SQLite {db.name} beside chdb; p95 of {args.runs} runs", file=sys.stderr)
    print(f"{'read':24} {'items':>6} {'SQLite ms':>10} {'ClickHouse ms':>14} {'ratio':>7}")
    results = {}
    try:
        for name, read in reads(project_id, start, end, latest["id"], user).items():
            if args.only not in name:
                continue
            sqlite_ms, items = measured(lambda read=read: read(sql), args.runs)
            clickhouse_ms, ch_items = measured(lambda read=read: read(clickhouse), args.runs)
            ratio = clickhouse_ms / sqlite_ms
            results[name] = {
                "items": items, "clickhouse_items": ch_items, "sqlite_p95_ms": round(sqlite_ms, 1),
                "clickhouse_p95_ms": round(clickhouse_ms, 1), "ratio": round(ratio, 3),
            }  # fmt: skip
            print(f"{name:24} {items:>6} {sqlite_ms:>10.1f} {clickhouse_ms:>14.1f} {ratio:>7.2f}")
    finally:
        client.close()
        database.dispose()
    print(json.dumps({"traces": traces, "runs": args.runs, "machine": platform.machine(), "results": results}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
