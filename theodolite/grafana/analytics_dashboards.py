"""The dashboards on the analytics API through the Infinity datasource: Cost, Performance,
Quality, and "Overview (Infinity)", the Overview's panels without SQL, so they work on any
install (the default SQLite one included) and behind Theodolite's own auth.

Cost, Performance and the Overview filter by `$model`, `$user` and `$name` (trace name); Quality
by `$user` and `$score` (the score's name). Cost is Theodolite's price, else the client's;
latency is in milliseconds. The alert thresholds (THEODOLITE_ALERT_*) colour the figures and are
drawn on the charts that the Grafana-managed alert rules watch (managed_alerts.py)."""

from __future__ import annotations

from typing import Any

from grafana_foundation_sdk.builders import dashboard, histogram
from grafana_foundation_sdk.models.dashboard import DataTransformerConfig, VariableOption

from theodolite.alerts.thresholds import AlertThresholds
from theodolite.grafana.analytics_panels import bars_by_row, number, pie, rows, series
from theodolite.grafana.infinity import INFINITY, TIME, Analytics, Column, metrics, value_of, variable
from theodolite.grafana.panels import base_dashboard, thresholds

TRACE_FILTERS = {"model": "model", "user": "user", "name": "name"}  # API filter -> template variable
SCORE_FILTERS = {"user": "user", "name": "score"}  # for scores, `name` is the score's name
ALL = VariableOption(selected=True, text=["All"], value=["$__all"])  # a multi-value variable's "All"
UIDS = {"cost": "theodolite-cost", "performance": "theodolite-performance", "quality": "theodolite-quality",
        "overview": "theodolite-overview-infinity"}  # fmt: skip


def _with_variables(board: dashboard.Dashboard, filters: dict[str, str]) -> dashboard.Dashboard:
    labels = {"model": ("models", "Model"), "user": ("users", "User"), "name": ("names", "Name"),
              "score": ("score_names", "Score")}  # fmt: skip
    for name in filters.values():
        kind, label = labels[name]
        board = board.with_variable(variable(name, kind, label).current(ALL))
    return board


def _traces(measure: str, **options: Any) -> Analytics:
    return metrics(measure, filters=TRACE_FILTERS, **options)


def _cost_limits(t: AlertThresholds) -> dashboard.ThresholdsConfig:
    return thresholds((None, "green"), (t.daily_cost_high_usd, "orange"), (t.daily_cost_critical_usd, "red"))


def cost(t: AlertThresholds | None = None) -> dashboard.Dashboard:
    t = t or AlertThresholds()
    daily = Analytics("costs", {}, (TIME, Column("model", "string"), Column("cost"), Column("input_tokens"),
                                    Column("output_tokens"), Column("total_tokens"), Column("calls"),
                                    Column("unpriced_calls")),
                      filters=TRACE_FILTERS)  # fmt: skip
    top_users = _traces("cost", scope="traces", group_by="user", interval="total",
                        columns=(Column("user", "string"), value_of("cost")))  # fmt: skip
    return (
        _with_variables(base_dashboard("Cost", UIDS["cost"], "now-7d"), TRACE_FILTERS)
        .with_row(dashboard.Row("Totals"))
        .with_panel(number("Cost", _traces("cost", interval="total"), "currencyUSD"))
        .with_panel(number("Cost, last 24 h", _traces("cost", interval="total"), "currencyUSD", since="24h",
                           limits=_cost_limits(t)))  # fmt: skip
        .with_panel(number("Cost per request", _traces("cost", aggregation="avg", scope="traces", interval="total"),
                           "currencyUSD"))  # fmt: skip
        .with_panel(number("Tokens", _traces("total_tokens", interval="total")))
        .with_row(dashboard.Row("Over time"))
        .with_panel(series("Cost over time", _traces("cost"), "currencyUSD", bars=True))
        .with_panel(series("Cost by model", _traces("cost", group_by="model"), "currencyUSD"))
        .with_row(dashboard.Row("Breakdown"))
        .with_panel(rows("Daily breakdown", daily, span=14))
        .with_panel(rows("Top users by cost", top_users, span=10, sort_desc="cost"))
    )  # fmt: skip


