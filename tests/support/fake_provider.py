# ruff: noqa: E501  (canned provider payloads read best as the providers send them)
"""A fake LLM provider at the HTTP boundary: OpenAI chat completions and Anthropic messages.

The real `openai` and `anthropic` clients talk to it over HTTP on 127.0.0.1, so the instrumentation
packages wrap real client calls; only the provider's answers are canned. Usage carries cache
tokens so that their mapping is exercised: OpenAI reports cached tokens *inside* prompt_tokens,
Anthropic reports cache reads and writes *outside* input_tokens.

A test can answer chat completions itself (`FakeProvider(chat=...)`: the LLM judge's tests), with a
status, headers, or no answer at all until the server closes (a provider that hangs).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

OPENAI_MODEL = "gpt-4o-mini-2024-07-18"
OPENAI_USAGE = {
    "prompt_tokens": 12, "completion_tokens": 5, "total_tokens": 17,
    "prompt_tokens_details": {"cached_tokens": 2}, "completion_tokens_details": {"reasoning_tokens": 0},
}  # fmt: skip
ANTHROPIC_MODEL = "claude-3-5-sonnet-20241022"
ANTHROPIC_USAGE = {"input_tokens": 100, "output_tokens": 20, "cache_read_input_tokens": 5000,
                   "cache_creation_input_tokens": 1000}  # fmt: skip
ANSWER = "Hello! How can I help?"


def openai_completion() -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake", "object": "chat.completion", "created": 1_763_800_000, "model": OPENAI_MODEL,
        "system_fingerprint": "fp_fake",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": ANSWER}, "finish_reason": "stop",
                     "logprobs": None}],
        "usage": OPENAI_USAGE,
    }  # fmt: skip


def anthropic_message() -> dict[str, Any]:
    return {
        "id": "msg_fake", "type": "message", "role": "assistant", "model": ANTHROPIC_MODEL,
        "content": [{"type": "text", "text": ANSWER}], "stop_reason": "end_turn", "stop_sequence": None,
        "usage": ANTHROPIC_USAGE,
    }  # fmt: skip


RESPONSES_USAGE = {"input_tokens": 30, "output_tokens": 12, "total_tokens": 42,
                   "input_tokens_details": {"cached_tokens": 10}, "output_tokens_details": {"reasoning_tokens": 4}}  # fmt: skip
PIECES = ("Hello!", " How can I help?")


def openai_response() -> dict[str, Any]:
    return {
        "id": "resp_fake", "object": "response", "created_at": 1_763_800_000, "model": OPENAI_MODEL,
        "status": "completed", "parallel_tool_calls": True, "tool_choice": "auto", "tools": [],
        "output": [{"type": "message", "id": "msg_1", "status": "completed", "role": "assistant",
                    "content": [{"type": "output_text", "text": ANSWER, "annotations": []}]}],
        "usage": RESPONSES_USAGE,
    }  # fmt: skip


def openai_chunks(include_usage: bool) -> list[dict[str, Any]]:
    base = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 1_763_800_000, "model": OPENAI_MODEL}
    chunks = [{**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]}]
    chunks += [
        {**base, "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]} for piece in PIECES
    ]
    chunks.append({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    if include_usage:
        chunks.append({**base, "choices": [], "usage": OPENAI_USAGE})
    return chunks


def response_events() -> list[tuple[str, dict[str, Any]]]:
    created = {**openai_response(), "status": "in_progress", "output": [], "usage": None}
    events = [("response.created", {"type": "response.created", "sequence_number": 0, "response": created})]
    for index, piece in enumerate(PIECES):
        events.append(("response.output_text.delta", {"type": "response.output_text.delta", "sequence_number": index + 1,
                       "item_id": "msg_1", "output_index": 0, "content_index": 0, "delta": piece, "logprobs": []}))  # fmt: skip
    events.append(
        ("response.completed", {"type": "response.completed", "sequence_number": 9, "response": openai_response()})
    )
    return events


def anthropic_events() -> list[tuple[str, dict[str, Any]]]:
    start = {**anthropic_message(), "content": [], "stop_reason": None,
             "usage": {**ANTHROPIC_USAGE, "output_tokens": 1}}  # fmt: skip
    events = [("message_start", {"type": "message_start", "message": start}),
              ("content_block_start", {"type": "content_block_start", "index": 0,
                                       "content_block": {"type": "text", "text": ""}})]  # fmt: skip
    for piece in PIECES:
        events.append(("content_block_delta", {"type": "content_block_delta", "index": 0,
                                               "delta": {"type": "text_delta", "text": piece}}))  # fmt: skip
    events += [("content_block_stop", {"type": "content_block_stop", "index": 0}),
               ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                                  "usage": {"output_tokens": ANTHROPIC_USAGE["output_tokens"]}}),
               ("message_stop", {"type": "message_stop"})]  # fmt: skip
    return events


@dataclass
class Reply:
    """A test's own answer to one chat completion request."""

    document: dict[str, Any] = field(default_factory=dict)
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    hang: bool = False  # answer nothing until the fake closes: the client must time out


class _Handler(BaseHTTPRequestHandler):
    server: FakeProvider
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
        body = json.loads(self.rfile.read(int(self.headers.get("content-length") or 0)) or b"{}")
        self.server.requests.append((self.path, body))
        stream = bool(body.get("stream"))
        if body.get("model") == "boom":
            self._json({"error": {"type": "server_error", "message": "the fake provider exploded"}}, 500)
            return
        if self.server.chat is not None and self.path.endswith("/chat/completions"):
            reply = self.server.chat(body)
            if reply.hang:
                self.server.closing.wait()
                return
            self._json(reply.document, reply.status, reply.headers)
        elif self.path.endswith("/chat/completions"):
            if stream:
                include = bool((body.get("stream_options") or {}).get("include_usage"))
                self._sse([(None, chunk) for chunk in openai_chunks(include)], done=True)
            else:
                self._json(openai_completion())
        elif self.path.endswith("/responses"):
            self._sse(response_events()) if stream else self._json(openai_response())
        elif self.path.endswith("/messages"):
            self._sse(anthropic_events()) if stream else self._json(anthropic_message())
        else:
            self._json({"error": {"message": f"no fake for {self.path}"}}, 404)

    def _sse(self, events: list[tuple[str | None, dict[str, Any]]], done: bool = False) -> None:
        lines = []
        for name, data in events:
            lines.append((f"event: {name}\n" if name else "") + f"data: {json.dumps(data)}\n\n")
        if done:
            lines.append("data: [DONE]\n\n")
        payload = "".join(lines).encode()
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _json(self, document: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> None:
        payload = json.dumps(document).encode()
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:  # quiet
        pass


class FakeProvider(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, chat: Callable[[dict[str, Any]], Reply] | None = None) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[tuple[str, Any]] = []
        self.chat = chat
        self.closing = threading.Event()  # releases the handlers of hanging replies
        # a short poll: shutdown() waits for it, once per test that uses the fake
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def __enter__(self) -> FakeProvider:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.closing.set()
        self.shutdown()
        self.server_close()
