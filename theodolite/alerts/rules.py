"""The rule catalog and the Prometheus rule file it becomes.

Every alert reads metrics of the metric catalog only (a test checks the names and that promtool
parses each expression), carries a severity label and summary/description annotations, and has a
promtool unit test (tests/alerts/) for its pending, firing and resolved states.
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml

from theodolite.alerts.thresholds import AlertThresholds

GENERATIONS = "theodolite_generations_total"
FALLBACK = 'source=~"fallback.*"'


@dataclass(frozen=True)
class AlertRule:
    name: str
    expr: str
    for_: str
    severity: str
    summary: str
    description: str


def _rate(selector: str, window: str, by: str = "project") -> str:
    return f"sum by ({by}) (rate({GENERATIONS}{{{selector}}}[{window}]))"


def alert_rules(t: AlertThresholds | None = None) -> list[AlertRule]:
    t = t or AlertThresholds()
    cost_1d = "sum by (project) (increase(theodolite_cost_usd_total[1d]))"
    fallback_share = f"{_rate(FALLBACK, '15m')} / {_rate('', '15m')}"
    # Provider calls only: fast cache hits would hide a slow provider.
    p95 = ("histogram_quantile(0.95, sum by (project, le) "
           '(rate(gen_ai_client_operation_duration_seconds_bucket{source="provider"}[5m])))')  # fmt: skip
    cache = 'source="cache"'
    errors = 'status="error"'
    cache_share = f"{_rate(cache, '1h')} / {_rate('', '1h')}"
    error_share = f"{_rate(errors, '5m')} / {_rate('', '5m')}"
    # Counters have no series until a project's first generation after a server restart, so
    # `increase(...) == 0` alone never fires then. theodolite_project_info has a series per known
    # project from the start: a project is silent unless it had a generation in the window.
    silent = (
        f"max by (project) (theodolite_project_info) unless on (project) "
        f"(sum by (project) (increase({GENERATIONS}[{t.no_activity_window}])) > 0)"
    )
    # A spike needs a rate well above the hour before (0 when there was no series then) and a
    # minimum absolute rate: the first fallbacks after a quiet hour are not a spike.
    fallbacks_now = _rate(FALLBACK, "5m")
    fallbacks_before = f"sum by (project) (rate({GENERATIONS}{{{FALLBACK}}}[1h] offset 1h))"
    spike = (
        f"({fallbacks_now} > {t.fallback_spike_factor} * ({fallbacks_before} or {fallbacks_now} * 0)) "
        f"and ({fallbacks_now} * 60 > {t.fallback_spike_min_per_minute})"
    )
    return [
        AlertRule("LLMDailyCostHigh", f"{cost_1d} > {t.daily_cost_high_usd}", "10m", "warning",
                  "LLM cost of {{ $labels.project }} is high",
                  f"Over ${t.daily_cost_high_usd:g} in the last 24 h: check the cache-hit and fallback rates."),
        AlertRule("LLMDailyCostCritical", f"{cost_1d} > {t.daily_cost_critical_usd}", "10m", "critical",
                  "LLM cost of {{ $labels.project }} is critical",
                  f"Over ${t.daily_cost_critical_usd:g} in the last 24 h."),
        AlertRule("LLMFallbackRateHigh", f"{fallback_share} > {t.fallback_rate_high}", "10m", "warning",
                  "Many generations of {{ $labels.project }} come from fallbacks",
                  f"More than {t.fallback_rate_high:.0%} of generations over 15 min were fallbacks."),
        AlertRule("LLMFallbackRateCritical", f"{fallback_share} > {t.fallback_rate_critical}", "5m", "critical",
                  "Most generations of {{ $labels.project }} come from fallbacks",
                  f"More than {t.fallback_rate_critical:.0%} of generations over 15 min were fallbacks."),
        AlertRule("LLMLatencyP95High", f"{p95} > {t.latency_p95_high_s}", "5m", "warning",
                  "Generations of {{ $labels.project }} are slow",
                  f"p95 duration above {t.latency_p95_high_s:g} s over 5 min."),
        AlertRule("LLMLatencyP95Critical", f"{p95} > {t.latency_p95_critical_s}", "5m", "critical",
                  "Generations of {{ $labels.project }} are very slow",
                  f"p95 duration above {t.latency_p95_critical_s:g} s over 5 min."),
        AlertRule("LLMCacheHitRateLow", f"{cache_share} < {t.cache_hit_rate_low}", "2h", "warning",
                  "Few generations of {{ $labels.project }} are served from the cache",
                  f"Cache hits below {t.cache_hit_rate_low:.0%} for 2 h."),
        AlertRule("LLMGenerationsStuck", f"max by (project) (app_llm_active_requests) > {t.stuck_generations}",
                  "15m", "warning", "Generations of {{ $labels.project }} seem stuck",
                  f"More than {t.stuck_generations:g} generations in flight for 15 min (a deadlock?)."),
        AlertRule("LLMNoActivity", silent,
                  "10m", "warning", "No generations from {{ $labels.project }}",
                  f"No generation at all for {t.no_activity_window}."),
        AlertRule("LLMFallbackSpike", spike,
                  "5m", "warning", "Fallbacks of {{ $labels.project }} are spiking",
                  f"Fallbacks per second are over {t.fallback_spike_factor:g}x what they were an hour ago "
                  f"(and over {t.fallback_spike_min_per_minute:g} a minute)."),
        AlertRule("LLMErrorRateHigh", f"{error_share} > {t.error_rate}", "5m", "critical",
                  "Generations of {{ $labels.project }} are failing",
                  f"More than {t.error_rate:.0%} of generations failed over 5 min."),
        AlertRule("LLMEntityBudgetExceeded",
                  f"sum by (project, name) (increase(theodolite_cost_usd_total[1d])) > {t.entity_daily_budget_usd}",
                  "5m", "warning", "{{ $labels.name }} in {{ $labels.project }} is over its daily budget",
                  f"Over ${t.entity_daily_budget_usd:g} in the last 24 h."),
    ]  # fmt: skip


def rule_group(name: str, rules: list[AlertRule]) -> dict:
    """One group of a Prometheus rule file."""
    return {"name": name, "rules": [
        {"alert": r.name, "expr": r.expr, "for": r.for_, "labels": {"severity": r.severity},
         "annotations": {"summary": r.summary, "description": r.description}}
        for r in rules
    ]}  # fmt: skip


def rule_file_text(groups: list[dict]) -> str:
    header = (
        "# Generated by `theodolite alerts export` from theodolite/alerts/rules.py; edit thresholds, not this file.\n"
    )
    return header + yaml.safe_dump({"groups": groups}, sort_keys=False, width=200)


def rule_file(t: AlertThresholds | None = None) -> str:
    """The Prometheus rule file (YAML) for every alert of the catalog's default profile."""
    return rule_file_text([rule_group("theodolite-llm", alert_rules(t))])


