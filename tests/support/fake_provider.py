"""A fake LLM provider at the HTTP boundary: OpenAI chat completions and Anthropic messages.

The real `openai` and `anthropic` clients talk to it over HTTP on 127.0.0.1, so the instrumentation
packages wrap real client calls; only the provider's answers are canned. Usage carries cache
tokens so that their mapping is exercised: OpenAI reports cached tokens *inside* prompt_tokens,
Anthropic reports cache reads and writes *outside* input_tokens.
"""

from __future__ import annotations

import json
import threading
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


class _Handler(BaseHTTPRequestHandler):
    server: FakeProvider

    def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
        body = json.loads(self.rfile.read(int(self.headers.get("content-length") or 0)) or b"{}")
        self.server.requests.append((self.path, body))
        if self.path.endswith("/chat/completions"):
            self._json(openai_completion())
        elif self.path.endswith("/messages"):
            self._json(anthropic_message())
        else:
            self._json({"error": {"message": f"no fake for {self.path}"}}, 404)

    def _json(self, document: dict[str, Any], status: int = 200) -> None:
        payload = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:  # quiet
        pass


class FakeProvider(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[tuple[str, Any]] = []
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def __enter__(self) -> FakeProvider:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()
