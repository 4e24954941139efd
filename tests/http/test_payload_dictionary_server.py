"""A running server trains its payload dictionary in a decode worker process and then compresses
new payloads with it; old and new rows read back through the API."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import httpx
import zstandard

from tests.support.otlp_bodies import request_with_spans
from tests.support.server import SECRET_KEY, TheodoliteServer

HEADERS = {"Content-Type": "application/x-protobuf", "Authorization": f"Bearer {SECRET_KEY}"}


def payload_dictionary_ids(db_path: Path) -> list[int]:
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as conn:
        return [row[0] for row in conn.execute("SELECT id FROM payload_dictionaries")]


def frame_dictionary_ids(db_path: Path, trace_id: str) -> set[int]:
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as conn:
        blobs = conn.execute(
            "SELECT p.payload FROM observation_payloads p JOIN observations o ON o.seq = p.observation_seq "
            "WHERE o.trace_id = ?",
            (trace_id,),
        ).fetchall()
    return {zstandard.get_frame_parameters(blob).dict_id for (blob,) in blobs}


def test_dictionary_trained_in_a_worker_then_used_for_new_payloads(tmp_path: Path) -> None:
    db_path = tmp_path / "theodolite.db"
    server = TheodoliteServer(
        f"sqlite:///{db_path}", tmp_path, payload_dictionary_after_spans="300", decode_workers="1"
    ).start()
    try:
        before_body, before_trace = request_with_spans(400, attributes=4, pad_bytes=400)
        assert httpx.post(server.base_url + "/v1/traces", content=before_body, headers=HEADERS).status_code == 200
        deadline = time.monotonic() + 60
        while not payload_dictionary_ids(db_path):
            assert time.monotonic() < deadline, "no dictionary was trained:\n" + server.log()
            time.sleep(0.05)
        [dict_id] = payload_dictionary_ids(db_path)
        # The pool restarts with the dictionary; poll until a new request's payloads use it.
        deadline = time.monotonic() + 60
        while True:
            after_body, after_trace = request_with_spans(5, attributes=4, pad_bytes=400)
            assert httpx.post(server.base_url + "/v1/traces", content=after_body, headers=HEADERS).status_code == 200
            if frame_dictionary_ids(db_path, after_trace) == {dict_id}:
                break
            assert time.monotonic() < deadline, "new payloads never used the dictionary:\n" + server.log()
        assert frame_dictionary_ids(db_path, before_trace) == {0}
        with server.client() as client:
            for trace_id, count in ((before_trace, 400), (after_trace, 5)):
                trace = client.get(f"/api/v1/traces/{trace_id}").json()
                assert trace["observation_count"] == count
                node = trace["observations"][0]
                assert node["attributes"]["attr.0"] == "x" * 100, node
    finally:
        server.stop()
