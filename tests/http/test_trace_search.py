"""Full-text search of inputs and outputs in the trace list, over a real server on both engines.

Spans are sent by the OpenTelemetry SDK with the GenAI message attributes; every search goes
through `GET /api/v1/traces?search=`. What a query means is in `storage/search_text.py`: words
(the last one also a prefix), case-insensitive in every script with case, and any part of a run
of Japanese or Chinese characters.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags, set_span_in_context

from tests.conftest import ALL_ENGINES
from tests.support.accounts import new_secret
from tests.support.otel import protobuf_exporter, provider_with
from tests.support.server import SECRET_KEY, TheodoliteServer

SERVER_ENGINES = ALL_ENGINES  # what any trace store answers: on ClickHouse too

BASE = datetime(2026, 11, 3, tzinfo=UTC)

MESSAGES = {
    "latin": ("How do I reset my Password?", "Open Settings > Security and choose Reset password."),
    "japanese": ("パスワードをリセットするにはどうすればいいですか？", "設定 > セキュリティ で「リセット」を選択。"),
    "russian": ("Как экспортировать мои данные в CSV?", "Откройте проект и нажмите «Экспорт»."),
    "refund": ("What is your refund policy for annual plans?", "Annual plans are refunded pro rata within 30 days."),
}  # fmt: skip


def _ns(when: datetime) -> int:
    return int(when.timestamp() * 1e9)


def _messages(role: str, text: str) -> str:
    return json.dumps([{"role": role, "parts": [{"type": "text", "content": text}]}])


def send(server: TheodoliteServer, secret: str, name: str, start: datetime, question: str | None, answer: str | None,
         *, user: str = "user-a", trace_id: int | None = None) -> str:  # fmt: skip
    """One trace (agent root + LLM call with the messages), exported and committed. Returns its id."""
    provider = provider_with(protobuf_exporter(server.base_url + "/v1/traces", secret))
    tracer = provider.get_tracer("t")
    context = None
    if trace_id is not None:  # the same trace id as another project's trace: a remote parent
        remote = SpanContext(trace_id, 0x1234, is_remote=True, trace_flags=TraceFlags(1))
        context = set_span_in_context(NonRecordingSpan(remote))
    root = tracer.start_span(name, context=context, start_time=_ns(start), attributes={"user.id": user})
    attributes = {"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o-mini"}
    if question is not None:
        attributes["gen_ai.input.messages"] = _messages("user", question)
    if answer is not None:
        attributes["gen_ai.output.messages"] = _messages("assistant", answer)
    llm = tracer.start_span("llm", context=set_span_in_context(root), start_time=_ns(start + timedelta(seconds=1)),
                            attributes=attributes)  # fmt: skip
    llm.end(end_time=_ns(start + timedelta(seconds=2)))
    root.end(end_time=_ns(start + timedelta(seconds=3)))
    assert provider.force_flush(30_000)
    provider.shutdown()
    return format(root.get_span_context().trace_id, "032x")


@pytest.fixture(scope="module")
def other_secret(server: TheodoliteServer) -> str:
    return new_secret(server, "other")[1]


@pytest.fixture(scope="module")
def sent(server: TheodoliteServer) -> dict[str, str]:
    ids = {}
    for index, (role, (question, answer)) in enumerate(MESSAGES.items()):
        user = "user-b" if role == "refund" else "user-a"
        ids[role] = send(
            server, SECRET_KEY, f"job-{role}", BASE + timedelta(minutes=index), question, answer, user=user
        )
    return ids


def listed(server: TheodoliteServer, secret: str = SECRET_KEY, **params: object) -> dict:
    with server.client(secret) as client:
        response = client.get("/api/v1/traces", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def found(server: TheodoliteServer, search: str, secret: str = SECRET_KEY, **params: object) -> list[str]:
    return [item["id"] for item in listed(server, secret, search=search, **params)["data"]]


def test_latin_words_case_insensitive_last_word_a_prefix(server: TheodoliteServer, sent: dict[str, str]) -> None:
    assert found(server, "password") == [sent["latin"]]
    assert found(server, "PASSWORD") == [sent["latin"]]
    assert found(server, "passw") == [sent["latin"]]  # the last word is also a prefix
    assert found(server, "reset my password") == [sent["latin"]]  # a phrase, words in order
    assert found(server, "my reset") == []  # not in that order
    assert found(server, "assword") == []  # words, not substrings inside a word
    assert found(server, "refund pol") == [sent["refund"]]
    assert found(server, "settings security") == [sent["latin"]]  # from the output; punctuation separates
    assert found(server, "user") == []  # message roles are structure, not text
    assert found(server, "nothing-like-this") == []


def test_japanese_any_part_of_a_run(server: TheodoliteServer, sent: dict[str, str]) -> None:
    assert found(server, "パスワード") == [sent["japanese"]]
    assert found(server, "リセット") == [sent["japanese"]]
    assert found(server, "ワードをリ") == [sent["japanese"]]  # across what would be word boundaries
    assert found(server, "設定") == [sent["japanese"]]  # two characters: from the output
    assert found(server, "ス") == [sent["japanese"]]  # one character
    assert found(server, "パスポート") == []


def test_russian_case_folded_and_prefix(server: TheodoliteServer, sent: dict[str, str]) -> None:
    assert found(server, "ЭКСПОРТ") == [sent["russian"]]  # «Экспорт» in the output
    assert found(server, "экспортир") == [sent["russian"]]  # prefix of "экспортировать"
    assert found(server, "мои данные") == [sent["russian"]]
    assert found(server, "данные мои") == []


def test_search_combines_with_filters_and_time_range(server: TheodoliteServer, sent: dict[str, str]) -> None:
    assert found(server, "plans", user_id="user-b") == [sent["refund"]]
    assert found(server, "plans", user_id="user-a") == []
    assert found(server, "password", name="job-latin") == [sent["latin"]]
    assert found(server, "password", model="gpt-4o-mini") == [sent["latin"]]
    window = {"from": BASE.isoformat(), "to": (BASE + timedelta(seconds=30)).isoformat()}
    assert found(server, "password", **window) == [sent["latin"]]
    window = {"from": (BASE + timedelta(minutes=1)).isoformat(), "to": (BASE + timedelta(hours=1)).isoformat()}
    assert found(server, "password", **window) == []


def test_a_query_without_letters_or_digits_is_a_400(server: TheodoliteServer, sent: dict[str, str]) -> None:
    with server.client() as client:
        for bad in ("!!!", "x" * 201):
            response = client.get("/api/v1/traces", params={"search": bad})
            assert response.status_code == 400, response.text
            assert "search" in response.json()["error"]["message"]
        assert client.get("/api/v1/traces", params={"search": "  "}).status_code == 200  # empty: no search


def test_pages_of_a_search_are_newest_first_without_repeats(server: TheodoliteServer) -> None:
    start = BASE + timedelta(hours=2)
    ids = [
        send(server, SECRET_KEY, "paged", start + timedelta(minutes=i), f"invoice number {i}", None) for i in range(5)
    ]
    seen, cursor = [], None
    for _ in range(10):  # bounded: 5 traces, 2 a page
        params = {"search": "invoice", "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = listed(server, **params)
        seen += [item["id"] for item in page["data"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(ids))


def test_text_a_later_part_adds_is_found_and_a_moved_trace_stays_found(server: TheodoliteServer) -> None:
    # The root arrives first, without text; the LLM call with the text arrives in a later request
    # and starts 10 s before the root, so the trace's timestamp moves earlier (a merge that re-keys
    # the trace's facets).
    start = BASE + timedelta(hours=5)
    provider = provider_with(protobuf_exporter(server.base_url + "/v1/traces", SECRET_KEY))
    tracer = provider.get_tracer("t")
    root = tracer.start_span("late-text", start_time=_ns(start))
    root.end(end_time=_ns(start + timedelta(seconds=20)))
    assert provider.force_flush(30_000)
    trace_id = format(root.get_span_context().trace_id, "032x")
    assert found(server, "warehouse") == []
    attributes = {"gen_ai.operation.name": "chat", "gen_ai.input.messages": _messages("user", "warehouse inventory")}
    llm = tracer.start_span("llm", context=set_span_in_context(root), start_time=_ns(start - timedelta(seconds=10)),
                            attributes=attributes)  # fmt: skip
    llm.end(end_time=_ns(start))
    assert provider.force_flush(30_000)
    provider.shutdown()
    assert found(server, "warehouse inventory") == [trace_id]
    moved = {"from": (start - timedelta(seconds=10)).isoformat(), "to": (start - timedelta(seconds=9)).isoformat()}
    assert found(server, "warehouse", **moved) == [trace_id]
    assert found(server, "warehouse", name="late-text") == [trace_id]


def test_another_projects_traces_never_match(server: TheodoliteServer, sent: dict[str, str], other_secret: str) -> None:
    # The other project sends the same words, one trace even under the same trace id.
    same_id = int(sent["latin"], 16)
    other = send(server, other_secret, "theirs", BASE + timedelta(minutes=30), "reset my password, theirs", None,
                 trace_id=same_id)  # fmt: skip
    assert other == sent["latin"]
    send(server, other_secret, "theirs-2", BASE + timedelta(minutes=31), "パスワード Экспорт zebra", None)
    assert found(server, "password") == [sent["latin"]]
    assert found(server, "パスワード") == [sent["japanese"]]
    assert found(server, "экспорт") == [sent["russian"]]
    assert found(server, "zebra") == []
    assert found(server, "theirs") == []
    assert found(server, "theirs", other_secret) == [sent["latin"]]  # their own trace, under the shared id
    assert found(server, "zebra", other_secret) != []
    assert found(server, "plans", other_secret) == []


def test_a_search_in_another_order_pages_only_its_matches(server: TheodoliteServer) -> None:
    """A search with a sort (the list through the per-trace totals): the matches alone, in that order,
    page by page without repeats; with a latency filter too."""
    start = BASE + timedelta(hours=5)
    names = ["ledger-c", "ledger-a", "ledger-d", "ledger-b"]
    ids = {name: send(server, SECRET_KEY, name, start + timedelta(minutes=i), f"ledger entry {i}", None)
           for i, name in enumerate(names)}  # fmt: skip
    send(server, SECRET_KEY, "ledger-0", start + timedelta(minutes=9), "a different question", None)
    seen, cursor = [], None
    for _ in range(10):  # bounded: 4 traces, 3 a page
        params = {"search": "ledger entry", "sort": "name", "order": "asc", "limit": 3}
        page = listed(server, **params, **({"cursor": cursor} if cursor else {}))
        seen += [item["id"] for item in page["data"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [ids[name] for name in sorted(names)]
    assert found(server, "ledger entry", sort="latency", latency_min=2.5) == [ids["ledger-b"], ids["ledger-d"],
                                                                          ids["ledger-a"], ids["ledger-c"]]  # fmt: skip
    assert found(server, "ledger entry", sort="cost", latency_max=1) == []
