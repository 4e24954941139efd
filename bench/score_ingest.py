"""bench/score_ingest.py — POST /api/v1/scores throughput, with and without score configs.

    .venv/bin/python bench/score_ingest.py                          # this checkout, without then with configs
    .venv/bin/python bench/score_ingest.py --repo /work/main --no-configs   # another checkout (before)

Starts `theodolite serve` on a fresh SQLite file from `--repo` (its .venv's python), sends
`--requests` requests of `--scores` scores each (names cycling over stars, tone, correct and an
unconfigured one; every value valid) from `--clients` keep-alive connections, and prints the
scores per second (acknowledged, i.e. committed) and the request latency p50/p99. With configs, the
project first gets a NUMERIC 1-5 `stars`, a CATEGORICAL `tone` with numbers and a BOOLEAN `correct`,
so that three scores in four are checked against a config; the server keeps them in its cached copy,
so the check costs no query. A warm-up round is sent before timing.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
SECRET = "sk-bench"
HEADERS = {"Content-Type": "application/json", "Authorization": f"Bearer {SECRET}"}
CONFIGS = [
    {"name": "stars", "data_type": "NUMERIC", "min_value": 1, "max_value": 5},
    {"name": "tone", "data_type": "CATEGORICAL", "categories": [{"label": "rude", "value": 0},
                                                                 {"label": "polite", "value": 1}]},
    {"name": "correct", "data_type": "BOOLEAN"},
]  # fmt: skip
VALUES = [("stars", 4), ("tone", "polite"), ("correct", True), ("free", 0.5)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(repo: Path, workdir: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    python = repo / ".venv" / "bin" / "python"
    command = [str(python), "-m", "theodolite", "serve", "--host", "127.0.0.1", "--port", str(port),
               "--database-url", f"sqlite:///{workdir / 'theodolite.db'}"]  # fmt: skip
    env = {**os.environ, "THEODOLITE_INIT_PROJECT": "bench", "THEODOLITE_INIT_PUBLIC_KEY": "pk-bench",
           "THEODOLITE_INIT_SECRET_KEY": SECRET, "PYTHONPATH": str(repo)}  # fmt: skip
    log = open(workdir / "server.log", "wb")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen(command, cwd=repo, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/v1/health")
            if conn.getresponse().status == 200:
                return process, port
        except OSError:
            pass
        time.sleep(0.1)  # polling readiness with a deadline
    process.terminate()
    raise RuntimeError(f"server not ready; see {workdir / 'server.log'}")


def body(scores: int) -> bytes:
    trace = uuid.uuid4().hex
    items = [{"trace_id": trace, "name": VALUES[n % 4][0], "value": VALUES[n % 4][1]} for n in range(scores)]
    return json.dumps({"scores": items}).encode()


def run(port: int, requests: int, scores: int, clients: int) -> tuple[float, list[float]]:
    bodies = [body(scores) for _ in range(requests)]
    latencies: list[float] = []
    lock = threading.Lock()

    def client(mine: list[bytes]) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for payload in mine:
            started = time.perf_counter()
            conn.request("POST", "/api/v1/scores", body=payload, headers=HEADERS)
            response = conn.getresponse()
            text = response.read()
            if response.status != 200:
                raise RuntimeError(f"{response.status}: {text[:300]!r}")
            with lock:
                latencies.append((time.perf_counter() - started) * 1000)

    threads = [threading.Thread(target=client, args=(bodies[n::clients],)) for n in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return requests * scores / (time.perf_counter() - started), latencies


def measure(repo: Path, with_configs: bool, args: argparse.Namespace) -> dict:
    with tempfile.TemporaryDirectory(prefix="score-bench-") as tmp:
        process, port = start(repo, Path(tmp))
        try:
            if with_configs:
                for config in CONFIGS:
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                    conn.request("POST", "/api/v1/score-configs", body=json.dumps(config), headers=HEADERS)
                    assert conn.getresponse().status == 201
            run(port, max(10, args.requests // 10), args.scores, args.clients)  # warm-up
            rates, all_latencies = [], []
            for _ in range(args.rounds):
                rate, latencies = run(port, args.requests, args.scores, args.clients)
                rates.append(rate)
                all_latencies += latencies
        finally:
            process.terminate()
            process.wait(timeout=30)
    all_latencies.sort()
    return {
        "repo": str(repo), "configs": with_configs, "scores_per_s": round(statistics.median(rates)),
        "rounds": [round(r) for r in rates],
        "p50_ms": round(all_latencies[len(all_latencies) // 2], 1),
        "p99_ms": round(all_latencies[int(len(all_latencies) * 0.99)], 1),
    }  # fmt: skip


def micro(repeats: int = 200) -> dict:
    """In this process, no server: microseconds per score of what the route does to a request of 100
    scores (parse and build the Score objects) and of the config check added to it, on a SQLite file."""
    from theodolite.server.routes.scores import ScoresIn
    from theodolite.server.score_config_book import ScoreConfigBook, check_scores
    from theodolite.storage.engine import open_database
    from theodolite.storage.metadata.projects import get_or_create_project
    from theodolite.storage.metadata.score_configs import create_score_config, parse_categories

    with tempfile.TemporaryDirectory(prefix="score-micro-") as tmp:
        database = open_database(f"sqlite:///{Path(tmp) / 'm.db'}")
        project, _ = get_or_create_project(database, "bench")
        for config in CONFIGS:
            create_score_config(
                database, project, config["name"], config["data_type"], min_value=config.get("min_value"),
                max_value=config.get("max_value"), categories=parse_categories(config.get("categories")),
            )  # fmt: skip
        configs = ScoreConfigBook(database).load(project)
        database.dispose()
    document = json.loads(body(100))
    parsed = ScoresIn.model_validate(document)
    references = [(None, None)] * len(parsed.scores)

    def timed(work: Callable[[], object]) -> float:  # microseconds per score
        started = time.perf_counter()
        for _ in range(repeats):
            work()
        return (time.perf_counter() - started) / (repeats * len(parsed.scores)) * 1e6

    parse = timed(lambda: [score.to_model() for score in ScoresIn.model_validate(document).scores])
    build = timed(lambda: [score.to_model() for score in parsed.scores])
    checked = timed(lambda: check_scores(configs, [score.to_model() for score in parsed.scores], references))
    return {"parse_and_build_us_per_score": round(parse, 2), "check_us_per_score": round(checked - build, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, default=HERE.parent, help="checkout to serve (uses its .venv)")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--scores", type=int, default=100, help="scores per request")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds; the median is reported")
    parser.add_argument("--no-configs", action="store_true", help="only the run without configs")
    parser.add_argument("--micro", action="store_true", help="only the in-process cost of the check per score")
    args = parser.parse_args()
    if args.micro:
        print(json.dumps(micro()), flush=True)
        return
    for with_configs in (False,) if args.no_configs else (False, True):
        print(json.dumps(measure(args.repo, with_configs, args)), flush=True)


if __name__ == "__main__":
    main()
