"""The tracing API: `@observe`, `span()` / `generation()`, `update_current()`, `score()`.

Every entry point protects the application: an error inside the SDK is logged (raised only in
strict mode) and the user's function runs exactly as it would without the SDK. The function's
kind (plain, coroutine, generator, async generator) is decided once, at decoration.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar, overload

from theodolite.sdk.client import Client, get_client
from theodolite.sdk.context import current_span, parse_traceparent, traceparent_of
from theodolite.sdk.records import BoundCall, ScoreRecord, SpanRecord, new_span_id, new_trace_id

F = TypeVar("F", bound=Callable[..., Any])
OBSERVATION_TYPES = frozenset({"span", "generation", "event", "agent", "tool", "chain", "retriever", "evaluator",
                               "embedding", "guardrail"})  # fmt: skip
MAX_GENERATOR_ITEMS = 100
# Per-call capture switch: `with capturing(input=False): ...`
_capture: contextvars.ContextVar[tuple[bool | None, bool | None]] = contextvars.ContextVar(
    "theodolite_capture", default=(None, None)
)
USAGE_KEYS = {
    "input_tokens": "gen_ai.usage.input_tokens", "output_tokens": "gen_ai.usage.output_tokens",
    "total_tokens": "gen_ai.usage.total_tokens", "cache_read_tokens": "gen_ai.usage.cache_read.input_tokens",
    "cache_write_tokens": "gen_ai.usage.cache_creation.input_tokens",
    "reasoning_tokens": "gen_ai.usage.reasoning.output_tokens",
    # the names people use most, accepted too
    "prompt_tokens": "gen_ai.usage.input_tokens", "completion_tokens": "gen_ai.usage.output_tokens",
}  # fmt: skip


@contextmanager
def capturing(*, input: bool | None = None, output: bool | None = None) -> Iterator[None]:  # noqa: A002
    """Switch input/output capture for the calls made inside the block (None: leave as is)."""
    token = _capture.set((input, output))
    try:
        yield
    finally:
        _capture.reset(token)


def _wants(client: Client, decorated: bool | None, scoped: bool | None, default: bool) -> bool:
    if scoped is not None:
        return scoped
    if decorated is not None:
        return decorated
    return default


def start_record(client: Client, name: str, kind: str, traceparent: str | None = None) -> SpanRecord:
    parent = current_span.get()
    remote = parse_traceparent(traceparent) if traceparent else None
    if remote is not None:
        trace_id, parent_id, sampled = remote[0], remote[1], remote[2] and client.sampled()
    elif parent is not None:
        trace_id, parent_id, sampled = parent.trace_id, parent.span_id, parent.sampled
    else:
        trace_id, parent_id, sampled = new_trace_id(), None, client.sampled()
    return SpanRecord(trace_id, new_span_id(), parent_id, name, kind, sampled)


def end_record(client: Client, record: SpanRecord) -> None:
    record.end_ns = time.time_ns()
    if record.sampled:
        client.exporter.add(record)


def fail_record(record: SpanRecord, exc: BaseException) -> None:
    record.error = f"{type(exc).__name__}: {exc}"
    record.attributes["theodolite.observation.level"] = "ERROR"


@overload
def observe(function: F) -> F: ...
@overload
def observe(
    function: None = None, *, name: str | None = None, as_type: str = "span", capture_input: bool | None = None,
    capture_output: bool | None = None,
) -> Callable[[F], F]: ...  # fmt: skip
def observe(
    function: Callable[..., Any] | None = None,
    *,
    name: str | None = None,
    as_type: str = "span",
    capture_input: bool | None = None,
    capture_output: bool | None = None,
) -> Any:
    """Trace every call of the decorated function (plain, async, generator or async generator).

    `as_type`: span, generation, tool, retriever, agent, chain, embedding, evaluator, guardrail,
    event. `capture_input` / `capture_output` override the global setting for this function.
    """
    if as_type not in OBSERVATION_TYPES:
        raise ValueError(f"as_type must be one of {', '.join(sorted(OBSERVATION_TYPES))}, not {as_type!r}")

    def decorate(fn: F) -> F:
        span_name = name or getattr(fn, "__qualname__", None) or getattr(fn, "__name__", "call")
        calls = _Calls(fn, span_name, as_type, capture_input, capture_output)
        # Real functions (not bound methods) so that functools.wraps can copy the signature,
        # and of the same kind as `fn`, so inspect and frameworks see what they expect.
        if inspect.isasyncgenfunction(fn):

            async def wrapper(*args: Any, **kwargs: Any) -> Any:
                async for item in calls.async_generator(*args, **kwargs):
                    yield item

        elif inspect.iscoroutinefunction(fn):

            async def wrapper(*args: Any, **kwargs: Any) -> Any:
                return await calls.coroutine(*args, **kwargs)

        elif inspect.isgeneratorfunction(fn):

            def wrapper(*args: Any, **kwargs: Any) -> Any:
                return (yield from calls.generator(*args, **kwargs))

        else:

            def wrapper(*args: Any, **kwargs: Any) -> Any:
                return calls.plain(*args, **kwargs)

        return functools.wraps(fn)(wrapper)  # type: ignore[return-value]

    return decorate(function) if function is not None else decorate


class _Calls:
    """The four wrappers of one decorated function; the shared steps are methods."""

    __slots__ = ("fn", "name", "kind", "capture_input", "capture_output")

    def __init__(self, fn: Callable[..., Any], name: str, kind: str, capture_input: bool | None,
                 capture_output: bool | None) -> None:  # fmt: skip
        self.fn, self.name, self.kind = fn, name, kind
        self.capture_input, self.capture_output = capture_input, capture_output

    def _open(self, args: tuple, kwargs: dict) -> tuple[Client, SpanRecord, contextvars.Token] | None:
        client = get_client()
        if not client.enabled:
            return None
        try:
            record = start_record(client, self.name, self.kind)
            scoped_in, _ = _capture.get()
            if _wants(client, self.capture_input, scoped_in, client.config.capture_input):
                record.input, record.has_input = BoundCall(self.fn, args, kwargs), True
            return client, record, current_span.set(record)
        except Exception:  # noqa: BLE001
            client.sdk_error("starting a span")
            return None

    def _close(self, opened: tuple[Client, SpanRecord, contextvars.Token], output: Any,
               exc: BaseException | None, has_output: bool = True) -> None:  # fmt: skip
        client, record, token = opened
        try:
            current_span.reset(token)
        except ValueError:  # closed in another context (a generator resumed elsewhere)
            pass
        try:
            if exc is not None:
                fail_record(record, exc)
            elif has_output and record.has_output is False:
                _, scoped_out = _capture.get()
                if _wants(client, self.capture_output, scoped_out, client.config.capture_output):
                    record.output, record.has_output = output, True
            end_record(client, record)
        except Exception:  # noqa: BLE001
            client.sdk_error("ending a span")

    def plain(self, *args: Any, **kwargs: Any) -> Any:
        opened = self._open(args, kwargs)
        if opened is None:
            return self.fn(*args, **kwargs)
        try:
            result = self.fn(*args, **kwargs)
        except BaseException as exc:
            self._close(opened, None, exc)
            raise
        self._close(opened, result, None)
        return result

    async def coroutine(self, *args: Any, **kwargs: Any) -> Any:
        opened = self._open(args, kwargs)
        if opened is None:
            return await self.fn(*args, **kwargs)
        try:
            result = await self.fn(*args, **kwargs)
        except BaseException as exc:
            self._close(opened, None, exc)
            raise
        self._close(opened, result, None)
        return result

    def generator(self, *args: Any, **kwargs: Any) -> Any:
        opened = self._open(args, kwargs)
        if opened is None:
            return (yield from self.fn(*args, **kwargs))
        items: list[Any] = []
        try:
            iterator = self.fn(*args, **kwargs)
            result = None
            while True:
                try:
                    item = next(iterator)
                except StopIteration as stop:
                    result = stop.value
                    break
                if len(items) < MAX_GENERATOR_ITEMS:
                    items.append(item)
                yield item
        except BaseException as exc:
            self._close(opened, None, exc if not isinstance(exc, GeneratorExit) else None, has_output=False)
            raise
        self._close(opened, items, None)
        return result

    async def async_generator(self, *args: Any, **kwargs: Any) -> Any:
        opened = self._open(args, kwargs)
        if opened is None:
            async for item in self.fn(*args, **kwargs):
                yield item
            return
        items: list[Any] = []
        try:
            async for item in self.fn(*args, **kwargs):
                if len(items) < MAX_GENERATOR_ITEMS:
                    items.append(item)
                yield item
        except BaseException as exc:
            self._close(opened, None, exc if not isinstance(exc, GeneratorExit) else None, has_output=False)
            raise
        self._close(opened, items, None)


class Observation:
    """The handle `span()` and `generation()` yield: set what you learn as you go."""

    __slots__ = ("record",)

    def __init__(self, record: SpanRecord | None) -> None:
        self.record = record

    @property
    def trace_id(self) -> str | None:
        return self.record.trace_id_hex if self.record else None

    @property
    def id(self) -> str | None:
        return self.record.span_id_hex if self.record else None

    @property
    def traceparent(self) -> str | None:
        return traceparent_of(self.record)

    def update(self, **fields: Any) -> Observation:
        if self.record is not None:
            _apply(self.record, fields)
        return self

    def score(self, name: str, value: float | bool | str, **fields: Any) -> None:
        if self.record is not None:
            score(name, value, trace_id=self.trace_id, observation_id=self.id, **fields)


@contextmanager
def span(name: str, *, as_type: str = "span", traceparent: str | None = None, **fields: Any) -> Iterator[Observation]:
    """Observe a block. `traceparent` (a W3C header value) joins a trace begun elsewhere.
    Fields as in `update_current` (input, output, metadata, user_id, ...)."""
    client = get_client()
    record = token = None
    if client.enabled:
        try:
            record = start_record(client, name, as_type if as_type in OBSERVATION_TYPES else "span", traceparent)
            _apply(record, fields)
            token = current_span.set(record)
        except Exception:  # noqa: BLE001
            client.sdk_error("starting a span")
            record = None
    handle = Observation(record)
    try:
        yield handle
    except BaseException as exc:
        if record is not None:
            fail_record(record, exc)
        raise
    finally:
        if record is not None:
            try:
                if token is not None:
                    current_span.reset(token)
                end_record(client, record)
            except Exception:  # noqa: BLE001
                client.sdk_error("ending a span")


def generation(name: str, *, model: str | None = None, provider: str | None = None, **fields: Any) -> Any:
    """`span(..., as_type="generation")` with the model and provider named up front."""
    return span(name, as_type="generation", model=model, provider=provider, **fields)


def update_current(**fields: Any) -> None:
    """Add facts to the current observation: input, output, name, model, provider, usage (a dict
    of token counts), model_parameters, metadata, level, status_message, source, cost,
    completion_start_time; and to its trace: user_id, session_id, tags, trace_name,
    trace_metadata, release, version. Does nothing outside an observation."""
    record = current_span.get()
    if record is None:
        return
    try:
        _apply(record, fields)
    except Exception:  # noqa: BLE001
        get_client().sdk_error("update_current")


def _apply(record: SpanRecord, fields: dict[str, Any]) -> None:
    attributes = record.attributes
    for key, value in fields.items():
        if value is None:
            continue
        if key == "input":
            record.input, record.has_input = value, True
        elif key == "output":
            record.output, record.has_output = value, True
        elif key == "name":
            record.name = str(value)
        elif key == "usage":
            for name, count in dict(value).items():
                if name in USAGE_KEYS and count is not None:
                    attributes[USAGE_KEYS[name]] = int(count)
        elif key == "metadata":
            for name, item in dict(value).items():
                attributes[f"theodolite.metadata.{name}"] = item
        elif key == "trace_metadata":
            for name, item in dict(value).items():
                attributes[f"theodolite.trace.metadata.{name}"] = item
        elif key in _SIMPLE:
            attributes[_SIMPLE[key]] = value if not isinstance(value, datetime) else value.isoformat()
        elif key in ("model_parameters", "cost"):
            attributes[_DOCUMENTS[key]] = _json(value)
        else:
            raise TypeError(f"unknown field {key!r}")


_SIMPLE = {
    "model": "gen_ai.request.model", "response_model": "gen_ai.response.model", "provider": "gen_ai.provider.name",
    "level": "theodolite.observation.level", "status_message": "theodolite.observation.status_message",
    "source": "theodolite.generation.source", "user_id": "user.id", "session_id": "session.id",
    "tags": "theodolite.trace.tags", "trace_name": "theodolite.trace.name", "release": "theodolite.release",
    "version": "theodolite.version", "completion_start_time": "theodolite.observation.completion_start_time",
}  # fmt: skip
_DOCUMENTS = {
    "model_parameters": "theodolite.observation.model_parameters",
    "cost": "theodolite.observation.cost_details",
}


def _json(value: Any) -> str:
    import json

    return json.dumps(value, default=str)


def score(
    name: str,
    value: float | bool | str,
    *,
    trace_id: str | None = None,
    observation_id: str | None = None,
    comment: str | None = None,
    metadata: dict[str, Any] | None = None,
) -> None:
    """Score the current trace (or the given one): a number, a boolean or a category."""
    client = get_client()
    if not client.enabled:
        return
    try:
        record = current_span.get()
        if trace_id is None and record is not None:
            trace_id = record.trace_id_hex
            observation_id = observation_id or record.span_id_hex
        if trace_id is None and observation_id is None:
            raise ValueError("score() outside a trace needs trace_id=")
        document = {"id": uuid.uuid4().hex, "trace_id": trace_id, "observation_id": observation_id, "name": name,
                    "value": value, "comment": comment, "metadata": metadata,
                    "timestamp": datetime.now(UTC).isoformat()}  # fmt: skip
        client.exporter.add_score(ScoreRecord(document))
    except Exception:  # noqa: BLE001
        client.sdk_error("score")


def current_trace_id() -> str | None:
    record = current_span.get()
    return record.trace_id_hex if record else None


def current_traceparent() -> str | None:
    """The W3C traceparent to send with an outgoing request, so the callee joins this trace."""
    return traceparent_of(current_span.get())
