"""`theodolite grafana export DIR`: a ready provisioning tree for Grafana, a Prometheus config
with Theodolite's alert rules, and a docker-compose example tying Grafana, Prometheus,
PostgreSQL and Theodolite together.

    DIR/docker-compose.yml                                 (PostgreSQL route)
    DIR/postgres/initdb/10-grafana-reader.sql              Grafana's read-only login (compose.py)
    DIR/grafana/provisioning/datasources/theodolite.yaml   Prometheus + PostgreSQL, or + SQLite; + Infinity
    DIR/grafana/provisioning/dashboards/theodolite.yaml    a file provider for DIR/grafana/dashboards
    DIR/grafana/provisioning/alerting/theodolite.yaml      Grafana-managed alert rules on the analytics API
    DIR/grafana/dashboards/*.json                          the dashboards, built by code
    DIR/prometheus/prometheus.yml, theodolite-alerts.yml   scrape job (bearer token) and alert rules
    DIR/prometheus/metrics-token                           the token Prometheus sends to /metrics

Two routes for the Overview's SQL panels: Theodolite's PostgreSQL through Grafana's built-in
datasource (the default, and the docker-compose example), or, with `sqlite_path`, the default
SQLite database file through the SQLite datasource plugin (frser-sqlite-datasource), opened
read-only. Either way the Infinity datasource reads Theodolite's analytics API with a project
key (Cost, Performance, Quality and "Overview (Infinity)", and Grafana-managed alert rules), which
needs no database access at all. The alert rules and the dashboards' thresholds come from one
AlertThresholds.
"""

from __future__ import annotations

import json
import secrets
from functools import partial
from pathlib import Path
from typing import Any

import yaml
from grafana_foundation_sdk.cog.encoder import JSONEncoder

from theodolite.alerts.rules import alertmanager_example, rule_file
from theodolite.alerts.thresholds import AlertThresholds
from theodolite.grafana import (
    analytics_dashboards,
    generation_service,
    infinity,
    managed_alerts,
    overview,
    seed002,
    server_health,
)
from theodolite.grafana.compose import (
    DATABASE,
    GRAFANA_DASHBOARDS_DIR,
    INITDB_SCRIPT,
    METRICS_TOKEN_FILE,
    READER_ROLE,
    THEODOLITE_URL,
    compose,
    reader_init_sql,
    source_checkout,
)
from theodolite.grafana.panels import POSTGRES_UID, PROMETHEUS_UID, SQLITE_UID
from theodolite.metrics.catalog import APP_NAMESPACE

# Dashboards reading an application's metrics too, built for its namespace (LLMMetrics(namespace=)).
NAMESPACED = frozenset({"theodolite-generation-service.json", "theodolite-executive-summary.json",
                        "theodolite-llm-operations.json", "theodolite-technical-health.json"})  # fmt: skip
DASHBOARDS = {
    "theodolite-overview.json": overview.build,
    "theodolite-generation-service.json": generation_service.build,
    "theodolite-executive-summary.json": seed002.executive_summary,
    "theodolite-llm-operations.json": seed002.llm_operations,
    "theodolite-technical-health.json": seed002.technical_health,
    "theodolite-server.json": server_health.build,
    # On the analytics API (Infinity): the same on every route.
    "theodolite-cost.json": analytics_dashboards.cost,
    "theodolite-performance.json": analytics_dashboards.performance,
    "theodolite-quality.json": analytics_dashboards.quality,
    "theodolite-overview-infinity.json": analytics_dashboards.overview,
}
# The SQLite route: the Overview in SQLite's dialect instead of PostgreSQL's.
SQLITE_DASHBOARDS = {
    ("theodolite-overview-sqlite.json" if name == "theodolite-overview.json" else name):
    (overview.build_sqlite if build is overview.build else build)
    for name, build in DASHBOARDS.items()
}  # fmt: skip


def dashboard_json(build: Any, thresholds: AlertThresholds | None = None) -> dict[str, Any]:
    """The dashboard as Grafana imports it, its thresholds those of the alert rules (the
    THEODOLITE_ALERT_* settings). The SDK gives every variable `auto*` interval fields; unset
    ones (auto = false) are dropped, as Grafana's own export does."""
    document = json.loads(json.dumps(build(thresholds or AlertThresholds()).build(), cls=JSONEncoder))
    for variable in document.get("templating", {}).get("list", []):
        if not variable.get("auto"):
            for key in ("auto", "auto_count", "auto_min"):
                variable.pop(key, None)
    return document


def datasources(sqlite_path: Path | None = None, theodolite_url: str = THEODOLITE_URL) -> dict[str, Any]:
    prometheus = {
        "name": "Theodolite Prometheus",
        "uid": PROMETHEUS_UID,
        "type": "prometheus",
        "access": "proxy",
        "url": "http://prometheus:9090",
        "isDefault": True,
        "jsonData": {"timeInterval": "15s"},
    }
    if sqlite_path is not None:
        # mode=ro: Grafana can never write to Theodolite's database (the server keeps the WAL files
        # a read-only reader needs).
        database = {
            "name": "Theodolite SQLite",
            "uid": SQLITE_UID,
            "type": "frser-sqlite-datasource",
            "access": "proxy",
            "jsonData": {"path": str(sqlite_path), "pathPrefix": "file:", "pathOptions": "mode=ro"},
        }
    else:
        database = {
            "name": "Theodolite PostgreSQL",
            "uid": POSTGRES_UID,
            "type": "grafana-postgresql-datasource",
            "access": "proxy",
            "url": "postgres:5432",
            "user": READER_ROLE,
            "jsonData": {
                "database": DATABASE["name"],
                "sslmode": "disable",
                "postgresVersion": 1500,
                "timescaledb": False,
            },
            "secureJsonData": {"password": "${THEODOLITE_GRAFANA_DB_PASSWORD}"},
        }
    return {"apiVersion": 1, "datasources": [prometheus, database, infinity.datasource(theodolite_url)]}  # fmt: skip


