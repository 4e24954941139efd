"""Dashboard "Theodolite server": the server's own health, from its /metrics — the ingest queue
against its capacity, commits and their latency, refused spans and requests, every HTTP response
by status and route (so a client with a revoked key shows up as 401s on its route), latency by
route, process CPU and memory, database size. `$job` picks the scrape jobs of Theodolite servers
(those that expose the ingest queue, which applications do not)."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard, stat, timeseries
from grafana_foundation_sdk.models.dashboard import VariableRefresh

from theodolite.alerts.thresholds import AlertThresholds
from theodolite.grafana.panels import PROMETHEUS, base_dashboard, promql, thresholds

UID = "theodolite-server"
J = 'job=~"$job"'
REQUESTS = "http_server_request_duration_seconds"


def _series(title: str, unit: str = "short", span: int = 12) -> timeseries.Panel:
    return timeseries.Panel().title(title).unit(unit).span(span).height(8)


def build(t: AlertThresholds | None = None) -> dashboard.Dashboard:
    t = t or AlertThresholds()
    share_5xx = (f'sum(rate({REQUESTS}_count{{{J},http_response_status_code=~"5.."}}[5m])) / '
                 f"sum(rate({REQUESTS}_count{{{J}}}[5m]))")  # fmt: skip
    return (
        base_dashboard("Theodolite server", UID, "now-6h")
        .with_variable(dashboard.QueryVariable("job").label("Job").datasource(PROMETHEUS)
                       .query("label_values(theodolite_ingest_queue_capacity_spans, job)").multi(True)
                       .include_all(True).all_value(".*").refresh(VariableRefresh.ON_TIME_RANGE_CHANGED))
        .with_row(dashboard.Row("Now"))
        .with_panel(stat.Panel().title("Uptime").unit("s").span(6).height(4)
                    .with_target(promql(f"time() - max(process_start_time_seconds{{{J}}})", instant=True)))
        .with_panel(stat.Panel().title("Ingest queue, share of capacity").unit("percentunit").span(6).height(4)
                    .thresholds(thresholds((None, "green"), (0.5, "yellow"), (0.8, "red")))
                    .with_target(promql(f"max(theodolite_ingest_queue_spans{{{J}}} / "
                                        f"theodolite_ingest_queue_capacity_spans{{{J}}})", instant=True)))
        .with_panel(stat.Panel().title("Server errors (5xx), last 5 min").unit("percentunit").span(6).height(4)
                    .thresholds(thresholds((None, "green"), (t.error_rate, "red")))
                    .with_target(promql(share_5xx, instant=True)))
        .with_panel(stat.Panel().title("Database size").unit("bytes").span(6).height(4)
                    .with_target(promql(f"max(theodolite_database_size_bytes{{{J}}})", instant=True)))
        .with_row(dashboard.Row("Ingestion"))
        .with_panel(_series("Ingest queue (spans)")
                    .with_target(promql(f"sum(theodolite_ingest_queue_spans{{{J}}})", "queued", ref="A"))
                    .with_target(promql(f"sum(theodolite_ingest_queue_capacity_spans{{{J}}})", "capacity", ref="B")))
        .with_panel(_series("Items committed per second")
                    .with_target(promql(f"sum(rate(theodolite_ingest_committed_spans_total{{{J}}}[5m]))", "items")))
        .with_panel(_series("Transactions per second by outcome")
                    .with_target(promql(f"sum by (status) (rate(theodolite_ingest_transactions_total{{{J}}}[5m]))",
                                        "{{status}}")))
        .with_panel(_series("Commit duration p50 / p95", "s")
                    .with_target(promql("histogram_quantile(0.5, sum by (le) (rate("
                                        f"theodolite_ingest_commit_duration_seconds_bucket{{{J}}}[5m])))", "p50",
                                        ref="A"))
                    .with_target(promql("histogram_quantile(0.95, sum by (le) (rate("
                                        f"theodolite_ingest_commit_duration_seconds_bucket{{{J}}}[5m])))", "p95",
                                        ref="B")))
        .with_panel(_series("Refused per minute: rejected spans by project, 429 requests")
                    .with_target(promql(f"sum by (project) (rate(theodolite_ingest_rejected_items_total{{{J}}}[5m]))"
                                        " * 60", "rejected spans {{project}}", ref="A"))
                    .with_target(promql(f"sum(rate(theodolite_ingest_overloaded_requests_total{{{J}}}[5m])) * 60",
                                        "429 (queue full)", ref="B")))
        .with_row(dashboard.Row("HTTP"))
        .with_panel(_series("Requests per second by status", "reqps")
                    .with_target(promql(f"sum by (http_response_status_code) (rate({REQUESTS}_count{{{J}}}[5m]))",
                                        "{{http_response_status_code}}")))
        .with_panel(_series("Refused requests (4xx) per minute by route and status")
                    .with_target(promql(f"sum by (http_route, http_response_status_code) (rate({REQUESTS}_count"
                                        f'{{{J},http_response_status_code=~"4.."}}[5m])) * 60',
                                        "{{http_response_status_code}} {{http_route}}")))
        .with_panel(_series("Requests per second by route", "reqps")
                    .with_target(promql(f"sum by (http_route) (rate({REQUESTS}_count{{{J}}}[5m]))", "{{http_route}}")))
        .with_panel(_series("Request duration p95 by route", "s")
                    .with_target(promql(f"histogram_quantile(0.95, sum by (le, http_route) "
                                        f"(rate({REQUESTS}_bucket{{{J}}}[5m])))", "{{http_route}}")))
        .with_row(dashboard.Row("Process"))
        .with_panel(_series("CPU (cores)", span=8)
                    .with_target(promql(f"rate(process_cpu_seconds_total{{{J}}}[5m])", "{{instance}}")))
        .with_panel(_series("Memory (RSS)", "bytes", span=8)
                    .with_target(promql(f"process_resident_memory_bytes{{{J}}}", "{{instance}}")))
        .with_panel(_series("Database size", "bytes", span=8)
                    .with_target(promql(f"theodolite_database_size_bytes{{{J}}}", "{{instance}}")))
    )  # fmt: skip
