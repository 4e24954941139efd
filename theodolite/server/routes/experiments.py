"""/api/v1/experiments: an application run over a dataset version, its runs, and experiments compared.

Experiments and runs live in the metadata store (`storage/metadata/experiments.py`); a run's cost,
latency and scores are its trace's, read through the trace store's `TraceQueries.trace_summaries`,
so the comparison works on any trace store. The arithmetic is `query/experiment_comparison.py`.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Query

from theodolite.errors import BadRequestError, PayloadTooLargeError
from theodolite.model import ScoreDataType
from theodolite.query.experiment_comparison import DEFAULT_RESAMPLES, MAX_EXPERIMENTS, ExperimentRuns, compare
from theodolite.server.routes.api import ERRORS, Project, State
from theodolite.server.routes.experiment_models import (
    MAX_RUNS_PER_REQUEST,
    Comparison,
    ExperimentDetail,
    ExperimentIn,
    ExperimentList,
    ExperimentOut,
    FinishIn,
    RunsIn,
)
from theodolite.storage.engine import Database
from theodolite.storage.metadata import datasets
from theodolite.storage.metadata import experiments as store
from theodolite.storage.metadata.score_configs import list_score_configs

router = APIRouter(
    prefix="/api/v1/experiments",
    tags=["experiments"],
    responses={**ERRORS, **{code: ERRORS[400] for code in (409, 413)}},
)


def experiment_out(info: store.ExperimentInfo) -> dict[str, Any]:
    return {key: getattr(info, key) for key in ExperimentOut.model_fields if key != "dataset"} | {
        "dataset": info.dataset_name
    }


@router.post("", response_model=ExperimentOut, status_code=201, summary="Create an experiment over a dataset version")
def experiments_create(state: State, project: Project, body: ExperimentIn) -> dict:
    info = store.create_experiment(
        state.database, project, body.dataset, body.name, version=body.version, description=body.description,
        metadata=body.metadata,
    )  # fmt: skip
    return experiment_out(info)


@router.get("", response_model=ExperimentList, summary="The project's experiments, newest first")
def experiments_list(
    state: State, project: Project, dataset: Annotated[str | None, Query(description="only this dataset's")] = None
) -> dict:
    return {"data": [experiment_out(info) for info in store.list_experiments(state.database, project, dataset)]}


def _ids(text: str) -> list[int]:
    try:
        ids = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise BadRequestError(f"ids is a comma-separated list of experiment ids, not {text!r}") from None
    ids = list(dict.fromkeys(ids))
    if len(ids) < 2:
        raise BadRequestError("compare needs at least two different experiment ids: ids=A,B (A is the baseline)")
    if len(ids) > MAX_EXPERIMENTS:
        raise BadRequestError(f"compare takes at most {MAX_EXPERIMENTS} experiments, not {len(ids)}")
    return ids


@router.get(
    "/compare",
    response_model=Comparison,
    summary="Experiments on one dataset side by side; the first is the baseline the others are compared with",
)
def experiments_compare(
    state: State,
    project: Project,
    ids: Annotated[str, Query(description="experiment ids, comma-separated; the first is the baseline")],
    resamples: Annotated[
        int,
        Query(ge=100, le=100_000, description="bootstrap resamples: more, steadier ends"),
    ] = DEFAULT_RESAMPLES,
) -> dict:
    infos = [store.get_experiment(state.database, project, experiment_id) for experiment_id in _ids(ids)]
    others = [info for info in infos[1:] if info.dataset_id != infos[0].dataset_id]
    if others:
        raise BadRequestError(
            f"experiments compare on one dataset: {infos[0].name!r} ran on {infos[0].dataset_name!r}, "
            f"{others[0].name!r} on {others[0].dataset_name!r}"
        )
    entries = [
        ExperimentRuns(experiment_out(info), [asdict(run) for run in store.list_runs(state.database, project, info.id)])
        for info in infos
    ]
    items: dict[str, dict[str, Any]] = {}
    # Each experiment's own version (they may differ); the baseline's text of an item wins.
    for version in dict.fromkeys(info.dataset_version for info in infos):
        _, found = datasets.list_items(state.database, project, infos[0].dataset_name, version=version)
        for item in found:
            items.setdefault(item.id, {"input": item.input, "expected_output": item.expected_output})
    trace_ids = [run["trace_id"] for entry in entries for run in entry.runs if run["trace_id"]]
    summaries = state.queries.trace_summaries(project, trace_ids)
    configs = _category_configs(state.database, project)
    return compare(entries, items, summaries, resamples=resamples, category_configs=configs)


def _category_configs(database: Database, project: int) -> dict[str, list[tuple[str, float | None]]]:
    """Per name, the categories of the project's CATEGORICAL configs; an archived config still
    orders the scores it checked, but the active one of a name comes first."""
    found: dict[str, list[tuple[str, float | None]]] = {}
    for config in sorted(list_score_configs(database, project), key=lambda config: not config.archived):
        if config.data_type is ScoreDataType.CATEGORICAL and config.categories and config.name not in found:
            found[config.name] = [(category.label, category.value) for category in config.categories]
    return found


@router.get("/{experiment_id}", response_model=ExperimentDetail, summary="One experiment with its runs")
def experiments_get(state: State, project: Project, experiment_id: int) -> dict:
    info = store.get_experiment(state.database, project, experiment_id)
    runs = store.list_runs(state.database, project, experiment_id)
    return experiment_out(info) | {"runs": [asdict(run) for run in runs]}


@router.post("/{experiment_id}/runs", response_model=ExperimentOut, summary="Add runs (a run sent again replaces it)")
def experiments_runs(state: State, project: Project, experiment_id: int, body: RunsIn) -> dict:
    if len(body.runs) > MAX_RUNS_PER_REQUEST:
        raise PayloadTooLargeError(f"{len(body.runs)} runs in one request; at most {MAX_RUNS_PER_REQUEST}")
    runs = [store.RunIn(run.item_id, run.trace_id, run.output, run.error) for run in body.runs]
    return experiment_out(store.add_runs(state.database, project, experiment_id, runs))


@router.post("/{experiment_id}/finish", response_model=ExperimentOut, summary="Mark the experiment finished or failed")
def experiments_finish(state: State, project: Project, experiment_id: int, body: FinishIn | None = None) -> dict:
    status = body.status if body is not None else "finished"
    return experiment_out(store.finish_experiment(state.database, project, experiment_id, status))