def alertmanager_example() -> str:
    """An Alertmanager configuration routing these alerts: critical ones to PagerDuty and Slack,
    the rest to Slack, everything to a webhook. Replace the placeholders (`amtool check-config`
    accepts it as it is)."""
    document = {
        "route": {
            "receiver": "webhook",
            "group_by": ["alertname", "project"],
            "group_wait": "30s",
            "group_interval": "5m",
            "repeat_interval": "4h",
            "routes": [
                {"matchers": ['severity="critical"'], "receiver": "pagerduty", "continue": True},
                {"matchers": ['alertname=~"LLM.*|App.*"'], "receiver": "slack", "continue": True},
                {"matchers": ['alertname=~".+"'], "receiver": "webhook"},
            ],
        },
        "receivers": [
            {"name": "webhook", "webhook_configs": [{"url": "http://127.0.0.1:9095/alerts", "send_resolved": True}]},
            {"name": "slack", "slack_configs": [{
                "api_url": "https://hooks.slack.com/services/REPLACE/ME/TOKEN", "channel": "#llm-alerts",
                "send_resolved": True, "title": "{{ .CommonAnnotations.summary }}",
                "text": "{{ range .Alerts }}{{ .Annotations.description }}\n{{ end }}",
            }]},
            {"name": "pagerduty", "pagerduty_configs": [{
                "routing_key": "REPLACE-WITH-YOUR-PAGERDUTY-INTEGRATION-KEY", "severity": "critical",
                "description": "{{ .CommonAnnotations.summary }}",
            }]},
        ],
        "inhibit_rules": [{
            "source_matchers": ['severity="critical"'], "target_matchers": ['severity="warning"'],
            "equal": ["project"],
        }],
    }  # fmt: skip
    header = "# Example Alertmanager configuration for Theodolite's alerts (theodolite alerts export).\n"
    return header + yaml.safe_dump(document, sort_keys=False, width=200)
