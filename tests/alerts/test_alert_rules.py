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

from theodolite.alerts.rules import alert_rules, rule_file
from theodolite.alerts.thresholds import AlertThresholds
from theodolite.metrics.catalog import find_metric

GEN = "theodolite_generations_total"
COST = "theodolite_cost_usd_total"
DURATION = "gen_ai_client_operation_duration_seconds_bucket"
DAY = 24 * 60
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
    # every generation takes 20-41 s (p95 ~40 s), then 41-82 s (p95 ~80 s); none after 60 min
    "LLMLatencyP95High": Case({f'{DURATION}{{project="p",le="20.48"}}': "0x120",
                               f'{DURATION}{{project="p",le="40.96"}}': "0+1x60 60x60",
                               f'{DURATION}{{project="p",le="+Inf"}}': "0+1x60 60x60"}, 3, 15, 90),
    "LLMLatencyP95Critical": Case({f'{DURATION}{{project="p",le="40.96"}}': "0x120",
                                   f'{DURATION}{{project="p",le="81.92"}}': "0+1x60 60x60",
                                   f'{DURATION}{{project="p",le="+Inf"}}': "0+1x60 60x60"}, 3, 15, 90),
    # 10% cache hits for 3 h, then 5 in 14
    "LLMCacheHitRateLow": Case({f'{GEN}{{project="p",source="cache"}}': "0+1x180 180+5x120",
                                f'{GEN}{{project="p",source="provider"}}': "0+9x300"}, 60, 150, 260),
    "LLMGenerationsStuck": Case({'theodolite_active_generations{project="p",model="m"}': "12x40 0x40"}, 10, 20, 50),
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


def test_expressions_name_catalog_metrics_only() -> None:
    for rule in alert_rules():
        names = set(re.findall(r"\b(?:theodolite|gen_ai)_[a-z_]+", rule.expr))
        assert names and all(find_metric(name) for name in names), (rule.name, names)


def test_thresholds_are_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THEODOLITE_ALERT_DAILY_COST_HIGH_USD", "123")
    assert "> 123.0" in next(r.expr for r in alert_rules(AlertThresholds()) if r.name == "LLMDailyCostHigh")


def test_promtool_checks_and_unit_tests_every_alert(tmp_path: Path) -> None:
    assert shutil.which("promtool"), "promtool is missing: ./scripts/test installs it (apt package prometheus)"
    rules_path = tmp_path / "rules.yml"
    rules_path.write_text(rule_file())
    check = subprocess.run(["promtool", "check", "rules", str(rules_path)], capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stdout + check.stderr

    by_name = {rule.name: rule for rule in alert_rules()}
    tests = []
    for name, case in CASES.items():
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
    for name, _what, series, expectations in SCENARIOS:
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
    monkeypatch.setenv("THEODOLITE_ALERT_ERROR_RATE", "lots")
    bad = CliRunner().invoke(cli, ["alerts", "export", str(tmp_path / "out")])
    assert bad.exit_code == 1 and "bad THEODOLITE_ALERT_* setting" in bad.output
