"""`theodolite demo`: fill a database with generated traffic through the real write path, then serve.

The batches go through the same IngestPipeline and SqlWriter as OTLP requests do, so the demo
also shows what ingestion costs on this machine. Re-running is safe: the generator's ids depend
only on the seed, and the writer stores an id once.
"""

from __future__ import annotations

import random
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import click
import platformdirs

from theodolite.cli.demo_batches import PARALLEL_FROM_TRACES, TRACES_PER_PART, DemoJob, demo_batches
from theodolite.demo.traffic import traffic_parts
from theodolite.ingestion.costing import NO_OVERRIDES
from theodolite.ingestion.pipeline import IngestPipeline
from theodolite.server.accounts import NewPassword, create_user, reset_password
from theodolite.server.bootstrap import DEFAULT_PROJECT, bootstrap_projects, describe_new_key
from theodolite.server.collector import tune_collector
from theodolite.server.decoding import default_worker_count
from theodolite.server.passwords import generate_password
from theodolite.server.settings import Settings
from theodolite.storage.backend import TraceStore, TraceWriter
from theodolite.storage.engine import Database
from theodolite.storage.metadata.account_reads import find_user
from theodolite.storage.metadata.prices import load_overrides
from theodolite.storage.metadata.projects import IssuedKey, get_or_create_project
from theodolite.storage.sql_store import SqlTraceStore
from theodolite.storage.stores import open_stores

COUNTED_TABLES = ("traces", "observations", "scores")


@dataclass(frozen=True, slots=True)
class DemoSummary:
    """What one run generated and how many rows it added (0 on a re-run with the same seed)."""

    project_id: int
    traces: int
    observations: int
    scores: int
    new_rows: dict[str, int]
    rejected: int
    seconds: float


DEMO_DERIVE_LAG_S = 2.0


def default_demo_url() -> str:
    """The demo's own SQLite file, next to (never instead of) the default database."""
    data_dir = Path(platformdirs.user_data_dir("theodolite", appauthor=False))
    return f"sqlite:///{data_dir / 'demo.db'}"


def _counts(traces: TraceStore) -> dict[str, int]:
    return {table: traces.count_rows(table) for table in COUNTED_TABLES}


def _base_url(settings: Settings) -> str:
    # A wildcard listen address is not something a browser can open.
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host
    return f"http://{host}:{settings.port}"


