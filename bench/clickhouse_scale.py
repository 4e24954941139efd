"""bench/clickhouse_scale.py — the dashboards' aggregates on ClickHouse at 1M and 10M spans, extrapolated to 100M.

    .venv/bin/python bench/clickhouse_scale.py                    # builds what is missing (~20 min), then times
    .venv/bin/python bench/clickhouse_scale.py --runs 30 --writer-spans 0      # timings only, no writer run
    .venv/bin/python bench/clickhouse_scale.py --traces-per-day 2000           # a quick run (80k and 800k)

The 1M store is bench/clickhouse_analytics.py's: the demo's SQLite file (`theodolite demo --days 7
--traces-per-day 25700`: 179,900 traces, 999,644 observations, 64,784 scores) copied into embedded
ClickHouse (chdb) by `theodolite migrate-data`. Writing 10M spans through the ingest pipeline would
take about an hour on 2 shared cores (~2,900 observations/s), so the 10M store is made from it:

1. `migrate-data` copies the same SQLite file into a fresh chdb directory (`...x10.chdb` beside it);
2. in that directory, `INSERT ... SELECT` replicates the base tables' live rows of copy 0 (`FINAL`,
   `is_deleted = 0`, and `sign = 1` for observations) 9 more times, traces then observations then
   scores, as the writer orders a commit. Copy k gets new keys: every trace, observation, score and
   session id (and the references to them: trace, parent, root observation) gets the prefix `ck~`;
   users, names, models, times and payloads stay, so the same 7 days carry 10x the traffic (10x the
   traces per minute, as many users, 10x the sessions). A prefix, not a suffix: the tables are
   ordered by (project, day, trace id, ...), and a suffix would put each copy of a trace next to the
   original, where ZSTD stores the repeated payloads for almost nothing. The materialised views
   (`rollups_minute`, `rollups_hour`, `trace_totals`: the only derived tables, all fed by inserts
   into `observations`, as the writer feeds them) run on these inserts; the step checks that every
   count and sum of the views is exactly 10x what it was (spans, errors, tokens, cost, traces with
   totals) and that the base tables hold 10x their rows, then waits for the background merges.

Each store is then timed in a process of its own (chdb holds one data directory per process): after
the background merges have settled, bench/analytics_api.py's 13 queries (the Grafana dashboards'
queries over the last seven days, hourly) are asked `--runs` times of `ClickHouseTraceQueries`,
after two warm-up calls (bench/clickhouse_analytics.py's functions): p95 ms per query, and the median
CPU ms of a call (the process's: chdb's threads count, waiting for a core of a busy machine does not),
the active parts per table (bytes on disk, rows, parts: `system.parts`) and the process's peak RSS
(`VmHWM`, the embedded engine included). The stores are timed `--rounds` times (2), alternated, and
each query's figures are the lowest of its rounds: on a shared machine, the least disturbed round is
the nearest to what the store costs (every round is in the JSON). `--merge-rollups` first merges
each rollup table into one part (`OPTIMIZE ... FINAL`, both stores): what a store's rollups look like
once the background merges have caught up, where unmerged parts still hold a key's rows several times.

**Extrapolation to 100M**: per query, the line t(N) = a + b N through the two measured points (N the
observations of each store) is evaluated at N = 100,000,000, and compared with the target, 500 ms
p95. Linear in the rows is the pessimistic case for the queries that read the rollups: a rollup's
rows grow with time x dimensions (minutes x models x names ...), not with spans, so 10x the spans
over the same days adds few rollup rows once merged; it is the expected case for the queries that
read raw rows (traces with their totals, scores), which grow with spans. A slope below zero (the
10M store answered faster: noise) is reported as no growth (the 10M figure). The same line through
the CPU figures gives a second estimate, less moved by the machine's other work.

The writer at 10M (`--writer-spans`, 200,000 by default; 0 skips it): bench/clickhouse_writer.py's
ClickHouse side, `--writer-per-commit` requests per commit, into a fresh store and into a copy of the
10M store (its project 1: the writer's reads before writing look up the commit's traces, span ids
and scores in the whole project), one after the other.

Printed: the build and replication times, per query p95 at 1M and 10M, the growth ratio, the
extrapolated 100M figure and PASS/FAIL against the target (and the same from CPU), disk per table
and per million spans,
peak RSS, the writer's spans/s. The last line is JSON (also `--json-out FILE`).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import clickhouse_analytics as analytics  # noqa: E402  (the stores, the questions and their timing)
import clickhouse_writer  # noqa: E402  (the writer's measurement, run as its own script runs it)

from theodolite.storage.clickhouse.connection import create_schema  # noqa: E402
from theodolite.storage.clickhouse.queries.trace_queries import ClickHouseTraceQueries  # noqa: E402
from theodolite.storage.clickhouse.trace_rollups import TraceRollups, minute_of  # noqa: E402
from theodolite.storage.clickhouse.write_locks import NoLocks  # noqa: E402

TARGET_N = 100_000_000
TARGET_MS = 500.0
BASE_TABLES = ("traces", "observations", "scores")
# The columns that hold a key of copy 0 (or a reference to one), per table: copy k prefixes `ck~`.
KEYS = {
    "traces": ("id", "root_observation_id", "session_id"),
    "observations": ("trace_id", "id", "parent_observation_id"),
    "scores": ("id", "trace_id", "observation_id", "session_id"),
}
COPY_PREFIX = re.compile(r"^c[0-9]+~")
MERGE_WAIT_S = 900


def peak_rss_mb() -> float:
    """This process's peak resident set (VmHWM), the embedded engine included."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def connect(data: Path) -> Any:
    import clickhouse_connect

    return clickhouse_connect.get_client(dsn=f"chdb://{data}")


