#!/usr/bin/env python3
"""ClickHouse writer benchmark: `ClickHouseWriter.commit` on embedded ClickHouse (chdb) beside
`SqlWriter.commit` on SQLite, the same demo spans, in the same run.

Demo traffic (`theodolite demo`'s generator: agents of about six spans with payloads, scores) is
generated, priced and prepared once per side, as the decode workers would (the "clickhouse" codec
for ClickHouse, "sqlite" for SQLite); then only the commits are timed, `--per-commit` requests per
commit as the pipeline's group commit would. Each side runs in a process of its own (chdb holds one
data directory per process; neither side inherits the other's memory). Figures per side:

- `prepare_s`: the CPU seconds of preparing every batch (the decode workers' share: ClickHouse's
  search documents are made there);
- `spans_per_s`, `wall_s`, `cpu_s`: the commits alone. ClickHouse's views (rollups, trace totals)
  run inside its inserts; SQLite derives its search index and trace totals after the commits, which
  `derive_s` times (the writer's idle steps) and `sustained_spans_per_s` includes, as in
  `bench/writer.py`;
- `resend_spans_per_s`: the first `--resend-spans` spans committed again (prepared anew: a client's
  retries): what the read-before-write costs when every span is a duplicate;
- `db_bytes_per_span`: the store's size on disk after the run (SQLite: the file after its WAL is
  folded in; ClickHouse: its active parts, compressed, views included; not all merged yet);
- `written_bytes_per_span`: what the process wrote (`wchar`, as `bench/writer.py`), chdb's
  writes included.

The run is bounded: a side stops committing after `--max-seconds` and reports what it wrote.

`--into DIR` writes into an existing chdb data directory instead of a new one (ClickHouse side only,
into its project 1 and database `--into-database`): what a commit costs on a store that already
holds data, since the writer's reads before writing (traces, span ids, scores; `FINAL`, through the
bloom-filter indexes of the whole project) grow with it. The directory is changed: pass a copy.
`db_bytes_per_span` is then the growth of the active parts per span written (merges of the store's
parts during the run can make it small or negative: size a store from its whole size instead).

    .venv/bin/python bench/clickhouse_writer.py                    # 200,000 spans, 8 requests per commit
    .venv/bin/python bench/clickhouse_writer.py --spans 50000 --per-commit 2 8
    .venv/bin/python bench/clickhouse_writer.py --into /tmp/copy-of-a-store.chdb   # into an existing store

The last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from writer import _written_bytes  # noqa: E402  (bench/writer.py: this script's sibling)

SIDES = ("sqlite", "clickhouse")
FIGURES = ("spans_per_s", "wall_s", "cpu_s", "prepare_s", "derive_s", "sustained_spans_per_s",
           "resend_spans_per_s", "written_bytes_per_span", "db_bytes_per_span")  # fmt: skip
TRACES_PER_BATCH = 18  # ~100 spans per request, like bench/writer.py's OTLP requests


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--spans", type=int, default=200_000, help="demo spans to write (default 200000)")
    p.add_argument("--per-commit", type=int, nargs="+", default=[8], help="requests per commit (default 8)")
    p.add_argument("--resend-spans", type=int, default=20_000, help="spans re-sent after the run (default 20000)")
    p.add_argument("--max-seconds", type=float, default=600, help="a side stops committing after this (default 600)")
    p.add_argument("--into", type=Path, help="an existing chdb data directory to write into (ClickHouse side only)")
    p.add_argument("--into-database", default="theodolite", help="its database (default theodolite)")
    p.add_argument("--one", nargs=2, metavar=("SIDE", "PER_COMMIT"), help=argparse.SUPPRESS)  # internal
    return p.parse_args(argv)


def _batches(spans: int) -> list[Any]:
    """Priced demo Batches holding at least `spans` observations, made once and kept in the temp dir."""
    cache = Path(tempfile.gettempdir()) / f"theodolite-bench-chwriter-{spans}.pickle"
    if cache.exists():
        return pickle.loads(cache.read_bytes())
    from datetime import UTC, datetime

    from theodolite.demo.traffic import generate_traffic
    from theodolite.ingestion.costing import price_batch
    from theodolite.pricing import PriceOverrides

    now = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    days = 7
    traces_per_day = -(-spans // (days * 5))  # about 5.6 spans per trace: a little more than asked
    batches, count = [], 0
    traffic = generate_traffic(
        now, random.Random(11), days=days, traces_per_day=traces_per_day, traces_per_batch=TRACES_PER_BATCH
    )
    for batch in traffic:
        batches.append(price_batch(batch, PriceOverrides()))
        count += len(batch.observations)
        if count >= spans:
            break
    cache.write_bytes(pickle.dumps(batches))
    return batches


def _size(path: Path) -> int:
    return path.stat().st_size


def _active_bytes(client: Any, database: str) -> int:
    """The active parts' bytes on disk (merged-away parts stay on disk a few minutes after a merge)."""
    query = "SELECT sum(bytes_on_disk) FROM system.parts WHERE database = {db:String} AND active"
    return int(client.query(query, parameters={"db": database}).result_rows[0][0])


