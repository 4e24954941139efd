"""/api/v1/datasets: the key's project's datasets for evaluation, their versions and items.

Datasets live in the metadata store (`storage/metadata/datasets.py`); items from traces read the
traces through the trace store's `TraceQueries`, so they work on any trace store.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Query

from theodolite.errors import BadRequestError, PayloadTooLargeError
from theodolite.query.pagination import decode_cursor, encode_cursor
from theodolite.server.routes.api import ERRORS, Project, State
from theodolite.server.routes.dataset_models import (
    MAX_ITEMS_PER_REQUEST,
    MAX_TRACES_PER_REQUEST,
    ChangeOut,
    DatasetIn,
    DatasetList,
    DatasetOut,
    FromTracesIn,
    ItemPage,
    ItemsIn,
    VersionList,
)
from theodolite.storage.metadata import datasets as store

router = APIRouter(
    prefix="/api/v1/datasets",
    tags=["datasets"],
    responses={**ERRORS, **{code: ERRORS[400] for code in (409, 413)}},
)


def _dataset(info: store.DatasetInfo) -> dict[str, Any]:
    return {key: getattr(info, key) for key in DatasetOut.model_fields}


@router.post("", response_model=DatasetOut, status_code=201, summary="Create a dataset (version 0, empty)")
def datasets_create(state: State, project: Project, body: DatasetIn) -> dict:
    return _dataset(store.create_dataset(state.database, project, body.name, body.description, body.metadata))


@router.get("", response_model=DatasetList, summary="The project's datasets, by name")
def datasets_list(state: State, project: Project) -> dict:
    return {"data": [_dataset(info) for info in store.list_datasets(state.database, project)]}


@router.get("/{name}", response_model=DatasetOut, summary="One dataset")
def datasets_get(state: State, project: Project, name: str) -> dict:
    return _dataset(store.get_dataset(state.database, project, name))


@router.get("/{name}/versions", response_model=VersionList, summary="A dataset's versions, oldest first")
def datasets_versions(state: State, project: Project, name: str) -> dict:
    return {"data": [asdict(version) for version in store.list_versions(state.database, project, name)]}


@router.get("/{name}/items", response_model=ItemPage, summary="The items of one version (default: the current), by id")
def datasets_items(
    state: State,
    project: Project,
    name: str,
    version: Annotated[int | None, Query(description="default: the current version")] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="page size")] = 100,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
) -> dict:
    after = None
    if cursor is not None:
        pinned, after = decode_cursor(cursor, 2)
        if not isinstance(pinned, int) or not isinstance(after, str):
            raise BadRequestError("cursor is not one this server issued")
        if version is not None and version != pinned:
            raise BadRequestError(f"the cursor reads version {pinned}, not {version}: leave version out")
        version = pinned
    read, items = store.list_items(state.database, project, name, version=version, limit=limit + 1, after=after)
    more = len(items) > limit
    items = items[:limit]
    next_cursor = encode_cursor(read, items[-1].id) if more else None
    return {"version": read, "data": [asdict(item) for item in items], "next_cursor": next_cursor}


@router.post("/{name}/items", response_model=ChangeOut, summary="Create or change items: one new version")
def datasets_items_upsert(state: State, project: Project, name: str, body: ItemsIn) -> dict:
    if len(body.items) > MAX_ITEMS_PER_REQUEST:
        raise PayloadTooLargeError(
            f"{len(body.items)} items in one request; at most {MAX_ITEMS_PER_REQUEST} (import larger sets with "
            "`theodolite datasets import`)"
        )
    items = [store.ItemIn(**item.model_dump()) for item in body.items]
    return asdict(store.upsert_items(state.database, project, name, items, body.note))


@router.delete("/{name}/items/{item_id}", response_model=ChangeOut, summary="Remove an item: one new version")
def datasets_items_delete(state: State, project: Project, name: str, item_id: str) -> dict:
    return asdict(store.delete_items(state.database, project, name, [item_id], f"deleted {item_id}"))


def root_observation(trace: dict[str, Any]) -> dict[str, Any] | None:
    """The trace's root observation: the one it names, else its first root."""
    wanted = trace.get("root_observation_id")
    stack = list(trace.get("observations") or [])
    while wanted and stack:
        node = stack.pop()
        if node["id"] == wanted:
            return node
        stack.extend(node.get("children") or [])
    roots = trace.get("observations") or []
    return roots[0] if roots else None


@router.post(
    "/{name}/items/from-traces",
    response_model=ChangeOut,
    summary="Items from traces (root input as input, root output as expected_output): one new version",
)
def datasets_items_from_traces(state: State, project: Project, name: str, body: FromTracesIn) -> dict:
    if len(body.trace_ids) > MAX_TRACES_PER_REQUEST:
        raise PayloadTooLargeError(f"{len(body.trace_ids)} traces in one request; at most {MAX_TRACES_PER_REQUEST}")
    store.get_dataset(state.database, project, name)  # an unknown dataset is a 404 before reading traces
    items = []
    for trace_id in dict.fromkeys(body.trace_ids):
        trace = state.queries.get_trace(project, trace_id)  # NotFoundError (404) names the trace
        root = root_observation(trace)
        if root is None:
            raise BadRequestError(f"trace {trace_id!r} has no observation to take an input and output from")
        items.append(
            store.ItemIn(
                root.get("input"),
                root.get("output"),
                {"trace_name": trace.get("name")},
                id=trace_id,
                source_trace_id=trace_id,
                source_observation_id=root["id"],
            )  # fmt: skip
        )
    return asdict(store.upsert_items(state.database, project, name, items, body.note or "from traces"))
