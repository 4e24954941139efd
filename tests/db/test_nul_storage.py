"""U+0000 in a batch, through prepare_batch and the writer, on a real SQLite file and PostgreSQL:
stored with U+FFFD in its place, the same on both engines (`storage/nul_characters.py`)."""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from tests.support.builders import new_id, prepared, trace_batch
from theodolite.model import Batch, Observation, Score, ScoreDataType, Trace
from theodolite.storage import tables
from theodolite.storage.engine import Database
from theodolite.storage.metadata.projects import get_or_create_project
from theodolite.storage.nul_characters import OBSERVATION_TEXT, SCORE_TEXT, TRACE_TEXT, json_bytes, without_nul
from theodolite.storage.sql.queries.traces import get_trace
from theodolite.storage.writer import SqlWriter

NUL, FFFD = "\x00", "\ufffd"
NOW = datetime(2026, 11, 20, 12, 5, tzinfo=UTC)


def nul_batch() -> Batch:
    batch = trace_batch(trace_id=f"t{NUL}{new_id(8)}", name=f"root{NUL}", user_id=f"u{NUL}", tags=[f"t{NUL}ag"])
    trace = batch.traces[0]
    trace.metadata = {f"k{NUL}": [f"v{NUL}", {"deep": f"x{NUL}"}]}
    root, llm = batch.observations
    root.id, trace.root_observation_id, llm.parent_observation_id = (f"r{NUL}",) * 3
    root.input, root.status_message = {f"q{NUL}": f"okapi{NUL}tail"}, f"s{NUL}"
    llm.metadata, llm.model_parameters = {"m": f"{NUL}"}, {f"p{NUL}": 1}
    llm.output, llm.attributes = [{"role": "assistant", "content": f"a{NUL}b"}], {f"x{NUL}": f"y{NUL}"}
    score = Score(id=f"sc{NUL}", trace_id=trace.id, name=f"n{NUL}", timestamp=NOW, string_value=f"v{NUL}",
                  data_type=ScoreDataType.CATEGORICAL, comment=f"c{NUL}", metadata={f"k{NUL}": f"v{NUL}"})  # fmt: skip
    batch.scores.append(score)
    return batch


def test_without_nul_replaces_in_strings_keys_and_nested_values() -> None:
    assert without_nul(f"a{NUL}b{NUL}") == f"a{FFFD}b{FFFD}"
    value = {f"k{NUL}": [f"v{NUL}", ("t",), {"n": 1, 2: None}], "clean": "yes"}
    assert without_nul(value) == {f"k{FFFD}": [f"v{FFFD}", ["t"], {"n": 1, 2: None}], "clean": "yes"}
    clean = {"a": ["b"]}
    assert without_nul(clean) == clean and json_bytes(clean) == b'{"a":["b"]}'


def test_every_plain_string_field_of_the_model_is_cleaned() -> None:
    """A string field added to an entity must join its list in `nul_characters.py`."""
    for entity, names in ((Observation, OBSERVATION_TEXT), (Trace, TRACE_TEXT), (Score, SCORE_TEXT)):
        assert {f.name for f in fields(entity) if f.type in ("str", "str | None")} == set(names), entity


def test_json_bytes_cleans_what_default_str_makes_and_keeps_an_escaped_backslash() -> None:
    class Odd:
        def __str__(self) -> str:
            return f"odd{NUL}"

    assert json_bytes({"o": Odd(), 1: f"{NUL}"}).decode() == f'{{"o":"odd{FFFD}","1":"{FFFD}"}}'
    # A string holding a backslash and "u0000" (no NUL) is kept as it is.
    assert json_bytes(["\\u0000"]) == b'["\\\\u0000"]'


def test_a_batch_with_nul_everywhere_is_stored_with_the_replacement(database: Database) -> None:
    project, _ = get_or_create_project(database, "p")
    batch = nul_batch()
    trace_key = batch.traces[0].id.replace(NUL, FFFD)
    writer = SqlWriter(database)
    try:
        assert writer.commit([prepared(database, project, batch)]) == [[]]
        # A later write of the same trace (its wire ids with NUL again) lands on the same rows.
        again = nul_batch()
        again.traces[0].id = again.observations[0].trace_id = again.observations[1].trace_id = batch.traces[0].id
        again.observations, again.scores = [replace(again.observations[1], id=f"l{NUL}")], []
        assert writer.commit([prepared(database, project, again)]) == [[]]
        writer.catch_up()
    finally:
        writer.close()
    trace = get_trace(database, project, trace_key)
    assert (trace["name"], trace["user_id"], trace["tags"]) == (f"root{FFFD}", f"u{FFFD}", [f"t{FFFD}ag"])
    assert trace["metadata"] == {f"k{FFFD}": [f"v{FFFD}", {"deep": f"x{FFFD}"}]}
    assert trace["root_observation_id"] == f"r{FFFD}"
    (root,) = trace["observations"]
    assert root["input"] == {f"q{FFFD}": f"okapi{FFFD}tail"} and root["status_message"] == f"s{FFFD}"
    assert sorted(child["id"] for child in root["children"]) == sorted([batch.observations[1].id, f"l{FFFD}"])
    llm = next(child for child in root["children"] if child["id"] == batch.observations[1].id)
    assert llm["output"] == [{"role": "assistant", "content": f"a{FFFD}b"}]
    assert llm["attributes"] == {f"x{FFFD}": f"y{FFFD}"}
    (score,) = trace["scores"]
    assert (score["id"], score["name"], score["string_value"], score["comment"]) == (
        f"sc{FFFD}", f"n{FFFD}", f"v{FFFD}", f"c{FFFD}",
    )  # fmt: skip
    assert score["metadata"] == {f"k{FFFD}": f"v{FFFD}"}
    with database.connect() as conn:
        stored = conn.execute(select(tables.observations.c.model_parameters, tables.observations.c.metadata)).all()
    assert {"p\ufffd": 1} in [row.model_parameters for row in stored]
    assert {"m": FFFD} in [row.metadata for row in stored]


@pytest.mark.parametrize("field", ["input", "output"])
def test_search_finds_words_on_either_side_of_a_nul(database: Database, field: str) -> None:
    from theodolite.query.filters import TraceFilter
    from theodolite.storage.sql.queries.traces import list_traces

    project, _ = get_or_create_project(database, "p")
    batch = trace_batch()
    setattr(batch.observations[0], field, f"lemur{NUL}quokka")
    writer = SqlWriter(database)
    try:
        assert writer.commit([prepared(database, project, batch)]) == [[]]
        writer.catch_up()
    finally:
        writer.close()
    for word in ("lemur", "quokka"):
        items, _ = list_traces(database, project, TraceFilter(search=word), limit=10)
        assert [item["id"] for item in items] == [batch.traces[0].id], word
