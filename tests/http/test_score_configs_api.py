"""/api/v1/score-configs over a real server, and scores checked against the configs at ingest: the
scores API (all or nothing), Langfuse's and LangSmith's endpoints (the bad score refused alone), a
Langfuse batch's `configId` choosing the config (and stored with the score), on every trace store
(the update rule asks the trace store whether scores of a name are stored)."""

from __future__ import annotations

import base64
import time
import uuid
from datetime import UTC, datetime

import httpx

from tests.conftest import ALL_ENGINES
from tests.support.server import PUBLIC_KEY, SECRET_KEY, TheodoliteServer

SERVER_ENGINES = ALL_ENGINES


def call(server: TheodoliteServer, method: str, path: str, **kwargs: object) -> httpx.Response:
    with server.client() as client:
        return client.request(method, path, **kwargs)


def new_config(server: TheodoliteServer, data_type: str, **fields: object) -> dict:
    name = f"{data_type.lower()}-{uuid.uuid4().hex[:8]}"
    created = call(server, "POST", "/api/v1/score-configs", json={"name": name, "data_type": data_type, **fields})
    assert created.status_code == 201, created.text
    return created.json()


def stored(server: TheodoliteServer, name: str) -> list[tuple]:
    """(value, string_value, data_type) of the scores of `name` stored in the key's project, oldest first."""
    response = call(server, "GET", "/api/v1/analytics/scores", params={"name": name})
    assert response.status_code == 200, response.text
    return sorted((row["value"], row["string_value"], row["data_type"]) for row in response.json())


def scores(server: TheodoliteServer, *items: dict) -> httpx.Response:
    trace_id = uuid.uuid4().hex
    return call(server, "POST", "/api/v1/scores", json={"scores": [{"trace_id": trace_id, **i} for i in items]})


def test_a_score_naming_a_config_is_refused_when_the_project_has_none(server: TheodoliteServer) -> None:
    """First in the module: the project has no config yet, the case where ingest skips the check."""
    assert call(server, "GET", "/api/v1/score-configs").json()["data"] == []
    missing = scores(server, {"name": "fresh", "value": 1, "config_id": 424242})
    assert missing.status_code == 400 and "no score config with id 424242" in missing.text
    trace_id = uuid.uuid4().hex
    token = base64.b64encode(f"{PUBLIC_KEY}:{SECRET_KEY}".encode()).decode()
    with httpx.Client(base_url=server.base_url, headers={"Authorization": f"Basic {token}"}, timeout=30) as langfuse:
        v5 = langfuse.post("/api/public/scores", json=[{"traceId": trace_id, "name": "fresh", "value": 1,
                                                         "configId": "424242"}])  # fmt: skip
    assert v5.status_code == 400 and "no score config with id '424242'" in v5.text
    assert scores(server, {"name": "fresh", "value": 1}).status_code == 200  # no config, no reference: stored


def test_configs_are_created_listed_read_and_refused_with_clear_4xx(server: TheodoliteServer) -> None:
    stars = new_config(server, "NUMERIC", min_value=1, max_value=5, description="how good, 1 to 5")
    tone = new_config(server, "categorical", categories=[{"label": "rude", "value": 0}, "polite"])
    assert (stars["data_type"], stars["min_value"], stars["max_value"], stars["archived"]) == ("NUMERIC", 1, 5, False)
    assert tone["categories"] == [{"label": "rude", "value": 0.0}, {"label": "polite", "value": None}]
    assert call(server, "GET", f"/api/v1/score-configs/{stars['id']}").json() == stars
    listed = {c["name"]: c for c in call(server, "GET", "/api/v1/score-configs").json()["data"]}
    assert listed[stars["name"]] == stars and listed[tone["name"]] == tone

    again = call(server, "POST", "/api/v1/score-configs", json={"name": stars["name"], "data_type": "BOOLEAN"})
    assert again.status_code == 409 and "already has a score config" in again.json()["error"]["message"]
    upside_down = call(server, "POST", "/api/v1/score-configs",
                       json={"name": "x", "data_type": "NUMERIC", "min_value": 5, "max_value": 1})  # fmt: skip
    assert (
        upside_down.status_code == 400 and "min_value 5 is above max_value 1" in upside_down.json()["error"]["message"]
    )
    no_labels = call(server, "POST", "/api/v1/score-configs", json={"name": "y", "data_type": "CATEGORICAL"})
    assert no_labels.status_code == 400 and "needs its categories" in no_labels.json()["error"]["message"]
    assert call(server, "POST", "/api/v1/score-configs", json={"name": "z", "data_type": "ORDINAL"}).status_code == 422
    assert call(server, "GET", "/api/v1/score-configs/999999").status_code == 404
    assert call(server, "PATCH", "/api/v1/score-configs/999999", json={"archived": True}).status_code == 404
    with httpx.Client(base_url=server.base_url, timeout=30) as anonymous:
        assert anonymous.get("/api/v1/score-configs").status_code == 401