def dashboard_provider() -> dict[str, Any]:
    return {"apiVersion": 1, "providers": [{
        "name": "theodolite", "folder": "Theodolite", "type": "file", "disableDeletion": False,
        "allowUiUpdates": False, "updateIntervalSeconds": 30, "options": {"path": GRAFANA_DASHBOARDS_DIR},
    }]}  # fmt: skip


def prometheus_config(theodolite_target: str, app_target: str | None = None) -> dict[str, Any]:
    """Scrape Theodolite and, given its host:port, an application's own /metrics (job `app`)."""
    config = {
        "global": {"scrape_interval": "15s", "evaluation_interval": "15s"},
        "rule_files": ["theodolite-alerts.yml"],
        "alerting": {"alertmanagers": [{"static_configs": [{"targets": ["alertmanager:9093"]}]}]},
        "scrape_configs": [{"job_name": "theodolite", "metrics_path": "/metrics",
                            # /metrics answers non-loopback scrapers only with THEODOLITE_METRICS_TOKEN
                            "authorization": {"type": "Bearer", "credentials_file": METRICS_TOKEN_FILE},
                            "static_configs": [{"targets": [theodolite_target]}]}],
    }  # fmt: skip
    if app_target:
        config["scrape_configs"].append({"job_name": "app", "metrics_path": "/metrics",
                                         "static_configs": [{"targets": [app_target]}]})  # fmt: skip
    return config


def export(directory: Path, theodolite_target: str = "theodolite:4318", *, sqlite_path: Path | None = None,
           metrics_token: str | None = None, thresholds: AlertThresholds | None = None,
           app_namespace: str = APP_NAMESPACE, app_target: str | None = None,
           theodolite_url: str = THEODOLITE_URL, api_key: str | None = None) -> list[Path]:  # fmt: skip
    """Write the bundle; returns the files written. Without `metrics_token` a new one is made
    (the docker-compose example gives it to Theodolite; elsewhere set THEODOLITE_METRICS_TOKEN).
    `app_namespace` is the namespace of an application's own metrics the dashboards read
    (LLMMetrics(namespace=)); `app_target`, its host:port, adds a Prometheus scrape job `app`.
    `theodolite_url` is where Grafana reaches Theodolite's API; `api_key`, the project key the
    docker-compose example gives both to Theodolite and to Grafana (default: a new one). The
    datasource file names the key only as ${THEODOLITE_GRAFANA_API_KEY}, Grafana's environment."""
    if api_key is not None and sqlite_path is not None:
        raise ValueError("the API key goes into the docker-compose example, which the SQLite route has none of: "
                         f"give it to Grafana as {infinity.API_KEY_ENV}")  # fmt: skip
    thresholds = thresholds or AlertThresholds()
    token = metrics_token or secrets.token_urlsafe(24)
    sources, alert_rules = datasources(sqlite_path, theodolite_url), managed_alerts.rule_file(thresholds)
    files: dict[str, str] = {
        "grafana/provisioning/datasources/theodolite.yaml": yaml.safe_dump(sources, sort_keys=False),
        "grafana/provisioning/dashboards/theodolite.yaml": yaml.safe_dump(dashboard_provider(), sort_keys=False),
        "grafana/provisioning/alerting/theodolite.yaml": yaml.safe_dump(alert_rules, sort_keys=False),
        "prometheus/prometheus.yml": yaml.safe_dump(prometheus_config(theodolite_target, app_target), sort_keys=False),
        f"prometheus/{METRICS_TOKEN_FILE}": token,  # readable by Prometheus' user in its container
        "prometheus/theodolite-alerts.yml": rule_file(thresholds),
        "prometheus/alertmanager.example.yml": alertmanager_example(),
    }
    if sqlite_path is None:
        reader_password = secrets.token_urlsafe(24)
        files[INITDB_SCRIPT] = reader_init_sql(reader_password)
        key = api_key or f"sk-th-{secrets.token_urlsafe(24)}"
        files["docker-compose.yml"] = (
            "# Grafana + Prometheus + Alertmanager + PostgreSQL + Theodolite. `docker compose up`, then\n"
            "# http://localhost:3000. Keep the secrets of this directory private.\n"
            + yaml.safe_dump(compose(token, reader_password, key, source_checkout()), sort_keys=False)
        )
    for name, build in (DASHBOARDS if sqlite_path is None else SQLITE_DASHBOARDS).items():
        if name in NAMESPACED:
            build = partial(build, namespace=app_namespace)
        files[f"grafana/dashboards/{name}"] = json.dumps(dashboard_json(build, thresholds), indent=2) + "\n"
    written = []
    for relative, text in files.items():
        path = directory / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        written.append(path)
    return written
