"""/api/v1/annotation-queues over a real server on SQLite, PostgreSQL and ClickHouse: concurrent reviewers never
share an item, reviews become ordinary scores, kappa is the evaluation package's, mistakes are 4xx."""

from __future__ import annotations

import base64
import threading
import uuid
from collections import Counter

import httpx

from tests.conftest import ALL_ENGINES
from tests.http.test_metrics_endpoint import samples, scrape, total
from tests.support.accounts import csrf, sign_in
from tests.support.langfuse_traces import send_observations, send_traces
from tests.support.server import PUBLIC_KEY, SECRET_KEY, TheodoliteServer, fetch_trace
from theodolite.evaluation import cohens_kappa
from theodolite.server.routes.annotation_queues import sampled

ADMIN_EMAIL, ADMIN_PASSWORD = "reviewer@example.com", "correct horse battery staple"
SERVER_ENGINES = ALL_ENGINES  # filling from traces and agreement read through the trace store: ClickHouse too
SERVER_SETTINGS = {"init_admin_email": ADMIN_EMAIL, "init_admin_password": ADMIN_PASSWORD}
BASE = "/api/v1/annotation-queues"
STARS = {"name": "stars", "data_type": "NUMERIC", "min_value": 1, "max_value": 5}
TONE = {"name": "tone", "data_type": "CATEGORICAL", "categories": ["polite", "neutral", "rude"]}


def call(server: TheodoliteServer, method: str, path: str, **kwargs: object) -> httpx.Response:
    with server.client() as client:
        return client.request(method, path, **kwargs)


def new_queue(server: TheodoliteServer, configs: list[dict], **fields: object) -> str:
    name = f"q-{uuid.uuid4().hex[:8]}"
    created = call(server, "POST", BASE, json={"name": name, "score_configs": configs, **fields})
    assert created.status_code == 201, created.text
    return name