def one(client: Any, sql: str) -> Any:
    return client.query(sql).result_rows[0]


def figures(client: Any) -> dict[str, int]:
    """Counts and sums that 10 copies must multiply by 10 exactly: base tables' live rows and what the
    views derived (sums over unmerged rows are what a merge would give)."""
    db = f"`{analytics.DATABASE}`"
    found = {}
    found["traces"], found["observations"], found["scores"] = (
        int(one(client, f"SELECT count() FROM {db}.traces FINAL WHERE is_deleted = 0")[0]),
        int(one(client, f"SELECT count() FROM {db}.observations FINAL WHERE is_deleted = 0 AND sign = 1")[0]),
        int(one(client, f"SELECT count() FROM {db}.scores FINAL WHERE is_deleted = 0")[0]),
    )
    for table in ("rollups_minute", "rollups_hour"):
        n, errors, tokens, cost, latency_n = one(
            client,
            f"SELECT sum(n), sum(errors), sum(total_tokens), sum(cost), sum(latency_n) FROM {db}.{table}",
        )
        found |= {
            f"{table}.n": int(n), f"{table}.errors": int(errors), f"{table}.total_tokens": int(tokens),
            f"{table}.cost_e12": int(cost * 10**12), f"{table}.latency_n": int(latency_n),
        }  # fmt: skip
    traces, spans, tokens, cost = one(
        client,
        f"SELECT uniqExact(trace_id), sum(observation_count), sum(total_tokens), sum(total_cost)"
        f" FROM {db}.trace_totals",
    )
    found |= {
        "trace_totals.traces": int(traces), "trace_totals.observation_count": int(spans),
        "trace_totals.total_tokens": int(tokens), "trace_totals.cost_e12": int(cost * 10**12),
    }  # fmt: skip
    if int(one(client, f"EXISTS TABLE {db}.trace_rollups")[0]):
        for cube in ("trace", "user", "tag"):
            n, cost = one(client, f"SELECT sum(n), sum(cost) FROM {db}.trace_rollups FINAL WHERE cube = '{cube}'")
            found |= {
                f"trace_rollups.{cube}.n": int(n or 0),
                f"trace_rollups.{cube}.cost_e12": int((cost or 0) * 10**12),
            }
    return found


