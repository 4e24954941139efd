"""`run_experiment`: run an application's task over a dataset version, each item in its own trace,
score the outputs with evaluators, and record it all as an experiment (docs/evaluation.md).

Steps: read the version's items through the HTTP API (the SDK's endpoint and key), create the
experiment (which records the version), run `task(input)` per item in a bounded thread pool, each
call inside a root span of its own (so the provider wrappers' LLM calls inside are traced and
priced in that trace), run the evaluators on each output and send their verdicts as scores of the
run's trace, post the runs, flush, and mark the experiment finished.

The evaluators run after the task's span has ended: their time (a judge's call) is not the
application's latency, which the comparison reads from the trace. A task that raises gives a run
with its error: it is neither raised nor scored. An evaluator that raises gives a failed
evaluation (`EvaluationResult.error`), never a lost run.
"""

from __future__ import annotations

import asyncio
import inspect
import math
import threading
import uuid
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from theodolite.evaluation import EvaluationResult, ScoreDataType, custom
from theodolite.sdk.api import call
from theodolite.sdk.client import get_client
from theodolite.sdk.tracing import score, span

PAGE = 1000  # items read per request, and runs posted per request: the API's bounds
MAX_OUTPUT_CHARS = 100_000  # a run's stored output; its trace holds the captured one


@dataclass(frozen=True, slots=True)
class DatasetItem:
    id: str
    input: Any
    expected_output: Any
    metadata: dict[str, Any] | None


@dataclass(slots=True)
class ExperimentRun:
    """One item's run: the task's output or error, its trace, and the evaluators' verdicts."""

    item: DatasetItem
    output: Any = None
    error: str | None = None
    trace_id: str | None = None
    evaluations: list[EvaluationResult] = field(default_factory=list)

    def to_api(self) -> dict[str, Any]:
        output = self.output
        if isinstance(output, str) and len(output) > MAX_OUTPUT_CHARS:
            output = output[:MAX_OUTPUT_CHARS]
        return {"item_id": self.item.id, "trace_id": self.trace_id, "output": _jsonable(output), "error": self.error}


@dataclass(slots=True)
class ExperimentResult:
    """What `run_experiment` did: the experiment's id and name, the dataset version, every run."""

    experiment_id: int
    name: str
    dataset: str
    dataset_version: int
    runs: list[ExperimentRun]

    @property
    def errors(self) -> list[ExperimentRun]:
        """The runs whose task raised."""
        return [run for run in self.runs if run.error is not None]

    @property
    def evaluation_errors(self) -> list[tuple[str, EvaluationResult]]:
        """(item id, result) of every evaluation that failed."""
        return [(run.item.id, result) for run in self.runs for result in run.evaluations if result.error]

    @property
    def scores(self) -> dict[str, float | None]:
        """Per evaluator, the mean of its numeric and boolean verdicts (None when it has none)."""
        values: dict[str, list[float]] = {}
        for run in self.runs:
            for result in run.evaluations:
                found = values.setdefault(result.name, [])
                if result.value is not None and not isinstance(result.value, str):
                    found.append(float(result.value))
        return {name: math.fsum(found) / len(found) if found else None for name, found in values.items()}


def _jsonable(value: Any) -> Any:
    """The output as JSON can carry it: as is when it can, else its text."""
    import json

    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        return str(value)


def _as_evaluator(evaluator: Any) -> Any:
    """Evaluators of `theodolite.evaluation` as they are; a plain function becomes `custom(fn)`."""
    if getattr(evaluator, "name", None) and callable(evaluator):
        return evaluator
    if callable(evaluator):
        return custom(evaluator)
    raise TypeError(f"an evaluator is a callable, not {evaluator!r}")


def _evaluate(evaluator: Any, run: ExperimentRun) -> EvaluationResult:
    item = run.item
    try:
        result = evaluator(run.output, expected=item.expected_output, input=item.input, metadata=item.metadata)
    except Exception as exc:  # noqa: BLE001 - a raising evaluator fails its verdict, not the experiment
        return EvaluationResult.failed(evaluator.name, ScoreDataType.NUMERIC, f"{type(exc).__name__}: {exc}")
    if not isinstance(result, EvaluationResult):
        return EvaluationResult.failed(evaluator.name, ScoreDataType.NUMERIC, f"returned {type(result).__name__}")
    return result


