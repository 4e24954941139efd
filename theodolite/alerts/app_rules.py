"""The `app` profile of the rule catalog: three alerts on what an application counts itself
through `theodolite.metrics` (LLM cost per day, errors per HTTP request, p95 of its LLM calls),
for a team whose Prometheus scrapes its application and not (only) Theodolite's server.

They read `<namespace>_*` metrics (`app_*` by default; the namespace of LLMMetrics), one origin
per expression like every rule, and are grouped by `job`, the application's scrape job.
`theodolite alerts export DIR --profile app [--app-namespace NAME]` writes them.
"""

from __future__ import annotations

from theodolite.alerts.rules import AlertRule, alert_rules, rule_file_text, rule_group
from theodolite.alerts.thresholds import AlertThresholds
from theodolite.metrics.catalog import APP_NAMESPACE, app_metric_name

PROFILES = ("default", "app")  # `default`: the server's rules (theodolite.alerts.rules.alert_rules)


def app_alert_rules(t: AlertThresholds | None = None, namespace: str = APP_NAMESPACE) -> list[AlertRule]:
    t = t or AlertThresholds()

    def name(catalog_name: str) -> str:
        return app_metric_name(catalog_name, namespace)

    cost_1d = f"sum by (job) (increase({name('app_llm_cost_usd_total')}[1d]))"
    error_share = (f"sum by (job) (rate({name('app_errors_total')}[5m])) / "
                   f"sum by (job) (rate({name('app_http_requests_total')}[5m]))")  # fmt: skip
    p95 = f"histogram_quantile(0.95, sum by (job, le) (rate({name('app_llm_request_duration_seconds')}_bucket[5m])))"
    return [
        AlertRule("AppLLMDailyCostHigh", f"{cost_1d} > {t.app_daily_cost_usd}", "10m", "critical",
                  "LLM cost of {{ $labels.job }} is over budget",
                  f"Over ${t.app_daily_cost_usd:g} of LLM calls in the last 24 h, as the application counts them."),
        AlertRule("AppErrorRateHigh", f"{error_share} > {t.app_error_rate}", "5m", "critical",
                  "{{ $labels.job }} reports many errors",
                  f"More than {t.app_error_rate:.0%} errors per HTTP request over 5 min."),
        AlertRule("AppLLMLatencyP95High", f"{p95} > {t.app_latency_p95_s}", "5m", "critical",
                  "LLM calls of {{ $labels.job }} are slow",
                  f"p95 duration of its LLM calls above {t.app_latency_p95_s:g} s over 5 min."),
    ]  # fmt: skip


def profile_rule_file(profiles: tuple[str, ...] = ("default",), t: AlertThresholds | None = None,
                      namespace: str = APP_NAMESPACE) -> tuple[str, int]:  # fmt: skip
    """The Prometheus rule file (YAML) for the given profiles, one group each, and its rule count.
    Raises ValueError for an unknown profile."""
    unknown = [profile for profile in profiles if profile not in PROFILES]
    if unknown:
        raise ValueError(f"unknown alert profile {', '.join(unknown)} (known: {', '.join(PROFILES)})")
    groups, count = [], 0
    for profile in dict.fromkeys(profiles):
        rules = alert_rules(t) if profile == "default" else app_alert_rules(t, namespace)
        groups.append(rule_group("theodolite-llm" if profile == "default" else "theodolite-app", rules))
        count += len(rules)
    return rule_file_text(groups), count
