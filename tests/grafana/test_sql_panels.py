"""Every SQL panel, expanded with Grafana's macro rules, runs on a real PostgreSQL holding a week
of demo traffic and returns the columns its panel type needs."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import new_postgres_database
from tests.support.grafana_macros import expand, rfc3339nano
from theodolite.cli.demo_command import run_demo
from theodolite.grafana.export import DASHBOARDS, dashboard_json
from theodolite.server.settings import Settings
from theodolite.storage.engine import open_database


def sql_targets() -> list[tuple[str, str, dict]]:
    found = []
    for name, build in DASHBOARDS.items():
        for panel in dashboard_json(build)["panels"]:
            for target in panel.get("targets", []):
                if "rawSql" in target:
                    found.append((name, panel["type"], {**target, "title": panel["title"]}))
    return found


def test_macros_match_grafanas_expected_strings() -> None:
    start, end = datetime(2018, 4, 12, 18, 0, tzinfo=UTC), datetime(2018, 4, 12, 19, 0, 0, 500000, tzinfo=UTC)
    assert rfc3339nano(end) == "2018-04-12T19:00:00.5Z"
    assert expand("WHERE $__timeFilter(time_column)", start, end) == (
        "WHERE time_column BETWEEN '2018-04-12T18:00:00Z' AND '2018-04-12T19:00:00.5Z'")  # fmt: skip
    assert expand("SELECT $__timeGroupAlias(time_column,'5m')", start, end) == (
        'SELECT floor(extract(epoch from time_column)/300)*300 AS "time"')  # fmt: skip
    assert expand("$__timeGroup(t, $__interval)", start, end, "1h") == "floor(extract(epoch from t)/3600)*3600"
    with pytest.raises(ValueError, match='unknown macro "__nope"'):
        expand("$__nope(x)", start, end)


@pytest.mark.postgres
def test_every_sql_panel_runs_and_returns_what_its_panel_needs(postgres_server) -> None:  # type: ignore[no-untyped-def]
    url = new_postgres_database(postgres_server)
    run_demo(Settings(database_url=url), days=7, traces_per_day=80, seed=5, serve=False)
    database = open_database(url, migrate=False)
    end = datetime.now(UTC)
    start = end - timedelta(days=7)
    targets = sql_targets()
    assert len(targets) >= 10
    try:
        with database.connect() as conn:
            for dashboard, panel_type, target in targets:
                result = conn.exec_driver_sql(expand(target["rawSql"], start, end))
                columns, rows = list(result.keys()), result.fetchall()
                where = f"{dashboard} / {target['title']}"
                assert rows, f"{where}: no rows on a week of demo traffic"
                if target["format"] == "time_series":
                    assert "time" in columns, where
                elif panel_type == "stat":
                    assert len(columns) == 1 and isinstance(rows[0][0], (int, float)), where
                elif panel_type == "piechart":
                    assert isinstance(rows[0][0], str) and isinstance(rows[0][1], int), where
                elif panel_type == "table":
                    assert columns == ["timestamp", "name", "agent", "project", "tokens", "cost", "tags"], where
                    assert any(row[5] for row in rows) and any(row[6] for row in rows), where
    finally:
        database.dispose()
    assert json.dumps(rfc3339nano(start))