def test_a_bad_score_refuses_the_whole_request_naming_its_index_and_rule(server: TheodoliteServer) -> None:
    stars = new_config(server, "NUMERIC", min_value=1, max_value=5)["name"]
    good, bad = {"name": stars, "value": 4}, {"name": stars, "value": 7}
    refused = scores(server, good, {"name": "free-text", "value": "anything"}, bad)
    assert refused.status_code == 400
    assert refused.json()["error"]["message"] == f"nothing stored: score 2: score {stars!r}: 7 is above its maximum 5"
    assert stored(server, stars) == [] and stored(server, "free-text") == []  # nothing of the request
    assert scores(server, good, {"name": stars, "value": 1}).status_code == 200
    assert stored(server, stars) == [(1.0, None, "NUMERIC"), (4.0, None, "NUMERIC")]

    kind = scores(server, {"name": stars, "value": "great"})
    assert kind.status_code == 400 and "is NUMERIC: expected a number, got 'great'" in kind.json()["error"]["message"]


def test_categories_booleans_and_named_configs(server: TheodoliteServer) -> None:
    tone = new_config(
        server, "CATEGORICAL", categories=[{"label": "rude", "value": 0}, {"label": "polite", "value": 1}]
    )
    ok = new_config(server, "BOOLEAN")
    assert (
        scores(server, {"name": tone["name"], "value": "polite"}, {"name": tone["name"], "value": 0}).status_code == 200
    )
    assert stored(server, tone["name"]) == [(0.0, "rude", "CATEGORICAL"), (1.0, "polite", "CATEGORICAL")]
    wrong = scores(server, {"name": tone["name"], "value": "Rude"})
    assert wrong.status_code == 400
    assert (
        "score 0: " in wrong.json()["error"]["message"]
        and "'Rude' is not one of its categories" in wrong.json()["error"]["message"]
    )
    number = scores(server, {"name": ok["name"], "value": 1})
    assert number.status_code == 400 and "is BOOLEAN: expected true or false" in number.json()["error"]["message"]
    assert scores(server, {"name": ok["name"], "value": True}).status_code == 200

    # A score that names a config is checked against it, and must carry its name.
    other = scores(server, {"name": "helpful", "value": True, "config_id": ok["id"]})
    assert other.status_code == 400 and f"score 'helpful' names score config {ok['name']!r}" in other.text
    unknown = scores(server, {"name": "helpful", "value": True, "config": "no-such-config"})
    assert unknown.status_code == 400 and "no score config named 'no-such-config'" in unknown.text
    assert scores(server, {"name": ok["name"], "value": False, "config": ok["name"]}).status_code == 200


def test_changes_apply_to_the_next_score_and_rules_freeze_once_used(server: TheodoliteServer) -> None:
    config = new_config(server, "NUMERIC", min_value=0, max_value=1)
    name, path = config["name"], f"/api/v1/score-configs/{config['id']}"
    assert scores(server, {"name": name, "value": 3}).status_code == 400  # the config is cached now
    widened = call(server, "PATCH", path, json={"max_value": 5})  # no score stored yet: the rules may change
    assert widened.status_code == 200 and widened.json()["max_value"] == 5
    assert scores(server, {"name": name, "value": 3}).status_code == 200  # the cached copy was dropped

    frozen = call(server, "PATCH", path, json={"max_value": 10})
    assert frozen.status_code == 409 and "its max_value cannot change" in frozen.json()["error"]["message"]
    same = call(server, "PATCH", path, json={"max_value": 5, "description": "0 to 5"})  # the same rule is no change
    assert same.status_code == 200 and same.json()["description"] == "0 to 5"
    archived = call(server, "PATCH", path, json={"archived": True})
    assert archived.status_code == 200 and archived.json()["archived"] is True
    assert scores(server, {"name": name, "value": 42}).status_code == 200  # archived: checks nothing by name
    by_id = scores(server, {"name": name, "value": 1, "config_id": config["id"]})
    assert by_id.status_code == 400 and "is archived" in by_id.text
    assert call(server, "PATCH", path, json={"archived": False}).status_code == 200
    assert scores(server, {"name": name, "value": 42}).status_code == 400
    assert stored(server, name) == [(3.0, None, "NUMERIC"), (42.0, None, "NUMERIC")]


