"""LangSmith's run API, for its SDK unchanged: `/runs/multipart` (optionally zstd), `/runs/batch`,
`POST /runs`, `PATCH /runs/{id}` and feedback.

A run is posted when it starts or, when it finished before its batch left, once with its end; a
patch completes it. Within a request every part is applied in order (the zstd stream carries a
run's post and patch together), merged by `model.merging`'s rules.

Where LangSmith's concepts land:
- `run_type` -> the observation type (llm -> generation, chain, tool, retriever, embedding; others span);
- `extra.metadata`: the keys users set stay the observation's metadata, and the root run's are
  the trace's; `user_id` is the trace's user, `session_id`, `thread_id` or `conversation_id` its
  session; the SDK's own keys (`ls_*`, copies of `LANGSMITH_*` variables, `usage_metadata`,
  `revision_id`) and `extra.runtime` go to the observation's attributes;
- model and provider from `ls_model_name` / `ls_provider`, usage from `usage_metadata`;
- `error` (a repr and a traceback) -> level ERROR, its first paragraph the status message;
- the LangSmith project (`session_name`) -> the trace's metadata `langsmith_project`; the
  Theodolite project is the API key's.
"""

from __future__ import annotations

import email.parser
import email.policy
from datetime import datetime
from typing import Any

import orjson

from theodolite.errors import BadRequestError
from theodolite.ingestion.adapters.langfuse import MAX_ID_CHARS, MAX_WIRE_TRACE_ID_CHARS
from theodolite.ingestion.adapters.parts import EventError, RequestParts, time_field, usage_of
from theodolite.ingestion.values import to_datetime, to_dict, to_float, to_money, to_provider, to_tags, to_text
from theodolite.ingestion.vendor_conventions import LANGSMITH_RUN_KEY
from theodolite.model import (
    Cost,
    Level,
    Observation,
    ObservationType,
    Rejection,
    Score,
    ScoreDataType,
    Trace,
)

RUN_TYPES = {
    "llm": ObservationType.GENERATION, "chain": ObservationType.CHAIN, "tool": ObservationType.TOOL,
    "retriever": ObservationType.RETRIEVER, "embedding": ObservationType.EMBEDDING,
}  # fmt: skip
SESSION_KEYS = ("session_id", "thread_id", "conversation_id")
RUN_FIELDS = ("inputs", "outputs", "events", "extra", "error", "serialized")


def multipart_parts(body: bytes, content_type: str) -> list[tuple[str, Any]]:
    """(part name, its JSON value) in body order."""
    if not content_type.lower().startswith("multipart/form-data") or "boundary=" not in content_type:
        raise BadRequestError("/runs/multipart needs Content-Type multipart/form-data with a boundary")
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    if not message.is_multipart():
        raise BadRequestError("the multipart body has no parts")
    parts = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            raise BadRequestError("a multipart part has no name")
        raw = part.get_payload(decode=True) or b""
        try:
            parts.append((str(name), orjson.loads(raw) if raw else None))
        except orjson.JSONDecodeError:
            parts.append((str(name), raw.decode("utf-8", "replace")))  # an attachment: kept as text
    return parts


class RunDecoder(RequestParts):
    """Collects runs (posts and patches, in order) and feedback of one request."""

    def add_run(self, run: Any, *, patch: bool, run_id: str | None = None) -> None:
        try:
            if not isinstance(run, dict):
                raise EventError("a run must be an object")
            observation, trace = run_to_observation(run, self.now, patch=patch, run_id=run_id)
        except EventError as exc:
            self.rejections.append(Rejection(run_id or _maybe_id(run), str(exc)))
            return
        self.merge(observation, partial=patch)
        self.merge_trace(trace)

    def add_feedback(self, feedback: Any) -> None:
        try:
            self.scores.append(feedback_to_score(feedback, self.now))
        except EventError as exc:
            self.rejections.append(Rejection(_maybe_id(feedback), str(exc)))

    def add_parts(self, parts: list[tuple[str, Any]]) -> None:
        """Multipart: `post.<id>` / `patch.<id>` open a run, `<op>.<id>.<field>` add to it, and
        `feedback.<id>` is a feedback object. A run is complete when the next run starts."""
        current: tuple[str, str, dict[str, Any]] | None = None
        for name, value in parts:
            op, _, rest = name.partition(".")
            run_id, _, run_field = rest.partition(".")
            if op == "feedback":
                self.add_feedback(value)
                continue
            if op not in ("post", "patch") or not run_id:
                continue  # attachments and parts of later SDKs: not stored
            if current is not None and (current[0], current[1]) != (op, run_id):
                self.add_run(current[2], patch=current[0] == "patch", run_id=current[1])
                current = None
            if not run_field:
                current = (op, run_id, dict(value) if isinstance(value, dict) else {})
            elif current is not None and run_field in RUN_FIELDS:
                current[2][run_field] = value
        if current is not None:
            self.add_run(current[2], patch=current[0] == "patch", run_id=current[1])


def _maybe_id(value: Any) -> str | None:
    return str(value.get("id")) if isinstance(value, dict) and value.get("id") is not None else None


def _text_id(value: Any, what: str, limit: int) -> str:
    if not isinstance(value, str) or not value:
        raise EventError(f"{what} is missing")
    if len(value) > limit:
        raise EventError(f"{what} is longer than {limit} characters")
    return value


