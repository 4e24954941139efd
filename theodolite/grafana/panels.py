"""Small helpers over grafana-foundation-sdk: one place for datasources, thresholds and targets."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard, prometheus, timeseries
from grafana_foundation_sdk.cog import builder as cogbuilder
from grafana_foundation_sdk.cog import variants as cogvariants
from grafana_foundation_sdk.models.common import BarAlignment, GraphDrawStyle
from grafana_foundation_sdk.models.dashboard import DataSourceRef, Threshold, ThresholdsMode

PROMETHEUS_UID = "theodolite-prometheus"
POSTGRES_UID = "theodolite-postgres"
PROMETHEUS = DataSourceRef(type_val="prometheus", uid=PROMETHEUS_UID)
POSTGRES = DataSourceRef(type_val="grafana-postgresql-datasource", uid=POSTGRES_UID)


class SqlDataquery(cogvariants.Dataquery):
    """A Grafana PostgreSQL query: grafana-foundation-sdk 11.6 has no builder for it."""

    def __init__(self, raw_sql: str, fmt: str, ref_id: str) -> None:
        self.raw_sql, self.format, self.ref_id = raw_sql, fmt, ref_id

    def to_json(self) -> dict[str, object]:
        return {"refId": self.ref_id, "datasource": {"type": POSTGRES.type_val, "uid": POSTGRES.uid},
                "rawSql": self.raw_sql, "format": self.format, "rawQuery": True, "editorMode": "code"}  # fmt: skip


class Sql(cogbuilder.Builder[SqlDataquery]):
    def __init__(self, raw_sql: str, fmt: str = "table", ref_id: str = "A") -> None:
        self._internal = SqlDataquery(" ".join(raw_sql.split()), fmt, ref_id)

    def build(self) -> SqlDataquery:
        return self._internal


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


def base_dashboard(title: str, uid: str, since: str, refresh: str = "30s") -> dashboard.Dashboard:
    """What every Theodolite dashboard shares: uid, tags, refresh and time range."""
    return dashboard.Dashboard(title).uid(uid).tags(["theodolite", "llm"]).refresh(refresh).time(since, "now")


def hourly_bars(title: str, target: object, unit: str = "short") -> timeseries.Panel:
    """A full-width bar chart of one value per hour."""
    return (
        timeseries.Panel().title(title).unit(unit).with_target(target)
        .draw_style(GraphDrawStyle.BARS).bar_alignment(BarAlignment.CENTER).span(12).height(8)
    )  # fmt: skip
