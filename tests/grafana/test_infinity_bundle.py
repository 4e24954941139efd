"""The Infinity route of `theodolite grafana export`, checked without a Grafana server: the
datasource's provisioning, every Infinity query (panels, variables, alert rules) against the
plugin's backend-parser query model, template variables, uids, the alerting provisioning file's
references, the docker-compose wiring, and the Grafana/Infinity emulation the live test uses."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from tests.support.bundles import export
from tests.support.infinity import ALL, Variable, expand_time, frame, interpolate, request_url
from theodolite.alerts.thresholds import AlertThresholds
from theodolite.cli.main import cli

INFINITY = "yesoreyeram-infinity-datasource"
ANALYTICS_DASHBOARDS = ("theodolite-cost.json", "theodolite-performance.json", "theodolite-quality.json",
                        "theodolite-overview-infinity.json")  # fmt: skip
RANGE = "from=${__timeFrom}&to=${__timeTo}"
COLUMN_TYPES = {"string", "number", "timestamp_epoch", "boolean"}
VARIABLE_REFERENCE = re.compile(r"\$(\w+)|\$\{(\w+)(?::[^}]+)?\}")


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return export(tmp_path_factory.mktemp("infinity"), "--api-key", "sk-th-test-key-0123456789")


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def dashboards(bundle: Path) -> dict[str, dict]:
    return {path.name: json.loads(path.read_text()) for path in sorted((bundle / "grafana/dashboards").glob("*.json"))}


def infinity_queries(bundle: Path) -> Iterator[tuple[str, dict]]:
    """Every Infinity query model shipped: panel targets, variable queries and alert rules' data."""
    for name, dashboard in dashboards(bundle).items():
        for panel in dashboard["panels"]:
            for target in panel.get("targets", []):
                if (target.get("datasource") or panel.get("datasource") or {}).get("type") == INFINITY:
                    yield f"{name} / {panel['title']}", target
        for variable in dashboard.get("templating", {}).get("list", []):
            if (variable.get("datasource") or {}).get("type") == INFINITY:
                assert variable["query"]["queryType"] == "infinity", variable
                yield f"{name} / ${variable['name']}", variable["query"]["infinityQuery"]
    for group in load(bundle / "grafana/provisioning/alerting/theodolite.yaml")["groups"]:
        for rule in group["rules"]:
            for query in rule["data"]:
                if query["datasourceUid"] != "__expr__":
                    yield f"alert {rule['title']}", query["model"]


def test_the_infinity_datasource_is_provisioned_with_a_key_from_grafanas_environment(bundle: Path) -> None:
    sources = {s["uid"]: s for s in load(bundle / "grafana/provisioning/datasources/theodolite.yaml")["datasources"]}
    [api] = [s for s in sources.values() if s["type"] == INFINITY]
    assert api["url"] == "http://theodolite:4318" and api["jsonData"]["allowedHosts"] == [api["url"]]
    assert api["jsonData"]["auth_method"] == "bearerToken"
    assert api["secureJsonData"] == {"bearerToken": "${THEODOLITE_GRAFANA_API_KEY}"}
    assert api["jsonData"]["customHealthCheckUrl"] == api["url"] + "/api/v1/analytics/project"
    # the key itself is in the compose file's environment only: never in a dashboard or a provisioning file
    for path in bundle.rglob("*"):
        if path.is_file() and path.name != "docker-compose.yml":
            assert "sk-th-test-key" not in path.read_text(), path


def test_the_compose_example_gives_grafana_the_plugin_and_theodolites_key(bundle: Path) -> None:
    services = load(bundle / "docker-compose.yml")["services"]
    grafana, theodolite = services["grafana"], services["theodolite"]
    assert grafana["environment"]["GF_INSTALL_PLUGINS"] == INFINITY
    assert grafana["environment"]["THEODOLITE_GRAFANA_API_KEY"] == "sk-th-test-key-0123456789"
    assert theodolite["environment"]["THEODOLITE_INIT_SECRET_KEY"] == "sk-th-test-key-0123456789"
    assert "4318:4318" in theodolite["ports"] and "theodolite" in grafana["depends_on"]
    assert "./grafana/provisioning:/etc/grafana/provisioning:ro" in grafana["volumes"]  # alerting/ included


def test_a_new_key_per_export_and_the_url_option(tmp_path: Path) -> None:
    first = load(export(tmp_path / "a") / "docker-compose.yml")["services"]
    second = load(export(tmp_path / "b") / "docker-compose.yml")["services"]
    keys = [s["theodolite"]["environment"]["THEODOLITE_INIT_SECRET_KEY"] for s in (first, second)]
    assert keys[0] != keys[1] and all(key.startswith("sk-th-") and len(key) > 30 for key in keys)
    assert first["grafana"]["environment"]["THEODOLITE_GRAFANA_API_KEY"] == keys[0]
    bundle = export(tmp_path / "c", "--theodolite-url", "https://theodolite.example.com:8443/")
    [api] = [s for s in load(bundle / "grafana/provisioning/datasources/theodolite.yaml")["datasources"]
             if s["type"] == INFINITY]  # fmt: skip
    assert api["url"] == "https://theodolite.example.com:8443"
    assert api["jsonData"]["allowedHosts"] == ["https://theodolite.example.com:8443"]
    refused = CliRunner().invoke(cli, ["grafana", "export", str(tmp_path / "d"), "--theodolite-url", "theodolite"])
    assert refused.exit_code != 0 and "--theodolite-url" in refused.output
    sqlite = ["grafana", "export", str(tmp_path / "e"), "--sqlite-path", str(tmp_path / "t.db"), "--api-key", "sk-x"]
    refused = CliRunner().invoke(cli, sqlite)
    assert refused.exit_code != 0 and "--api-key" in refused.output


