"""The two routes of the Overview's SQL panels, as exported, against the real databases:

- PostgreSQL (the docker-compose example): the init script the export mounts into the postgres
  container creates Grafana's login; that role runs every Overview panel and can change nothing.
  The compose file is checked for consistency (mounted files exist, service names and ports are
  the ones the datasources and the Prometheus config use, shared secrets agree).
- SQLite (the default install): the SQLite datasource plugin on the database file, read-only;
  every panel, expanded as the plugin does, runs on a real file filled by `theodolite demo`.
And the alert thresholds are the dashboards' thresholds."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft7Validator
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from tests.conftest import new_postgres_database
from tests.grafana.test_bundle import SCHEMA
from tests.support.bundles import export
from tests.support.grafana_macros import expand, expand_sqlite_plugin
from tests.support.postgres import postgres_bin_dir
from theodolite.cli.demo_command import run_demo
from theodolite.server.settings import Settings

WEEK = timedelta(days=7)


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return export(tmp_path_factory.mktemp("compose"))


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def sql_targets(dashboard: dict, key: str) -> list[tuple[str, dict]]:
    return [(panel["type"], {**target, "title": panel["title"]}) for panel in dashboard["panels"]
            for target in panel.get("targets", []) if key in target]  # fmt: skip


def check_rows(panel_type: str, target: dict, columns: list[str], rows: list) -> None:
    where = target["title"]
    assert rows, f"{where}: no rows on a week of demo traffic"
    if target.get("format") == "time_series" or target.get("queryType") == "time series":
        assert "time" in columns, where
    elif panel_type == "stat":
        assert len(columns) == 1 and isinstance(rows[0][0], (int, float)), where
    elif panel_type == "piechart":
        assert isinstance(rows[0][0], str) and isinstance(rows[0][1], int), where
    elif panel_type == "table":
        assert columns == ["timestamp", "name", "agent", "project", "tokens", "cost", "tags"], where
        assert any(row[5] for row in rows) and any(row[6] for row in rows), where


def test_the_compose_example_is_consistent(bundle: Path) -> None:
    compose = load(bundle / "docker-compose.yml")
    services = compose["services"]
    for name, service in services.items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            assert source.startswith("./") and (bundle / source).exists(), (name, volume)
    sources = {s["type"]: s for s in load(bundle / "grafana/provisioning/datasources/theodolite.yaml")["datasources"]}
    assert sources["prometheus"]["url"] == "http://prometheus:9090" and "9090:9090" in services["prometheus"]["ports"]
    postgres = sources["grafana-postgresql-datasource"]
    assert postgres["url"] == "postgres:5432" and services["postgres"]["image"].startswith("postgres:")
    prometheus = load(bundle / "prometheus/prometheus.yml")
    [scrape] = prometheus["scrape_configs"]
    assert (
        scrape["static_configs"][0]["targets"] == ["theodolite:4318"] and "4318:4318" in services["theodolite"]["ports"]
    )
    assert prometheus["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"] == ["alertmanager:9093"]
    assert "alertmanager" in services and "grafana" in services
    # shared secrets agree: Prometheus' bearer token is the server's, Grafana's password the role's
    token = (bundle / "prometheus" / scrape["authorization"]["credentials_file"]).read_text()
    assert len(token) >= 24 and services["theodolite"]["environment"]["THEODOLITE_METRICS_TOKEN"] == token
    password = services["grafana"]["environment"]["THEODOLITE_GRAFANA_DB_PASSWORD"]
    assert postgres["secureJsonData"]["password"] == "${THEODOLITE_GRAFANA_DB_PASSWORD}"
    init_sql = (bundle / "postgres/initdb/10-grafana-reader.sql").read_text()
    assert f"ROLE {postgres['user']} LOGIN PASSWORD '{password}'" in init_sql
    assert "./postgres/initdb:/docker-entrypoint-initdb.d:ro" in services["postgres"]["volumes"]
    url = make_url(services["theodolite"]["environment"]["THEODOLITE_DATABASE_URL"])
    env = services["postgres"]["environment"]
    assert (url.username, url.password, url.database, url.host, url.port) == (
        env["POSTGRES_USER"], env["POSTGRES_PASSWORD"], env["POSTGRES_DB"], "postgres", 5432)  # fmt: skip
    assert postgres["jsonData"]["database"] == env["POSTGRES_DB"]
    assert services["theodolite"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "healthcheck" in services["postgres"]
    assert "--host" in services["theodolite"]["build"]["dockerfile_inline"]


@pytest.mark.postgres
@pytest.mark.parametrize("script_first", [True, False], ids=["script-before-migrations", "script-on-a-used-database"])
def test_grafanas_login_reads_every_overview_panel_and_changes_nothing(
    postgres_server,
    bundle: Path,
    script_first: bool,  # type: ignore[no-untyped-def]
) -> None:
    url = new_postgres_database(postgres_server)
    parsed = make_url(url)
    # As the postgres image's entrypoint runs an init script: psql, stopping at the first error.
    psql = [
        str(postgres_bin_dir() / "psql"),
        "-v",
        "ON_ERROR_STOP=1",
        "-h",
        parsed.host,
        "-p",
        str(parsed.port),
        "-U",
        parsed.username,
        "-d",
        parsed.database,
        "-f",
        str(bundle / "postgres/initdb/10-grafana-reader.sql"),
    ]
    if script_first:  # before Theodolite has created any table, as in the docker-compose example
        subprocess.run(psql, check=True, capture_output=True, timeout=60)
    run_demo(Settings(database_url=url), days=7, traces_per_day=60, seed=11, serve=False)
    if not script_first:
        subprocess.run(psql, check=True, capture_output=True, timeout=60)
    password = load(bundle / "docker-compose.yml")["services"]["grafana"]["environment"][
        "THEODOLITE_GRAFANA_DB_PASSWORD"]  # fmt: skip
    reader_url = parsed.set(drivername="postgresql+psycopg", username="grafana_reader", password=password)
    reader = create_engine(reader_url)
    overview = json.loads((bundle / "grafana/dashboards/theodolite-overview.json").read_text())
    end = datetime.now(UTC)
    try:
        with reader.connect() as conn:
            for panel_type, target in sql_targets(overview, "rawSql"):
                result = conn.exec_driver_sql(expand(target["rawSql"], end - WEEK, end))
                check_rows(panel_type, target, list(result.keys()), result.fetchall())
            conn.rollback()
        for statement in ("INSERT INTO projects (name, created_at) VALUES ('intruder', now())",
                          "DELETE FROM traces", "UPDATE observations SET model = 'x'",
                          "SELECT * FROM api_keys", "SELECT * FROM observation_payloads"):  # fmt: skip
            with reader.connect() as conn:
                with pytest.raises(DBAPIError, match="permission denied"):
                    conn.exec_driver_sql("SET TRANSACTION READ WRITE")  # the role's sessions default to read-only
                    conn.exec_driver_sql(statement)
    finally:
        reader.dispose()


def test_the_sqlite_route_runs_every_overview_panel_on_a_read_only_file(tmp_path: Path) -> None:
    database = tmp_path / "theodolite.db"
    run_demo(Settings(database_url=f"sqlite:///{database}"), days=7, traces_per_day=60, seed=11, serve=False)
    bundle = export(tmp_path / "bundle", "--sqlite-path", str(database), "--theodolite-target", "127.0.0.1:4318")
    assert not (bundle / "docker-compose.yml").exists()
    [prometheus, sqlite, api] = load(bundle / "grafana/provisioning/datasources/theodolite.yaml")["datasources"]
    assert prometheus["type"] == "prometheus" and sqlite["type"] == "frser-sqlite-datasource"
    assert api["type"] == "yesoreyeram-infinity-datasource"
    assert sqlite["jsonData"] == {"path": str(database), "pathPrefix": "file:", "pathOptions": "mode=ro"}
    names = {path.name for path in (bundle / "grafana/dashboards").glob("*.json")}
    assert "theodolite-overview-sqlite.json" in names and "theodolite-overview.json" not in names
    overview = json.loads((bundle / "grafana/dashboards/theodolite-overview-sqlite.json").read_text())
    errors = [e.message[:200] for e in Draft7Validator(json.loads(SCHEMA.read_text())).iter_errors(overview)]
    assert errors == []
    targets = sql_targets(overview, "queryText")
    assert len(targets) == 10
    end = datetime.now(UTC)
    before = database.stat().st_mtime_ns
    # What the plugin does with pathPrefix + path + "?" + pathOptions: a read-only connection.
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        for panel_type, target in targets:
            assert target["datasource"]["uid"] == sqlite["uid"]
            cursor = conn.execute(expand_sqlite_plugin(target["queryText"], end - WEEK, end))
            columns, rows = [c[0] for c in cursor.description], cursor.fetchall()
            check_rows(panel_type, target, columns, rows)
            if target["queryType"] == "time series":  # unix seconds on the hour, which the plugin turns into times
                assert all(isinstance(row[0], int) and row[0] % 3600 == 0 for row in rows), target["title"]
            if panel_type == "table":  # RFC 3339, which the plugin turns into times
                assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", row[0]) for row in rows)
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            conn.execute("DELETE FROM traces")
    finally:
        conn.close()
    assert database.stat().st_mtime_ns == before


def test_dashboard_thresholds_follow_the_alert_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THEODOLITE_ALERT_DAILY_COST_HIGH_USD", "7")
    monkeypatch.setenv("THEODOLITE_ALERT_LATENCY_P95_HIGH_S", "20")
    monkeypatch.setenv("THEODOLITE_ALERT_ERROR_RATE", "0.1")
    bundle = export(tmp_path)
    rules = {r["alert"]: r for r in load(bundle / "prometheus/theodolite-alerts.yml")["groups"][0]["rules"]}
    assert rules["LLMDailyCostHigh"]["expr"].endswith("> 7.0")
    assert rules["LLMLatencyP95High"]["expr"].endswith("> 20.0")

    def steps(dashboard: str, title: str) -> list:
        document = json.loads((bundle / "grafana/dashboards" / dashboard).read_text())
        panel = next(p for p in document["panels"] if p["title"] == title)
        return [step["value"] for step in panel["fieldConfig"]["defaults"]["thresholds"]["steps"]]

    assert steps("theodolite-generation-service.json", "Cost, last 24 h") == [None, 7, 50]
    assert steps("theodolite-generation-service.json", "p95 latency") == [None, 10, 20, 45]
    assert steps("theodolite-llm-operations.json", "Generation error rate") == [None, 0.1]
