"""A claim's lease comes from the `annotation_lease_s` setting: on a server whose leases last a
microsecond, an item claimed and left is claimed again by the next reviewer (the main API tests run
with the default 10 minutes, where it is not)."""

from __future__ import annotations

import uuid

from tests.support.server import TheodoliteServer

SERVER_SETTINGS = {"annotation_lease_s": "0.000001"}
BASE = "/api/v1/annotation-queues"


def test_an_expired_claim_goes_to_the_next_reviewer(server: TheodoliteServer) -> None:
    name = f"q-{uuid.uuid4().hex[:8]}"
    with server.client() as client:
        configs = [{"name": "ok", "data_type": "BOOLEAN"}]
        assert client.post(BASE, json={"name": name, "score_configs": configs}).status_code == 201
        items = [{"kind": "trace", "id": "first"}, {"kind": "trace", "id": "second"}]
        client.post(f"{BASE}/{name}/items", json={"items": items})
        alice = client.post(f"{BASE}/{name}/claim", params={"reviewer": "alice"}).json()["item"]
        bob = client.post(f"{BASE}/{name}/claim", params={"reviewer": "bob"}).json()["item"]
        assert alice["object_id"] == bob["object_id"] == "first"  # alice's lease ran out: bob gets her item
        assert client.get(f"{BASE}/{name}/progress").json()["claimed"] == 0  # and his ran out too
        # bob's expired claim does not stop alice from finishing her review
        review = client.post(f"{BASE}/{name}/items/{alice['id']}/review", params={"reviewer": "alice"},
                             json={"scores": {"ok": True}})  # fmt: skip
        assert review.status_code == 200, review.text
        late = client.post(f"{BASE}/{name}/items/{bob['id']}/review", params={"reviewer": "bob"},
                           json={"scores": {"ok": False}})  # fmt: skip
        assert late.status_code == 409 and "is complete" in late.text
