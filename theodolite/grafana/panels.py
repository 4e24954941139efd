"""Small helpers over grafana-foundation-sdk: one place for datasources, thresholds and targets."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard, prometheus
from grafana_foundation_sdk.models.dashboard import DataSourceRef, Threshold, ThresholdsMode

PROMETHEUS_UID = "theodolite-prometheus"
POSTGRES_UID = "theodolite-postgres"
PROMETHEUS = DataSourceRef(type_val="prometheus", uid=PROMETHEUS_UID)


def thresholds(*steps: tuple[float | None, str]) -> dashboard.ThresholdsConfig:
    """`(None, "green"), (10, "yellow"), (50, "red")`: the first step has no lower bound."""
    return (
        dashboard.ThresholdsConfig()
        .mode(ThresholdsMode.ABSOLUTE)
        .steps([Threshold(value=value, color=color) for value, color in steps])
    )


def promql(expr: str, legend: str = "", *, instant: bool = False, ref: str = "A") -> prometheus.Dataquery:
    query = prometheus.Dataquery().expr(expr).ref_id(ref).datasource(PROMETHEUS)
    if legend:
        query = query.legend_format(legend)
    return query.instant() if instant else query.range()
