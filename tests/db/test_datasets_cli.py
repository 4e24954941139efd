"""`theodolite datasets list|import|export` on SQLite and PostgreSQL: one import is one version, files
round-trip in JSONL and CSV, a bad line is refused with its number and nothing is stored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from theodolite.cli.main import cli
from theodolite.storage.engine import Database
from theodolite.storage.metadata.datasets import (
    ItemIn,
    create_dataset,
    get_dataset,
    list_datasets,
    list_items,
    list_versions,
    upsert_items,
)
from theodolite.storage.metadata.projects import get_or_create_project

# Values a file must carry through unchanged: text that looks like JSON, empty text, null, nesting,
# a newline and a quote inside a cell, non-ASCII.
ITEMS = [
    {"id": "a", "input": {"question": "2 + 2?", "tags": ["math"]}, "expected_output": "4", "metadata": {"n": 1}},
    {"id": "b", "input": "plain text", "expected_output": 42, "metadata": None},
    {"id": "c", "input": "", "expected_output": None, "metadata": {"note": 'say "hi"\nthen go'}},
    {"id": "d", "input": "true", "expected_output": [1, 2.5, None], "metadata": {}},
    {"id": "e", "input": "Zürich → 東京", "expected_output": {"nested": {"deep": True}}, "metadata": None},
    {"id": "007", "input": "null", "expected_output": "", "metadata": None},
]
NO_SOURCE = {"source_trace_id": None, "source_observation_id": None}


def invoke(database_url: str, *args: str) -> Result:
    return CliRunner().invoke(cli, ["datasets", *args, "--database-url", database_url])


def ok(database_url: str, *args: str) -> str:
    result = invoke(database_url, *args)
    assert result.exit_code == 0, result.output
    return result.output


def write_jsonl(path: Path, items: list[dict]) -> Path:
    path.write_text("".join(json.dumps(item) + "\n" for item in items), encoding="utf-8")
    return path


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def project(database: Database) -> int:
    return get_or_create_project(database, "default")[0]


def test_one_import_is_one_version_and_the_same_import_makes_none(
    database: Database, database_url: str, project: int, tmp_path: Path
) -> None:
    source = write_jsonl(tmp_path / "qa.jsonl", ITEMS)
    output = ok(database_url, "import", "qa", str(source), "--create")
    assert "version 1: 6 created, 0 updated, 0 unchanged" in output
    assert [(v.version, v.item_count, v.note) for v in list_versions(database, project, "qa")] == [
        (1, 6, "import qa.jsonl")]  # fmt: skip
    assert "no new version (still 1)" in ok(database_url, "import", "qa", str(source))
    changed = [*ITEMS[:2], {**ITEMS[2], "expected_output": "now known"}, {"input": "new, no id"}]
    assert "version 2: 1 created, 1 updated, 2 unchanged" in ok(database_url, "import", "qa", str(write_jsonl(
        tmp_path / "more.jsonl", changed)))  # fmt: skip
    assert get_dataset(database, project, "qa").item_count == 7

    listed = ok(database_url, "list")
    assert "qa" in listed and "      2       7" in listed  # version 2, 7 items


def test_jsonl_and_csv_round_trip_and_old_versions_export_as_they_were(
    database_url: str, project: int, tmp_path: Path
) -> None:
    ok(database_url, "import", "qa", str(write_jsonl(tmp_path / "in.jsonl", ITEMS)), "--create")
    expected = sorted(({**item, **NO_SOURCE} for item in ITEMS), key=lambda item: item["id"])
    ok(database_url, "export", "qa", str(tmp_path / "out.jsonl"))
    assert read_jsonl(tmp_path / "out.jsonl") == expected

    ok(database_url, "export", "qa", str(tmp_path / "out.csv"))
    ok(database_url, "import", "copy", str(tmp_path / "out.csv"), "--create")
    ok(database_url, "export", "copy", str(tmp_path / "copy.jsonl"))
    assert read_jsonl(tmp_path / "copy.jsonl") == expected
    ok(database_url, "export", "copy", str(tmp_path / "copy.csv"))
    assert (tmp_path / "copy.csv").read_bytes() == (tmp_path / "out.csv").read_bytes()

    ok(database_url, "import", "qa", str(write_jsonl(tmp_path / "edit.jsonl", [{"id": "a", "input": "changed"}])))
    ok(database_url, "export", "qa", str(tmp_path / "v1.jsonl"), "--version", "1")
    assert read_jsonl(tmp_path / "v1.jsonl") == expected
    ok(database_url, "export", "qa", str(tmp_path / "v2.jsonl"))
    edited = {item["id"]: item for item in read_jsonl(tmp_path / "v2.jsonl")}["a"]
    assert edited == {"id": "a", "input": "changed", "expected_output": None, "metadata": None, **NO_SOURCE}


def test_csv_cells_are_json_when_they_decode_else_text(database_url: str, project: int, tmp_path: Path) -> None:
    source = tmp_path / "hand.csv"
    source.write_text('input,expected_output,id\n"{""q"": 1}",Paris,x1\n12,,x2\nhello world,"[1, 2]",3\n')
    ok(database_url, "import", "hand", str(source), "--create")
    ok(database_url, "export", "hand", str(tmp_path / "hand.jsonl"))
    assert read_jsonl(tmp_path / "hand.jsonl") == [
        {"id": "3", "input": "hello world", "expected_output": [1, 2], "metadata": None, **NO_SOURCE},
        {"id": "x1", "input": {"q": 1}, "expected_output": "Paris", "metadata": None, **NO_SOURCE},
        {"id": "x2", "input": 12, "expected_output": None, "metadata": None, **NO_SOURCE},
    ]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bad.jsonl", '{"input": 1}\n{"input": 2}\n{"input": \n', "bad.jsonl line 3: not valid JSON"),
        ("list.jsonl", '{"input": 1}\n[1, 2]\n', "line 2: each line must be a JSON object"),
        ("typo.jsonl", '{"input": 1}\n\n{"inputs": 2}\n', "line 3: unknown field 'inputs'"),
        ("nan.jsonl", '{"input": NaN}\n', "line 1: not valid JSON (NaN is not JSON"),
        ("twice.jsonl", '{"id": "a"}\n{"id": "b"}\n{"id": "a"}\n', "line 3: id 'a' is already on line 1"),
        ("meta.csv", 'input,metadata\n1,{}\n2,"[1]"\n', "line 3: metadata must be a JSON object"),
        ("column.csv", "input,expected\n1,2\n", "line 1: unknown column 'expected'"),
        ("source.jsonl", '{"input": 1, "source_trace_id": 7}\n', "line 1: source_trace_id must be a non-empty string"),
        ("cells.csv", 'input,id\n1,a\n"two\nlines",b\n3,c,extra\n', "line 5: 3 cells, the header has 2"),
    ],
)
def test_a_bad_line_is_refused_with_its_number_and_nothing_is_stored(
    database: Database, database_url: str, project: int, tmp_path: Path, name: str, content: str, message: str
) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    result = invoke(database_url, "import", "qa", str(path), "--create")
    assert result.exit_code == 1
    assert message in result.output and "nothing was imported" in result.output, result.output
    assert list_datasets(database, project) == []  # not even created


def test_unknown_datasets_and_versions_are_one_line_errors(database_url: str, project: int, tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "qa.jsonl", ITEMS[:1])
    missing = invoke(database_url, "import", "qa", str(source))
    assert missing.exit_code == 1 and "no dataset named 'qa': add --create" in missing.output
    ok(database_url, "import", "qa", str(source), "--create")
    late = invoke(database_url, "export", "qa", str(tmp_path / "out.jsonl"), "--version", "5")
    assert late.exit_code == 1 and "versions are 0 to 1" in late.output
    nowhere = invoke(database_url, "export", "qa", str(tmp_path / "out.jsonl"), "--project", "nope")
    assert nowhere.exit_code == 1 and "no project named 'nope'" in nowhere.output
    assert "Traceback" not in late.output + nowhere.output


# Trace and observation ids as stored: hex that a CSV cell would read as a number ("1e10", digits)
# must come back as the same text.
TRACED = [
    ItemIn({"q": "France?"}, "Paris", {"trace_name": "ask"}, id="t1",
           source_trace_id="0af7651916cd43dd8448eb211c80319c", source_observation_id="b7ad6b7169203331"),
    ItemIn("digits", None, id="t2", source_trace_id="12345678901234567890123456789012", source_observation_id="1e10"),
    ItemIn("by hand", "no trace", id="t3"),
]  # fmt: skip


@pytest.mark.parametrize("extension", ["jsonl", "csv"])
def test_source_ids_are_exported_and_imported_back(
    database: Database, database_url: str, project: int, tmp_path: Path, extension: str
) -> None:
    create_dataset(database, project, "traced")
    upsert_items(database, project, "traced", TRACED)
    exported = tmp_path / f"traced.{extension}"
    ok(database_url, "export", "traced", str(exported))
    if extension == "jsonl":
        assert read_jsonl(exported)[0]["source_trace_id"] == "0af7651916cd43dd8448eb211c80319c"
    else:
        assert exported.read_text().splitlines()[0].endswith(",source_trace_id,source_observation_id")
    ok(database_url, "import", "copy", str(exported), "--create")

    def content(name: str) -> list[tuple]:
        _, items = list_items(database, project, name)
        return [(i.id, i.input, i.expected_output, i.metadata, i.source_trace_id, i.source_observation_id)
                for i in items]  # fmt: skip

    assert content("copy") == content("traced")
    assert content("copy")[1][4:] == ("12345678901234567890123456789012", "1e10")
    assert content("copy")[2][4:] == (None, None)
    # Importing the export again changes nothing: the source ids compare equal too.
    assert "no new version (still 1)" in ok(database_url, "import", "traced", str(exported))


def test_sync_deletes_what_the_file_does_not_hold_in_the_same_version(
    database: Database, database_url: str, project: int, tmp_path: Path
) -> None:
    ok(database_url, "import", "qa", str(write_jsonl(tmp_path / "all.jsonl", ITEMS)), "--create")
    ok(database_url, "export", "qa", str(tmp_path / "v1.jsonl"))
    fewer = [ITEMS[0], {**ITEMS[1], "expected_output": 43}, {"id": "new", "input": "added"}]
    source = write_jsonl(tmp_path / "fewer.jsonl", fewer)

    # The default only adds and updates: nothing is deleted.
    added = ok(database_url, "import", "qa", str(source))
    assert "version 2: 1 created, 1 updated, 1 unchanged" in added and "deleted" not in added
    assert get_dataset(database, project, "qa").item_count == 7

    synced = ok(database_url, "import", "qa", str(source), "--sync")
    assert "version 3: 0 created, 0 updated, 3 unchanged, 4 deleted" in synced
    _, current = list_items(database, project, "qa")
    assert [item.id for item in current] == ["a", "b", "new"]
    assert [(v.version, v.item_count) for v in list_versions(database, project, "qa")] == [(1, 6), (2, 7), (3, 3)]
    ok(database_url, "export", "qa", str(tmp_path / "again-v1.jsonl"), "--version", "1")
    assert read_jsonl(tmp_path / "again-v1.jsonl") == read_jsonl(tmp_path / "v1.jsonl")  # older versions as they were
    _, version_2 = list_items(database, project, "qa", version=2)
    assert len(version_2) == 7

    # A sync that adds, changes and deletes at once is still one version; the same sync again makes none.
    changed = write_jsonl(tmp_path / "changed.jsonl", [{**fewer[0], "input": "edited"}, ITEMS[4]])
    assert "version 4: 1 created, 1 updated, 0 unchanged, 2 deleted" in ok(
        database_url, "import", "qa", str(changed), "--sync")  # fmt: skip
    assert "no new version (still 4)" in ok(database_url, "import", "qa", str(changed), "--sync")
    _, current = list_items(database, project, "qa")
    assert [(item.id, item.input) for item in current] == [("a", "edited"), ("e", "Zürich → 東京")]

    # An empty file synced empties the dataset (one more version); an item without an id is refused.
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    assert "version 5: 0 created, 0 updated, 0 unchanged, 2 deleted" in ok(
        database_url, "import", "qa", str(empty), "--sync")  # fmt: skip
    no_id = write_jsonl(tmp_path / "no-id.jsonl", [ITEMS[0], {"input": "who am I"}])
    refused = invoke(database_url, "import", "qa", str(no_id), "--sync")
    assert refused.exit_code == 1 and "--sync needs an id on every item, and item 2" in refused.output
    assert get_dataset(database, project, "qa").current_version == 5
