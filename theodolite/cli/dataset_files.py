"""Dataset items in files: JSONL (one JSON object a line) and CSV, read strictly, written to read back the same.

Both formats hold the fields `id`, `input`, `expected_output`, `metadata` and, for an item taken
from a trace, `source_trace_id` and `source_observation_id` (so an export imported elsewhere still
links to its traces). In CSV a cell is
JSON-decoded when it is valid JSON, else taken as the text; an empty cell is null. So that a file
written here reads back exactly, a text cell that would decode as JSON (a string "42", "true") or
an empty string is written JSON-encoded, null as an empty cell.

Reading checks every line before anything is stored: a mistake raises `FileLineError` naming the
line, and the caller stores nothing.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any

FIELDS = ("id", "input", "expected_output", "metadata", "source_trace_id", "source_observation_id")
# Fields that are text or nothing: in CSV a cell of digits ("007", a hex id "1e10") is that text.
TEXT_FIELDS = ("id", "source_trace_id", "source_observation_id")
FORMATS = ("jsonl", "csv")


class FileLineError(ValueError):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line


def format_of(path: str, given: str | None) -> str:
    """The format named, else the file's extension (.csv: csv; anything else: jsonl)."""
    if given is not None:
        return given
    return "csv" if path.lower().endswith(".csv") else "jsonl"


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def loads(text: str) -> Any:
    """json.loads without NaN and Infinity, which Python accepts and JSON (and PostgreSQL) does not."""
    try:
        return json.loads(text, parse_constant=_no_constant)
    except ValueError as exc:  # JSONDecodeError is one
        raise json.JSONDecodeError(str(exc), text, 0) from None


def _checked(record: dict[str, Any], line: int) -> dict[str, Any]:
    unknown = sorted(set(record) - set(FIELDS))
    if unknown:
        raise FileLineError(line, f"unknown field {unknown[0]!r} (fields: {', '.join(FIELDS)})")
    for name in TEXT_FIELDS:
        value = record.get(name)
        if value is not None and (not isinstance(value, str) or not value):
            raise FileLineError(line, f"{name} must be a non-empty string, not {json.dumps(value)}")
    metadata = record.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise FileLineError(line, "metadata must be a JSON object")
    return {field: record.get(field) for field in FIELDS}


def _unique(records: Iterable[tuple[int, dict[str, Any]]]) -> Iterator[dict[str, Any]]:
    first_line: dict[str, int] = {}
    for line, record in records:
        item_id = record["id"]
        if item_id is not None:
            if item_id in first_line:
                raise FileLineError(line, f"id {item_id!r} is already on line {first_line[item_id]}")
            first_line[item_id] = line
        yield record


def read_jsonl(stream: IO[str], advance: Callable[[int], None]) -> list[dict[str, Any]]:
    """Every item of a JSONL stream; `advance(lines)` reports progress. Blank lines are skipped."""

    def records() -> Iterator[tuple[int, dict[str, Any]]]:
        for line, text in enumerate(stream, start=1):
            advance(1)
            if not text.strip():
                continue
            try:
                value = loads(text)
            except json.JSONDecodeError as exc:
                raise FileLineError(line, f"not valid JSON ({exc.msg})") from None
            if not isinstance(value, dict):
                raise FileLineError(line, "each line must be a JSON object with input, expected_output, ...")
            yield line, _checked(value, line)

    return list(_unique(records()))


def _cell_value(text: str) -> Any:
    if text == "":
        return None
    try:
        return loads(text)
    except json.JSONDecodeError:
        return text


def read_csv(stream: IO[str], advance: Callable[[int], None]) -> list[dict[str, Any]]:
    """Every item of a CSV stream with a header row naming its columns (some of FIELDS)."""
    reader = csv.reader(stream)
    try:
        header = next(reader)
    except StopIteration:
        return []
    except csv.Error as exc:
        raise FileLineError(1, f"not valid CSV ({exc})") from None
    advance(reader.line_num)
    unknown = [name for name in header if name not in FIELDS]
    if unknown:
        raise FileLineError(1, f"unknown column {unknown[0]!r} (columns: {', '.join(FIELDS)})")
    if len(set(header)) != len(header):
        raise FileLineError(1, "a column is named twice")

    def records() -> Iterator[tuple[int, dict[str, Any]]]:
        done = reader.line_num
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise FileLineError(reader.line_num, f"not valid CSV ({exc})") from None
            line = done + 1  # where the record starts (a quoted cell may span lines)
            advance(reader.line_num - done)
            done = reader.line_num
            if not any(row):
                continue
            if len(row) != len(header):
                raise FileLineError(line, f"{len(row)} cells, the header has {len(header)}")
            record = {name: _cell_value(cell) for name, cell in zip(header, row, strict=True)}
            for name in TEXT_FIELDS:  # a column of numbers there: ids are text
                if isinstance(record.get(name), (int, float)):  # True is one: the text "true"
                    record[name] = row[header.index(name)]
            yield line, _checked(record, line)

    return list(_unique(records()))


def write_jsonl(stream: IO[str], items: Iterable[dict[str, Any]]) -> None:
    for item in items:
        stream.write(json.dumps({field: item.get(field) for field in FIELDS}, ensure_ascii=False) + "\n")


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False) if value == "" or _decodes(value) else value
    return json.dumps(value, ensure_ascii=False)


def _decodes(text: str) -> bool:
    try:
        loads(text)
    except json.JSONDecodeError:
        return False
    return True


def write_csv(stream: IO[str], items: Iterable[dict[str, Any]]) -> None:
    writer = csv.writer(stream)
    writer.writerow(FIELDS)
    for item in items:
        writer.writerow([_cell_text(item.get(field)) for field in FIELDS])
