"""Experiments side by side: per item and per experiment figures, and each experiment against the
first (the baseline), with paired bootstrap intervals and win/loss/tie counts; categorical scores
by their distribution and, against the baseline, the items whose category agrees (and wins and
losses when the score's config gives its categories values).

Pure: the route hands in the experiments, their runs, the dataset items and the per-trace
summaries the trace store read (`TraceQueries.trace_summaries`); nothing here reads a store.
Scores are higher-is-better; cost and latency lower-is-better. A run that failed (an error) has
no scores (its evaluators never ran), so it is left out of the score comparisons and counted as
unpaired; its cost and latency, if its trace has them, still count. A categorical score is compared
only as categories, also when its config stores a number beside each label.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from theodolite.evaluation.statistics import (
    bootstrap_mean_difference,
    category_distribution,
    compare_categories,
    win_loss_tie,
)

MAX_EXPERIMENTS = 10
CONFIDENCE = 0.95
# The bootstrap is pure Python: 10,000 resamples cost ~0.24 s per metric at 100 items and ~2.2 s
# at 1,000 (measured), and a page compares 3-5 metrics per experiment. With 2,000 the ends moved
# by at most 0.01 from 10,000's (one step of a mean over 100 pass/fail items, 4.5 % of that
# interval's width; 20 seeds); the API takes `resamples` for more.
DEFAULT_RESAMPLES = 2_000
Category = tuple[str, float | None]  # a score config's category: its label and its number, if any


@dataclass(frozen=True, slots=True)
class ExperimentRuns:
    """One experiment (its API fields) and its runs (item_id, trace_id, output, error)."""

    experiment: dict[str, Any]
    runs: Sequence[Mapping[str, Any]]


def _cost(value: Any) -> float | None:
    return None if value is None else float(Decimal(str(value)))


def _mean(values: Sequence[float]) -> float | None:
    return math.fsum(values) / len(values) if values else None


def run_figures(run: Mapping[str, Any], summary: Mapping[str, Any] | None) -> dict[str, Any]:
    """A run as the comparison shows it: its output, error and trace, and the trace's figures."""
    summary = summary or {}
    latency = summary.get("latency_s")
    return {
        "output": run.get("output"),
        "error": run.get("error"),
        "trace_id": run.get("trace_id"),
        "cost": _cost(summary.get("total_cost")),
        "latency_ms": None if latency is None else latency * 1000.0,
        "scores": {} if run.get("error") else dict(summary.get("scores") or {}),
        "categories": {} if run.get("error") else dict(summary.get("categories") or {}),
    }


def _metric(figures: dict[str, dict[str, Any]], metric: str) -> dict[str, float]:
    """{item: value} of one metric ("cost", "latency_ms" or "score:NAME") over one experiment's runs."""
    found: dict[str, float] = {}
    for item_id, run in figures.items():
        value = run["scores"].get(metric[6:]) if metric.startswith("score:") else run[metric]
        if value is not None:
            found[item_id] = float(value)
    return found


def _versus(
    baseline: dict[str, float], other: dict[str, float], items: Sequence[str], higher_is_better: bool, resamples: int
) -> dict[str, Any]:
    a = {item: baseline.get(item) for item in items}
    b = {item: other.get(item) for item in items}
    outcome = win_loss_tie(a, b, higher_is_better=higher_is_better)
    versus: dict[str, Any] = {"wins": outcome.wins, "losses": outcome.losses, "ties": outcome.ties,
                              "unpaired": outcome.unpaired, "n_items": outcome.wins + outcome.losses + outcome.ties,
                              "mean_difference": None, "low": None, "high": None, "significant": False,
                              "better": None}  # fmt: skip
    if versus["n_items"]:
        interval = bootstrap_mean_difference(a, b, n_resamples=resamples, confidence=CONFIDENCE, seed=0)
        versus.update(mean_difference=interval.mean_difference, low=interval.low, high=interval.high)
        versus["significant"] = interval.excludes_zero
        if interval.mean_difference != 0:
            gained = interval.mean_difference > 0 if higher_is_better else interval.mean_difference < 0
            versus["better"] = "experiment" if gained else "baseline"
    return versus


def _best(means: list[tuple[int, float | None]], higher_is_better: bool) -> int | None:
    """The experiment with the best mean, None when none has one or the best is shared."""
    known = [(experiment_id, mean) for experiment_id, mean in means if mean is not None]
    if not known:
        return None
    best = max(mean for _, mean in known) if higher_is_better else min(mean for _, mean in known)
    winners = [experiment_id for experiment_id, mean in known if mean == best]
    return winners[0] if len(winners) == 1 else None


def _item_winners(runs: list[dict[str, Any]], ids: list[int], names: list[str]) -> dict[str, list[int]]:
    """Per score name, the experiments with the item's best value; empty when all tie (or none scored)."""
    winners: dict[str, list[int]] = {}
    for name in names:
        values = [(ids[n], run["scores"].get(name)) for n, run in enumerate(runs) if run is not None]
        known = [(experiment_id, value) for experiment_id, value in values if value is not None]
        best = max((value for _, value in known), default=None)
        top = [experiment_id for experiment_id, value in known if value == best]
        winners[name] = top if best is not None and len(top) < len(known) else []
    return winners


def _labels(figures: dict[str, dict[str, Any]], name: str) -> dict[str, str]:
    """{item: category} of one categorical score over one experiment's runs."""
    return {item_id: run["categories"][name] for item_id, run in figures.items() if name in run["categories"]}