def derive_trace_rollups(client: Any) -> dict[str, Any]:
    """A store made before the trace rollups gets them (what `theodolite migrate` and the first
    follower step do), timed; then one follower step of the newest minute is timed: what each step of
    a server costs at this size (that minute's cells and its hour's, for the three cubes)."""
    create_schema(client, analytics.DATABASE)
    rollups = TraceRollups(client, analytics.DATABASE)
    started = time.perf_counter()
    minutes = rollups.step(NoLocks(), time.time_ns)
    derive_s = time.perf_counter() - started
    newest = one(client, f"SELECT max(timestamp) FROM `{analytics.DATABASE}`.traces")[0]
    step_ms = []
    for _ in range(5):
        client.insert(
            f"`{analytics.DATABASE}`.trace_rollup_marks",
            [[1, datetime.fromtimestamp(minute_of(newest.replace(tzinfo=UTC)), UTC), time.time_ns(), 0]],
            column_names=["project_id", "minute", "dirty", "done"],
        )
        started = time.perf_counter()
        rollups.step(NoLocks(), time.time_ns)
        step_ms.append((time.perf_counter() - started) * 1000)
    return {"minutes_derived": minutes, "derive_s": round(derive_s, 1), "step_ms": round(sorted(step_ms)[2], 1)}


def parts(client: Any) -> dict[str, dict[str, int]]:
    """Active parts per table: bytes on disk (compressed), rows (unmerged rows counted), parts."""
    rows = client.query(
        "SELECT table, sum(bytes_on_disk), sum(rows), count() FROM system.parts"
        " WHERE database = {db:String} AND active GROUP BY table ORDER BY table",
        parameters={"db": analytics.DATABASE},
    ).result_rows
    return {table: {"bytes": int(size), "rows": int(count), "parts": int(n)} for table, size, count, n in rows}


def settle(client: Any, deadline_s: float) -> float:
    """Wait (polling, with a deadline) until no merge runs in the database: timings of a store in the
    middle of its merges would measure the merges. Returns the seconds waited."""
    started = time.monotonic()
    quiet = 0
    while time.monotonic() - started < deadline_s:
        running = int(one(client, f"SELECT count() FROM system.merges WHERE database = '{analytics.DATABASE}'")[0])
        quiet = quiet + 1 if running == 0 else 0
        if quiet >= 3:  # three quiet polls in a row: a merge may be scheduled just after another ends
            break
        time.sleep(1.0)
    return round(time.monotonic() - started, 1)


def select_list(client: Any, table: str, copy_index: int) -> tuple[str, str]:
    """(column list, SELECT expressions) of copy `copy_index` of `table`'s rows."""
    columns = [
        name
        for (name,) in client.query(
            "SELECT name FROM system.columns WHERE database = {db:String} AND table = {t:String}"
            " AND default_kind NOT IN ('MATERIALIZED', 'ALIAS', 'EPHEMERAL') ORDER BY position",
            parameters={"db": analytics.DATABASE, "t": table},
        ).result_rows
    ]
    prefix = f"c{copy_index}~"
    expressions = [
        f"if(src.`{name}` = '', '', concat('{prefix}', src.`{name}`)) AS `{name}`"
        if name in KEYS[table]
        else f"src.`{name}`"
        for name in columns
    ]
    return ", ".join(f"`{name}`" for name in columns), ", ".join(expressions)


