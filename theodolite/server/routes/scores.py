"""POST /api/v1/scores: scores (evaluations, user feedback) from our SDK or any HTTP client.

Committed through the same pipeline as spans: the answer comes after the commit. Scores belong
to the key's project: their ids are unique within it, and a score shows only on that project's
trace of its trace id, also when it arrived before the trace.

A score whose name has an active score config in the project, or that names a config (`config_id`
or `config`), must fit it (`routes/score_configs.py`); one that does not makes the request a 400
naming its index and the rule it broke, and nothing of the request is stored. The configs come from
the server's cached copy (`server/score_config_book.py`), so checking costs no query per score.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field, model_validator

from theodolite.errors import BadRequestError
from theodolite.evaluation.scores import InvalidScore
from theodolite.model import Batch, Score, ScoreDataType
from theodolite.server.routes.api import ERRORS, Project, State
from theodolite.server.score_config_book import check_scores
from theodolite.storage.rows import prepare_batch
from theodolite.storage.trace_keys import MAX_WIRE_TRACE_ID_CHARS

router = APIRouter(prefix="/api/v1/scores", tags=["scores"], responses=ERRORS)


class ScoreIn(BaseModel):
    id: str | None = Field(None, max_length=64, description="idempotency key; a resent id is stored once")
    trace_id: str | None = Field(
        None, max_length=MAX_WIRE_TRACE_ID_CHARS, description="may name a trace that has not arrived yet"
    )
    observation_id: str | None = Field(None, max_length=64)
    session_id: str | None = None
    name: str = Field(min_length=1, max_length=200)
    value: float | bool | str = Field(description="a number, a boolean, or a category")
    comment: str | None = None
    timestamp: datetime | None = None
    metadata: dict[str, Any] | None = None
    config_id: int | None = Field(None, description="the score config to check the value against (its name must match)")
    config: str | None = Field(None, max_length=200, description="the same, by the config's name")

    @model_validator(mode="after")
    def _target(self) -> ScoreIn:
        if not (self.trace_id or self.observation_id or self.session_id):
            raise ValueError("a score needs a trace_id, an observation_id or a session_id")
        return self

    def to_model(self) -> Score:
        when = self.timestamp or datetime.now(UTC)
        when = when if when.tzinfo else when.replace(tzinfo=UTC)
        if isinstance(self.value, bool):
            number, text, kind = float(self.value), None, ScoreDataType.BOOLEAN
        elif isinstance(self.value, str):
            number, text, kind = None, self.value, ScoreDataType.CATEGORICAL
        else:
            number, text, kind = float(self.value), None, ScoreDataType.NUMERIC
        return Score(
            id=self.id or uuid.uuid4().hex, trace_id=self.trace_id, name=self.name, timestamp=when, value=number,
            string_value=text, data_type=kind, observation_id=self.observation_id, session_id=self.session_id,
            comment=self.comment, source="API", metadata=self.metadata,
        )  # fmt: skip


class ScoresIn(BaseModel):
    scores: list[ScoreIn] = Field(min_length=1, max_length=10_000)


class ScoresAccepted(BaseModel):
    accepted: int


@router.post("", response_model=ScoresAccepted, summary="Store scores (answered after commit)")
async def scores_create(state: State, project: Project, body: ScoresIn) -> dict:
    batch = Batch(scores=[score.to_model() for score in body.scores])
    configs = await state.score_configs.for_project(project)
    references = [(score.config_id, score.config) for score in body.scores]
    if configs or any(reference != (None, None) for reference in references):  # a named config must exist
        try:
            check_scores(configs, batch.scores, references)
        except InvalidScore as exc:
            raise BadRequestError(f"nothing stored: {exc}") from None
    prepared = prepare_batch(project, batch, state.codec, datetime.now(UTC))
    await state.pipeline.submit(prepared)
    return {"accepted": len(batch.scores)}