def test_every_infinity_query_uses_the_backend_parser_on_the_analytics_api(bundle: Path) -> None:
    queries = list(infinity_queries(bundle))
    assert len(queries) >= 40
    for where, query in queries:
        assert query["datasource"]["type"] == INFINITY, where
        assert (query["type"], query["source"], query["parser"]) == ("json", "url", "backend"), where
        assert query["format"] in ("table", "timeseries"), where
        assert query["url"].startswith("/api/v1/analytics/"), where
        assert query["url"].endswith(RANGE) or query["url"].endswith("from=0&to=${__timeTo}"), where
        assert query["root_selector"] == "$", where  # JSONata: the API answers flat rows already
        columns = query["columns"]
        assert columns and all(c["type"] in COLUMN_TYPES and c["selector"] and c["text"] for c in columns), where
        assert len({c["text"] for c in columns}) == len(columns), where
        time = [c for c in columns if c["selector"] == "time"]
        assert all(c["type"] == "timestamp_epoch" for c in time), where
        if query["format"] == "timeseries":
            assert time and any(c["type"] == "number" for c in columns), where
        for param in query["url_options"]["params"]:
            assert re.fullmatch(r"\$\{\w+:csv\}", param["value"]), (where, param)  # comma-joined, any of them


def test_dashboard_uids_are_unique_and_every_variable_is_defined(bundle: Path) -> None:
    boards = dashboards(bundle)
    uids = [board["uid"] for board in boards.values()]
    assert len(uids) == len(set(uids)) == len(boards)
    for name, board in boards.items():
        defined = {variable["name"]: variable for variable in board.get("templating", {}).get("list", [])}
        text = json.dumps(board["panels"]) + json.dumps(list(defined.values()))
        used = {a or b for a, b in VARIABLE_REFERENCE.findall(text)} - {""}
        undefined = {v for v in used if not v.startswith("__")} - set(defined)
        assert not undefined, (name, undefined)
        if name in ANALYTICS_DASHBOARDS:
            titles = [panel["title"] for panel in board["panels"] if panel["type"] != "row"]
            assert len(titles) == len(set(titles)), name  # a panel is found by its title
            assert {"model", "user"} <= set(defined) or {"user", "score"} <= set(defined), name
            for variable in defined.values():
                # "All" is the API's "no filter"; an empty allValue would send every listed value
                assert variable["includeAll"] and variable["multi"] and variable["allValue"] == "*", variable
                assert variable["current"]["value"] == [ALL]


def test_the_alert_rules_reference_what_exists(bundle: Path) -> None:
    document = load(bundle / "grafana/provisioning/alerting/theodolite.yaml")
    sources = {s["uid"]: s for s in load(bundle / "grafana/provisioning/datasources/theodolite.yaml")["datasources"]}
    assert document["apiVersion"] == 1
    [group] = document["groups"]
    assert group["folder"] and group["name"] and re.fullmatch(r"\d+[smh]", group["interval"])
    rules = group["rules"]
    assert {rule["title"].split()[1] for rule in rules} >= {"LLM", "p95", "error"}
    assert len({rule["uid"] for rule in rules}) == len(rules)
    for rule in rules:
        refs = {query["refId"]: query for query in rule["data"]}
        assert len(refs) == len(rule["data"]) and rule["condition"] in refs, rule["title"]
        for ref, query in refs.items():
            assert query["model"]["refId"] == ref, rule["title"]
            if query["datasourceUid"] == "__expr__":
                assert query["model"]["expression"] in refs and query["model"]["expression"] != ref, rule["title"]
            else:
                assert sources[query["datasourceUid"]]["type"] == INFINITY, rule["title"]
                assert query["model"]["datasource"]["uid"] == query["datasourceUid"]
                assert query["relativeTimeRange"]["from"] > query["relativeTimeRange"]["to"] == 0
                assert "${" not in query["model"]["url"].replace("${__timeFrom}", "").replace("${__timeTo}", "")
                assert not query["model"]["url_options"]["params"], "an alert has no dashboard variables"
        assert re.fullmatch(r"\d+[smh]", rule["for"]) and rule["labels"]["severity"] in ("warning", "critical")
        assert rule["noDataState"] in ("OK", "NoData", "Alerting") and rule["execErrState"] in ("OK", "Error")
        assert "${" not in json.dumps(rule["annotations"])  # Grafana would expand it from its environment


