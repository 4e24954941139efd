"""`observe_anthropic(client)`: messages, sync and async, streamed or not.

    from anthropic import Anthropic
    from theodolite.integrations.anthropic import observe_anthropic
    client = observe_anthropic(Anthropic())

Anthropic reports cache reads and cache writes *outside* `input_tokens`; they are recorded as
part of the input (OpenTelemetry's rule), each with its own count, so that each is priced at its
own rate and nothing is counted twice.
"""

from __future__ import annotations

from typing import Any

from theodolite.integrations._calls import dump
from theodolite.integrations.openai import _get, _Spec, _wrap

PROVIDER = "anthropic"


def observe_anthropic(client: Any) -> Any:
    """Record every `messages.create` call of this client (Anthropic or AsyncAnthropic)."""
    messages = client.messages
    messages.create = _wrap(messages.create, "anthropic.messages", _MessagesSpec, provider=PROVIDER)
    return client


def usage_of(usage: Any) -> dict[str, int | None]:
    uncached = _get(usage, "input_tokens")
    read = _get(usage, "cache_read_input_tokens")
    write = _get(usage, "cache_creation_input_tokens")
    total_input = None if uncached is None else uncached + (read or 0) + (write or 0)
    return {
        "gen_ai.usage.input_tokens": total_input,
        "gen_ai.usage.output_tokens": _get(usage, "output_tokens"),
        "gen_ai.usage.cache_read.input_tokens": read,
        "gen_ai.usage.cache_creation.input_tokens": write,
    }


class _MessagesSpec(_Spec):
    @staticmethod
    def input_of(kwargs: dict[str, Any]) -> Any:
        if kwargs.get("system"):
            return {"system": kwargs["system"], "messages": kwargs.get("messages")}
        return kwargs.get("messages")

    def on_result(self, result: Any) -> None:
        content = [dump(block) for block in _get(result, "content") or []]
        output = {"role": "assistant", "content": content}
        self.call.finish(_get(result, "model"), usage_of(_get(result, "usage")), output)

    def on_event(self, event: Any) -> None:
        kind = _get(event, "type")
        if kind == "message_start":
            message = _get(event, "message")
            self.model = _get(message, "model")
            self.usage = usage_of(_get(message, "usage"))
        elif kind == "content_block_delta":
            text = _get(event, "delta", "text")
            if text:
                self.call.first_token()
                self.text.append(text)
        elif kind == "message_delta":
            output_tokens = _get(event, "usage", "output_tokens")
            if output_tokens is not None:
                self.usage["gen_ai.usage.output_tokens"] = output_tokens
