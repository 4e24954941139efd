"""/api/v1/datasets over a real server: versions, pages, items from traces (on every trace store), errors."""

from __future__ import annotations

import base64
import uuid

import httpx

from tests.conftest import ALL_ENGINES
from tests.support.server import PUBLIC_KEY, SECRET_KEY, TheodoliteServer

SERVER_ENGINES = ALL_ENGINES  # items from traces read through the trace store's queries: ClickHouse too


def call(server: TheodoliteServer, method: str, path: str, **kwargs: object) -> httpx.Response:
    with server.client() as client:
        return client.request(method, path, **kwargs)


def new_dataset(server: TheodoliteServer, **fields: object) -> str:
    name = f"qa-{uuid.uuid4().hex[:8]}"
    created = call(server, "POST", "/api/v1/datasets", json={"name": name, **fields})
    assert created.status_code == 201, created.text
    return name


def items_of(server: TheodoliteServer, name: str, **params: object) -> dict:
    response = call(server, "GET", f"/api/v1/datasets/{name}/items", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_changes_make_versions_and_old_versions_stay_as_they_were(server: TheodoliteServer) -> None:
    name = new_dataset(server, description="capitals", metadata={"owner": "eval"})
    items = [{"id": "fr", "input": {"q": "France?"}, "expected_output": "Paris", "metadata": {"level": 1}},
             {"id": "es", "input": {"q": "Spain?"}, "expected_output": "Madrid"}]  # fmt: skip
    first = call(server, "POST", f"/api/v1/datasets/{name}/items", json={"items": items, "note": "first"}).json()
    assert (first["version"], first["changed"], sorted(first["created"])) == (1, True, ["es", "fr"])
    again = call(server, "POST", f"/api/v1/datasets/{name}/items", json={"items": items}).json()
    assert (again["version"], again["changed"], again["unchanged"]) == (1, False, 2)  # identical: no version
    version_1 = items_of(server, name, version=1)
    changed = {"id": "es", "input": {"q": "Spain?"}, "expected_output": "Madrid!"}
    assert call(server, "POST", f"/api/v1/datasets/{name}/items", json={"items": [changed]}).json()["version"] == 2
    deleted = call(server, "DELETE", f"/api/v1/datasets/{name}/items/fr")
    assert deleted.status_code == 200 and deleted.json()["deleted"] == ["fr"] and deleted.json()["version"] == 3

    assert items_of(server, name, version=1) == version_1  # as it was, after an update and a delete
    assert [(i["id"], i["expected_output"]) for i in version_1["data"]] == [("es", "Madrid"), ("fr", "Paris")]
    current = items_of(server, name)
    assert current["version"] == 3
    assert [(i["id"], i["expected_output"], i["version"]) for i in current["data"]] == [("es", "Madrid!", 2)]
    versions = call(server, "GET", f"/api/v1/datasets/{name}/versions").json()["data"]
    assert [(v["version"], v["item_count"], v["note"]) for v in versions] == [
        (1, 2, "first"), (2, 2, None), (3, 1, "deleted fr")]  # fmt: skip
    got = call(server, "GET", f"/api/v1/datasets/{name}").json()
    assert (got["current_version"], got["item_count"], got["metadata"]) == (3, 1, {"owner": "eval"})
    listed = call(server, "GET", "/api/v1/datasets").json()["data"]
    assert name in [d["name"] for d in listed]


def test_pages_follow_the_id_within_one_version(server: TheodoliteServer) -> None:
    name = new_dataset(server)
    items = [{"id": f"item-{n:02d}", "input": n} for n in range(5)]
    call(server, "POST", f"/api/v1/datasets/{name}/items", json={"items": items})
    page = items_of(server, name, limit=2)
    call(server, "POST", f"/api/v1/datasets/{name}/items", json={"items": [{"id": "item-00a", "input": "new"}]})
    seen = [i["id"] for i in page["data"]]
    while page["next_cursor"]:
        page = items_of(server, name, limit=2, cursor=page["next_cursor"])
        assert page["version"] == 1  # the cursor keeps the version of the first page
        seen += [i["id"] for i in page["data"]]
    assert seen == [f"item-{n:02d}" for n in range(5)]
    assert len(items_of(server, name)["data"]) == 6


def test_items_from_traces_carry_the_root_input_and_output(server: TheodoliteServer) -> None:
    name = new_dataset(server)
    trace_ids = [uuid.uuid4().hex, uuid.uuid4().hex]
    events = []
    for n, trace_id in enumerate(trace_ids):
        body = {"id": trace_id, "name": "ask", "timestamp": "2026-11-30T10:00:00Z",
                "input": {"question": f"q{n}"}, "output": f"answer {n}"}  # fmt: skip
        events.append({"id": uuid.uuid4().hex, "timestamp": "2026-11-30T10:00:00Z", "type": "trace-create",
                       "body": body})  # fmt: skip
    token = base64.b64encode(f"{PUBLIC_KEY}:{SECRET_KEY}".encode()).decode()
    with httpx.Client(base_url=server.base_url, headers={"Authorization": f"Basic {token}"}, timeout=30) as client:
        sent = client.post("/api/public/ingestion", json={"batch": events})
    assert sent.status_code == 207 and sent.json()["errors"] == [], sent.text

    missing = call(server, "POST", f"/api/v1/datasets/{name}/items/from-traces",
                    json={"trace_ids": [trace_ids[0], "f" * 32]})  # fmt: skip
    assert missing.status_code == 404 and "f" * 32 in missing.text
    assert items_of(server, name)["data"] == []  # nothing stored
    made = call(server, "POST", f"/api/v1/datasets/{name}/items/from-traces", json={"trace_ids": trace_ids})
    assert made.status_code == 200, made.text
    assert made.json()["version"] == 1 and sorted(made.json()["created"]) == sorted(trace_ids)
    stored = {i["id"]: i for i in items_of(server, name)["data"]}
    for n, trace_id in enumerate(trace_ids):
        item = stored[trace_id]
        assert (item["input"], item["expected_output"]) == ({"question": f"q{n}"}, f"answer {n}")
        assert item["source_trace_id"] == trace_id and item["source_observation_id"]
    again = call(server, "POST", f"/api/v1/datasets/{name}/items/from-traces", json={"trace_ids": trace_ids})
    assert again.json()["changed"] is False

    # An item edited through the API keeps its source when it sends it back (the web UI's form does).
    edited = {**stored[trace_ids[0]], "expected_output": "a better answer"}
    del edited["version"]
    changed = call(server, "POST", f"/api/v1/datasets/{name}/items", json={"items": [edited]})
    assert changed.status_code == 200 and changed.json()["updated"] == [trace_ids[0]], changed.text
    item = {i["id"]: i for i in items_of(server, name)["data"]}[trace_ids[0]]
    assert (item["expected_output"], item["source_trace_id"]) == ("a better answer", trace_ids[0])
    assert item["source_observation_id"] == stored[trace_ids[0]]["source_observation_id"]


def test_mistakes_get_a_clear_4xx(server: TheodoliteServer) -> None:
    name = new_dataset(server)
    duplicate = call(server, "POST", "/api/v1/datasets", json={"name": name})
    assert duplicate.status_code == 409 and "already has a dataset" in duplicate.json()["error"]["message"]
    for method, path in [
        ("GET", "/api/v1/datasets/nope"),
        ("GET", "/api/v1/datasets/nope/items"),
        ("GET", "/api/v1/datasets/nope/versions"),
        ("DELETE", f"/api/v1/datasets/{name}/items/x"),
    ]:
        response = call(server, method, path)
        assert response.status_code == 404, (path, response.text)
    unknown = call(server, "POST", "/api/v1/datasets/nope/items", json={"items": [{"input": 1}]})
    assert unknown.status_code == 404 and "no dataset named 'nope'" in unknown.text
    bad_version = call(server, "GET", f"/api/v1/datasets/{name}/items", params={"version": 4})
    assert bad_version.status_code == 400 and "versions are 0 to 0" in bad_version.text
    bad_cursor = call(server, "GET", f"/api/v1/datasets/{name}/items", params={"cursor": "nonsense"})
    assert bad_cursor.status_code == 400
    too_many = call(
        server, "POST", f"/api/v1/datasets/{name}/items", json={"items": [{"input": n} for n in range(1001)]}
    )
    assert too_many.status_code == 413 and "at most 1000" in too_many.text
    twice = call(server, "POST", f"/api/v1/datasets/{name}/items", json={"items": [{"id": "a"}, {"id": "a"}]})
    assert twice.status_code == 400 and "appears twice" in twice.text
    assert call(server, "POST", f"/api/v1/datasets/{name}/items", json={"items": []}).status_code == 422
    assert call(server, "POST", "/api/v1/datasets", json={"name": "a/b"}).status_code == 422
    assert call(server, "GET", f"/api/v1/datasets/{name}").json()["current_version"] == 0  # nothing stored
    with httpx.Client(base_url=server.base_url, timeout=30) as anonymous:
        assert anonymous.get("/api/v1/datasets").status_code == 401


def test_the_openapi_schema_describes_the_dataset_routes(server: TheodoliteServer) -> None:
    paths = httpx.get(f"{server.base_url}/openapi.json", timeout=30).json()["paths"]
    assert set(paths["/api/v1/datasets"]) == {"get", "post"}
    assert "409" in paths["/api/v1/datasets"]["post"]["responses"]
    assert "413" in paths["/api/v1/datasets/{name}/items"]["post"]["responses"]
    assert {"version", "limit", "cursor"} <= {
        p["name"] for p in paths["/api/v1/datasets/{name}/items"]["get"]["parameters"]
    }
    assert "delete" in paths["/api/v1/datasets/{name}/items/{item_id}"]
    assert "post" in paths["/api/v1/datasets/{name}/items/from-traces"]
