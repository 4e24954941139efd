"""The LLM judge against a fake OpenAI-compatible server on 127.0.0.1: structured output, the text
fallback, retries, malformed replies and bounded timeouts; then its verdicts stored through the SDK."""

from __future__ import annotations

import json
import re
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest

import theodolite
from tests.sdk.conftest import fetch_trace
from tests.support.fake_provider import FakeProvider, Reply
from tests.support.server import TheodoliteServer
from theodolite.evaluation import ChatCompletionsProvider, ExactMatch, Judge, ScoreConfig, ScoreDataType

TEMPLATE = "Question: {{question}}\nReference: {{reference}}\nAnswer: {{answer}}\nIs the answer correct?"
MAPPING = {"question": "input.question", "reference": "expected", "answer": "output"}
CORRECT = ScoreConfig("correct", ScoreDataType.BOOLEAN, description="the answer agrees with the reference")
STARS = ScoreConfig("stars", ScoreDataType.NUMERIC, min_value=1, max_value=5)


class FakeJudge:
    """Judges deterministically: correct when the answer contains the reference. The model's name
    picks how the fake API behaves."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []

    def __call__(self, body: dict[str, Any]) -> Reply:
        self.requests.append(body)
        model = body["model"]
        seen = sum(1 for request in self.requests if request["model"] == model)
        prompt = body["messages"][-1]["content"]
        reference = re.search(r"^Reference: (.*)$", prompt, re.M)
        answer = re.search(r"^Answer: (.*)$", prompt, re.M)
        correct = bool(reference and answer and reference.group(1).lower() in answer.group(1).lower())
        judgement = {"reasoning": "the answer states the reference" if correct else "the reference is missing",
                     "score": correct}  # fmt: skip
        if model == "judge-structured":
            if body.get("response_format", {}).get("type") != "json_schema":
                return Reply({"error": {"message": "this fake wants response_format"}}, 422)
            return self.completion(model, json.dumps(judgement), prompt)
        if model == "judge-text":
            if "response_format" in body:
                return Reply({"error": {"message": "response_format is not supported by this model"}}, 400)
            text = f"Let me weigh this.\n```json\n{json.dumps(judgement)}\n```\nThat is my verdict."
            return self.completion(model, text, prompt)
        if model == "judge-json-mode":  # JSON mode, but no structured output
            if body.get("response_format", {}).get("type") == "json_schema":
                return Reply({"error": {"message": "response_format of type json_schema is not supported"}}, 400)
            return self.completion(model, json.dumps(judgement), prompt)
        if model == "judge-flaky" and seen == 1:
            return Reply({"error": {"message": "rate limited"}}, 429, {"Retry-After": "0"})
        if model == "judge-flaky":
            return self.completion(model, json.dumps(judgement), prompt)
        if model == "judge-down":
            return Reply({"error": {"message": "overloaded"}}, 503)
        if model == "judge-malformed":
            return self.completion(model, "The answer looks fine to me, I would say yes.", prompt)
        if model == "judge-stars":
            return self.completion(model, json.dumps({"reasoning": "superb", "score": 7 if seen == 1 else "4"}), prompt)
        if model == "judge-odd":  # a 200 that is no chat completion, usage without a total
            return Reply({"model": model, "choices": [], "usage": {"prompt_tokens": 5, "completion_tokens": 2}})
        if model == "judge-hang":
            return Reply(hang=True)
        return Reply({"error": {"message": "invalid api key"}}, 401)

    @staticmethod
    def completion(model: str, content: str, prompt: str) -> Reply:
        usage = {"prompt_tokens": len(prompt.split()), "completion_tokens": len(content.split())}
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        return Reply({
            "id": "chatcmpl-judge", "object": "chat.completion", "created": 1_763_800_000,
            "model": f"{model}-2026-01-01",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
            "usage": usage,
        })  # fmt: skip


@pytest.fixture
def fake() -> Iterator[tuple[FakeProvider, FakeJudge]]:
    judge = FakeJudge()
    with FakeProvider(chat=judge) as provider:
        yield provider, judge


def provider(server: FakeProvider, model: str, **options: Any) -> ChatCompletionsProvider:
    options = {"backoff_s": 0.01, "max_backoff_s": 0.05, "timeout_s": 5.0, **options}
    return ChatCompletionsProvider(server.url + "/v1", model=model, api_key="sk-judge", **options)


def test_structured_output(fake: tuple[FakeProvider, FakeJudge]) -> None:
    server, calls = fake
    judge = Judge(TEMPLATE, provider(server, "judge-structured"), CORRECT, mapping=MAPPING)
    right = judge("The capital is Paris.", expected="Paris", input={"question": "Capital of France?"})
    wrong = judge("It is Lyon.", expected="Paris", input={"question": "Capital of France?"})
    assert (right.value, right.comment, right.ok) == (True, "the answer states the reference", True)
    assert (wrong.value, wrong.comment) == (False, "the reference is missing")
    assert right.data_type is ScoreDataType.BOOLEAN and right.name == "correct"

    [path, body] = server.requests[0]
    assert path == "/v1/chat/completions"
    format_ = body["response_format"]
    assert format_["type"] == "json_schema" and format_["json_schema"]["strict"] is True
    schema = format_["json_schema"]["schema"]
    assert schema["required"] == ["reasoning", "score"] and schema["properties"]["score"] == {"type": "boolean"}
    system, user = body["messages"]
    assert system["role"] == "system" and "true or false" in system["content"] and "agrees with" in system["content"]
    assert user["content"] == ("Question: Capital of France?\nReference: Paris\nAnswer: The capital is Paris.\n"
                               "Is the answer correct?")  # fmt: skip
    assert body["temperature"] == 0.0 and len(calls.requests) == 2

    usage = right.usage
    assert usage.model == "judge-structured-2026-01-01"  # the model the API says answered
    assert usage.prompt_tokens == len(user["content"].split()) and usage.completion_tokens > 0
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens and usage.attempts == 1
    assert right.score_arguments()["metadata"]["evaluator_usage"]["total_tokens"] == usage.total_tokens


def test_text_with_json_fallback(fake: tuple[FakeProvider, FakeJudge]) -> None:
    server, _ = fake
    api = provider(server, "judge-text")
    judge = Judge(TEMPLATE, api, CORRECT, mapping=MAPPING)
    result = judge("Paris, of course", expected="Paris", input={"question": "Capital?"})
    assert result.value is True and result.usage.attempts == 3  # json_schema refused, json_object too, then plain
    formats = [body.get("response_format", {}).get("type") for _, body in server.requests]
    assert formats == ["json_schema", "json_object", None]
    assert api.structured_output == "none"  # remembered: the next verdict takes one request
    assert judge("Berlin", expected="Paris", input={"question": "Capital?"}).usage.attempts == 1
    assert len(server.requests) == 4


def test_json_mode_when_structured_output_is_refused(fake: tuple[FakeProvider, FakeJudge]) -> None:
    server, _ = fake
    api = provider(server, "judge-json-mode")
    result = Judge(TEMPLATE, api, CORRECT, mapping=MAPPING)("It is Paris", "Paris", {"question": "Capital?"})
    assert result.value is True and result.usage.attempts == 2 and api.structured_output == "json_object"
    assert server.requests[1][1]["response_format"] == {"type": "json_object"}


def test_a_429_is_retried(fake: tuple[FakeProvider, FakeJudge]) -> None:
    server, _ = fake
    judge = Judge(TEMPLATE, provider(server, "judge-flaky"), CORRECT, mapping=MAPPING)
    result = judge("Paris", expected="Paris", input={"question": "Capital?"})
    assert result.ok and result.value is True and result.usage.attempts == 2 and len(server.requests) == 2


def test_5xx_retries_are_bounded(fake: tuple[FakeProvider, FakeJudge]) -> None:
    server, _ = fake
    judge = Judge(TEMPLATE, provider(server, "judge-down", max_attempts=3), CORRECT, mapping=MAPPING)
    result = judge("Paris", expected="Paris", input={"question": "Capital?"})
    assert not result.ok and result.value is None and len(server.requests) == 3
    assert result.error.startswith("judge call failed: gave up after 3 attempts: HTTP 503")
    assert result.usage.attempts == 3 and result.usage.prompt_tokens is None  # nothing was paid for


def test_an_error_that_retrying_cannot_fix_is_not_retried(fake: tuple[FakeProvider, FakeJudge]) -> None:
    server, _ = fake
    result = Judge(TEMPLATE, provider(server, "judge-unknown"), CORRECT, mapping=MAPPING)("x", "y", {"question": "q"})
    assert not result.ok and "HTTP 401" in result.error and "invalid api key" in result.error
    assert len(server.requests) == 1


def test_malformed_output_is_a_clear_error(fake: tuple[FakeProvider, FakeJudge]) -> None:
    server, _ = fake
    judge = Judge(TEMPLATE, provider(server, "judge-malformed"), CORRECT, mapping=MAPPING)
    result = judge("Paris", expected="Paris", input={"question": "Capital?"})
    assert not result.ok and result.value is None
    assert result.error.startswith("unusable judge reply: no JSON object in the reply: 'The answer looks fine")
    assert result.metadata["reply"].startswith("The answer looks fine")
    assert result.usage.completion_tokens == 10  # the reply was paid for: its usage is reported


def test_a_reply_that_is_no_chat_completion(fake: tuple[FakeProvider, FakeJudge]) -> None:
    server, _ = fake
    result = Judge(TEMPLATE, provider(server, "judge-odd"), CORRECT, mapping=MAPPING)("x", "y", {"question": "q"})
    assert not result.ok and result.error == "judge call failed: the API's reply has no choices[0].message"
    assert (result.usage.prompt_tokens, result.usage.completion_tokens, result.usage.total_tokens) == (5, 2, 7)


def test_a_score_outside_the_config_is_an_error_and_text_numbers_are_read(fake: tuple[FakeProvider, FakeJudge]) -> None:
    server, _ = fake
    judge = Judge("Rate: {{output}}", provider(server, "judge-stars"), STARS)
    first = judge("a fine answer")
    assert not first.ok and first.error == "unusable judge reply: score 'stars': 7 is above its maximum 5"
    assert server.requests[0][1]["response_format"]["json_schema"]["schema"]["properties"]["score"] == {
        "type": "number", "minimum": 1, "maximum": 5,
    }  # fmt: skip
    second = judge("a fine answer")
    assert second.ok and second.value == 4.0 and second.comment == "superb"


def test_timeouts_are_bounded(fake: tuple[FakeProvider, FakeJudge]) -> None:
    server, _ = fake
    # the first request times out at 0.8 s; the second gets only what is left of the 1 s budget
    api = provider(server, "judge-hang", timeout_s=0.8, max_attempts=10, max_total_s=1.0)
    judge = Judge(TEMPLATE, api, CORRECT, mapping=MAPPING)
    started = time.monotonic()
    result = judge("Paris", expected="Paris", input={"question": "Capital?"})
    elapsed = time.monotonic() - started
    assert not result.ok and "timed out" in result.error and result.usage.attempts == 2
    assert 0.95 <= elapsed < 1.4, elapsed  # a second full 0.8 s timeout would have ended past 1.6 s
    assert len(server.requests) == 2


def test_an_unreachable_api_fails_within_its_attempts() -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    api = ChatCompletionsProvider(f"http://127.0.0.1:{port}/v1", model="m", max_attempts=2, backoff_s=0.01)
    result = Judge(TEMPLATE, api, CORRECT, mapping=MAPPING)("Paris", "Paris", {"question": "q"})
    assert not result.ok and "gave up after 2 attempts: cannot connect" in result.error


def test_a_path_that_leads_nowhere_is_a_result_not_an_exception(fake: tuple[FakeProvider, FakeJudge]) -> None:
    server, _ = fake
    judge = Judge(TEMPLATE, provider(server, "judge-structured"), CORRECT, mapping=MAPPING)
    result = judge("Paris", expected="Paris", input={"prompt": "Capital?"})
    assert not result.ok and "'input.question': input has no key 'question' (it has 'prompt')" in result.error
    assert server.requests == []  # nothing sent, nothing paid


def test_verdicts_are_stored_as_scores_through_the_sdk(
    fake: tuple[FakeProvider, FakeJudge], traced: TheodoliteServer
) -> None:
    server, _ = fake
    judge = Judge(TEMPLATE, provider(server, "judge-structured"), CORRECT, mapping=MAPPING)
    exact = ExactMatch(case_insensitive=True, strip=True)
    question, answer = {"question": "Capital of France?"}, "paris "
    with theodolite.span("answer", input=question) as span:
        span.update(output=answer)
        for result in (judge(answer, "Paris", question), exact(answer, "Paris")):
            span.score(**result.score_arguments())
    assert theodolite.flush(10)
    scores = {s["name"]: s for s in fetch_trace(traced, span.trace_id)["scores"]}
    assert scores["correct"]["value"] == 1.0 and scores["correct"]["comment"] == "the answer states the reference"
    assert scores["correct"]["metadata"]["evaluator_usage"]["model"] == "judge-structured-2026-01-01"
    assert scores["exact_match"]["value"] == 1.0
