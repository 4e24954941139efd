"""`theodolite doctor` on a real database: verdicts and fixes when things are missing."""

from __future__ import annotations

from click.testing import CliRunner

from tests.support.postgres import free_port
from theodolite.cli.main import cli
from theodolite.storage.engine import open_database


def test_an_empty_database_and_no_server(database_url: str) -> None:
    open_database(database_url).dispose()  # migrated, no data
    result = CliRunner().invoke(cli, ["doctor", "--database-url", database_url,
                                      "--server-url", f"http://127.0.0.1:{free_port()}"])  # fmt: skip
    out = result.output
    assert result.exit_code == 1, out
    assert "✔ database      reachable; 0 traces" in out and "✔ schema" in out
    assert "! latest trace  no trace stored yet" in out
    assert "✘ /metrics" in out and "fix: start it with `theodolite serve`" in out
    assert "- prometheus    not checked" in out


def test_an_unreachable_database_is_a_clear_failure(tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(cli, ["doctor", "--database-url", "postgresql://nobody@127.0.0.1:1/none"])
    assert result.exit_code == 1
    assert "✘ database" in result.output and "fix: check --database-url" in result.output
