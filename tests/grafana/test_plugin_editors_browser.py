"""The plugin's ConfigEditor and QueryEditor rendered by @grafana/ui in a real browser (Debian's
chromium through Playwright), outside Grafana: grafana-plugin/harness bundles them with the plugin's
own DataSource, and tests.support.grafana_proxy plays Grafana's server (the page and the data
source proxy, which adds the API key) in front of a real `theodolite serve` holding demo traffic.

What the editors offer is checked against what the server says: the query types and measures of
its OpenAPI schema, the models of its variable list. With THEODOLITE_DOCS_IMAGES set to a folder
(docs/images), the tests also save the screenshots the docs show."""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.support.chromium import checked_page, chromium
from tests.support.grafana_proxy import GrafanaProxy, ProxiedDataSource
from tests.support.server import SECRET_KEY, TheodoliteServer, demo_server

HARNESS_UID = "theodolite-harness"  # harness/editors.tsx's data source uid
ANALYTICS = "/api/v1/analytics/"
NOT_QUERY_TYPES = {"variables", "project"}  # the routes of the API that are not panel queries
DOCS_IMAGES = os.environ.get("THEODOLITE_DOCS_IMAGES")


@pytest.fixture(scope="module")
def harness(built_plugin: Path) -> Path:
    """grafana-plugin/harness/dist: the editors page's bundle, built now (about 15 s)."""
    result = subprocess.run(
        ["node_modules/.bin/webpack", "-c", "harness/webpack.config.js"],
        cwd=built_plugin,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"the harness did not build:\n{result.stdout[-6000:]}\n{result.stderr[-3000:]}"
    return built_plugin / "harness"


@pytest.fixture(scope="module")
def theodolite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TheodoliteServer]:
    """A real server on SQLite holding two days of demo traffic up to now, in the project its key opens."""
    now = datetime.now(UTC).replace(microsecond=0)
    with demo_server(tmp_path_factory.mktemp("plugin-editors"), now=now, days=2, traces_per_day=150, seed=7) as server:
        yield server


@pytest.fixture(scope="module")
def grafana(harness: Path, theodolite: TheodoliteServer) -> Iterator[GrafanaProxy]:
    plugin_json = json.loads((harness.parent / "src" / "plugin.json").read_text())
    data_source = ProxiedDataSource(
        uid=HARNESS_UID,
        url=theodolite.base_url,
        routes=plugin_json["routes"],
        secure_json_data={"apiKey": SECRET_KEY},
    )
    # @grafana/ui fetches its icons from Grafana's public folder, relative to the page.
    icons = harness.parent / "node_modules" / "@grafana" / "ui" / "dist" / "public" / "img"
    static = [("/public/build/img/", icons), ("/", harness), ("/", harness / "dist")]
    proxy = GrafanaProxy(data_source, static).start()
    try:
        yield proxy
    finally:
        proxy.stop()


@pytest.fixture(scope="module")
def browser():
    with chromium() as instance:
        yield instance


@pytest.fixture
def page(browser, grafana: GrafanaProxy):
    """A fresh page on the harness; fails the test on a JavaScript error."""
    with checked_page(browser, grafana.base_url, width=1000, height=700) as page:
        yield page


@pytest.fixture(scope="module")
def openapi(theodolite: TheodoliteServer) -> dict:
    with theodolite.client() as http:
        response = http.get("/openapi.json")
    assert response.status_code == 200
    return response.json()


def server_list(theodolite: TheodoliteServer, kind: str) -> list[str]:
    with theodolite.client() as http:
        response = http.get(f"{ANALYTICS}variables/{kind}")
    assert response.status_code == 200, response.text
    return [row["value"] for row in response.json()]


def save_screenshot(page, name: str, *parts) -> None:
    """With THEODOLITE_DOCS_IMAGES set, the page cut to the box around `parts` (an editor, the list
    it opened), with a margin."""
    if not DOCS_IMAGES:
        return
    # Every icon drawn: @grafana/ui fetches their SVGs after the first paint.
    page.wait_for_function(
        "() => [...document.querySelectorAll('svg[data-testid^=icon-]')].every(svg => svg.querySelector('path'))"
    )
    boxes = [part.bounding_box() for part in parts]
    left, top = min(b["x"] for b in boxes) - 16, min(b["y"] for b in boxes) - 16
    right = max(b["x"] + b["width"] for b in boxes) + 16
    bottom = max(b["y"] + b["height"] for b in boxes) + 16
    clip = {"x": max(left, 0), "y": max(top, 0), "width": right - max(left, 0), "height": bottom - max(top, 0)}
    Path(DOCS_IMAGES).mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(Path(DOCS_IMAGES) / name), clip=clip)


