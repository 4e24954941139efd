"""What the SDK records per span and per score: plain slotted objects, cheap to make on the
application's thread; everything expensive (serialising, encoding) happens on the export thread."""

from __future__ import annotations

import random
import time
from typing import Any

# random.getrandbits is ~20x cheaper than os.urandom and is reseeded in a forked child.
_bits = random.getrandbits


def new_trace_id() -> int:
    return _bits(128) or 1


def new_span_id() -> int:
    return _bits(64) or 1


class SpanRecord:
    """One observation in the making. `attributes` hold trace- and span-level facts by their
    wire names (theodolite.*, gen_ai.*); `input`/`output` are kept as objects until export."""

    __slots__ = ("trace_id", "span_id", "parent_id", "name", "start_ns", "end_ns", "attributes", "input", "output",
                 "has_input", "has_output", "error", "sampled")  # fmt: skip

    def __init__(self, trace_id: int, span_id: int, parent_id: int | None, name: str, kind: str, sampled: bool):
        self.trace_id = trace_id
        self.span_id = span_id
        self.parent_id = parent_id
        self.name = name
        self.start_ns = time.time_ns()
        self.end_ns = 0
        self.attributes: dict[str, Any] = {"theodolite.observation.type": kind}
        self.input: Any = None
        self.output: Any = None
        self.has_input = False
        self.has_output = False
        self.error: str | None = None
        self.sampled = sampled

    @property
    def trace_id_hex(self) -> str:
        return format(self.trace_id, "032x")

    @property
    def span_id_hex(self) -> str:
        return format(self.span_id, "016x")


class ScoreRecord:
    __slots__ = ("document",)

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document


class BoundCall:
    """A call's arguments, kept as references on the application's thread and named by the
    function's signature only when exported (binding costs microseconds we do not spend)."""

    __slots__ = ("function", "args", "kwargs")

    def __init__(self, function: Any, args: tuple, kwargs: dict) -> None:
        self.function = function
        self.args = args
        self.kwargs = kwargs

    def to_dict(self) -> dict[str, Any]:
        import inspect

        try:
            bound = inspect.signature(self.function).bind_partial(*self.args, **self.kwargs)
        except (TypeError, ValueError):
            return {"args": list(self.args), "kwargs": self.kwargs}
        named = dict(bound.arguments)
        for first in ("self", "cls"):
            named.pop(first, None)
        return named
