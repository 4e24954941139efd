"""/api/v1/score-configs: the key's project's score configs, which POST /api/v1/scores (and the
Langfuse and LangSmith endpoints) check scores against.

Configs live in the metadata store (`storage/metadata/score_configs.py`); each change drops the
server's cached copy of the project's configs (`server/score_config_book.py`), so the next score
is checked against the new rules. A config's type and rules may change only while no score of its
name is stored in the project (asked of the trace store, any engine): once scores are stored under
them, changing the rules would make stored and new scores mean different things, so the answer is
409 and the way forward is a new config under a new name (archive the old one).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from anyio import to_thread
from fastapi import APIRouter
from pydantic import BaseModel, Field

from theodolite.errors import ConflictError
from theodolite.server.routes.api import ERRORS, Project, State
from theodolite.storage.metadata import score_configs as store

router = APIRouter(prefix="/api/v1/score-configs", tags=["score configs"], responses={**ERRORS, 409: ERRORS[400]})

DataType = Literal["NUMERIC", "CATEGORICAL", "BOOLEAN", "numeric", "categorical", "boolean"]
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
FAR = datetime(9999, 1, 1, tzinfo=UTC)


class CategoryIO(BaseModel):
    label: str = Field(min_length=1, max_length=200)
    value: float | None = Field(None, description="optional number of the category (Langfuse's categories have one)")


class ScoreConfigIn(BaseModel):
    name: str = Field(min_length=1, max_length=store.MAX_NAME_CHARS, description="unique in the project")
    data_type: DataType
    min_value: float | None = Field(None, description="NUMERIC only; inclusive")
    max_value: float | None = Field(None, description="NUMERIC only; inclusive")
    categories: list[CategoryIO | str] | None = Field(
        None, description="CATEGORICAL only: labels, or {label, value} objects", max_length=store.MAX_CATEGORIES
    )
    description: str | None = Field(None, max_length=2000)


class ScoreConfigChange(BaseModel):
    description: str | None = Field(None, max_length=2000)
    archived: bool | None = None
    data_type: DataType | None = Field(None, description="only while no score of the config's name is stored")
    min_value: float | None = None
    max_value: float | None = None
    categories: list[CategoryIO | str] | None = Field(None, max_length=store.MAX_CATEGORIES)


class ScoreConfigOut(BaseModel):
    id: int
    name: str
    data_type: str
    min_value: float | None
    max_value: float | None
    categories: list[CategoryIO] | None
    description: str | None
    archived: bool
    created_at: datetime
    updated_at: datetime


class ScoreConfigList(BaseModel):
    data: list[ScoreConfigOut]


def _categories(raw: list[CategoryIO | str] | None) -> tuple[store.Category, ...] | None:
    if raw is None:
        return None
    return store.parse_categories([item if isinstance(item, str) else item.model_dump() for item in raw])


@router.post("", response_model=ScoreConfigOut, status_code=201, summary="Create a score config")
async def score_configs_create(state: State, project: Project, body: ScoreConfigIn) -> dict:
    created = await to_thread.run_sync(
        lambda: store.create_score_config(
            state.database,
            project,
            body.name,
            body.data_type,
            min_value=body.min_value,
            max_value=body.max_value,
            categories=_categories(body.categories),
            description=body.description,
        )  # fmt: skip
    )
    state.score_configs.invalidate(project)
    return created.to_dict()


@router.get("", response_model=ScoreConfigList, summary="The project's score configs by name, archived ones too")
def score_configs_list(state: State, project: Project) -> dict:
    return {"data": [config.to_dict() for config in store.list_score_configs(state.database, project)]}


@router.get("/{config_id}", response_model=ScoreConfigOut, summary="One score config")
def score_configs_get(state: State, project: Project, config_id: int) -> dict:
    return store.get_score_config(state.database, project, config_id).to_dict()


def _scores_stored(state: Any, project: int, name: str) -> bool:
    return bool(state.queries.score_rows(project, EPOCH, FAR, {"name": (name,)}, 1))


@router.patch(
    "/{config_id}",
    response_model=ScoreConfigOut,
    summary="Change a config's description or archived flag; its rules only while no score of its name is stored",
)
async def score_configs_update(state: State, project: Project, config_id: int, body: ScoreConfigChange) -> dict:
    changes: dict[str, Any] = body.model_dump(exclude_unset=True)
    if "categories" in changes:
        changes["categories"] = _categories(body.categories)
    if changes.get("archived") is None:
        changes.pop("archived", None)

    def change() -> store.StoredScoreConfig:
        current = store.get_score_config(state.database, project, config_id)
        changed = store.rules_changed(current, changes)
        if changed and _scores_stored(state, project, current.name):
            raise ConflictError(
                f"scores named {current.name!r} are stored under this config's rules, so its "
                f"{', '.join(changed)} cannot change: archive it and create a config of another name"
            )
        return store.update_score_config(state.database, project, config_id, changes)

    updated = await to_thread.run_sync(change)
    state.score_configs.invalidate(project)
    return updated.to_dict()
