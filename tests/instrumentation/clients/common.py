"""What every instrumented client script does: one trace with a real OpenAI and a real Anthropic
client call, answered by the fake provider. Runs inside the instrumentation's own venv, so it
imports only what those venvs have (openai, anthropic, the OTel API)."""

from __future__ import annotations

import json
import os

SYSTEM = "You are helpful."
QUESTION = "hi"


def settings() -> tuple[str, str, str]:
    """(Theodolite base URL, secret key, fake provider URL) from the environment the test sets."""
    return os.environ["THEODOLITE_URL"], os.environ["THEODOLITE_KEY"], os.environ["FAKE_PROVIDER_URL"]


def call_openai(provider_url: str) -> None:
    import openai

    client = openai.OpenAI(base_url=f"{provider_url}/v1", api_key="sk-fake", max_retries=0)
    client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "system", "content": SYSTEM}, {"role": "user", "content": QUESTION}],
        temperature=0.2,
    )


def call_anthropic(provider_url: str) -> None:
    import anthropic

    client = anthropic.Anthropic(base_url=provider_url, api_key="sk-fake", max_retries=0)
    client.messages.create(
        model="claude-3-5-sonnet-20241022",
        max_tokens=100,
        system=SYSTEM,
        messages=[{"role": "user", "content": QUESTION}],
    )


def report(trace_id: int) -> None:
    """The test reads the trace id from the script's last line of output."""
    print(json.dumps({"trace_id": format(trace_id, "032x")}))


# The application trace that the Langfuse and LangSmith client scripts send through the SDKs'
# own APIs (no provider call): root handle_question, retriever search_docs, a failing tool
# calculator (caught by the root), an LLM call chat; one score on the trace.
ANSWER = "Hello! How can I help?"
MESSAGES = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": QUESTION}]
DOCUMENTS = [{"page_content": "Atlas answers questions.", "metadata": {"source": "kb"}}]
MODEL, PROVIDER = "gpt-4o-mini", "openai"
PROMPT_TOKENS, COMPLETION_TOKENS, CACHED_TOKENS = 12, 5, 2
# Usage as OpenAI reports it (cached tokens inside prompt_tokens): Langfuse's own OpenAI
# integration passes this object through as usage_details.
OPENAI_USAGE = {
    "prompt_tokens": PROMPT_TOKENS,
    "completion_tokens": COMPLETION_TOKENS,
    "total_tokens": PROMPT_TOKENS + COMPLETION_TOKENS,
    "prompt_tokens_details": {"cached_tokens": CACHED_TOKENS},
}
MODEL_PARAMETERS = {"temperature": 0.2}
USER_ID, SESSION_ID, TAGS, METADATA = "u1", "s1", ["prod"], {"agent": "atlas"}
SCORE = {"name": "quality", "value": 0.9, "comment": "good"}
TOOL_ERROR = "calculator exploded"


def sdk_settings() -> tuple[str, str]:
    """(Theodolite base URL, secret key): the SDK scripts need no fake provider."""
    import logging
    import sys

    # The SDKs log their own delivery warnings and errors; the test reads them on stderr.
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    return os.environ["THEODOLITE_URL"], os.environ["THEODOLITE_KEY"]


def langfuse_public_key() -> str:
    """Langfuse authenticates with Basic public:secret; the public key comes with the secret."""
    return os.environ.get("THEODOLITE_PUBLIC_KEY", "pk-lf-test")


def report_id(trace_id: str, **extra: str) -> None:
    """The last line of output: the trace id as the SDK sent it on the wire."""
    print(json.dumps({"trace_id": trace_id, **extra}))