def run_to_observation(
    run: dict[str, Any], now: datetime, *, patch: bool, run_id: str | None = None
) -> tuple[Observation, Trace]:
    observation_id = _text_id(run.get("id") or run_id, "run id", MAX_ID_CHARS)
    parent = to_text(run.get("parent_run_id"))
    trace_id = _text_id(run.get("trace_id") or _trace_of(run) or (observation_id if not parent else None),
                        "trace_id", MAX_WIRE_TRACE_ID_CHARS)  # fmt: skip
    extra = to_dict(run.get("extra")) or {}
    all_metadata = to_dict(extra.get("metadata")) or {}
    metadata = {key: value for key, value in all_metadata.items() if not LANGSMITH_RUN_KEY.search(key)}
    attributes = {f"langsmith.metadata.{key}": value for key, value in all_metadata.items() if key not in metadata}
    for key in ("runtime",):
        if extra.get(key):
            attributes[f"langsmith.{key}"] = extra[key]
    for key in ("serialized", "events", "dotted_order"):
        if run.get(key):
            attributes[f"langsmith.{key}"] = run[key]
    start = time_field(run, "start_time")
    outputs = run.get("outputs")
    level, status = Level.DEFAULT, None
    error = run.get("error")
    if error:
        level = Level.ERROR
        status = str(error).split("\n\n", 1)[0]
        attributes["langsmith.error"] = error
    run_type = str(run.get("run_type") or "").lower()
    kind = RUN_TYPES.get(run_type, ObservationType.SPAN) if run_type else ObservationType.SPAN
    model = to_text(all_metadata.get("ls_model_name")) or _output_model(outputs)
    usage_document = (outputs.get("usage_metadata") if isinstance(outputs, dict) else None) or all_metadata.get(
        "usage_metadata"
    )
    parameters = {key[3:]: value for key, value in all_metadata.items()
                  if key in ("ls_temperature", "ls_max_tokens", "ls_stop")}  # fmt: skip
    observation = Observation(
        id=observation_id, trace_id=trace_id, start_time=start or now, type=kind, name=to_text(run.get("name")),
        parent_observation_id=parent, end_time=time_field(run, "end_time"), level=level, status_message=status,
        model=model, request_model=model, provider=to_provider(all_metadata.get("ls_provider")),
        model_parameters=parameters or None, usage=usage_of(usage_document), cost=_cost(usage_document),
        input=run.get("inputs"), output=outputs, metadata=metadata or None, attributes=attributes or None,
    )  # fmt: skip
    trace = Trace(id=trace_id, timestamp=observation.start_time, tags=to_tags(run.get("tags")))
    if parent is None and not patch or parent is None and run.get("name"):
        trace.name, trace.is_root_seen, trace.root_observation_id = observation.name, True, observation_id
        trace.metadata = dict(metadata) if metadata else None
        project = to_text(run.get("session_name"))
        if project:
            trace.metadata = {**(trace.metadata or {}), "langsmith_project": project}
    trace.user_id = to_text(all_metadata.get("user_id"))
    trace.session_id = next((to_text(all_metadata[key]) for key in SESSION_KEYS if all_metadata.get(key)), None)
    return observation, trace


def _trace_of(run: dict[str, Any]) -> str | None:
    """The root run's id from `dotted_order` (`<time>Z<id>.<time>Z<id>...`)."""
    dotted = run.get("dotted_order")
    if isinstance(dotted, str) and "Z" in dotted:
        return dotted.split(".", 1)[0].split("Z", 1)[1] or None
    return None


def _output_model(outputs: Any) -> str | None:
    if not isinstance(outputs, dict):
        return None
    meta = outputs.get("response_metadata")
    return to_text(outputs.get("model")) or (to_text(meta.get("model_name")) if isinstance(meta, dict) else None)


def _cost(document: Any) -> Cost:
    document = to_dict(document) or {}
    return Cost(*(to_money(document.get(key)) for key in ("input_cost", "output_cost", "total_cost")))


def feedback_to_score(feedback: Any, now: datetime) -> Score:
    """LangSmith feedback -> a score. It names a run, and often arrives before it: the trace is
    its `trace_id`, else the run itself (feedback is usually on the root, whose id is the trace's)."""
    if not isinstance(feedback, dict):
        raise EventError("feedback must be an object")
    run_id = to_text(feedback.get("run_id"))
    trace_id = to_text(feedback.get("trace_id")) or run_id
    if not trace_id:
        raise EventError("feedback needs a run_id or a trace_id")
    if len(trace_id) > MAX_WIRE_TRACE_ID_CHARS:
        raise EventError(f"trace_id is longer than {MAX_WIRE_TRACE_ID_CHARS} characters")
    key = to_text(feedback.get("key"))
    if not key:
        raise EventError("feedback needs a key")
    score, value = feedback.get("score"), feedback.get("value")
    number, text, kind = None, None, ScoreDataType.NUMERIC
    if isinstance(score, bool):
        number, kind = float(score), ScoreDataType.BOOLEAN
    elif score is not None:
        number = to_float(score)
    elif isinstance(value, str):
        text, kind = value, ScoreDataType.CATEGORICAL
    elif value is not None:
        number = to_float(value)
    if number is None and text is None:
        raise EventError(f"feedback {key!r} has no score or value")
    return Score(
        id=_text_id(str(feedback.get("id") or ""), "feedback id", MAX_ID_CHARS), trace_id=trace_id, name=key,
        timestamp=to_datetime(feedback.get("created_at")) or now, value=number, string_value=text, data_type=kind,
        observation_id=run_id if run_id and run_id != trace_id else None, comment=to_text(feedback.get("comment")),
        source="API",
    )  # fmt: skip
