"""The words of a conversation turn, read out of the shapes instrumentations store (query/turn_text.py)."""

from __future__ import annotations

import json

import pytest

from theodolite.query.turn_text import MAX_TEXT_CHARS, answer_text, capped, folded, user_text

SYSTEM = {"role": "system", "content": "You are terse."}


@pytest.mark.parametrize(
    "document, expected",
    [
        ("plain question", "plain question"),
        # OpenAI chat messages: the LAST user message, not the first, nor the system prompt.
        (
            [
                SYSTEM,
                {"role": "user", "content": "first"},
                {"role": "assistant", "content": "a"},
                {"role": "user", "content": "second"},
            ],
            "second",
        ),  # fmt: skip
        # OpenAI content parts, with an image placeholder so nothing looks missing.
        (
            [
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "what is this?"},
                        {"type": "image_url", "image_url": {"url": "data:..."}},
                    ],
                }
            ],
            "what is this?\n\n[image]",
        ),  # fmt: skip
        # Anthropic Messages API request: system apart, content blocks.
        (
            {
                "model": "claude",
                "system": "Be kind.",
                "messages": [{"role": "user", "content": [{"type": "text", "text": "bonjour"}]}],
            },
            "bonjour",
        ),  # fmt: skip
        # Anthropic tool result sent back as the user turn.
        (
            [{"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "42"}]}],
            "[tool result] 42",
        ),  # fmt: skip
        # OpenTelemetry GenAI input messages (parts).
        ([{"role": "user", "parts": [{"type": "text", "content": "otel question"}]}], "otel question"),
        # Gemini contents.
        ({"contents": [{"role": "user", "parts": [{"text": "gemini question"}]}]}, "gemini question"),
        # LangChain pairs and message types; LangGraph state.
        ([["system", "x"], ["human", "pair question"]], "pair question"),
        (
            {"messages": [{"type": "system", "content": "x"}, {"type": "human", "content": "graph question"}]},
            "graph question",
        ),  # fmt: skip
        # One-field documents and the OpenAI Responses API's `input`.
        ({"question": "what is RAG?"}, "what is RAG?"),
        ({"input": "responses api question", "model": "gpt-4.1"}, "responses api question"),
        # JSON sent as text (some exporters stringify messages).
        (json.dumps([{"role": "user", "content": "stringified"}]), "stringified"),
    ],
)
def test_user_text_shapes(document: object, expected: str) -> None:
    assert user_text(document) == expected


@pytest.mark.parametrize(
    "document, expected",
    [
        ("plain answer", "plain answer"),
        ([{"role": "assistant", "content": "chat answer"}], "chat answer"),
        # A full conversation as output: the last assistant message.
        (
            {
                "messages": [
                    {"role": "user", "content": "q"},
                    {"role": "assistant", "content": "old"},
                    {"role": "user", "content": "q2"},
                    {"role": "assistant", "content": "new"},
                ]
            },
            "new",
        ),  # fmt: skip
        # Assistant tool calls (OpenAI) without text.
        (
            [
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [{"type": "function", "function": {"name": "web_search", "arguments": "{}"}}],
                }
            ],
            "[tool call: web_search]",
        ),  # fmt: skip
        # Anthropic response: text and tool_use blocks; thinking is not the answer.
        (
            {
                "role": "assistant",
                "content": [
                    {"type": "thinking", "thinking": "hmm"},
                    {"type": "text", "text": "Sure."},
                    {"type": "tool_use", "name": "lookup", "input": {}},
                ],
            },
            "Sure.\n\n[tool call: lookup]",
        ),  # fmt: skip
        ({"type": "message", "content": [{"type": "text", "text": "typed message"}]}, "typed message"),
        # OpenAI chat completion object.
        (
            {"id": "c1", "choices": [{"index": 0, "message": {"role": "assistant", "content": "completion"}}]},
            "completion",
        ),  # fmt: skip
        # OpenAI Responses API output items.
        (
            {
                "output": [
                    {"type": "reasoning", "summary": []},
                    {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "resp"}]},
                ]
            },
            "resp",
        ),  # fmt: skip
        # OpenTelemetry GenAI output messages.
        (
            [{"role": "assistant", "parts": [{"type": "text", "content": "otel answer"}], "finish_reason": "stop"}],
            "otel answer",
        ),  # fmt: skip
        ([["ai", "pair answer"]], "pair answer"),
        ({"answer": "the answer", "sources": ["a", "b"]}, "the answer"),
        ("[not json", "[not json"),
    ],
)
def test_answer_text_shapes(document: object, expected: str) -> None:
    assert answer_text(document) == expected


@pytest.mark.parametrize(
    "document",
    [
        None,
        {"document_id": "d-1", "pages": [1, 2]},  # no message in it: the caller shows the JSON
        {"document_id": "d-1"},  # a lone string field may be an id, not words
        [SYSTEM],  # only a system prompt: not what the user said
        [1, 2, 3],
        42,
    ],
)
def test_no_shape_is_not_guessed(document: object) -> None:
    assert user_text(document) is None


def test_an_answer_is_not_taken_from_a_user_message_list() -> None:
    assert answer_text([{"role": "user", "content": "q"}, {"role": "tool", "content": "t"}]) is None


def test_text_is_capped() -> None:
    assert capped("short") == ("short", False)
    text, cut = capped("x" * (MAX_TEXT_CHARS + 1))
    assert cut and len(text) == MAX_TEXT_CHARS


def test_json_is_folded_small() -> None:
    document = {"items": list(range(100)), "long": "y" * 5_000, "deep": {"a": {"b": {"c": {"d": {"e": {"f": 1}}}}}}}
    value, cut = folded(document)
    assert cut
    assert len(value["items"]) == 21 and value["items"][-1] == "… 80 more items"
    assert value["long"].startswith("y" * 300) and "4,700 more characters" in value["long"]
    assert len(json.dumps(value)) < 2_000
    assert folded({"a": [1, "b"]}) == ({"a": [1, "b"]}, False)
