"""Built-in evaluators and `custom()`: small callables from (output, expected, input, metadata) to an
`EvaluationResult`.

Like the SDK, an evaluator never breaks its host: whatever goes wrong while evaluating (a user
function raising, an output of the wrong type) comes back as a failed result with the error in its
comment, never as an exception. Mistakes in an evaluator's *configuration* (a bad regex, an invalid
JSON schema) do raise, at construction, where the developer is.
"""

from __future__ import annotations

import functools
import inspect
import json
import math
import re
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from theodolite.evaluation.scores import EvaluationResult, ScoreConfig, data_type_of
from theodolite.model import ScoreDataType


class Evaluator(Protocol):
    name: str

    def __call__(
        self, output: Any, expected: Any = None, input: Any = None, metadata: dict[str, Any] | None = None
    ) -> EvaluationResult: ...


class BaseEvaluator:
    """Runs `_evaluate` and turns any exception it raises into a failed result."""

    name: str
    data_type: ScoreDataType = ScoreDataType.BOOLEAN

    def __call__(
        self, output: Any, expected: Any = None, input: Any = None, metadata: dict[str, Any] | None = None
    ) -> EvaluationResult:
        try:
            return self._evaluate(output, expected, input, metadata)
        except Exception as exc:  # noqa: BLE001 - the promise: a failed result, never an exception
            return EvaluationResult.failed(self.name, self.data_type, f"{type(exc).__name__}: {exc}")

    def _evaluate(self, output: Any, expected: Any, input: Any, metadata: dict[str, Any] | None) -> EvaluationResult:
        raise NotImplementedError

    def _verdict(self, passed: bool, comment: str | None = None, **metadata: Any) -> EvaluationResult:
        return EvaluationResult(self.name, passed, ScoreDataType.BOOLEAN, comment, metadata or None)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"


def _needs_expected(name: str, expected: Any) -> None:
    if expected is None:
        raise ValueError(f"{name} compares against an expected value and none was given")


def _fold(text: str, strip: bool, case_insensitive: bool) -> str:
    if strip:
        text = text.strip()
    return text.casefold() if case_insensitive else text  # casefold: 'Straße' matches 'STRASSE'


class ExactMatch(BaseEvaluator):
    """True when the output equals the expected value. `strip` and `case_insensitive` apply to
    strings; other values (numbers, dicts) compare with ==."""

    def __init__(self, *, strip: bool = False, case_insensitive: bool = False, name: str = "exact_match") -> None:
        self.name, self.strip, self.case_insensitive = name, strip, case_insensitive

    def _evaluate(self, output: Any, expected: Any, input: Any, metadata: Any) -> EvaluationResult:
        _needs_expected(self.name, expected)
        if isinstance(output, str) and isinstance(expected, str):
            output = _fold(output, self.strip, self.case_insensitive)
            expected = _fold(expected, self.strip, self.case_insensitive)
        return self._verdict(output == expected)


class Contains(BaseEvaluator):
    """True when the output contains any (or, with mode="all", every) of the substrings: the ones
    given here, or else the expected value (a string or a list of strings)."""

    def __init__(
        self,
        substrings: str | Iterable[str] | None = None,
        *,
        mode: str = "any",
        case_insensitive: bool = False,
        name: str = "contains",
    ) -> None:
        if mode not in ("any", "all"):
            raise ValueError(f"mode is 'any' or 'all', not {mode!r}")
        self.name, self.mode, self.case_insensitive = name, mode, case_insensitive
        self.substrings = _strings(substrings) if substrings is not None else None
        if self.substrings == ():
            raise ValueError("Contains needs at least one substring")

    def _evaluate(self, output: Any, expected: Any, input: Any, metadata: Any) -> EvaluationResult:
        wanted = self.substrings
        if wanted is None:
            _needs_expected(self.name, expected)
            wanted = _strings(expected)
        if not isinstance(output, str):
            raise TypeError(f"{self.name} reads a string output, got {type(output).__name__}")
        text = _fold(output, False, self.case_insensitive)
        found = [s for s in wanted if _fold(s, False, self.case_insensitive) in text]
        missing = [s for s in wanted if s not in found]
        passed = bool(found) if self.mode == "any" else not missing
        comment = None if passed else (f"none of {wanted!r} found" if self.mode == "any" else f"missing {missing!r}")
        return self._verdict(passed, comment)


def _strings(value: str | Iterable[str]) -> tuple[str, ...]:
    strings = (value,) if isinstance(value, str) else tuple(value)
    if not all(isinstance(s, str) for s in strings):
        raise TypeError("substrings must be strings")
    return strings


