"""Dashboard 2, "Generation service": the 14 panels a team built for its LLM generation
service with a response cache and fallbacks (generations by source, daily
cost, cache-hit and fallback rates, p95 latency with its thresholds, 24 h counters, p50/p95/p99
over time, hourly cost, active generations, share by source, build info) and what the cache and
the fallbacks saved, on Prometheus, with `$interval` (5m, 15m, 1h, 6h, 24h) and a multi-value
`$model` variable. Every expression reads catalog metrics of one origin: the server's, except
"Active generations", which only an application knows (theodolite.metrics'
app_llm_active_requests).

Latency and cost are about provider calls: a cache hit answers in milliseconds and costs nothing,
so the latency panels select `source="provider"` (cache hits would pull the p95 down exactly when
the provider is slow) and theodolite_cost_usd_total counts provider calls only."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard, gauge, piechart, stat, table, timeseries
from grafana_foundation_sdk.models.dashboard import VariableOption, VariableRefresh

from theodolite.alerts.thresholds import AlertThresholds
from theodolite.grafana.panels import PROMETHEUS, base_dashboard, hourly_bars, promql, thresholds
from theodolite.metrics.catalog import APP_NAMESPACE, app_metric_name

UID = "theodolite-generation-service"
M = 'model=~"$model"'
PROVIDER = 'source="provider"'
GEN = "theodolite_generations_total"
SAVED = "theodolite_cost_saved_usd_total"
INTERVALS = ("5m", "15m", "1h", "6h", "24h")  # the windows the service's team picks from; 5m by default


def share(selector: str) -> str:
    return f"sum(rate({GEN}{{{M},{selector}}}[$interval])) / sum(rate({GEN}{{{M}}}[$interval]))"


def p(quantile: float) -> str:
    return (f"histogram_quantile({quantile}, sum by (le) "
            f"(rate(gen_ai_client_operation_duration_seconds_bucket{{{M},{PROVIDER}}}[$interval])))")  # fmt: skip


def counter_24h(title: str, selector: str) -> stat.Panel:
    expr = f"sum(increase({GEN}{{{M}{',' + selector if selector else ''}}}[24h]))"
    return stat.Panel().title(title).with_target(promql(expr, instant=True)).unit("short").decimals(0).span(4).height(4)


def build(t: AlertThresholds | None = None, namespace: str = APP_NAMESPACE) -> dashboard.Dashboard:
    """The thresholds are the alert rules' (THEODOLITE_ALERT_*): a panel turns orange where a
    warning fires and red where a critical one does; yellow marks half the way to the warning."""
    t = t or AlertThresholds()
    return (
        base_dashboard("Generation service", UID, "now-24h")
        .with_variable(
            dashboard.IntervalVariable("interval")
            .label("Interval")
            .values(",".join(INTERVALS))
            .options([VariableOption(selected=i == 0, text=v, value=v) for i, v in enumerate(INTERVALS)])
            .current(VariableOption(selected=True, text=INTERVALS[0], value=INTERVALS[0]))
        )  # fmt: skip
        .with_variable(
            dashboard.QueryVariable("model")
            .label("Model")
            .datasource(PROMETHEUS)
            .query(f"label_values({GEN}, model)")
            .multi(True)
            .include_all(True)
            .all_value(".*")
            .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED)
        )  # fmt: skip
        .with_row(dashboard.Row("Now"))
        .with_panel(
            timeseries.Panel()
            .title("Generations per minute by source")
            .with_target(promql(f"sum by (source) (rate({GEN}{{{M}}}[$interval])) * 60", "{{source}}"))
            .unit("reqpm")
            .thresholds(thresholds((None, "green"), (50, "yellow"), (100, "red")))
            .span(8)
            .height(8)
        )  # fmt: skip
        .with_panel(
            stat.Panel()
            .title("Cost, last 24 h")
            .with_target(promql(f"sum(increase(theodolite_cost_usd_total{{{M}}}[24h]))", instant=True))
            .unit("currencyUSD")
            .decimals(2)
            .thresholds(
                thresholds((None, "green"), (t.daily_cost_high_usd, "yellow"), (t.daily_cost_critical_usd, "red"))
            )
            .span(4)
            .height(8)
        )  # fmt: skip
        .with_panel(
            gauge.Panel()
            .title("Cache-hit rate")
            .with_target(promql(share('source="cache"'), instant=True))
            .unit("percentunit")
            .min(0)
            .max(1)
            .thresholds(thresholds((None, "red"), (t.cache_hit_rate_low, "yellow"), (0.7, "green")))
            .span(4)
            .height(8)
        )  # fmt: skip
        .with_panel(
            gauge.Panel()
            .title("Fallback rate")
            .with_target(promql(share('source=~"fallback.*"'), instant=True))
            .unit("percentunit")
            .min(0)
            .max(1)
            .thresholds(
                thresholds(
                    (None, "green"),
                    (t.fallback_rate_high / 2, "yellow"),
                    (t.fallback_rate_high, "orange"),
                    (t.fallback_rate_critical, "red"),
                )
            )
            .span(4)
            .height(8)
        )  # fmt: skip
        .with_panel(
            gauge.Panel()
            .title("p95 latency")
            .description("Provider calls only: cache hits and fallbacks do not wait for the provider.")
            .with_target(promql(p(0.95), instant=True))
            .unit("s")
            .min(0)
            .max(60)
            .thresholds(
                thresholds(
                    (None, "green"),
                    (t.latency_p95_high_s / 2, "yellow"),
                    (t.latency_p95_high_s, "orange"),
                    (t.latency_p95_critical_s, "red"),
                )
            )
            .span(4)
            .height(8)
        )  # fmt: skip
        .with_row(dashboard.Row("Last 24 hours"))
        .with_panel(counter_24h("Generations", ""))
        .with_panel(counter_24h("From the provider", 'source="provider"'))
        .with_panel(counter_24h("Cache hits", 'source="cache"'))
        .with_panel(counter_24h("Fallbacks", 'source=~"fallback.*"'))
        .with_panel(
            stat.Panel()
            .title("Saved by cache and fallbacks, last 24 h")
            .description(
                "What the provider would have charged for the generations answered by the cache or a "
                "fallback; they cost nothing and are not in the cost panels."
            )
            .with_target(promql(f"sum(increase({SAVED}{{{M}}}[24h]))", instant=True))
            .unit("currencyUSD")
            .decimals(2)
            .span(8)
            .height(4)
        )  # fmt: skip
        .with_row(dashboard.Row("Performance and cost"))
        .with_panel(
            timeseries.Panel()
            .title("Generation duration p50 / p95 / p99")
            .description("Provider calls only.")
            .with_target(promql(p(0.5), "p50", ref="A"))
            .with_target(promql(p(0.95), "p95", ref="B"))
            .with_target(promql(p(0.99), "p99", ref="C"))
            .unit("s")
            .span(12)
            .height(8)
        )  # fmt: skip
        .with_panel(
            hourly_bars(
                "Cost per hour", promql(f"sum(increase(theodolite_cost_usd_total{{{M}}}[1h]))", "cost"), "currencyUSD"
            ).interval("1h")
        )  # fmt: skip
        .with_row(dashboard.Row("Diagnostics"))
        .with_panel(
            timeseries.Panel()
            .title("Active generations")
            .with_target(promql(f"sum({app_metric_name('app_llm_active_requests', namespace)}{{{M}}})", "in flight"))
            .thresholds(thresholds((None, "green"), (t.stuck_generations, "red")))
            .span(8)
            .height(8)
        )  # fmt: skip
        .with_panel(
            piechart.Panel()
            .title("Share by source, last 24 h")
            .with_target(promql(f"sum by (source) (increase({GEN}{{{M}}}[24h]))", "{{source}}", instant=True))
            .span(8)
            .height(8)
        )  # fmt: skip
        .with_panel(
            table.Panel()
            .title("Build")
            .with_target(promql("theodolite_build_info", instant=True).format("table"))
            .span(8)
            .height(8)
        )  # fmt: skip
    )
