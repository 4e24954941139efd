"""`theodolite experiments ...`: run an application over a dataset version, list experiments,
compare them. Unlike `theodolite datasets`, these talk to a running server over its HTTP API (the
SDK's endpoint and key): a run sends traces, which only a server receives."""

from __future__ import annotations

import importlib.util
import sys
import threading
from pathlib import Path
from typing import Any

import click

ENDPOINT_OPTION = click.option(
    "--endpoint",
    envvar="THEODOLITE_ENDPOINT",
    default="http://127.0.0.1:4318",
    show_default=True,
    help="The server's base URL (env THEODOLITE_ENDPOINT).",
)
KEY_OPTION = click.option(
    "--api-key", envvar="THEODOLITE_API_KEY", default=None, help="A project's secret key (env THEODOLITE_API_KEY)."
)


@click.group()
def experiments() -> None:
    """Experiments: an application run over a dataset version, each item in its own trace, scored
    by evaluators, and experiments compared side by side.

    \b
      theodolite experiments run app_eval.py --dataset qa
      theodolite experiments list --dataset qa
      theodolite experiments compare 3 4

    These commands talk to a running server: --endpoint and --api-key (or THEODOLITE_ENDPOINT and
    THEODOLITE_API_KEY, as the SDK reads them). See docs/evaluation.md, "Experiments".
    """


def _configure(endpoint: str, api_key: str | None) -> Any:
    import theodolite

    return theodolite.configure(endpoint=endpoint, api_key=api_key).config


def _api_call(config: Any, method: str, path: str, **kwargs: Any) -> Any:
    from theodolite.sdk.api import ApiError, call

    try:
        return call(config, method, path, **kwargs)
    except ApiError as exc:
        raise click.ClickException(str(exc)) from None


def load_task_file(path: str) -> tuple[Any, list[Any], dict[str, Any] | None]:
    """(task, evaluators, metadata) defined by a Python file; a ClickException naming what is missing."""
    spec = importlib.util.spec_from_file_location(f"theodolite_experiment_{Path(path).stem}", path)
    if spec is None or spec.loader is None:
        raise click.ClickException(f"{path} is not a Python file that can be loaded")
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(Path(path).resolve().parent))  # the file may import its neighbours
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        raise click.ClickException(f"{path} raised while loading: {type(exc).__name__}: {exc}") from exc
    finally:
        sys.path.pop(0)
    task = getattr(module, "task", None)
    if not callable(task):
        raise click.ClickException(
            f"{path} defines no `task`: write `def task(input): ...` returning the output for one item's input"
        )
    evaluators = getattr(module, "evaluators", ())
    if callable(evaluators) or not hasattr(evaluators, "__iter__"):
        raise click.ClickException(f"{path}: `evaluators` must be a list of evaluators, not {evaluators!r}")
    metadata = getattr(module, "metadata", None)
    if metadata is not None and not isinstance(metadata, dict):
        raise click.ClickException(f"{path}: `metadata` must be a dict")
    return task, list(evaluators), metadata


