#!/usr/bin/env python3
"""Writer-only benchmark: the ingest writer's cost per span, without HTTP, decoding or clients.

`bench/ingest.py` measures the whole server, but on a 2-core machine its figure moves by +-10%
between runs (its eight clients, the decode worker and the writer share the cores) and mixes the
writer with everything else. This one decodes `bench/ingest.py`'s load once (the same bodies:
agent traces of three spans, 100 spans per request), then times `SqlWriter.commit` alone on a new
SQLite database, committing N requests per transaction as the pipeline's group commit would:

- wall and CPU seconds of the commits (the writer thread is what `bench/ingest.py` saturates);
- on SQLite, the seconds the writer then spends deriving the search index and the trace totals
  (`derive_s`, after the commits, as its idle steps would) and the spans/s of commits and
  derivation together (`sustained_spans_per_s`: what a writer saturated for long keeps up);
- bytes written per span: what the process wrote (`wchar` of /proc/self/io: WAL frames and the
  checkpoints' copies), the figure that explains the others. A row inserted at a random place of
  an index dirties a whole 4 KiB page, which each commit writes to the WAL again, so small commits
  and random-order indexes cost far more than the rows' size (docs/ingestion.md);
- database bytes per span after the run.

    .venv/bin/python bench/writer.py                           # 60,000 spans; 2 and 8 requests per commit
    .venv/bin/python bench/writer.py --per-commit 2 --repeat 3
    .venv/bin/python bench/writer.py --against ../other-checkout   # the same in another checkout, and the ratios
    .venv/bin/python bench/writer.py --postgres-url postgresql://postgres@127.0.0.1:5432/postgres

`--against DIR` runs this script with DIR's code (DIR/.venv/bin/python, DIR on the path) right
after each of this checkout's runs, alternating, and prints both and this/other ratios: compare a
change with the commit before it. The last line is JSON.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--spans", type=int, default=60_000, help="spans to write (default 60000)")
    p.add_argument(
        "--per-commit", type=int, nargs="+", default=[2, 8], help="requests of 100 spans per transaction (default 2 8)"
    )
    p.add_argument("--repeat", type=int, default=1, help="runs per setting (default 1; medians are printed)")
    p.add_argument("--against", type=Path, help="another checkout (with its .venv) to run alternately")
    p.add_argument("--spread-s", type=int, default=3600, help="traces start within this many seconds (default 3600)")
    p.add_argument(
        "--postgres-url",
        help="PostgreSQL server to run on instead of SQLite (postgresql://user@host:port/any-db): each run "
        "creates a new database there and drops it after",
    )
    p.add_argument("--one", type=int, help=argparse.SUPPRESS)  # internal: one run, prints one JSON line
    return p.parse_args(argv)


def _bodies(spans: int, spread_s: int = 3600) -> list[bytes]:
    """bench/ingest.py's request bodies, built once per size and kept in the temp dir."""
    cache = Path(tempfile.gettempdir()) / f"theodolite-bench-writer-{spans}-{spread_s}.pickle"
    if cache.exists():
        return pickle.loads(cache.read_bytes())
    sys.path.insert(0, str(HERE))
    from ingest_lib.payload import build_bodies

    bodies, _ = build_bodies(spans, 100, spread_s=spread_s)
    cache.write_bytes(pickle.dumps(bodies))
    return bodies


def _written_bytes() -> int:
    with open("/proc/self/io") as io:
        for line in io:
            if line.startswith("wchar:"):
                return int(line.split()[1])
    return 0


