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