def test_langfuse_and_langsmith_scores_are_checked_and_refused_alone(server: TheodoliteServer) -> None:
    stars = new_config(server, "NUMERIC", min_value=1, max_value=5)
    trace_id, now = uuid.uuid4().hex, datetime.now(UTC).isoformat()
    token = base64.b64encode(f"{PUBLIC_KEY}:{SECRET_KEY}".encode()).decode()
    with httpx.Client(base_url=server.base_url, headers={"Authorization": f"Basic {token}"}, timeout=30) as langfuse:
        v5 = langfuse.post("/api/public/scores", json=[
            {"id": "lf-ok", "traceId": trace_id, "name": stars["name"], "value": 2},
            {"id": "lf-bad", "traceId": trace_id, "name": stars["name"], "value": 9},
            {"id": "lf-ref", "traceId": trace_id, "name": "other", "value": 2, "configId": str(stars["id"])},
        ])  # fmt: skip
        events = [
            {"id": "e1", "type": "score-create", "timestamp": now,
             "body": {"id": "lf-event-ok", "traceId": trace_id, "name": stars["name"], "value": 5}},
            {"id": "e2", "type": "score-create", "timestamp": now,
             "body": {"id": "lf-event-bad", "traceId": trace_id, "name": stars["name"], "value": 0}},
        ]  # fmt: skip
        batch = langfuse.post("/api/public/ingestion", json={"batch": events})
    assert v5.status_code == 207, v5.text
    errors = {e["id"]: e["message"] for e in v5.json()["errors"]}
    assert set(errors) == {"lf-bad", "lf-ref"} and "9 is above its maximum 5" in errors["lf-bad"]
    assert "names score config" in errors["lf-ref"]
    assert batch.status_code == 207, batch.text
    [error] = batch.json()["errors"]  # under the event's id, as Langfuse answers; not among the successes
    assert error["id"] == "e2" and "0 is below its minimum 1" in error["message"]
    assert [success["id"] for success in batch.json()["successes"]] == ["e1"]

    with httpx.Client(base_url=server.base_url, headers={"x-api-key": SECRET_KEY}, timeout=30) as langsmith:
        fine = langsmith.post("/feedback", json={"id": str(uuid.uuid4()), "run_id": trace_id,
                                                 "key": stars["name"], "score": 3})  # fmt: skip
        feedback_id = str(uuid.uuid4())
        refused = langsmith.post("/feedback", json={"id": feedback_id, "run_id": trace_id, "key": stars["name"],
                                                    "score": 6})  # fmt: skip
    assert fine.status_code == 200, fine.text
    assert refused.status_code == 422 and refused.json()["errors"][0]["id"] == feedback_id
    assert "6 is above its maximum 5" in refused.json()["errors"][0]["message"]
    assert [value for value, _, _ in stored(server, stars["name"])] == [2.0, 3.0, 5.0]


