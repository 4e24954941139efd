"""What the provider wrappers share: one generation per call, streams that end the generation
when they are exhausted or closed, and the SDK's never-break-the-host rule."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from theodolite.sdk.client import Client, get_client
from theodolite.sdk.records import SpanRecord
from theodolite.sdk.tracing import end_record, fail_record, start_record

PARAMETERS = ("temperature", "max_tokens", "max_completion_tokens", "max_output_tokens", "top_p", "top_k",
              "frequency_penalty", "presence_penalty", "seed", "stop", "n", "reasoning_effort")  # fmt: skip


class Call:
    """One provider call being observed. Every method swallows SDK errors (strict mode raises)."""

    __slots__ = ("client", "record", "provider", "first_token_ns", "metrics_feature")

    def __init__(self, client: Client, record: SpanRecord | None, provider: str) -> None:
        self.client, self.record, self.provider = client, record, provider
        self.first_token_ns = 0

    @classmethod
    def start(cls, provider: str, name: str, kwargs: dict[str, Any], input_value: Any) -> Call:
        client = get_client()
        record = None
        if client.enabled:
            try:
                record = start_record(client, name, "generation")
                attributes = record.attributes
                attributes["gen_ai.provider.name"] = provider
                if kwargs.get("model"):
                    attributes["gen_ai.request.model"] = str(kwargs["model"])
                params = {key: kwargs[key] for key in PARAMETERS if kwargs.get(key) is not None}
                if params:
                    import json

                    attributes["theodolite.observation.model_parameters"] = json.dumps(params, default=str)
                if client.config.capture_input:
                    record.input, record.has_input = input_value, True
            except Exception:  # noqa: BLE001
                client.sdk_error("observing a provider call")
                record = None
        return cls(client, record, provider)

    def first_token(self) -> None:
        if self.first_token_ns == 0:
            self.first_token_ns = time.time_ns()

    def finish(self, model: str | None, usage: dict[str, int | None], output: Any) -> None:
        record = self.record
        if record is None:
            return
        try:
            attributes = record.attributes
            if model:
                attributes["gen_ai.response.model"] = model
            for key, count in usage.items():
                if count is not None:
                    attributes[key] = int(count)
            if self.first_token_ns:
                from datetime import UTC, datetime

                when = datetime.fromtimestamp(self.first_token_ns / 1e9, UTC)
                attributes["theodolite.observation.completion_start_time"] = when.isoformat()
            if self.client.config.capture_output and output is not None:
                record.output, record.has_output = output, True
            end_record(self.client, record)
            self._count(model, usage, None)
        except Exception:  # noqa: BLE001
            self.client.sdk_error("recording a provider call")

    def fail(self, exc: BaseException) -> None:
        if self.record is None:
            return
        try:
            fail_record(self.record, exc)
            end_record(self.client, self.record)
            self._count(None, {}, exc)
        except Exception:  # noqa: BLE001
            self.client.sdk_error("recording a failed provider call")

    def _count(self, model: str | None, usage: dict[str, int | None], exc: BaseException | None) -> None:
        from theodolite.metrics.default import default_metrics

        metrics = default_metrics()
        if metrics is None or self.record is None:
            return
        record = self.record
        metrics.track_llm_call(
            model or str(record.attributes.get("gen_ai.request.model") or ""), record.name,
            usage.get("gen_ai.usage.input_tokens") or 0, usage.get("gen_ai.usage.output_tokens") or 0,
            duration=(record.end_ns - record.start_ns) / 1e9, status="error" if exc else "ok",
            provider=self.provider, trace=False,
        )  # fmt: skip


def dump(value: Any) -> Any:
    """Provider response objects (pydantic models) as plain data."""
    dumper = getattr(value, "model_dump", None)
    if callable(dumper):
        try:
            return dumper(exclude_none=True)
        except TypeError:
            return dumper()
    return value


class ObservedStream:
    """Wraps a provider's sync stream: yields its events unchanged, and ends the generation when
    the stream is exhausted, closed or fails."""

    def __init__(self, stream: Any, call: Call, on_event: Callable[[Any], None], on_end: Callable[[], None]):
        self._stream, self._call, self._on_event, self._on_end = stream, call, on_event, on_end
        self._done = False

    def __iter__(self) -> ObservedStream:
        return self

    def __next__(self) -> Any:
        try:
            event = next(self._stream)
        except StopIteration:
            self._end()
            raise
        except BaseException as exc:
            self._fail(exc)
            raise
        self._observe(event)
        return event

    def __enter__(self) -> ObservedStream:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def close(self) -> None:
        try:
            close = getattr(self._stream, "close", None)
            if close is not None:
                close()
        finally:
            self._end()

    def __getattr__(self, name: str) -> Any:  # response, etc. of the wrapped stream
        return getattr(self._stream, name)

    def _observe(self, event: Any) -> None:
        try:
            self._on_event(event)
        except Exception:  # noqa: BLE001
            self._call.client.sdk_error("reading a stream event")

    def _end(self) -> None:
        if not self._done:
            self._done = True
            self._on_end()

    def _fail(self, exc: BaseException) -> None:
        if not self._done:
            self._done = True
            self._call.fail(exc)


class ObservedAsyncStream(ObservedStream):
    def __aiter__(self) -> ObservedAsyncStream:
        return self

    async def __anext__(self) -> Any:
        try:
            event = await self._stream.__anext__()
        except StopAsyncIteration:
            self._end()
            raise
        except BaseException as exc:
            self._fail(exc)
            raise
        self._observe(event)
        return event

    async def __aenter__(self) -> ObservedAsyncStream:
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        try:
            close = getattr(self._stream, "close", None)
            if close is not None:
                result = close()
                if hasattr(result, "__await__"):
                    await result
        finally:
            self._end()
