"""bench/list_api.py — the trace list's filters and sorts, sessions and users on 1,000,000 observations.

    .venv/bin/python bench/list_api.py                       # SQLite; builds the database on first use (~2 min)
    .venv/bin/python bench/list_api.py --runs 50
    .venv/bin/python bench/list_api.py --database-url postgresql://user@127.0.0.1:5432/db

The database is the demo's: `theodolite demo --days 7 --traces-per-day 25700 --no-serve`, about
180,000 traces and 1,000,000 observations, built once and reused (SQLite: `--db PATH`, default
bench/results/list-api-demo.db, git-ignored; PostgreSQL: built when the database has no trace).
Then a real `theodolite serve` runs on it, and each filter and sort of the trace list (common and
rare values, and combinations), and the sessions and users lists, are requested `--runs` times over
one keep-alive connection after two
warm-up requests. Printed per filter: traces returned, p50 / p95 / max milliseconds, and PASS or
FAIL against `--target-ms` at p95 (100). The last line is JSON. Exit status 1 if any filter fails.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SECRET = "sk-bench"
ENV = {
    "THEODOLITE_INIT_PROJECT": "default",  # the project `theodolite demo` fills
    "THEODOLITE_INIT_PUBLIC_KEY": "pk-bench",
    "THEODOLITE_INIT_SECRET_KEY": SECRET,
}
DEMO = ["--days", "7", "--traces-per-day", "25700", "--no-serve"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """`theodolite serve` in its own process group, output in a log file."""

    def __init__(self, url: str, log: Path, extra_env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.log_path = log
        self._log = open(log, "wb")
        command = [sys.executable, "-m", "theodolite", "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        env = {**os.environ, **ENV, "THEODOLITE_DATABASE_URL": url, "THEODOLITE_DEMO_LIVE_INTERVAL_S": "0",
               **(extra_env or {})}  # fmt: skip
        self.proc = subprocess.Popen(
            command, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + 300  # the first start on an old database may migrate it
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}; see {log}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/api/v1/health")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.25)  # polling readiness, bounded by the deadline
        raise RuntimeError(f"server not ready after 300 s; see {log}")

    def get(self, conn: http.client.HTTPConnection, path: str) -> tuple[int, dict]:
        conn.request("GET", path, headers={"Authorization": f"Bearer {SECRET}"})
        response = conn.getresponse()
        body = response.read()
        return response.status, json.loads(body) if body else {}

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)  # the group this script created
                self.proc.wait(10)
        self._log.close()


def build(url: str) -> float:
    started = time.monotonic()
    print(f"building the demo database in {url} (theodolite demo {' '.join(DEMO)}) ...", file=sys.stderr)
    env = {**os.environ, **ENV}
    subprocess.run([sys.executable, "-m", "theodolite", "demo", *DEMO, "--database-url", url], env=env, check=True)
    return time.monotonic() - started


def filters(newest: datetime) -> dict[str, dict]:
    """Each filter of the list API, with a common and a rare (absent) value, and combinations."""
    day = {"from": (newest - timedelta(days=3)).isoformat(), "to": (newest - timedelta(days=2)).isoformat()}
    hour = {"from": (newest - timedelta(days=3)).isoformat(), "to": (newest - timedelta(days=3, hours=-1)).isoformat()}
    return {
        "none": {},
        "model (requested alias)": {"model": "gpt-4o-mini"},
        "model (response only)": {"model": "gpt-4o-2024-08-06"},
        "model (rare: absent)": {"model": "no-such-model"},
        "level=ERROR": {"level": "ERROR"},
        "level=WARNING": {"level": "warning"},
        "level=DEFAULT": {"level": "DEFAULT"},
        "level=DEBUG (absent)": {"level": "debug"},
        "user": {"user_id": "user-040"},
        "user (absent)": {"user_id": "no-such-user"},
        "session (absent)": {"session_id": "no-such-session"},
        "name": {"name": "triage-ticket"},
        "name (absent)": {"name": "no-such-name"},
        "tag": {"tags": "eval"},
        "tag (absent)": {"tags": "no-such-tag"},
        "two tags": {"tags": ["prod", "beta"]},
        "release": {"release": "v1.4.0"},
        "release (absent)": {"release": "v0.0.0"},
        "environment": {"environment": "production"},
        "environment (absent)": {"environment": "staging"},
        "time range (1 day)": day,
        "time range (1 hour)": hour,
        "model + user": {"model": "gpt-4o-mini", "user_id": "user-040"},
        "model + level=ERROR": {"model": "gpt-4o-mini", "level": "ERROR"},
        "model + tag (absent)": {"model": "gpt-4o-mini", "tags": "no-such-tag"},
        "model + name": {"model": "o3-mini", "name": "research-task"},
        "level=ERROR + time range": {"level": "ERROR", **day},
        "model (absent) + time range": {"model": "no-such-model", **day},
        "name + tag + release": {"name": "support-chat", "tags": "eval", "release": "v1.5.0"},
        # Full-text search of inputs and outputs (storage/search.py): common, rare, absent, other scripts.
        "search (common word)": {"search": "password"},
        "search (phrase, prefix)": {"search": "refund pol"},
        "search (rare: a ticket number)": {"search": "T-92726"},
        "search (absent)": {"search": "xyzzy"},
        "search (Japanese)": {"search": "パスワード"},
        "search (Chinese)": {"search": "退款"},
        "search (one CJK character)": {"search": "款"},
        "search (Russian)": {"search": "экспорт"},
        "search + model": {"search": "password", "model": "gpt-4o-mini"},
        "search + user": {"search": "password", "user_id": "user-040"},
        "search + level=ERROR": {"search": "password", "level": "ERROR"},
        "search + time range (1 hour)": {"search": "password", **hour},
        "search (absent) + time range": {"search": "xyzzy", **day},
        "search (Russian) + name": {"search": "экспорт", "name": "support-chat"},
        # Other orders (trace_totals, trace_scores, the traces' user and session indexes).
        **{f"sort={sort}": {"sort": sort} for sort in SORTS},
        **{f"sort={sort} asc": {"sort": sort, "order": "asc"} for sort in SORTS},
        "sort=cost, page 2": {"sort": "cost", NEXT_PAGE: True},
        "sort=score, page 2": {"sort": "score:relevance", NEXT_PAGE: True},
        "sort=cost + time range": {"sort": "cost", **day},
        "sort=latency + level=ERROR": {"sort": "latency", "level": "ERROR"},
        "sort=cost + model": {"sort": "cost", "model": "gpt-4o-mini"},
        "sort=tokens + user": {"sort": "tokens", "user_id": "user-040"},
        "sort=cost + model (absent)": {"sort": "cost", "model": "no-such-model"},
        # Filters on the totals and scores.
        "cost_min": {"cost_min": "0.01"},
        "cost_min (absent)": {"cost_min": "1000000"},
        "cost range + time range": {"cost_min": "0.001", "cost_max": "0.01", **day},
        "latency_min": {"latency_min": "5"},
        "latency_min (absent)": {"latency_min": "100000"},
        "score": {"score": "relevance>=0.8"},
        "score (absent)": {"score": "relevance>2"},
        "score + cost + sort=latency": {"score": "user-feedback>0.5", "cost_min": "0.001", "sort": "latency"},
        # Sessions and users (group_rollups).
        "sessions": {PATH: "/api/v1/sessions"},
        "sessions, page 2": {PATH: "/api/v1/sessions", NEXT_PAGE: True},
        "sessions + time range": {PATH: "/api/v1/sessions", **day},
        "sessions + last 24 h": {PATH: "/api/v1/sessions", "from": (newest - timedelta(days=1)).isoformat()},
        "users": {PATH: "/api/v1/users"},
        "users + time range": {PATH: "/api/v1/users", **day},
        "users + last 24 h": {PATH: "/api/v1/users", "from": (newest - timedelta(days=1)).isoformat()},
    }


PATH, NEXT_PAGE = "_path", "_next_page"  # a case's list, and whether to measure its second page
SORTS = ("name", "user", "session", "tags", "latency", "tokens", "cost", "level", "score:relevance")


def demo_database(args: argparse.Namespace, log_name: str) -> tuple[str, float | None, Path]:
    """(database URL, seconds taken to build it or None, server log path) of a benchmark's arguments
    `--db` / `--database-url`: the SQLite demo file is built when missing."""
    url = args.database_url or f"sqlite:///{args.db.resolve()}"
    build_s = None
    if args.database_url is None and not args.db.exists():
        args.db.parent.mkdir(parents=True, exist_ok=True)
        build_s = build(url)
    log = HERE / "results" / log_name
    log.parent.mkdir(parents=True, exist_ok=True)
    return url, build_s, log


def timed(server: Server, conn: http.client.HTTPConnection, path: str) -> tuple[float, dict]:
    """(milliseconds, body) of one GET; an answer other than 200 stops the benchmark."""
    started = time.perf_counter()
    status, body = server.get(conn, path)
    elapsed = (time.perf_counter() - started) * 1000
    if status != 200:
        raise RuntimeError(f"{path}: HTTP {status} {body}")
    return elapsed, body


def print_summary(benchmark: str, url: str, build_s: float | None, results: dict, **settings: object) -> None:
    """The benchmark's last line: its figures as JSON, with the machine and the settings."""
    summary = {
        "benchmark": benchmark,
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "engine": "postgresql" if url.startswith("postgres") else "sqlite",
        **settings,
        "build_s": None if build_s is None else round(build_s, 1),
        "results": results,
    }
    print(json.dumps(summary, separators=(",", ":")))


