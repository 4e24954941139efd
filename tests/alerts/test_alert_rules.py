"""The alert rules: promtool accepts the file, every expression names catalog metrics only, and
every alert has a promtool unit test for its pending, firing and resolved states."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from theodolite.alerts.app_rules import app_alert_rules, profile_rule_file
from theodolite.alerts.rules import AlertRule, alert_rules, rule_file
from theodolite.alerts.thresholds import AlertThresholds
from theodolite.metrics.catalog import find_metric, origin

GEN = "theodolite_generations_total"
COST = "theodolite_cost_usd_total"
DURATION = "gen_ai_client_operation_duration_seconds_bucket"
DAY = 24 * 60
CACHE_HITS = {
    f'{DURATION}{{project="p",source="cache",le="{le}"}}': "0+20x120"
    for le in ("0.01", "20.48", "40.96", "81.92", "+Inf")
}
INFO = 'theodolite_project_info{project="p"}'


@dataclass(frozen=True)
class Case:
    """Series (promtool notation, one sample a minute) and when the alert is pending (the
    condition holds, `for` has not elapsed: no alert yet), firing, and resolved."""

    series: dict[str, str]
    pending: int
    firing: int
    resolved: int
    labels: tuple[tuple[str, str], ...] = (("project", "p"),)


CASES: dict[str, Case] = {
    # 0.1 $/min: over $10 a day from ~100 min on; flat afterwards, so a day later it resolves
    "LLMDailyCostHigh": Case({f'{COST}{{project="p",name="n"}}': "0+0.1x200 20x1600"}, 105, 130, DAY + 230),
    "LLMDailyCostCritical": Case({f'{COST}{{project="p",name="n"}}': "0+0.5x200 100x1600"}, 105, 130, DAY + 230),
    # 30% and then 60% of generations are fallbacks; fallbacks stop at 60 min
    "LLMFallbackRateHigh": Case({f'{GEN}{{project="p",source="fallback_template"}}': "0+3x60 180x60",
                                 f'{GEN}{{project="p",source="provider"}}': "0+7x120"}, 5, 20, 90),
    "LLMFallbackRateCritical": Case({f'{GEN}{{project="p",source="fallback_hardcoded"}}': "0+6x60 360x60",
                                     f'{GEN}{{project="p",source="provider"}}': "0+4x120"}, 3, 15, 90),
    # every provider call takes 20-41 s (p95 ~40 s), then 41-82 s (p95 ~80 s); none after 60 min. Twenty
    # cache hits a minute answer within 10 ms all along: they must not pull the provider's p95 down.
    "LLMLatencyP95High": Case({f'{DURATION}{{project="p",source="provider",le="20.48"}}': "0x120",
                               f'{DURATION}{{project="p",source="provider",le="40.96"}}': "0+1x60 60x60",
                               f'{DURATION}{{project="p",source="provider",le="+Inf"}}': "0+1x60 60x60",
                               **CACHE_HITS}, 3, 15, 90),
    "LLMLatencyP95Critical": Case({f'{DURATION}{{project="p",source="provider",le="40.96"}}': "0x120",
                                   f'{DURATION}{{project="p",source="provider",le="81.92"}}': "0+1x60 60x60",
                                   f'{DURATION}{{project="p",source="provider",le="+Inf"}}': "0+1x60 60x60",
                                   **CACHE_HITS}, 3, 15, 90),
    # 10% cache hits for 3 h, then 5 in 14
    "LLMCacheHitRateLow": Case({f'{GEN}{{project="p",source="cache"}}': "0+1x180 180+5x120",
                                f'{GEN}{{project="p",source="provider"}}': "0+9x300"}, 60, 150, 260),
    "LLMGenerationsStuck": Case({'app_llm_active_requests{project="p",model="m"}': "12x40 0x40"}, 10, 20, 50),
    # activity for an hour, silence for two, activity again
    "LLMNoActivity": Case({f'{GEN}{{project="p",source="provider"}}': "0+1x60 60x120 60+1x60",
                           INFO: "1x250"}, 125, 140, 190),
    # 1 fallback a minute, 10 a minute from 120 to 150 min, then 1 again
    "LLMFallbackSpike": Case({f'{GEN}{{project="p",source="fallback_template"}}': "0+1x120 120+10x30 420+1x60"},
                             123, 140, 175),
    "LLMErrorRateHigh": Case({f'{GEN}{{project="p",status="error"}}': "0+1x60 60x60",
                              f'{GEN}{{project="p",status="ok"}}': "0+9x120"}, 3, 15, 90),
    "LLMEntityBudgetExceeded": Case({f'{COST}{{project="p",name="summarise"}}': "0+0.1x100 10x1600"}, 53, 70,
                                    DAY + 130, (("name", "summarise"), ("project", "p"))),
}  # fmt: skip

APP_COST, APP_ERRORS, APP_HTTP = "app_llm_cost_usd_total", "app_errors_total", "app_http_requests_total"
APP_DURATION = "app_llm_request_duration_seconds_bucket"
JOB = (("job", "bot"),)
# The `app` profile: an application's own metrics, by scrape job.
APP_CASES: dict[str, Case] = {
    # $1 a minute: over $100 a day from ~101 min on; flat afterwards, so a day later it resolves
    "AppLLMDailyCostHigh": Case({f'{APP_COST}{{job="bot",model="gpt-4o",feature="chat"}}': "0+1x200 200x1600"},
                                105, 130, DAY + 230, JOB),
    # 1 error per 10 requests a minute (10 %), errors stop at 60 min
    "AppErrorRateHigh": Case({f'{APP_ERRORS}{{job="bot",type="llm_timeout",severity="error"}}': "0+1x60 60x60",
                              f'{APP_HTTP}{{job="bot",method="POST",endpoint="/chat",status="200"}}': "0+10x120"},
                             3, 15, 90, JOB),
    # every call takes 5.12-10.24 s, then no call after 60 min
    "AppLLMLatencyP95High": Case({f'{APP_DURATION}{{job="bot",le="5.12"}}': "0x120",
                                  f'{APP_DURATION}{{job="bot",le="10.24"}}': "0+1x60 60x60",
                                  f'{APP_DURATION}{{job="bot",le="+Inf"}}': "0+1x60 60x60"}, 3, 15, 90, JOB),
}  # fmt: skip


# More scenarios: (alert, what happens, series, eval times in minutes -> fires or not).
SCENARIOS: list[tuple[str, str, dict[str, str], dict[int, bool]]] = [
    # The server restarted: the project is known, no generation series exists yet; the first
    # generation arrives after an hour. Fires after `for`, resolves once generations increase.
    ("LLMNoActivity", "restart, no series yet",
     {INFO: "1x200", f'{GEN}{{project="p",source="provider"}}': "_x60 60+1x100"}, {5: False, 20: True, 80: False}),
    # Two hours without a fallback, then 4 over 8 minutes (0.5 a minute): no spike.
    ("LLMFallbackSpike", "first fallbacks after a quiet hour",
     {f'{GEN}{{project="p",source="fallback_template"}}': "0x120 1 1 2 2 3 3 4 4x60",
      f'{GEN}{{project="p",source="provider"}}': "0+10x200"}, {125: False, 128: False, 132: False, 140: False}),
    # No fallback series at all an hour ago, then 20 a minute: a spike from nothing still fires.
    ("LLMFallbackSpike", "a spike with no earlier series",
     {f'{GEN}{{project="p",source="fallback_template"}}': "_x120 0+20x30"}, {123: False, 135: True}),
]  # fmt: skip


def rendered(text: str, labels: dict[str, str]) -> str:
    return re.sub(r"\{\{ \$labels\.(\w+) \}\}", lambda m: labels[m.group(1)], text)


def test_every_alert_has_a_test_case() -> None:
    assert sorted(rule.name for rule in alert_rules()) == sorted(CASES)
    assert sorted(rule.name for rule in app_alert_rules()) == sorted(APP_CASES)


def test_expressions_name_catalog_metrics_of_one_origin() -> None:
    """Each rule reads the server's metrics or an application's, never both (one call would count twice)."""
    for rule in alert_rules() + app_alert_rules():
        names = set(re.findall(r"\b(?:theodolite|gen_ai|app|process)_[a-z_]+", rule.expr))
        assert names and all(find_metric(name) for name in names), (rule.name, names)
        assert len({origin(name) for name in names} - {"both"}) == 1, (rule.name, names)


def test_the_app_profile_follows_the_namespace_and_its_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THEODOLITE_ALERT_APP_DAILY_COST_USD", "250")
    rules = {rule.name: rule.expr for rule in app_alert_rules(AlertThresholds(), namespace="acme")}
    assert rules["AppLLMDailyCostHigh"] == "sum by (job) (increase(acme_llm_cost_usd_total[1d])) > 250.0"
    assert "acme_errors_total" in rules["AppErrorRateHigh"] and "> 0.05" in rules["AppErrorRateHigh"]
    assert "acme_llm_request_duration_seconds_bucket" in rules["AppLLMLatencyP95High"]
    assert rules["AppLLMLatencyP95High"].endswith("> 5.0")


def test_thresholds_are_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THEODOLITE_ALERT_DAILY_COST_HIGH_USD", "123")
    assert "> 123.0" in next(r.expr for r in alert_rules(AlertThresholds()) if r.name == "LLMDailyCostHigh")


def promtool_test(tmp_path: Path, rules_text: str, rules: list[AlertRule], cases: dict[str, Case],
                  scenarios: tuple = ()) -> None:  # fmt: skip
    """promtool checks the rule file, then runs a unit test per alert: silent while pending, firing
    with its labels and annotations, resolved; then each scenario's expectations minute by minute."""
    assert shutil.which("promtool"), "promtool is missing: ./scripts/test installs it (apt package prometheus)"
    rules_path = tmp_path / "rules.yml"
    rules_path.write_text(rules_text)
    check = subprocess.run(["promtool", "check", "rules", str(rules_path)], capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stdout + check.stderr

    by_name = {rule.name: rule for rule in rules}
    tests = []
    for name, case in cases.items():
        rule, labels = by_name[name], dict(case.labels)
        annotations = {"summary": rendered(rule.summary, labels), "description": rule.description}
        firing = [{"exp_labels": {**labels, "severity": rule.severity}, "exp_annotations": annotations}]
        tests.append({
            "interval": "1m",
            "input_series": [{"series": series, "values": values} for series, values in case.series.items()],
            "alert_rule_test": [
                {"eval_time": f"{case.pending}m", "alertname": name, "exp_alerts": []},
                {"eval_time": f"{case.firing}m", "alertname": name, "exp_alerts": firing},
                {"eval_time": f"{case.resolved}m", "alertname": name, "exp_alerts": []},
            ],
        })  # fmt: skip
    for name, _what, series, expectations in scenarios:
        rule, labels = by_name[name], {"project": "p"}
        annotations = {"summary": rendered(rule.summary, labels), "description": rule.description}
        firing = [{"exp_labels": {**labels, "severity": rule.severity}, "exp_annotations": annotations}]
        tests.append({
            "interval": "1m",
            "input_series": [{"series": s, "values": values} for s, values in series.items()],
            "alert_rule_test": [{"eval_time": f"{minute}m", "alertname": name, "exp_alerts": firing if fires else []}
                                for minute, fires in expectations.items()],
        })  # fmt: skip
    tests_path = tmp_path / "tests.yml"
    tests_path.write_text(yaml.safe_dump({"rule_files": [rules_path.name], "evaluation_interval": "1m",
                                          "tests": tests}, sort_keys=False))  # fmt: skip
    result = subprocess.run(["promtool", "test", "rules", tests_path.name], capture_output=True, text=True,
                            timeout=120, cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]


def test_promtool_checks_and_unit_tests_every_alert(tmp_path: Path) -> None:
    promtool_test(tmp_path, rule_file(), alert_rules(), CASES, SCENARIOS)


def test_promtool_checks_and_unit_tests_the_app_profile(tmp_path: Path) -> None:
    text, count = profile_rule_file(("app",))
    assert count == 3
    promtool_test(tmp_path, text, app_alert_rules(), APP_CASES)


def test_the_example_alertmanager_config_is_valid(tmp_path: Path) -> None:
    from theodolite.alerts.rules import alertmanager_example

    assert shutil.which("amtool"), "amtool is missing: ./scripts/test installs it (apt package prometheus-alertmanager)"
    path = tmp_path / "alertmanager.yml"
    path.write_text(alertmanager_example())
    result = subprocess.run(["amtool", "check-config", str(path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert {"webhook", "slack", "pagerduty"} <= {r["name"] for r in yaml.safe_load(path.read_text())["receivers"]}


def test_alerts_export_writes_files_promtool_accepts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from theodolite.cli.main import cli

    monkeypatch.setenv("THEODOLITE_ALERT_ERROR_RATE", "0.1")
    result = CliRunner().invoke(cli, ["alerts", "export", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    rules = tmp_path / "out" / "theodolite-alerts.yml"
    assert "> 0.1" in rules.read_text()
    check = subprocess.run(["promtool", "check", "rules", str(rules)], capture_output=True, text=True, timeout=60)
    assert check.returncode == 0 and "SUCCESS: 12 rules found" in check.stdout
    both = CliRunner().invoke(cli, ["alerts", "export", str(tmp_path / "both"), "--profile", "default", "--profile",
                                    "app", "--app-namespace", "acme"])  # fmt: skip
    assert both.exit_code == 0 and "wrote 15 alert rules (default, app)" in both.output, both.output
    text = (tmp_path / "both" / "theodolite-alerts.yml").read_text()
    assert "sum(rate(acme_errors_total" not in text and "sum by (job) (rate(acme_errors_total[5m]))" in text
    check = subprocess.run(["promtool", "check", "rules", str(tmp_path / "both" / "theodolite-alerts.yml")],
                           capture_output=True, text=True, timeout=60)  # fmt: skip
    assert check.returncode == 0 and "SUCCESS: 15 rules found" in check.stdout, check.stdout + check.stderr
    bad_namespace = CliRunner().invoke(cli, ["alerts", "export", str(tmp_path / "x"), "--profile", "app",
                                             "--app-namespace", "theodolite"])  # fmt: skip
    assert bad_namespace.exit_code == 2 and "namespace" in bad_namespace.output
    monkeypatch.setenv("THEODOLITE_ALERT_ERROR_RATE", "lots")
    bad = CliRunner().invoke(cli, ["alerts", "export", str(tmp_path / "out")])
    assert bad.exit_code == 1 and "bad THEODOLITE_ALERT_* setting" in bad.output
