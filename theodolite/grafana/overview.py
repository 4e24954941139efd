"""Dashboard 1, "Overview": the layout of a team's Grafana
dashboard over Langfuse's tables, on Theodolite's own PostgreSQL schema — 4 stats
(traces 24 h, tokens 24 h, cost 24 h, all-time traces), hourly traces and cost over the range,
pies by agent, by name and by project, and the recent-traces table (timestamp, name, agent,
project, tokens, cost, tags); 30 s refresh, 7-day range. Cost sums Theodolite's price, else the
client's; unpriced calls add nothing (they are NULL, never $0)."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard, piechart, stat, table

from theodolite.grafana.panels import POSTGRES, Sql, base_dashboard, hourly_bars

UID = "theodolite-overview"
COST = "SUM(COALESCE(o.calculated_total_cost, o.total_cost))::float"
LAST_DAY = "now() - interval '24 hours'"


def number(title: str, sql: str, unit: str = "short") -> stat.Panel:
    return stat.Panel().title(title).datasource(POSTGRES).with_target(Sql(sql)).unit(unit).span(6).height(4)


def pie(title: str, sql: str) -> piechart.Panel:
    return piechart.Panel().title(title).datasource(POSTGRES).with_target(Sql(sql)).span(8).height(8)


def build() -> dashboard.Dashboard:
    return (
        base_dashboard("Overview", UID, "now-7d")
        .with_row(dashboard.Row("Key figures"))
        .with_panel(number("Traces (24h)", f"SELECT count(*) AS traces FROM traces WHERE timestamp >= {LAST_DAY}"))
        .with_panel(
            number(
                "Tokens (24h)",
                f"SELECT COALESCE(SUM(total_tokens), 0) AS tokens FROM observations WHERE start_time >= {LAST_DAY}",
            )
        )  # fmt: skip
        .with_panel(
            number(
                "Cost (24h)",
                f"SELECT COALESCE({COST}, 0) AS cost FROM observations o WHERE o.start_time >= {LAST_DAY}",
                "currencyUSD",
            )
        )  # fmt: skip
        .with_panel(number("Total traces", "SELECT count(*) AS traces FROM traces"))
        .with_row(dashboard.Row("Timelines"))
        .with_panel(
            hourly_bars(
                "Traces per hour",
                Sql(
                    "SELECT $__timeGroupAlias(timestamp, '1h'), count(*) AS traces FROM traces "
                    "WHERE $__timeFilter(timestamp) GROUP BY 1 ORDER BY 1",
                    "time_series",
                ),
            ).datasource(POSTGRES)
        )
        .with_panel(
            hourly_bars(
                "Cost per hour",
                Sql(
                    f"SELECT $__timeGroupAlias(o.start_time, '1h'), {COST} AS cost FROM observations o "
                    "WHERE $__timeFilter(o.start_time) GROUP BY 1 ORDER BY 1",
                    "time_series",
                ),
                "currencyUSD",
            ).datasource(POSTGRES)
        )  # fmt: skip
        .with_row(dashboard.Row("Breakdown"))
        .with_panel(
            pie(
                "Traces by agent",
                "SELECT COALESCE(metadata->>'agent', 'unknown') AS agent, count(*) AS "
                "traces FROM traces WHERE $__timeFilter(timestamp) GROUP BY 1 ORDER BY 2 DESC",
            )
        )  # fmt: skip
        .with_panel(
            pie(
                "Traces by name",
                "SELECT COALESCE(name, '(unnamed)') AS name, count(*) AS traces FROM "
                "traces WHERE $__timeFilter(timestamp) GROUP BY 1 ORDER BY 2 DESC LIMIT 20",
            )
        )  # fmt: skip
        .with_panel(
            pie(
                "Traces by project",
                "SELECT p.name AS project, count(*) AS traces FROM traces t JOIN "
                "projects p ON p.id = t.project_id WHERE $__timeFilter(t.timestamp) GROUP BY 1 "
                "ORDER BY 2 DESC",
            )
        )  # fmt: skip
        .with_row(dashboard.Row("Recent traces"))
        .with_panel(
            table.Panel()
            .title("Recent traces")
            .datasource(POSTGRES)
            .span(24)
            .height(10)
            .with_target(
                Sql(
                    "SELECT t.timestamp AS timestamp, t.name, t.metadata->>'agent' AS agent, p.name AS project, "
                    f"COALESCE(SUM(o.total_tokens), 0) AS tokens, {COST} AS cost, "
                    "array_to_string(ARRAY(SELECT jsonb_array_elements_text(t.tags)), ', ') AS tags "
                    "FROM traces t JOIN projects p ON p.id = t.project_id "
                    "LEFT JOIN observations o ON o.trace_id = t.id "
                    "WHERE $__timeFilter(t.timestamp) GROUP BY t.id, p.name ORDER BY t.timestamp DESC LIMIT 50"
                )
            )
        )  # fmt: skip
    )