def _scale(name: str, figures: list[dict[str, dict[str, Any]]], config: Sequence[Category] | None) -> dict[str, Any]:
    """A categorical score's labels (its config's order, then the others as first seen) and, when
    the config gives every category a number, those numbers (which order them: higher is better)."""
    seen = [run["categories"][name] for runs in figures for run in runs.values() if name in run["categories"]]
    labels = list(dict.fromkeys([*(label for label, _ in config or ()), *sorted(set(seen))]))
    values = None
    if config and all(value is not None for _, value in config):
        values = {label: float(value) for label, value in config if value is not None}
    return {"labels": labels, "values": values}


def _versus_categories(baseline: dict[str, str], other: dict[str, str], values: dict[str, float] | None) -> dict:
    outcome = compare_categories(baseline, other, values)
    better = None
    if outcome.wins is not None and outcome.losses is not None and outcome.wins != outcome.losses:
        better = "experiment" if outcome.wins > outcome.losses else "baseline"
    return {"n_items": outcome.n_items, "agreed": outcome.agreed, "agreement": outcome.agreement,
            "unpaired": outcome.unpaired, "ordered": values is not None, "wins": outcome.wins,
            "losses": outcome.losses, "ties": outcome.ties, "better": better}  # fmt: skip


def compare(
    experiments: Sequence[ExperimentRuns],
    items: Mapping[str, Mapping[str, Any]],
    summaries: Mapping[str, Mapping[str, Any]],
    *,
    resamples: int = DEFAULT_RESAMPLES,
    category_configs: Mapping[str, Sequence[Category]] | None = None,
) -> dict[str, Any]:
    """The comparison document of `GET /api/v1/experiments/compare` (`experiment_models.Comparison`).
    `items`: item id -> {"input", "expected_output"}; `summaries`: trace id -> the trace's figures;
    `category_configs`: per categorical score name, its config's categories as (label, value)."""
    ids = [int(entry.experiment["id"]) for entry in experiments]
    figures = [
        {run["item_id"]: run_figures(run, summaries.get(run.get("trace_id") or "")) for run in entry.runs}
        for entry in experiments
    ]
    item_ids = sorted(set().union(*(set(runs) for runs in figures)))
    category_names = sorted({name for runs in figures for run in runs.values() for name in run["categories"]})
    scales = {name: _scale(name, figures, (category_configs or {}).get(name)) for name in category_names}
    # a categorical score whose config numbers its categories has a value too: it is compared as categories
    names = sorted({name for runs in figures for run in runs.values() for name in run["scores"]} - set(scales))
    for runs in figures:
        for run in runs.values():
            run["scores"] = {name: value for name, value in run["scores"].items() if name not in scales}
    metrics = [(f"score:{name}", True) for name in names] + [("cost", False), ("latency_ms", False)]

    aggregates = []
    for entry, runs in zip(experiments, figures, strict=True):
        costs = list(_metric(runs, "cost").values())
        latencies = list(_metric(runs, "latency_ms").values())
        aggregates.append({
            **entry.experiment,
            "item_count": len(runs),
            "errors": sum(1 for run in runs.values() if run["error"]),
            "scores": {name: {"mean": _mean(list(values.values())), "n": len(values)}
                       for name in names for values in [_metric(runs, f"score:{name}")]},
            "categories": {name: asdict(category_distribution(_labels(runs, name), scales[name]["labels"]))
                           for name in category_names},
            "cost": {"total": math.fsum(costs) if costs else None, "mean": _mean(costs), "n": len(costs)},
            "latency_ms": {"mean": _mean(latencies), "p50": statistics.median(latencies) if latencies else None,
                           "n": len(latencies)},
        })  # fmt: skip

    versus = []
    for experiment_id, runs in zip(ids[1:], figures[1:], strict=True):
        entry: dict[str, Any] = {"experiment_id": experiment_id, "scores": {}, "categories": {
            name: _versus_categories(_labels(figures[0], name), _labels(runs, name), scales[name]["values"])
            for name in category_names}}  # fmt: skip
        for metric, higher in metrics:
            result = _versus(_metric(figures[0], metric), _metric(runs, metric), item_ids, higher, resamples)
            if metric.startswith("score:"):
                entry["scores"][metric[6:]] = result
            else:
                entry[metric] = result
        versus.append(entry)

    best = {
        "scores": {name: _best([(ids[n], a["scores"][name]["mean"]) for n, a in enumerate(aggregates)], True)
                   for name in names},
        "cost": _best([(ids[n], a["cost"]["mean"]) for n, a in enumerate(aggregates)], False),
        "latency_ms": _best([(ids[n], a["latency_ms"]["mean"]) for n, a in enumerate(aggregates)], False),
    }  # fmt: skip

    rows = []
    for item_id in item_ids:
        runs = [per_experiment.get(item_id) for per_experiment in figures]
        item = items.get(item_id) or {}
        rows.append({
            "item_id": item_id,
            "input": item.get("input"),
            "expected_output": item.get("expected_output"),
            "runs": runs,
            "winners": _item_winners(runs, ids, names),
        })  # fmt: skip
    return {
        "baseline_id": ids[0],
        "score_names": names,
        "category_names": category_names,
        "categorical": scales,
        "confidence": CONFIDENCE,
        "resamples": resamples,
        "experiments": aggregates,
        "versus_baseline": versus,
        "best": best,
        "items": rows,
    }