def read_items(dataset: str, version: int | None = None) -> tuple[int, list[DatasetItem]]:
    """(the version read, its items) of a dataset, through the HTTP API. Raises ApiError."""
    config = get_client().config
    path = f"/api/v1/datasets/{quote(dataset, safe='')}/items"
    items: list[DatasetItem] = []
    cursor = None
    while True:
        page = call(config, "GET", path, params={"version": version if cursor is None else None,
                                                 "limit": PAGE, "cursor": cursor})  # fmt: skip
        items += [DatasetItem(i["id"], i["input"], i["expected_output"], i["metadata"]) for i in page["data"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return page["version"], items


def _call_task(task: Callable[..., Any], value: Any) -> Any:
    result = task(value)
    if inspect.isawaitable(result):  # an async task: run in this worker thread's own loop
        return asyncio.run(_await(result))
    return result


async def _await(awaitable: Any) -> Any:
    return await awaitable


def run_experiment(
    dataset: str,
    task: Callable[[Any], Any],
    evaluators: Iterable[Any] = (),
    *,
    name: str | None = None,
    version: int | None = None,
    max_concurrency: int = 4,
    metadata: dict[str, Any] | None = None,
    description: str | None = None,
    on_progress: Callable[[int, int, ExperimentRun], None] | None = None,
) -> ExperimentResult:
    """Run `task(input)` on every item of `dataset` (version `version`, default: the current one)
    and record it as an experiment. Returns the result; raises `theodolite.sdk.api.ApiError` when
    the server refuses (no such dataset or version, a name the project has).

    `evaluators`: built-ins, `custom(...)`, a `Judge` or plain functions (wrapped in `custom`),
    called as `evaluator(output, expected=..., input=..., metadata=...)` (the item's metadata).
    `max_concurrency`: tasks running at once (threads). `on_progress(done, total, run)` is called
    after each run, from the thread that ran it.
    """
    if max_concurrency < 1:
        raise ValueError("max_concurrency must be at least 1")
    chosen = [_as_evaluator(evaluator) for evaluator in evaluators]
    client = get_client()
    config = client.config
    read, items = read_items(dataset, version)
    if not items:
        raise ValueError(f"version {read} of dataset {dataset!r} holds no items")
    name = name or f"{dataset} {datetime.now(UTC):%Y-%m-%d %H:%M:%S} {uuid.uuid4().hex[:6]}"
    body = {"dataset": dataset, "version": read, "name": name, "description": description, "metadata": metadata}
    experiment = call(config, "POST", "/api/v1/experiments", body)
    experiment_id = experiment["id"]
    links = {"experiment_id": experiment_id, "experiment": name, "dataset": dataset, "dataset_version": read}
    runs: list[ExperimentRun] = []
    done_lock = threading.Lock()

    def run_one(item: DatasetItem) -> ExperimentRun:
        run = ExperimentRun(item)
        with span(name, as_type="chain", input=item.input) as root:
            if root.record is not None:
                root.record.sampled = True  # every run is kept, whatever the sample rate
            root.update(trace_name=name, trace_metadata={**links, "item_id": item.id}, tags=["experiment"])
            run.trace_id = root.trace_id
            try:
                run.output = _call_task(task, item.input)
            except Exception as exc:  # noqa: BLE001 - the run records the error; the experiment goes on
                run.error = f"{type(exc).__name__}: {exc}"
                root.update(level="ERROR", status_message=run.error)
            else:
                root.update(output=run.output)
        if run.error is None:
            run.evaluations = [_evaluate(evaluator, run) for evaluator in chosen]
            for result in run.evaluations:
                if result.value is not None and run.trace_id is not None:
                    score(**result.score_arguments(), trace_id=run.trace_id)
        return run

    try:
        with ThreadPoolExecutor(max_workers=max_concurrency, thread_name_prefix="theodolite-experiment") as pool:
            futures = [pool.submit(run_one, item) for item in items]
            for future in as_completed(futures):
                run = future.result()
                with done_lock:
                    runs.append(run)
                    done = len(runs)
                if on_progress is not None:
                    on_progress(done, len(items), run)
        order = {item.id: n for n, item in enumerate(items)}
        runs.sort(key=lambda run: order[run.item.id])
        _post_runs(config, experiment_id, runs)
        client.exporter.flush(60.0)
    except BaseException:
        _finish(config, experiment_id, "failed")
        raise
    _finish(config, experiment_id, "finished")
    return ExperimentResult(experiment_id, name, dataset, read, runs)


def _post_runs(config: Any, experiment_id: int, runs: Sequence[ExperimentRun]) -> None:
    for start in range(0, len(runs), PAGE):
        batch = [run.to_api() for run in runs[start : start + PAGE]]
        call(config, "POST", f"/api/v1/experiments/{experiment_id}/runs", {"runs": batch})


def _finish(config: Any, experiment_id: int, status: str) -> None:
    try:
        call(config, "POST", f"/api/v1/experiments/{experiment_id}/finish", {"status": status})
    except Exception:  # noqa: BLE001 - marking a failure must not hide the error that caused it
        if status == "finished":
            raise
