"""The live dashboard's kept buckets (`storage/sql/queries/live.LiveCache`) on SQLite and PostgreSQL, on demo
traffic: they equal a fresh read of the observations in every window, and a re-pricing (the one
in-place change of stored calls) shows once the buckets are read afresh."""

from __future__ import annotations

from datetime import UTC, datetime

from click.testing import CliRunner

from theodolite.cli.demo_command import run_demo
from theodolite.cli.main import cli
from theodolite.query.live_window import WINDOWS, live_window
from theodolite.server.settings import Settings
from theodolite.storage.engine import open_database
from theodolite.storage.metadata.project_reads import project_ids
from theodolite.storage.sql.queries.live import LiveCache, get_live

UNKNOWN_MODEL = "orbit-7b-instruct"  # the demo's self-hosted model: unpriced until given a price


def rounded(value: object) -> object:
    """Floats to 12 significant digits: sums of the same durations in another order differ in the last bits."""
    if isinstance(value, float):
        return float(f"{value:.12g}")
    if isinstance(value, dict):
        return {key: rounded(item) for key, item in value.items()}
    if isinstance(value, list):
        return [rounded(item) for item in value]
    return value


def test_kept_buckets_equal_a_fresh_read_and_take_in_a_repricing(database_url: str) -> None:
    run_demo(Settings(database_url=database_url), days=1, traces_per_day=400, seed=5, serve=False)
    database = open_database(database_url, migrate=False)
    try:
        project = project_ids(database)["default"]
        cache = LiveCache(database)
        now = datetime.now(UTC)
        for name in WINDOWS:
            window = live_window(name, now)
            kept, fresh = cache.get(project, window), get_live(database, project, window)
            assert rounded(kept) == rounded(fresh), name
        day = live_window("24h", now)
        before = cache.get(project, day)
        unknown = next(model for model in before["models"] if model["model"] == UNKNOWN_MODEL)
        assert unknown["unpriced_calls"] > 0 and unknown["cost"] is None

        runner = CliRunner()
        for args in (["prices", "set", UNKNOWN_MODEL, "--input", "0.2", "--output", "0.4", "--from", "2000-01-01"],
                     ["costs", "recompute", "--since", "2000-01-01"]):  # fmt: skip
            result = runner.invoke(cli, [*args, "--database-url", database_url], catch_exceptions=False)
            assert result.exit_code == 0, result.output

        # Re-pricing changes rows in place: kept buckets show it when read afresh, not before.
        stale = cache.get(project, day)
        assert next(m for m in stale["models"] if m["model"] == UNKNOWN_MODEL)["cost"] is None
        cache.rebuild_after_s = 0
        repriced = cache.get(project, day)
        priced = next(m for m in repriced["models"] if m["model"] == UNKNOWN_MODEL)
        assert priced["unpriced_calls"] == 0 and priced["cost"] > 0
        assert rounded(repriced) == rounded(get_live(database, project, day))
    finally:
        database.dispose()
