"""`theodolite.run_experiment` against a real server: each run in its own trace, the version
recorded, errors in tasks and evaluators kept apart, the concurrency bound, progress, the
evaluators' verdicts stored as scores of the run's trace."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

import theodolite
from tests.sdk.conftest import fetch_trace
from tests.support.experiments import call, new_dataset
from tests.support.server import SECRET_KEY, TheodoliteServer
from theodolite.evaluation import ExactMatch, custom
from theodolite.sdk.api import ApiError


@pytest.fixture
def traced(sdk_server: TheodoliteServer) -> Iterator[TheodoliteServer]:
    theodolite.configure(endpoint=sdk_server.base_url, api_key=SECRET_KEY, strict=True, flush_interval_s=0.1)
    yield sdk_server
    assert theodolite.shutdown(10)


def stored_trace(server: TheodoliteServer, trace_id: str, scores: int, deadline_s: float = 30.0) -> dict:
    """The trace once its `scores` scores are stored (polled with a deadline)."""
    limit = time.monotonic() + deadline_s
    while True:
        try:
            trace = fetch_trace(server, trace_id)
            if len(trace["scores"]) >= scores:
                return trace
        except AssertionError:
            pass
        assert time.monotonic() < limit, f"trace {trace_id} not stored with {scores} scores"
        time.sleep(0.1)


def test_runs_are_traced_scored_and_recorded_on_the_version(traced: TheodoliteServer) -> None:
    dataset = new_dataset(traced, items=12)
    late = {"id": "late", "input": {"question": "question 99"}}
    assert call(traced, "POST", f"/api/v1/datasets/{dataset}/items", json={"items": [late]}).json()["version"] == 2
    progress: list[tuple[int, int]] = []

    def task(item_input: dict) -> str:
        n = int(item_input["question"].split()[-1])
        if n == 5:
            raise RuntimeError("the model is down")
        return f"answer {n}" if n % 2 == 0 else "?"

    @custom(name="fussy")
    def fussy(output: str, metadata: dict | None) -> bool:
        if output == "answer 4":
            raise KeyError("no rule for 4")
        return output.startswith("answer")

    result = theodolite.run_experiment(
        dataset, task, [ExactMatch(name="exact"), fussy, lambda output: len(output)],
        version=1, name=f"{dataset}-run", metadata={"model": "toy"},
        on_progress=lambda done, total, run: progress.append((done, total)),
    )  # fmt: skip
    assert (result.dataset, result.dataset_version, result.name) == (dataset, 1, f"{dataset}-run")
    assert [run.item.id for run in result.runs] == [f"q{n:03d}" for n in range(12)]  # version 1: not "late"
    assert sorted(progress) == [(n, 12) for n in range(1, 13)]

    # a task that raises: a run with the error, no output, no evaluation, not raised
    (failed,) = result.errors
    assert (failed.item.id, failed.error, failed.output, failed.evaluations) == (
        "q005", "RuntimeError: the model is down", None, [])  # fmt: skip
    # an evaluator that raises: that verdict failed, the others stand
    four = next(run for run in result.runs if run.item.id == "q004")
    by_name = {r.name: r for r in four.evaluations}
    assert by_name["fussy"].value is None and by_name["fussy"].error.startswith("KeyError")
    assert by_name["exact"].value is True and by_name["<lambda>"].value == 8.0
    assert [(item_id, r.name) for item_id, r in result.evaluation_errors] == [("q004", "fussy")]
    assert result.scores["exact"] == pytest.approx(6 / 11)  # 6 even items right, of the 11 that ran
    assert result.scores["fussy"] == pytest.approx(5 / 10)

    experiment = call(traced, "GET", f"/api/v1/experiments/{result.experiment_id}").json()
    assert (experiment["status"], experiment["dataset_version"], experiment["metadata"]) == (
        "finished",
        1,
        {"model": "toy"},
    )
    assert (experiment["run_count"], experiment["error_count"]) == (12, 1)
    runs = {run["item_id"]: run for run in experiment["runs"]}
    assert runs["q005"]["error"] == "RuntimeError: the model is down" and runs["q002"]["output"] == "answer 2"

    # each run is a root trace of its own, linked to the experiment, with its verdicts as scores
    trace = stored_trace(traced, runs["q002"]["trace_id"], scores=3)
    assert trace["name"] == f"{dataset}-run" and "experiment" in trace["tags"]
    assert trace["metadata"]["experiment_id"] == result.experiment_id and trace["metadata"]["item_id"] == "q002"
    assert {s["name"]: s["value"] for s in trace["scores"]} == {"exact": 1.0, "fussy": 1.0, "<lambda>": 8.0}
    assert len(trace["observations"]) == 1 and trace["observations"][0]["output"] == "answer 2"
    errored = stored_trace(traced, runs["q005"]["trace_id"], scores=0)
    assert errored["observations"][0]["level"] == "ERROR" and errored["scores"] == []
    assert len({run["trace_id"] for run in runs.values()}) == 12


def test_no_more_tasks_run_at_once_than_max_concurrency(traced: TheodoliteServer) -> None:
    dataset = new_dataset(traced, items=24)
    lock, running, most = threading.Lock(), [0], [0]
    release = threading.Event()

    def task(item_input: dict) -> str:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
            if running[0] == 3:
                release.set()  # the bound is reached: let everyone go on
        release.wait(10)
        with lock:
            running[0] -= 1
        return "done"

    result = theodolite.run_experiment(dataset, task, max_concurrency=3)
    assert most[0] == 3 and len(result.runs) == 24 and result.errors == []


def test_every_run_is_traced_whatever_the_sample_rate(sdk_server: TheodoliteServer) -> None:
    theodolite.configure(endpoint=sdk_server.base_url, api_key=SECRET_KEY, strict=True, flush_interval_s=0.1,
                         sample_rate=0.0)  # fmt: skip
    try:
        dataset = new_dataset(sdk_server, items=3)
        result = theodolite.run_experiment(dataset, lambda item_input: "x", [ExactMatch(name="exact")])
        for run in result.runs:
            assert stored_trace(sdk_server, run.trace_id, scores=1)["scores"][0]["name"] == "exact"
    finally:
        assert theodolite.shutdown(10)


def test_unknown_dataset_or_version_is_raised_before_anything_runs(traced: TheodoliteServer) -> None:
    ran: list[object] = []
    with pytest.raises(ApiError) as unknown:
        theodolite.run_experiment("no-such-dataset", ran.append)
    assert unknown.value.status == 404 and "no dataset named 'no-such-dataset'" in str(unknown.value)
    dataset = new_dataset(traced, items=2)
    with pytest.raises(ApiError) as version:
        theodolite.run_experiment(dataset, ran.append, version=7)
    assert version.value.status == 400 and ran == []
    assert call(traced, "GET", "/api/v1/experiments", params={"dataset": dataset}).json()["data"] == []
