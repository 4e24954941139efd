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
        names = _positional_names(self.function)
        if names is not None and len(self.args) <= len(names):
            named = dict(zip(names, self.args, strict=False))  # the common case: no inspect per call
            named.update(self.kwargs)
        else:
            named = _bind(self.function, self.args, self.kwargs)
        named.pop("self", None)
        named.pop("cls", None)
        return named


_names: dict[Any, tuple[str, ...] | None] = {}


def _positional_names(function: Any) -> tuple[str, ...] | None:
    """The names positional arguments bind to, or None when *args makes that ambiguous. Cached."""
    try:
        return _names[function]
    except KeyError:
        pass
    except TypeError:  # unhashable callable
        return None
    import inspect

    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        names = None
    else:
        kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        if any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in parameters):
            names = None
        else:
            names = tuple(p.name for p in parameters if p.kind in kinds)
    if len(_names) < 10_000:
        _names[function] = names
    return names


def _bind(function: Any, args: tuple, kwargs: dict) -> dict[str, Any]:
    import inspect

    try:
        return dict(inspect.signature(function).bind_partial(*args, **kwargs).arguments)
    except (TypeError, ValueError):
        return {"args": list(args), "kwargs": kwargs}
