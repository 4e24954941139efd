"""The CLI with a ClickHouse trace store (embedded chdb). `theodolite migrate`: the metadata store is
migrated and the trace store's tables and views created, idempotently, with a TTL when asked; the
ClickHouse options are refused on SQL, and an unreachable server is one line without the password.
`theodolite demo`: the demo's traffic goes through the ClickHouse writer, once however often it runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

try:
    import chdb  # noqa: F401
    import clickhouse_connect  # noqa: F401
except ImportError as error:  # the test extra installs both; a bare install skips, saying why
    pytest.skip(f"embedded ClickHouse (chdb + clickhouse-connect) is not installed: {error}", allow_module_level=True)

from tests.support.clickhouse_stores import query_in_subprocess  # noqa: E402


def theodolite(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "theodolite", *args], capture_output=True, text=True, timeout=120)


def migrate(*args: str) -> subprocess.CompletedProcess[str]:
    return theodolite("migrate", *args)


def test_migrate_creates_the_trace_store_and_the_metadata_store(tmp_path: Path) -> None:
    url = f"chdb://{tmp_path / 'ch'}?database=traces"
    metadata = f"sqlite:///{tmp_path / 'metadata.db'}"
    for _ in range(2):  # idempotent
        done = migrate("--database-url", url, "--metadata-url", metadata, "--ttl-days", "30")
        assert done.returncode == 0, done.stderr
        assert "tables and views in place" in done.stdout
    assert (tmp_path / "metadata.db").exists()
    tables = {row[0] for row in query_in_subprocess(tmp_path / "ch", "SHOW TABLES FROM traces")}
    ddl = query_in_subprocess(tmp_path / "ch", "SHOW CREATE TABLE traces.observations")[0][0]
    assert {"traces", "observations", "scores", "trace_totals", "rollups_minute", "rollups_hour"} <= tables
    assert "TTL" in ddl and "toIntervalDay(30)" in ddl


def test_clickhouse_options_on_sql_and_an_unreachable_server_are_clear(tmp_path: Path) -> None:
    refused = migrate("--database-url", f"sqlite:///{tmp_path / 's.db'}", "--cluster", "main")
    assert refused.returncode == 2 and "are for a ClickHouse --database-url" in refused.stderr
    down = migrate("--database-url", "clickhouse://me:s3cret@127.0.0.1:9/db", "--metadata-url",
                   f"sqlite:///{tmp_path / 'm.db'}")  # fmt: skip
    assert (
        down.returncode == 1 and "cannot reach ClickHouse" in down.stderr and "s3cret" not in down.stderr + down.stdout
    )
    assert "Traceback" not in down.stderr


def test_the_demo_writes_its_traffic_to_clickhouse_once(tmp_path: Path) -> None:
    target = ["--database-url", f"chdb://{tmp_path / 'ch'}?database=demo", "--metadata-url",
              f"sqlite:///{tmp_path / 'metadata.db'}", "--days", "1", "--traces-per-day", "200",
              "--no-serve"]  # fmt: skip
    first = theodolite("demo", *target)
    assert first.returncode == 0, first.stderr
    assert "Generated 200 traces" in first.stdout and "new rows stored: 200 traces" in first.stdout
    again = theodolite("demo", *target)
    assert again.returncode == 0 and "new rows stored: 0 traces, 0 observations, 0 scores" in again.stdout
    [[traces, spans, stored]] = query_in_subprocess(
        tmp_path / "ch",
        "SELECT (SELECT count() FROM demo.traces FINAL), (SELECT sum(n) FROM demo.rollups_hour),"
        " (SELECT count() FROM demo.observations FINAL)",
    )
    assert traces == 200 and spans == stored  # the views counted each span once
