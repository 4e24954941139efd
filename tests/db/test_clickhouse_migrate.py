"""`theodolite migrate` with a ClickHouse trace store (embedded chdb): the metadata store is migrated
and the trace store's tables and views created, idempotently, with a TTL when asked; the ClickHouse
options are refused on SQL, and an unreachable server is one line without the password."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

try:
    import chdb  # noqa: F401
    import clickhouse_connect
except ImportError as error:  # the test extra installs both; a bare install skips, saying why
    pytest.skip(f"embedded ClickHouse (chdb + clickhouse-connect) is not installed: {error}", allow_module_level=True)


def migrate(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "theodolite", "migrate", *args],
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def test_migrate_creates_the_trace_store_and_the_metadata_store(tmp_path: Path) -> None:
    url = f"chdb://{tmp_path / 'ch'}?database=traces"
    metadata = f"sqlite:///{tmp_path / 'metadata.db'}"
    for _ in range(2):  # idempotent
        done = migrate("--database-url", url, "--metadata-url", metadata, "--ttl-days", "30")
        assert done.returncode == 0, done.stderr
        assert "tables and views in place" in done.stdout
    assert (tmp_path / "metadata.db").exists()
    client = clickhouse_connect.get_client(dsn=f"chdb://{tmp_path / 'ch'}")  # after the CLI's process ended
    try:
        tables = {row[0] for row in client.query("SHOW TABLES FROM traces").result_rows}
        ddl = client.query("SHOW CREATE TABLE traces.observations").result_rows[0][0]
    finally:
        client.close()
    assert {"traces", "observations", "scores", "trace_totals", "rollups_minute", "rollups_hour"} <= tables
    assert "TTL" in ddl and "toIntervalDay(30)" in ddl


def test_clickhouse_options_on_sql_and_an_unreachable_server_are_clear(tmp_path: Path) -> None:
    refused = migrate("--database-url", f"sqlite:///{tmp_path / 's.db'}", "--cluster", "main")
    assert refused.returncode == 2 and "are for a ClickHouse --database-url" in refused.stderr
    down = migrate("--database-url", "clickhouse://me:s3cret@127.0.0.1:9/db", "--metadata-url",
                   f"sqlite:///{tmp_path / 'm.db'}")  # fmt: skip
    assert down.returncode == 1 and "unreachable" in down.stderr and "s3cret" not in down.stderr + down.stdout
    assert "Traceback" not in down.stderr