def one_run(spans: int, per_commit: int, spread_s: int = 3600, postgres_url: str | None = None) -> dict[str, float]:
    """Decode, then commit `per_commit` requests per transaction into a new database."""
    from datetime import UTC, datetime

    from theodolite.ingestion.adapters.otlp import decode_traces
    from theodolite.ingestion.costing import price_batch
    from theodolite.pricing import PriceOverrides
    from theodolite.storage.codec import ValueCodec
    from theodolite.storage.engine import open_database
    from theodolite.storage.metadata.projects import get_or_create_project
    from theodolite.storage.rows import prepare_batch
    from theodolite.storage.writer import SqlWriter

    bodies = _bodies(spans, spread_s)
    with tempfile.TemporaryDirectory() as scratch, _scratch_database(scratch, postgres_url) as url:
        path = Path(scratch) / "writer.db"
        database = open_database(url)
        project_id, _ = get_or_create_project(database, "bench")
        codec = ValueCodec(database.dialect_name)
        now = datetime.now(UTC)
        prepared = [
            prepare_batch(project_id, price_batch(decode_traces(body, "protobuf", 1000), PriceOverrides()), codec, now)
            for body in bodies
        ]
        writer = SqlWriter(database)
        written, cpu, wall = _written_bytes(), time.process_time(), time.perf_counter()
        for start in range(0, len(prepared), per_commit):
            writer.commit(prepared[start : start + per_commit])
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        # What SQLite derives after the commits (search documents, trace totals), in the steps the
        # idle writer takes: the rest of the writer's work per span. 0 in a checkout without it.
        derive = time.perf_counter()
        getattr(writer, "catch_up", lambda: 0)()
        derive = time.perf_counter() - derive
        writer.close()  # folds the WAL into the file: its writes are the writer's too
        written = _written_bytes() - written
        size = path.stat().st_size if postgres_url is None else _postgres_size(database)
        database.dispose()
    return {
        "wall_s": round(wall, 3),
        "cpu_s": round(cpu, 3),
        "spans_per_s": round(spans / wall),
        "derive_s": round(derive, 3),
        "sustained_spans_per_s": round(spans / (wall + derive)),
        "written_bytes_per_span": round(written / spans),
        "db_bytes_per_span": round(size / spans),
    }


@contextlib.contextmanager
def _scratch_database(scratch: str, postgres_url: str | None) -> Iterator[str]:
    """A new, empty database's URL: a file in `scratch`, or a database created on the PostgreSQL
    server and dropped after the run."""
    if postgres_url is None:
        yield f"sqlite:///{Path(scratch) / 'writer.db'}"
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"theodolite_bench_writer_{os.getpid()}"
    admin = create_engine(make_url(postgres_url).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def _postgres_size(database: Any) -> int:
    from sqlalchemy import text

    with database.connect() as conn:
        return int(conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one())


def _run_in(checkout: Path, spans: int, per_commit: int, spread_s: int, postgres_url: str | None) -> dict[str, float]:
    python = checkout / ".venv" / "bin" / "python"
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    command = [str(python), str(Path(__file__).resolve()), "--spans", str(spans), "--one", str(per_commit),
               "--spread-s", str(spread_s), *(["--postgres-url", postgres_url] if postgres_url else [])]  # fmt: skip
    done = subprocess.run(command, cwd=checkout, env=env, capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        raise SystemExit(f"{checkout}: {done.stderr.strip().splitlines()[-1:] or done.returncode}")
    return json.loads(done.stdout.strip().splitlines()[-1])


FIGURES = (
    "spans_per_s", "wall_s", "cpu_s", "derive_s", "sustained_spans_per_s", "written_bytes_per_span",
    "db_bytes_per_span",
)  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.one is not None:
        print(json.dumps(one_run(args.spans, args.one, args.spread_s, args.postgres_url)))
        return 0
    sides = {"this": REPO} | ({"other": args.against.resolve()} if args.against else {})
    results: dict[str, dict[int, dict[str, float]]] = {side: {} for side in sides}
    for per_commit in args.per_commit:
        runs: dict[str, list[dict[str, float]]] = {side: [] for side in sides}
        for index in range(args.repeat):
            for side, checkout in sides.items():
                run = _run_in(checkout, args.spans, per_commit, args.spread_s, args.postgres_url)
                runs[side].append(run)
                print(f"[{side} {per_commit}/commit run {index + 1}] {run}", file=sys.stderr, flush=True)
        for side in sides:
            medians = {name: statistics.median(r[name] for r in runs[side]) for name in FIGURES}
            results[side][per_commit] = {
                name: round(value, 2 if name.endswith("_s") else None) for name, value in medians.items()
            }
    header = f"{'requests/commit':>15} {'side':>6} " + " ".join(f"{name:>22}" for name in FIGURES)
    print(header)
    for per_commit in args.per_commit:
        for side in sides:
            figures = results[side][per_commit]
            print(f"{per_commit:>15} {side:>6} " + " ".join(f"{figures[name]:>22}" for name in FIGURES))
        if "other" in sides:
            this, other = results["this"][per_commit], results["other"][per_commit]
            ratio = {name: f"{this[name] / other[name]:.2f}" if other[name] else "-" for name in FIGURES}
            print(f"{per_commit:>15} {'ratio':>6} " + " ".join(f"{ratio[name]:>22}" for name in FIGURES))
    print(json.dumps({"spans": args.spans, "repeat": args.repeat, "results": results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