def _number(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


@experiments.command("run")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--dataset", required=True, help="The dataset to run over.")
@click.option("--version", type=click.IntRange(min=1), default=None, help="Its version (default: the current one).")
@click.option("--name", default=None, help="The experiment's name, unique in the project (default: dataset and time).")
@click.option("--max-concurrency", type=click.IntRange(min=1), default=4, show_default=True, help="Tasks at once.")
@ENDPOINT_OPTION
@KEY_OPTION
def experiments_run(
    file: str, dataset: str, version: int | None, name: str | None, max_concurrency: int, endpoint: str,
    api_key: str | None,
) -> None:  # fmt: skip
    """Run FILE's `task` over a dataset version, as an experiment.

    Each item's input goes through `task` in a trace of its own; the evaluators score the output.

    FILE is a Python file that defines `task(input)` (returns the output for one item's input;
    LLM calls made through the SDK's wrappers inside it are traced and priced), and optionally
    `evaluators` (a list: ExactMatch(), custom(...), Judge(...) from theodolite.evaluation, or
    plain functions) and `metadata` (a dict recorded with the experiment, e.g. the model):

    \b
      from theodolite.evaluation import ExactMatch
      metadata = {"model": "gpt-4o-mini"}
      evaluators = [ExactMatch(strip=True)]
      def task(input):
          return my_app.answer(input["question"])
    """
    from theodolite.sdk.api import ApiError
    from theodolite.sdk.experiments import run_experiment

    task, evaluators, metadata = load_task_file(file)
    _configure(endpoint, api_key)
    lock = threading.Lock()
    bar: Any = None

    def progress(done: int, total: int, run: Any) -> None:
        nonlocal bar
        with lock:
            if bar is None:
                bar = click.progressbar(length=total, label=f"running {dataset}", show_pos=True)
                bar.__enter__()
            bar.update(1)

    try:
        result = run_experiment(
            dataset, task, evaluators, name=name, version=version, max_concurrency=max_concurrency,
            metadata=metadata, on_progress=progress,
        )  # fmt: skip
    except ApiError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    click.echo(f"\nexperiment {result.experiment_id} {result.name!r}: dataset {dataset!r} version "
               f"{result.dataset_version}, {len(result.runs)} runs, {len(result.errors)} failed")  # fmt: skip
    failures = {}
    for _, evaluation in result.evaluation_errors:
        failures[evaluation.name] = failures.get(evaluation.name, 0) + 1
    if result.scores:
        click.echo(f"{'EVALUATOR':<28} {'MEAN':>8} {'FAILED':>7}")
        for evaluator, mean in sorted(result.scores.items()):
            click.echo(f"{evaluator:<28} {_number(mean):>8} {failures.get(evaluator, 0):>7}")
    for run in result.errors[:5]:
        click.echo(f"  {run.item.id}: {run.error}")
    if len(result.errors) > 5:
        click.echo(f"  ... and {len(result.errors) - 5} more failed runs")
    click.echo(f"compare it: theodolite experiments compare OTHER_ID {result.experiment_id}")


@experiments.command("list")
@click.option("--dataset", default=None, help="Only this dataset's experiments.")
@ENDPOINT_OPTION
@KEY_OPTION
def experiments_list(dataset: str | None, endpoint: str, api_key: str | None) -> None:
    """List the project's experiments, newest first."""
    config = _configure(endpoint, api_key)
    rows = _api_call(config, "GET", "/api/v1/experiments", params={"dataset": dataset})["data"]
    if not rows:
        click.echo("no experiments yet; run one with `theodolite experiments run FILE.py --dataset NAME`")
        return
    click.echo(
        f"{'ID':>5}  {'NAME':<32} {'DATASET':<20} {'VERSION':>7} {'RUNS':>5} {'ERRORS':>6}  {'STATUS':<9} CREATED"
    )
    for row in rows:
        counts = f"{row['run_count']:>5} {row['error_count']:>6}"
        click.echo(f"{row['id']:>5}  {row['name']:<32} {row['dataset']:<20} {row['dataset_version']:>7} "
                   f"{counts}  {row['status']:<9} {row['created_at'][:16]}")  # fmt: skip


def _versus(label: str, versus: dict[str, Any], digits: int) -> str:
    if versus["mean_difference"] is None:
        return f"  {label:<24} no item compared"
    mark = " *" if versus["significant"] else ""
    counts = f"W/L/T {versus['wins']}/{versus['losses']}/{versus['ties']}"
    return (f"  {label:<24} {versus['mean_difference']:+.{digits}f} [{versus['low']:+.{digits}f}, "
            f"{versus['high']:+.{digits}f}]{mark}  {counts}")  # fmt: skip


def _agreement(label: str, versus: dict[str, Any]) -> str:
    """A categorical score against the baseline: the items with the same category, and the wins by
    the categories' numbers when the score's config orders them."""
    if versus["agreement"] is None:
        return f"  {label:<24} no item compared"
    text = f"  {label:<24} agree {versus['agreed']}/{versus['n_items']} ({versus['agreement']:.0%})"
    return text + (f"  W/L/T {versus['wins']}/{versus['losses']}/{versus['ties']}" if versus["ordered"] else "")


@experiments.command("compare")
@click.argument("ids", nargs=-1, type=int, required=True)
@ENDPOINT_OPTION
@KEY_OPTION
def experiments_compare(ids: tuple[int, ...], endpoint: str, api_key: str | None) -> None:
    """Compare experiments on one dataset: the first id is the baseline.

    Prints each experiment's means (scores, cost, latency), then, for every other experiment, the
    difference from the baseline with its paired bootstrap 95 % interval (* when it excludes 0)
    and the items won, lost and tied (cost and latency: lower wins). A categorical score shows as
    each experiment's runs per category and the items whose category agrees with the baseline's.
    """
    if len(ids) < 2:
        raise click.UsageError("give two experiment ids or more: the baseline first")
    config = _configure(endpoint, api_key)
    document = _api_call(config, "GET", "/api/v1/experiments/compare", params={"ids": ",".join(map(str, ids))})
    names = document["score_names"]
    header = f"{'ID':>5}  {'NAME':<28} {'RUNS':>5} {'ERR':>4}" + "".join(f" {n[:12]:>12}" for n in names)
    click.echo(header + f" {'COST $':>10} {'P50 MS':>8}")
    for row in document["experiments"]:
        means = "".join(f" {_number(row['scores'][n]['mean']):>12}" for n in names)
        click.echo(f"{row['id']:>5}  {row['name'][:28]:<28} {row['item_count']:>5} {row['errors']:>4}{means} "
                   f"{_number(row['cost']['total'], 4):>10} {_number(row['latency_ms']['p50'], 0):>8}")  # fmt: skip
    categories = document.get("category_names", [])  # a server from before categorical scores has none
    for name in categories:
        click.echo(f"\n{name} (runs per category):")
        for row in document["experiments"]:
            found = row["categories"][name]
            counts = ", ".join(
                f"{label} {count} ({found['shares'][label]:.0%})" for label, count in found["counts"].items()
            )
            click.echo(f"{row['id']:>5}  {row['name'][:28]:<28} {counts}")
    for versus in document["versus_baseline"]:
        click.echo(f"\nexperiment {versus['experiment_id']} minus baseline {document['baseline_id']} "
                   f"(95 % interval; * excludes 0):")  # fmt: skip
        for name in names:
            click.echo(_versus(name, versus["scores"][name], 3))
        click.echo(_versus("cost (USD)", versus["cost"], 6))
        click.echo(_versus("latency (ms)", versus["latency_ms"], 0))
        for name in categories:
            click.echo(_agreement(name, versus["categories"][name]))
