"""theodolite_score_value on a real server's /metrics, read with prometheus_client's parser: numeric
and boolean scores observed in the catalog's buckets, categorical ones not, names capped by the
series budget."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.server import TheodoliteServer
from theodolite.metrics.catalog import SCORE_VALUE_BUCKETS, get_metric

METRIC = "theodolite_score_value"
BUDGET = 4


@pytest.fixture(scope="module")
def scored(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TheodoliteServer]:
    workdir = tmp_path_factory.mktemp("score-metric")
    running = TheodoliteServer(
        f"sqlite:///{workdir / 'theodolite.db'}", workdir, metrics_series_budget=str(BUDGET)
    ).start()
    try:
        yield running
    finally:
        running.stop()


def send(server: TheodoliteServer, *scores: tuple[str, object]) -> None:
    trace_id = uuid.uuid4().hex
    body = {"scores": [{"trace_id": trace_id, "name": name, "value": value} for name, value in scores]}
    with server.client() as client:
        response = client.post("/api/v1/scores", json=body)
    assert response.status_code == 200, response.text


def histogram(server: TheodoliteServer) -> dict[tuple[str, str, str], dict[str, float]]:
    """Per (name, source, le or sample suffix): the value, for the test project's score values."""
    text = httpx.get(f"{server.base_url}/metrics", timeout=30).text
    [family] = [f for f in text_string_to_metric_families(text) if f.name == METRIC]
    assert family.type == "histogram"
    found: dict[tuple[str, str, str], dict[str, float]] = {}
    for sample in family.samples:
        labels = dict(sample.labels)
        assert labels.pop("project") == "test"
        key = (labels.pop("name"), labels.pop("source"), sample.name.removeprefix(METRIC))
        found.setdefault(key, {})[labels.get("le", "")] = sample.value
    return found


def test_values_fall_in_the_buckets_of_both_kinds_of_scale(scored: TheodoliteServer) -> None:
    assert get_metric(METRIC).buckets == SCORE_VALUE_BUCKETS
    send(scored, ("relevance", 0.05), ("relevance", 0.85), ("relevance", 1), ("stars", 4), ("stars", 5))
    send(scored, ("correct", True), ("correct", False), ("correct", True), ("tone", "polite"))
    found = histogram(scored)
    relevance = found[("relevance", "API", "_bucket")]
    assert (relevance["0.0"], relevance["0.1"], relevance["0.8"], relevance["0.9"], relevance["1.0"]) == (0, 1, 1, 2, 3)
    assert found[("relevance", "API", "_count")][""] == 3
    assert found[("relevance", "API", "_sum")][""] == pytest.approx(1.9)
    stars = found[("stars", "API", "_bucket")]
    assert (stars["1.0"], stars["3.0"], stars["4.0"], stars["5.0"], stars["10.0"], stars["+Inf"]) == (0, 0, 1, 2, 2, 2)
    correct = found[("correct", "API", "_bucket")]
    assert (correct["0.0"], correct["0.9"], correct["1.0"]) == (1, 1, 3)  # false as 0, true as 1
    assert found[("correct", "API", "_sum")][""] == 2
    assert not any(name == "tone" for name, _, _ in found)  # a category is no measure
    assert sorted(relevance) == sorted([f"{bound:.1f}" for bound in SCORE_VALUE_BUCKETS] + ["+Inf"])


def test_score_names_beyond_the_series_budget_are_folded_not_lost(scored: TheodoliteServer) -> None:
    send(scored, *[(f"judge-{n}", 0.5) for n in range(BUDGET + 2)])
    found = histogram(scored)
    names = {name for name, _, _ in found}
    assert "other" in names and len(names) <= BUDGET + 1
    total = sum(values[""] for (_, _, suffix), values in found.items() if suffix == "_count")
    assert total == 5 + 3 + BUDGET + 2  # every observation is still counted
    with httpx.Client(base_url=scored.base_url, timeout=30) as client:
        folded = client.get("/metrics").text
    assert f'theodolite_metrics_folded_series_total{{metric="{METRIC}"}}' in folded
