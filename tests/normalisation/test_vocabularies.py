# ruff: noqa: E501  (attribute sets read best as the clients send them, one line per group)
"""Each instrumentation vocabulary, as its client SDK sends it on the wire, to the canonical model.

The attribute sets are the ones the real client SDKs sent to a recording HTTP server (captured
2026-11-22 from the PyPI packages at the versions named in each test); the
spans are made by the real OTel SDK and encoded by the real OTLP encoder. The tests with the
instrumentation packages themselves are in test_instrumentations.py.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

from tests.support.spans import decode_one
from theodolite.model import Level, ObservationType, Usage

SYSTEM = {"role": "system", "content": "You are helpful."}
USER = {"role": "user", "content": "hi"}
ANSWER = {"role": "assistant", "content": "Hello! How can I help?"}


def test_openinference_llm_span() -> None:
    obs, trace = decode_one({
        "openinference.span.kind": "LLM",
        "llm.provider": "openai", "llm.system": "openai",
        "llm.model_name": "gpt-4o-mini-2024-07-18",
        "llm.invocation_parameters": json.dumps({"temperature": 0.2}),
        "llm.input_messages.0.message.role": "system", "llm.input_messages.0.message.content": "You are helpful.",
        "llm.input_messages.1.message.role": "user", "llm.input_messages.1.message.content": "hi",
        "llm.output_messages.0.message.role": "assistant",
        "llm.output_messages.0.message.content": "Hello! How can I help?",
        "llm.token_count.prompt": 12, "llm.token_count.completion": 5, "llm.token_count.total": 17,
        "llm.token_count.prompt_details.cache_read": 2,
        "input.value": json.dumps({"model": "gpt-4o-mini", "messages": [SYSTEM, USER]}),
        "input.mime_type": "application/json",
        "session.id": "s1", "user.id": "u1", "metadata": json.dumps({"agent": "atlas"}), "tag.tags": ["prod"],
    }, name="ChatCompletion")  # fmt: skip
    assert obs.type is ObservationType.GENERATION
    assert (obs.model, obs.request_model, obs.provider) == ("gpt-4o-mini-2024-07-18", None, "openai")
    assert obs.model_parameters == {"temperature": 0.2}
    assert obs.input == [SYSTEM, USER] and obs.output == [ANSWER]
    assert obs.usage == Usage(12, 5, 17, 2, None, None)
    assert (trace.user_id, trace.session_id, trace.tags, trace.metadata) == ("u1", "s1", ["prod"], {"agent": "atlas"})
    # input.value lost to the structured messages: kept verbatim, not dropped
    assert json.loads(obs.attributes["input.value"])["model"] == "gpt-4o-mini"
    assert "input.mime_type" not in obs.attributes


def test_openinference_kinds() -> None:
    kinds = {"CHAIN": "chain", "TOOL": "tool", "RETRIEVER": "retriever", "RERANKER": "retriever",
             "EMBEDDING": "embedding", "AGENT": "agent", "GUARDRAIL": "guardrail", "EVALUATOR": "evaluator",
             "UNKNOWN": "span"}  # fmt: skip
    for kind, expected in kinds.items():
        assert decode_one({"openinference.span.kind": kind})[0].type.value == expected
    tool, _ = decode_one({"openinference.span.kind": "TOOL", "input.value": '{"x": 2}', "output.value": "4"})
    assert (tool.input, tool.output) == ({"x": 2}, "4")


def test_traceloop_current_llm_and_task_spans() -> None:
    llm, trace = decode_one({
        "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o-mini", "gen_ai.request.temperature": 0.2,
        "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
        "gen_ai.input.messages": json.dumps([{"role": "user", "parts": [{"type": "text", "content": "hi"}]}]),
        "gen_ai.usage.input_tokens": 12, "gen_ai.usage.output_tokens": 5, "gen_ai.usage.total_tokens": 17,
        "gen_ai.usage.cache_read.input_tokens": 2, "gen_ai.usage.reasoning_tokens": 0,
        "gen_ai.conversation.id": "s1",
        "traceloop.association.properties.user_id": "u1", "traceloop.association.properties.session_id": "s1",
        "traceloop.association.properties.agent": "atlas", "traceloop.workflow.name": "handle_question",
    }, name="openai.chat")  # fmt: skip
    assert (llm.type, llm.model, llm.request_model, llm.provider) == (
        ObservationType.GENERATION, "gpt-4o-mini-2024-07-18", "gpt-4o-mini", "openai")  # fmt: skip
    assert llm.usage == Usage(12, 5, 17, 2, None, 0) and llm.model_parameters == {"temperature": 0.2}
    assert (trace.user_id, trace.session_id, trace.metadata, trace.name) == ("u1", "s1", {"agent": "atlas"},
                                                                             "handle_question")  # fmt: skip
    task, _ = decode_one({"traceloop.span.kind": "task", "traceloop.entity.name": "search_docs",
                          "traceloop.entity.input": json.dumps({"args": ["hi"], "kwargs": {}}),
                          "traceloop.entity.output": json.dumps(["doc-1"])}, name="search_docs.task")  # fmt: skip
    assert (task.type, task.name, task.input, task.output) == (
        ObservationType.SPAN, "search_docs", {"args": ["hi"], "kwargs": {}}, ["doc-1"])  # fmt: skip
    assert decode_one({"traceloop.span.kind": "workflow"})[0].type is ObservationType.CHAIN
    assert decode_one({"traceloop.span.kind": "tool"})[0].type is ObservationType.TOOL


def test_traceloop_legacy_llm_span() -> None:
    obs, _ = decode_one({
        "llm.request.type": "chat", "gen_ai.system": "OpenAI", "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.prompt.0.role": "system", "gen_ai.prompt.0.content": "You are helpful.",
        "gen_ai.prompt.1.role": "user", "gen_ai.prompt.1.content": "hi",
        "gen_ai.completion.0.role": "assistant", "gen_ai.completion.0.content": "Hello! How can I help?",
        "gen_ai.completion.0.finish_reason": "stop",
        "gen_ai.usage.prompt_tokens": 12, "gen_ai.usage.completion_tokens": 5, "llm.usage.total_tokens": 17,
        "gen_ai.usage.cache_read_input_tokens": 2, "llm.headers": "None",
    }, name="openai.chat")  # fmt: skip
    assert (obs.type, obs.provider, obs.model) == (ObservationType.GENERATION, "openai", "gpt-4o-mini")
    assert obs.input == [SYSTEM, USER]
    assert obs.output == [{**ANSWER, "finish_reason": "stop"}]
    assert obs.usage == Usage(12, 5, 17, 2, None, None)


def test_openlit_llm_span_keeps_its_reported_cost() -> None:
    obs, _ = decode_one({
        "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.response.model": "gpt-4o-mini-2024-07-18", "gen_ai.request.seed": 7,
        "gen_ai.usage.input_tokens": 12, "gen_ai.usage.output_tokens": 5,
        "gen_ai.usage.cache_read.input_tokens": 2, "gen_ai.usage.cache_creation.input_tokens": 0,
        "gen_ai.client.token.usage": 17, "gen_ai.usage.cost": 4.8e-06,
        "gen_ai.system_instructions": json.dumps([{"type": "text", "content": "You are helpful."}]),
        "gen_ai.input.messages": json.dumps([{"role": "user", "parts": [{"type": "text", "content": "hi"}]}]),
        "gen_ai.server.time_to_first_token": 0.25,
    }, name="chat gpt-4o-mini")  # fmt: skip
    assert obs.usage == Usage(12, 5, 17, 2, 0, None)
    assert obs.cost.reported_total == Decimal("0.0000048")
    assert obs.input["system_instructions"] == [{"type": "text", "content": "You are helpful."}]
    assert (obs.completion_start_time - obs.start_time).total_seconds() == 0.25
    assert obs.model_parameters == {"seed": 7}


def test_langfuse_v5_generation() -> None:
    usage = {
        "prompt_tokens": 12,
        "completion_tokens": 5,
        "total_tokens": 17,
        "prompt_tokens_details": {"cached_tokens": 2},
    }
    obs, trace = decode_one({
        "langfuse.observation.type": "generation",
        "langfuse.observation.model.name": "gpt-4o-mini-2024-07-18",
        "langfuse.observation.model.parameters": json.dumps({"temperature": 0.2, "max_tokens": "Infinity"}),
        "langfuse.observation.usage_details": json.dumps(usage),
        "langfuse.observation.cost_details": json.dumps({"input": 0.0001, "output": 0.0002}),
        "langfuse.observation.completion_start_time": json.dumps("2026-11-22T10:00:00.250000Z"),
        "langfuse.observation.input": json.dumps([SYSTEM, USER]),
        "langfuse.observation.output": json.dumps(ANSWER),
        "langfuse.observation.metadata.step": json.dumps("answer"),
        "langfuse.observation.level": "WARNING", "langfuse.observation.status_message": "slow",
        "langfuse.trace.metadata.agent": json.dumps("atlas"), "langfuse.trace.name": "handle_question",
        "langfuse.trace.tags": ["prod"], "user.id": "u1", "session.id": "s1", "langfuse.version": "v7",
        "langfuse.environment": "staging", "langfuse.release": "rel-42", "langfuse.internal.is_app_root": True,
    })  # fmt: skip
    assert (obs.type, obs.model, obs.level, obs.status_message) == (
        ObservationType.GENERATION, "gpt-4o-mini-2024-07-18", Level.WARNING, "slow")  # fmt: skip
    assert obs.model_parameters == {"temperature": 0.2, "max_tokens": "Infinity"}
    assert obs.usage == Usage(12, 5, 17, 2, None, None)
    assert (obs.cost.reported_input, obs.cost.reported_output, obs.cost.reported_total) == (
        Decimal("0.0001"), Decimal("0.0002"), Decimal("0.0003"))  # fmt: skip
    assert obs.completion_start_time == datetime(2026, 11, 22, 10, 0, 0, 250000, tzinfo=UTC)
    assert (obs.input, obs.output, obs.metadata, obs.version) == ([SYSTEM, USER], ANSWER, {"step": "answer"}, "v7")
    assert (trace.name, trace.tags, trace.metadata["agent"]) == ("handle_question", ["prod"], "atlas")
    assert (trace.user_id, trace.session_id, trace.environment, trace.release) == ("u1", "s1", "staging", "rel-42")
    assert "langfuse.internal.is_app_root" not in (obs.attributes or {})


def test_langfuse_v3_raw_metadata_and_anthropic_usage() -> None:
    obs, trace = decode_one({
        "langfuse.observation.type": "generation", "langfuse.observation.model.name": "claude-3-5-sonnet-20241022",
        "langfuse.trace.metadata.agent": "atlas",  # v3: raw, not JSON-encoded
        # Anthropic's own usage: input_tokens excludes the cache
        "langfuse.observation.usage_details": json.dumps(
            {"input": 100, "output": 20, "cache_read_input_tokens": 5000, "cache_creation_input_tokens": 1000}),
    })  # fmt: skip
    assert trace.metadata == {"agent": "atlas"}
    assert obs.usage == Usage(6100, 20, 6120, 5000, 1000, None)
    small, _ = decode_one({"langfuse.observation.type": "generation", "langfuse.observation.model.name": "claude",
                           "langfuse.observation.usage_details": json.dumps(
                               {"input_tokens": 9000, "output_tokens": 20, "cache_read_input_tokens": 2000})})  # fmt: skip
    assert small.usage.input_tokens == 11000  # the Anthropic names say the cache is outside, even when smaller


def test_langsmith_otel_spans() -> None:
    llm, trace = decode_one({
        "langsmith.span.kind": "llm", "gen_ai.operation.name": "chat", "gen_ai.system": "openai",
        "gen_ai.request.model": "gpt-4o-mini", "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
        "gen_ai.prompt": json.dumps({"messages": [SYSTEM, USER]}),
        "gen_ai.completion": json.dumps({"choices": [{"message": ANSWER}]}),
        "gen_ai.usage.input_tokens": 12, "gen_ai.usage.output_tokens": 5, "gen_ai.usage.total_tokens": 17,
        "gen_ai.usage.input_token_details": "{'cache_read': 2}",
        "langsmith.metadata.user_id": "u1", "langsmith.metadata.session_id": "s1",
        "langsmith.metadata.agent": "atlas", "langsmith.metadata.ls_temperature": 0.2,
        "langsmith.span.tags": "prod, beta", "langsmith.trace.name": "handle_question",
    }, resource={"service.name": "langsmith"})  # fmt: skip
    assert (llm.type, llm.provider, llm.model) == (ObservationType.GENERATION, "openai", "gpt-4o-mini-2024-07-18")
    assert llm.usage == Usage(12, 5, 17, 2, None, None)
    assert llm.input == {"messages": [SYSTEM, USER]} and llm.output["choices"][0]["message"] == ANSWER
    assert llm.model_parameters == {"temperature": 0.2}
    assert (trace.user_id, trace.session_id, trace.tags, trace.name) == ("u1", "s1", ["prod", "beta"],
                                                                         "handle_question")  # fmt: skip
    assert trace.metadata == {"agent": "atlas", "service": "langsmith"}
    retriever, _ = decode_one({"langsmith.span.kind": "retriever", "gen_ai.operation.name": "embeddings"})
    assert retriever.type is ObservationType.RETRIEVER  # the vendor's kind beats its loose operation name


def test_when_vocabularies_disagree_the_documented_order_wins() -> None:
    obs, trace = decode_one({
        "theodolite.observation.type": "agent", "gen_ai.operation.name": "chat",   # 1 beats 3
        "gen_ai.usage.input_tokens": 10, "llm.token_count.prompt": 99,               # 3 beats 4
        "gen_ai.usage.prompt_tokens": 98,                                            # ... and 7
        "gen_ai.provider.name": "anthropic", "gen_ai.system": "aws.bedrock",         # 3 beats 7
        "langfuse.observation.model.name": "lf-model", "gen_ai.response.model": "otel-model",  # 2 beats 3
        "user.id": "otel-user", "traceloop.association.properties.user_id": "tl-user",  # 3 beats 5
        "langfuse.observation.input": '"lf input"', "input.value": "oi input",     # 2 beats 4
    })  # fmt: skip
    assert obs.type is ObservationType.AGENT
    assert obs.usage.input_tokens == 10 and obs.provider == "anthropic" and obs.model == "lf-model"
    assert trace.user_id == "otel-user" and obs.input == "lf input"
    # the losers are kept, verbatim
    for key in (
        "gen_ai.operation.name",
        "llm.token_count.prompt",
        "gen_ai.usage.prompt_tokens",
        "gen_ai.system",
        "gen_ai.response.model",
        "input.value",
    ):
        assert key in obs.attributes, key


def test_values_encoded_twice_or_as_python_reprs_are_decoded() -> None:
    obs, trace = decode_one({
        "langfuse.trace.metadata.agent": json.dumps(json.dumps("atlas")),
        "langfuse.trace.metadata.limits": json.dumps(json.dumps({"max": 3})),
        "theodolite.observation.input": "{'question': 'hi', 'n': 2}",
        "theodolite.observation.output": "not {json",
    })  # fmt: skip
    assert trace.metadata == {"agent": "atlas", "limits": {"max": 3}}
    assert obs.input == {"question": "hi", "n": 2} and obs.output == "not {json"
