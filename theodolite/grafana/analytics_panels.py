"""Panels on the Infinity datasource, shared by the dashboards on the analytics API: every panel
reads one `Analytics` query and names the datasource itself (so a panel copied to another
dashboard keeps working)."""

from __future__ import annotations

from grafana_foundation_sdk.builders import bargauge, common, dashboard, piechart, stat, table, timeseries
from grafana_foundation_sdk.models.common import BarAlignment, GraphDrawStyle, GraphThresholdsStyleMode

from theodolite.grafana.infinity import INFINITY, Analytics


def _all_rows() -> common.ReduceDataOptions:
    # One value per row (a slice or a bar per group), not one reduced value per field.
    return common.ReduceDataOptions().values(True).calcs(["lastNotNull"])


def series(title: str, query: Analytics, unit: str = "short", *, bars: bool = False, span: int = 12,
           limits: dashboard.ThresholdsConfig | None = None) -> timeseries.Panel:  # fmt: skip
    """A time series; `limits` are drawn as dashed lines (the alert thresholds)."""
    panel = timeseries.Panel().title(title).datasource(INFINITY).with_target(query).unit(unit).span(span).height(8)
    if bars:
        panel = panel.draw_style(GraphDrawStyle.BARS).bar_alignment(BarAlignment.CENTER).fill_opacity(80)
    if limits is not None:
        style = common.GraphThresholdsStyleConfig().mode(GraphThresholdsStyleMode.DASHED)
        panel = panel.thresholds(limits).thresholds_style(style)
    return panel


def number(title: str, query: Analytics, unit: str = "short", *, since: str = "", span: int = 6,
           limits: dashboard.ThresholdsConfig | None = None) -> stat.Panel:  # fmt: skip
    """One figure; `since` ("24h") overrides the dashboard's range, which Infinity's backend
    macros honour."""
    panel = stat.Panel().title(title).datasource(INFINITY).with_target(query).unit(unit).span(span).height(4)
    if since:
        panel = panel.time_from(since)
    return panel.thresholds(limits) if limits is not None else panel


def pie(title: str, query: Analytics, span: int = 8) -> piechart.Panel:
    return (
        piechart.Panel().title(title).datasource(INFINITY).with_target(query).reduce_options(_all_rows())
        .span(span).height(8)
    )  # fmt: skip


def bars_by_row(title: str, query: Analytics, unit: str = "short", span: int = 12) -> bargauge.Panel:
    return (
        bargauge.Panel().title(title).datasource(INFINITY).with_target(query).reduce_options(_all_rows())
        .unit(unit).min(0).span(span).height(8)
    )  # fmt: skip


def rows(title: str, query: Analytics, *, span: int = 24, height: int = 10, sort_desc: str = "") -> table.Panel:
    panel = table.Panel().title(title).datasource(INFINITY).with_target(query).span(span).height(height)
    if sort_desc:
        panel = panel.sort_by([common.TableSortByFieldState().display_name(sort_desc).desc(True)])
    return panel
