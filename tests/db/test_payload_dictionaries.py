"""Trained zstd dictionaries for SQLite payloads: used for new rows, old rows stay readable,
and another process finds the dictionary in the database."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import zstandard
from sqlalchemy import select

from tests.support.builders import prepared, trace_batch
from theodolite.storage import tables
from theodolite.storage.dictionaries import train_and_store_dictionary
from theodolite.storage.engine import open_database
from theodolite.storage.metadata.projects import get_or_create_project
from theodolite.storage.payloads import active_dictionary_id
from theodolite.storage.sql.queries.traces import get_trace
from theodolite.storage.sql_store import SqlTraceStore

ROOT = Path(__file__).resolve().parents[2]


def frame_dictionary_ids(database) -> list[int]:  # type: ignore[no-untyped-def]
    with database.engine.connect() as conn:
        blobs = conn.exec_driver_sql("SELECT payload FROM observation_payloads").scalars().all()
    return [zstandard.get_frame_parameters(blob).dict_id for blob in blobs]


def test_dictionary_is_trained_used_and_found_by_another_process(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 't.db'}"
    database = open_database(url)
    project, _ = get_or_create_project(database, "p")
    writer = SqlTraceStore(database).make_writer()
    before = [trace_batch(agent=f"agent-{i % 7}") for i in range(150)]
    writer.commit([prepared(database, project, batch) for batch in before])
    assert set(frame_dictionary_ids(database)) == {0}

    assert train_and_store_dictionary(database) is not None
    dict_id = active_dictionary_id()
    assert dict_id != 0
    with database.connect() as conn:
        assert conn.execute(select(tables.payload_dictionaries.c.id)).scalars().all() == [dict_id]

    after = trace_batch()
    writer.commit([prepared(database, project, after)])
    writer.close()
    assert frame_dictionary_ids(database).count(dict_id) == 2  # the new trace's two payloads

    # Rows from before and after the dictionary both read back, in this process...
    for batch in (before[0], after):
        trace = get_trace(database, project, batch.traces[0].id)
        assert trace["observations"][0]["children"][0]["input"] == [{"role": "user", "content": "hi"}]
    # ...and in a fresh one, which must load the dictionary from the database.
    code = (
        "import sys; from theodolite.storage.engine import open_database; "
        "from theodolite.storage.sql.queries.traces import get_trace; "
        f"db = open_database({url!r}); t = get_trace(db, {project}, {after.traces[0].id!r}); "
        "print(t['observations'][0]['input'])"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert result.stdout.strip() == "{'question': 'hi'}", result.stderr
    database.dispose()
