"""Request and response shapes of /api/v1/datasets, declared once so the OpenAPI schema documents them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

MAX_ITEMS_PER_REQUEST = 1000
MAX_TRACES_PER_REQUEST = 500


class DatasetIn(BaseModel):
    name: str = Field(min_length=1, max_length=200, pattern=r"^[^/]+$", description="unique in the project; no '/'")
    description: str | None = None
    metadata: dict[str, Any] | None = None


class DatasetOut(BaseModel):
    name: str
    description: str | None
    metadata: dict[str, Any] | None
    created_at: datetime
    current_version: int = Field(description="0 for a new, empty dataset; every change adds one")
    item_count: int = Field(description="items in the current version")


class DatasetList(BaseModel):
    data: list[DatasetOut]


class VersionOut(BaseModel):
    version: int
    created_at: datetime
    note: str | None
    item_count: int


class VersionList(BaseModel):
    data: list[VersionOut] = Field(description="oldest first; version 0, the empty dataset, is not listed")


class ItemIn(BaseModel):
    id: str | None = Field(
        None, min_length=1, max_length=200, description="an existing id changes that item; omitted: a new random id"
    )
    input: Any = None
    expected_output: Any = None
    metadata: dict[str, Any] | None = None
    source_trace_id: str | None = Field(None, min_length=1, description="the trace the item came from, if any")
    source_observation_id: str | None = Field(None, min_length=1, description="that trace's observation")


class ItemsIn(BaseModel):
    items: list[ItemIn] = Field(
        min_length=1, description=f"created or changed as one new version; at most {MAX_ITEMS_PER_REQUEST}"
    )
    note: str | None = Field(None, description="recorded with the version")


class FromTracesIn(BaseModel):
    trace_ids: list[str] = Field(
        min_length=1,
        description=f"each trace becomes an item (id: the trace id) with its root observation's input and output "
        f"as input and expected_output; at most {MAX_TRACES_PER_REQUEST}",
    )
    note: str | None = None


class ItemOut(BaseModel):
    id: str
    input: Any
    expected_output: Any
    metadata: dict[str, Any] | None
    source_trace_id: str | None
    source_observation_id: str | None
    version: int = Field(description="the version that gave the item this content")


class ItemPage(BaseModel):
    version: int = Field(description="the version these items belong to")
    data: list[ItemOut] = Field(description="by id")
    next_cursor: str | None = Field(description="pass as `cursor` for the next page (same version); null: last page")


class ChangeOut(BaseModel):
    version: int = Field(description="the new version, or the current one when nothing changed")
    changed: bool = Field(description="false: every item was sent as stored, and no version was made")
    created: list[str]
    updated: list[str]
    deleted: list[str]
    unchanged: int