class Regex(BaseEvaluator):
    """True when the pattern matches the output: anywhere (mode="search") or whole (mode="fullmatch")."""

    def __init__(self, pattern: str, *, flags: int = 0, mode: str = "search", name: str = "regex") -> None:
        if mode not in ("search", "fullmatch"):
            raise ValueError(f"mode is 'search' or 'fullmatch', not {mode!r}")
        self.name, self.mode = name, mode
        self.pattern = re.compile(pattern, flags)  # a bad pattern is the developer's error: raised here

    def _evaluate(self, output: Any, expected: Any, input: Any, metadata: Any) -> EvaluationResult:
        if not isinstance(output, str):
            raise TypeError(f"{self.name} reads a string output, got {type(output).__name__}")
        match = getattr(self.pattern, self.mode)(output)
        return self._verdict(match is not None, None if match else f"no {self.mode} of /{self.pattern.pattern}/")


def _parsed_json(output: Any) -> Any:
    """A string is parsed; anything else is taken as an already-parsed JSON value."""
    return json.loads(output) if isinstance(output, str | bytes) else output


class JsonValid(BaseEvaluator):
    """True when a string output parses as JSON (a dict or list output is already JSON: true)."""

    def __init__(self, *, name: str = "json_valid") -> None:
        self.name = name

    def _evaluate(self, output: Any, expected: Any, input: Any, metadata: Any) -> EvaluationResult:
        if not isinstance(output, str | bytes):
            try:
                json.dumps(output, allow_nan=False)
            except (TypeError, ValueError) as exc:
                return self._verdict(False, f"not JSON-serialisable: {exc}")
            return self._verdict(True)
        try:
            json.loads(output)
        except json.JSONDecodeError as exc:
            return self._verdict(False, f"invalid JSON: {exc}")
        return self._verdict(True)


class JsonSchema(BaseEvaluator):
    """True when the output (parsed if it is a string) is valid against a JSON schema.

    Uses `jsonschema` (the `evaluation` extra), imported here rather than at module import so that
    the other evaluators need nothing beyond the standard library. The schema's `$schema` picks the
    draft; without it, the newest draft jsonschema knows.
    """

    def __init__(self, schema: dict[str, Any], *, name: str = "json_schema") -> None:
        try:
            import jsonschema
        except ImportError as exc:  # pragma: no cover - the test environment has it
            raise ImportError("JsonSchema needs the jsonschema package: pip install 'theodolite[evaluation]'") from exc
        self.name = name
        validator_class = jsonschema.validators.validator_for(schema)
        validator_class.check_schema(schema)  # an invalid schema raises SchemaError now, not per output
        self._validator = validator_class(schema)
        self._best_match = jsonschema.exceptions.best_match

    def _evaluate(self, output: Any, expected: Any, input: Any, metadata: Any) -> EvaluationResult:
        try:
            document = _parsed_json(output)
        except json.JSONDecodeError as exc:
            return self._verdict(False, f"invalid JSON: {exc}")
        error = self._best_match(self._validator.iter_errors(document))
        if error is None:
            return self._verdict(True)
        where = "/".join(str(part) for part in error.absolute_path) or "(root)"
        return self._verdict(False, f"at {where}: {error.message}")


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool):
        raise TypeError(f"{what} is a bool, not a number")
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            raise ValueError(f"{what} {value!r} is not a number") from None
    raise TypeError(f"{what} is a {type(value).__name__}, not a number")


class NumericCloseness(BaseEvaluator):
    """True when the output is within `abs_tol` or `rel_tol` (relative to the larger magnitude)
    of the expected number, as `math.isclose`. Numeric strings ("3.14") are read as numbers."""

    def __init__(self, *, abs_tol: float = 0.0, rel_tol: float = 1e-9, name: str = "numeric_close") -> None:
        if abs_tol < 0 or rel_tol < 0:
            raise ValueError("tolerances cannot be negative")
        self.name, self.abs_tol, self.rel_tol = name, abs_tol, rel_tol

    def _evaluate(self, output: Any, expected: Any, input: Any, metadata: Any) -> EvaluationResult:
        _needs_expected(self.name, expected)
        got, want = _number(output, "output"), _number(expected, "expected")
        passed = math.isclose(got, want, rel_tol=self.rel_tol, abs_tol=self.abs_tol)
        return self._verdict(passed, None if passed else f"|{got:g} - {want:g}| = {abs(got - want):g}")


# String similarity without a model: normalised Levenshtein, 1 - distance / max(len). Chosen over
# difflib.SequenceMatcher because it is a metric with a plain meaning (the share of characters that
# need no edit), is symmetric (SequenceMatcher's ratio can differ with the argument order) and has
# no length-dependent heuristic (SequenceMatcher's autojunk changes results past 200 characters).
# rapidfuzz computes the same number in C++ when installed (the `evaluation` extra; imported on first
# use); without it a pure-Python dynamic programme gives the identical value, quadratic in time.
@functools.cache
def _rapidfuzz_levenshtein() -> Any:
    try:
        from rapidfuzz.distance import Levenshtein
    except ImportError:  # pragma: no cover - the test environment has it; levenshtein_ratio is tested directly
        return None
    return Levenshtein


