"""bench/sdk_overhead.py — what a decorated call costs with each tracing SDK, in one run.

    .venv/bin/python bench/sdk_overhead.py                 # 100,000 calls per SDK, ~2 min
    .venv/bin/python bench/sdk_overhead.py --calls 20000   # a quick look

For: no SDK, the OpenTelemetry SDK (BatchSpanProcessor + OTLP/HTTP exporter), Langfuse 5.0.4
(@observe), LangSmith 0.15.0 (@traceable) and Theodolite (@observe), each in its own process,
all exporting to one local sink process that counts the spans it receives. Prints µs per call
(the loop alone, and with the final flush), the overhead over no SDK, spans delivered, and the
OpenTelemetry/Theodolite overhead ratio. Then 1,000,000 Theodolite calls with the server down:
peak RSS and the exact drop count. Langfuse and LangSmith get their own venvs under bench/ on
first use (their pins conflict with ours).
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PEERS = {"langfuse": "langfuse==5.0.4", "langsmith": "langsmith==0.15.0"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def python_for(sdk: str) -> str:
    if sdk not in PEERS:
        return sys.executable
    venv = HERE / f".venv-{sdk}"
    python = venv / "bin" / "python"
    if not python.exists():
        print(f"[{sdk}] creating {venv} ({PEERS[sdk]})", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", PEERS[sdk]], check=True)
    return str(python)


def counts(base: str) -> dict:
    with urllib.request.urlopen(f"{base}/_counts", timeout=10) as response:
        return json.loads(response.read())


def run_worker(sdk: str, calls: int, endpoint: str) -> dict:
    env_path = f"{HERE}:{ROOT}"
    result = subprocess.run([python_for(sdk), str(HERE / "sdk_lib" / "worker.py"), sdk, str(calls), endpoint],
                            capture_output=True, text=True, timeout=1800, env={"PYTHONPATH": env_path,
                            "PATH": "/usr/bin:/bin", "HOME": str(Path.home())})  # fmt: skip
    if result.returncode != 0:
        raise SystemExit(f"[{sdk}] failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=100_000, help="decorated calls per SDK")
    parser.add_argument("--down-calls", type=int, default=1_000_000, help="Theodolite calls with the server down")
    parser.add_argument("--sdks", default="none,otel,langfuse,langsmith,theodolite")
    args = parser.parse_args()

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    sink = subprocess.Popen([sys.executable, str(HERE / "sdk_lib" / "sink.py"), str(port)], stdout=subprocess.PIPE,
                            text=True)  # fmt: skip
    try:
        assert sink.stdout.readline().strip() == "ready"
        rows = {}
        for sdk in args.sdks.split(","):
            before = counts(base)["spans"]
            row = run_worker(sdk, args.calls, base)
            deadline = time.monotonic() + 30
            while sdk != "none" and time.monotonic() < deadline:  # the last export may still be in flight
                row["delivered"] = counts(base)["spans"] - before
                if row["delivered"] >= args.calls + min(1000, args.calls):
                    break
                time.sleep(0.2)  # polling the sink's count with a deadline
            rows[sdk] = row
            print(f"[{sdk}] {row}", file=sys.stderr)
        down = run_worker("theodolite-down", args.down_calls, f"http://127.0.0.1:{free_port()}")
    finally:
        sink.terminate()
        sink.wait(10)

    baseline = rows.get("none", {}).get("total_us", 0.0)
    print(f"\n{'sdk':<12} {'µs/call loop':>13} {'µs/call +flush':>15} {'overhead µs':>12} {'delivered':>10}")
    for sdk, row in rows.items():
        overhead = row["total_us"] - baseline
        row["overhead_us"] = overhead
        delivered = row.get("delivered", "-")
        print(f"{sdk:<12} {row['calls_us']:>13.2f} {row['total_us']:>15.2f} {overhead:>12.2f} {delivered!s:>10}")
    ratio = None
    if "otel" in rows and "theodolite" in rows and rows["theodolite"]["overhead_us"] > 0:
        ratio = rows["otel"]["overhead_us"] / rows["theodolite"]["overhead_us"]
        print(f"\nOpenTelemetry SDK overhead / Theodolite overhead: {ratio:.1f}x (target >= 20x)")
    print(f"Theodolite, server down, {args.down_calls:,} calls: {down['calls_us']:.2f} µs/call, "
          f"peak RSS {down['max_rss_mib']:.0f} MiB, dropped {down['dropped']:,} (counted exactly), "
          f"queued {down['queued']:,}")  # fmt: skip
    print(json.dumps({"benchmark": "sdk_overhead", "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "calls": args.calls,
                      "results": rows, "otel_over_theodolite": ratio, "server_down": down}))  # fmt: skip


if __name__ == "__main__":
    main()
