"""Experiments: an application run over one dataset version, one run per item (the tables are
described in `storage/tables.py`).

An experiment records the dataset version it ran on when it is created, so its runs keep pointing
at the items they were run on however the dataset changes afterwards (dataset versions are
immutable, `storage/metadata/datasets.py`). A run names an item of that version; an item the
version does not hold is refused. A run is keyed by (experiment, item): sent again, it replaces
the first, so a client may retry a batch.

Cost, latency and scores of a run are not stored here: they belong to its trace, in the trace
store, and the comparison reads them there by trace id.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, case, func, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from theodolite.errors import BadRequestError, ConflictError, NotFoundError
from theodolite.storage import tables
from theodolite.storage.engine import Database
from theodolite.storage.metadata.datasets import _dataset_row, _in_version
from theodolite.storage.upserts import insert_replacing

STATUSES = ("running", "finished", "failed")
e, r, d = tables.experiments, tables.experiment_runs, tables.datasets


@dataclass(frozen=True, slots=True)
class ExperimentInfo:
    id: int
    project_id: int
    name: str
    description: str | None
    metadata: dict[str, Any] | None
    dataset_id: int
    dataset_name: str
    dataset_version: int
    status: str
    created_at: datetime
    finished_at: datetime | None
    run_count: int
    error_count: int


@dataclass(frozen=True, slots=True)
class RunIn:
    item_id: str
    trace_id: str | None = None
    output: Any = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Run:
    item_id: str
    trace_id: str | None
    output: Any
    error: str | None
    created_at: datetime


def _now() -> datetime:
    return datetime.now(UTC)


def _select_infos() -> Any:
    """Experiments with their dataset's name and their run and error counts (one grouped join)."""
    counts = (
        select(
            r.c.experiment_id,
            func.count().label("run_count"),
            func.sum(case((r.c.error.is_not(None), 1), else_=0)).label("error_count"),
        )
        .group_by(r.c.experiment_id)
        .subquery()
    )
    return select(
        e,
        d.c.name.label("dataset_name"),
        func.coalesce(counts.c.run_count, 0).label("run_count"),
        func.coalesce(counts.c.error_count, 0).label("error_count"),
    ).select_from(e.join(d, d.c.id == e.c.dataset_id).outerjoin(counts, counts.c.experiment_id == e.c.id))


def _info(row: Any) -> ExperimentInfo:
    return ExperimentInfo(
        row.id, row.project_id, row.name, row.description, row.metadata, row.dataset_id, row.dataset_name,
        row.dataset_version, row.status, row.created_at, row.finished_at, int(row.run_count), int(row.error_count),
    )  # fmt: skip


def _read(conn: Connection, project_id: int, experiment_id: int) -> ExperimentInfo:
    row = conn.execute(_select_infos().where(e.c.project_id == project_id, e.c.id == experiment_id)).first()
    if row is None:
        raise NotFoundError(f"no experiment {experiment_id} in this project")
    return _info(row)


def create_experiment(
    database: Database,
    project_id: int,
    dataset_name: str,
    name: str,
    *,
    version: int | None = None,
    description: str | None = None,
    metadata: dict[str, Any] | None = None,
) -> ExperimentInfo:
    """A running experiment over `version` of the dataset (default: its current version). Raises
    NotFoundError (no such dataset), BadRequestError (no such version, or an empty one),
    ConflictError (the project has an experiment of that name). Blocks."""
    if not name.strip():
        raise BadRequestError("an experiment needs a name")
    try:
        with database.write_transaction() as conn:
            dataset = _dataset_row(conn, project_id, dataset_name)
            chosen = dataset.current_version if version is None else version
            if chosen < 1 or chosen > dataset.current_version:
                raise BadRequestError(
                    f"dataset {dataset_name!r} has no version {chosen} to run on: its versions are 1 to "
                    f"{dataset.current_version}"
                    if dataset.current_version
                    else f"dataset {dataset_name!r} is empty"
                )
            if conn.execute(select(e.c.id).where(e.c.project_id == project_id, e.c.name == name)).first():
                raise ConflictError(f"the project already has an experiment named {name!r}")
            values = {"project_id": project_id, "dataset_id": dataset.id, "dataset_version": chosen, "name": name,
                      "description": description, "metadata": metadata, "status": "running",
                      "created_at": _now(), "finished_at": None}  # fmt: skip
            experiment_id = conn.execute(e.insert().values(values).returning(e.c.id)).scalar_one()
            return _read(conn, project_id, experiment_id)
    except IntegrityError as exc:  # a concurrent create of the same name (PostgreSQL)
        raise ConflictError(f"the project already has an experiment named {name!r}") from exc


