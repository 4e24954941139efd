"""The current span, carried by a ContextVar: it follows `await`, `asyncio` tasks and threads run
in a copied context. W3C traceparent in and out."""

from __future__ import annotations

import contextvars
import functools
import re
from collections.abc import Callable
from typing import Any, TypeVar

from theodolite.sdk.records import SpanRecord

F = TypeVar("F", bound=Callable[..., Any])
current_span: contextvars.ContextVar[SpanRecord | None] = contextvars.ContextVar("theodolite_span", default=None)
TRACEPARENT = re.compile(r"^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")


def propagate(function: F) -> F:
    """`function`, bound to the caller's context: pass it to a thread pool, and spans it opens
    join the caller's trace (`concurrent.futures` does not copy context by itself)."""
    context = contextvars.copy_context()

    @functools.wraps(function)
    def run_in_context(*args: Any, **kwargs: Any) -> Any:
        return context.run(function, *args, **kwargs)

    return run_in_context  # type: ignore[return-value]


def parse_traceparent(header: str | None) -> tuple[int, int, bool] | None:
    """(trace id, parent span id, sampled) from a W3C traceparent header; None if unusable."""
    if not header:
        return None
    match = TRACEPARENT.match(header.strip().lower())
    if match is None or match.group(1) == "ff":
        return None
    trace_id, span_id = int(match.group(2), 16), int(match.group(3), 16)
    if trace_id == 0 or span_id == 0:
        return None
    return trace_id, span_id, bool(int(match.group(4), 16) & 1)


def traceparent_of(span: SpanRecord | None) -> str | None:
    """The traceparent header that continues `span`'s trace in another service."""
    if span is None:
        return None
    return f"00-{span.trace_id_hex}-{span.span_id_hex}-{'01' if span.sampled else '00'}"