def replicate(data: Path, copies: int) -> dict[str, Any]:
    """Copies 1 .. copies-1 of the store's copy 0, by INSERT ... SELECT (the views fed by the inserts)."""
    client = connect(data)
    db = f"`{analytics.DATABASE}`"
    for table in BASE_TABLES:  # copy 0 must hold no key that looks like a copy's
        clash = int(one(client, f"SELECT count() FROM {db}.{table} WHERE match(id, '{COPY_PREFIX.pattern}')")[0])
        if clash:
            raise SystemExit(f"{table}: {clash} ids of copy 0 start like a copy's prefix; replicated already?")
    before = figures(client)
    print(f"copy 0: {before}", file=sys.stderr, flush=True)
    steps: list[dict[str, Any]] = []
    started = time.perf_counter()
    for copy_index in range(1, copies):
        for table in BASE_TABLES:
            columns, expressions = select_list(client, table, copy_index)
            # `src.`: the copy's columns are aliased to their own names, and an unqualified name in WHERE
            # would be the alias (the new id), not copy 0's.
            live = "src.is_deleted = 0" + (" AND src.sign = 1" if table == "observations" else "")
            step = time.perf_counter()
            client.command(
                f"INSERT INTO {db}.{table} ({columns}) SELECT {expressions} FROM {db}.{table} AS src FINAL"
                f" WHERE {live} AND NOT match(src.id, '{COPY_PREFIX.pattern}')"
            )
            steps.append({"copy": copy_index, "table": table, "s": round(time.perf_counter() - step, 2)})
            print(f"copy {copy_index} {table}: {steps[-1]['s']} s", file=sys.stderr, flush=True)
    insert_s = time.perf_counter() - started
    # The copies' traces are new: their minutes' trace rollups are derived as the follower derives them.
    rollups = TraceRollups(client, analytics.DATABASE)
    rollups.mark_all(time.time_ns())
    started = time.perf_counter()
    rollups.step(NoLocks(), time.time_ns)
    rollups_s = time.perf_counter() - started
    after = figures(client)
    wrong = {name: (before[name], value) for name, value in after.items() if value != copies * before[name]}
    if wrong:
        raise SystemExit(f"not {copies}x after the copies (before, after): {wrong}")
    merged_s = settle(client, MERGE_WAIT_S)
    result = {
        "copies": copies, "insert_s": round(insert_s, 1), "trace_rollups_s": round(rollups_s, 1),
        "merge_wait_s": merged_s, "steps": steps,
        "before": before, "after": after, "parts": parts(client), "rss_peak_mb": peak_rss_mb(),
    }  # fmt: skip
    client.close()
    return result


def timings(data: Path, runs: int, merge_rollups: bool = False) -> dict[str, Any]:
    """The 13 queries' p95 ms on one store, with its size and this process's peak RSS; with `merge_rollups`,
    after merging each rollup table's parts into one (OPTIMIZE ... FINAL)."""
    client = connect(data)
    merged_s = None
    if merge_rollups:
        started = time.perf_counter()
        for table in ("rollups_minute", "rollups_hour"):
            client.command(f"OPTIMIZE TABLE `{analytics.DATABASE}`.{table} FINAL")
        merged_s = round(time.perf_counter() - started, 1)
    trace_rollups = derive_trace_rollups(client)
    print(f"{data.name} trace rollups: {trace_rollups}", file=sys.stderr, flush=True)
    settled_s = settle(client, MERGE_WAIT_S)
    store = ClickHouseTraceQueries(client, analytics.DATABASE)
    db = f"`{analytics.DATABASE}`"
    spans = int(one(client, f"SELECT count() FROM {db}.observations FINAL WHERE is_deleted = 0 AND sign = 1")[0])
    traces = int(one(client, f"SELECT count() FROM {db}.traces FINAL WHERE is_deleted = 0")[0])
    end = analytics.newest_end(client)
    results = {}
    for name, path, params, start in analytics.questions(end):
        call = partial(analytics.ask, store, 1, path, params, start, end)
        p95_ms, rows, cpu_ms = analytics.measured_with_cpu(call, runs)
        results[name] = {"rows": rows, "p95_ms": round(p95_ms, 1), "cpu_ms": round(cpu_ms, 1)}
        print(f"{data.name} {name}: {rows} rows, p95 {p95_ms:.1f} ms, CPU {cpu_ms:.1f} ms", file=sys.stderr, flush=True)
    found = {
        "observations": spans, "traces": traces, "settle_s": settled_s, "rollups_merged_s": merged_s,
        "trace_rollups": trace_rollups,
        "runs": runs, "results": results,
        "parts": parts(client), "rss_peak_mb": peak_rss_mb(),
    }  # fmt: skip
    client.close()
    return found


def run_one(kind: str, data: Path, runs: int, copies: int) -> dict[str, Any]:
    """This script's `--one KIND DIR` in a process of its own: its last stdout line, parsed."""
    command = [sys.executable, str(Path(__file__).resolve()), "--one", kind, str(data)]
    command += ["--runs", str(runs), "--copies", str(copies)]
    done = subprocess.run(
        command, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}, stdout=subprocess.PIPE, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"{kind} {data}: exit status {done.returncode}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def extrapolate(n1: int, t1: float, n2: int, t2: float, n: int = TARGET_N) -> tuple[float, float]:
    """(t at n, slope in ms per million rows) of the line through (n1, t1) and (n2, t2); a falling line
    (noise) is read as no growth: t2."""
    slope = (t2 - t1) / (n2 - n1)
    if slope <= 0:
        return t2, 0.0
    return t1 + slope * (n - n1), slope * 1e6


