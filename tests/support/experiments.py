"""Two fake "models" answering a 100-question dataset, for the experiments' proof tests.

The models are a fake OpenAI-compatible server (`FakeProvider`) at the process boundary; the task
calls it through the real `openai` client wrapped by the SDK's `observe_openai`, so every run's
trace holds a priced generation. By construction model A (gpt-4o-mini) answers item n right when
n % 10 < 6 (60 items) and model B (gpt-4o) unless n % 20 is 3, 17 or 18 (85 items): B is
alone right on 30 items, A on 5.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import openai

import theodolite
from tests.support.fake_provider import FakeProvider, Reply
from tests.support.server import SECRET_KEY, TheodoliteServer
from theodolite.evaluation import ExactMatch
from theodolite.integrations.openai import observe_openai

ITEMS = 100
MODEL_A, MODEL_B = "gpt-4o-mini", "gpt-4o"
USAGE = {"prompt_tokens": 20, "completion_tokens": 4, "total_tokens": 24}


def right(model: str, n: int) -> bool:
    return n % 10 < 6 if model == MODEL_A else n % 20 not in (3, 17, 18)


def answer(body: dict[str, Any]) -> Reply:
    """Item n's question is "question n"; the right answer "answer n"."""
    n = int(body["messages"][-1]["content"].split()[-1])
    content = f"answer {n}" if right(body["model"], n) else f"no idea about {n}"
    document = {"id": f"chatcmpl-{n}", "object": "chat.completion", "created": 1_763_800_000, "model": body["model"],
                "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                             "finish_reason": "stop", "logprobs": None}],
                "usage": USAGE}  # fmt: skip
    return Reply(document)


@contextmanager
def fake_models() -> Iterator[FakeProvider]:
    with FakeProvider(chat=answer) as fake:
        yield fake


def new_dataset(server: TheodoliteServer, items: int = ITEMS) -> str:
    name = f"quiz-{uuid.uuid4().hex[:8]}"
    with server.client() as client:
        assert client.post("/api/v1/datasets", json={"name": name}).status_code == 201
        rows = [{"id": f"q{n:03d}", "input": {"question": f"question {n}"}, "expected_output": f"answer {n}"}
                for n in range(items)]  # fmt: skip
        stored = client.post(f"/api/v1/datasets/{name}/items", json={"items": rows})
        assert stored.status_code == 200 and stored.json()["version"] == 1, stored.text
    return name


def task_for(provider_url: str, model: str) -> Callable[[dict[str, Any]], str]:
    client = observe_openai(openai.OpenAI(base_url=f"{provider_url}/v1", api_key="sk-fake", max_retries=0))

    def task(item_input: dict[str, Any]) -> str:
        messages = [{"role": "user", "content": item_input["question"]}]
        reply = client.chat.completions.create(model=model, messages=messages)
        return reply.choices[0].message.content or ""

    return task


def run_two_models(server: TheodoliteServer, provider_url: str, dataset: str) -> tuple[int, int]:
    """Experiments A and B over `dataset` (its current version), scored by exact match; their ids."""
    theodolite.configure(endpoint=server.base_url, api_key=SECRET_KEY, strict=True, flush_interval_s=0.1)
    ids = []
    for model in (MODEL_A, MODEL_B):
        result = theodolite.run_experiment(
            dataset, task_for(provider_url, model), [ExactMatch(name="correct")],
            name=f"{dataset}-{model}", metadata={"model": model}, max_concurrency=4,
        )  # fmt: skip
        assert result.errors == [] and len(result.runs) == ITEMS
        ids.append(result.experiment_id)
    return ids[0], ids[1]


def settled_comparison(server: TheodoliteServer, ids: list[int], deadline_s: float = 60.0) -> dict[str, Any]:
    """The comparison once every run's trace, cost and score are stored (the server commits spans
    and scores after accepting them): polled with a deadline."""
    limit = time.monotonic() + deadline_s
    while True:
        with server.client() as client:
            response = client.get("/api/v1/experiments/compare", params={"ids": ",".join(map(str, ids))})
        assert response.status_code == 200, response.text
        document = response.json()
        runs = [run for item in document["items"] for run in item["runs"] if run is not None]
        if all(run["cost"] is not None and "correct" in run["scores"] for run in runs):
            return document
        assert time.monotonic() < limit, f"runs still without cost or score: {document['experiments']}"
        time.sleep(0.2)


def call(server: TheodoliteServer, method: str, path: str, **kwargs: Any) -> httpx.Response:
    with server.client() as client:
        return client.request(method, path, **kwargs)
