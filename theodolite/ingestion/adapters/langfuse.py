"""Langfuse's public ingestion API: the v2 SDK's event batches and the v5 SDK's score arrays.

`POST /api/public/ingestion` carries `{"batch": [{id, type, timestamp, body}], "metadata": ...}`.
Each event is decoded on its own: a bad one is reported in the 207 answer's `errors` and never
fails the rest of the batch.

A Langfuse v2 trace is an entity of its own, with a name, input and output, above its top-level
observations. Theodolite shows a trace's input and output as its root observation's, so a
`trace-create` also makes a root observation with the trace's id; observations without a parent
hang below it. `trace-create` is an upsert (the SDK sends it again on every `trace.update()`), and
`*-update` events complete an observation created earlier: all the writes of one id in a request
are merged here, in event order (`model.merging`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from theodolite.ingestion.adapters.parts import EventError, RequestParts, time_field, usage_of
from theodolite.ingestion.flattened import cost_from_document
from theodolite.ingestion.values import to_datetime, to_dict, to_float, to_money, to_tags, to_text
from theodolite.ingestion.vendor_conventions import langfuse_provider, provider_of_model
from theodolite.model import (
    Batch,
    Cost,
    Level,
    Observation,
    ObservationType,
    Score,
    ScoreDataType,
    Trace,
    merge_trace,
)

MAX_EVENTS = 10_000
MAX_ID_CHARS = 64  # observations.id, scores.id
# A wire trace id leaves room for a project qualifier in the 64-character storage key
# (`storage/trace_keys.py`, which a contract test holds to this value).
MAX_WIRE_TRACE_ID_CHARS = 48
OBSERVATION_EVENTS = {
    "span-create": (ObservationType.SPAN, False), "span-update": (ObservationType.SPAN, True),
    "generation-create": (ObservationType.GENERATION, False),
    "generation-update": (ObservationType.GENERATION, True),
    "event-create": (ObservationType.EVENT, False),
    "observation-create": (None, False), "observation-update": (None, True),
}  # fmt: skip
TRUE, FALSE = (True, 1, "true", "True"), (False, 0, "false", "False")
IGNORED_EVENTS = ("sdk-log",)  # the SDK's own log lines: acknowledged, not stored


@dataclass(slots=True)
class IngestionResult:
    batch: Batch
    successes: list[str] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    # score id -> the event that carried it: a score refused later (by its config, in the server)
    # is answered under its event's id, as every other refused event is.
    score_events: dict[str, str] = field(default_factory=dict)


def decode_ingestion(document: Any, now: datetime | None = None) -> IngestionResult:
    """An ingestion request body (parsed JSON) -> what to store and the per-event answers.
    Raises EventError when the body is not a batch at all."""
    if not isinstance(document, dict) or not isinstance(document.get("batch"), list):
        raise EventError('the body must be {"batch": [events...]}')
    events = document["batch"]
    if len(events) > MAX_EVENTS:
        raise EventError(f"a batch holds at most {MAX_EVENTS} events; send {len(events)} in several")
    now = now or datetime.now(UTC)
    decoder = _Decoder(now)
    result = IngestionResult(Batch())
    for index, event in enumerate(events):
        event_id = event.get("id") if isinstance(event, dict) else None
        answer_id = str(event_id) if event_id is not None else f"#{index}"
        try:
            decoder.add(event)
        except EventError as exc:
            result.errors.append({"id": answer_id, "status": 400, "message": str(exc), "error": "invalid event"})
        else:
            result.successes.append(answer_id)
            if event.get("type") == "score-create":
                result.score_events[decoder.scores[-1].id] = answer_id
    result.batch = decoder.finish()
    return result


class _Decoder(RequestParts):
    def add(self, event: Any) -> None:
        if not isinstance(event, dict):
            raise EventError("an event must be an object {id, type, timestamp, body}")
        kind, body = event.get("type"), event.get("body")
        if not isinstance(body, dict):
            raise EventError(f"event {kind!r} has no body object")
        when = to_datetime(event.get("timestamp")) or self.now
        if kind == "trace-create":
            self._trace(body, when)
        elif kind in OBSERVATION_EVENTS:
            self._observation(body, when, *OBSERVATION_EVENTS[kind])
        elif kind == "score-create":
            self.scores.append(score_from(body, when))
        elif kind not in IGNORED_EVENTS:
            raise EventError(f"unknown event type {kind!r}")

    def _trace(self, body: dict[str, Any], when: datetime) -> None:
        trace_id = _id(body.get("id"), "trace id", MAX_WIRE_TRACE_ID_CHARS)
        start = time_field(body, "timestamp", "start_time")
        metadata = to_dict(body.get("metadata"))
        part = Trace(
            id=trace_id, timestamp=start or when, name=to_text(body.get("name")), user_id=to_text(body.get("userId")),
            session_id=to_text(body.get("sessionId")), tags=to_tags(body.get("tags")), metadata=metadata,
            release=to_text(body.get("release")), version=to_text(body.get("version")),
            environment=to_text(body.get("environment")), is_root_seen=bool(body.get("name")),
            root_observation_id=trace_id,
        )  # fmt: skip
        seen = self.traces.get(trace_id)
        if seen is not None:
            part.timestamp = min(seen.timestamp, part.timestamp) if start is None else part.timestamp
        self.traces[trace_id] = part if seen is None else merge_trace(seen, part)
        root = Observation(
            id=trace_id, trace_id=trace_id, start_time=start or when, name=part.name,
            end_time=time_field(body, "end_time", "endTime"), input=body.get("input"), output=body.get("output"),
            version=part.version, environment=part.environment,
        )  # fmt: skip
        self.merge(root, partial=start is None and (trace_id, trace_id) in self.observations)

    def _observation(self, body: dict[str, Any], when: datetime, kind: ObservationType | None, partial: bool) -> None:
        observation_id = _id(body.get("id"), "observation id", MAX_ID_CHARS)
        trace_id = _id(body.get("traceId"), "traceId", MAX_WIRE_TRACE_ID_CHARS)
        if kind is None:
            kind = _observation_type(body.get("type"))
        metadata = to_dict(body.get("metadata"))
        model = to_text(body.get("model"))
        provider = langfuse_provider(metadata)
        if provider is None and kind is ObservationType.GENERATION:
            provider = provider_of_model(model)
        start = time_field(body, "startTime", "start_time")
        first_token = time_field(body, "completionStartTime")
        usage = usage_of(body.get("usage"), body.get("usageDetails"))  # usageDetails (free keys) wins
        observation = Observation(
            id=observation_id, trace_id=trace_id, start_time=start or when, type=kind, name=to_text(body.get("name")),
            parent_observation_id=to_text(body.get("parentObservationId")) or trace_id,
            end_time=time_field(body, "endTime", "end_time"), completion_start_time=first_token,
            level=_level(body.get("level")), status_message=to_text(body.get("statusMessage")), model=model,
            request_model=model, provider=provider, model_parameters=to_dict(body.get("modelParameters")),
            usage=usage, cost=_cost(body), input=body.get("input"), output=body.get("output"),
            metadata=metadata, version=to_text(body.get("version")), environment=to_text(body.get("environment")),
        )  # fmt: skip
        if kind is ObservationType.EVENT and observation.end_time is None:
            observation.end_time = observation.start_time
        if trace_id not in self.traces:  # the trace's row; its name comes with its own trace-create
            self.traces[trace_id] = Trace(id=trace_id, timestamp=observation.start_time)
        self.merge(observation, partial=partial or start is None)

    def finish(self) -> Batch:
        for trace in self.traces.values():  # a trace starts with its earliest observation
            starts = [obs.start_time for (trace_id, _), obs in self.observations.items() if trace_id == trace.id]
            trace.timestamp = min([trace.timestamp, *starts])
        return super().finish()


def score_from(body: dict[str, Any], when: datetime, source: str = "API") -> Score:
    """A Langfuse score (ingestion `score-create` body, or one item of `/api/public/scores`), with
    the `configId` it names (not checked here: the decode workers keep no configs)."""
    trace_id = to_text(body.get("traceId"))
    session_id = to_text(body.get("sessionId"))
    if not (trace_id or session_id):
        raise EventError("a score needs a traceId or a sessionId")
    if trace_id is not None and len(trace_id) > MAX_WIRE_TRACE_ID_CHARS:
        raise EventError(f"traceId is longer than {MAX_WIRE_TRACE_ID_CHARS} characters")
    name = to_text(body.get("name"))
    if not name:
        raise EventError("a score needs a name")
    value, data_type = body.get("value"), str(body.get("dataType") or "").upper()
    number, text = None, None
    if isinstance(value, bool) or data_type == "BOOLEAN":
        kind = ScoreDataType.BOOLEAN
        number = 1.0 if value in TRUE else 0.0 if value in FALSE else None
    elif isinstance(value, str) and data_type != "NUMERIC":
        kind, text = ScoreDataType.CATEGORICAL, value
    else:
        kind, number = ScoreDataType.NUMERIC, to_float(value)
    if number is None and text is None:
        raise EventError(f"score {name!r} has no readable value")
    score_id = _id(body.get("id"), "score id", MAX_ID_CHARS) if body.get("id") is not None else None
    # The score config to check the value against; checked where the configs are (the server).
    given = body.get("configId")
    config_id = _id(given, "configId", MAX_ID_CHARS) if given not in (None, "") else None
    return Score(
        id=score_id or _derived_id(trace_id, session_id, name, when), trace_id=trace_id, name=name,
        timestamp=to_datetime(body.get("timestamp")) or when, value=number, string_value=text, data_type=kind,
        observation_id=to_text(body.get("observationId")), session_id=session_id, comment=to_text(body.get("comment")),
        source=source, metadata=to_dict(body.get("metadata")), config_id=config_id,
    )  # fmt: skip


def _derived_id(*parts: Any) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


def _id(value: Any, what: str, limit: int) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int)) or value == "":
        raise EventError(f"{what} is missing")
    text = str(value)
    if len(text) > limit:
        raise EventError(f"{what} is longer than {limit} characters")
    return text


def _level(value: Any) -> Level:
    if value is None:
        return Level.DEFAULT
    try:
        return Level(str(value).upper())
    except ValueError:
        raise EventError(f"level {value!r} is not one of DEBUG, DEFAULT, WARNING, ERROR") from None


def _observation_type(value: Any) -> ObservationType:
    try:
        return ObservationType(str(value or "span").lower())
    except ValueError:
        raise EventError(f"observation type {value!r} is unknown") from None


def _cost(body: dict[str, Any]) -> Cost:
    document = cost_from_document(body.get("costDetails")) or {}
    return Cost(to_money(document.get("input")), to_money(document.get("output")), to_money(document.get("total")))
