"""A LangChain callback handler: chains, chat models and LLMs, tools and retrievers become one
trace of observations, nested as LangChain ran them.

    from theodolite.integrations.langchain import TheodoliteCallbackHandler
    chain.invoke(question, config={"callbacks": [TheodoliteCallbackHandler()]})

Runs with no LangChain parent hang under the current Theodolite observation, if there is one.
"""

from __future__ import annotations

import json
import threading
from typing import Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler

from theodolite.sdk.client import get_client
from theodolite.sdk.records import SpanRecord, new_span_id
from theodolite.sdk.tracing import end_record, fail_record, start_record

PARAMETERS = ("temperature", "max_tokens", "max_completion_tokens", "top_p", "top_k", "seed", "stop")


class TheodoliteCallbackHandler(BaseCallbackHandler):
    """Records LangChain runs as Theodolite observations. Never raises into the chain."""

    raise_error = False
    run_inline = True  # keep callbacks in the caller's context, so the current span is the parent

    def __init__(self, *, user_id: str | None = None, session_id: str | None = None, tags: list[str] | None = None):
        self._runs: dict[UUID, SpanRecord] = {}
        self._lock = threading.Lock()
        self._trace_fields = {"user.id": user_id, "session.id": session_id, "theodolite.trace.tags": tags}

    # --- opening and closing runs --------------------------------------------------------------
    def _open(self, run_id: UUID, parent_run_id: UUID | None, name: str, kind: str, input_value: Any,
              metadata: dict[str, Any] | None = None) -> SpanRecord | None:  # fmt: skip
        client = get_client()
        if not client.enabled:
            return None
        try:
            with self._lock:
                parent = self._runs.get(parent_run_id) if parent_run_id else None
            if parent is not None:
                record = SpanRecord(parent.trace_id, new_span_id(), parent.span_id, name, kind, parent.sampled)
            else:
                record = start_record(client, name, kind)  # under the current span, or a new trace
                record.attributes.update({k: v for k, v in self._trace_fields.items() if v})
            if client.config.capture_input:
                record.input, record.has_input = input_value, True
            for key, value in (metadata or {}).items():
                if not key.startswith("ls_") and isinstance(value, (str, int, float, bool)):
                    record.attributes[f"theodolite.metadata.{key}"] = value
            with self._lock:
                self._runs[run_id] = record
            return record
        except Exception:  # noqa: BLE001
            client.sdk_error("langchain callback")
            return None

    def _close(self, run_id: UUID, output: Any = None, error: BaseException | None = None) -> None:
        client = get_client()
        with self._lock:
            record = self._runs.pop(run_id, None)
        if record is None:
            return
        try:
            if error is not None:
                fail_record(record, error)
            elif output is not None and client.config.capture_output:
                record.output, record.has_output = output, True
            end_record(client, record)
        except Exception:  # noqa: BLE001
            client.sdk_error("langchain callback")

    # --- chains, tools, retrievers ---------------------------------------------------------------
    def on_chain_start(self, serialized: dict[str, Any] | None, inputs: Any, *, run_id: UUID,
                       parent_run_id: UUID | None = None, metadata: dict[str, Any] | None = None,
                       **kwargs: Any) -> None:  # fmt: skip
        self._open(run_id, parent_run_id, kwargs.get("name") or _name(serialized, "chain"), "chain", inputs, metadata)

    def on_chain_end(self, outputs: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self._close(run_id, outputs)

    def on_chain_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._close(run_id, error=error)

    def on_tool_start(self, serialized: dict[str, Any] | None, input_str: str, *, run_id: UUID,
                      parent_run_id: UUID | None = None, metadata: dict[str, Any] | None = None,
                      inputs: dict[str, Any] | None = None, **kwargs: Any) -> None:  # fmt: skip
        self._open(run_id, parent_run_id, kwargs.get("name") or _name(serialized, "tool"), "tool",
                   inputs if inputs is not None else input_str, metadata)  # fmt: skip

    def on_tool_end(self, output: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self._close(run_id, getattr(output, "content", output))

    def on_tool_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._close(run_id, error=error)

    def on_retriever_start(self, serialized: dict[str, Any] | None, query: str, *, run_id: UUID,
                           parent_run_id: UUID | None = None, metadata: dict[str, Any] | None = None,
                           **kwargs: Any) -> None:  # fmt: skip
        self._open(run_id, parent_run_id, kwargs.get("name") or _name(serialized, "retriever"), "retriever", query,
                   metadata)  # fmt: skip

    def on_retriever_end(self, documents: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self._close(run_id, [{"content": d.page_content, "metadata": d.metadata} for d in documents])

    def on_retriever_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._close(run_id, error=error)

    # --- models ----------------------------------------------------------------------------------
    def on_chat_model_start(self, serialized: dict[str, Any] | None, messages: list[list[Any]], *, run_id: UUID,
                            parent_run_id: UUID | None = None, metadata: dict[str, Any] | None = None,
                            **kwargs: Any) -> None:  # fmt: skip
        flat = [_message(m) for batch in messages for m in batch]
        self._open_model(run_id, parent_run_id, serialized, flat, metadata, kwargs)

    def on_llm_start(self, serialized: dict[str, Any] | None, prompts: list[str], *, run_id: UUID,
                     parent_run_id: UUID | None = None, metadata: dict[str, Any] | None = None,
                     **kwargs: Any) -> None:  # fmt: skip
        self._open_model(run_id, parent_run_id, serialized, prompts, metadata, kwargs)

    def _open_model(self, run_id: UUID, parent_run_id: UUID | None, serialized: dict[str, Any] | None, input_value: Any,
                    metadata: dict[str, Any] | None, kwargs: dict[str, Any]) -> None:  # fmt: skip
        record = self._open(run_id, parent_run_id, kwargs.get("name") or _name(serialized, "llm"), "generation",
                            input_value, metadata)  # fmt: skip
        if record is None:
            return
        metadata = metadata or {}
        params = kwargs.get("invocation_params") or {}
        model = metadata.get("ls_model_name") or params.get("model") or params.get("model_name")
        if model:
            record.attributes["gen_ai.request.model"] = str(model)
        if metadata.get("ls_provider"):
            record.attributes["gen_ai.provider.name"] = str(metadata["ls_provider"])
        chosen = {key: params[key] for key in PARAMETERS if params.get(key) is not None}
        if chosen:
            record.attributes["theodolite.observation.model_parameters"] = json.dumps(chosen, default=str)

    def on_llm_end(self, response: Any, *, run_id: UUID, **kwargs: Any) -> None:
        with self._lock:
            record = self._runs.get(run_id)
        output = None
        try:
            generations = [g for batch in response.generations for g in batch]
            if generations:
                first = generations[0]
                message = getattr(first, "message", None)
                output = _message(message) if message is not None else first.text
                if record is not None and message is not None:
                    _usage(record, getattr(message, "usage_metadata", None), getattr(message, "response_metadata", {}))
        except Exception:  # noqa: BLE001
            get_client().sdk_error("langchain callback")
        self._close(run_id, output)

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._close(run_id, error=error)


def _name(serialized: dict[str, Any] | None, default: str) -> str:
    if serialized:
        if serialized.get("name"):
            return str(serialized["name"])
        ids = serialized.get("id")
        if isinstance(ids, list) and ids:
            return str(ids[-1])
    return default


def _message(message: Any) -> Any:
    role = {"human": "user", "ai": "assistant"}.get(getattr(message, "type", ""), getattr(message, "type", None))
    content = getattr(message, "content", message)
    return {"role": role, "content": content} if role else content


def _usage(record: SpanRecord, usage: dict[str, Any] | None, response_metadata: dict[str, Any]) -> None:
    """LangChain's usage_metadata: input_tokens include the cache details (LangChain's rule)."""
    attributes = record.attributes
    model = (response_metadata or {}).get("model_name") or (response_metadata or {}).get("model")
    if model:
        attributes["gen_ai.response.model"] = str(model)
    if not usage:
        return
    details_in = usage.get("input_token_details") or {}
    details_out = usage.get("output_token_details") or {}
    for key, value in (
        ("gen_ai.usage.input_tokens", usage.get("input_tokens")),
        ("gen_ai.usage.output_tokens", usage.get("output_tokens")),
        ("gen_ai.usage.total_tokens", usage.get("total_tokens")),
        ("gen_ai.usage.cache_read.input_tokens", details_in.get("cache_read")),
        ("gen_ai.usage.cache_creation.input_tokens", details_in.get("cache_creation")),
        ("gen_ai.usage.reasoning.output_tokens", details_out.get("reasoning")),
    ):
        if value is not None:
            attributes[key] = int(value)