def test_two_reviewers_claiming_at_once_never_get_the_same_item(server: TheodoliteServer) -> None:
    """Each reviewer claims, notes the item as held, un-notes it, then skips it (the claim is live from
    the claim's answer until the skip's request). An item noted by both at once is a shared claim."""
    name = new_queue(server, [STARS])
    items = [{"kind": "trace", "id": f"trace-{n:03d}"} for n in range(80)]
    assert call(server, "POST", f"{BASE}/{name}/items", json={"items": items}).json()["added"] == 80
    held: dict[str, str] = {}
    shared: list[tuple[str, str, str]] = []
    claims: Counter[str] = Counter()
    lock, start = threading.Lock(), threading.Barrier(2)

    def work(reviewer: str) -> None:
        with server.client() as client:
            start.wait()
            while True:
                claim = client.post(f"{BASE}/{name}/claim", params={"reviewer": reviewer})
                assert claim.status_code == 200, claim.text
                item = claim.json()["item"]
                if item is None:
                    return
                with lock:
                    if item["object_id"] in held:
                        shared.append((item["object_id"], held[item["object_id"]], reviewer))
                    held[item["object_id"]] = reviewer
                    claims[reviewer] += 1
                assert client.get(f"{BASE}/{name}/progress").status_code == 200  # "reviewing" while holding it
                with lock:
                    del held[item["object_id"]]
                skip = client.post(f"{BASE}/{name}/items/{item['id']}/skip", params={"reviewer": reviewer})
                assert skip.status_code == 200, skip.text

    threads = [threading.Thread(target=work, args=(reviewer,)) for reviewer in ("alice", "bob")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert shared == []
    # each skips what it got, then gets what the other skipped: about 160 claims in all
    assert claims["alice"] > 40 and claims["bob"] > 40 and sum(claims.values()) >= 150, claims


def test_concurrent_reviews_score_each_item_once(server: TheodoliteServer) -> None:
    """One review per item and two reviewers submitting as fast as they claim: no item gets two."""
    name = new_queue(server, [STARS])
    items = [{"kind": "trace", "id": f"done-{n:03d}"} for n in range(40)]
    call(server, "POST", f"{BASE}/{name}/items", json={"items": items})
    got: dict[str, list[str]] = {}
    start = threading.Barrier(2)

    def work(reviewer: str) -> None:
        mine = []
        with server.client() as client:
            start.wait()
            while (
                item := client.post(f"{BASE}/{name}/claim", params={"reviewer": reviewer}).json()["item"]
            ) is not None:
                mine.append(item["object_id"])
                done = client.post(f"{BASE}/{name}/items/{item['id']}/review", params={"reviewer": reviewer},
                                   json={"scores": {"stars": 3}})  # fmt: skip
                assert done.status_code == 200, done.text
        got[reviewer] = mine

    threads = [threading.Thread(target=work, args=(reviewer,)) for reviewer in ("alice", "bob")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    counts = Counter(item for items in got.values() for item in items)
    assert sum(counts.values()) == 40 and set(counts.values()) == {1}
    assert call(server, "GET", f"{BASE}/{name}").json()["remaining"] == 0


def test_two_reviews_per_item_give_scores_and_the_same_kappa(server: TheodoliteServer) -> None:
    trace_name = f"ask-{uuid.uuid4().hex[:8]}"
    trace_ids = send_traces(server, 6, trace_name)
    name = new_queue(server, [TONE, STARS], reviews_per_item=2)
    filled = call(server, "POST", f"{BASE}/{name}/items/from-traces", json={"filters": {"name": trace_name}})
    assert filled.status_code == 200 and filled.json()["added"] == 6, filled.text

    tones = {"alice": ["polite", "polite", "rude", "neutral", "polite", "rude"],
             "bob": ["polite", "neutral", "rude", "neutral", "rude", "rude"]}  # fmt: skip
    stars = {"alice": [5, 4, 1, 3, 4, 2], "bob": [5, 3, 1, 3, 2, 1]}
    position = {trace_id: n for n, trace_id in enumerate(trace_ids)}
    for reviewer in ("alice", "bob"):
        while True:
            claim = call(server, "POST", f"{BASE}/{name}/claim", params={"reviewer": reviewer}).json()
            if claim["item"] is None:
                break
            n = position[claim["item"]["object_id"]]
            assert claim["content"]["input"] == {"question": f"q{n}"} and claim["content"]["output"] == f"answer {n}"
            scores = {"tone": tones[reviewer][n], "stars": stars[reviewer][n]}
            review = call(server, "POST", f"{BASE}/{name}/items/{claim['item']['id']}/review",
                          params={"reviewer": reviewer}, json={"scores": scores, "comment": "ok"})  # fmt: skip
            assert review.status_code == 200, review.text
    progress = call(server, "GET", f"{BASE}/{name}/progress", params={"reviewer": "alice"}).json()
    assert (progress["items"], progress["done"], progress["remaining"]) == (6, 6, 0)
    assert progress["me"] == {"reviewer": "alice", "done": 6, "skipped": 0, "left": 0}

    # an evaluator's verdicts on the same traces, from another source
    judge = ["polite", "neutral", "rude", "polite", "rude", "rude"]
    verdicts = [{"trace_id": trace_id, "name": "tone", "value": judge[n]} for n, trace_id in enumerate(trace_ids)]
    sent = call(server, "POST", "/api/v1/scores", json={"scores": verdicts})
    assert sent.status_code == 200, sent.text

    agreement = call(server, "GET", f"{BASE}/{name}/agreement", params={"score": "tone"}).json()
    [pair] = agreement["reviewers"]
    assert (pair["a"], pair["b"], pair["n"]) == ("alice", "bob", 6)
    assert pair["kappa"] == cohens_kappa(tones["alice"], tones["bob"])
    [source] = agreement["sources"]
    assert (source["source"], source["n"]) == ("API", 12)
    assert source["kappa"] == cohens_kappa(tones["alice"] + tones["bob"], judge + judge)
    weighted = call(server, "GET", f"{BASE}/{name}/agreement", params={"score": "stars", "weights": "quadratic"}).json()
    assert weighted["reviewers"][0]["kappa"] == cohens_kappa(stars["alice"], stars["bob"], weights="quadratic")
    assert weighted["sources"] == []

    # the reviews are ordinary scores on the traces, with the reviewer and the queue
    stored = fetch_trace(server, trace_ids[2])["scores"]
    annotations = sorted((s["name"], s["metadata"]["reviewer"], s["string_value"] or s["value"])
                         for s in stored if s["source"] == "ANNOTATION")  # fmt: skip
    assert annotations == [("stars", "alice", 1.0), ("stars", "bob", 1.0), ("tone", "alice", "rude"),
                           ("tone", "bob", "rude")]  # fmt: skip
    assert all(s["metadata"]["queue"] == name and s["comment"] == "ok" for s in stored if s["source"] == "ANNOTATION")


def test_filling_from_the_trace_list_samples_the_same_traces_every_time(server: TheodoliteServer) -> None:
    trace_name = f"sample-{uuid.uuid4().hex[:8]}"
    trace_ids = send_traces(server, 30, trace_name)
    expected = {trace_id for trace_id in trace_ids if sampled(trace_id, 0.5)}
    name = new_queue(server, [STARS])
    body = {"filters": {"name": trace_name, "from": "2026-11-30T00:00:00Z"}, "sample_rate": 0.5}
    first = call(server, "POST", f"{BASE}/{name}/items/from-traces", json=body).json()
    assert (first["added"], first["scanned"]) == (len(expected), 30) and 0 < len(expected) < 30
    again = call(server, "POST", f"{BASE}/{name}/items/from-traces", json=body).json()
    assert (again["added"], again["existing"], again["item_count"]) == (0, len(expected), len(expected))
    listed = call(server, "GET", f"{BASE}/{name}/items", params={"limit": 5}).json()
    seen = [item["object_id"] for item in listed["data"]]
    while listed["next_cursor"]:
        listed = call(
            server, "GET", f"{BASE}/{name}/items", params={"limit": 5, "cursor": listed["next_cursor"]}
        ).json()
        seen += [item["object_id"] for item in listed["data"]]
    assert set(seen) == expected and len(seen) == len(expected)
    capped = new_queue(server, [STARS])
    few = call(server, "POST", f"{BASE}/{capped}/items/from-traces", json={**body, "max_items": 3}).json()
    assert few["added"] == 3
    sessions = call(server, "POST", f"{BASE}/{capped}/items/from-traces",
                    json={"filters": {"name": trace_name}, "kind": "session"}).json()  # fmt: skip
    assert sessions["added"] == 0  # these traces have no session


def test_filling_from_the_observation_list_samples_the_same_observations_every_time(server: TheodoliteServer) -> None:
    obs_name = f"obs-{uuid.uuid4().hex[:8]}"
    sent = send_observations(server, 30, obs_name)
    errors = send_observations(server, 2, obs_name, kind="span", level="ERROR", model="")
    [trace_id] = {trace for trace, _ in sent}
    newest_first = [ident for _, ident in reversed(sent)]
    expected = [ident for ident in newest_first if sampled(ident, 0.5)]
    assert 0 < len(expected) < 30  # the ids are random: a run where all or none fall in would test nothing
    name = new_queue(server, [STARS], kind="observation")
    filters = {"name": obs_name, "type": "generation", "model": "gpt-4o-mini",
               "from": "2026-11-30T00:00:00Z", "to": "2026-12-01T00:00:00Z"}  # fmt: skip
    body = {"filters": filters, "sample_rate": 0.5}
    path = f"{BASE}/{name}/items/from-observations"
    first = call(server, "POST", path, json=body)
    assert first.status_code == 200, first.text
    assert (first.json()["added"], first.json()["existing"], first.json()["scanned"]) == (len(expected), 0, 30)
    again = call(server, "POST", path, json=body).json()
    assert (again["added"], again["existing"], again["item_count"]) == (0, len(expected), len(expected))
    items = call(server, "GET", f"{BASE}/{name}/items", params={"limit": 1000}).json()["data"]
    assert [item["object_id"] for item in items] == expected  # added newest first, as the list reads them
    assert {(item["kind"], item["trace_id"]) for item in items} == {("observation", trace_id)}
    # added by id as well: the same item (the queue keys an observation by its id)
    by_id = call(server, "POST", f"{BASE}/{name}/items",
                 json={"items": [{"kind": "observation", "id": expected[0], "trace_id": trace_id}]}).json()  # fmt: skip
    assert (by_id["added"], by_id["existing"], by_id["item_count"]) == (0, 1, len(expected))
    claim = call(server, "POST", f"{BASE}/{name}/claim", params={"reviewer": "ann"}).json()
    n = newest_first.index(claim["item"]["object_id"])
    assert (claim["content"]["input"], claim["content"]["output"]) == (f"prompt {29 - n}", f"completion {29 - n}")

    capped = new_queue(server, [STARS])  # a queue of any kind takes observations too
    few = call(server, "POST", f"{BASE}/{capped}/items/from-observations", json={**body, "max_items": 3}).json()
    assert few["added"] == 3 and few["scanned"] == newest_first.index(expected[2]) + 1
    held = call(server, "GET", f"{BASE}/{capped}/items").json()["data"]
    assert [item["object_id"] for item in held] == expected[:3]
    window = {"name": obs_name, "from": "2026-11-30T10:00:05Z", "to": "2026-11-30T10:00:10Z", "type": "generation"}
    ranged = call(server, "POST", f"{BASE}/{capped}/items/from-observations", json={"filters": window}).json()
    assert (ranged["scanned"], ranged["added"] + ranged["existing"]) == (5, 5)  # from inclusive, to exclusive
    failing = call(server, "POST", f"{BASE}/{capped}/items/from-observations",
                   json={"filters": {"name": obs_name, "level": "error"}}).json()  # fmt: skip
    assert (failing["scanned"], failing["added"]) == (2, 2)
    listed = call(server, "GET", f"{BASE}/{capped}/items", params={"limit": 1000}).json()["data"]
    assert {item["object_id"] for item in listed} >= {ident for _, ident in errors}

    for kind in ("trace", "session"):
        other = new_queue(server, [STARS], kind=kind)
        refused = call(server, "POST", f"{BASE}/{other}/items/from-observations", json={"filters": {}})
        assert refused.status_code == 400 and f"holds {kind}s only" in refused.text, refused.text
        assert "from-traces" in refused.text
    unknown = call(server, "POST", f"{BASE}/no-such-queue/items/from-observations", json={})
    assert unknown.status_code == 404
    backwards = call(
        server, "POST", path, json={"filters": {"from": "2026-12-01T00:00:00Z", "to": "2026-11-30T00:00:00Z"}}
    )
    assert backwards.status_code == 400 and "is after to" in backwards.text
    odd = call(server, "POST", path, json={"filters": {"user_id": "u"}})
    assert odd.status_code == 422  # the trace list's filters are not the observation list's
    assert call(server, "POST", path, json={"sample_rate": 0}).status_code == 422


def test_a_signed_in_user_reviews_as_themself(server: TheodoliteServer) -> None:
    name = new_queue(server, [{"name": "ok", "data_type": "BOOLEAN"}])
    trace_id = send_traces(server, 1, "signed-in")[0]
    call(server, "POST", f"{BASE}/{name}/items", json={"items": [{"kind": "trace", "id": trace_id}]})
    with sign_in(server, ADMIN_EMAIL, ADMIN_PASSWORD) as client:
        me = client.get("/api/v1/auth/me").json()["user"]
        own = me["name"] or me["email"]
        other = client.post(f"{BASE}/{name}/claim", params={"reviewer": "somebody-else"}, headers=csrf(client))
        assert other.status_code == 400 and "you review as yourself" in other.text
        claim = client.post(f"{BASE}/{name}/claim", headers=csrf(client)).json()
        assert claim["reviewer"] == own and claim["item"]["object_id"] == trace_id
        review = client.post(f"{BASE}/{name}/items/{claim['item']['id']}/review", headers=csrf(client),
                             json={"scores": {"ok": True}})  # fmt: skip
        assert review.status_code == 200, review.text
        assert client.get(f"{BASE}/{name}/progress").json()["me"]["done"] == 1
    [score] = [s for s in fetch_trace(server, trace_id)["scores"] if s["source"] == "ANNOTATION"]
    assert (score["data_type"], score["value"], score["metadata"]["reviewer"]) == ("BOOLEAN", 1.0, own)


def test_mistakes_get_a_clear_4xx(server: TheodoliteServer) -> None:
    name = new_queue(server, [STARS, TONE])
    call(server, "POST", f"{BASE}/{name}/items", json={"items": [{"kind": "trace", "id": "x1"}]})
    duplicate = call(server, "POST", BASE, json={"name": name, "score_configs": [STARS]})
    assert duplicate.status_code == 409 and "already has an annotation queue" in duplicate.text
    bad_config = call(
        server, "POST", BASE, json={"name": "b", "score_configs": [{"name": "s", "data_type": "CATEGORICAL"}]}
    )
    assert bad_config.status_code == 400 and "needs its categories" in bad_config.text
    assert call(server, "POST", BASE, json={"name": "b", "score_configs": []}).status_code == 422
    anonymous_reviewer = call(server, "POST", f"{BASE}/{name}/claim")
    assert anonymous_reviewer.status_code == 400 and "must name the reviewer" in anonymous_reviewer.text
    item = call(server, "POST", f"{BASE}/{name}/claim", params={"reviewer": "ann"}).json()["item"]
    assert "error" in call(server, "POST", f"{BASE}/{name}/claim", params={"reviewer": "ann"}).json()["content"]
    review = f"{BASE}/{name}/items/{item['id']}/review"
    for scores, message in [
        ({"stars": 7, "tone": "polite"}, "score 'stars': 7 is above its maximum 5"),
        ({"stars": 3, "tone": "Rude"}, "score 'tone': 'Rude' is not one of its categories"),
        ({"stars": 3}, "score 'tone' is missing"),
        ({"stars": 3, "tone": "rude", "extra": 1}, "no score config 'extra'"),
        ({"stars": True, "tone": "rude"}, "score 'stars' is NUMERIC"),
    ]:
        refused = call(server, "POST", review, params={"reviewer": "ann"}, json={"scores": scores})
        assert refused.status_code == 400 and message in refused.json()["error"]["message"], (scores, refused.text)
    taken = call(server, "POST", review, params={"reviewer": "ben"}, json={"scores": {"stars": 3, "tone": "rude"}})
    assert taken.status_code == 409 and "claimed by another reviewer" in taken.text
    assert (
        call(
            server, "POST", review, params={"reviewer": "ann"}, json={"scores": {"stars": 3, "tone": "rude"}}
        ).status_code
        == 200
    )
    twice = call(server, "POST", review, params={"reviewer": "ann"}, json={"scores": {"stars": 3, "tone": "rude"}})
    assert twice.status_code == 409 and "already reviewed" in twice.text
    missing = [("GET", f"{BASE}/nope"), ("POST", f"{BASE}/nope/claim?reviewer=a"), ("GET", f"{BASE}/nope/progress"),
               ("POST", f"{BASE}/{name}/items/999999/skip?reviewer=a")]  # fmt: skip
    for method, path in missing:
        assert call(server, method, path).status_code == 404, path
    unknown_score = call(server, "GET", f"{BASE}/{name}/agreement", params={"score": "nope"})
    assert unknown_score.status_code == 400 and "no score config 'nope'" in unknown_score.text
    assert (
        call(server, "GET", f"{BASE}/{name}/agreement", params={"score": "stars", "weights": "cubic"}).status_code
        == 422
    )
    bad_kind = call(server, "POST", f"{BASE}/{name}/items", json={"items": [{"kind": "span", "id": "a"}]})
    assert bad_kind.status_code == 422
    bad_filter = call(server, "POST", f"{BASE}/{name}/items/from-traces", json={"filters": {"colour": "red"}})
    assert bad_filter.status_code == 422
    backwards = call(server, "POST", f"{BASE}/{name}/items/from-traces",
                     json={"filters": {"from": "2026-12-02T00:00:00Z", "to": "2026-12-01T00:00:00Z"}})  # fmt: skip
    assert backwards.status_code == 400 and "is after" in backwards.text
    too_many = call(
        server, "POST", f"{BASE}/{name}/items", json={"items": [{"kind": "trace", "id": f"t{n}"} for n in range(1001)]}
    )
    assert too_many.status_code == 413
    with httpx.Client(base_url=server.base_url, timeout=30) as anonymous:
        assert anonymous.get(BASE).status_code == 401
    assert call(server, "DELETE", f"{BASE}/{name}").status_code == 204
    assert call(server, "GET", f"{BASE}/{name}").status_code == 404


def test_a_queue_follows_the_projects_score_configs(server: TheodoliteServer) -> None:
    """Named project configs are the queue's scores: their rules now (a PATCH moves the queue too), a
    category's number stored as ingest stores it, and an archived config stops reviews until restored."""
    tag = uuid.uuid4().hex[:6]
    stars, tone, ok = f"stars_{tag}", f"tone_{tag}", f"ok_{tag}"
    ids = {}
    labels = [{"label": "polite", "value": 1}, {"label": "rude", "value": 0}]
    for body in ({"name": stars, "data_type": "NUMERIC", "min_value": 1, "max_value": 5},
                 {"name": tone, "data_type": "CATEGORICAL", "categories": labels}):  # fmt: skip
        created = call(server, "POST", "/api/v1/score-configs", json=body)
        assert created.status_code == 201, created.text
        ids[body["name"]] = created.json()["id"]
    for configs, message in [
        ([f"nope_{tag}"], f"no score config named 'nope_{tag}' in this project"),
        ([stars, {"name": stars, "data_type": "BOOLEAN"}], f"score config '{stars}' appears twice"),
        ([{"name": tone, "data_type": "BOOLEAN"}], f"the project has a score config named '{tone}': name it"),
    ]:
        refused = call(server, "POST", BASE, json={"name": f"bad-{tag}", "score_configs": configs})
        assert refused.status_code == 400 and message in refused.json()["error"]["message"], refused.text

    name = new_queue(server, [stars, tone, {"name": ok, "data_type": "BOOLEAN"}])
    listed = {queue["name"]: queue for queue in call(server, "GET", BASE).json()["data"]}[name]
    by_name = {config["name"]: config for config in listed["score_configs"]}
    assert [config["name"] for config in listed["score_configs"]] == [stars, tone, ok]
    assert (by_name[stars]["config_id"], by_name[stars]["max_value"]) == (ids[stars], 5)
    assert (by_name[tone]["categories"], by_name[ok]["config_id"]) == (["polite", "rude"], None)
    trace_ids = send_traces(server, 2, f"follow-{tag}")
    call(server, "POST", f"{BASE}/{name}/items", json={"items": [{"kind": "trace", "id": t} for t in trace_ids]})

    def review(scores: dict) -> httpx.Response:
        item = call(server, "POST", f"{BASE}/{name}/claim", params={"reviewer": "ann"}).json()["item"]
        return call(server, "POST", f"{BASE}/{name}/items/{item['id']}/review", params={"reviewer": "ann"},
                    json={"scores": scores})  # fmt: skip

    above = review({stars: 7, tone: "rude", ok: True})
    assert above.status_code == 400 and f"score '{stars}': 7 is above its maximum 5" in above.text
    # no score of the name yet, so the project's config may change: the queue follows it
    assert call(server, "PATCH", f"/api/v1/score-configs/{ids[stars]}", json={"max_value": 10}).status_code == 200
    assert call(server, "GET", f"{BASE}/{name}").json()["score_configs"][0]["max_value"] == 10
    assert review({stars: 7, tone: "polite", ok: True}).status_code == 200

    assert call(server, "PATCH", f"/api/v1/score-configs/{ids[tone]}", json={"archived": True}).status_code == 200
    assert call(server, "GET", f"{BASE}/{name}").json()["score_configs"][1]["archived"] is True
    archived = review({stars: 2, tone: "rude", ok: False})
    assert archived.status_code == 409 and f"score config '{tone}' is archived" in archived.text
    assert call(server, "GET", f"{BASE}/{name}/agreement", params={"score": tone}).status_code == 200  # still read
    refused = call(server, "POST", BASE, json={"name": f"late-{tag}", "score_configs": [tone]})
    assert refused.status_code == 400 and "is archived" in refused.text
    assert call(server, "PATCH", f"/api/v1/score-configs/{ids[tone]}", json={"archived": False}).status_code == 200
    assert review({stars: 2, tone: "rude", ok: False}).status_code == 200

    stored = {}
    for trace_id in trace_ids:
        for score in fetch_trace(server, trace_id)["scores"]:
            if score["source"] == "ANNOTATION":
                stored[(trace_id, score["name"])] = (score["value"], score["string_value"])
    # the category's number comes from the project's config, as for a score sent to /api/v1/scores
    assert sorted(v for (_, n), v in stored.items() if n == tone) == [(0.0, "rude"), (1.0, "polite")]
    assert sorted(v[0] for (_, n), v in stored.items() if n == stars) == [2.0, 7.0]


def test_a_queue_of_one_kind_takes_only_that_kind(server: TheodoliteServer) -> None:
    session = f"s-{uuid.uuid4().hex[:8]}"
    events = [{"id": uuid.uuid4().hex, "timestamp": "2026-11-30T11:00:00Z", "type": "trace-create",
               "body": {"id": uuid.uuid4().hex, "name": "kinds", "sessionId": session,
                        "timestamp": f"2026-11-30T11:00:0{n}Z"}} for n in range(3)]  # fmt: skip
    token = base64.b64encode(f"{PUBLIC_KEY}:{SECRET_KEY}".encode()).decode()
    with httpx.Client(base_url=server.base_url, headers={"Authorization": f"Basic {token}"}, timeout=30) as client:
        assert client.post("/api/public/ingestion", json={"batch": events}).json()["errors"] == []
    name = new_queue(server, [STARS], kind="session")
    assert call(server, "GET", f"{BASE}/{name}").json()["kind"] == "session"
    trace = call(server, "POST", f"{BASE}/{name}/items", json={"items": [{"kind": "trace", "id": "t1"}]})
    assert trace.status_code == 400 and "holds sessions only, not the trace 't1'" in trace.text
    # the trace list's filters add the queue's kind unless told otherwise
    filled = call(server, "POST", f"{BASE}/{name}/items/from-traces", json={"filters": {"session_id": session}})
    assert (filled.json()["added"], filled.json()["scanned"]) == (1, 3), filled.text
    as_traces = call(server, "POST", f"{BASE}/{name}/items/from-traces",
                     json={"filters": {"session_id": session}, "kind": "trace"})  # fmt: skip
    assert as_traces.status_code == 400 and "holds sessions only" in as_traces.text
    observations = new_queue(server, [STARS], kind="observation")
    by_filter = call(server, "POST", f"{BASE}/{observations}/items/from-traces", json={"filters": {}})
    assert by_filter.status_code == 400 and "from-observations" in by_filter.text
    bad = call(server, "POST", BASE, json={"name": f"k-{session}", "score_configs": [STARS], "kind": "span"})
    assert bad.status_code == 422


def test_observations_and_sessions_are_shown_and_scored(server: TheodoliteServer) -> None:
    session, trace_ids = f"s-{uuid.uuid4().hex[:8]}", [uuid.uuid4().hex, uuid.uuid4().hex]
    generation = uuid.uuid4().hex
    events = [
        {"id": uuid.uuid4().hex, "timestamp": "2026-11-30T11:00:00Z", "type": "trace-create",
         "body": {"id": trace_id, "name": "chat", "sessionId": session, "timestamp": f"2026-11-30T11:00:0{n}Z",
                  "input": f"user says {n}", "output": f"bot says {n}"}}
        for n, trace_id in enumerate(trace_ids)
    ] + [{"id": uuid.uuid4().hex, "timestamp": "2026-11-30T11:00:00Z", "type": "generation-create",
          "body": {"id": generation, "traceId": trace_ids[0], "name": "llm", "model": "gpt-4o-mini",
                   "startTime": "2026-11-30T11:00:00Z", "input": "the prompt",
                   "output": "the completion"}}]  # fmt: skip
    token = base64.b64encode(f"{PUBLIC_KEY}:{SECRET_KEY}".encode()).decode()
    with httpx.Client(base_url=server.base_url, headers={"Authorization": f"Basic {token}"}, timeout=30) as client:
        assert client.post("/api/public/ingestion", json={"batch": events}).json()["errors"] == []
    ok = f"ok_{uuid.uuid4().hex[:6]}"
    name = new_queue(server, [{"name": ok, "data_type": "BOOLEAN"}])
    by_session = call(server, "POST", f"{BASE}/{name}/items/from-traces",
                      json={"filters": {"session_id": session}, "kind": "session"}).json()  # fmt: skip
    assert (by_session["added"], by_session["scanned"]) == (1, 2)  # two traces, one session
    items = [{"kind": "observation", "id": generation, "trace_id": trace_ids[0]}]
    assert call(server, "POST", f"{BASE}/{name}/items", json={"items": items}).json()["item_count"] == 2

    seen = {}
    while (claim := call(server, "POST", f"{BASE}/{name}/claim", params={"reviewer": "ann"}).json())["item"]:
        item = claim["item"]
        seen[item["kind"]] = claim["content"]
        done = call(server, "POST", f"{BASE}/{name}/items/{item['id']}/review", params={"reviewer": "ann"},
                    json={"scores": {ok: item["kind"] == "session"}})  # fmt: skip
        assert done.status_code == 200, done.text
    assert [turn["trace_id"] for turn in seen["session"]["turns"]] == trace_ids
    assert seen["session"]["turns"][1]["input"]["text"] == "user says 1"
    assert (seen["observation"]["input"], seen["observation"]["output"]) == ("the prompt", "the completion")

    scores = fetch_trace(server, trace_ids[0])["scores"]
    [on_generation] = [s for s in scores if s["source"] == "ANNOTATION"]
    assert (on_generation["observation_id"], on_generation["value"]) == (generation, 0.0)
    # /metrics counts them and the analytics API (the Grafana data source) reads them, as any other score
    assert total(samples(scrape(server).text), "theodolite_scores_total", name=ok) == 2
    rows = call(server, "GET", "/api/v1/analytics/scores", params={"name": ok, "source": "ANNOTATION"}).json()
    mine = {(row["session"], row["observation_id"], row["value"]) for row in rows
            if row["session"] == session or row["observation_id"] == generation}  # fmt: skip
    assert mine == {(None, generation, 0.0), (session, None, 1.0)}


def test_the_openapi_schema_describes_the_queue_routes(server: TheodoliteServer) -> None:
    paths = httpx.get(f"{server.base_url}/openapi.json", timeout=30).json()["paths"]
    any_key = [{"bearer": []}, {"apiKey": []}, {"basic": []}]
    assert set(paths[BASE]) == {"get", "post"} and "409" in paths[BASE]["post"]["responses"]
    for path in ("/claim", "/items/{item_id}/review", "/items/{item_id}/skip", "/items/{item_id}/release"):
        operation = paths[f"{BASE}/{{name}}{path}"]["post"]
        assert operation["security"] == any_key, path
        assert "reviewer" in {parameter["name"] for parameter in operation["parameters"]}, path
    assert {"score", "weights"} <= {p["name"] for p in paths[f"{BASE}/{{name}}/agreement"]["get"]["parameters"]}
    assert "413" in paths[f"{BASE}/{{name}}/items"]["post"]["responses"]
    filters = paths[f"{BASE}/{{name}}/items/from-observations"]["post"]["requestBody"]
    assert filters["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/FromObservationsIn"}
