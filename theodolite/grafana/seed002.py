"""Dashboards 3-5, the three of seed 002: Executive summary, LLM operations, Technical health.

They read what an application exposes through `theodolite.metrics` (HTTP, database, business
events, process) and what the server derives from traces (generations, tokens, cost), all
names from the metric catalog. `$job` picks the scrape job of the application."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard, stat, table, timeseries
from grafana_foundation_sdk.models.dashboard import VariableRefresh

from theodolite.alerts.thresholds import AlertThresholds
from theodolite.grafana.panels import PROMETHEUS, base_dashboard, promql, thresholds

GEN = "theodolite_generations_total"
HTTP = "theodolite_http_requests_total"


def _dashboard(title: str, uid: str) -> dashboard.Dashboard:
    return (
        base_dashboard(title, uid, "now-24h", refresh="1m")
        .with_variable(dashboard.QueryVariable("job").label("Job").datasource(PROMETHEUS)
                       .query("label_values(theodolite_build_info, job)").multi(True).include_all(True)
                       .all_value(".*").refresh(VariableRefresh.ON_TIME_RANGE_CHANGED))
    )  # fmt: skip


def _stat(title: str, expr: str, unit: str = "short", span: int = 6) -> stat.Panel:
    return stat.Panel().title(title).with_target(promql(expr, instant=True)).unit(unit).span(span).height(5)


J = 'job=~"$job"'


def executive_summary(t: AlertThresholds | None = None) -> dashboard.Dashboard:
    return (
        _dashboard("Executive summary", "theodolite-executive-summary")
        .with_row(dashboard.Row("This month"))
        .with_panel(
            _stat("LLM cost, last 30 days", f"sum(increase(theodolite_cost_usd_total{{{J}}}[30d]))", "currencyUSD")
        )  # fmt: skip
        .with_panel(
            _stat(
                "Active users, last 24 h (needs user_id as a label)",
                f'count(count by (user_id) (increase({GEN}{{{J},user_id!=""}}[24h]) > 0))',
            )
        )  # fmt: skip
        .with_panel(_stat("Questions answered, last 30 days", f"sum(increase({GEN}{{{J}}}[30d]))"))
        .with_panel(
            _stat(
                "Success rate, last 24 h",
                f'sum(increase({GEN}{{{J},status="ok"}}[24h])) / sum(increase({GEN}{{{J}}}[24h]))',
                "percentunit",
            )
        )  # fmt: skip
        .with_row(dashboard.Row("Service"))
        .with_panel(_stat("Uptime", f"time() - max(process_start_time_seconds{{{J}}})", "s", 8))
        .with_panel(
            _stat("Business events, last 24 h", f"sum(increase(theodolite_business_events_total{{{J}}}[24h]))", span=8)
        )  # fmt: skip
        .with_panel(
            timeseries.Panel()
            .title("Daily cost")
            .unit("currencyUSD")
            .span(8)
            .height(5)
            .with_target(promql(f"sum(increase(theodolite_cost_usd_total{{{J}}}[1d]))", "cost"))
        )  # fmt: skip
    )


def llm_operations(t: AlertThresholds | None = None) -> dashboard.Dashboard:
    t = t or AlertThresholds()
    return (
        _dashboard("LLM operations", "theodolite-llm-operations")
        .with_panel(
            timeseries.Panel()
            .title("Cost per hour by model")
            .unit("currencyUSD")
            .span(12)
            .height(8)
            .with_target(promql(f"sum by (model) (increase(theodolite_cost_usd_total{{{J}}}[1h]))", "{{model}}"))
        )  # fmt: skip
        .with_panel(
            timeseries.Panel()
            .title("Tokens per minute by type")
            .unit("short")
            .span(12)
            .height(8)
            .with_target(
                promql(f"sum by (token_type) (rate(theodolite_tokens_total{{{J}}}[5m])) * 60", "{{token_type}}")
            )
        )  # fmt: skip
        .with_panel(
            timeseries.Panel()
            .title("Average generation latency by model")
            .unit("s")
            .span(12)
            .height(8)
            .with_target(
                promql(
                    f"sum by (model) (rate(gen_ai_client_operation_duration_seconds_sum{{{J}}}[5m])) / "
                    f"sum by (model) (rate(gen_ai_client_operation_duration_seconds_count{{{J}}}[5m]))",
                    "{{model}}",
                )
            )
        )  # fmt: skip
        .with_panel(
            timeseries.Panel()
            .title("Generation error rate")
            .unit("percentunit")
            .span(12)
            .height(8)
            .thresholds(thresholds((None, "green"), (t.error_rate, "red")))
            .with_target(promql(f'sum(rate({GEN}{{{J},status="error"}}[5m])) / sum(rate({GEN}{{{J}}}[5m]))', "errors"))
        )  # fmt: skip
        .with_panel(
            table.Panel()
            .title("Cost alerts firing")
            .span(24)
            .height(6)
            .with_target(
                promql(
                    'ALERTS{alertname=~"LLMDailyCost.*|LLMEntityBudgetExceeded",alertstate="firing"}', instant=True
                ).format("table")
            )
        )  # fmt: skip
    )


def technical_health(t: AlertThresholds | None = None) -> dashboard.Dashboard:
    http_p95 = (f"histogram_quantile(0.95, sum by (le, endpoint) "
                f"(rate(theodolite_http_request_duration_seconds_bucket{{{J}}}[5m])))")  # fmt: skip
    db_p95 = (f"histogram_quantile(0.95, sum by (le, operation) "
              f"(rate(theodolite_db_query_duration_seconds_bucket{{{J}}}[5m])))")  # fmt: skip
    return (
        _dashboard("Technical health", "theodolite-technical-health")
        .with_panel(
            timeseries.Panel()
            .title("CPU (cores)")
            .unit("short")
            .span(12)
            .height(8)
            .with_target(promql(f"rate(process_cpu_seconds_total{{{J}}}[5m])", "{{instance}}"))
        )  # fmt: skip
        .with_panel(
            timeseries.Panel()
            .title("Memory (RSS)")
            .unit("bytes")
            .span(12)
            .height(8)
            .with_target(promql(f"process_resident_memory_bytes{{{J}}}", "{{instance}}"))
        )  # fmt: skip
        .with_panel(
            timeseries.Panel()
            .title("Database query p95")
            .unit("s")
            .span(12)
            .height(8)
            .with_target(promql(db_p95, "{{operation}}"))
        )  # fmt: skip
        .with_panel(
            timeseries.Panel()
            .title("API response time p95")
            .unit("s")
            .span(12)
            .height(8)
            .with_target(promql(http_p95, "{{endpoint}}"))
        )  # fmt: skip
        .with_panel(
            timeseries.Panel()
            .title("HTTP 5xx rate")
            .unit("percentunit")
            .span(12)
            .height(8)
            .thresholds(thresholds((None, "green"), (0.05, "red")))
            .with_target(promql(f'sum(rate({HTTP}{{{J},status=~"5.."}}[5m])) / sum(rate({HTTP}{{{J}}}[5m]))', "5xx"))
        )  # fmt: skip
        .with_panel(
            timeseries.Panel()
            .title("Application errors per minute by kind")
            .span(12)
            .height(8)
            .with_target(promql(f"sum by (kind) (rate(theodolite_app_errors_total{{{J}}}[5m])) * 60", "{{kind}}"))
        )  # fmt: skip
    )
