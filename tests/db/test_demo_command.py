"""`theodolite demo` without serving, on a real SQLite file and a real PostgreSQL."""

from __future__ import annotations

import re
import time

import pytest
from sqlalchemy import func, select

from theodolite.cli.demo_command import default_demo_url, run_demo
from theodolite.server.passwords import verify_password
from theodolite.server.settings import Settings
from theodolite.storage import tables
from theodolite.storage.engine import open_database
from theodolite.storage.metadata.account_reads import find_user
from theodolite.storage.writer import count_rows


def counts(url: str) -> dict[str, int]:
    database = open_database(url, migrate=False)
    try:
        names = ("projects", "api_keys", "traces", "observations", "observation_payloads", "scores")
        return {name: count_rows(database, name) for name in names}
    finally:
        database.dispose()


def signs_in_as_demo(url: str, out: str) -> str:
    """The demo's printed sign-in works: returns its password."""
    found = re.search(r"Sign in at http://127\.0\.0\.1:\d+/ as user 'demo' .*password: (\S+)", out)
    assert found is not None, out
    database = open_database(url, migrate=False)
    try:
        demo = find_user(database, "demo")
        assert demo is not None and demo.is_admin and not demo.must_change_password
        assert verify_password(demo.password_hash, found.group(1))
    finally:
        database.dispose()
    return found.group(1)


def test_demo_fills_the_database_once_per_seed(database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    settings = Settings(database_url=database_url)
    first = run_demo(settings, days=2, traces_per_day=60, seed=7, serve=False)
    out = capsys.readouterr().out
    assert "secret key: sk-th-" in out and "Generated 120 traces" in out  # first start: a key is made and shown
    demo_password = signs_in_as_demo(database_url, out)

    stored = counts(database_url)
    assert stored["projects"] == 1 and stored["api_keys"] == 1
    assert stored["traces"] == first.traces == 120
    assert stored["observations"] == first.observations > 4 * 120
    assert stored["scores"] == first.scores > 0
    assert stored["observation_payloads"] == stored["observations"]  # every span has input or output
    assert first.new_rows == {"traces": 120, "observations": first.observations, "scores": first.scores}
    assert first.rejected == 0

    again = run_demo(settings, days=2, traces_per_day=60, seed=7, serve=False)
    out = capsys.readouterr().out
    assert "secret key" not in out  # projects exist: reused, no second key
    assert signs_in_as_demo(database_url, out) != demo_password  # a new password each run: the old is unknown
    assert counts(database_url) == stored
    assert again.new_rows == {"traces": 0, "observations": 0, "scores": 0}

    other = run_demo(settings, days=2, traces_per_day=60, seed=8, serve=False)
    assert other.new_rows["traces"] == 120


def test_demo_writes_into_the_project_of_the_init_key(database_url: str) -> None:
    settings = Settings(
        database_url=database_url,
        init_project="acme",
        init_public_key="pk-th-demo",
        init_secret_key="sk-th-demo-secret-0123456789",
    )
    run_demo(settings, days=1, traces_per_day=20, seed=1, serve=False)
    database = open_database(database_url, migrate=False)
    try:
        with database.connect() as conn:
            owners = conn.execute(
                select(tables.projects.c.name, func.count())
                .select_from(tables.traces.join(tables.projects, tables.projects.c.id == tables.traces.c.project_id))
                .group_by(tables.projects.c.name)
            ).all()
    finally:
        database.dispose()
    assert [tuple(row) for row in owners] == [("acme", 20)]


def test_default_demo_size_writes_well_under_a_minute_on_sqlite(tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    started = time.perf_counter()
    summary = run_demo(Settings(database_url=url), days=7, traces_per_day=400, seed=42, serve=False)
    elapsed = time.perf_counter() - started
    assert summary.new_rows["traces"] == 2800
    assert elapsed < 30, f"default demo took {elapsed:.1f} s"


def test_default_url_is_the_demo_file_in_the_data_directory() -> None:
    url = default_demo_url()
    assert url.startswith("sqlite:///") and url.endswith("/demo.db") and "theodolite" in url


def test_demo_leaves_a_user_called_demo_that_it_did_not_make_alone(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    from theodolite.server.accounts import create_user

    url = f"sqlite:///{tmp_path / 'demo.db'}"
    database = open_database(url)
    try:
        create_user(database, "demo@acme.example", name="demo", password="their own password")
    finally:
        database.dispose()
    run_demo(Settings(database_url=url), days=1, traces_per_day=5, seed=1, serve=False)
    assert "with your own user (a user named 'demo' already exists)" in capsys.readouterr().out
    database = open_database(url, migrate=False)
    try:
        demo = find_user(database, "demo")
        assert demo is not None and verify_password(demo.password_hash, "their own password") and not demo.is_admin
    finally:
        database.dispose()
