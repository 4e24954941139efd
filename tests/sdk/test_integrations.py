"""observe_openai / observe_anthropic on the real clients, answered by a fake provider over HTTP,
exported to a real server: the stored generation, field by field."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal

import anthropic
import openai
import pytest

import theodolite
from tests.sdk.conftest import fetch_trace, walk
from tests.support.fake_provider import ANSWER, FakeProvider
from tests.support.server import SECRET_KEY, TheodoliteServer
from theodolite.integrations.anthropic import observe_anthropic
from theodolite.integrations.openai import observe_openai

MESSAGES = [{"role": "system", "content": "You are helpful."}, {"role": "user", "content": "hi"}]


@pytest.fixture(scope="module")
def provider() -> Iterator[FakeProvider]:
    with FakeProvider() as fake:
        yield fake


@pytest.fixture
def traced(sdk_server: TheodoliteServer) -> Iterator[TheodoliteServer]:
    theodolite.configure(endpoint=sdk_server.base_url, api_key=SECRET_KEY, strict=True, flush_interval_s=0.1)
    yield sdk_server
    theodolite.shutdown(10)


def generations(server: TheodoliteServer, trace_id: str) -> list[dict]:
    assert theodolite.flush(10)
    nodes = [node for node in walk(fetch_trace(server, trace_id)["observations"]) if node["type"] == "generation"]
    assert all(node["parent_observation_id"] for node in nodes)
    return nodes


def openai_clients(url: str) -> tuple[openai.OpenAI, openai.AsyncOpenAI]:
    kwargs = {"base_url": f"{url}/v1", "api_key": "sk-fake", "max_retries": 0}
    return observe_openai(openai.OpenAI(**kwargs)), observe_openai(openai.AsyncOpenAI(**kwargs))


def assert_chat(node: dict, *, streamed: bool = False) -> None:
    assert (node["name"], node["provider"], node["request_model"], node["model"]) == (
        "openai.chat", "openai", "gpt-4o-mini", "gpt-4o-mini-2024-07-18")  # fmt: skip
    assert (node["prompt_tokens"], node["completion_tokens"], node["total_tokens"], node["cache_read_tokens"]) == (
        12, 5, 17, 2)  # fmt: skip
    assert node["input"] == MESSAGES and node["model_parameters"] == {"temperature": 0.2}
    assert node["output"]["content"] == ANSWER
    assert Decimal(str(node["calculated_total_cost"])) == Decimal("0.00000465")
    if streamed:  # time to first token: after the start, no later than the end
        first = datetime.fromisoformat(node["completion_start_time"])
        assert datetime.fromisoformat(node["start_time"]) <= first <= datetime.fromisoformat(node["end_time"])


def test_openai_chat_sync_async_and_streamed(traced: TheodoliteServer, provider: FakeProvider) -> None:
    sync, async_client = openai_clients(provider.url)
    request = {"model": "gpt-4o-mini", "messages": MESSAGES, "temperature": 0.2}
    streamed = {**request, "stream": True, "stream_options": {"include_usage": True}}

    async def async_calls() -> str:  # one event loop for the async client's connections
        await async_client.chat.completions.create(**request)
        events = await async_client.chat.completions.create(**streamed)
        return "".join([c.choices[0].delta.content or "" async for c in events if c.choices])

    with theodolite.span("root") as root:
        sync.chat.completions.create(**request)
        stream = sync.chat.completions.create(**streamed)
        pieces = [chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices]
        assert asyncio.run(async_calls()) == ANSWER
    assert "".join(pieces) == ANSWER
    nodes = sorted(generations(traced, root.trace_id), key=lambda node: node["start_time"])
    assert len(nodes) == 4
    for node, streamed_call in zip(nodes, (False, True, False, True), strict=True):
        assert_chat(node, streamed=streamed_call)


def test_openai_responses_api(traced: TheodoliteServer, provider: FakeProvider) -> None:
    sync, _ = openai_clients(provider.url)
    with theodolite.span("root") as root:
        result = sync.responses.create(model="gpt-4o-mini", input="hi", instructions="Be brief.")
        events = list(sync.responses.create(model="gpt-4o-mini", input="hi", stream=True))
    assert result.output_text == ANSWER and events[-1].type == "response.completed"
    nodes = generations(traced, root.trace_id)
    assert len(nodes) == 2
    for node in nodes:
        assert (node["name"], node["model"]) == ("openai.responses", "gpt-4o-mini-2024-07-18")
        assert (node["prompt_tokens"], node["completion_tokens"], node["cache_read_tokens"],
                node["reasoning_tokens"]) == (30, 12, 10, 4)  # fmt: skip
        assert node["output"]["content"] == ANSWER
    assert nodes[0]["input"] == {"instructions": "Be brief.", "input": "hi"}
    assert nodes[1]["completion_start_time"] is not None


def test_a_failed_call_is_an_error_generation_and_the_error_reaches_the_caller(
    traced: TheodoliteServer, provider: FakeProvider
) -> None:
    sync, _ = openai_clients(provider.url)
    with theodolite.span("root") as root, pytest.raises(openai.InternalServerError):
        sync.chat.completions.create(model="boom", messages=MESSAGES)
    [node] = generations(traced, root.trace_id)
    assert node["level"] == "ERROR" and "InternalServerError" in node["status_message"]


def test_anthropic_messages_with_cache_tokens(traced: TheodoliteServer, provider: FakeProvider) -> None:
    kwargs = {"base_url": provider.url, "api_key": "sk-fake", "max_retries": 0}
    sync = observe_anthropic(anthropic.Anthropic(**kwargs))
    async_client = observe_anthropic(anthropic.AsyncAnthropic(**kwargs))
    request = {"model": "claude-3-5-sonnet-20241022", "max_tokens": 100, "system": "You are helpful.",
               "messages": [{"role": "user", "content": "hi"}]}  # fmt: skip

    async def async_calls() -> int:  # one event loop for the async client's connections
        await async_client.messages.create(**request)
        return len([event async for event in await async_client.messages.create(**request, stream=True)])

    with theodolite.span("root") as root:
        sync.messages.create(**request)
        events = sync.messages.create(**request, stream=True)
        text = "".join(event.delta.text for event in events if event.type == "content_block_delta")
        assert asyncio.run(async_calls()) > 0
    assert text == ANSWER
    nodes = sorted(generations(traced, root.trace_id), key=lambda node: node["start_time"])
    assert len(nodes) == 4
    for node in nodes:
        assert (node["provider"], node["model"], node["model_parameters"]) == (
            "anthropic", "claude-3-5-sonnet-20241022", {"max_tokens": 100})  # fmt: skip
        # Anthropic's 100 input tokens exclude 5,000 cache reads and 1,000 cache writes
        assert (node["prompt_tokens"], node["completion_tokens"], node["cache_read_tokens"],
                node["cache_write_tokens"]) == (6100, 20, 5000, 1000)  # fmt: skip
        assert Decimal(str(node["calculated_total_cost"])) == Decimal("0.00585")
        assert node["input"]["system"] == "You are helpful."
        assert ANSWER in str(node["output"])
    assert nodes[1]["completion_start_time"] is not None and nodes[3]["completion_start_time"] is not None
