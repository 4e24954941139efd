# ruff: noqa: E501  (attribute sets read best as the clients send them, one line per group)
"""Facts that depend on more than an attribute's key: the span's place in the trace, the SDK
that made it, the name of a metadata key. The attribute sets, scopes and resources are the ones
langfuse 5.0.4 / 3.15.0, langsmith 0.15.0 (OTel mode) and openlit 1.45.0 sent to a recording
server; the spans are made by the real OTel SDK and encoded by the real OTLP encoder.
"""

from __future__ import annotations

import json

from tests.support.spans import decode_one, decode_tree
from theodolite.model import ObservationType, Usage, merge_trace

SYSTEM = {"role": "system", "content": "You are helpful."}
USER = {"role": "user", "content": "hi"}
ANSWER = {"role": "assistant", "content": "Hello! How can I help?"}
LANGFUSE = {
    "scope": "langfuse-sdk",
    "resource": {"service.name": "unknown_service:python", "langfuse.environment": "staging"},
}
LANGSMITH = {"scope": "langsmith", "resource": {"service.name": "langsmith", "langsmith.internal_provider": True}}


def langfuse_generation(model: str, **extra: object) -> dict[str, object]:
    return {"langfuse.observation.type": "generation", "langfuse.observation.model.name": model,
            "langfuse.observation.usage_details": json.dumps({"prompt_tokens": 12, "completion_tokens": 5}),
            **extra}  # fmt: skip


def test_langfuse_provider_comes_from_the_observation_metadata_v5_encoded_and_v3_raw() -> None:
    spans = decode_tree(("handle_question", {"langfuse.observation.type": "span"}), [
        ("v5", langfuse_generation("my-gateway-model", **{"langfuse.observation.metadata.provider": json.dumps("openai")})),
        ("v3", langfuse_generation("my-gateway-model", **{"langfuse.observation.metadata.ls_provider": "Anthropic"})),
        ("other key", langfuse_generation("my-gateway-model", **{"langfuse.observation.metadata.model_provider": "mistral"})),
        ("metadata wins", langfuse_generation("gpt-4o-mini-2024-07-18", **{"langfuse.observation.metadata.provider": "azure"})),
    ], **LANGFUSE)  # fmt: skip
    providers = {name: obs.provider for name, (obs, _) in spans.items()}
    assert providers == {"handle_question": None, "v5": "openai", "v3": "anthropic", "other key": "mistral",
                         "metadata wins": "azure"}  # fmt: skip
    assert spans["v5"][0].metadata == {"provider": "openai"}  # still the user's metadata too


def test_langfuse_provider_without_metadata_is_the_price_table_s_for_a_known_model_else_none() -> None:
    spans = decode_tree(("handle_question", {"langfuse.observation.type": "span"}), [
        ("openai-auto", langfuse_generation("gpt-4o-mini-2024-07-18")),
        ("claude", langfuse_generation("claude-3-5-sonnet-20241022")),
        ("private", langfuse_generation("acme-internal-llm-7")),
        ("search_docs", {"langfuse.observation.type": "retriever"}),
    ], **LANGFUSE)  # fmt: skip
    providers = {name: obs.provider for name, (obs, _) in spans.items()}
    assert providers == {"handle_question": None, "openai-auto": "openai", "claude": "anthropic", "private": None,
                         "search_docs": None}  # fmt: skip
    # Only Langfuse spans are guessed for: other vocabularies name their provider on the wire.
    other, _ = decode_one({"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o-mini"})
    assert other.provider is None


def test_langfuse_v3_trace_io_is_the_root_observation_s_io_and_stays_an_attribute_elsewhere() -> None:
    trace_input, trace_output = {"question": "hi"}, {"answer": "Hello! How can I help?"}
    spans = decode_tree(("handle_question", {
        "langfuse.observation.type": "span",
        "langfuse.observation.input": json.dumps({"args": ["hi"], "kwargs": {}}),
        "langfuse.observation.output": json.dumps("Hello! How can I help?"),
        "langfuse.trace.input": json.dumps(trace_input), "langfuse.trace.output": json.dumps(trace_output),
        "langfuse.trace.name": "handle_question", "user.id": "u1", "session.id": "s1",
    }), [
        ("tool", {"langfuse.observation.type": "tool", "langfuse.observation.input": json.dumps({"x": 2}),
                  "langfuse.trace.input": json.dumps({"set": "in a child"})}),
    ], **LANGFUSE)  # fmt: skip
    root, root_trace = spans["handle_question"]
    assert (root.input, root.output) == (trace_input, trace_output)
    # the observation's own I/O lost to the trace's: kept, verbatim, like every losing value
    assert json.loads(root.attributes["langfuse.observation.input"]) == {"args": ["hi"], "kwargs": {}}
    assert not {"langfuse.trace.input", "langfuse.trace.output"} & set(root.attributes)
    assert (root_trace.user_id, root_trace.session_id) == ("u1", "s1")
    tool, _ = spans["tool"]
    assert tool.input == {"x": 2}
    assert json.loads(tool.attributes["langfuse.trace.input"]) == {"set": "in a child"}


