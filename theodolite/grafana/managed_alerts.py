"""Grafana-managed alert rules on the analytics API (Infinity, backend parser: Grafana's server
runs these queries itself, with no browser), as an alerting provisioning file: daily cost,
p95 generation latency and the generation error rate, each a warning and, where the thresholds
have one, a critical rule. The thresholds are the Prometheus rules' (THEODOLITE_ALERT_*), so both
routes alert at the same values; the Prometheus route needs /metrics scraped, this one only the
HTTP API.

Each rule: A, the Infinity query over the rule's window (`interval=total`: one row, the
window's value); B, its last value; C, the threshold on B (the condition). No traffic is not an
incident (the Prometheus rules watch for silence), so no data leaves a rule OK."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from grafana_foundation_sdk.builders import alerting, expr
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.alerting import RelativeTimeRange
from grafana_foundation_sdk.models.dashboard import DataSourceRef

from theodolite.alerts.thresholds import AlertThresholds
from theodolite.grafana.infinity import INFINITY_UID, Analytics, metrics

FOLDER = "Theodolite"
GROUP = "theodolite-analytics"
EXPRESSIONS = DataSourceRef(type_val="__expr__", uid="__expr__")
# What the provisioning file's rules hold (the SDK's Rule is the HTTP API's, with folder and group
# fields of its own).
RULE_KEYS = ("uid", "title", "condition", "data", "noDataState", "execErrState", "for", "labels", "annotations")


@dataclass(frozen=True)
class Watch:
    """One rule: a query's value over `window_s` above `threshold` for `for_`."""

    uid: str
    title: str
    query: Analytics
    window_s: int
    threshold: float
    severity: str
    for_: str
    summary: str


def _rule(w: Watch) -> alerting.Rule:
    reduce = expr.TypeReduce().ref_id("B").datasource(EXPRESSIONS).expression("A").reducer("last")
    over = expr.ExprTypeThresholdConditionsEvaluator().type("gt").params([w.threshold])
    threshold = (
        expr.TypeThreshold().ref_id("C").datasource(EXPRESSIONS).expression("B")
        .conditions([expr.ExprTypeThresholdConditions().evaluator(over)])
    )  # fmt: skip
    return (
        alerting.Rule(w.title).uid(w.uid).condition("C").for_val(w.for_)
        .no_data_state("OK").exec_err_state("Error")
        .labels({"severity": w.severity, "service": "theodolite"})
        .annotations({"summary": w.summary, "description": f"{w.title}: {{{{ $values.B.Value }}}} "
                      f"(threshold {w.threshold:g})."})
        .with_query(alerting.Query("A").datasource_uid(INFINITY_UID).model(w.query)
                    .relative_time_range(RelativeTimeRange(from_val=w.window_s, to=0)))
        .with_query(alerting.Query("B").datasource_uid(EXPRESSIONS.uid).model(reduce))
        .with_query(alerting.Query("C").datasource_uid(EXPRESSIONS.uid).model(threshold))
    )  # fmt: skip


def watches(t: AlertThresholds) -> list[Watch]:
    day, five_minutes = 86_400, 300

    def window_value(measure: str, **options: str) -> Analytics:
        # A time series of one point: alerting reads a time column and numeric columns.
        return metrics(measure, interval="total", fmt="timeseries", **options)

    cost = window_value("cost")
    # Provider calls only, as in the Prometheus rule: cache hits answer in milliseconds and would
    # pull the p95 down exactly when the provider is slow.
    latency = window_value("latency", aggregation="p95", type="generation", source="provider")
    errors = window_value("error_rate", type="generation")
    return [
        Watch("theodolite-daily-cost-high", "Daily LLM cost high", cost, day, t.daily_cost_high_usd, "warning",
              "10m", "The project's LLM cost over the last 24 h is over the warning budget."),
        Watch("theodolite-daily-cost-critical", "Daily LLM cost critical", cost, day, t.daily_cost_critical_usd,
              "critical", "10m", "The project's LLM cost over the last 24 h is over the critical budget."),
        Watch("theodolite-latency-p95-high", "Generation p95 latency high", latency, five_minutes,
              t.latency_p95_high_s * 1000, "warning", "5m", "p95 generation latency (ms) over 5 min is high."),
        Watch("theodolite-latency-p95-critical", "Generation p95 latency critical", latency, five_minutes,
              t.latency_p95_critical_s * 1000, "critical", "5m", "p95 generation latency (ms) over 5 min is critical."),
        Watch("theodolite-error-rate-high", "Generation error rate high", errors, five_minutes, t.error_rate,
              "critical", "5m", "The share of generations failing over 5 min is high."),
    ]  # fmt: skip


def rule_file(t: AlertThresholds | None = None) -> dict[str, Any]:
    """The alerting provisioning file (apiVersion 1): one group in the Theodolite folder."""
    rules = [json.loads(json.dumps(_rule(w).build(), cls=JSONEncoder)) for w in watches(t or AlertThresholds())]
    return {"apiVersion": 1, "groups": [{
        "orgId": 1, "name": GROUP, "folder": FOLDER, "interval": "1m",
        "rules": [{key: rule[key] for key in RULE_KEYS if key in rule} for rule in rules],
    }]}  # fmt: skip
