"""/api/v1/experiments over a real server, on every trace store: two fake models run over a
100-item dataset through the SDK, then compared (paired bootstrap intervals, win/loss/tie), and
the mistakes that get a 4xx; categorical scores compared by their categories. The comparison reads
cost, latency and scores from the trace store (`TraceQueries.trace_summaries`), so the module runs
on ClickHouse too."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

import theodolite
from tests.conftest import ALL_ENGINES
from tests.support.experiments import (
    ITEMS,
    MODEL_A,
    MODEL_B,
    USAGE,
    call,
    fake_models,
    new_dataset,
    right,
    run_two_models,
    settled_comparison,
)
from tests.support.fake_provider import FakeProvider
from tests.support.langfuse_traces import send_traces
from tests.support.server import TheodoliteServer

SERVER_ENGINES = ALL_ENGINES

# USD per token of the two models in genai-prices 0.2.3 (input, output)
PRICES = {
    MODEL_A: (Decimal("0.15") / 10**6, Decimal("0.6") / 10**6),
    MODEL_B: (Decimal("2.5") / 10**6, Decimal("10") / 10**6),
}


@pytest.fixture(scope="module")
def provider() -> Iterator[FakeProvider]:
    with fake_models() as fake:
        yield fake


@pytest.fixture(scope="module")
def two_models(server: TheodoliteServer, provider: FakeProvider) -> dict:
    dataset = new_dataset(server)
    a, b = run_two_models(server, provider.url, dataset)
    theodolite.shutdown(10)
    return {"dataset": dataset, "a": a, "b": b}


def run_cost(model: str) -> float:
    prompt, completion = PRICES[model]
    return float(USAGE["prompt_tokens"] * prompt + USAGE["completion_tokens"] * completion)


def test_two_models_compare_by_item_with_intervals(server: TheodoliteServer, two_models: dict) -> None:
    a, b = two_models["a"], two_models["b"]
    document = settled_comparison(server, [a, b])
    assert document["baseline_id"] == a and document["score_names"] == ["correct"]
    first, second = document["experiments"]
    assert (first["id"], first["metadata"], first["status"], first["dataset_version"]) == (
        a,
        {"model": MODEL_A},
        "finished",
        1,
    )
    assert (first["item_count"], first["errors"], second["item_count"]) == (ITEMS, 0, ITEMS)
    assert first["scores"]["correct"] == {"mean": 0.6, "n": ITEMS}
    assert second["scores"]["correct"] == {"mean": 0.85, "n": ITEMS}
    assert first["cost"]["total"] == pytest.approx(ITEMS * run_cost(MODEL_A))
    assert second["cost"]["mean"] == pytest.approx(run_cost(MODEL_B))
    assert first["latency_ms"]["p50"] > 0 and second["latency_ms"]["mean"] > 0

    # B against A, item by item: B wins where only B is right, loses where only A is
    wins = sum(right(MODEL_B, n) and not right(MODEL_A, n) for n in range(ITEMS))
    losses = sum(right(MODEL_A, n) and not right(MODEL_B, n) for n in range(ITEMS))
    (versus,) = document["versus_baseline"]
    correct = versus["scores"]["correct"]
    assert (wins, losses) == (30, 5)
    assert (correct["wins"], correct["losses"], correct["ties"], correct["unpaired"]) == (wins, losses, ITEMS - 35, 0)
    assert correct["mean_difference"] == pytest.approx(0.25)
    assert 0 < correct["low"] < 0.25 < correct["high"] < 0.5 and correct["significant"]
    assert correct["better"] == "experiment"
    cost = versus["cost"]  # B costs more on every item: lower is better, so 100 losses
    assert (cost["wins"], cost["losses"], cost["better"], cost["significant"]) == (0, ITEMS, "baseline", True)
    assert cost["mean_difference"] == pytest.approx(run_cost(MODEL_B) - run_cost(MODEL_A))
    assert versus["latency_ms"]["n_items"] == ITEMS
    assert document["best"]["scores"] == {"correct": b} and document["best"]["cost"] == a

    items = {item["item_id"]: item for item in document["items"]}
    assert len(items) == ITEMS
    only_b = items["q007"]  # 7 % 10 >= 6: A wrong; 7 % 20 < 17: B right
    assert only_b["input"] == {"question": "question 7"} and only_b["expected_output"] == "answer 7"
    assert [run["output"] for run in only_b["runs"]] == ["no idea about 7", "answer 7"]
    assert [run["scores"] for run in only_b["runs"]] == [{"correct": 0.0}, {"correct": 1.0}]
    assert only_b["winners"] == {"correct": [b]} and items["q000"]["winners"] == {"correct": []}
    assert all(run["trace_id"] for run in only_b["runs"])


def test_an_experiment_on_version_1_still_compares_after_the_dataset_changed(
    server: TheodoliteServer, two_models: dict
) -> None:
    dataset, a, b = two_models["dataset"], two_models["a"], two_models["b"]
    item = {"id": "q007", "input": {"question": "changed"}, "expected_output": "x"}
    changed = call(server, "POST", f"/api/v1/datasets/{dataset}/items", json={"items": [item]})
    assert changed.json()["version"] == 2
    assert call(server, "DELETE", f"/api/v1/datasets/{dataset}/items/q001").json()["version"] == 3
    document = settled_comparison(server, [a, b])
    items = {item["item_id"]: item for item in document["items"]}
    assert len(items) == ITEMS and items["q007"]["input"] == {"question": "question 7"}  # as in version 1
    assert document["versus_baseline"][0]["scores"]["correct"]["wins"] == 30
    # a run may still name an item of version 1 that the dataset has since deleted; re-sent, it replaces
    again = call(
        server, "POST", f"/api/v1/experiments/{a}/runs", json={"runs": [{"item_id": "q001", "output": "re-run"}]}
    )
    assert again.status_code == 200 and again.json()["run_count"] == ITEMS
    detail = call(server, "GET", f"/api/v1/experiments/{a}").json()
    assert detail["dataset_version"] == 1 and len(detail["runs"]) == ITEMS
    assert next(run for run in detail["runs"] if run["item_id"] == "q001")["output"] == "re-run"
    listed = call(server, "GET", "/api/v1/experiments", params={"dataset": dataset}).json()["data"]
    assert [experiment["id"] for experiment in listed] == [b, a]


def test_mistakes_get_a_clear_4xx(server: TheodoliteServer, two_models: dict) -> None:
    dataset, a = two_models["dataset"], two_models["a"]
    other = new_dataset(server, items=3)
    elsewhere = call(server, "POST", "/api/v1/experiments", json={"dataset": other, "name": f"{other}-x"}).json()
    cases = [
        ("GET", "/api/v1/experiments/compare", {"params": {"ids": str(a)}}, 400, "at least two"),
        ("GET", "/api/v1/experiments/compare", {"params": {"ids": f"{a},{a}"}}, 400, "at least two"),
        ("GET", "/api/v1/experiments/compare", {"params": {"ids": f"{a},x"}}, 400, "comma-separated"),
        ("GET", "/api/v1/experiments/compare", {"params": {"ids": f"{a},999999"}}, 404, "no experiment 999999"),
        ("GET", "/api/v1/experiments/compare", {"params": {"ids": f"{a},{elsewhere['id']}"}}, 400, "on one dataset"),
        ("GET", "/api/v1/experiments/999999", {}, 404, "no experiment"),
        ("POST", "/api/v1/experiments", {"json": {"dataset": "nope", "name": "n"}}, 404, "no dataset named 'nope'"),
        ("POST", "/api/v1/experiments", {"json": {"dataset": dataset, "name": "v", "version": 9}}, 400, "version 9"),
        ("POST", "/api/v1/experiments", {"json": {"dataset": dataset, "name": f"{dataset}-{MODEL_A}"}}, 409, "already"),
        ("POST", f"/api/v1/experiments/{elsewhere['id']}/runs", {"json": {"runs": [{"item_id": "q050"}]}}, 400,
         "'q050' is not in version 1"),
        ("POST", f"/api/v1/experiments/{a}/runs", {"json": {"runs": [{"item_id": "q000"}] * 2}}, 400, "two runs"),
        ("POST", f"/api/v1/experiments/{a}/runs", {"json": {"runs": [{"item_id": "q"}] * 1001}}, 413, "at most 1000"),
    ]  # fmt: skip
    for method, path, kwargs, status, text in cases:
        response = call(server, method, path, **kwargs)
        assert response.status_code == status and text in response.json()["error"]["message"], (path, response.text)
    assert call(server, "GET", f"/api/v1/experiments/{elsewhere['id']}").json()["run_count"] == 0  # nothing stored
    finished = call(server, "POST", f"/api/v1/experiments/{elsewhere['id']}/finish", json={"status": "failed"})
    assert finished.json()["status"] == "failed" and finished.json()["finished_at"]


# Two experiments' categorical scores on 8 items: "tone" has a config numbering its categories,
# "style" none. A's run of q007 failed (no scores).
TONE_A = ["polite", "polite", "neutral", "rude", "rude", "neutral", "polite", None]
TONE_B = ["polite", "neutral", "polite", "neutral", "rude", "neutral", "polite", "neutral"]
STYLE_A = ["short"] * 7 + [None]
STYLE_B = ["short"] * 4 + ["long"] * 4


def categorical_experiments(server: TheodoliteServer) -> tuple[int, int, str, str]:
    """Experiments A and B over a new 8-item dataset, each run with a trace scored by TONE_* and
    STYLE_*; their ids and the two score names."""
    dataset, suffix = new_dataset(server, items=8), uuid.uuid4().hex[:6]
    tone, style = f"tone-{suffix}", f"style-{suffix}"
    categories = [{"label": "polite", "value": 2}, {"label": "neutral", "value": 1}, {"label": "rude", "value": 0}]
    config = call(server, "POST", "/api/v1/score-configs", json={"name": tone, "data_type": "CATEGORICAL",
                                                                 "categories": categories})  # fmt: skip
    assert config.status_code == 201, config.text
    ids = []
    for name, tones, styles in (("a", TONE_A, STYLE_A), ("b", TONE_B, STYLE_B)):
        created = call(server, "POST", "/api/v1/experiments", json={"dataset": dataset, "name": f"{dataset}-{name}"})
        traces = send_traces(server, 8, f"{dataset}-{name}")
        runs = [{"item_id": f"q{n:03d}", "trace_id": trace_id, "output": "done",
                 "error": "timed out" if tones[n] is None else None} for n, trace_id in enumerate(traces)]  # fmt: skip
        assert call(server, "POST", f"/api/v1/experiments/{created.json()['id']}/runs", json={"runs": runs}).is_success
        scores = [{"trace_id": trace_id, "name": score, "value": label}
                  for trace_id, pair in zip(traces, zip(tones, styles, strict=True), strict=True)
                  for score, label in zip((tone, style), pair, strict=True) if label is not None]  # fmt: skip
        stored = call(server, "POST", "/api/v1/scores", json={"scores": scores})
        assert stored.status_code == 200, stored.text
        ids.append(created.json()["id"])
    return ids[0], ids[1], tone, style


def test_categorical_scores_compare_by_distribution_and_agreement(server: TheodoliteServer) -> None:
    a, b, tone, style = categorical_experiments(server)
    deadline = time.monotonic() + 60
    while True:  # the trace store may show a trace's scores a moment after the answer
        document: dict[str, Any] = call(server, "GET", "/api/v1/experiments/compare", params={"ids": f"{a},{b}"}).json()
        labelled = [run["categories"] for item in document["items"] for run in item["runs"] if not run["error"]]
        if len(labelled) == 15 and all(len(categories) == 2 for categories in labelled):
            break
        assert time.monotonic() < deadline, document
        time.sleep(0.2)
    # tone's config numbers its categories, so it is stored with a value too: still compared as categories
    assert document["score_names"] == [] and document["category_names"] == sorted([tone, style])
    assert document["categorical"][tone] == {"labels": ["polite", "neutral", "rude"],
                                             "values": {"polite": 2.0, "neutral": 1.0, "rude": 0.0}}  # fmt: skip
    assert document["categorical"][style] == {"labels": ["long", "short"], "values": None}
    first, second = document["experiments"]
    shares = {"polite": 3 / 7, "neutral": 2 / 7, "rude": 2 / 7}
    assert first["categories"][tone] == {"counts": {"polite": 3, "neutral": 2, "rude": 2}, "shares": shares, "n": 7}
    assert second["categories"][tone]["counts"] == {"polite": 3, "neutral": 4, "rude": 1}
    assert second["categories"][style]["counts"] == {"long": 4, "short": 4} and first["scores"] == {}
    (versus,) = document["versus_baseline"]
    # paired q000-q006: the same tone on q000, q004, q005, q006; B up on q002 and q003, down on q001
    paired = {"n_items": 7, "agreed": 4, "agreement": 4 / 7, "unpaired": 1}
    assert versus["categories"][tone] == paired | {"ordered": True, "wins": 2, "losses": 1, "ties": 4,
                                                   "better": "experiment"}  # fmt: skip
    assert versus["categories"][style] == paired | {"ordered": False, "wins": None, "losses": None, "ties": None,
                                                    "better": None}  # fmt: skip
    items = {item["item_id"]: item for item in document["items"]}
    assert [run["categories"] for run in items["q002"]["runs"]] == [{tone: "neutral", style: "short"},
                                                                     {tone: "polite", style: "short"}]  # fmt: skip
    assert items["q007"]["runs"][0]["categories"] == {} and items["q002"]["runs"][0]["scores"] == {}
