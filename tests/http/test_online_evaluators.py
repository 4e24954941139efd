"""Online evaluators end to end: real `theodolite serve` processes on SQLite and PostgreSQL, traffic
through OTLP, and a fake OpenAI-compatible judge on 127.0.0.1 (the process boundary). The rules'
worker scores in the background; these tests poll the API with deadlines."""

from __future__ import annotations

import json
import re
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import new_postgres_database
from tests.support.fake_provider import FakeProvider, Reply
from tests.support.otlp_bodies import request_of, span
from tests.support.server import TheodoliteServer, fetch_trace
from theodolite.evaluation.online import EVALUATOR_ENVIRONMENT, sampled

# evaluator_cpu_share 1: these tests are about what is scored, not how the worker shares the CPU
SETTINGS = {"evaluator_poll_s": "0.2", "evaluator_settle_s": "0.5", "evaluator_api_keys": "judge=sk-test",
            "evaluator_cpu_share": "1"}  # fmt: skip
TRACE = re.compile(r"Trace ([0-9a-f]{32})")
# sha256("1:<trace id>") below 2**63 for the trace ids 1..1000 (`online.sampled`): 509 of 1,000
EXPECTED_SAMPLED = 509


class Judge:
    """A fake judge counting the traces it was asked about (the prompt names the trace)."""

    def __init__(self, hang: threading.Event | None = None) -> None:
        self.asked: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.hang = hang
        self.provider = FakeProvider(chat=self.answer)

    def answer(self, body: dict[str, Any]) -> Reply:
        if self.hang is not None and not self.hang.is_set():
            return Reply(hang=True)
        prompt = body["messages"][-1]["content"]
        with self.lock:
            self.asked[TRACE.search(prompt).group(1)] += 1
        content = json.dumps({"reasoning": "it answers", "score": True})
        return Reply({"model": "gpt-4o-mini", "choices": [{"message": {"role": "assistant", "content": content}}],
                      "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120}})  # fmt: skip


@pytest.fixture
def judge() -> Iterator[Judge]:
    fake = Judge()
    with fake.provider:
        yield fake


def judge_rule(url: str, rate: float = 0.5, name: str = "helpful") -> dict[str, Any]:
    return {
        "name": name, "scope": "trace", "sampling_rate": rate, "filter": {"name_regex": "^answer"},
        "evaluator": {"type": "judge", "template": "Trace {{tid}} answered: {{output}}. Helpful?",
                      "mapping": {"tid": "metadata.trace_id"}, "score": {"name": name, "data_type": "BOOLEAN"},
                      "provider": {"base_url": url, "model": "gpt-4o-mini", "api_key_setting": "judge"}},
    }  # fmt: skip


def trace_id(number: int) -> str:
    return number.to_bytes(16, "big").hex()


def ingest(server: TheodoliteServer, numbers: range, *, per_request: int = 100) -> None:
    """One generation per trace, named `answer`, ending now (quiet from now on)."""
    client = server.client()
    numbers = list(numbers)
    for start in range(0, len(numbers), per_request):
        now = time.time_ns() - 2_000_000
        chunk = numbers[start : start + per_request]
        spans = [span(number.to_bytes(16, "big"), "answer", now, tokens=(50, 10)) for number in chunk]
        response = client.post("/v1/traces", content=request_of(*spans),
                               headers={"Content-Type": "application/x-protobuf"})  # fmt: skip
        assert response.status_code == 200, response.text


def wait_for(predicate: Any, deadline_s: float = 90.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)  # polling the API with a deadline
    raise AssertionError(f"timed out waiting for {what}")


def status(server: TheodoliteServer, rule_id: int) -> dict[str, Any]:
    response = server.client().get(f"/api/v1/evaluators/{rule_id}")
    assert response.status_code == 200, response.text
    return response.json()["status"]


def start(url: str, workdir: Path, **extra: str) -> TheodoliteServer:
    return TheodoliteServer(url, workdir, **{**SETTINGS, **extra}).start(deadline_s=60)


@pytest.fixture(params=["sqlite", "postgresql", "clickhouse"])
def stores(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, dict[str, str]]:
    """(database_url, settings) of each trace store; ClickHouse embedded (chdb) beside a SQLite metadata file."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'theodolite.db'}", {}
    if request.param == "clickhouse":
        return f"chdb://{tmp_path / 'chdb'}?database=theodolite", {"metadata_url": f"sqlite:///{tmp_path / 'm.db'}"}
    return new_postgres_database(request.getfixturevalue("postgres_server")), {}


def test_half_sampling_scores_the_hashed_half_once_each_and_prices_the_judge(
    stores: tuple[str, dict[str, str]], tmp_path: Path, judge: Judge
) -> None:
    server = start(stores[0], tmp_path, **stores[1])
    try:
        client = server.client()
        created = client.post("/api/v1/evaluators", json=judge_rule(judge.provider.url))
        assert created.status_code == 201, created.text
        rule = created.json()
        assert rule["id"] == 1  # EXPECTED_SAMPLED is for rule 1
        ids = [trace_id(n) for n in range(1, 1001)]
        assert sum(sampled(1, t, 0.5) for t in ids) == EXPECTED_SAMPLED
        ingest(server, range(1, 1001))

        wait_for(lambda: status(server, rule["id"])["scored"] >= EXPECTED_SAMPLED, what="the verdicts")
        wait_for(lambda: status(server, rule["id"])["caught_up"], what="the worker to catch up")
        final = status(server, rule["id"])
        assert final["scored"] == EXPECTED_SAMPLED and final["failed"] == 0
        assert final["skipped"] == 1000 - EXPECTED_SAMPLED
        assert 450 <= final["scored"] <= 550
        wanted = {t for t in ids if sampled(1, t, 0.5)}
        assert set(judge.asked) == wanted and max(judge.asked.values()) == 1

        # each sampled trace holds exactly one EVAL score naming the rule; the others none
        for number in (1, 2, 3, 4, 5, 6, 7, 8):
            trace = client.get(f"/api/v1/traces/{trace_id(number)}").json()
            evals = [s for s in trace["scores"] if s["source"] == "EVAL"]
            assert len(evals) == (1 if trace_id(number) in wanted else 0)
            for score in evals:
                assert score["name"] == "helpful" and score["value"] == 1.0
                assert score["metadata"]["rule"] == "helpful"

        # the judge's calls are traces of their own, priced, and no rule matched them
        page = client.get("/api/v1/traces", params={"environment": EVALUATOR_ENVIRONMENT, "limit": 500}).json()
        judged = page["data"]
        while page["next_cursor"]:
            page = client.get("/api/v1/traces", params={"environment": EVALUATOR_ENVIRONMENT, "limit": 500,
                                                        "cursor": page["next_cursor"]}).json()  # fmt: skip
            judged += page["data"]
        assert len(judged) == EXPECTED_SAMPLED
        one = client.get(f"/api/v1/traces/{judged[0]['id']}").json()
        generation = one["observations"][0]
        assert generation["type"] == "generation" and generation["model"] == "gpt-4o-mini"
        assert (generation["prompt_tokens"], generation["completion_tokens"]) == (100, 20)
        assert generation["cost_status"] == "priced" and float(generation["calculated_total_cost"]) > 0
        assert generation["input"][-1]["content"].startswith("Trace ")
        assert not [s for s in one["scores"] if s["source"] == "EVAL"]
    finally:
        server.stop()


def test_a_restart_resumes_from_the_watermark(tmp_path: Path, judge: Judge) -> None:
    url = f"sqlite:///{tmp_path / 'theodolite.db'}"
    server = start(url, tmp_path)
    try:
        rule = server.client().post("/api/v1/evaluators", json=judge_rule(judge.provider.url, rate=1.0)).json()
        ingest(server, range(1, 41))
        wait_for(lambda: status(server, rule["id"])["scored"] == 40, what="the first 40 verdicts")

        # caught up, past the judge's own traces too (committed with the verdicts, read by the next pass)
        def read_everything() -> dict[str, Any] | None:
            now = status(server, rule["id"])
            return now if now["caught_up"] and now["lag"] == 0 else None

        watermark = wait_for(read_everything, what="the worker to read everything")["watermark"]
    finally:
        server.stop()
    server.start(deadline_s=60)
    try:
        assert status(server, rule["id"])["watermark"] == watermark
        ingest(server, range(41, 61))
        wait_for(lambda: status(server, rule["id"])["scored"] == 60, what="the 20 new verdicts")
        wait_for(lambda: status(server, rule["id"])["caught_up"], what="the worker to catch up")
        assert sum(judge.asked.values()) == 60 and set(judge.asked) == {trace_id(n) for n in range(1, 61)}
        assert status(server, rule["id"])["scored"] == 60
    finally:
        server.stop()


def test_two_servers_on_one_postgresql_database_never_judge_a_trace_twice(
    postgres_server: Any, tmp_path: Path, judge: Judge
) -> None:
    url = new_postgres_database(postgres_server)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first, second = start(url, tmp_path / "a"), start(url, tmp_path / "b")
    try:
        rule = first.client().post("/api/v1/evaluators", json=judge_rule(judge.provider.url, rate=1.0)).json()

        def runs_here(server: TheodoliteServer) -> bool:
            return server.client().get("/api/v1/evaluators").json()["runs_here"]

        # one of them takes the lease, and only one
        holder = wait_for(lambda: [s for s in (first, second) if runs_here(s)], what="a lease holder")
        assert len(holder) == 1
        holder, other = holder[0], second if holder[0] is first else first
        # traffic through both servers
        ingest(first, range(1, 101))
        ingest(second, range(101, 201))
        wait_for(lambda: status(other, rule["id"])["scored"] == 200, what="200 verdicts")
        assert not runs_here(other)
        # the holder stops; the other takes over from the stored watermark
        holder.stop()
        ingest(other, range(201, 301))
        wait_for(lambda: status(other, rule["id"])["scored"] == 300, what="300 verdicts after the takeover")
        wait_for(lambda: status(other, rule["id"])["caught_up"], what="the worker to catch up")
        assert runs_here(other)
        assert len(judge.asked) == 300 and max(judge.asked.values()) == 1
        assert status(other, rule["id"])["scored"] == 300
    finally:
        first.stop()
        second.stop()


def test_the_worker_is_off_the_ingest_path(tmp_path: Path) -> None:
    """With the judge hanging on every call, ingest is answered as fast as ever."""
    release = threading.Event()
    hanging = Judge(hang=release)
    with hanging.provider:
        server = start(f"sqlite:///{tmp_path / 'theodolite.db'}", tmp_path, evaluator_settle_s="0")
        try:
            rule = server.client().post("/api/v1/evaluators", json=judge_rule(hanging.provider.url, rate=1.0)).json()
            ingest(server, range(1, 11), per_request=10)
            wait_for(lambda: hanging.provider.requests, what="the judge to be called")
            slowest = 0.0
            for batch in range(10):
                begun = time.monotonic()
                ingest(server, range(100 + batch * 50, 150 + batch * 50), per_request=50)
                slowest = max(slowest, time.monotonic() - begun)
            assert slowest < 2.0, f"an ingest request took {slowest:.2f} s while the judge hung"
            assert status(server, rule["id"])["scored"] == 0
            listed = server.client().get("/api/v1/traces", params={"limit": 1}).json()
            assert listed["data"]
        finally:
            release.set()
            server.stop()


def test_rules_are_validated_naming_the_problem(tmp_path: Path, judge: Judge) -> None:
    server = start(f"sqlite:///{tmp_path / 'theodolite.db'}", tmp_path, evaluators_enabled="false")
    try:
        client = server.client()
        good = judge_rule(judge.provider.url)
        cases = [
            ({**good, "filter": {"name_regex": "(unclosed"}}, "filter.name_regex"),
            ({**good, "evaluator": {"type": "builtin", "name": "telepathy"}}, "telepathy"),
            ({**good, "sampling_rate": 1.5}, "sampling_rate"),
            ({**good, "evaluator": {**good["evaluator"], "provider": {**good["evaluator"]["provider"],
                                                                      "api_key_setting": "other"}}}, "'other'"),
            ({**good, "evaluator": {"type": "builtin", "name": "regex", "params": {"pattern": "["}}}, "regex"),
            ({**good, "filter": {"colour": "blue"}}, "colour"),
        ]  # fmt: skip
        for body, named in cases:
            response = client.post("/api/v1/evaluators", json=body)
            assert response.status_code == 400, (body, response.text)
            assert named in response.text, response.text
        created = client.post("/api/v1/evaluators", json=good)
        assert created.status_code == 201
        assert client.post("/api/v1/evaluators", json=good).status_code == 409
        rule_id = created.json()["id"]
        patched = client.patch(f"/api/v1/evaluators/{rule_id}", json={"sampling_rate": 0.25, "enabled": False})
        assert patched.status_code == 200 and patched.json()["sampling_rate"] == 0.25
        assert client.patch(f"/api/v1/evaluators/{rule_id}", json={"sampling_rate": -1}).status_code == 400
        listed = client.get("/api/v1/evaluators").json()
        assert [r["name"] for r in listed["data"]] == ["helpful"] and listed["evaluators_enabled"] is False
        assert "api_key" not in json.dumps(listed).replace("api_key_setting", "")
        assert client.delete(f"/api/v1/evaluators/{rule_id}").status_code == 204
        assert client.get(f"/api/v1/evaluators/{rule_id}").status_code == 404
    finally:
        server.stop()


def test_observation_and_session_scopes(tmp_path: Path) -> None:
    """An observation rule judges each matching observation; a session rule judges each session once,
    when all its traces are quiet, with the lists of their outputs."""
    asked: list[str] = []

    def answer(body: dict[str, Any]) -> Reply:
        asked.append(body["messages"][-1]["content"])
        content = json.dumps({"reasoning": "coherent", "score": "good"})
        return Reply({"model": "gpt-4o-mini", "choices": [{"message": {"content": content}}],
                      "usage": {"prompt_tokens": 10, "completion_tokens": 2}})  # fmt: skip

    with FakeProvider(chat=answer) as fake:
        server = start(f"sqlite:///{tmp_path / 'theodolite.db'}", tmp_path)
        try:
            client = server.client()
            per_observation = client.post("/api/v1/evaluators", json={
                "name": "generations-json", "scope": "observation", "filter": {"type": "generation"},
                "evaluator": {"type": "builtin", "name": "json_valid"}}).json()  # fmt: skip
            per_session = client.post("/api/v1/evaluators", json={
                "name": "session-quality", "scope": "session",
                "evaluator": {"type": "judge", "template": "Session {{sid}}: {{output}}",
                              "mapping": {"sid": "metadata.session_id"},
                              "score": {"name": "quality", "data_type": "CATEGORICAL", "categories": ["good", "bad"]},
                              "provider": {"base_url": fake.url, "model": "gpt-4o-mini", "api_key_setting": "judge"}},
            }).json()  # fmt: skip
            now = time.time_ns() - 2_000_000
            spans = []
            for number in range(1, 7):
                trace = number.to_bytes(16, "big")
                root = span(trace, "answer", now)
                root.attributes.append(_session(f"s-{'a' if number <= 3 else 'b'}"))
                spans += [root, span(trace, "llm", now, parent=root.span_id, tokens=(5, 1))]
            response = client.post("/v1/traces", content=request_of(*spans),
                                   headers={"Content-Type": "application/x-protobuf"})  # fmt: skip
            assert response.status_code == 200, response.text
            wait_for(lambda: status(server, per_observation["id"])["scored"] == 6, what="6 generations scored")
            wait_for(lambda: status(server, per_session["id"])["scored"] == 2, what="2 sessions scored")
            wait_for(lambda: status(server, per_session["id"])["caught_up"], what="the session rule to catch up")
            assert status(server, per_observation["id"])["skipped"] == 6  # the root spans
            assert sorted(prompt.split(":")[0] for prompt in asked) == ["Session s-a", "Session s-b"]
            trace = client.get(f"/api/v1/traces/{trace_id(1)}").json()
            generation = trace["observations"][0]["children"][0]
            assert [s["observation_id"] for s in trace["scores"] if s["name"] == "json_valid"] == [generation["id"]]
        finally:
            server.stop()


def _session(session_id: str) -> Any:
    from opentelemetry.proto.common.v1.common_pb2 import KeyValue

    kv = KeyValue(key="session.id")
    kv.value.string_value = session_id
    return kv


def test_failures_are_counted_and_shown_and_the_worker_goes_on(tmp_path: Path) -> None:
    refusing = threading.Event()
    refusing.set()

    def answer(body: dict[str, Any]) -> Reply:
        if refusing.is_set():
            return Reply({"error": {"message": "invalid api key"}}, status=401)
        content = json.dumps({"reasoning": "fine", "score": True})
        return Reply({"model": "gpt-4o-mini", "choices": [{"message": {"content": content}}]})

    with FakeProvider(chat=answer) as fake:
        server = start(f"sqlite:///{tmp_path / 'theodolite.db'}", tmp_path)
        try:
            rule = server.client().post("/api/v1/evaluators", json=judge_rule(fake.url, rate=1.0)).json()
            ingest(server, range(1, 6))
            wait_for(lambda: status(server, rule["id"])["failed"] == 5, what="5 failures")
            failed = status(server, rule["id"])
            assert failed["scored"] == 0 and "HTTP 401" in failed["last_error"] and failed["caught_up"]
            refusing.clear()
            ingest(server, range(6, 11))
            wait_for(lambda: status(server, rule["id"])["scored"] == 5, what="the worker to go on")
            assert status(server, rule["id"])["failed"] == 5  # a failed verdict is not retried
            # a call that failed is traced all the same, as an error
            page = server.client().get("/api/v1/traces", params={"environment": EVALUATOR_ENVIRONMENT}).json()
            assert len(page["data"]) == 10
        finally:
            server.stop()


def test_a_rule_whose_key_the_server_lost_shows_why_it_waits(tmp_path: Path, judge: Judge) -> None:
    url = f"sqlite:///{tmp_path / 'theodolite.db'}"
    server = start(url, tmp_path)
    try:
        rule = server.client().post("/api/v1/evaluators", json=judge_rule(judge.provider.url)).json()
    finally:
        server.stop()
    (tmp_path / "again").mkdir()
    server = start(url, tmp_path / "again", evaluator_api_keys="other=sk-other")
    try:
        ingest(server, range(1, 4))
        wait_for(lambda: status(server, rule["id"])["last_error"], what="the error shown")
        error = status(server, rule["id"])["last_error"]
        assert "'judge'" in error and "evaluator_api_keys" in error
        assert status(server, rule["id"])["scored"] == 0 and not judge.asked
    finally:
        server.stop()


def _evaluator_children(server: TheodoliteServer) -> list[int]:
    """The server's spawned children (with decoding in the server, only the evaluators' process)."""
    assert server.process is not None
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue  # gone meanwhile
        if int(fields[1]) == server.process.pid and b"spawn_main" in cmdline and _running(int(stat.parent.name)):
            found.append(int(stat.parent.name))
    return found


def _running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_the_evaluators_process_is_started_again_when_it_dies_and_ends_with_the_server(
    tmp_path: Path, judge: Judge
) -> None:
    import os
    import signal

    server = start(f"sqlite:///{tmp_path / 'theodolite.db'}", tmp_path, decode_workers="0")
    try:
        client = server.client()
        # no rule yet: no process (about 65 MB) either
        wait_for(lambda: "their process starts with the first one" in server.log(), what="the server to wait for rules")
        assert _evaluator_children(server) == []
        rule = client.post("/api/v1/evaluators", json=judge_rule(judge.provider.url, rate=1.0)).json()
        listed = wait_for(lambda: (r := client.get("/api/v1/evaluators").json())["runs_here"] and r,
                          what="the process to take the lease")  # fmt: skip
        assert listed["runs_in"] == "process" and listed["restarts"] == 0
        ingest(server, range(1, 21))
        wait_for(lambda: status(server, rule["id"])["scored"] == 20, what="the first 20 verdicts")
        wait_for(lambda: status(server, rule["id"])["caught_up"], what="the worker to catch up")
        (first,) = _evaluator_children(server)
        os.kill(first, signal.SIGKILL)
        second = wait_for(lambda: [p for p in _evaluator_children(server) if p != first], what="a new process")[0]
        ingest(server, range(21, 41))
        wait_for(lambda: status(server, rule["id"])["scored"] == 40, what="the verdicts after the restart")
        assert client.get("/api/v1/evaluators").json()["restarts"] == 1
        assert len(judge.asked) == 40 and max(judge.asked.values()) == 1
        # the server killed: its evaluators' process notices and exits
        assert server.process is not None
        server.process.kill()
        server.process.wait(10)
        wait_for(lambda: not _running(second), deadline_s=30, what="the orphaned process to exit")
    finally:
        server.stop()


def test_a_daily_cost_limit_stops_the_judge_and_the_rest_waits(tmp_path: Path, judge: Judge) -> None:
    """The rule's judge calls stop once they cost the day's limit (overshooting by one step of
    2 x evaluator_concurrency calls at most); nothing is skipped: a higher limit judges the rest."""
    server = start(f"sqlite:///{tmp_path / 'theodolite.db'}", tmp_path, evaluator_concurrency="2")
    try:
        client = server.client()
        limit = 0.0003  # about a dozen calls of 100 + 20 gpt-4o-mini tokens
        body = {**judge_rule(judge.provider.url, rate=1.0), "daily_cost_limit_usd": limit}
        rule = client.post("/api/v1/evaluators", json=body).json()
        assert rule["daily_cost_limit_usd"] == limit and rule["status"]["spent_today_usd"] == 0
        ingest(server, range(1, 61))
        reached = wait_for(lambda: (s := status(server, rule["id"]))["budget_reached"] and s, what="the limit")
        calls = sum(judge.asked.values())
        per_call = reached["spent_today_usd"] / calls
        assert per_call > 0 and reached["scored"] == calls < 60
        assert limit <= reached["spent_today_usd"] < limit + 4 * per_call
        # the spend is what the judge's priced traces cost
        judged = client.get("/api/v1/traces", params={"environment": EVALUATOR_ENVIRONMENT, "limit": 100}).json()
        assert len(judged["data"]) == calls
        assert abs(sum(t["total_cost"] for t in judged["data"]) - reached["spent_today_usd"]) < 1e-9
        assert status(server, rule["id"])["scored"] == calls  # waiting, not judging
        assert not status(server, rule["id"])["caught_up"]
        # no limit: the rest is judged, each trace once
        assert client.patch(f"/api/v1/evaluators/{rule['id']}", json={"daily_cost_limit_usd": None}).status_code == 200
        wait_for(lambda: status(server, rule["id"])["scored"] == 60, what="the rest of the verdicts")
        assert len(judge.asked) == 60 and max(judge.asked.values()) == 1
        assert client.get(f"/api/v1/evaluators/{rule['id']}").json()["daily_cost_limit_usd"] is None
    finally:
        server.stop()


def test_verdicts_are_checked_by_the_projects_score_configs(tmp_path: Path, judge: Judge) -> None:
    """A verdict passes the project's score config of its name as any score the server takes: one
    that fits is stored with the config's id, one that does not is a failure naming the rule broken
    (the judge's call, paid for, is still traced)."""
    server = start(f"sqlite:///{tmp_path / 'theodolite.db'}", tmp_path)
    try:
        client = server.client()
        for config in ({"name": "helpful", "data_type": "BOOLEAN"},
                       {"name": "stars", "data_type": "NUMERIC", "min_value": 1, "max_value": 5}):  # fmt: skip
            assert client.post("/api/v1/score-configs", json=config).status_code == 201
        helpful = client.post("/api/v1/evaluators", json=judge_rule(judge.provider.url, rate=1.0)).json()
        stars = client.post("/api/v1/evaluators", json=judge_rule(judge.provider.url, rate=1.0, name="stars")).json()
        ingest(server, range(1, 11))
        wait_for(lambda: status(server, helpful["id"])["scored"] == 10, what="the fitting verdicts")
        broken = wait_for(lambda: (s := status(server, stars["id"]))["failed"] == 10 and s, what="the misfits")
        assert broken["scored"] == 0 and "stars" in broken["last_error"] and "NUMERIC" in broken["last_error"]
        config_ids = {c["name"]: str(c["id"]) for c in client.get("/api/v1/score-configs").json()["data"]}
        scores = [s for s in fetch_trace(server, trace_id(3))["scores"] if s["source"] == "EVAL"]
        assert [(s["name"], s["value"], s["config_id"]) for s in scores] == [("helpful", 1.0, config_ids["helpful"])]
        judged = client.get("/api/v1/traces", params={"environment": EVALUATOR_ENVIRONMENT, "limit": 100}).json()
        assert len(judged["data"]) == 20  # both rules' calls, the misfits' too
    finally:
        server.stop()
