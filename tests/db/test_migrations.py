"""Alembic migrations produce exactly the declared schema, on both engines, idempotently."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData, Table, insert, inspect, select

from theodolite.storage import tables
from theodolite.storage.engine import Database, open_database
from theodolite.storage.migrations.runner import alembic_config, current_revision, head_revision
from theodolite.storage.repricing import reprice
from theodolite.storage.tables import declared_for, metadata
from theodolite.storage.tables import observations as o


def test_migrated_schema_matches_the_tables_module(database: Database) -> None:
    with database.connect() as conn:
        include = declared_for(database.dialect_name)
        context = MigrationContext.configure(conn, opts={"compare_type": False, "include_object": include})
        differences = compare_metadata(context, metadata)
    assert differences == []
    assert current_revision(database.engine) == head_revision()


def test_migrating_twice_applies_nothing(database_url: str) -> None:
    first = open_database(database_url, migrate=False)
    assert first.migrate() != []
    assert first.migrate() == []
    first.dispose()


def test_migrated_primary_keys_match_the_tables_module(database: Database) -> None:
    # Alembic's comparison does not look at primary keys; scores changed its key in a migration.
    inspector = inspect(database.engine)
    for table in metadata.sorted_tables:
        migrated = inspector.get_pk_constraint(table.name)["constrained_columns"]
        assert migrated == [column.name for column in table.primary_key.columns], table.name


def test_0004_keeps_scores_and_moves_those_naming_another_projects_trace(database_url: str) -> None:
    database = open_database(database_url, migrate=False)
    config = alembic_config()
    with database.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0003")
    now = datetime(2026, 11, 1, tzinfo=UTC)
    trace = {"id": "a" * 32, "project_id": 1, "timestamp": now, "tags": [], "created_at": now, "updated_at": now}
    scores = [
        {"id": "s-own", "project_id": 1, "trace_id": "a" * 32},
        {"id": "s-other", "project_id": 2, "trace_id": "a" * 32},
        {"id": "s-waiting", "project_id": 2, "trace_id": "b" * 32},
        {"id": "s-at", "project_id": 1, "trace_id": "x@y"},
    ]
    common = {"name": "q", "value": 1.0, "data_type": "NUMERIC", "source": "API", "timestamp": now, "created_at": now}
    old_scores = Table("scores", MetaData(), autoload_with=database.engine)
    with database.engine.begin() as conn:
        conn.execute(insert(Table("traces", MetaData(), autoload_with=conn)), [trace])
        conn.execute(insert(old_scores), [score | common for score in scores])
    database.migrate()
    with database.connect() as conn:
        rows = conn.execute(select(tables.scores.c.id, tables.scores.c.trace_id).order_by(tables.scores.c.id)).all()
        seq = conn.execute(select(tables.traces.c.timestamp_seq)).scalar_one()
    assert [tuple(row) for row in rows] == [
        ("s-at", "x@y@1"), ("s-other", "a" * 32 + "@2"), ("s-own", "a" * 32), ("s-waiting", "b" * 32),
    ]  # fmt: skip
    assert seq == 0
    database.dispose()


def test_0003_converts_stored_cache_hits_and_fallbacks(database_url: str) -> None:
    """Rows priced like provider calls before 0003 become known $0 with their price kept as saved, exactly
    what ingestion stores today: re-pricing the upgraded rows changes nothing."""
    database = open_database(database_url, migrate=False)
    try:
        config = alembic_config()
        with database.engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "0002")
        at = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
        base = {"trace_id": "t1", "project_id": 1, "start_time": at, "level": "DEFAULT", "model": None,
                "provider": None, "source": None, "input_cost": None,
                "output_cost": None, "total_cost": None, "prompt_tokens": None, "completion_tokens": None,
                "total_tokens": None, "calculated_input_cost": None, "calculated_output_cost": None,
                "calculated_total_cost": None}  # fmt: skip
        # gpt-4o-mini: 1,000 input tokens x $0.15 + 500 output tokens x $0.60 per million
        chat = {"type": "generation", "model": "gpt-4o-mini", "provider": "openai", "prompt_tokens": 1000,
                "completion_tokens": 500, "total_tokens": 1500, "calculated_input_cost": Decimal("0.00015"),
                "calculated_output_cost": Decimal("0.0003"), "calculated_total_cost": Decimal("0.00045"),
                "cost_status": "priced"}  # fmt: skip
        old = {
            "provider": {**chat, "source": "provider"},
            "cache": {**chat, "source": "cache"},
            "fallback": {"type": "generation", "model": "gpt-4o-mini", "source": "fallback_template",
                         "cost_status": "n/a"},
            "reported": {"type": "generation", "model": "acme-unknown-7b", "source": "cache", "prompt_tokens": 10,
                         "completion_tokens": 5, "total_tokens": 15, "total_cost": Decimal("0.01"),
                         "cost_status": "reported"},
            "tool": {"type": "tool", "source": "cache", "cost_status": "n/a"},  # not a generation: not priced
        }  # fmt: skip
        with database.engine.begin() as conn:
            conn.execute(insert(o), [{**base, "seq": seq, "id": name, **row}
                                     for seq, (name, row) in enumerate(old.items(), start=1)])  # fmt: skip

        assert "0003" in database.migrate()
        with database.connect() as conn:
            rows = {row.id: row for row in conn.execute(select(o))}
        assert rows["provider"].cost_status == "priced" and rows["provider"].saved_cost is None
        assert rows["provider"].calculated_total_cost == Decimal("0.00045")
        for name, saved in (("cache", Decimal("0.00045")), ("fallback", None), ("reported", None)):
            row = rows[name]
            assert row.cost_status == "not_billed", name
            assert (row.calculated_input_cost, row.calculated_output_cost, row.calculated_total_cost) == (0, 0, 0)
            assert row.saved_cost == saved, name
        assert rows["reported"].total_cost == Decimal("0.01")  # what the client sent stays as sent
        assert (rows["tool"].cost_status, rows["tool"].calculated_total_cost) == ("n/a", None)
        assert reprice(database, {}, since=at - timedelta(days=1)).changed == 0
    finally:
        database.dispose()


def test_0008_backfills_the_totals_the_writer_keeps(database_url: str) -> None:
    """Traces stored before 0008 get the per-trace totals, score means and session/user rollups that
    the writer would have kept: written at head, the three tables are dropped (downgrade to 0007)
    and rebuilt by the upgrade's backfill, which must give the same rows."""
    from tests.support.builders import prepared, trace_batch
    from theodolite.model import Batch, Score, ScoreDataType
    from theodolite.storage.metadata.projects import get_or_create_project
    from theodolite.storage.writer import SqlWriter

    database = open_database(database_url)
    try:
        project, _ = get_or_create_project(database, "p")
        at = datetime(2026, 11, 2, tzinfo=UTC)
        batches = [
            trace_batch(at=at, user_id="u1", session_id="s1", tags=["b", "a"], tokens=(10, 5)),
            trace_batch(at=at + timedelta(minutes=1), user_id="u1", session_id="s2", cost=None),  # unpriced
            trace_batch(at=at + timedelta(minutes=2), user_id=None, session_id=None, name="x" * 300),
        ]
        scored = batches[0].traces[0].id
        scores = [
            Score(id=f"s{i}", trace_id=scored, name="q", timestamp=at, value=v, data_type=ScoreDataType.NUMERIC)
            for i, v in enumerate((0.5, 1.0))
        ]
        writer = SqlWriter(database)
        try:
            writer.commit([prepared(database, project, batch) for batch in batches])
            writer.catch_up()
            writer.commit([prepared(database, project, Batch(scores=scores))])
            writer.catch_up()
        finally:
            writer.close()

        def snapshot() -> dict[str, list[tuple]]:
            found = {}
            with database.connect() as conn:
                for table, key in ((tables.trace_totals, "trace_id"), (tables.trace_scores, "trace_id"),
                                   (tables.group_rollups, "key")):  # fmt: skip
                    rows = conn.execute(select(table).order_by(table.c[key])).all()
                    skip = {"changed_seq", "latency_s"}
                    found[table.name] = [tuple(v for c, v in row._mapping.items() if c not in skip) for row in rows]
                    found[table.name + ".latency"] = [
                        round(row.latency_s, 3) for row in rows if "latency_s" in row._fields and row.latency_s
                    ]
            return found

        written = snapshot()
        assert len(written["trace_totals"]) == 3 and len(written["group_rollups"]) == 1  # u1 (sessions keep none)
        config = alembic_config()
        with database.engine.begin() as conn:
            config.attributes["connection"] = conn
            command.downgrade(config, "0007")
        assert database.migrate() == [
            "0008",
            "0009",
            "0010",
            "0011",
            "0012",
            "0013",
            "0014",
            "0015",
            "0016",
            "0017",
            "0018",
            "0019",
            "0020",
            "0021",
            "0022",
        ]
        assert snapshot() == written
    finally:
        database.dispose()