def test_the_alert_thresholds_are_the_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THEODOLITE_ALERT_DAILY_COST_HIGH_USD", "7")
    monkeypatch.setenv("THEODOLITE_ALERT_LATENCY_P95_HIGH_S", "20")
    monkeypatch.setenv("THEODOLITE_ALERT_ERROR_RATE", "0.1")
    bundle = export(tmp_path)
    [group] = load(bundle / "grafana/provisioning/alerting/theodolite.yaml")["groups"]

    def threshold(uid: str) -> float:
        [rule] = [rule for rule in group["rules"] if rule["uid"] == uid]
        [condition] = [q for q in rule["data"] if q["refId"] == rule["condition"]]
        [check] = condition["model"]["conditions"]
        assert check["evaluator"]["type"] == "gt"
        return check["evaluator"]["params"][0]

    defaults = AlertThresholds()
    assert threshold("theodolite-daily-cost-high") == 7
    assert threshold("theodolite-daily-cost-critical") == defaults.daily_cost_critical_usd
    assert threshold("theodolite-latency-p95-high") == 20_000  # the API's latency is in ms
    assert threshold("theodolite-error-rate-high") == 0.1

    def steps(board: str, title: str) -> list:
        [panel] = [p for p in dashboards(bundle)[board]["panels"] if p["title"] == title]
        return [step["value"] for step in panel["fieldConfig"]["defaults"]["thresholds"]["steps"]]

    assert steps("theodolite-cost.json", "Cost, last 24 h") == [None, 7, defaults.daily_cost_critical_usd]
    assert steps("theodolite-performance.json", "p95 generation latency") == [
        None, 20_000, defaults.latency_p95_critical_s * 1000]  # fmt: skip
    assert steps("theodolite-performance.json", "Error rate over time") == [None, 0.1]


# The emulation itself, on cases whose answers Grafana's and Infinity's sources give.
MODEL = Variable("model", ("gpt-4o", "claude"), multi=True, include_all=True, all_value="*")
USER = Variable("user", ("ann", "bob"), multi=True, include_all=True, all_value=None)


def test_template_variables_expand_as_grafana_does() -> None:
    variables = {"model": MODEL, "user": USER}
    assert interpolate("${model:csv}", variables, {"model": [ALL], "user": [ALL]}) == "*"
    assert interpolate("${user:csv}", variables, {"model": [ALL], "user": [ALL]}) == "ann,bob"
    assert interpolate("$user", variables, {"model": [ALL], "user": ["ann", "bob"]}) == "{ann,bob}"
    assert interpolate("x=$model&f=${__timeFrom}", variables, {"model": ["claude"], "user": [ALL]}) == (
        "x=claude&f=${__timeFrom}")  # fmt: skip
    with pytest.raises(KeyError):
        interpolate("$nope", variables, {})


def test_infinity_macros_and_urls() -> None:
    start, end = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 8, tzinfo=UTC)
    assert expand_time("from=${__timeFrom}&to=${__timeTo}", start, end) == "from=1793491200000&to=1794096000000"
    with pytest.raises(ValueError):
        expand_time("${__interval}", start, end)
    target = {"url": "/api/v1/analytics/metrics?measure=cost&group_by=model,user&from=${__timeFrom}&to=${__timeTo}",
              "url_options": {"method": "GET", "params": [{"key": "model", "value": "${model:csv}"}]}}  # fmt: skip
    url = request_url("http://t:1", target, {"model": MODEL}, {"model": ["a&b", "c"]}, start, end)
    assert url == ("http://t:1/api/v1/analytics/metrics?from=1793491200000&group_by=model%2Cuser&measure=cost"
                   "&model=a%26b%2Cc&to=1794096000000")  # fmt: skip


def test_frames_check_the_declared_columns() -> None:
    target = {"root_selector": "$", "columns": [{"selector": "time", "text": "time", "type": "timestamp_epoch"},
                                                {"selector": "value", "text": "cost", "type": "number"}]}  # fmt: skip
    assert frame([{"time": 1, "value": 2.5, "x": "y"}], target) == [{"time": 1, "cost": 2.5}]
    assert frame([{"time": 1, "value": None}], target) == [{"time": 1, "cost": None}]
    for bad in ([{"time": 1}], [{"time": "1", "value": 1}], [{"time": 1, "value": "2"}], [{"time": 1, "value": True}],
                {"time": 1, "value": 1}):  # fmt: skip
        with pytest.raises(AssertionError):
            frame(bad, target)
    series = {**target, "format": "timeseries",
              "columns": [*target["columns"], {"selector": "model", "text": "model", "type": "string"}]}  # fmt: skip
    assert len(frame([{"time": 1, "value": 1, "model": "a"}, {"time": 1, "value": 2, "model": "b"}], series)) == 2
    for bad in ([{"time": 2, "value": 1, "model": "a"}, {"time": 1, "value": 1, "model": "a"}],
                [{"time": 1, "value": 1, "model": "a"}, {"time": 1, "value": 2, "model": "a"}]):  # fmt: skip
        with pytest.raises(AssertionError):
            frame(bad, series)
