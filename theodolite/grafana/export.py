"""`theodolite grafana export DIR`: a ready provisioning tree for Grafana, a Prometheus config
with Theodolite's alert rules, and a docker-compose example tying Grafana, Prometheus,
PostgreSQL and Theodolite together.

    DIR/docker-compose.yml
    DIR/grafana/provisioning/datasources/theodolite.yaml   Prometheus + PostgreSQL (Theodolite's own DB)
    DIR/grafana/provisioning/dashboards/theodolite.yaml    a file provider for DIR/grafana/dashboards
    DIR/grafana/dashboards/*.json                          the dashboards, built by code
    DIR/prometheus/prometheus.yml, theodolite-alerts.yml   scrape job and alert rules
"""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path
from typing import Any

import yaml
from grafana_foundation_sdk.cog.encoder import JSONEncoder

from theodolite.alerts.rules import rule_file
from theodolite.alerts.thresholds import AlertThresholds
from theodolite.grafana import generation_service, overview, seed002
from theodolite.grafana.panels import POSTGRES_UID, PROMETHEUS_UID
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
}
GRAFANA_DASHBOARDS_DIR = "/var/lib/grafana/dashboards/theodolite"


def dashboard_json(build: Any) -> dict[str, Any]:
    """The dashboard as Grafana imports it. The SDK gives every variable `auto*` interval
    fields; unset ones (auto = false) are dropped, as Grafana's own export does."""
    document = json.loads(json.dumps(build().build(), cls=JSONEncoder))
    for variable in document.get("templating", {}).get("list", []):
        if not variable.get("auto"):
            for key in ("auto", "auto_count", "auto_min"):
                variable.pop(key, None)
    return document


def datasources() -> dict[str, Any]:
    return {
        "apiVersion": 1,
        "datasources": [
            {"name": "Theodolite Prometheus", "uid": PROMETHEUS_UID, "type": "prometheus", "access": "proxy",
             "url": "http://prometheus:9090", "isDefault": True, "jsonData": {"timeInterval": "15s"}},
            {"name": "Theodolite PostgreSQL", "uid": POSTGRES_UID, "type": "grafana-postgresql-datasource",
             "access": "proxy", "url": "postgres:5432", "user": "grafana_reader",
             "jsonData": {"database": "theodolite", "sslmode": "disable", "postgresVersion": 1500,
                          "timescaledb": False},
             "secureJsonData": {"password": "${THEODOLITE_GRAFANA_DB_PASSWORD}"}},
        ],
    }  # fmt: skip


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
                            "static_configs": [{"targets": [theodolite_target]}]}],
    }  # fmt: skip
    if app_target:
        config["scrape_configs"].append({"job_name": "app", "metrics_path": "/metrics",
                                         "static_configs": [{"targets": [app_target]}]})  # fmt: skip
    return config


COMPOSE = {
    "services": {
        "theodolite": {
            "build": {"context": "REPLACE-WITH-A-THEODOLITE-CHECKOUT", "dockerfile_inline":
                      "FROM python:3.11-slim\nCOPY . /src\nRUN pip install '/src[server]'\n"
                      "CMD [\"theodolite\", \"serve\", \"--host\", \"0.0.0.0\"]\n"},
            "environment": {"THEODOLITE_DATABASE_URL": "postgresql://theodolite:theodolite@postgres:5432/theodolite",
                            "THEODOLITE_INIT_PROJECT": "default", "THEODOLITE_INIT_PUBLIC_KEY": "pk-th-compose",
                            "THEODOLITE_INIT_SECRET_KEY": "sk-th-change-me"},
            "ports": ["4318:4318"], "depends_on": ["postgres"],
        },
        "postgres": {"image": "postgres:15", "environment": {"POSTGRES_USER": "theodolite",
                     "POSTGRES_PASSWORD": "theodolite", "POSTGRES_DB": "theodolite"}},
        "prometheus": {"image": "prom/prometheus:v2.53.0", "volumes": ["./prometheus:/etc/prometheus:ro"],
                       "ports": ["9090:9090"]},
        "alertmanager": {"image": "prom/alertmanager:v0.27.0",
                         "volumes": ["./prometheus/alertmanager.example.yml:/etc/alertmanager/alertmanager.yml:ro"]},
        "grafana": {"image": "grafana/grafana:11.6.0", "ports": ["3000:3000"],
                    "environment": {"THEODOLITE_GRAFANA_DB_PASSWORD": "theodolite"},
                    "volumes": ["./grafana/provisioning:/etc/grafana/provisioning:ro",
                                f"./grafana/dashboards:{GRAFANA_DASHBOARDS_DIR}:ro"]},
    },
}  # fmt: skip


def export(directory: Path, theodolite_target: str = "theodolite:4318", app_namespace: str = APP_NAMESPACE,
           app_target: str | None = None) -> list[Path]:  # fmt: skip
    """Write the bundle; returns the files written."""
    from theodolite.alerts.rules import alertmanager_example

    files: dict[str, str] = {
        "grafana/provisioning/datasources/theodolite.yaml": yaml.safe_dump(datasources(), sort_keys=False),
        "grafana/provisioning/dashboards/theodolite.yaml": yaml.safe_dump(dashboard_provider(), sort_keys=False),
        "prometheus/prometheus.yml": yaml.safe_dump(prometheus_config(theodolite_target, app_target), sort_keys=False),
        "prometheus/theodolite-alerts.yml": rule_file(AlertThresholds()),
        "prometheus/alertmanager.example.yml": alertmanager_example(),
        "docker-compose.yml": "# Grafana + Prometheus + Alertmanager + PostgreSQL + Theodolite (an example: set the\n"
                              "# build context, passwords and keys). `docker compose up`, then http://localhost:3000\n"
                              + yaml.safe_dump(COMPOSE, sort_keys=False),
    }  # fmt: skip
    for name, build in DASHBOARDS.items():
        if name in NAMESPACED:
            build = partial(build, namespace=app_namespace)
        files[f"grafana/dashboards/{name}"] = json.dumps(dashboard_json(build), indent=2) + "\n"
    written = []
    for relative, text in files.items():
        path = directory / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        written.append(path)
    return written
