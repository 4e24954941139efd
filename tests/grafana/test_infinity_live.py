"""Every Infinity query `theodolite grafana export` ships (dashboard panels, template variables and
alert rules), expanded as Grafana and Infinity's backend would expand it, runs against a real
`theodolite serve` on a SQLite file holding a week of `theodolite demo` traffic: each answers 200
with rows that have every column the query declares, of the declared type, and every panel shows
data with its variables at "All". Variables are tried at "All" and at one value each. A few figures
are checked against SQL run on the same file."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from click.testing import CliRunner

from tests.support.infinity import ALL, Variable, frame, request_url
from tests.support.server import PUBLIC_KEY, SECRET_KEY, TheodoliteServer
from theodolite.cli.main import cli

INFINITY = "yesoreyeram-infinity-datasource"
DASHBOARDS = ("theodolite-cost.json", "theodolite-performance.json", "theodolite-quality.json",
              "theodolite-overview-infinity.json")  # fmt: skip
SQL_TIME = "%Y-%m-%d %H:%M:%S.%f"  # how SQLAlchemy stores a UTC datetime in SQLite
COST = "CASE WHEN cost_status = 'not_billed' THEN 0 ELSE COALESCE(calculated_total_cost, total_cost) END"


@dataclass
class Live:
    server: TheodoliteServer
    client: httpx.Client
    database: Path
    bundle: Path
    datasource_url: str
    end: datetime

    def rows(self, target: dict, variables: dict[str, Variable], selected: dict[str, list[str]],
             start: datetime, end: datetime) -> list[dict[str, Any]]:  # fmt: skip
        """The frame Infinity's backend makes of the answer (columns checked), or AssertionError."""
        url = request_url(self.datasource_url, target, variables, selected, start, end)
        response = self.client.get(url)
        assert response.status_code == 200, f"{url}: {response.status_code} {response.text[:300]}"
        try:
            return frame(response.json(), target)
        except AssertionError as exc:
            raise AssertionError(f"{url}: {exc}") from exc

    def sql(self, statement: str, *args: Any) -> Any:
        conn = sqlite3.connect(f"file:{self.database}?mode=ro", uri=True)
        try:
            return conn.execute(statement, args).fetchone()[0]
        finally:
            conn.close()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    workdir = tmp_path_factory.mktemp("infinity-live")
    database = workdir / "theodolite.db"
    url = f"sqlite:///{database}"
    demo = [sys.executable, "-m", "theodolite", "demo", "--no-serve", "--days", "7", "--traces-per-day", "200",
            "--seed", "3", "--database-url", url, "--init-project", "test", "--init-public-key", PUBLIC_KEY,
            "--init-secret-key", SECRET_KEY]  # fmt: skip
    done = subprocess.run(demo, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    server = TheodoliteServer(url, workdir).start()
    try:
        bundle = workdir / "bundle"
        result = CliRunner().invoke(cli, ["grafana", "export", str(bundle), "--theodolite-url", server.base_url])
        assert result.exit_code == 0, result.output
        sources = yaml.safe_load((bundle / "grafana/provisioning/datasources/theodolite.yaml").read_text())
        [api] = [source for source in sources["datasources"] if source["type"] == INFINITY]
        assert api["jsonData"]["allowedHosts"] == [server.base_url]
        # What Grafana sends with bearerToken = ${THEODOLITE_GRAFANA_API_KEY}, set to the project's key.
        with httpx.Client(headers={"Authorization": f"Bearer {SECRET_KEY}"}, timeout=60) as client:
            end = datetime.now(UTC).replace(second=0, microsecond=0)  # whole minutes: the API's own grain
            yield Live(server, client, database, bundle, api["url"], end)
    finally:
        server.stop()


def dashboard(live: Live, name: str) -> dict:
    return json.loads((live.bundle / "grafana/dashboards" / name).read_text())


def variables_of(live: Live, board: dict) -> dict[str, Variable]:
    """The dashboard's variables with the options their own Infinity query lists over the
    dashboard's range (they refresh when it changes)."""
    found = {}
    for spec in board["templating"]["list"]:
        rows = live.rows(spec["query"]["infinityQuery"], {}, {}, *panel_range(live, board, {}))
        assert rows and all(row["__text"] == row["__value"] for row in rows), spec["name"]
        found[spec["name"]] = Variable(spec["name"], tuple(row["__value"] for row in rows), spec["multi"],
                                       spec["includeAll"], spec.get("allValue"))  # fmt: skip
    return found


def panel_range(live: Live, board: dict, panel: dict) -> tuple[datetime, datetime]:
    """The dashboard's range (`now-7d` or `now-24h`), or the panel's relative time override."""
    since = panel.get("timeFrom") or board["time"]["from"].removeprefix("now-")
    amount, unit = int(since[:-1]), since[-1]
    return live.end - timedelta(**{{"h": "hours", "d": "days"}[unit]: amount}), live.end


def selections(variables: dict[str, Variable]) -> Iterator[dict[str, list[str]]]:
    """Every variable at "All", then each in turn at its most used value (the others at "All")."""
    everything = {name: [ALL] for name in variables}
    yield everything
    for name, variable in variables.items():
        yield {**everything, name: [variable.options[0]]}


@pytest.mark.parametrize("name", DASHBOARDS)
def test_every_panel_query_answers_its_declared_columns(live: Live, name: str) -> None:
    board = dashboard(live, name)
    variables = variables_of(live, board)
    failures = []
    checked = 0
    for panel in board["panels"]:
        for target in panel.get("targets", []):
            assert target["datasource"]["type"] == INFINITY
            start, end = panel_range(live, board, panel)
            for selected in selections(variables):
                try:
                    rows = live.rows(target, variables, selected, start, end)
                except AssertionError as exc:
                    failures.append(f"{panel['title']} {selected}: {exc}")
                    continue
                checked += 1
                if all(value == [ALL] for value in selected.values()) and not rows:
                    failures.append(f"{panel['title']}: no rows on a week of demo traffic")
    assert not failures, "\n".join(failures)
    assert checked >= 4 * (1 + len(variables))


def test_every_alert_query_answers_over_its_window(live: Live) -> None:
    [group] = yaml.safe_load((live.bundle / "grafana/provisioning/alerting/theodolite.yaml").read_text())["groups"]
    for rule in group["rules"]:
        [query] = [q for q in rule["data"] if q["datasourceUid"] != "__expr__"]
        window = query["relativeTimeRange"]
        start, end = live.end - timedelta(seconds=window["from"]), live.end - timedelta(seconds=window["to"])
        rows = live.rows(query["model"], {}, {}, start, end)
        assert len(rows) <= 1, rule["title"]  # interval=total: one value for the window, or none
        if rule["uid"].startswith("theodolite-daily-cost"):
            assert rows and rows[0]["cost"] == pytest.approx(cost_sql(live, start, end), abs=0.005)


def cost_sql(live: Live, start: datetime, end: datetime, where: str = "", *args: Any) -> float:
    return live.sql(
        f"SELECT COALESCE(SUM({COST}), 0) FROM observations WHERE project_id = (SELECT id FROM projects "
        f"WHERE name = 'test') AND start_time >= ? AND start_time < ? {where}",
        start.strftime(SQL_TIME), end.strftime(SQL_TIME), *args,
    )  # fmt: skip


def panel_rows(live: Live, name: str, title: str, **chosen: str) -> list[dict[str, Any]]:
    """A panel's rows, keyed by the API's names (`value`), not by the fields' names."""
    board = dashboard(live, name)
    [panel] = [p for p in board["panels"] if p["title"] == title]
    variables = variables_of(live, board)
    selected = {variable: [chosen[variable]] if variable in chosen else [ALL] for variable in variables}
    [target] = panel["targets"]
    rows = live.rows(target, variables, selected, *panel_range(live, board, panel))
    return [{column["selector"]: row[column["text"]] for column in target["columns"]} for row in rows]


def test_the_cost_dashboard_adds_up_to_the_stored_cost(live: Live) -> None:
    start = live.end - timedelta(days=7)
    expected = cost_sql(live, start, live.end)
    assert expected > 1  # a week of demo traffic is priced
    [total] = panel_rows(live, "theodolite-cost.json", "Cost")
    assert total["value"] == pytest.approx(expected, abs=0.005)  # to the cent
    over_time = panel_rows(live, "theodolite-cost.json", "Cost over time")
    assert sum(row["value"] or 0 for row in over_time) == pytest.approx(expected, abs=0.005)
    by_model = panel_rows(live, "theodolite-cost.json", "Cost by model")
    model = max({row["model"] for row in by_model}, key=lambda m: sum(r["value"] or 0 for r in by_model
                                                                      if r["model"] == m))  # fmt: skip
    [one] = panel_rows(live, "theodolite-cost.json", "Cost", model=model)
    assert one["value"] == pytest.approx(cost_sql(live, start, live.end, "AND model = ?", model), abs=0.005)
    assert sum(r["value"] or 0 for r in by_model if r["model"] == model) == pytest.approx(one["value"], abs=0.005)
    daily = panel_rows(live, "theodolite-cost.json", "Daily breakdown")
    assert sum(row["cost"] or 0 for row in daily) == pytest.approx(expected, abs=0.01)
    assert all(row["time"] % 86_400_000 == 0 for row in daily)  # days start at 00:00 UTC
    day = cost_sql(live, live.end - timedelta(hours=24), live.end)
    [last_day] = panel_rows(live, "theodolite-cost.json", "Cost, last 24 h")
    assert last_day["value"] == pytest.approx(day, abs=0.005) and day < expected


def test_the_top_users_are_the_stored_ones(live: Live) -> None:
    top = panel_rows(live, "theodolite-cost.json", "Top users by cost")
    assert top and all(set(row) == {"user", "value"} for row in top)
    user = max((row for row in top if row["user"]), key=lambda row: row["value"] or 0)
    expected = cost_sql(live, live.end - timedelta(days=7), live.end,
                        "AND trace_id IN (SELECT id FROM traces WHERE user_id = ?)", user["user"])  # fmt: skip
    assert user["value"] == pytest.approx(expected, abs=0.005)


def test_request_counts_are_the_stored_traces(live: Live) -> None:
    def count(start: datetime) -> int:
        return live.sql("SELECT count(*) FROM traces WHERE timestamp >= ? AND timestamp < ?",
                        start.strftime(SQL_TIME), live.end.strftime(SQL_TIME))  # fmt: skip

    day = count(live.end - timedelta(hours=24))
    [requests] = panel_rows(live, "theodolite-performance.json", "Requests")
    assert requests["value"] == day > 0
    assert sum(row["value"] for row in panel_rows(live, "theodolite-performance.json", "Requests over time")) == day
    week = count(live.end - timedelta(days=7))
    hourly = panel_rows(live, "theodolite-overview-infinity.json", "Traces per hour")
    assert sum(row["value"] for row in hourly) == week
    [total] = panel_rows(live, "theodolite-overview-infinity.json", "Total traces")
    assert total["value"] == live.sql("SELECT count(*) FROM traces") >= week


def test_pass_rates_are_the_stored_boolean_scores(live: Live) -> None:
    rates = panel_rows(live, "theodolite-quality.json", "Pass rate by evaluator")
    assert rates
    for row in rates:
        expected = live.sql("SELECT avg(value) FROM scores WHERE data_type = 'BOOLEAN' AND name = ? AND timestamp >= ? "
                            "AND timestamp < ?", row["name"], (live.end - timedelta(days=7)).strftime(SQL_TIME),
                            live.end.strftime(SQL_TIME))  # fmt: skip
        assert row["value"] == pytest.approx(expected, abs=1e-9), row


def test_cost_rows_count_unpriced_calls(live: Live) -> None:
    start = int((live.end - timedelta(days=7)).timestamp() * 1000)
    rows = live.client.get(f"{live.datasource_url}/api/v1/analytics/costs", params={"from": start}).json()
    assert rows and all("unpriced_calls" in row for row in rows)


def test_the_trace_list_filters_by_model(live: Live) -> None:
    model = live.sql("SELECT model FROM observations WHERE model IS NOT NULL LIMIT 1")
    response = live.client.get(f"{live.datasource_url}/api/v1/analytics/traces", params={"model": model})
    assert response.status_code == 200, response.text