def get_experiment(database: Database, project_id: int, experiment_id: int) -> ExperimentInfo:
    """Raises NotFoundError. Blocks."""
    with database.connect() as conn:
        return _read(conn, project_id, experiment_id)


def list_experiments(database: Database, project_id: int, dataset_name: str | None = None) -> list[ExperimentInfo]:
    """The project's experiments, newest first; only one dataset's with `dataset_name` (NotFoundError
    when the project has no such dataset). Blocks."""
    query = _select_infos().where(e.c.project_id == project_id)
    with database.connect() as conn:
        if dataset_name is not None:
            query = query.where(e.c.dataset_id == _dataset_row(conn, project_id, dataset_name).id)
        return [_info(row) for row in conn.execute(query.order_by(e.c.created_at.desc(), e.c.id.desc()))]


def add_runs(database: Database, project_id: int, experiment_id: int, runs: Sequence[RunIn]) -> ExperimentInfo:
    """Store runs (a run of an item the experiment has replaces it). Every item must be in the
    experiment's dataset version, or nothing is stored (BadRequestError naming the first that is
    not). Raises NotFoundError. Blocks."""
    ids = [run.item_id for run in runs]
    if len(set(ids)) != len(ids):
        twice = next(item_id for n, item_id in enumerate(ids) if item_id in ids[:n])
        raise BadRequestError(f"item {twice!r} has two runs in one request")
    i = tables.dataset_items
    with database.write_transaction() as conn:
        info = _read(conn, project_id, experiment_id)
        known: set[str] = set()
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            query = select(i.c.item_id).where(
                i.c.dataset_id == info.dataset_id, _in_version(info.dataset_version), i.c.item_id.in_(chunk)
            )
            known.update(conn.execute(query).scalars())
        missing = [item_id for item_id in ids if item_id not in known]
        if missing:
            raise BadRequestError(
                f"item {missing[0]!r} is not in version {info.dataset_version} of dataset {info.dataset_name!r}, "
                f"which experiment {info.name!r} runs on ({len(missing)} such items; nothing was stored)"
            )
        if runs:
            now = _now()
            rows = [{"experiment_id": experiment_id, "item_id": run.item_id, "trace_id": run.trace_id,
                     "output": run.output, "error": run.error, "created_at": now} for run in runs]  # fmt: skip
            conn.execute(insert_replacing(r, conn.dialect.name, keep=()), rows)
        return _read(conn, project_id, experiment_id)


def finish_experiment(
    database: Database, project_id: int, experiment_id: int, status: str = "finished"
) -> ExperimentInfo:
    """Mark the experiment finished (or failed), with the time. Raises NotFoundError. Blocks."""
    if status not in STATUSES[1:]:
        raise BadRequestError(f"an experiment ends finished or failed, not {status!r}")
    with database.write_transaction() as conn:
        _read(conn, project_id, experiment_id)
        conn.execute(
            update(e)
            .where(and_(e.c.project_id == project_id, e.c.id == experiment_id))
            .values(status=status, finished_at=_now())
        )
        return _read(conn, project_id, experiment_id)


def list_runs(database: Database, project_id: int, experiment_id: int) -> list[Run]:
    """The experiment's runs by item id. Raises NotFoundError. Blocks."""
    with database.connect() as conn:
        _read(conn, project_id, experiment_id)
        rows = conn.execute(select(r).where(r.c.experiment_id == experiment_id).order_by(r.c.item_id)).all()
    return [Run(row.item_id, row.trace_id, row.output, row.error, row.created_at) for row in rows]
