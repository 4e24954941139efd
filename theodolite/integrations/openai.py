"""`observe_openai(client)`: chat completions and responses, sync and async, streamed or not.

    from openai import OpenAI
    from theodolite.integrations.openai import observe_openai
    client = observe_openai(OpenAI())

Usage: prompt/input tokens include cached ones (OpenAI's own rule, and OpenTelemetry's);
reasoning tokens are part of the output. A stream records the time of its first content token and
the usage OpenAI sends in its last chunk (chat: pass `stream_options={"include_usage": True}`;
Theodolite does not change your request).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from theodolite.integrations._calls import Call, ObservedAsyncStream, ObservedStream, dump

PROVIDER = "openai"


def observe_openai(client: Any) -> Any:
    """Record every `chat.completions.create` and `responses.create` call of this client
    (OpenAI or AsyncOpenAI, also AzureOpenAI) as a generation. Returns the same client."""
    completions = client.chat.completions
    completions.create = _wrap(completions.create, "openai.chat", _ChatSpec)
    responses = getattr(client, "responses", None)
    if responses is not None:
        responses.create = _wrap(responses.create, "openai.responses", _ResponsesSpec)
    return client


def _wrap(original: Callable[..., Any], name: str, spec: type[_Spec], provider: str = PROVIDER) -> Callable[..., Any]:
    if getattr(original, "__theodolite__", False):
        return original  # already observed

    # One wrapper for sync and async clients: the SDKs' async methods are not always coroutine
    # functions (decorators hide it), so the result decides, not the method's type.
    @functools.wraps(original)
    def observed(*args: Any, **kwargs: Any) -> Any:
        call = Call.start(provider, name, kwargs, spec.input_of(kwargs))
        try:
            result = original(*args, **kwargs)
        except BaseException as exc:
            call.fail(exc)
            raise
        if inspect.isawaitable(result):
            return _finish_async(result, call, spec, bool(kwargs.get("stream")))
        if kwargs.get("stream"):
            tracker = spec(call)
            return ObservedStream(result, call, tracker.on_event, tracker.on_end)
        spec(call).on_result(result)
        return result

    observed.__theodolite__ = True  # type: ignore[attr-defined]
    return observed


async def _finish_async(awaitable: Any, call: Call, spec: type[_Spec], stream: bool) -> Any:
    try:
        result = await awaitable
    except BaseException as exc:
        call.fail(exc)
        raise
    if stream:
        tracker = spec(call)
        return ObservedAsyncStream(result, call, tracker.on_event, tracker.on_end)
    spec(call).on_result(result)
    return result


def _get(value: Any, *path: str) -> Any:
    for key in path:
        if value is None:
            return None
        value = value.get(key) if isinstance(value, dict) else getattr(value, key, None)
    return value


class _Spec:
    def __init__(self, call: Call) -> None:
        self.call = call
        self.model: str | None = None
        self.text: list[str] = []
        self.usage: dict[str, int | None] = {}

    @staticmethod
    def input_of(kwargs: dict[str, Any]) -> Any:
        raise NotImplementedError

    def on_result(self, result: Any) -> None:
        raise NotImplementedError

    def on_event(self, event: Any) -> None:
        raise NotImplementedError

    def on_end(self) -> None:
        self.call.finish(self.model, self.usage, {"role": "assistant", "content": "".join(self.text)})


class _ChatSpec(_Spec):
    @staticmethod
    def input_of(kwargs: dict[str, Any]) -> Any:
        return kwargs.get("messages")

    @staticmethod
    def usage_of(usage: Any) -> dict[str, int | None]:
        return {
            "gen_ai.usage.input_tokens": _get(usage, "prompt_tokens"),
            "gen_ai.usage.output_tokens": _get(usage, "completion_tokens"),
            "gen_ai.usage.total_tokens": _get(usage, "total_tokens"),
            "gen_ai.usage.cache_read.input_tokens": _get(usage, "prompt_tokens_details", "cached_tokens"),
            "gen_ai.usage.reasoning.output_tokens": _get(usage, "completion_tokens_details", "reasoning_tokens"),
        }

    def on_result(self, result: Any) -> None:
        choices = _get(result, "choices") or []
        output = dump(_get(choices[0], "message")) if choices else None
        self.call.finish(_get(result, "model"), self.usage_of(_get(result, "usage")), output)

    def on_event(self, chunk: Any) -> None:
        self.model = _get(chunk, "model") or self.model
        for choice in _get(chunk, "choices") or []:
            content = _get(choice, "delta", "content")
            if content:
                self.call.first_token()
                self.text.append(content)
        usage = _get(chunk, "usage")
        if usage is not None:
            self.usage = self.usage_of(usage)


class _ResponsesSpec(_Spec):
    @staticmethod
    def input_of(kwargs: dict[str, Any]) -> Any:
        if kwargs.get("instructions"):
            return {"instructions": kwargs["instructions"], "input": kwargs.get("input")}
        return kwargs.get("input")

    @staticmethod
    def usage_of(usage: Any) -> dict[str, int | None]:
        return {
            "gen_ai.usage.input_tokens": _get(usage, "input_tokens"),
            "gen_ai.usage.output_tokens": _get(usage, "output_tokens"),
            "gen_ai.usage.total_tokens": _get(usage, "total_tokens"),
            "gen_ai.usage.cache_read.input_tokens": _get(usage, "input_tokens_details", "cached_tokens"),
            "gen_ai.usage.reasoning.output_tokens": _get(usage, "output_tokens_details", "reasoning_tokens"),
        }

    def on_result(self, result: Any) -> None:
        text = getattr(result, "output_text", None)
        output = {"role": "assistant", "content": text} if text is not None else dump(_get(result, "output"))
        self.call.finish(_get(result, "model"), self.usage_of(_get(result, "usage")), output)

    def on_event(self, event: Any) -> None:
        kind = _get(event, "type")
        if kind == "response.output_text.delta":
            self.call.first_token()
            self.text.append(_get(event, "delta") or "")
        elif kind in ("response.completed", "response.incomplete"):
            response = _get(event, "response")
            self.model = _get(response, "model") or self.model
            self.usage = self.usage_of(_get(response, "usage"))
