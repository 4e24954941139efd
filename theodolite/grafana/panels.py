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
SQLITE_UID = "theodolite-sqlite"
SQLITE = DataSourceRef(type_val="frser-sqlite-datasource", uid=SQLITE_UID)


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


class SqliteDataquery(cogvariants.Dataquery):
    """A query of the SQLite datasource plugin (frser-sqlite-datasource): `queryText`, `queryType`
    ("table" or "time series") and `timeColumns`, the columns it turns into times (unix seconds
    or RFC 3339 strings)."""

    def __init__(self, query_text: str, query_type: str, time_columns: list[str], ref_id: str) -> None:
        self.query_text, self.query_type, self.time_columns, self.ref_id = query_text, query_type, time_columns, ref_id

    def to_json(self) -> dict[str, object]:
        return {"refId": self.ref_id, "datasource": {"type": SQLITE.type_val, "uid": SQLITE.uid},
                "queryText": self.query_text, "rawQueryText": self.query_text, "queryType": self.query_type,
                "timeColumns": self.time_columns}  # fmt: skip


class SqliteSql(cogbuilder.Builder[SqliteDataquery]):
    def __init__(self, query_text: str, fmt: str = "table", ref_id: str = "A") -> None:
        query_type = "time series" if fmt == "time_series" else "table"
        self._internal = SqliteDataquery(" ".join(query_text.split()), query_type, ["time", "timestamp"], ref_id)

    def build(self) -> SqliteDataquery:
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