def langsmith_run(kind: str, name: str, **extra: object) -> dict[str, object]:
    """What langsmith 0.15's OTel exporter sets on every run's span (`_set_span_attributes`)."""
    return {"langsmith.span.kind": kind, "langsmith.trace.name": name, "langsmith.trace.session_name": "theodolite-test",
            "gen_ai.operation.name": {"llm": "chat", "tool": "execute_tool", "retriever": "embeddings"}.get(kind, kind),
            "gen_ai.system": "openai" if kind == "llm" else "langchain",
            "langsmith.metadata.agent": "atlas", "langsmith.metadata.user_id": "u1", "langsmith.metadata.session_id": "s1",
            "langsmith.metadata.ls_method": "traceable", "langsmith.metadata.revision_id": "v1.2-3-gabcdef",
            "langsmith.metadata.LANGSMITH_PROJECT": "theodolite-test", "langsmith.metadata.LANGSMITH_OTEL_ENABLED": "true",
            "langsmith.metadata.LANGCHAIN_CALLBACKS_BACKGROUND": "false", **extra}  # fmt: skip


LANGSMITH_LLM = langsmith_run(
    "llm", "ChatOpenAI", **{
        "gen_ai.request.model": "gpt-4o-mini", "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
        "langsmith.metadata.ls_provider": "azure", "langsmith.metadata.ls_model_name": "gpt-4o-mini",
        "langsmith.metadata.ls_model_type": "chat", "langsmith.metadata.ls_temperature": 0.2,
        "langsmith.metadata.usage_metadata": json.dumps({"input_tokens": 12, "output_tokens": 5, "total_tokens": 17,
                                                         "input_token_details": {"cache_read": 2}}),
        "gen_ai.prompt": json.dumps({"messages": [SYSTEM, USER]}),
        "gen_ai.completion": json.dumps({"choices": [{"message": ANSWER}]}),
        "gen_ai.usage.input_tokens": 12, "gen_ai.usage.output_tokens": 5, "gen_ai.usage.total_tokens": 17,
        "gen_ai.usage.input_token_details": "{'cache_read': 2}",
    })  # fmt: skip


def test_langsmith_run_facts_stay_on_the_span_and_user_metadata_goes_to_the_trace() -> None:
    spans = decode_tree(("handle_question", langsmith_run("chain", "handle_question")), [
        ("search_docs", langsmith_run("retriever", "search_docs")),
        ("ChatOpenAI", LANGSMITH_LLM),
    ], **LANGSMITH)  # fmt: skip
    for name, (obs, trace) in spans.items():
        assert trace.metadata == {"agent": "atlas", "service": "langsmith"}, name
        assert (trace.user_id, trace.session_id) == ("u1", "s1"), name
        for key in (
            "ls_method",
            "revision_id",
            "LANGSMITH_PROJECT",
            "LANGSMITH_OTEL_ENABLED",
            "LANGCHAIN_CALLBACKS_BACKGROUND",
        ):
            assert f"langsmith.metadata.{key}" in obs.attributes, (name, key)
    llm, _ = spans["ChatOpenAI"]
    assert (llm.type, llm.provider, llm.model) == (ObservationType.GENERATION, "azure", "gpt-4o-mini-2024-07-18")
    assert llm.usage == Usage(12, 5, 17, 2, None, None)
    assert llm.model_parameters == {"temperature": 0.2}
    assert json.loads(llm.attributes["langsmith.metadata.usage_metadata"])["total_tokens"] == 17
    assert llm.attributes["langsmith.metadata.ls_model_type"] == "chat"
    assert llm.attributes["gen_ai.system"] == "openai"  # lost to ls_provider, kept
    # `langchain` is the framework, not a provider: the chain and retriever runs have none
    for name in ("handle_question", "search_docs"):
        obs, _ = spans[name]
        assert obs.provider is None and obs.attributes["gen_ai.system"] == "langchain", name


