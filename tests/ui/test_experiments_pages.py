"""/experiments and /experiments/compare in a real browser (Debian's chromium through Playwright)
against a real `theodolite serve`: two fake models run over a 100-item dataset through the SDK,
picked in the list, compared; the page marks the right winner of each aggregate and each item,
and counts a categorical score ("tone": polite where the model was right, rude where not) per
experiment with its agreement and wins against the baseline.

`THEODOLITE_SCREENSHOTS=1` also writes docs/images/experiment-compare.png."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

import theodolite
from tests.support.chromium import checked_page
from tests.support.experiments import (
    ITEMS,
    MODEL_A,
    MODEL_B,
    call,
    fake_models,
    new_dataset,
    right,
    run_two_models,
    settled_comparison,
)
from tests.support.server import TheodoliteServer
from tests.ui.conftest import ADMIN_EMAIL, ADMIN_PASSWORD

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def experiment_server(built_ui: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TheodoliteServer]:
    workdir = tmp_path_factory.mktemp("ui-experiments")
    url = f"sqlite:///{workdir / 'theodolite.db'}"
    instance = TheodoliteServer(url, workdir, init_admin_email=ADMIN_EMAIL, init_admin_password=ADMIN_PASSWORD)
    instance.start()
    try:
        yield instance
    finally:
        instance.stop()


@pytest.fixture(scope="module")
def experiments(experiment_server: TheodoliteServer) -> dict:
    with fake_models() as provider:
        dataset = new_dataset(experiment_server)
        a, b = run_two_models(experiment_server, provider.url, dataset)
    theodolite.shutdown(10)
    document = settled_comparison(experiment_server, [a, b])  # every run's trace, cost and score stored
    score_tone(experiment_server, document, [a, b])
    return {"dataset": dataset, "a": a, "b": b}


def score_tone(server: TheodoliteServer, document: dict, ids: list[int]) -> None:
    """A categorical "tone" on every run's trace, numbered by its config (polite 1, rude 0): polite
    where the model was right. Waits until the comparison shows all of them."""
    config = {"name": "tone", "data_type": "CATEGORICAL",
              "categories": [{"label": "polite", "value": 1}, {"label": "rude", "value": 0}]}  # fmt: skip
    assert call(server, "POST", "/api/v1/score-configs", json=config).status_code == 201
    scores = [{"trace_id": run["trace_id"], "name": "tone",
               "value": "polite" if right(model, int(item["item_id"][1:])) else "rude"}
              for item in document["items"]
              for model, run in zip((MODEL_A, MODEL_B), item["runs"], strict=True)]  # fmt: skip
    assert call(server, "POST", "/api/v1/scores", json={"scores": scores}).status_code == 200
    deadline = time.monotonic() + 60
    while True:
        found = call(server, "GET", "/api/v1/experiments/compare", params={"ids": ",".join(map(str, ids))}).json()
        if all("tone" in run["categories"] for item in found["items"] for run in item["runs"]):
            return
        assert time.monotonic() < deadline, "the tone scores never showed in the comparison"
        time.sleep(0.2)


@pytest.fixture
def page(browser, experiment_server: TheodoliteServer) -> Iterator[Page]:
    with checked_page(browser, experiment_server.base_url, width=1440, height=900) as page:
        yield page


def test_two_experiments_picked_in_the_list_compare_with_the_right_winners(page: Page, experiments: dict) -> None:
    dataset, a, b = experiments["dataset"], experiments["a"], experiments["b"]
    page.goto(f"/experiments?dataset={dataset}")
    page.get_by_label("Email or user name").fill(ADMIN_EMAIL)
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("experiment-row")).to_have_count(2)
    expect(page.get_by_role("button", name="Compare")).to_be_disabled()
    page.get_by_label(f"Pick {dataset}-{MODEL_A}", exact=True).check()  # the first ticked is the baseline
    page.get_by_label(f"Pick {dataset}-{MODEL_B}", exact=True).check()
    page.get_by_role("button", name="Compare (2)").click()
    expect(page).to_have_url(re.compile(rf"/experiments/compare\?ids={a},{b}(&project=[^&]+)?$"))

    # aggregates: B is right more often (0.85 against 0.60, +0.25 with 30 wins, 5 losses), A is cheaper
    correct = page.locator('[data-testid="aggregate-row"][data-metric="score-correct"]')
    expect(correct.get_by_test_id("best")).to_have_text(f"{dataset}-{MODEL_B}")
    expect(correct.locator("td[data-best=true]")).to_contain_text("0.850")
    expect(correct.get_by_test_id("versus")).to_contain_text("+0.250 [+")
    expect(correct.get_by_test_id("versus")).to_contain_text("W/L/T 30/5/65")
    cost = page.locator('[data-testid="aggregate-row"][data-metric="cost"]')
    expect(cost.get_by_test_id("best")).to_have_text(f"{dataset}-{MODEL_A}")
    expect(cost.get_by_test_id("versus")).to_contain_text("W/L/T 0/100/0")

    # the categorical score: A polite on its 60 right answers, B on 85; the same tone on 65 items,
    # B more polite on 30 (its config numbers polite above rude), less on 5
    tone = page.locator('[data-testid="categorical-table"][data-score="tone"]')
    polite = tone.locator('[data-testid="category-row"][data-label="polite"]').get_by_test_id("category-count")
    expect(polite).to_have_text(["60 (60 %)", "85 (85 %)"])
    rude = tone.locator('[data-testid="category-row"][data-label="rude"]').get_by_test_id("category-count")
    expect(rude).to_have_text(["40 (40 %)", "15 (15 %)"])
    expect(tone.get_by_test_id("category-versus")).to_have_text("agree 65/100 (65 %) · W/L/T 30/5/65")
    # and tone is not a numeric score, though its config gives it numbers
    expect(page.locator('[data-testid="aggregate-row"][data-metric="score-tone"]')).to_have_count(0)

    # per item: the winner marked where exactly one model is right, a tie elsewhere
    rows = page.get_by_test_id("item-row")
    expect(rows).to_have_count(ITEMS)
    winners = rows.evaluate_all("rows => Object.fromEntries(rows.map(r => [r.dataset.item, r.dataset.winner]))")
    assert winners["q007"] == str(b) and winners["q003"] == str(a) and winners["q000"] == "tie"
    assert list(winners.values()).count(str(b)) == 30 and list(winners.values()).count(str(a)) == 5
    page.get_by_label("Only items with a winner").check()
    expect(rows).to_have_count(35)

    q007 = page.locator('[data-testid="item-row"][data-item="q007"]')
    expect(q007.get_by_test_id("item-category")).to_have_text(["rude", "polite"])
    q007.click()
    detail = page.get_by_test_id("item-detail")
    expect(detail).to_contain_text("question 7")
    expect(detail.get_by_test_id("diff-output")).to_contain_text("answer 7")
    expect(detail.get_by_test_id("diff-output")).to_contain_text("no idea about 7")
    expect(detail.get_by_test_id("run-trace-link")).to_have_count(2)
    expect(page).to_have_url(re.compile(r"item=q007"))
    if os.environ.get("THEODOLITE_SCREENSHOTS") == "1":
        page.screenshot(path=str(ROOT / "docs" / "images" / "experiment-compare.png"))

    detail.get_by_test_id("run-trace-link").nth(1).click()
    expect(page).to_have_url(re.compile(r"/traces/[0-9a-f]{32}"))
    expect(page.get_by_text(f"{dataset}-{MODEL_B}").first).to_be_visible()
