"""Datasets for evaluation, in immutable versions (the tables are described in `storage/tables.py`).

A dataset starts at version 0, empty. Every change (a batch of created or changed items, a delete,
an import, items from traces) is one new version, written in one transaction: the changed item's
open row is closed (`valid_to` = the new version) and a new row inserted, a deleted item's row is
only closed. Rows are never modified otherwise, so version n reads back the same forever: the rows
with valid_from <= n < valid_to (or valid_to NULL). A change that changes nothing (every item sent
as stored) makes no version. A sync (an import that makes the dataset equal to a file) is an upsert
that also deletes, in the same version, the items the file does not hold.

Concurrent changes of one dataset are serialised: SQLite's write transaction takes the write lock at
BEGIN, PostgreSQL locks the dataset's row (FOR UPDATE) before reading its items.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from theodolite.errors import BadRequestError, ConflictError, NotFoundError
from theodolite.storage import tables
from theodolite.storage.engine import Database

MAX_ITEM_ID_CHARS = 200
_CONTENT = ("input", "expected_output", "metadata", "source_trace_id", "source_observation_id")


@dataclass(frozen=True, slots=True)
class DatasetInfo:
    id: int
    project_id: int
    name: str
    description: str | None
    metadata: dict[str, Any] | None
    created_at: datetime
    current_version: int
    item_count: int  # in the current version


@dataclass(frozen=True, slots=True)
class DatasetVersion:
    version: int
    created_at: datetime
    note: str | None
    item_count: int


@dataclass(frozen=True, slots=True)
class ItemIn:
    """An item to store: `id` None gets a new random id; an existing id changes that item."""

    input: Any = None
    expected_output: Any = None
    metadata: dict[str, Any] | None = None
    id: str | None = None
    source_trace_id: str | None = None
    source_observation_id: str | None = None


@dataclass(frozen=True, slots=True)
class DatasetItem:
    id: str
    input: Any
    expected_output: Any
    metadata: dict[str, Any] | None
    source_trace_id: str | None
    source_observation_id: str | None
    version: int  # the version that created this content of the item


@dataclass(slots=True)
class Change:
    """What a change did. `version` is the new version, or the current one when nothing changed."""

    version: int
    changed: bool
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    unchanged: int = 0


def _now() -> datetime:
    return datetime.now(UTC)


def _info(row: Any, item_count: int) -> DatasetInfo:
    return DatasetInfo(
        row.id, row.project_id, row.name, row.description, row.metadata, row.created_at, row.current_version,
        item_count,
    )  # fmt: skip


def _item_count(conn: Connection, dataset_id: int, version: int) -> int:
    if version == 0:
        return 0
    v = tables.dataset_versions
    query = select(v.c.item_count).where(v.c.dataset_id == dataset_id, v.c.version == version)
    return int(conn.execute(query).scalar_one())


def _dataset_row(conn: Connection, project_id: int, name: str, *, lock: bool = False) -> Any:
    d = tables.datasets
    query = select(d).where(d.c.project_id == project_id, d.c.name == name)
    if lock:
        query = query.with_for_update()
    row = conn.execute(query).first()
    if row is None:
        raise NotFoundError(f"no dataset named {name!r} in this project")
    return row


def create_dataset(
    database: Database,
    project_id: int,
    name: str,
    description: str | None = None,
    metadata: dict[str, Any] | None = None,
) -> DatasetInfo:
    """A new, empty dataset (version 0). Raises ConflictError when the project has one of that name. Blocks."""
    if not name.strip() or "/" in name:
        raise BadRequestError(f"{name!r} cannot name a dataset: give a name without '/'")
    d = tables.datasets
    values = {"project_id": project_id, "name": name, "description": description, "metadata": metadata,
              "created_at": _now(), "current_version": 0}  # fmt: skip
    try:
        with database.write_transaction() as conn:
            if conn.execute(select(d.c.id).where(d.c.project_id == project_id, d.c.name == name)).first():
                raise ConflictError(f"the project already has a dataset named {name!r}")
            conn.execute(insert(d).values(values))
            row = _dataset_row(conn, project_id, name)
    except IntegrityError as exc:  # a concurrent create of the same name (PostgreSQL)
        raise ConflictError(f"the project already has a dataset named {name!r}") from exc
    return _info(row, 0)


def list_datasets(database: Database, project_id: int) -> list[DatasetInfo]:
    """The project's datasets by name, each with its current version's item count. Blocks."""
    d, v = tables.datasets, tables.dataset_versions
    query = (
        select(d, func.coalesce(v.c.item_count, 0).label("item_count"))
        .select_from(d.outerjoin(v, and_(v.c.dataset_id == d.c.id, v.c.version == d.c.current_version)))
        .where(d.c.project_id == project_id)
        .order_by(d.c.name)
    )
    with database.connect() as conn:
        return [_info(row, row.item_count) for row in conn.execute(query)]


def get_dataset(database: Database, project_id: int, name: str) -> DatasetInfo:
    """Raises NotFoundError. Blocks."""
    with database.connect() as conn:
        row = _dataset_row(conn, project_id, name)
        return _info(row, _item_count(conn, row.id, row.current_version))


def list_versions(database: Database, project_id: int, name: str) -> list[DatasetVersion]:
    """The dataset's versions, oldest first (version 0, the empty dataset, is not listed). Blocks."""
    v = tables.dataset_versions
    with database.connect() as conn:
        dataset_id = _dataset_row(conn, project_id, name).id
        rows = conn.execute(select(v).where(v.c.dataset_id == dataset_id).order_by(v.c.version)).all()
    return [DatasetVersion(row.version, row.created_at, row.note, row.item_count) for row in rows]


