"""`theodolite doctor`: the troubleshooting steps teams ran by hand, as one command. Each check prints a
verdict and, when something is wrong, the fix."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import click

from theodolite.cli.common import DATABASE_OPTIONS, settings_from
from theodolite.cli.options import settings_options

OK, WARN, FAIL, SKIP = "ok", "warn", "FAIL", "skip"
MARKS = {OK: "✔", WARN: "!", FAIL: "✘", SKIP: "-"}
STALE_AFTER = timedelta(hours=1)


@dataclass
class Check:
    name: str
    verdict: str
    detail: str
    fix: str = ""


def _get(url: str, token: str | None = None, timeout: float = 5.0) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - URLs the user gave
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def check_database(url: str) -> list[Check]:
    from theodolite.errors import ConfigurationError
    from theodolite.storage.inventory import take_inventory

    try:
        counts, latest, revision, head = take_inventory(url)
    except ConfigurationError as exc:
        return [Check("database", FAIL, exc.message)]  # the message says what to do
    except Exception as exc:  # noqa: BLE001 - any failure here is the finding
        reason = str(getattr(exc, "orig", None) or exc).strip()
        return [Check("database", FAIL, (reason.splitlines() or ["unreachable"])[0][:200],
                      "check --database-url / THEODOLITE_DATABASE_URL, and that the server (PostgreSQL) is up; "
                      "run `theodolite migrate` on a new database")]  # fmt: skip
    summary = (f"reachable; {counts['traces']:,} traces, {counts['observations']:,} observations, "
               f"{counts['scores']:,} scores, {counts['projects']} projects")  # fmt: skip
    found = [Check("database", OK, summary)]
    if revision != head:
        found.append(Check("schema", FAIL, f"revision {revision}, the code needs {head}", "run `theodolite migrate`"))
    else:
        found.append(Check("schema", OK, f"revision {revision} (current)"))
    if latest is None:
        hint = "point your application's OTLP exporter or the SDK at the server (README: Use it)"
        found.append(Check("latest trace", WARN, "no trace stored yet", hint))
    else:
        age = datetime.now(UTC) - (latest if latest.tzinfo else latest.replace(tzinfo=UTC))
        verdict = OK if age <= STALE_AFTER else WARN
        found.append(Check("latest trace", verdict, f"{_age(age)} ago ({latest:%Y-%m-%d %H:%M} UTC)",
                           "" if verdict == OK else "is the application sending? check its endpoint and key; "
                           "`theodolite serve` logs refused requests"))  # fmt: skip
    return found


def check_metrics(server_url: str, token: str | None) -> Check:
    try:
        status, body = _get(f"{server_url.rstrip('/')}/metrics", token)
    except (urllib.error.URLError, OSError) as exc:
        return Check("/metrics", FAIL, f"{server_url} unreachable: {exc}",
                     "start it with `theodolite serve`, or pass --server-url")  # fmt: skip
    if status == 401:
        return Check("/metrics", FAIL, "401: a token is required", "pass --metrics-token (the metrics_token setting)")
    if status == 403:
        return Check(
            "/metrics",
            FAIL,
            "403: without a metrics token the server answers loopback clients only",
            "run doctor on the server's host, or set THEODOLITE_METRICS_TOKEN there and pass --metrics-token",
        )
    if status != 200:
        return Check("/metrics", FAIL, f"HTTP {status}", "see the server's log")
    lines = [line for line in body.decode().splitlines() if line and not line.startswith("#")]
    return Check("/metrics", OK, f"exposed at {server_url.rstrip('/')}/metrics, {len(lines):,} series")


def check_prometheus(url: str) -> list[Check]:
    base = url.rstrip("/")
    try:
        status, _ = _get(f"{base}/-/ready")
    except (urllib.error.URLError, OSError) as exc:
        return [Check("prometheus", FAIL, f"{base} unreachable: {exc}", "check the URL and that Prometheus runs")]
    if status != 200:
        return [Check("prometheus", FAIL, f"{base}/-/ready answered {status}", "Prometheus is not ready; see its log")]
    query = urllib.parse.urlencode({"query": "count(theodolite_build_info)"})
    status, body = _get(f"{base}/api/v1/query?{query}")
    result = json.loads(body).get("data", {}).get("result", []) if status == 200 else []
    if not result:
        hint = "add a scrape job for <server>/metrics and check it on Prometheus' targets page"
        return [Check("prometheus", OK, f"{base} ready"), Check("scrape", FAIL, "no theodolite_* series", hint)]
    return [Check("prometheus", OK, f"{base} ready"), Check("scrape", OK, "Prometheus scrapes Theodolite")]


def check_grafana(url: str) -> Check:
    base = url.rstrip("/")
    try:
        status, body = _get(f"{base}/api/health")
    except (urllib.error.URLError, OSError) as exc:
        return Check("grafana", FAIL, f"{base} unreachable: {exc}", "check the URL and that Grafana runs")
    if status != 200:
        return Check("grafana", FAIL, f"{base}/api/health answered {status}", "see Grafana's log")
    version = json.loads(body).get("version", "?") if body else "?"
    return Check("grafana", OK, f"{base} healthy (version {version})")


def _age(age: timedelta) -> str:
    seconds = int(age.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"


@click.command()
@settings_options(DATABASE_OPTIONS)
@click.option("--server-url", default=None, help="Where `theodolite serve` listens (default: from the settings).")
@click.option("--metrics-token", default=None, envvar="THEODOLITE_METRICS_TOKEN", help="Bearer token of /metrics.")
@click.option("--prometheus-url", default=None, envvar="PROMETHEUS_URL", help="Check this Prometheus too.")
@click.option("--grafana-url", default=None, envvar="GRAFANA_URL", help="Check this Grafana too.")
def doctor(server_url: str | None, metrics_token: str | None, prometheus_url: str | None, grafana_url: str | None,
           **values: Any) -> None:  # fmt: skip
    """Check the database, the latest trace, /metrics, and Prometheus and Grafana if given;
    print a verdict and the fix for each. Exits 1 when a check fails."""
    settings = settings_from(values)
    checks = check_database(settings.database_url)
    checks.append(check_metrics(server_url or f"http://{settings.host}:{settings.port}", metrics_token))
    checks.extend(check_prometheus(prometheus_url) if prometheus_url else
                  [Check("prometheus", SKIP, "not checked", "pass --prometheus-url to check scraping")])  # fmt: skip
    checks.append(check_grafana(grafana_url) if grafana_url else
                  Check("grafana", SKIP, "not checked", "pass --grafana-url to check Grafana"))  # fmt: skip
    for check in checks:
        click.echo(f"{MARKS[check.verdict]} {check.name:<13} {check.detail}")
        if check.fix and check.verdict in (WARN, FAIL):
            click.echo(f"  {'':<13} fix: {check.fix}")
    failed = sum(check.verdict == FAIL for check in checks)
    if failed:
        raise click.exceptions.Exit(1)
