"""Request and response shapes of /api/v1/experiments, declared once so the OpenAPI schema documents them."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

MAX_RUNS_PER_REQUEST = 1000


class ExperimentIn(BaseModel):
    dataset: str = Field(min_length=1, description="the dataset's name")
    version: int | None = Field(None, ge=1, description="the dataset version to run on; default: its current one")
    name: str = Field(min_length=1, max_length=200, description="unique in the project")
    description: str | None = None
    metadata: dict[str, Any] | None = Field(None, description="what the experiment ran: model, parameters, prompt...")


class ExperimentOut(BaseModel):
    id: int
    name: str
    description: str | None
    metadata: dict[str, Any] | None
    dataset: str
    dataset_version: int = Field(description="the version recorded at creation: the items the runs refer to")
    status: Literal["running", "finished", "failed"]
    created_at: datetime
    finished_at: datetime | None
    run_count: int
    error_count: int


class ExperimentList(BaseModel):
    data: list[ExperimentOut] = Field(description="newest first")


class RunIn(BaseModel):
    item_id: str = Field(min_length=1, max_length=200, description="an item of the experiment's dataset version")
    trace_id: str | None = Field(None, max_length=64, description="the run's trace: its cost, latency and scores")
    output: Any = None
    error: str | None = Field(None, description="the task raised: what it raised (the run has no scores)")


class RunsIn(BaseModel):
    runs: list[RunIn] = Field(
        min_length=1, description=f"at most {MAX_RUNS_PER_REQUEST}; a run of an item sent before replaces it"
    )


class FinishIn(BaseModel):
    status: Literal["finished", "failed"] = "finished"


class RunOut(BaseModel):
    item_id: str
    trace_id: str | None
    output: Any
    error: str | None
    created_at: datetime


class ExperimentDetail(ExperimentOut):
    runs: list[RunOut] = Field(description="by item id")


class ScoreAggregate(BaseModel):
    mean: float | None
    n: int = Field(description="runs with this score")


class CategoryAggregate(BaseModel):
    counts: dict[str, int] = Field(description="runs per category, in the order of `categorical[name].labels`")
    shares: dict[str, float] = Field(description="each count over `n`")
    n: int = Field(description="runs with this score")


class CostAggregate(BaseModel):
    total: float | None = Field(description="USD, over the runs whose cost is known")
    mean: float | None
    n: int


class LatencyAggregate(BaseModel):
    mean: float | None = Field(description="milliseconds, per run (its trace's duration)")
    p50: float | None
    n: int


class ComparedExperiment(ExperimentOut):
    item_count: int = Field(description="runs")
    errors: int
    scores: dict[str, ScoreAggregate]
    categories: dict[str, CategoryAggregate] = Field(description="per categorical score")
    cost: CostAggregate
    latency_ms: LatencyAggregate


class Versus(BaseModel):
    mean_difference: float | None = Field(description="experiment minus baseline, over the items both have")
    low: float | None = Field(description="paired bootstrap interval (confidence: the comparison's)")
    high: float | None
    significant: bool = Field(description="the interval excludes 0")
    better: Literal["experiment", "baseline"] | None = Field(description="by the mean; cost and latency: lower")
    wins: int = Field(description="items where the experiment did better than the baseline")
    losses: int
    ties: int
    n_items: int
    unpaired: int = Field(description="items only one side has a value for (a failed run, a missing score)")


class VersusCategories(BaseModel):
    n_items: int = Field(description="items both sides have a category for")
    agreed: int = Field(description="items with the same category on both sides")
    agreement: float | None = Field(description="agreed over n_items (null: no item)")
    unpaired: int
    ordered: bool = Field(description="the score's config gives every category a number: wins and losses count")
    wins: int | None = Field(description="items where the experiment's category has the higher number; null: unordered")
    losses: int | None
    ties: int | None
    better: Literal["experiment", "baseline"] | None = Field(description="more wins or more losses; null: even")


class CategoricalScale(BaseModel):
    labels: list[str] = Field(description="the config's categories in order, then the others given")
    values: dict[str, float] | None = Field(description="the config's number of each category (higher is better)")


class VersusBaseline(BaseModel):
    experiment_id: int
    scores: dict[str, Versus]
    categories: dict[str, VersusCategories] = Field(description="per categorical score")
    cost: Versus
    latency_ms: Versus


class Best(BaseModel):
    scores: dict[str, int | None] = Field(description="per score, the experiment with the highest mean (null: a tie)")
    cost: int | None = Field(description="the lowest mean cost")
    latency_ms: int | None = Field(description="the lowest mean latency")


class ComparedRun(BaseModel):
    output: Any
    error: str | None
    trace_id: str | None
    cost: float | None = Field(description="USD")
    latency_ms: float | None
    scores: dict[str, float]
    categories: dict[str, str] = Field(description="per categorical score, the run's category (its latest)")


class ComparedItem(BaseModel):
    item_id: str
    input: Any
    expected_output: Any
    runs: list[ComparedRun | None] = Field(description="in the order of `experiments`; null: no run of this item")
    winners: dict[str, list[int]] = Field(description="per score, the experiments with the best value; empty: a tie")


class Comparison(BaseModel):
    baseline_id: int = Field(description="the first id: what the others are compared with")
    score_names: list[str] = Field(description="numeric and boolean scores")
    category_names: list[str] = Field(description="categorical scores")
    categorical: dict[str, CategoricalScale]
    confidence: float
    resamples: int
    experiments: list[ComparedExperiment]
    versus_baseline: list[VersusBaseline] = Field(description="one per experiment after the baseline")
    best: Best
    items: list[ComparedItem]
