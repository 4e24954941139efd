"""Score configs validate values with errors that say which rule broke; results carry the model's data types."""

from __future__ import annotations

import math

import pytest

from theodolite.evaluation import CallUsage, EvaluationResult, InvalidScore, ScoreConfig
from theodolite.evaluation.scores import data_type_of
from theodolite.model import ScoreDataType


def test_the_data_types_are_the_models() -> None:
    assert ScoreConfig("x", "BOOLEAN").data_type is ScoreDataType.BOOLEAN
    assert [data_type_of(v) for v in (True, "good", 3, 0.5)] == [
        ScoreDataType.BOOLEAN, ScoreDataType.CATEGORICAL, ScoreDataType.NUMERIC, ScoreDataType.NUMERIC,
    ]  # fmt: skip
    with pytest.raises(InvalidScore, match="not NoneType"):
        data_type_of(None)


def test_numeric_bounds() -> None:
    config = ScoreConfig("helpfulness", ScoreDataType.NUMERIC, min_value=1, max_value=5)
    assert config.validate(3) == 3.0 and isinstance(config.validate(3), float)
    assert config.validate(1) == 1.0 and config.validate(5.0) == 5.0
    with pytest.raises(InvalidScore, match="'helpfulness': 6 is above its maximum 5"):
        config.validate(6)
    with pytest.raises(InvalidScore, match="0.5 is below its minimum 1"):
        config.validate(0.5)
    with pytest.raises(InvalidScore, match="expected a number, got True"):
        config.validate(True)  # a bool is an int in Python, not a score of 1 here
    with pytest.raises(InvalidScore, match="expected a number, got '3'"):
        config.validate("3")
    with pytest.raises(InvalidScore, match="not a finite number"):
        ScoreConfig("x").validate(math.nan)


def test_categorical_and_boolean() -> None:
    tone = ScoreConfig("tone", ScoreDataType.CATEGORICAL, categories=["polite", "rude"])
    assert tone.categories == ("polite", "rude")
    assert tone.validate("rude") == "rude"
    with pytest.raises(InvalidScore, match=r"'Rude' is not one of its categories \('polite', 'rude'\)"):
        tone.validate("Rude")
    with pytest.raises(InvalidScore, match="expected a category string, got 1"):
        tone.validate(1)
    correct = ScoreConfig("correct", ScoreDataType.BOOLEAN)
    assert correct.validate(False) is False
    with pytest.raises(InvalidScore, match="expected true or false, got 1"):
        correct.validate(1)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"data_type": "CATEGORICAL"}, "needs its categories"),
        ({"data_type": "CATEGORICAL", "categories": ["a", "a"]}, "distinct"),
        ({"data_type": "BOOLEAN", "min_value": 0}, "NUMERIC scores only"),
        ({"min_value": 5, "max_value": 1}, "above max_value"),
        ({"categories": ["a"]}, "CATEGORICAL scores only"),
    ],
)
def test_inconsistent_configs_are_refused(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ScoreConfig("s", **kwargs)


def test_value_schema_and_description() -> None:
    assert ScoreConfig("s", min_value=1, max_value=5).value_schema() == {"type": "number", "minimum": 1, "maximum": 5}
    assert ScoreConfig("s", min_value=1, max_value=5).describe() == "a number from 1 to 5"
    categorical = ScoreConfig("s", "CATEGORICAL", categories=["a", "b"])
    assert categorical.value_schema() == {"type": "string", "enum": ["a", "b"]}
    assert ScoreConfig("s", "BOOLEAN").describe() == "true or false"


def test_score_arguments_fit_the_sdks_score_call() -> None:
    usage = CallUsage("gpt-4o-mini", prompt_tokens=10, completion_tokens=3, total_tokens=13)
    result = EvaluationResult("correct", True, ScoreDataType.BOOLEAN, "it is", {"k": 1}, usage=usage)
    arguments = result.score_arguments()
    assert arguments["name"] == "correct" and arguments["value"] is True and arguments["comment"] == "it is"
    assert arguments["metadata"]["k"] == 1 and arguments["metadata"]["evaluator_usage"]["total_tokens"] == 13
    failed = EvaluationResult.failed("correct", ScoreDataType.BOOLEAN, "boom")
    assert not failed.ok and failed.value is None and failed.comment == "evaluation failed: boom"
    with pytest.raises(ValueError, match="no value to score: boom"):
        failed.score_arguments()