def one_run(
    side: str, spans: int, per_commit: int, resend_spans: int, max_seconds: float, into: Path | None = None,
    into_database: str = "theodolite",
) -> dict[str, float]:  # fmt: skip
    from datetime import UTC, datetime

    from theodolite.storage.rows import prepare_batch

    batches = _batches(spans)
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as scratch:
        store = into or Path(scratch) / ("writer.db" if side == "sqlite" else "clickhouse")
        ch_database = into_database if into else "bench"
        if side == "sqlite":
            from theodolite.storage.engine import open_database
            from theodolite.storage.metadata.projects import get_or_create_project
            from theodolite.storage.writer import SqlWriter

            database = open_database(f"sqlite:///{store}")
            project_id, _ = get_or_create_project(database, "bench")
            writer: Any = SqlWriter(database)
        else:
            from theodolite.storage.clickhouse.writer import ClickHouseWriter

            writer = ClickHouseWriter.from_url(f"chdb://{store}?database={ch_database}")
            project_id = 1
            size_before = _active_bytes(writer.client, ch_database) if into else 0

        def prepare(items: list[Any]) -> list[Any]:
            # As the decode workers prepare: SQLite's search documents are made after the commit
            # (derive_s), ClickHouse's here (`prepare_s`).
            return [prepare_batch(project_id, batch, writer.codec, now) for batch in items]

        prepare_s = time.process_time()
        prepared = prepare(batches)
        prepare_s = time.process_time() - prepare_s
        written_spans, duplicates, deadline = 0, 0, time.monotonic() + max_seconds
        written, cpu, wall = _written_bytes(), time.process_time(), time.perf_counter()
        for start in range(0, len(prepared), per_commit):
            chunk = prepared[start : start + per_commit]
            writer.commit(chunk)
            written_spans += sum(len(item.observation_rows) for item in chunk)
            duplicates += sum(len(item.duplicate_ids) for item in chunk)  # none, unless ids meet stored ones
            if time.monotonic() > deadline:
                break
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        derive = time.perf_counter()
        writer.catch_up()
        derive = time.perf_counter() - derive
        del prepared
        again, resent = [], 0
        for batch in batches:
            if resent >= min(resend_spans, written_spans):
                break
            again.append(batch)
            resent += len(batch.observations)
        again_prepared = prepare(again)
        resend = time.perf_counter()
        for start in range(0, len(again_prepared), per_commit):
            writer.commit(again_prepared[start : start + per_commit])
        writer.catch_up()
        resend = time.perf_counter() - resend
        assert all(len(item.duplicate_ids) == len(item.observation_rows) for item in again_prepared)
        if side == "clickhouse":
            size = _active_bytes(writer.client, ch_database) - size_before
        writer.close()  # SQLite: folds the WAL into the file
        written = _written_bytes() - written
        if side == "sqlite":
            size = _size(store)
        if side == "sqlite":
            database.dispose()
    return {
        "spans": written_spans,
        "duplicates": duplicates,
        "wall_s": round(wall, 3),
        "cpu_s": round(cpu, 3),
        "prepare_s": round(prepare_s, 3),
        "spans_per_s": round(written_spans / wall),
        "derive_s": round(derive, 3),
        "sustained_spans_per_s": round(written_spans / (wall + derive)),
        "resend_spans_per_s": round(resent / resend) if resent else 0,
        "written_bytes_per_span": round(written / written_spans),
        "db_bytes_per_span": round(size / written_spans),
    }


def run_side(side: str, args: argparse.Namespace, per_commit: int) -> dict[str, float]:
    command = [sys.executable, str(Path(__file__).resolve()), "--spans", str(args.spans)]
    command += ["--resend-spans", str(args.resend_spans), "--max-seconds", str(args.max_seconds)]
    command += ["--one", side, str(per_commit)]
    if args.into:
        command += ["--into", str(args.into), "--into-database", args.into_database]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    limit = args.max_seconds * 3 + 900  # preparing and re-sending are not bounded by --max-seconds
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=limit)
    if done.returncode != 0:
        raise SystemExit(f"{side}: {done.stderr.strip().splitlines()[-3:] or done.returncode}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.one is not None:
        side, per_commit = args.one
        figures = one_run(
            side, args.spans, int(per_commit), args.resend_spans, args.max_seconds, args.into, args.into_database
        )
        print(json.dumps(figures))
        return 0
    _batches(args.spans)  # made once, before either side's clock
    sides = ("clickhouse",) if args.into else SIDES
    results: dict[int, dict[str, dict[str, float]]] = {}
    for per_commit in args.per_commit:
        results[per_commit] = {}
        for side in sides:
            results[per_commit][side] = run = run_side(side, args, per_commit)
            print(f"[{side} {per_commit}/commit] {run}", file=sys.stderr, flush=True)
    print(f"{'requests/commit':>15} {'side':>10} {'spans':>8} " + " ".join(f"{name:>22}" for name in FIGURES))
    for per_commit, by_side in results.items():
        for side in sides:
            figures = by_side[side]
            cells = " ".join(f"{figures[name]:>22}" for name in FIGURES)
            print(f"{per_commit:>15} {side:>10} {figures['spans']:>8} {cells}")
        if "sqlite" not in by_side:
            continue
        ch, sq = by_side["clickhouse"], by_side["sqlite"]
        ratio = {name: f"{ch[name] / sq[name]:.2f}" if sq[name] else "-" for name in FIGURES}
        print(f"{per_commit:>15} {'ch/sqlite':>10} {'':>8} " + " ".join(f"{ratio[name]:>22}" for name in FIGURES))
    into = None if args.into is None else str(args.into)
    print(json.dumps({"spans": args.spans, "into": into, "results": results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