def _in_version(version: int) -> Any:
    i = tables.dataset_items
    return and_(i.c.valid_from <= version, or_(i.c.valid_to.is_(None), i.c.valid_to > version))


def _item(row: Any) -> DatasetItem:
    return DatasetItem(
        row.item_id, row.input, row.expected_output, row.metadata, row.source_trace_id, row.source_observation_id,
        row.valid_from,
    )  # fmt: skip


def list_items(
    database: Database,
    project_id: int,
    name: str,
    *,
    version: int | None = None,
    limit: int | None = None,
    after: str | None = None,
) -> tuple[int, list[DatasetItem]]:
    """(the version read, its items by id): the current version by default; `after` an item id (the
    keyset of the next page). Raises NotFoundError, BadRequestError for a version that does not exist. Blocks."""
    i = tables.dataset_items
    with database.connect() as conn:
        row = _dataset_row(conn, project_id, name)
        chosen = row.current_version if version is None else version
        if chosen < 0 or chosen > row.current_version:
            raise BadRequestError(
                f"dataset {name!r} has no version {chosen}: its versions are 0 to {row.current_version}"
            )
        query = select(i).where(i.c.dataset_id == row.id, _in_version(chosen)).order_by(i.c.item_id)
        if after is not None:
            query = query.where(i.c.item_id > after)
        if limit is not None:
            query = query.limit(limit)
        return chosen, [_item(item) for item in conn.execute(query)]


def _canonical(values: dict[str, Any]) -> str:
    return json.dumps([values[key] for key in _CONTENT], sort_keys=True, separators=(",", ":"), default=str)


def _checked_ids(items: Sequence[ItemIn]) -> list[str]:
    ids: list[str] = []
    seen: set[str] = set()
    for position, item in enumerate(items):
        item_id = item.id if item.id is not None else uuid.uuid4().hex
        if not item_id or len(item_id) > MAX_ITEM_ID_CHARS:
            raise BadRequestError(f"item {position}: an id is 1 to {MAX_ITEM_ID_CHARS} characters")
        if item_id in seen:
            raise BadRequestError(f"item {position}: id {item_id!r} appears twice in one change")
        seen.add(item_id)
        ids.append(item_id)
    return ids


def _new_version(conn: Connection, dataset: Any, note: str | None, count: int) -> int:
    version = dataset.current_version + 1
    conn.execute(update(tables.datasets).where(tables.datasets.c.id == dataset.id).values(current_version=version))
    conn.execute(
        insert(tables.dataset_versions).values(
            dataset_id=dataset.id, version=version, created_at=_now(), note=note, item_count=count
        )
    )
    return version


def _open_rows(conn: Connection, dataset_id: int) -> dict[str, Any]:
    i = tables.dataset_items
    query = select(i).where(i.c.dataset_id == dataset_id, i.c.valid_to.is_(None))
    return {row.item_id: row for row in conn.execute(query)}


def upsert_items(
    database: Database,
    project_id: int,
    name: str,
    items: Sequence[ItemIn],
    note: str | None = None,
    *,
    sync: bool = False,
) -> Change:
    """Store `items` as one new version: new ids are created, existing ids changed; items sent as
    stored change nothing, and a change that changes nothing makes no version. With `sync` the
    version holds exactly `items`: the items the dataset holds and `items` does not are deleted in
    the same version (older versions keep them). Raises NotFoundError, BadRequestError (an id twice,
    an empty or overlong id). Blocks."""
    ids = _checked_ids(items)
    i = tables.dataset_items
    with database.write_transaction() as conn:
        dataset = _dataset_row(conn, project_id, name, lock=True)
        stored = _open_rows(conn, dataset.id)
        change = Change(dataset.current_version, False)
        rows, closing = [], []
        for item_id, item in zip(ids, items, strict=True):
            values = {key: getattr(item, key) for key in _CONTENT}
            old = stored.get(item_id)
            if old is not None and _canonical(values) == _canonical(old._mapping):
                change.unchanged += 1
                continue
            (change.created if old is None else change.updated).append(item_id)
            if old is not None:
                closing.append(old.id)
            rows.append({"dataset_id": dataset.id, "item_id": item_id, **values})
        if sync:
            kept = set(ids)
            change.deleted = sorted(item_id for item_id in stored if item_id not in kept)
            closing.extend(stored[item_id].id for item_id in change.deleted)
        if not rows and not change.deleted:
            return change
        version = _new_version(conn, dataset, note, len(stored) + len(change.created) - len(change.deleted))
        if closing:
            conn.execute(update(i).where(i.c.id.in_(closing)).values(valid_to=version))
        if rows:
            conn.execute(insert(i), [{**row, "valid_from": version, "valid_to": None} for row in rows])
    return Change(version, True, change.created, change.updated, change.deleted, change.unchanged)


def delete_items(
    database: Database, project_id: int, name: str, item_ids: Sequence[str], note: str | None = None
) -> Change:
    """Remove items from the dataset as one new version (older versions keep them). Raises
    NotFoundError naming an id the current version does not hold. Blocks."""
    i = tables.dataset_items
    with database.write_transaction() as conn:
        dataset = _dataset_row(conn, project_id, name, lock=True)
        stored = _open_rows(conn, dataset.id)
        missing = [item_id for item_id in item_ids if item_id not in stored]
        if missing:
            raise NotFoundError(f"dataset {name!r} has no item {missing[0]!r} in its current version")
        unique = list(dict.fromkeys(item_ids))
        version = _new_version(conn, dataset, note, len(stored) - len(unique))
        conn.execute(update(i).where(i.c.id.in_([stored[item_id].id for item_id in unique])).values(valid_to=version))
    return Change(version, True, deleted=unique)