def writer_runs(big: Path, spans: int, per_commit: int) -> dict[str, Any]:
    """bench/clickhouse_writer.py's ClickHouse side into a fresh store, then into a copy of the 10M one."""
    found: dict[str, Any] = {}
    empty = clickhouse_writer.parse_args(["--spans", str(spans)])
    found["empty"] = clickhouse_writer.run_side("clickhouse", empty, per_commit)
    print(f"writer, empty store: {found['empty']}", file=sys.stderr, flush=True)
    with tempfile.TemporaryDirectory(dir=big.parent) as scratch:
        into = Path(scratch) / big.name
        shutil.copytree(big, into, symlinks=True)  # its links are relative (data/ -> store/)
        at = clickhouse_writer.parse_args(["--spans", str(spans), "--into", str(into)])
        found["at_10x"] = clickhouse_writer.run_side("clickhouse", at, per_commit)
    print(f"writer, into the {big.name} store: {found['at_10x']}", file=sys.stderr, flush=True)
    return found


def best(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """One store's rounds as one: per query the lowest p95 and CPU of the rounds (on a shared machine the
    least disturbed round is the nearest to the store's own cost), the last round's parts, the highest RSS."""
    merged = {**rounds[-1], "rss_peak_mb": max(r["rss_peak_mb"] for r in rounds)}
    merged["results"] = {
        name: {
            "rows": found["rows"],
            "p95_ms": min(r["results"][name]["p95_ms"] for r in rounds),
            "cpu_ms": min(r["results"][name]["cpu_ms"] for r in rounds),
            "p95_ms_rounds": [r["results"][name]["p95_ms"] for r in rounds],
        }
        for name, found in rounds[-1]["results"].items()
    }
    return merged


def report(small: dict[str, Any], big: dict[str, Any]) -> dict[str, dict[str, Any]]:
    n1, n2 = small["observations"], big["observations"]
    print(
        f"\n{'query':30} {'rows':>6} {'1M p95 ms':>10} {'10M p95 ms':>11} {'10M/1M':>7} {'100M ms':>9} {'≤500':>5}"
        f" {'CPU ms 1M':>10} {'10M':>8} {'100M':>8} {'≤500':>5}"
    )
    rows = {}
    for name, at_1 in small["results"].items():
        at_10 = big["results"][name]
        t100, slope = extrapolate(n1, at_1["p95_ms"], n2, at_10["p95_ms"])
        cpu100, _ = extrapolate(n1, at_1["cpu_ms"], n2, at_10["cpu_ms"])
        growth = at_10["p95_ms"] / at_1["p95_ms"]
        rows[name] = {
            "rows": at_10["rows"], "p95_ms_1m": at_1["p95_ms"], "p95_ms_10m": at_10["p95_ms"],
            "growth": round(growth, 2), "ms_per_million": round(slope, 2), "p95_ms_100m": round(t100, 1),
            "pass": t100 <= TARGET_MS, "cpu_ms_1m": at_1["cpu_ms"], "cpu_ms_10m": at_10["cpu_ms"],
            "cpu_ms_100m": round(cpu100, 1), "cpu_pass": cpu100 <= TARGET_MS,
        }  # fmt: skip
        verdict, cpu_verdict = ("PASS" if ok else "FAIL" for ok in (t100 <= TARGET_MS, cpu100 <= TARGET_MS))
        print(
            f"{name:30} {at_10['rows']:>6} {at_1['p95_ms']:>10.1f} {at_10['p95_ms']:>11.1f} {growth:>7.2f}"
            f" {t100:>9.0f} {verdict:>5} {at_1['cpu_ms']:>10.1f} {at_10['cpu_ms']:>8.1f} {cpu100:>8.0f}"
            f" {cpu_verdict:>5}"
        )
    print(f"\n{'table':16} {'1M MB':>8} {'10M MB':>8} {'MB per M spans at 10M':>22} {'10M rows':>12} {'parts':>6}")
    for table, at_10 in big["parts"].items():
        at_1 = small["parts"].get(table, {"bytes": 0})
        per_million = at_10["bytes"] / (n2 / 1e6) / 1e6
        print(
            f"{table:16} {at_1['bytes'] / 1e6:>8.1f} {at_10['bytes'] / 1e6:>8.1f} {per_million:>22.2f}"
            f" {at_10['rows']:>12,} {at_10['parts']:>6}"
        )
    total_1, total_10 = (sum(t["bytes"] for t in s["parts"].values()) for s in (small, big))
    print(f"{'all':16} {total_1 / 1e6:>8.1f} {total_10 / 1e6:>8.1f} {total_10 / (n2 / 1e6) / 1e6:>22.2f}")
    print(f"peak RSS of the timing process: 1M {small['rss_peak_mb']} MB, 10M {big['rss_peak_mb']} MB")
    return rows


def main() -> int:
    parser = analytics.arguments(__doc__)
    parser.add_argument("--copies", type=int, default=10, help="copies of the 1M store in the big one (10)")
    parser.add_argument("--writer-spans", type=int, default=200_000, help="spans for the writer runs; 0 skips them")
    parser.add_argument("--writer-per-commit", type=int, default=8, help="requests per commit (8)")
    parser.add_argument("--rounds", type=int, default=2, help="timing rounds per store, alternated (2)")
    parser.add_argument(
        "--merge-rollups", action="store_true", help="merge each rollup table into one part before timing"
    )
    parser.add_argument("--json-out", type=Path, help="also write the JSON line here")
    parser.add_argument("--one", nargs=2, metavar=("KIND", "DIR"), help=argparse.SUPPRESS)  # internal
    args = parser.parse_args()
    if args.one is not None:
        kind, data = args.one[0], Path(args.one[1])
        if kind == "replicate":
            found = replicate(data, args.copies)
        else:
            found = timings(data, args.runs, merge_rollups=kind == "time-merged")
        print(json.dumps(found))
        return 0
    db, small, build_s, copy_s = analytics.prepared(args)
    big = db.with_suffix(f".x{args.copies}.chdb")
    marker = big / "replicated"
    if marker.exists():
        made = json.loads(marker.read_text())
    else:
        if big.exists():  # an interrupted build: start again
            shutil.rmtree(big)
        made = {"copy_s": round(analytics.copy(db, big), 1)}
        made["replication"] = run_one("replicate", big, args.runs, args.copies)
        marker.write_text(json.dumps(made) + "\n")
    replication = made["replication"]
    print(
        f"{big.name}: migrate-data {made['copy_s']} s, {args.copies - 1} copies by INSERT ... SELECT"
        f" {replication['insert_s']} s, merges settled {replication['merge_wait_s']} s,"
        f" peak RSS {replication['rss_peak_mb']} MB",
        file=sys.stderr,
    )
    rounds: dict[str, list[dict[str, Any]]] = {"small": [], "large": []}
    kind = "time-merged" if args.merge_rollups else "time"
    for _ in range(args.rounds):  # alternated, so that a busy spell of a shared machine hits both
        rounds["small"].append(run_one(kind, small, args.runs, args.copies))
        rounds["large"].append(run_one(kind, big, args.runs, args.copies))
    small_t, big_t = best(rounds["small"]), best(rounds["large"])
    rows = report(small_t, big_t)
    writer = writer_runs(big, args.writer_spans, args.writer_per_commit) if args.writer_spans else None
    if writer:
        for where, run in writer.items():
            print(f"writer ({where}): {run['spans_per_s']:,} spans/s, {run['db_bytes_per_span']} B/span")
    summary = {
        "benchmark": "clickhouse_scale",
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "build_s": None if build_s is None else round(build_s, 1),
        "copy_s": None if copy_s is None else round(copy_s, 1),
        "big": made,
        "runs": args.runs,
        "merge_rollups": args.merge_rollups,
        "target": {"n": TARGET_N, "p95_ms": TARGET_MS},
        "small": small_t,
        "large": big_t,
        "queries": rows,
        "writer": writer,
    }
    line = json.dumps(summary)
    print(line)
    if args.json_out:
        args.json_out.write_text(line + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
