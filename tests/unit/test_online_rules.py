"""Online evaluator rules without a server: deterministic sampling, filters, validation, and the
evaluators a rule builds (a judge against a fake OpenAI-compatible API on 127.0.0.1)."""

from __future__ import annotations

import json

import pytest

from tests.support.fake_provider import FakeProvider, Reply
from theodolite.evaluation.online import (
    EVALUATOR_ENVIRONMENT,
    RuleError,
    RuleEvaluator,
    check_rule,
    matches,
    sampled,
)


def test_sampling_is_deterministic_and_near_the_rate() -> None:
    ids = [f"{n:032x}" for n in range(10_000)]
    first = [sampled(7, i, 0.3) for i in ids]
    assert first == [sampled(7, i, 0.3) for i in ids]  # a restart or a sibling decides the same
    assert 2_850 <= sum(first) <= 3_150
    other_rule = [sampled(8, i, 0.3) for i in ids]
    assert other_rule != first  # rules sample independently
    assert all(sampled(7, i, 1.0) for i in ids[:100]) and not any(sampled(7, i, 0.0) for i in ids[:100])
    # a lower rate samples a subset of a higher one: raising the rate only adds objects
    assert all(sampled(7, i, 0.5) for i, kept in zip(ids, first, strict=True) if kept)


def test_filters_match_fields_and_never_evaluator_traffic() -> None:
    item = {"name": "answer-q", "tags": ["prod", "eu"], "environment": "production", "models": {"gpt-4o"},
            "user_id": "u1", "type": "generation"}  # fmt: skip
    assert matches({}, item)
    assert matches({"name_regex": "^answer", "tags": ["prod"], "model": "gpt-4o", "environment": "production"}, item)
    assert not matches({"tags": ["prod", "us"]}, item)
    assert not matches({"model": "gpt-4o-mini"}, item)
    assert not matches({"user_id": "u2"}, item)
    assert matches({"type": "GENERATION"}, item)
    assert not matches({}, {**item, "environment": EVALUATOR_ENVIRONMENT})


@pytest.mark.parametrize(
    ("rule", "named"),
    [
        ({"scope": "page"}, "scope"),
        ({"sampling_rate": 1.01}, "sampling_rate"),
        ({"sampling_rate": True}, "sampling_rate"),
        ({"filter": {"name_regex": "a("}}, "filter.name_regex"),
        ({"filter": {"tags": "prod"}}, "filter.tags"),
        ({"filter": {"type": "generation"}}, "filter.type"),
        ({"evaluator": {"type": "builtin", "name": "nope"}}, "'nope'"),
        ({"evaluator": {"type": "builtin", "name": "regex", "params": {"pattern": "("}}}, "params of regex"),
        ({"evaluator": {"type": "builtin", "name": "contains", "params": {"colour": 1}}}, "params of contains"),
        ({"evaluator": {"type": "magic"}}, "evaluator.type"),
        (
            {
                "evaluator": {
                    "type": "judge",
                    "template": "no variables",
                    "score": {"name": "s"},
                    "provider": {"base_url": "http://x", "model": "m"},
                }
            },
            "template",
        ),  # fmt: skip
        (
            {
                "evaluator": {
                    "type": "judge",
                    "template": "{{answer}}",
                    "score": {"name": "s"},
                    "provider": {"base_url": "http://x", "model": "m"},
                }
            },
            "without a mapping",
        ),  # fmt: skip
        (
            {
                "evaluator": {
                    "type": "judge",
                    "template": "{{output}}",
                    "score": {"name": "s"},
                    "provider": {"base_url": "http://x", "model": "m", "api_key_setting": "k2"},
                }
            },
            "'k2'",
        ),  # fmt: skip
        (
            {
                "evaluator": {
                    "type": "judge",
                    "template": "{{output}}",
                    "score": {"name": "s", "data_type": "CATEGORICAL"},
                    "provider": {"base_url": "http://x", "model": "m"},
                }
            },
            "categories",
        ),  # fmt: skip
    ],
)
def test_a_bad_rule_is_refused_naming_the_problem(rule: dict, named: str) -> None:
    whole = {"scope": "trace", "sampling_rate": 0.5, "filter": {},
             "evaluator": {"type": "builtin", "name": "json_valid"}} | rule  # fmt: skip
    with pytest.raises(RuleError, match=None) as raised:
        check_rule(whole["scope"], whole["sampling_rate"], whole["filter"], whole["evaluator"], {"k1"})
    assert named in str(raised.value)


def test_a_builtin_rule_evaluates_the_output() -> None:
    evaluator = RuleEvaluator({"type": "builtin", "name": "regex", "params": {"pattern": r"\d{4}"}}, {})
    result, call = evaluator.evaluate("in 2026", {"q": "when?"}, {})
    assert (result.name, result.value, call) == ("regex", True, None)
    # a structured output is read as its JSON text by the built-ins that read text
    assert evaluator.evaluate({"year": 2026}, None, {})[0].value is True
    assert RuleEvaluator({"type": "builtin", "name": "json_valid"}, {}).evaluate({"a": 1}, None, {})[0].value is True
    expected = RuleEvaluator({"type": "builtin", "name": "exact_match", "expected_path": "metadata.metadata.gold"}, {})
    assert expected.evaluate("Paris", None, {"metadata": {"gold": "Paris"}})[0].value is True
    missing = expected.evaluate("Paris", None, {"metadata": {}})[0]
    assert missing.value is None and "gold" in missing.error


def test_a_judge_rule_uses_the_key_from_the_settings_and_records_its_call() -> None:
    seen: list[dict] = []

    def answer(body: dict) -> Reply:
        seen.append(body)
        content = json.dumps({"reasoning": "fine", "score": 4})
        return Reply({"model": "gpt-4o-mini", "choices": [{"message": {"content": content}}],
                      "usage": {"prompt_tokens": 30, "completion_tokens": 7}})  # fmt: skip

    with FakeProvider(chat=answer) as fake:
        spec = {"type": "judge", "template": "Rate {{output}} for {{who}}", "mapping": {"who": "metadata.user_id"},
                "score": {"name": "stars", "data_type": "NUMERIC", "min_value": 1, "max_value": 5},
                "provider": {"base_url": fake.url, "model": "gpt-4o-mini", "api_key_setting": "main"}}  # fmt: skip
        result, call = RuleEvaluator(spec, {"main": "sk-secret"}).evaluate("the answer", None, {"user_id": "u9"})
    assert (result.name, result.value, result.comment) == ("stars", 4.0, "fine")
    assert call is not None and call.reply and call.usage.total_tokens == 37
    assert call.messages[-1]["content"] == "Rate the answer for u9"
    assert len(seen) == 1 and seen[0]["model"] == "gpt-4o-mini"
    assert fake.requests and "sk-secret" not in json.dumps(spec)