def test_langsmith_root_run_names_the_trace_whatever_order_the_spans_arrive_in() -> None:
    spans = decode_tree(("handle_question", langsmith_run("chain", "handle_question")), [
        ("search_docs", langsmith_run("retriever", "search_docs")),
        ("ChatOpenAI", langsmith_run("llm", "ChatOpenAI")),
    ], **LANGSMITH)  # fmt: skip
    root = spans["handle_question"][1]
    children = [spans["search_docs"][1], spans["ChatOpenAI"][1]]
    assert root.name == "handle_question" and root.is_root_seen
    assert not any(child.is_root_seen for child in children)
    for first in (root, *children):
        merged = first
        for part in (root, *children):
            if part is not first:
                merged = merge_trace(merged, part)
        assert merged.name == "handle_question", first.name
    # a run name equal to the span's name says nothing more: not kept twice
    assert "langsmith.trace.name" not in spans["search_docs"][0].attributes


def test_tool_call_arguments_and_results_are_the_tool_s_input_and_output() -> None:
    tool, _ = decode_one({
        "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "calculator", "gen_ai.tool.call.id": "call_1",
        "gen_ai.tool.call.arguments": json.dumps({"expression": "2+2"}), "gen_ai.tool.call.result": json.dumps({"value": 4}),
    }, name="execute_tool calculator")  # fmt: skip
    assert (tool.type, tool.input, tool.output) == (ObservationType.TOOL, {"expression": "2+2"}, {"value": 4})
    assert tool.attributes["gen_ai.tool.name"] == "calculator"
    plain, _ = decode_one({"gen_ai.operation.name": "execute_tool", "gen_ai.tool.call.result": "4"})
    assert plain.output == "4"


def test_retrieval_documents_are_the_retriever_s_output() -> None:
    documents = [{"id": "doc-1", "score": 0.9, "content": "Theodolite stores traces."}]
    genai, _ = decode_one({"gen_ai.operation.name": "retrieval", "gen_ai.retrieval.query.text": "hi",
                           "gen_ai.retrieval.documents": json.dumps(documents)})  # fmt: skip
    assert (genai.type, genai.output) == (ObservationType.RETRIEVER, documents)
    openinference, _ = decode_one({
        "openinference.span.kind": "RETRIEVER", "input.value": "hi",
        "retrieval.documents.0.document.id": "doc-1", "retrieval.documents.0.document.score": 0.9,
        "retrieval.documents.0.document.content": "Theodolite stores traces.",
        "retrieval.documents.1.document.id": "doc-2", "retrieval.documents.1.document.content": "It prices calls.",
        "retrieval.documents.1.document.metadata": json.dumps({"source": "README"}),
    })  # fmt: skip
    assert openinference.input == "hi"
    assert openinference.output == [
        documents[0], {"id": "doc-2", "content": "It prices calls.", "metadata": {"source": "README"}},
    ]  # fmt: skip
    assert not any(key.startswith("retrieval.") for key in openinference.attributes)


OPENLIT_RESOURCE = {"telemetry.sdk.name": "openlit", "service.name": "atlas-app", "deployment.environment": "staging"}


def test_openlit_custom_agent_and_tags_are_trace_metadata_and_tags() -> None:
    spans = decode_tree(("handle_question", {"agent": "atlas", "tags": ["prod", "beta"]}), [
        ("chat gpt-4o-mini", {"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "agent": "atlas",
                              "tags": "prod", "user.id": "u1", "session.id": "s1", "telemetry.sdk.name": "openlit"}),
    ], scope="openlit.otel.tracing", resource=OPENLIT_RESOURCE)  # fmt: skip
    root, root_trace = spans["handle_question"]
    assert root_trace.metadata == {"agent": "atlas", "service": "atlas-app"}
    assert root_trace.tags == ["prod", "beta"]
    llm, llm_trace = spans["chat gpt-4o-mini"]
    assert (llm_trace.tags, llm_trace.metadata["agent"]) == (["prod"], "atlas")
    assert not {"agent", "tags"} & (set(root.attributes) | set(llm.attributes))
    # the standard key wins; a different bare value is kept, verbatim
    _, standard = decode_one({"gen_ai.agent.name": "planner", "agent": "atlas"}, resource=OPENLIT_RESOURCE)
    assert standard.metadata["agent"] == "planner"
    # Another SDK's bare `agent` and `tags` mean whatever that app meant: left alone.
    other, other_trace = decode_one({"agent": "atlas", "tags": "prod"}, resource={"service.name": "app"})
    assert (other.attributes["agent"], other.attributes["tags"], other_trace.tags) == ("atlas", "prod", [])