def write_demo(
    database: Database,
    project_id: int,
    *,
    now: datetime,
    days: int,
    traces_per_day: int,
    seed: int,
    settings: Settings,
    traces: TraceStore | None = None,
) -> DemoSummary:
    """Generate the traffic and commit it batch by batch through the ingest pipeline into `traces`
    (default: the SQL trace store of `database`, the metadata store). Blocks."""
    started = time.perf_counter()
    store = traces if traces is not None else SqlTraceStore(database)
    before = _counts(store)
    writer = store.make_writer()
    pipeline = IngestPipeline(
        writer.commit,
        max_queue_items=settings.ingest_queue_max_spans,
        max_transaction_items=settings.writer_batch_max_spans,
        # A batch job: derive as it goes (what waits is held in memory), documents made here.
        follower=writer,
        follow_idle_s=settings.derive_idle_s,
        follow_max_lag_s=DEMO_DERIVE_LAG_S,
    )
    pipeline.start()
    overrides = load_overrides(database).get(project_id, NO_OVERRIDES)
    made_traces = observations = scores = rejected = 0
    per_day = max(1, traces_per_day // TRACES_PER_PART)
    parts = traffic_parts(now, random.Random(seed), days=days, traces_per_day=traces_per_day, parts_per_day=per_day)
    job = DemoJob(project_id, writer.codec.dialect_name, overrides, now)
    workers = settings.decode_workers if settings.decode_workers is not None else default_worker_count()
    if days * traces_per_day < PARALLEL_FROM_TRACES:
        workers = 0
    try:
        label = f"writing {days} days x {traces_per_day} traces"
        with click.progressbar(length=days * traces_per_day, label=label, file=sys.stderr) as bar:
            for made in demo_batches(parts, job, workers):
                rejected += len(pipeline.submit_blocking(made.prepared))
                made_traces += made.traces
                observations += made.observations
                scores += made.scores
                bar.update(made.traces)
    finally:
        pipeline.stop()
        try:
            _finish_search_index(writer)
        finally:
            writer.close()
    after = _counts(store)
    new_rows = {table: after[table] - before[table] for table in COUNTED_TABLES}
    return DemoSummary(project_id, made_traces, observations, scores, new_rows, rejected, time.perf_counter() - started)


def _finish_search_index(writer: TraceWriter) -> None:
    """SQLite derives after the commit (`storage/writer.py`): leave the demo's data searchable."""
    behind = writer.committed() - writer.followed()
    if behind <= 0:
        return
    with click.progressbar(length=behind, label="indexing for search", file=sys.stderr) as bar:
        writer.catch_up(on_step=bar.update)


def _describe(summary: DemoSummary) -> str:
    added = ", ".join(f"{count:,} {table}" for table, count in summary.new_rows.items())
    text = (
        f"Generated {summary.traces:,} traces, {summary.observations:,} observations and {summary.scores:,} scores "
        f"in {summary.seconds:.1f} s; new rows stored: {added}."
    )
    if summary.rejected:
        text += f"\n{summary.rejected:,} items were rejected as invalid (see the server log)."
    if not any(summary.new_rows.values()):
        text += "\nNothing new: this seed was already loaded (use --seed for more traffic)."
    return text


def _curl_example(settings: Settings, project: str, new_key: IssuedKey | None) -> str:
    if new_key is not None and new_key.project_name == project:
        secret = new_key.secret_key
    elif settings.init_secret_key:
        secret = "$THEODOLITE_INIT_SECRET_KEY"  # the user's own secret; not echoed to the terminal
    else:
        secret = "<secret key>"
    text = f'  curl -H "Authorization: Bearer {secret}" "{_base_url(settings)}/api/v1/traces?limit=5"'
    if secret == "<secret key>":
        text += f"\n  (no key shown: create one with `theodolite keys create --project {project}`)"
    return text


LIVE_INTERVAL_S = 10.0
DEMO_USER = "demo"
DEMO_EMAIL = "demo@example.com"


def ensure_demo_user(database: Database) -> NewPassword | None:
    """The demo's admin `demo`, with a fresh password on every run (it cannot be shown again later:
    only its hash is stored). None when a user called `demo` exists that the demo did not create
    (its password is someone's own: left alone). Blocks."""
    existing = find_user(database, DEMO_USER)
    if existing is None:
        return create_user(database, DEMO_EMAIL, name=DEMO_USER, password=generate_password(), is_admin=True)
    if existing.email != DEMO_EMAIL:
        return None
    return reset_password(database, DEMO_USER, generate_password())


def describe_sign_in(settings: Settings, demo_user: NewPassword | None) -> str:
    if demo_user is None:
        return f"Sign in at {_base_url(settings)}/ with your own user (a user named {DEMO_USER!r} already exists)."
    return (
        f"Sign in at {_base_url(settings)}/ as user {demo_user.user.name!r} (or {demo_user.user.email}), "
        f"password: {demo_user.password}\n"
        "  (an admin; a new password is set each time the demo starts)"
    )


def run_demo(settings: Settings, *, days: int, traces_per_day: int, seed: int, serve: bool) -> DemoSummary:
    """Fill `settings.database_url` with `days` of demo traffic, then serve it if asked. Blocks."""
    now = datetime.now(UTC)  # the one clock read: the generator itself is pure
    stores = open_stores(
        settings.database_url, settings.metadata_database_url, sqlite_cache_mib=settings.sqlite_cache_mib, migrate=True
    )
    database = stores.metadata
    try:
        new_key = bootstrap_projects(database, settings)
        if new_key is not None:
            click.echo(describe_new_key(new_key, _base_url(settings)))
        # The project the bootstrap key belongs to, so that key can read what the demo writes.
        project = settings.init_project or DEFAULT_PROJECT
        project_id, _ = get_or_create_project(database, project)
        demo_user = ensure_demo_user(database)
        click.echo(f"Demo traffic for project {project!r} in {settings.database_url}", err=True)
        untune_collector = tune_collector(settings.gc_gen0_threshold)  # the same heap as the server's writer
        try:
            summary = write_demo(
                database,
                project_id,
                now=now,
                days=days,
                traces_per_day=traces_per_day,
                seed=seed,
                settings=settings,
                traces=stores.traces,
            )
        finally:
            untune_collector()
    finally:
        stores.close()
    click.echo(_describe(summary))
    click.echo(describe_sign_in(settings, demo_user))
    if serve:
        from theodolite.server.runner import run_server

        click.echo(f"\nOpen {_base_url(settings)}/docs, or try:\n{_curl_example(settings, project, new_key)}\n")
        click.echo(f"Live demo traffic: a few traces every {LIVE_INTERVAL_S:g} s, so /metrics moves.", err=True)
        run_server(
            settings.model_copy(update={"demo_live_interval_s": settings.demo_live_interval_s or LIVE_INTERVAL_S})
        )
    return summary