def levenshtein_distance(a: str, b: str) -> int:
    """Insertions, deletions and substitutions (each costing 1) that turn a into b."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b)))
        previous = current
    return previous[-1]


def levenshtein_ratio(a: str, b: str) -> float:
    """1 - distance / max(len(a), len(b)); two empty strings are identical (1.0). Pure Python."""
    longest = max(len(a), len(b))
    return 1.0 if longest == 0 else 1.0 - levenshtein_distance(a, b) / longest


def similarity(a: str, b: str) -> float:
    """Normalised Levenshtein similarity in [0, 1], by rapidfuzz when installed."""
    fast = _rapidfuzz_levenshtein()
    return float(fast.normalized_similarity(a, b)) if fast is not None else levenshtein_ratio(a, b)


class StringSimilarity(BaseEvaluator):
    """A NUMERIC score in [0, 1]: the normalised Levenshtein similarity of output and expected."""

    data_type = ScoreDataType.NUMERIC

    def __init__(self, *, case_insensitive: bool = False, strip: bool = True, name: str = "similarity") -> None:
        self.name, self.case_insensitive, self.strip = name, case_insensitive, strip

    def _evaluate(self, output: Any, expected: Any, input: Any, metadata: Any) -> EvaluationResult:
        _needs_expected(self.name, expected)
        if not isinstance(output, str) or not isinstance(expected, str):
            raise TypeError(f"{self.name} compares strings, got {type(output).__name__} and {type(expected).__name__}")
        ratio = similarity(_fold(output, self.strip, self.case_insensitive),
                           _fold(expected, self.strip, self.case_insensitive))  # fmt: skip
        return EvaluationResult(self.name, ratio, ScoreDataType.NUMERIC)


ARGUMENTS = ("output", "expected", "input", "metadata")


class CustomEvaluator(BaseEvaluator):
    """A user function as an evaluator.

    The function takes any of output, expected, input, metadata by name (or **kwargs for all of
    them, or one parameter of another name, given the output) and returns a bool, a number, a str
    (a category) or an EvaluationResult. With a `config`, the value is validated against it.
    """

    def __init__(self, fn: Callable[..., Any], *, name: str | None = None, config: ScoreConfig | None = None):
        if inspect.iscoroutinefunction(fn):
            raise TypeError("custom() takes a plain function; an async evaluator is not supported yet")
        self.fn = fn
        self.config = config
        self.name = name or (config.name if config else None) or getattr(fn, "__name__", None) or "custom"
        self.data_type = config.data_type if config else ScoreDataType.NUMERIC
        self._arguments = _accepted(fn)

    def _evaluate(self, output: Any, expected: Any, input: Any, metadata: Any) -> EvaluationResult:
        if self._arguments is None:
            returned = self.fn(output)
        else:
            given = {"output": output, "expected": expected, "input": input, "metadata": metadata}
            returned = self.fn(**{key: given[key] for key in self._arguments})
        if isinstance(returned, EvaluationResult):
            result = returned
        else:
            kind = data_type_of(returned)
            value = float(returned) if kind is ScoreDataType.NUMERIC else returned
            result = EvaluationResult(self.name, value, kind)
        if result.ok and self.config is not None:
            value = self.config.validate(result.value)
            result = EvaluationResult(result.name, value, self.config.data_type, result.comment, result.metadata,
                                      usage=result.usage)  # fmt: skip
        elif result.ok and result.value is not None:
            data_type_of(result.value)  # a value of no score type is an error here, not at storage time
        return result


def _accepted(fn: Callable[..., Any]) -> tuple[str, ...] | None:
    """The argument names fn takes, or None: pass it the output positionally (`lambda text: ...`)."""
    try:
        parameters = inspect.signature(fn).parameters
    except (TypeError, ValueError):  # a builtin without a signature
        return None
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        return ARGUMENTS
    accepted = tuple(name for name in ARGUMENTS if name in parameters)
    if accepted:
        return accepted
    if parameters:
        return None
    raise TypeError(f"an evaluator function takes the output, or some of {', '.join(ARGUMENTS)} by name")


def custom(fn: Callable[..., Any] | None = None, *, name: str | None = None, config: ScoreConfig | None = None) -> Any:
    """Wrap a function as an evaluator; also a decorator, bare (`@custom`) or with arguments."""
    if fn is None:
        return lambda function: CustomEvaluator(function, name=name, config=config)
    return CustomEvaluator(fn, name=name, config=config)
