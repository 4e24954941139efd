"""Dashboards 3-5, for an application that exposes its own /metrics through `theodolite.metrics`:
Executive summary, LLM operations, Technical health.

Each panel reads one origin (docs/metrics.md, "App vs server metrics: the rule"): LLM calls as
the server derived them from traces (`theodolite_*`, `gen_ai_client_*`, filtered by `$project`),
or what the application counted itself (`app_*` and `process_*`, filtered by `$job`, the
application's scrape job): its HTTP, database, business metrics, and its own view of LLM cost
and errors beside the server's. A team whose metrics have another namespace builds these with
`namespace=` (LLMMetrics(namespace=...))."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard, stat, table, timeseries
from grafana_foundation_sdk.models.dashboard import VariableRefresh

from theodolite.alerts.thresholds import AlertThresholds
from theodolite.grafana.panels import PROMETHEUS, base_dashboard, promql, thresholds
from theodolite.metrics.catalog import APP_NAMESPACE, app_metric_name

GEN = "theodolite_generations_total"
COST = "theodolite_cost_usd_total"
J = 'job=~"$job"'  # an application's metrics
P = 'project=~"$project"'  # the server's


def _variable(name: str, label: str, query: str) -> dashboard.QueryVariable:
    return (dashboard.QueryVariable(name).label(label).datasource(PROMETHEUS).query(query).multi(True)
            .include_all(True).all_value(".*").refresh(VariableRefresh.ON_TIME_RANGE_CHANGED))  # fmt: skip


def _dashboard(title: str, uid: str, namespace: str) -> dashboard.Dashboard:
    return (
        base_dashboard(title, uid, "now-24h", refresh="1m")
        .with_variable(_variable("job", "Application job", f"label_values({_app('app_system_info', namespace)}, job)"))
        .with_variable(_variable("project", "Project", f"label_values({GEN}, project)"))
    )


def _app(catalog_name: str, namespace: str) -> str:
    return app_metric_name(catalog_name, namespace)


def _stat(title: str, expr: str, unit: str = "short", span: int = 6) -> stat.Panel:
    return stat.Panel().title(title).with_target(promql(expr, instant=True)).unit(unit).span(span).height(5)


PROVIDER = 'source="provider"'  # latency is the provider's: a cache hit's milliseconds are not


def _series(title: str, expr: str, legend: str, unit: str = "short") -> timeseries.Panel:
    return timeseries.Panel().title(title).unit(unit).span(12).height(8).with_target(promql(expr, legend))


def _error_share(metric: str, selector: str, window: str, function: str = "rate") -> str:
    """Failed calls over all calls: `status="error"` is the one status dashboards select (a call
    is `ok` or `error` on both sides), and no calls at all reads as no data, not as 0 %."""
    return (f'(sum({function}({metric}{{{selector},status="error"}}[{window}])) or vector(0)) / '
            f"sum({function}({metric}{{{selector}}}[{window}]))")  # fmt: skip


def executive_summary(t: AlertThresholds | None = None, namespace: str = APP_NAMESPACE) -> dashboard.Dashboard:
    del t  # no threshold of the alert rules applies to these panels
    questions, revenue = _app("app_questions_total", namespace), _app("app_revenue_usd_total", namespace)
    return (
        _dashboard("Executive summary", "theodolite-executive-summary", namespace)
        .with_row(dashboard.Row("This month"))
        .with_panel(_stat("LLM cost, last 30 days", f"sum(increase({COST}{{{P}}}[30d]))", "currencyUSD"))
        .with_panel(_stat("Active users", f"max({_app('app_active_users', namespace)}{{{J}}})"))
        .with_panel(_stat("Questions answered, last 30 days", f"sum(increase({questions}{{{J}}}[30d]))"))
        .with_panel(
            _stat("Success rate, last 24 h", f"1 - {_error_share(GEN, P, '24h', 'increase')}", "percentunit")
        )  # fmt: skip
        .with_row(dashboard.Row("Service"))
        .with_panel(_stat("Uptime", f"min({_app('app_uptime_seconds', namespace)}{{{J}}})", "s", 8))
        .with_panel(
            _stat("Revenue, last 30 days", f"sum(increase({revenue}{{{J}}}[30d]))", "currencyUSD", 8)
        )  # fmt: skip
        .with_panel(
            timeseries.Panel()
            .title("Daily cost")
            .unit("currencyUSD")
            .span(8)
            .height(5)
            .with_target(promql(f"sum(increase({COST}{{{P}}}[1d]))", "cost"))
        )  # fmt: skip
        .with_row(dashboard.Row("Business"))
        .with_panel(
            _series("Questions per day by source", f"sum by (source) (increase({questions}{{{J}}}[1d]))", "{{source}}")
        )  # fmt: skip
        .with_panel(
            _series("Revenue by plan", f"sum by (plan) ({revenue}{{{J}}})", "{{plan}}", "currencyUSD")
        )  # fmt: skip
    )


def llm_operations(t: AlertThresholds | None = None, namespace: str = APP_NAMESPACE) -> dashboard.Dashboard:
    t = t or AlertThresholds()
    app_requests = _app("app_llm_requests_total", namespace)
    return (
        _dashboard("LLM operations", "theodolite-llm-operations", namespace)
        .with_row(dashboard.Row("From the traces (server)"))
        .with_panel(
            _series(
                "Cost per hour by model", f"sum by (model) (increase({COST}{{{P}}}[1h]))", "{{model}}", "currencyUSD"
            )
        )  # fmt: skip
        .with_panel(
            _series(
                "Tokens per minute by type",
                f"sum by (token_type) (rate(theodolite_tokens_total{{{P}}}[5m])) * 60",
                "{{token_type}}",
            )
        )  # fmt: skip
        .with_panel(
            _series(
                "Average generation latency by model",
                f"sum by (model) (rate(gen_ai_client_operation_duration_seconds_sum{{{P},{PROVIDER}}}[5m])) / "
                f"sum by (model) (rate(gen_ai_client_operation_duration_seconds_count{{{P},{PROVIDER}}}[5m]))",
                "{{model}}",
                "s",
            )
        )  # fmt: skip
        .with_panel(
            _series("Generation error rate", _error_share(GEN, P, "5m"), "errors", "percentunit").thresholds(
                thresholds((None, "green"), (t.error_rate, "red"))
            )
        )  # fmt: skip
        .with_row(dashboard.Row("As the application counts them"))
        .with_panel(
            _series(
                "Application's LLM cost per hour by model",
                f"sum by (model) (increase({_app('app_llm_cost_usd_total', namespace)}{{{J}}}[1h]))",
                "{{model}}",
                "currencyUSD",
            )
        )  # fmt: skip
        .with_panel(
            _series(
                "Application's LLM error rate", _error_share(app_requests, J, "5m"), "errors", "percentunit"
            ).thresholds(thresholds((None, "green"), (t.error_rate, "red")))
        )  # fmt: skip
        .with_panel(
            table.Panel()
            .title("Cost alerts firing")
            .span(24)
            .height(6)
            .with_target(
                promql(
                    'ALERTS{alertname=~"LLMDailyCost.*|LLMEntityBudgetExceeded|AppLLMDailyCostHigh",'
                    'alertstate="firing"}',
                    instant=True,
                ).format("table")
            )
        )  # fmt: skip
    )


def technical_health(t: AlertThresholds | None = None, namespace: str = APP_NAMESPACE) -> dashboard.Dashboard:
    del t  # no threshold of the alert rules applies to these panels
    http = _app("app_http_requests_total", namespace)
    http_p95 = (f"histogram_quantile(0.95, sum by (le, endpoint) "
                f"(rate({_app('app_http_request_duration_seconds', namespace)}_bucket{{{J}}}[5m])))")  # fmt: skip
    db_p95 = (f"histogram_quantile(0.95, sum by (le, operation, table) "
              f"(rate({_app('app_db_query_duration_seconds', namespace)}_bucket{{{J}}}[5m])))")  # fmt: skip
    errors = _app("app_errors_total", namespace)
    return (
        _dashboard("Technical health", "theodolite-technical-health", namespace)
        .with_panel(_series("CPU (cores)", f"rate(process_cpu_seconds_total{{{J}}}[5m])", "{{instance}}"))
        .with_panel(_series("Memory (RSS)", f"process_resident_memory_bytes{{{J}}}", "{{instance}}", "bytes"))
        .with_panel(_series("Database query p95", db_p95, "{{operation}} {{table}}", "s"))
        .with_panel(
            _series(
                "Active database connections by pool",
                f"sum by (pool) ({_app('app_db_connections_active', namespace)}{{{J}}})",
                "{{pool}}",
            )
        )  # fmt: skip
        .with_panel(_series("API response time p95", http_p95, "{{endpoint}}", "s"))
        .with_panel(
            _series(
                "HTTP 5xx rate",
                f'sum(rate({http}{{{J},status=~"5.."}}[5m])) / sum(rate({http}{{{J}}}[5m]))',
                "5xx",
                "percentunit",
            ).thresholds(thresholds((None, "green"), (0.05, "red")))
        )  # fmt: skip
        .with_panel(
            _series(
                "Application errors per minute by type",
                f"sum by (type, severity) (rate({errors}{{{J}}}[5m])) * 60",
                "{{type}} ({{severity}})",
            )
        )  # fmt: skip
        .with_panel(
            _series(
                "Errors per HTTP request",
                f"sum(rate({errors}{{{J}}}[5m])) / sum(rate({http}{{{J}}}[5m]))",
                "errors",
                "percentunit",
            ).thresholds(thresholds((None, "green"), (0.05, "red")))
        )  # fmt: skip
    )
