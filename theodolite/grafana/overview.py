"""Dashboard 1, "Overview": 4 stats (traces 24 h, tokens 24 h, cost 24 h, all-time traces), hourly
traces and cost over the range, pies by agent, by name and by project, and the recent-traces
table (timestamp, name, agent, project, tokens, cost, tags); 30 s refresh, 7-day range. SQL panels
on Theodolite's own database, in two dialects with one layout:

- PostgreSQL, through Grafana's built-in PostgreSQL datasource and its macros ($__timeFilter,
  $__timeGroupAlias);
- SQLite (the default install), through the SQLite datasource plugin frser-sqlite-datasource,
  which has no time-filter macro common to its versions: the range comes from Grafana's
  `$__from`/`$__to` (epoch milliseconds), hours are grouped in plain SQL, and the time columns
  are unix seconds or RFC 3339 strings the plugin converts.

Cost sums Theodolite's price, else the client's; unpriced calls add nothing (they are NULL, never $0)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from grafana_foundation_sdk.builders import dashboard, piechart, stat, table
from grafana_foundation_sdk.models.dashboard import DataSourceRef

from theodolite.alerts.thresholds import AlertThresholds
from theodolite.grafana.panels import POSTGRES, SQLITE, Sql, SqliteSql, base_dashboard, hourly_bars

UID = "theodolite-overview"
SQLITE_UID = "theodolite-overview-sqlite"


@dataclass(frozen=True)
class Dialect:
    """The SQL fragments that differ between the two databases."""

    datasource: DataSourceRef
    target: Any  # Sql or SqliteSql: (sql, fmt) -> a query builder
    cost: str
    last_day: str
    time_filter: str  # format with the column
    hour: str  # format with the column: the start of its hour, as the panel's time column
    agent: str  # format with the metadata column
    tags: str  # format with the tags column
    timestamp: str  # format with the column: as the table's timestamp


POSTGRESQL = Dialect(
    POSTGRES, Sql,
    cost="SUM(COALESCE(o.calculated_total_cost, o.total_cost))::float",
    last_day="now() - interval '24 hours'",
    time_filter="$__timeFilter({})",
    hour="$__timeGroupAlias({}, '1h')",
    agent="{}->>'agent'",
    tags="array_to_string(ARRAY(SELECT jsonb_array_elements_text({})), ', ')",
    timestamp="{}",
)  # fmt: skip
SQLITE_DIALECT = Dialect(
    SQLITE, SqliteSql,
    cost="SUM(COALESCE(o.calculated_total_cost, o.total_cost))",
    last_day="datetime('now', '-24 hours')",
    # Timestamps are stored as 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC), so comparing with datetime()'s
    # text keeps the index usable.
    time_filter="{0} >= datetime($__from / 1000, 'unixepoch') AND {0} <= datetime($__to / 1000, 'unixepoch')",
    hour="CAST(strftime('%s', {}) AS INTEGER) / 3600 * 3600 AS time",
    agent="json_extract({}, '$.agent')",
    tags="(SELECT group_concat(value, ', ') FROM json_each({}))",
    timestamp="strftime('%Y-%m-%dT%H:%M:%SZ', {})",
)  # fmt: skip


def _build(d: Dialect, title: str, uid: str) -> dashboard.Dashboard:
    def number(title: str, sql: str, unit: str = "short") -> stat.Panel:
        return (
            stat.Panel().title(title).datasource(d.datasource).with_target(d.target(sql)).unit(unit).span(6).height(4)
        )

    def pie(title: str, sql: str) -> piechart.Panel:
        return piechart.Panel().title(title).datasource(d.datasource).with_target(d.target(sql)).span(8).height(8)

    return (
        base_dashboard(title, uid, "now-7d")
        .with_row(dashboard.Row("Key figures"))
        .with_panel(number("Traces (24h)", f"SELECT count(*) AS traces FROM traces WHERE timestamp >= {d.last_day}"))
        .with_panel(number("Tokens (24h)", "SELECT COALESCE(SUM(total_tokens), 0) AS tokens FROM observations "
                                           f"WHERE start_time >= {d.last_day}"))
        .with_panel(number("Cost (24h)", f"SELECT COALESCE({d.cost}, 0) AS cost FROM observations o "
                                         f"WHERE o.start_time >= {d.last_day}", "currencyUSD"))
        .with_panel(number("Total traces", "SELECT count(*) AS traces FROM traces"))
        .with_row(dashboard.Row("Timelines"))
        .with_panel(hourly_bars("Traces per hour", d.target(
            f"SELECT {d.hour.format('timestamp')}, count(*) AS traces FROM traces "
            f"WHERE {d.time_filter.format('timestamp')} GROUP BY 1 ORDER BY 1", "time_series",
        )).datasource(d.datasource))
        .with_panel(hourly_bars("Cost per hour", d.target(
            f"SELECT {d.hour.format('o.start_time')}, {d.cost} AS cost FROM observations o "
            f"WHERE {d.time_filter.format('o.start_time')} GROUP BY 1 ORDER BY 1", "time_series",
        ), "currencyUSD").datasource(d.datasource))
        .with_row(dashboard.Row("Breakdown"))
        .with_panel(pie("Traces by agent", f"SELECT COALESCE({d.agent.format('metadata')}, 'unknown') AS agent, "
                                           f"count(*) AS traces FROM traces WHERE {d.time_filter.format('timestamp')} "
                                           "GROUP BY 1 ORDER BY 2 DESC"))
        .with_panel(pie("Traces by name", "SELECT COALESCE(name, '(unnamed)') AS name, count(*) AS traces FROM "
                                          f"traces WHERE {d.time_filter.format('timestamp')} "
                                          "GROUP BY 1 ORDER BY 2 DESC LIMIT 20"))
        .with_panel(pie("Traces by project", "SELECT p.name AS project, count(*) AS traces FROM traces t JOIN "
                                             "projects p ON p.id = t.project_id "
                                             f"WHERE {d.time_filter.format('t.timestamp')} GROUP BY 1 ORDER BY 2 DESC"))
        .with_row(dashboard.Row("Recent traces"))
        .with_panel(
            table.Panel().title("Recent traces").datasource(d.datasource).span(24).height(10).with_target(d.target(
                f"SELECT {d.timestamp.format('t.timestamp')} AS timestamp, t.name, "
                f"{d.agent.format('t.metadata')} AS agent, p.name AS project, "
                f"COALESCE(SUM(o.total_tokens), 0) AS tokens, {d.cost} AS cost, {d.tags.format('t.tags')} AS tags "
                "FROM traces t JOIN projects p ON p.id = t.project_id LEFT JOIN observations o ON o.trace_id = t.id "
                f"WHERE {d.time_filter.format('t.timestamp')} GROUP BY t.id, p.name ORDER BY t.timestamp DESC LIMIT 50"
            ))
        )
    )  # fmt: skip


def build(_thresholds: AlertThresholds | None = None) -> dashboard.Dashboard:
    """The Overview on PostgreSQL (no alert thresholds; the argument is every builder's)."""
    return _build(POSTGRESQL, "Overview", UID)


def build_sqlite(_thresholds: AlertThresholds | None = None) -> dashboard.Dashboard:
    """The Overview on the default SQLite database, through frser-sqlite-datasource."""
    return _build(SQLITE_DIALECT, "Overview (SQLite)", SQLITE_UID)