def performance(t: AlertThresholds | None = None) -> dashboard.Dashboard:
    t = t or AlertThresholds()
    errors = thresholds((None, "green"), (t.error_rate, "red"))
    high_ms, critical_ms = t.latency_p95_high_s * 1000, t.latency_p95_critical_s * 1000
    latency = thresholds((None, "green"), (high_ms, "orange"), (critical_ms, "red"))
    return (
        _with_variables(base_dashboard("Performance", UIDS["performance"], "now-24h"), TRACE_FILTERS)
        .with_row(dashboard.Row("Totals"))
        .with_panel(number("Requests", _traces("trace_count", aggregation="count", interval="total")))
        .with_panel(number("p95 latency", _traces("latency", aggregation="p95", scope="traces", interval="total"),
                           "ms"))
        .with_panel(number("Error rate", _traces("error_rate", interval="total"), "percentunit", limits=errors))
        .with_panel(number("Tokens per request", _traces("total_tokens", aggregation="avg", scope="traces",
                                                         interval="total")))  # fmt: skip
        .with_row(dashboard.Row("Over time"))
        .with_panel(series("Requests over time", _traces("trace_count", aggregation="count"), bars=True))
        .with_panel(series("p95 latency by name", _traces("latency", aggregation="p95", scope="traces",
                                                          group_by="name"), "ms"))  # fmt: skip
        .with_panel(series("Error rate over time", _traces("error_rate"), "percentunit", limits=errors))
        .with_panel(series("p95 generation latency", _traces("latency", aggregation="p95", type="generation",
                                                             source="provider"), "ms",
                           limits=latency))  # fmt: skip
        .with_panel(series("Tokens per request over time", _traces("total_tokens", aggregation="avg", scope="traces"),
                           span=24))
    )  # fmt: skip


def quality(_thresholds: AlertThresholds | None = None) -> dashboard.Dashboard:
    def scores(**options: Any) -> Analytics:
        return metrics("score", filters=SCORE_FILTERS, **options)

    per_name = (Column("name", "string"), value_of("score"))
    raw = Analytics("scores", {"type": "NUMERIC", "limit": 1000}, per_name, filters=SCORE_FILTERS)
    # One histogram per score name: the rows come long (name, value).
    by_name = DataTransformerConfig(id_val="partitionByValues", options={"fields": ["name"]})
    counts = scores(aggregation="count", group_by="name", interval="total", columns=per_name)
    passed = scores(aggregation="avg", group_by="name", interval="total", type="BOOLEAN", columns=per_name)
    return (
        _with_variables(base_dashboard("Quality", UIDS["quality"], "now-7d"), SCORE_FILTERS)
        .with_row(dashboard.Row("Scores"))
        .with_panel(series("Average score by name", scores(aggregation="avg", group_by="name")))
        .with_panel(bars_by_row("Scores by name", counts))
        .with_panel(
            histogram.Panel().title("Score distribution (latest 1,000 numeric scores)").datasource(INFINITY)
            .with_target(raw).with_transformation(by_name).span(24).height(8)
        )
        .with_row(dashboard.Row("Pass rate (boolean scores)"))
        .with_panel(bars_by_row("Pass rate by evaluator", passed, "percentunit"))
        .with_panel(series("Pass rate over time", scores(aggregation="avg", group_by="name", type="BOOLEAN"),
                           "percentunit"))
    )  # fmt: skip


def overview(_thresholds: AlertThresholds | None = None) -> dashboard.Dashboard:
    """The Overview's layout on the API. The API answers for the key's project and has no agent
    dimension, so the pies by agent and by project are by release and by user here."""

    def by(group: str) -> Analytics:
        return _traces("trace_count", aggregation="count", group_by=group, interval="total",
                       columns=(Column(group, "string"), value_of("trace_count")))  # fmt: skip

    recent = Analytics("traces", {"limit": 50}, (
        TIME, Column("name", "string"), Column("user", "string"), Column("release", "string"),
        Column("total_tokens", text="tokens"), Column("cost"), Column("latency_ms"), Column("tags", "string"),
    ), filters=TRACE_FILTERS)  # fmt: skip
    return (
        _with_variables(base_dashboard("Overview (Infinity)", UIDS["overview"], "now-7d"), TRACE_FILTERS)
        .with_row(dashboard.Row("Key figures"))
        .with_panel(number("Traces (24h)", _traces("trace_count", aggregation="count", interval="total"), since="24h"))
        .with_panel(number("Tokens (24h)", _traces("total_tokens", interval="total"), since="24h"))
        .with_panel(number("Cost (24h)", _traces("cost", interval="total"), "currencyUSD", since="24h"))
        .with_panel(number("Total traces", _traces("trace_count", aggregation="count", interval="total",
                                                   all_time=True)))
        .with_row(dashboard.Row("Timelines"))
        .with_panel(series("Traces per hour", _traces("trace_count", aggregation="count", interval="1h"), bars=True))
        .with_panel(series("Cost per hour", _traces("cost", interval="1h"), "currencyUSD", bars=True))
        .with_row(dashboard.Row("Breakdown"))
        .with_panel(pie("Traces by release", by("release")))
        .with_panel(pie("Traces by name", by("name")))
        .with_panel(pie("Traces by user", by("user")))
        .with_row(dashboard.Row("Recent traces"))
        .with_panel(rows("Recent traces", recent))
    )  # fmt: skip
