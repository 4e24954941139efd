"""The CLI on mistakes: a mistyped SQLite path creates nothing and says what to do, an inverted
time range is a usage error, the first demo start prints no migration log, and `prices show`
says the unit of every rate. All through the real `theodolite` command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from theodolite.cli.main import cli
from theodolite.storage.engine import open_database

READ_COMMANDS = [
    ["keys", "list"],
    ["keys", "revoke", "pk-nobody"],
    ["costs", "report"],
    ["costs", "recompute", "--since", "2026-01-01"],
    ["prices", "list"],
    ["prices", "show", "gpt-4o"],
    ["doctor", "--server-url", "http://127.0.0.1:9"],
    ["users", "list"],
    ["users", "grant", "nobody", "--project", "p", "--role", "viewer"],
]


def theodolite(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "theodolite", *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})})  # fmt: skip


@pytest.mark.parametrize("command", READ_COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_a_mistyped_sqlite_path_creates_nothing_and_says_so(command: list[str], tmp_path: Path) -> None:
    missing = tmp_path / "typo" / "theodolite.db"
    result = theodolite(*command, "--database-url", f"sqlite:///{missing}")
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert f"no Theodolite database at {missing}" in output and "--database-url" in output, output
    assert "Traceback" not in output, output
    assert not missing.parent.exists(), "the command created the directory of a database that does not exist"


@pytest.mark.parametrize("command", [["keys", "list"], ["keys", "create"], ["migrate"], ["costs", "report"],
                                     ["serve", "--port", "0"], ["serve", "--port", "0", "--no-auto-migrate"]],
                         ids=" ".join)  # fmt: skip
def test_an_unreachable_postgresql_is_one_line(command: list[str]) -> None:
    result = theodolite(*command, "--database-url", "postgresql://reader:s3cret@127.0.0.1:1/none")
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr.startswith("Error: cannot open the database postgresql://reader:***@127.0.0.1:1/none: ")
    assert (
        "Traceback" not in result.stderr and "sqlalchemy" not in result.stderr and len(result.stderr.splitlines()) == 1
    )
    assert "s3cret" not in result.stderr  # the password is masked


@pytest.mark.parametrize("command", [["costs", "report"], ["costs", "recompute"]])
def test_since_after_until_is_a_usage_error(command: list[str], tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'theodolite.db'}"
    open_database(url).dispose()
    result = CliRunner().invoke(cli, [*command, "--since", "2026-02-01", "--until", "2026-01-01",
                                      "--database-url", url])  # fmt: skip
    assert result.exit_code == 2, result.output
    assert "--since 2026-02-01 00:00:00 is after --until 2026-01-01 00:00:00" in result.output


def test_the_first_demo_start_prints_no_migration_log(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh' / 'demo.db'}"
    result = theodolite("demo", "--no-serve", "--days", "1", "--traces-per-day", "5", "--database-url", url)
    assert result.returncode == 0, result.stderr
    output = result.stdout + result.stderr
    assert "secret key: sk-th-" in result.stdout
    assert "alembic" not in output.lower() and " INFO " not in output, output


def test_prices_show_states_the_unit_of_each_rate(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'theodolite.db'}"
    runner = CliRunner()
    created = runner.invoke(cli, ["keys", "create", "--project", "default", "--database-url", url])
    assert created.exit_code == 0, created.output
    set_ = runner.invoke(cli, ["prices", "set", "acme-70b", "--input", "0.9", "--output", "1.2", "--database-url", url])
    assert set_.exit_code == 0, set_.output
    shown = runner.invoke(cli, ["prices", "show", "acme-70b", "--database-url", url])
    assert shown.exit_code == 0, shown.output
    assert "input $0.9 per 1M tokens" in shown.output and "output $1.2 per 1M tokens" in shown.output, shown.output
    public = runner.invoke(cli, ["prices", "show", "gpt-4o", "--provider", "openai", "--database-url", url])
    assert public.exit_code == 0, public.output
    rates = public.output.splitlines()[1:]
    assert any(line.startswith("  input $") and line.endswith(" per 1M tokens") for line in rates), public.output
    assert all(" per 1M tokens" in line or " per 1,000 " in line for line in rates), public.output


def test_a_second_server_or_demo_on_a_written_sqlite_file_is_a_clear_error(tmp_path: Path) -> None:
    from theodolite.storage.writer import SqlWriter

    url = f"sqlite:///{tmp_path / 'busy.db'}"
    database = open_database(url)
    writer = SqlWriter(database)  # this process writes the file, as a running server would
    try:
        for command in (["serve", "--port", "0"], ["demo", "--no-serve", "--days", "1", "--traces-per-day", "5"]):
            result = theodolite(*command, "--database-url", url)
            assert result.returncode == 1, (command, result.stderr)
            assert f"pid {os.getpid()}) is writing to" in result.stderr, result.stderr
            assert "Traceback" not in result.stderr
    finally:
        writer.close()
        database.dispose()
