"""`theodolite grafana export`: every input checked against what consumes it (no Grafana server
runs in the tests: none is packaged for Debian or PyPI): dashboards against the JSON schema
generated from npm @grafana/schema, PromQL through promtool and the metric catalog, datasource
references against the provisioned ones, the Prometheus config through promtool."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from jsonschema import Draft7Validator

from theodolite.cli.main import cli
from theodolite.metrics.catalog import find_metric, origin

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / ".grafana-schema" / "dashboard.schema.json"
# What Grafana substitutes before a query reaches Prometheus (template variables and built-ins).
VARIABLES = {"$interval": "5m", "$model": ".*", "$job": ".*", "$project": ".*", "$__rate_interval": "1m",
             "$__interval": "1m"}  # fmt: skip
METRIC_NAME = re.compile(r"\b(?:theodolite|gen_ai|app|process|http_server)_[a-z_]+")


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("bundle")
    result = CliRunner().invoke(cli, ["grafana", "export", str(directory)])
    assert result.exit_code == 0, result.output
    return directory


def dashboards(bundle: Path) -> Iterator[tuple[Path, dict]]:
    for path in sorted((bundle / "grafana" / "dashboards").glob("*.json")):
        yield path, json.loads(path.read_text())


def targets(dashboard: dict) -> Iterator[tuple[dict, dict]]:
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            yield panel, target


def test_dashboards_validate_against_the_grafana_schema(bundle: Path) -> None:
    assert SCHEMA.exists(), "run ./scripts/grafana-schema (./scripts/test does)"
    validator = Draft7Validator(json.loads(SCHEMA.read_text()))
    for path, dashboard in dashboards(bundle):
        errors = [f"{list(e.path)}: {e.message[:200]}" for e in validator.iter_errors(dashboard)]
        assert errors == [], (path.name, errors)


def test_every_promql_parses_and_names_catalog_metrics_of_one_origin(bundle: Path, tmp_path: Path) -> None:
    """Each expression reads the server's metrics or an application's (theodolite.metrics), never
    both: summing the two would count a call the application tracked and traced twice."""
    assert shutil.which("promtool"), "promtool is missing: ./scripts/test installs it"
    rules = []
    for path, dashboard in dashboards(bundle):
        for panel, target in targets(dashboard):
            if "expr" not in target:
                continue
            expr = target["expr"]
            for variable, value in VARIABLES.items():
                expr = expr.replace(variable, value)
            names = set(METRIC_NAME.findall(expr))
            builtin = "ALERTS{" in expr  # Prometheus' own series of alert states
            assert (names or builtin) and all(find_metric(n) for n in names), (path.name, panel["title"], names)
            # process_* are on both sides, told apart by the scrape job
            assert builtin or len({origin(n) for n in names} - {"both"}) <= 1, (path.name, panel["title"], names)
            rules.append({"record": f"check:{len(rules)}", "expr": expr})
    assert rules
    file = tmp_path / "exprs.yml"
    file.write_text(yaml.safe_dump({"groups": [{"name": "dashboards", "rules": rules}]}))
    result = subprocess.run(["promtool", "check", "rules", str(file)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_panels_use_provisioned_datasources(bundle: Path) -> None:
    provisioned = yaml.safe_load((bundle / "grafana/provisioning/datasources/theodolite.yaml").read_text())
    uids = {source["uid"]: source["type"] for source in provisioned["datasources"]}
    for path, dashboard in dashboards(bundle):
        for panel, target in targets(dashboard):
            source = target.get("datasource") or panel.get("datasource")
            assert source and uids.get(source["uid"]) == source["type"], (path.name, panel["title"], source)
        for variable in dashboard.get("templating", {}).get("list", []):
            if "datasource" in variable:
                assert variable["datasource"]["uid"] in uids
    provider = yaml.safe_load((bundle / "grafana/provisioning/dashboards/theodolite.yaml").read_text())
    compose = yaml.safe_load((bundle / "docker-compose.yml").read_text())
    mounts = compose["services"]["grafana"]["volumes"]
    assert f"./grafana/dashboards:{provider['providers'][0]['options']['path']}:ro" in mounts


def test_the_prometheus_config_and_its_rules_check(bundle: Path) -> None:
    result = subprocess.run(["promtool", "check", "config", str(bundle / "prometheus/prometheus.yml")],
                            capture_output=True, text=True, timeout=60)  # fmt: skip
    assert result.returncode == 0 and "SUCCESS: 12 rules found" in result.stdout, result.stdout + result.stderr


def test_the_generation_service_dashboard_is_seed_001s(bundle: Path) -> None:
    dashboard = json.loads((bundle / "grafana/dashboards/theodolite-generation-service.json").read_text())
    panels = [panel for panel in dashboard["panels"] if panel["type"] != "row"]
    assert len(panels) == 15  # a generation service's 14 panels, and what the cache and the fallbacks saved
    assert dashboard["refresh"] == "30s"
    variables = {variable["name"]: variable for variable in dashboard["templating"]["list"]}
    assert variables["interval"]["type"] == "interval" and variables["model"]["multi"] is True
    assert variables["interval"]["query"] == "5m,15m,1h,6h,24h"
    assert [option["value"] for option in variables["interval"]["options"]] == ["5m", "15m", "1h", "6h", "24h"]
    by_title = {panel["title"]: panel for panel in panels}
    steps = by_title["p95 latency"]["fieldConfig"]["defaults"]["thresholds"]["steps"]
    assert [(step["value"], step["color"]) for step in steps] == [(None, "green"), (15, "yellow"), (30, "orange"),
                                                                   (45, "red")]  # fmt: skip
    cost = by_title["Cost, last 24 h"]["fieldConfig"]["defaults"]
    assert cost["unit"] == "currencyUSD" and [s["value"] for s in cost["thresholds"]["steps"]] == [None, 10, 50]
    assert {panel["type"] for panel in panels} == {"timeseries", "stat", "gauge", "piechart", "table"}
    # cost panels read provider-only cost; latency panels select provider calls (a cache hit's ms are not latency)
    saved = by_title["Saved by cache and fallbacks, last 24 h"]
    assert "theodolite_cost_saved_usd_total" in saved["targets"][0]["expr"]
    provider_latency = 'gen_ai_client_operation_duration_seconds_bucket{model=~"$model",source="provider"}'
    for title in ("p95 latency", "Generation duration p50 / p95 / p99"):
        assert all(provider_latency in target["expr"] for target in by_title[title]["targets"]), title


def test_the_ten_dashboards_and_their_panels(bundle: Path) -> None:
    titles = {path.name: {p["title"] for p in d["panels"] if p["type"] != "row"} for path, d in dashboards(bundle)}
    assert set(titles) == {"theodolite-overview.json", "theodolite-generation-service.json",
                           "theodolite-executive-summary.json", "theodolite-llm-operations.json",
                           "theodolite-technical-health.json", "theodolite-server.json",
                           "theodolite-cost.json", "theodolite-performance.json", "theodolite-quality.json",
                           "theodolite-overview-infinity.json"}  # fmt: skip
    server = " ".join(titles["theodolite-server.json"])
    for words in ("Ingest queue", "Transactions", "Commit duration", "Refused", "by status", "by route",
                  "Request duration p95", "CPU", "Memory", "Database size"):  # fmt: skip
        assert words in server, words
    executive = " ".join(titles["theodolite-executive-summary.json"])
    for word in ("cost", "users", "Questions", "Success", "Uptime"):
        assert word in executive, word
    operations = " ".join(titles["theodolite-llm-operations.json"])
    for word in ("Cost per hour by model", "Tokens", "latency", "error rate", "alerts"):
        assert word in operations, word
    health = " ".join(titles["theodolite-technical-health.json"])
    for word in ("CPU", "Memory", "Database", "API response", "5xx", "errors"):
        assert word in health, word
    overview = titles["theodolite-overview.json"]
    assert {"Traces (24h)", "Tokens (24h)", "Cost (24h)", "Total traces", "Recent traces"} <= overview


def test_an_application_namespace_and_scrape_target(tmp_path: Path) -> None:
    """A team whose application keeps its own names (LLMMetrics(namespace="acme")) gets the
    dashboards on those names, and a Prometheus config scraping its application too."""
    result = CliRunner().invoke(cli, ["grafana", "export", str(tmp_path), "--app-namespace", "acme",
                                      "--app-target", "app:8000"])  # fmt: skip
    assert result.exit_code == 0, result.output
    exprs = " ".join(target["expr"] for path, dashboard in dashboards(tmp_path)
                     for _, target in targets(dashboard) if "expr" in target)  # fmt: skip
    assert "acme_http_request_duration_seconds_bucket" in exprs and "acme_llm_active_requests" in exprs
    assert not re.search(r"\bapp_[a-z]", exprs)
    config = yaml.safe_load((tmp_path / "prometheus/prometheus.yml").read_text())
    assert [job["job_name"] for job in config["scrape_configs"]] == ["theodolite", "app"]
    check = subprocess.run(["promtool", "check", "config", str(tmp_path / "prometheus/prometheus.yml")],
                           capture_output=True, text=True, timeout=60)  # fmt: skip
    assert check.returncode == 0, check.stdout + check.stderr
    bad = CliRunner().invoke(cli, ["grafana", "export", str(tmp_path / "x"), "--app-namespace", "gen_ai"])
    assert bad.exit_code == 2 and "namespace" in bad.output


def test_the_server_dashboard_reads_what_the_server_emits(bundle: Path) -> None:
    dashboard = json.loads((bundle / "grafana/dashboards/theodolite-server.json").read_text())
    names = {name for _panel, target in targets(dashboard)
             for name in re.findall(r"\b(?:theodolite|process|http_server)_[a-z_]+", target["expr"])}  # fmt: skip
    assert {"http_server_request_duration_seconds_count", "process_cpu_seconds_total"} <= names
    assert all(find_metric(name).emitted_by != "sdk" for name in names), names