def measure(server: Server, params: dict, runs: int, limit: int) -> dict:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=600)
    params = dict(params)
    endpoint, next_page = params.pop(PATH, "/api/v1/traces"), params.pop(NEXT_PAGE, False)
    path = endpoint + "?" + urlencode({**params, "limit": limit}, doseq=True)
    if next_page:
        status, body = server.get(conn, path)
        if status != 200 or not body.get("next_cursor"):
            raise RuntimeError(f"{path}: no second page (HTTP {status})")
        path += "&" + urlencode({"cursor": body["next_cursor"]})
    times, returned = [], 0
    for index in range(runs + 2):  # two warm-up requests, not counted
        elapsed, body = timed(server, conn, path)
        returned = len(body["data"])
        if index >= 2:
            times.append(elapsed)
    conn.close()
    times.sort()
    return {
        "returned": returned,
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[max(0, int(len(times) * 0.95 + 0.5) - 1)], 1),
        "max_ms": round(times[-1], 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, default=HERE / "results" / "list-api-demo.db", help="SQLite file")
    parser.add_argument("--database-url", help="a PostgreSQL URL instead of the SQLite file")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--limit", type=int, default=50, help="page size")
    parser.add_argument("--target-ms", type=float, default=100.0)
    parser.add_argument("--only", help="only the cases whose name contains this text")
    args = parser.parse_args()
    url, build_s, log = demo_database(args, "list-api-server.log")
    server = Server(url, log)
    try:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=600)
        status, newest = server.get(conn, "/api/v1/traces?limit=1")
        if status == 200 and not newest["data"]:
            server.stop()
            build_s = build(url)
            server = Server(url, log)
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=600)
            status, newest = server.get(conn, "/api/v1/traces?limit=1")
        conn.close()
        if status != 200 or not newest["data"]:
            raise RuntimeError(f"no traces to list (HTTP {status})")
        latest = datetime.fromisoformat(newest["data"][0]["timestamp"].replace("Z", "+00:00"))
        results, failed = {}, []
        print(f"{'case':32} {'rows':>6} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}  verdict")
        for name, params in filters(latest).items():
            if args.only and args.only not in name:
                continue
            result = measure(server, params, args.runs, args.limit)
            result["pass"] = result["p95_ms"] <= args.target_ms
            results[name] = result
            if not result["pass"]:
                failed.append(name)
            verdict = "PASS" if result["pass"] else "FAIL"
            print(
                f"{name:32} {result['returned']:>6} {result['p50_ms']:>8.1f} {result['p95_ms']:>8.1f} "
                f"{result['max_ms']:>8.1f}  {verdict}",
                flush=True,
            )
    finally:
        server.stop()
    engine = "postgresql" if url.startswith("postgres") else "sqlite"
    print(f"{len(results) - len(failed)}/{len(results)} filters at p95 <= {args.target_ms:g} ms ({engine})")
    print_summary("list_api", url, build_s, results, runs=args.runs, limit=args.limit, target_ms=args.target_ms)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
