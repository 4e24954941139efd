"""What an evaluation produces and what a score may be: `EvaluationResult` and `ScoreConfig`.

Engine-neutral: the data types are the model's `ScoreDataType` (the one stored scores carry), and
a result's value has the Python type the SDK's `score()` and the scores API already read a data type
from: a bool is BOOLEAN, a str CATEGORICAL, any other number NUMERIC.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from theodolite.model import ScoreDataType

Value = float | str | bool


class InvalidScore(ValueError):
    """A value that does not fit its score config; the message says which rule it broke."""


@dataclass(slots=True, frozen=True)
class CallUsage:
    """What an evaluator's own model call used, so that the caller can trace and price it."""

    model: str
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    total_tokens: int | None = None
    attempts: int = 1  # HTTP requests made, retries included
    duration_s: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.total_tokens,
            "attempts": self.attempts,
            "duration_s": self.duration_s,
        }


@dataclass(slots=True, frozen=True)
class EvaluationResult:
    """One evaluator's verdict on one output.

    `error` is set when the evaluator could not give a verdict (a user function raised, the judge's
    model could not be reached or answered nonsense); `value` is then None, so that a failure is
    never averaged in as a 0.
    """

    name: str
    value: Value | None
    data_type: ScoreDataType
    comment: str | None = None
    metadata: dict[str, Any] | None = None
    error: str | None = None
    usage: CallUsage | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @classmethod
    def failed(
        cls,
        name: str,
        data_type: ScoreDataType,
        error: str,
        usage: CallUsage | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> EvaluationResult:
        return cls(name, None, data_type, comment=f"evaluation failed: {error}", metadata=metadata, error=error,
                   usage=usage)  # fmt: skip

    def score_arguments(self) -> dict[str, Any]:
        """Keyword arguments for `theodolite.score(**result.score_arguments(), trace_id=...)`.

        The judge's usage goes into the metadata, so that a stored score says what it cost to get.
        Raises ValueError for a failed result: there is no value to store.
        """
        if self.value is None:
            raise ValueError(f"evaluation {self.name!r} has no value to score: {self.error}")
        metadata = dict(self.metadata or {})
        if self.usage is not None:
            metadata["evaluator_usage"] = self.usage.to_dict()
        return {"name": self.name, "value": self.value, "comment": self.comment, "metadata": metadata or None}

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "value": self.value,
            "data_type": self.data_type.value,
            "comment": self.comment,
            "metadata": self.metadata,
            "error": self.error,
            "usage": self.usage.to_dict() if self.usage else None,
        }


def data_type_of(value: Any) -> ScoreDataType:
    """The data type a value reads as (bool before int: a bool is an int in Python)."""
    if isinstance(value, bool):
        return ScoreDataType.BOOLEAN
    if isinstance(value, str):
        return ScoreDataType.CATEGORICAL
    if isinstance(value, int | float):
        return ScoreDataType.NUMERIC
    raise InvalidScore(f"a score is a number, a bool or a str, not {type(value).__name__}")


@dataclass(slots=True, frozen=True)
class ScoreConfig:
    """What values a named score may take: a range for NUMERIC, a set of labels for CATEGORICAL."""

    name: str
    data_type: ScoreDataType = ScoreDataType.NUMERIC
    min_value: float | None = None
    max_value: float | None = None
    categories: tuple[str, ...] | None = None
    description: str | None = None  # what the score means; the judge shows it to its model
    _allowed: frozenset[str] = field(default=frozenset(), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "data_type", ScoreDataType(self.data_type))
        if not self.name:
            raise ValueError("a score config needs a name")
        numeric = self.data_type is ScoreDataType.NUMERIC
        if not numeric and (self.min_value is not None or self.max_value is not None):
            raise ValueError(f"score {self.name!r}: min_value/max_value are for NUMERIC scores only")
        if numeric and None not in (self.min_value, self.max_value) and self.min_value > self.max_value:
            raise ValueError(f"score {self.name!r}: min_value {self.min_value:g} is above max_value {self.max_value:g}")
        if self.data_type is ScoreDataType.CATEGORICAL:
            if not self.categories:
                raise ValueError(f"score {self.name!r}: a CATEGORICAL score needs its categories")
            categories = tuple(self.categories)
            if len(set(categories)) != len(categories) or not all(isinstance(c, str) and c for c in categories):
                raise ValueError(f"score {self.name!r}: categories must be distinct non-empty strings")
            object.__setattr__(self, "categories", categories)
            object.__setattr__(self, "_allowed", frozenset(categories))
        elif self.categories is not None:
            raise ValueError(f"score {self.name!r}: categories are for CATEGORICAL scores only")

    def validate(self, value: Any) -> Value:
        """The value if it fits this config (an int NUMERIC as a float), else InvalidScore saying why."""
        kind = self.data_type
        if kind is ScoreDataType.BOOLEAN:
            if not isinstance(value, bool):
                raise InvalidScore(f"score {self.name!r} is BOOLEAN: expected true or false, got {value!r}")
            return value
        if kind is ScoreDataType.CATEGORICAL:
            if not isinstance(value, str):
                raise InvalidScore(f"score {self.name!r} is CATEGORICAL: expected a category string, got {value!r}")
            if value not in self._allowed:
                allowed = ", ".join(repr(c) for c in self.categories or ())
                raise InvalidScore(f"score {self.name!r}: {value!r} is not one of its categories ({allowed})")
            return value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidScore(f"score {self.name!r} is NUMERIC: expected a number, got {value!r}")
        number = float(value)
        if not math.isfinite(number):
            raise InvalidScore(f"score {self.name!r}: {number} is not a finite number")
        if self.min_value is not None and number < self.min_value:
            raise InvalidScore(f"score {self.name!r}: {number:g} is below its minimum {self.min_value:g}")
        if self.max_value is not None and number > self.max_value:
            raise InvalidScore(f"score {self.name!r}: {number:g} is above its maximum {self.max_value:g}")
        return number

    def value_schema(self) -> dict[str, Any]:
        """A JSON schema for the value. Bounds go into the description as well as the schema:
        structured-output modes differ in which keywords they enforce, and `validate` checks anyway."""
        if self.data_type is ScoreDataType.BOOLEAN:
            return {"type": "boolean"}
        if self.data_type is ScoreDataType.CATEGORICAL:
            return {"type": "string", "enum": list(self.categories or ())}
        schema: dict[str, Any] = {"type": "number"}
        if self.min_value is not None:
            schema["minimum"] = self.min_value
        if self.max_value is not None:
            schema["maximum"] = self.max_value
        return schema

    def describe(self) -> str:
        """The rule in words, for a prompt: 'a number from 1 to 5', 'one of: good, bad'."""
        if self.data_type is ScoreDataType.BOOLEAN:
            rule = "true or false"
        elif self.data_type is ScoreDataType.CATEGORICAL:
            rule = "exactly one of: " + ", ".join(self.categories or ())
        elif self.min_value is not None and self.max_value is not None:
            rule = f"a number from {self.min_value:g} to {self.max_value:g}"
        elif self.min_value is not None:
            rule = f"a number of at least {self.min_value:g}"
        elif self.max_value is not None:
            rule = f"a number of at most {self.max_value:g}"
        else:
            rule = "a number"
        return rule
