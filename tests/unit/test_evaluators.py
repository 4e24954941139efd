"""The built-in evaluators and custom(): verdicts, comments, and failures as results, never exceptions."""

from __future__ import annotations

import difflib
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jsonschema.exceptions import SchemaError

from theodolite.evaluation import (
    Contains,
    EvaluationResult,
    ExactMatch,
    JsonSchema,
    JsonValid,
    NumericCloseness,
    Regex,
    ScoreConfig,
    StringSimilarity,
    custom,
)
from theodolite.evaluation.evaluators import levenshtein_distance, levenshtein_ratio, similarity
from theodolite.model import ScoreDataType


def test_exact_match_options() -> None:
    assert ExactMatch()("Paris", "Paris").value is True
    assert ExactMatch()(" Paris\n", "Paris").value is False
    assert ExactMatch(strip=True)(" Paris\n", "Paris").value is True
    assert ExactMatch(case_insensitive=True)("PARIS", "paris").value is True
    assert ExactMatch(case_insensitive=True)("STRASSE", "straße").value is True  # casefold, not lower
    assert ExactMatch()({"a": 1}, {"a": 1}).value is True  # non-strings compare with ==
    result = ExactMatch()("Paris")
    assert not result.ok and "expected value and none was given" in result.comment


def test_contains_any_and_all() -> None:
    assert Contains(["cat", "dog"])("a dog barks").value is True
    result = Contains(["cat", "dog"], mode="all")("a dog barks")
    assert result.value is False and result.comment == "missing ['cat']"
    assert Contains("DOG", case_insensitive=True)("a dog").value is True
    assert Contains(mode="all")("red and blue", expected=["red", "blue"]).value is True  # from expected
    assert Contains("x")(42).error == "TypeError: contains reads a string output, got int"
    with pytest.raises(ValueError, match="'any' or 'all'"):
        Contains("x", mode="some")


def test_regex() -> None:
    assert Regex(r"\d{3}-\d{4}")("call 555-1234 now").value is True
    assert Regex(r"\d{3}-\d{4}", mode="fullmatch")("call 555-1234 now").value is False
    assert Regex("yes", flags=re.IGNORECASE, mode="fullmatch")("YES").value is True
    with pytest.raises(re.error):
        Regex("(unclosed")  # the developer's mistake: raised when configured, not per output


def test_json_valid() -> None:
    assert JsonValid()('{"a": [1, 2]}').value is True
    bad = JsonValid()('{"a": [1, 2}')
    assert bad.value is False and bad.comment.startswith("invalid JSON: ")
    assert JsonValid()({"already": "parsed"}).value is True
    assert JsonValid()({"a": {1, 2}}).value is False  # a set is no JSON


SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {"city": {"type": "string"}, "population": {"type": "integer", "minimum": 0}},
    "required": ["city"],
}


def test_json_schema() -> None:
    evaluator = JsonSchema(SCHEMA)
    assert evaluator('{"city": "Lyon", "population": 522000}').value is True
    assert evaluator({"city": "Lyon"}).value is True
    wrong = evaluator('{"city": "Lyon", "population": -3}')
    assert wrong.value is False and wrong.comment == "at population: -3 is less than the minimum of 0"
    missing = evaluator("{}")
    assert missing.value is False and "'city' is a required property" in missing.comment
    assert evaluator("not json").comment.startswith("invalid JSON")
    with pytest.raises(SchemaError):
        JsonSchema({"type": "no-such-type"})


def test_numeric_closeness() -> None:
    assert NumericCloseness(abs_tol=0.01)(3.14159, 3.14).value is True
    assert NumericCloseness(abs_tol=0.001)("3.14159", "3.14").value is False
    assert NumericCloseness(rel_tol=0.05)(104, 100).value is True
    assert NumericCloseness(rel_tol=0.01)(104, 100).comment == "|104 - 100| = 4"
    assert NumericCloseness()(1e-12, 0).value is False  # the default is exact up to rounding
    assert "is not a number" in NumericCloseness()("about four", 4).error
    assert "is a bool" in NumericCloseness()(True, 1).error