def open_options(page, combobox, count: int) -> list[str]:
    """Opens a Combobox, waits for its `count` options (a list loads from the server) and returns
    their labels. The lists here are short enough that the virtual list renders every option."""
    from playwright.sync_api import expect

    combobox.click()
    options = page.get_by_role("listbox").get_by_role("option")
    expect(options).to_have_count(count)
    return options.all_inner_texts()


def test_the_query_editor_offers_the_servers_query_types_and_measures(page, openapi: dict) -> None:
    from playwright.sync_api import expect

    page.goto("/?show=query")
    editor = page.get_by_test_id("query-editor")
    # The first radio group is the query type (scope and fill follow).
    expect(editor.get_by_role("radio").first).to_be_checked()

    routes = {path[len(ANALYTICS) :].split("/")[0] for path in openapi["paths"] if path.startswith(ANALYTICS)}
    query_types = routes - NOT_QUERY_TYPES
    labels = editor.locator("input[type=radio] + label").all_inner_texts()
    offered = [label.lower() for label in labels[: len(query_types)]]
    assert sorted(offered) == sorted(query_types)
    assert labels[len(query_types)] == "observations"  # and no other query type after them

    (measure_param,) = [
        p for p in openapi["paths"][f"{ANALYTICS}metrics"]["get"]["parameters"] if p["name"] == "measure"
    ]
    server_measures = [m.strip() for m in measure_param["description"].split(",")]
    measure = editor.get_by_role("combobox").first
    expect(measure).to_have_value("trace_count")
    assert open_options(page, measure, len(server_measures)) == server_measures
    page.keyboard.press("Escape")

    # The default query ran through the proxy and drew one series.
    expect(editor.get_by_test_id("query-result")).to_contain_text(re.compile(r"^trace_count: \d+ rows?$"))


def test_picking_a_group_by_shows_the_servers_values(page, theodolite: TheodoliteServer, grafana) -> None:
    from playwright.sync_api import expect

    models = server_list(theodolite, "models")
    assert len(models) >= 2, models
    page.goto("/?show=query")
    editor = page.get_by_test_id("query-editor")
    result = editor.get_by_test_id("query-result")
    expect(result).to_contain_text(re.compile(r"\d+ rows?"))

    # Traces call several models: counting observations is what groups by model.
    editor.get_by_role("combobox").first.click()
    page.get_by_role("option", name="observation_count", exact=True).click()
    expect(editor.get_by_role("combobox").nth(1)).to_have_value("count")
    group_by = editor.get_by_placeholder("(none)")
    group_by.click()
    page.get_by_role("option", name="model", exact=True).click()
    page.keyboard.press("Escape")
    # One series per model the server holds, named by the model, and one "(none)" for the demo's
    # spans that call no model (its chains and tools).
    expect(result.get_by_role("listitem")).to_have_count(len(models) + 1)
    series = sorted(line.split(":")[0] for line in result.get_by_role("listitem").all_inner_texts())
    assert series == sorted([*models, "(none)"])

    # A filter on model offers the server's models, and the dashboard's variable.
    editor.get_by_role("button", name="Filter").click()
    values = editor.get_by_placeholder("values or $variable")
    key = editor.get_by_role("combobox").nth(-2)
    key.click()
    page.get_by_role("option", name="model", exact=True).click()
    offered = open_options(page, values, len(models) + 1)
    assert sorted(offered) == sorted(["$model", *models])
    save_screenshot(page, "grafana-plugin-query-editor.png", editor, page.get_by_role("listbox"))
    page.keyboard.press("Escape")

    # Every request went through the proxy path, none carried a key from the page.
    assert grafana.requests
    assert all("authorization" not in {h.lower() for h in headers} for _, _, headers in grafana.requests)


def test_the_config_editor_keeps_the_key_a_secure_field(page, theodolite: TheodoliteServer) -> None:
    from playwright.sync_api import expect

    page.goto(f"/?show=config&url={theodolite.base_url}")
    editor = page.get_by_test_id("config-editor")
    expect(editor.get_by_label("URL")).to_have_value(theodolite.base_url)
    expect(editor.get_by_label("Project")).to_have_value("")
    # A saved key shows as "configured", disabled, with a Reset button; its value is nowhere in the page.
    api_key = editor.get_by_role("textbox", name="API key")
    expect(api_key).to_be_disabled()
    expect(api_key).to_have_value("configured")
    expect(editor.get_by_role("button", name="Reset")).to_be_visible()
    assert SECRET_KEY not in page.content()

    editor.get_by_role("button", name="Save & test").click()
    expect(editor.get_by_test_id("health")).to_contain_text(
        'Connected to Theodolite: the API key reaches project "test"'
    )
    save_screenshot(page, "grafana-plugin-config-editor.png", editor)

    # Reset empties the key and makes it editable, as Grafana's SecretInput does.
    editor.get_by_role("button", name="Reset").click()
    expect(api_key).to_be_enabled()
    expect(api_key).to_have_value("")
    expect(api_key).to_have_attribute("type", "password")
