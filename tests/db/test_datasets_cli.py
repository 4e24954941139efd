"""`theodolite datasets list|import|export` on SQLite and PostgreSQL: one import is one version, files
round-trip in JSONL and CSV, a bad line is refused with its number and nothing is stored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from theodolite.cli.main import cli
from theodolite.storage.engine import Database
from theodolite.storage.metadata.datasets import get_dataset, list_datasets, list_versions
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
    expected = sorted(ITEMS, key=lambda item: item["id"])
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
    assert edited == {"id": "a", "input": "changed", "expected_output": None, "metadata": None}


def test_csv_cells_are_json_when_they_decode_else_text(database_url: str, project: int, tmp_path: Path) -> None:
    source = tmp_path / "hand.csv"
    source.write_text('input,expected_output,id\n"{""q"": 1}",Paris,x1\n12,,x2\nhello world,"[1, 2]",3\n')
    ok(database_url, "import", "hand", str(source), "--create")
    ok(database_url, "export", "hand", str(tmp_path / "hand.jsonl"))
    assert read_jsonl(tmp_path / "hand.jsonl") == [
        {"id": "3", "input": "hello world", "expected_output": [1, 2], "metadata": None},
        {"id": "x1", "input": {"q": 1}, "expected_output": "Paris", "metadata": None},
        {"id": "x2", "input": 12, "expected_output": None, "metadata": None},
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