def test_a_langfuse_batch_names_its_config_by_id_and_the_score_keeps_it(server: TheodoliteServer) -> None:
    """The ingestion batch's `score-create` as the Langfuse SDK sends `score(config_id=...)`: the
    config it names checks it, an id the project has no config for refuses that event alone."""
    tone = new_config(server, "CATEGORICAL", categories=[{"label": "bad", "value": 0}, {"label": "good", "value": 1}])
    stars = new_config(server, "NUMERIC", min_value=1, max_value=5)
    trace_id, now = uuid.uuid4().hex, datetime.now(UTC).isoformat()

    def score(score_id: str, name: str, value: object, config_id: str | None = None) -> dict:
        body = {"id": score_id, "traceId": trace_id, "name": name, "value": value, "configId": config_id}
        return {"id": f"event-{score_id}", "type": "score-create", "timestamp": now, "body": body}

    events = [
        {"id": "event-trace", "type": "trace-create", "timestamp": now, "body": {"id": trace_id, "name": "rated"}},
        score("by-id", tone["name"], "good", str(tone["id"])),
        score("by-name", stars["name"], 4),
        score("unknown-id", tone["name"], "good", "cm3langfuse0config0id"),
        score("other-name", tone["name"], "good", str(stars["id"])),
        score("out-of-range", stars["name"], 9, str(stars["id"])),
        score("no-config", "free-text", "anything"),
    ]
    token = base64.b64encode(f"{PUBLIC_KEY}:{SECRET_KEY}".encode()).decode()
    with httpx.Client(base_url=server.base_url, headers={"Authorization": f"Basic {token}"}, timeout=30) as langfuse:
        batch = langfuse.post("/api/public/ingestion", json={"batch": events})
        v5 = langfuse.post("/api/public/scores", json={"id": "v5", "traceId": trace_id, "name": tone["name"],
                                                        "value": 0, "configId": str(tone["id"])})  # fmt: skip
    assert batch.status_code == 207, batch.text
    errors = {error["id"].removeprefix("event-"): error["message"] for error in batch.json()["errors"]}
    assert set(errors) == {"unknown-id", "other-name", "out-of-range"}, errors
    assert "no score config with id 'cm3langfuse0config0id'" in errors["unknown-id"]
    assert "names score config" in errors["other-name"] and "9 is above its maximum 5" in errors["out-of-range"]
    taken = [success["id"] for success in batch.json()["successes"]]
    assert taken == ["event-trace", "event-by-id", "event-by-name", "event-no-config"]
    assert v5.status_code == 202, v5.text
    ours = scores(server, {"id": "ours", "name": stars["name"], "value": 2, "config_id": stars["id"]})
    assert ours.status_code == 200, ours.text

    trace = call(server, "GET", f"/api/v1/traces/{trace_id}").json()
    kept = {s["id"]: (s["value"], s["string_value"], s["config_id"]) for s in trace["scores"]}
    assert kept == {
        "by-id": (1.0, "good", str(tone["id"])),  # the category's number stored beside it, as by name
        "by-name": (4.0, None, str(stars["id"])),  # checked by its name's config: that config's id
        "no-config": (None, "anything", None),
        "v5": (0.0, "bad", str(tone["id"])),  # a category sent as its number
    }
    assert stored(server, stars["name"]) == [(2.0, None, "NUMERIC"), (4.0, None, "NUMERIC")]


def evaluation_record(trace_id: str, name: str, value: float) -> dict:
    """One OTLP JSON log record of the GenAI evaluation event (as OpenLIT's `log_score` sends it)."""
    attributes = [{"key": "gen_ai.evaluation.name", "value": {"stringValue": name}},
                  {"key": "gen_ai.evaluation.score.value", "value": {"doubleValue": value}}]  # fmt: skip
    return {"timeUnixNano": str(time.time_ns()), "traceId": trace_id, "spanId": uuid.uuid4().hex[:16],
            "eventName": "gen_ai.evaluation.result", "attributes": attributes}  # fmt: skip


def test_otlp_evaluation_events_are_checked_and_refused_alone(server: TheodoliteServer) -> None:
    stars = new_config(server, "NUMERIC", min_value=1, max_value=5)["name"]
    trace_id = uuid.uuid4().hex
    logs = [evaluation_record(trace_id, stars, value) for value in (3, 8, 5)]
    body = {"resourceLogs": [{"scopeLogs": [{"logRecords": logs}]}]}
    response = call(server, "POST", "/v1/logs", json=body)
    assert response.status_code == 200, response.text
    partial = response.json()["partialSuccess"]
    assert partial["rejectedLogRecords"] == "1" and "8 is above its maximum 5" in partial["errorMessage"]
    assert [value for value, _, _ in stored(server, stars)] == [3.0, 5.0]
