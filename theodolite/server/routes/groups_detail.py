"""One session as a thread of turns, one user's activity: /api/v1/sessions/{id}, /api/v1/users/{id}.

The same access rules as every /api/v1 read (an API key, or a signed-in viewer or above of the
project): a session or user of another project is a 404, like one that does not exist.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from theodolite.server.access import Project
from theodolite.server.routes.api import ERRORS, Cursor, Derived, End, Start, State, check_time_range
from theodolite.server.routes.api_models import Totals, TraceSummary

router = APIRouter(prefix="/api/v1", tags=["query"], responses=ERRORS, dependencies=[Depends(check_time_range)])


class TurnWords(BaseModel):
    text: str | None = Field(
        description="the user's last message (input) or the assistant's answer (output), read from OpenAI chat "
        "messages, Anthropic content blocks, OpenTelemetry GenAI parts, plain strings or {messages: ...}; null when "
        "no such shape was found (then `json`) or nothing was recorded"
    )
    json_: Any = Field(
        None,
        alias="json",
        description="the recorded document when no message shape was found, folded (long strings cut, long lists "
        "and objects shortened)",
    )
    truncated: bool = Field(description="the text was cut (at 4,000 characters) or the JSON folded: the trace has all")
    source: str | None = Field(description="root (the trace's input/output), generation, or null: nothing recorded")

    model_config = {"populate_by_name": True}


class Turn(Totals):
    trace_id: str
    timestamp: datetime
    name: str | None
    user_id: str | None
    latency_s: float | None
    input: TurnWords
    output: TurnWords


class SessionTotals(Totals):
    trace_count: int
    first_seen: datetime
    last_seen: datetime
    user_ids: list[str] = Field(description="the session's users (at most 10)")


class SessionDetail(BaseModel):
    session_id: str
    summary: SessionTotals | None = Field(description="the whole session's totals; on the first page only")
    turns: list[Turn] = Field(description="one per trace, oldest first")
    next_cursor: str | None


class UserDay(Totals):
    day: str = Field(description="a UTC calendar day, YYYY-MM-DD; days without traces are left out")
    trace_count: int


class UserDetail(Totals):
    user_id: str
    trace_count: int
    first_seen: datetime | None = Field(description="in the time range; null when the range has no trace")
    last_seen: datetime | None
    daily: list[UserDay]
    recent_traces: list[TraceSummary] = Field(description="the newest 20 traces in the range")


TurnLimit = Annotated[int, Query(ge=1, le=200, description="turns per page")]


@router.get(
    "/sessions/{session_id:path}",
    response_model=SessionDetail,
    response_model_by_alias=True,
    summary="One session as a thread of turns (one per trace, oldest first) with its totals",
)
def session_detail(
    state: State, project: Project, _derived: Derived, session_id: str, limit: TurnLimit = 50, cursor: Cursor = None
) -> dict:
    return state.queries.get_session(project, session_id, limit=limit, cursor=cursor)


@router.get(
    "/users/{user_id:path}",
    response_model=UserDetail,
    summary="One user's cost, tokens and traces in a time range, by UTC day, with their latest traces",
)
def user_detail(
    state: State, project: Project, _derived: Derived, user_id: str, start: Start = None, end: End = None
) -> dict:
    return state.queries.get_user(project, user_id, start=start, end=end)
