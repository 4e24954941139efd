"""The SDK's tracing API against a real server: what is called is what is stored."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import inspect
import threading
import typing
from decimal import Decimal

import pytest

import theodolite
from tests.sdk.conftest import fetch_trace, walk
from tests.support.server import TheodoliteServer


@theodolite.observe(as_type="tool")
def add(a: int, b: int = 1) -> int:
    """Adds."""
    return a + b


@theodolite.observe(as_type="retriever", capture_output=False)
async def search(query: str) -> list[str]:
    await asyncio.sleep(0)
    return [f"doc about {query}"]


@theodolite.observe
def numbers(n: int):
    yield from range(n)


@theodolite.observe(name="stream")
async def tokens(text: str):
    for word in text.split():
        yield word


@theodolite.observe(as_type="agent")
async def agent(question: str) -> int:
    theodolite.update_current(user_id="u1", session_id="s1", tags=["prod"], trace_metadata={"agent": "atlas"},
                              metadata={"step": "plan"})  # fmt: skip
    docs = await search(question)
    messages = [{"role": "user", "content": question}]
    with theodolite.generation("chat", model="gpt-4o-mini", provider="openai", input=messages,
                               model_parameters={"temperature": 0.2}) as llm:  # fmt: skip
        llm.update(output={"role": "assistant", "content": docs[0]},
                   usage={"input_tokens": 1000, "output_tokens": 500, "cache_read_tokens": 200})  # fmt: skip
    theodolite.score("helpful", 0.9, comment="looks right")
    items = list(numbers(3)) + [word async for word in tokens("a b")]
    return add(len(items))


def test_decorated_kinds_keep_their_signature_and_nature() -> None:
    assert add.__name__ == "add" and add.__doc__ == "Adds."
    assert inspect.signature(add) == inspect.signature(add.__wrapped__)
    assert typing.get_type_hints(add) == {"a": int, "b": int, "return": int}
    assert inspect.iscoroutinefunction(search) and inspect.isgeneratorfunction(numbers)
    assert inspect.isasyncgenfunction(tokens)


def test_a_trace_is_stored_as_it_was_made(traced: TheodoliteServer) -> None:
    with theodolite.span("request", as_type="chain", input={"q": "batteries"}) as root:
        assert asyncio.run(agent("batteries")) == 6
    assert theodolite.flush(10)
    trace = fetch_trace(traced, root.trace_id)
    assert (trace["user_id"], trace["session_id"], trace["tags"]) == ("u1", "s1", ["prod"])
    assert trace["metadata"]["agent"] == "atlas" and (trace["environment"], trace["release"]) == ("test", "r1")
    [request] = trace["observations"]
    assert (request["name"], request["type"], request["input"]) == ("request", "chain", {"q": "batteries"})
    [agent_node] = request["children"]
    assert (agent_node["type"], agent_node["input"], agent_node["metadata"]) == ("agent", {"question": "batteries"},
                                                                                 {"step": "plan"})  # fmt: skip
    by_name = {node["name"]: node for node in walk(agent_node["children"])}
    assert set(by_name) == {"search", "chat", "numbers", "stream", "add"}
    assert by_name["search"]["type"] == "retriever" and by_name["search"]["output"] is None  # capture_output=False
    assert by_name["numbers"]["output"] == [0, 1, 2] and by_name["stream"]["output"] == ["a", "b"]
    assert by_name["add"]["input"] == {"a": 5} and by_name["add"]["type"] == "tool"
    chat = by_name["chat"]
    assert (chat["type"], chat["model"], chat["provider"], chat["model_parameters"]) == (
        "generation", "gpt-4o-mini", "openai", {"temperature": 0.2})  # fmt: skip
    assert (chat["prompt_tokens"], chat["completion_tokens"], chat["cache_read_tokens"]) == (1000, 500, 200)
    # gpt-4o-mini: 800 x $0.15 + 200 x $0.075 + 500 x $0.60 per million = $0.000435
    assert chat["cost_status"] == "priced" and Decimal(str(chat["calculated_total_cost"])) == Decimal("0.000435")
    assert [(s["name"], s["value"], s["comment"]) for s in trace["scores"]] == [("helpful", 0.9, "looks right")]
    for node in walk(trace["observations"]):
        assert node["start_time"] <= node["end_time"]


def test_errors_are_recorded_and_raised_unchanged(traced: TheodoliteServer) -> None:
    with pytest.raises(KeyError), theodolite.span("failing") as failing:
        raise KeyError("k")

    @theodolite.observe(as_type="tool")
    def explode() -> None:
        raise ValueError("calculator exploded")

    with theodolite.span("root") as root, pytest.raises(ValueError, match="calculator exploded"):
        explode()
    assert theodolite.flush(10)
    [node] = fetch_trace(traced, root.trace_id)["observations"]
    assert node["level"] == "DEFAULT"  # the exception was caught inside it
    [child] = node["children"]
    assert (child["level"], child["status_message"]) == ("ERROR", "ValueError: calculator exploded")
    [failed] = fetch_trace(traced, failing.trace_id)["observations"]
    assert (failed["level"], failed["status_message"]) == ("ERROR", "KeyError: 'k'")


def test_context_flows_across_await_threads_and_executors(traced: TheodoliteServer) -> None:
    async def fan_out() -> None:
        await asyncio.gather(search("a"), search("b"), asyncio.to_thread(add, 1))

    with theodolite.span("root") as root:
        asyncio.run(fan_out())
        thread = threading.Thread(target=contextvars.copy_context().run, args=(add, 2))
        thread.start()
        thread.join()
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            list(pool.map(theodolite.propagate(add), [3, 4]))
    assert theodolite.flush(10)
    [node] = fetch_trace(traced, root.trace_id)["observations"]
    assert sorted(child["name"] for child in node["children"]) == ["add", "add", "add", "add", "search", "search"]


def test_a_traceparent_joins_an_existing_trace(traced: TheodoliteServer) -> None:
    upstream = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    with theodolite.span("handler", traceparent=upstream) as handler:
        outgoing = theodolite.current_traceparent()
    assert handler.trace_id == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert outgoing == f"00-4bf92f3577b34da6a3ce929d0e0e4736-{handler.id}-01"
    assert theodolite.flush(10)
    [node] = fetch_trace(traced, handler.trace_id)["observations"]
    assert node["parent_observation_id"] == "00f067aa0ba902b7"


def test_capture_switches_and_masking(traced: TheodoliteServer, sdk_server: TheodoliteServer) -> None:
    from tests.support.server import SECRET_KEY

    theodolite.configure(endpoint=sdk_server.base_url, api_key=SECRET_KEY, strict=True, flush_interval_s=0.2,
                         mask=lambda value: "[redacted]" if "secret" in str(value) else value)  # fmt: skip
    with theodolite.span("root") as root:
        add(1, 2)
        with theodolite.capturing(input=False):
            add(5)
        with theodolite.span("login", input={"password": "secret"}):
            pass
    assert theodolite.flush(10)
    nodes = {(n["name"], str(n["input"])): n for n in walk(fetch_trace(sdk_server, root.trace_id)["observations"])}
    assert ("add", "{'a': 1, 'b': 2}") in nodes and ("add", "None") in nodes
    assert ("login", "[redacted]") in nodes


def test_sampling_keeps_whole_traces_or_none(sdk_server: TheodoliteServer) -> None:
    from tests.support.server import SECRET_KEY

    theodolite.configure(endpoint=sdk_server.base_url, api_key=SECRET_KEY, strict=True, sample_rate=0.0)
    with theodolite.span("dropped") as root:
        add(1)
    assert theodolite.flush(10)
    with sdk_server.client() as client:
        assert client.get(f"/api/v1/traces/{root.trace_id}").status_code == 404
    theodolite.shutdown(5)


def test_disabled_sdk_runs_the_functions_and_records_nothing(sdk_server: TheodoliteServer) -> None:
    theodolite.configure(endpoint=sdk_server.base_url, enabled=False)
    with theodolite.span("nothing") as handle:
        assert add(2) == 3 and asyncio.run(search("x")) == ["doc about x"]
    assert handle.trace_id is None
    theodolite.shutdown(5)
