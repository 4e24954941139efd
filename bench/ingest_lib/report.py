"""Figures -> a table for people and one JSON line for the README and for scripts."""

from __future__ import annotations

import json
import math


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


# (key in a server's result, label, format, is it compared as a ratio?)
ROWS = [
    ("version", "version", "{}", False),
    ("spans_acked", "spans acknowledged (2xx)", "{:,}", False),
    ("spans_stored", "spans stored (counted in DB)", "{:,}", False),
    ("seconds_to_stored", "seconds, first send -> all stored", "{:,.1f}", False),
    ("stored_spans_per_s", "stored spans/s", "{:,.1f}", True),
    ("latency_ms_p50", "request latency p50 (ms)", "{:,.1f}", True),
    ("latency_ms_p99", "request latency p99 (ms)", "{:,.1f}", True),
    ("rss_idle_mb", "RSS idle after start (MiB)", "{:,.0f}", False),
    ("rss_peak_mb", "RSS peak, process tree (MiB)", "{:,.0f}", True),
    ("bytes_per_span", "disk bytes/span (db+wal+shm)", "{:,.0f}", True),
    ("bytes_per_span_after_stop", "disk bytes/span after stop", "{:,.0f}", False),
    ("server_cpu_s", "server CPU s (user+sys)", "{:,.1f}", False),
    ("client_cpu_s", "load generator CPU s", "{:,.1f}", False),
    ("throttled", "429/503 answers (retried)", "{:,}", False),
    ("failed_requests", "requests failed", "{:,}", False),
    ("unsent_requests", "requests not sent (time up)", "{:,}", False),
    ("stalled", "stopped early: nothing acknowledged", "{}", False),
    ("drain_complete", "all acknowledged spans stored", "{}", False),
]


def ratios(results: dict) -> dict:
    t, p = results.get("theodolite"), results.get("phoenix")
    if not t or not p:
        return {}
    out = {}
    for key, _, _, compare in ROWS:
        if compare and t.get(key) and p.get(key):
            out[key] = round(t[key] / p[key], 3)
    return out


def table(results: dict, ratio: dict) -> str:
    names = [n for n in ("theodolite", "phoenix") if n in results]
    head = ["metric"] + names + (["theodolite/phoenix"] if ratio else [])
    lines = []
    for key, label, fmt, _ in ROWS:
        row = [label]
        for n in names:
            v = results[n].get(key)
            row.append("-" if v is None else fmt.format(v))
        if ratio:
            row.append(f"{ratio[key]:,.2f}x" if key in ratio else "")
        lines.append(row)
    widths = [max(len(str(r[i])) for r in [head] + lines) for i in range(len(head))]

    def fmt_row(r: list) -> str:  # label left-aligned, figures right-aligned
        return "  ".join(
            str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))
        )

    sep = "  ".join("-" * w for w in widths)
    return "\n".join([fmt_row(head), sep] + [fmt_row(r) for r in lines])


def json_line(payload: dict) -> str:
    return json.dumps(payload, separators=(",", ":"), sort_keys=False)