def test_string_similarity_is_normalised_levenshtein() -> None:
    # kitten -> sitting: 3 edits over 7 characters
    assert levenshtein_distance("kitten", "sitting") == 3
    assert StringSimilarity()("kitten", "sitting").value == pytest.approx(1 - 3 / 7)
    assert StringSimilarity()("same", "same").value == 1.0
    assert StringSimilarity()("", "").value == 1.0 and StringSimilarity()("abc", "").value == 0.0
    assert StringSimilarity(case_insensitive=True)("Hello", "hello ").value == 1.0
    assert StringSimilarity().data_type is ScoreDataType.NUMERIC


@given(st.text(max_size=30), st.text(max_size=30))
def test_the_pure_python_similarity_equals_rapidfuzz(a: str, b: str) -> None:
    assert levenshtein_ratio(a, b) == pytest.approx(similarity(a, b), abs=1e-12)
    assert levenshtein_ratio(a, b) == levenshtein_ratio(b, a)  # symmetric, unlike difflib's ratio


def test_difflib_would_not_be_symmetric() -> None:
    # the reason for Levenshtein (evaluators.py): SequenceMatcher's ratio depends on argument order
    assert difflib.SequenceMatcher(None, "tide", "diet").ratio() == 0.25
    assert difflib.SequenceMatcher(None, "diet", "tide").ratio() == 0.5
    assert levenshtein_ratio("tide", "diet") == levenshtein_ratio("diet", "tide") == 0.25


def test_custom_wraps_plain_functions() -> None:
    def is_short(output: str) -> bool:
        return len(output) < 10

    evaluator = custom(is_short)
    result = evaluator("brief")
    assert (result.name, result.value, result.data_type) == ("is_short", True, ScoreDataType.BOOLEAN)

    @custom(name="overlap")
    def overlap(output: str, expected: str) -> float:
        return len(set(output.split()) & set(expected.split())) / len(set(expected.split()))

    assert overlap("a b c", "a b d e").value == 0.5 and overlap("a", "a").data_type is ScoreDataType.NUMERIC

    @custom
    def grade(output, input, metadata):  # noqa: ANN001, ANN202 - as a user writes one
        return "good" if input["q"] in output and metadata["strict"] is False else "bad"

    assert grade("the answer is 4", input={"q": "4"}, metadata={"strict": False}).value == "good"
    assert custom(lambda text: len(text))("abc").value == 3.0  # one parameter of another name: the output
    assert custom(lambda **kw: kw["expected"] == kw["output"])("x", "x").value is True
    assert custom(len, name="length")("abcd").value == 4.0  # a builtin


def test_custom_can_return_a_full_result() -> None:
    evaluator = custom(lambda output: EvaluationResult("mine", 0.2, ScoreDataType.NUMERIC, "why", {"k": 1}))
    result = evaluator("x")
    assert (result.name, result.value, result.comment, result.metadata) == ("mine", 0.2, "why", {"k": 1})


def test_errors_in_user_evaluators_become_results() -> None:
    def broken(output: str) -> float:
        raise RuntimeError("the user's bug")

    result = custom(broken)("anything")
    assert isinstance(result, EvaluationResult) and not result.ok and result.value is None
    assert result.error == "RuntimeError: the user's bug"
    assert result.comment == "evaluation failed: RuntimeError: the user's bug"
    nothing = custom(lambda output: None)("x")
    assert not nothing.ok and "a score is a number, a bool or a str" in nothing.error


def test_custom_validates_against_a_config() -> None:
    config = ScoreConfig("stars", ScoreDataType.NUMERIC, min_value=1, max_value=5)
    evaluator = custom(lambda output: len(output), config=config)
    assert evaluator("abc").value == 3.0 and evaluator("abc").name == "stars"
    too_many = evaluator("abcdefgh")
    assert not too_many.ok and too_many.error == "InvalidScore: score 'stars': 8 is above its maximum 5"


def test_custom_refuses_what_it_cannot_call() -> None:
    async def later(output: str) -> bool:
        return True

    with pytest.raises(TypeError, match="async"):
        custom(later)
    with pytest.raises(TypeError, match="takes the output"):
        custom(lambda: True)
