"""Three SQL panels a team wrote for Langfuse v2's PostgreSQL schema run unchanged on ours, with the right numbers.

The queries are in tests/data/langfuse_panels.sql, verbatim (traces per agent, cost per hour,
recent traces with tokens and cost): the Grafana dashboard they come from read Langfuse's
`traces` and `observations` tables, whose column names Theodolite keeps.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.support.builders import prepared, trace_batch
from theodolite.storage.engine import Database
from theodolite.storage.metadata.projects import get_or_create_project
from theodolite.storage.writer import SqlWriter

PANELS = Path(__file__).resolve().parents[1] / "data" / "langfuse_panels.sql"


def panel_queries() -> dict[str, str]:
    """The panels' SQL, verbatim, by their title (each follows a `-- panel: <title>` line)."""
    queries: dict[str, str] = {}
    title = None
    for line in PANELS.read_text().splitlines():
        if line.startswith("-- panel: "):
            title = line.removeprefix("-- panel: ").strip()
            queries[title] = ""
        elif title is not None and line.strip():
            queries[title] += line + "\n"
    return {title: sql.strip() for title, sql in queries.items()}


@pytest.fixture
def postgres_database(postgres_server) -> Database:  # type: ignore[no-untyped-def]
    from tests.conftest import new_postgres_database
    from theodolite.storage.engine import open_database

    db = open_database(new_postgres_database(postgres_server))
    yield db
    db.dispose()


def test_the_file_has_the_three_queries() -> None:
    assert set(panel_queries()) == {"Traces par agent", "Coût par heure", "Traces récents avec coût"}


def test_panel_queries_run_unchanged_and_return_the_right_numbers(postgres_database: Database) -> None:
    project, _ = get_or_create_project(postgres_database, "p")
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=3)
    batches = [
        trace_batch(at=hour + timedelta(minutes=5), agent="atlas", tokens=(10, 5), cost="0.25"),
        trace_batch(at=hour + timedelta(minutes=10), agent="atlas", tokens=(20, 10), cost="0.50"),
        trace_batch(at=hour + timedelta(hours=1, minutes=1), agent="scribe", tokens=(1, 1), cost="1.00"),
        trace_batch(at=hour - timedelta(days=8), agent="old", tokens=(7, 7), cost="9.00"),  # outside 7 days
    ]
    writer = SqlWriter(postgres_database)
    writer.commit([prepared(postgres_database, project, b) for b in batches])
    writer.close()
    queries = panel_queries()
    with postgres_database.connect() as conn:
        by_agent = conn.execute(text(queries["Traces par agent"])).all()
        per_hour = conn.execute(text(queries["Coût par heure"])).all()
        recent = conn.execute(text(queries["Traces récents avec coût"])).all()
    assert [tuple(r) for r in by_agent] == [("atlas", 2), ("scribe", 1)]
    assert [(r.time, round(r.cost, 6)) for r in per_hour] == [(hour, 0.75), (hour + timedelta(hours=1), 1.0)]
    assert [(r.agent, r.tokens, round(r.cost, 6)) for r in recent] == [
        ("scribe", 2, 1.0),
        ("atlas", 30, 0.5),
        ("atlas", 15, 0.25),
        ("old", 14, 9.0),
    ]
    assert recent[0].name == "handle_question"
