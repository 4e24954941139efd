"""create_app: the only composition root. Everything the server runs is wired here."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

from anyio import to_thread
from fastapi import FastAPI

from theodolite import __version__
from theodolite.ingestion.pipeline import IngestPipeline
from theodolite.metrics.derived import DerivedMetrics
from theodolite.metrics.exposition import ServerMetrics
from theodolite.server.auth import Authenticator
from theodolite.server.bootstrap import (
    bootstrap_admin,
    bootstrap_projects,
    describe_new_admin,
    describe_new_key,
    warn_if_search_incomplete,
)
from theodolite.server.collector import tune_collector
from theodolite.server.decoding import DecodePool, default_worker_count
from theodolite.server.dictionary_trainer import DictionaryTrainer
from theodolite.server.errors import install_error_handlers
from theodolite.server.evaluator_process import EvaluatorProcess
from theodolite.server.evaluator_worker import EvaluatorWorker
from theodolite.server.metrics_hook import HealthReadings, MetricsHook
from theodolite.server.nul_in_urls import NulInUrlsMiddleware
from theodolite.server.price_book import PriceBook
from theodolite.server.rate_limit import LoginRateLimiter
from theodolite.server.request_metrics import RequestMetricsMiddleware
from theodolite.server.routes import (
    admin_users,
    analytics,
    annotation_queues,
    api,
    auth,
    datasets,
    evaluators,
    experiments,
    health,
    members,
    metrics,
    otlp,
    prices,
    scores,
)
from theodolite.server.routes import costs as costs_routes
from theodolite.server.routes import langfuse as langfuse_routes
from theodolite.server.routes import langsmith as langsmith_routes
from theodolite.server.routes import live as live_routes
from theodolite.server.routes import score_configs as score_configs_routes
from theodolite.server.routes import trace_page as trace_page_routes
from theodolite.server.routes.groups_detail import router as groups_detail_router
from theodolite.server.routes.metrics import is_loopback_host
from theodolite.server.score_config_book import ScoreConfigBook
from theodolite.server.sessions import SessionManager
from theodolite.server.settings import Settings
from theodolite.server.state import AppState
from theodolite.storage.dictionaries import load_dictionaries
from theodolite.storage.metadata.evaluator_rules import has_enabled_rules
from theodolite.storage.process_locks import EVALUATORS, LIVE_DEMO, STARTUP, Lease, held
from theodolite.storage.statistics import PlannerStatistics
from theodolite.storage.stores import open_stores
from theodolite.web import mount_web_ui

DOCUMENT_WORKER_LEAD_S = 10.0
log = logging.getLogger("theodolite")


def create_app(settings: Settings) -> FastAPI:
    """The ASGI app. Opening the database, migrating and starting the writer happen at startup."""
    # Built here, not at startup: the request-metrics middleware records into it from the first request.
    derived = DerivedMetrics(
        [a.strip() for a in settings.metrics_label_attributes.split(",") if a.strip()],
        settings.metrics_series_budget,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stores = open_stores(
            settings.database_url,
            settings.metadata_database_url,
            sqlite_cache_mib=settings.sqlite_cache_mib,
            migrate=settings.auto_migrate,
            read_timeout_s=settings.read_timeout_s,
        )
        database, trace_store = stores.metadata, stores.traces
        PlannerStatistics(database).refresh_if_stale()
        with held(database.engine, STARTUP):  # servers started together: one creates, the others find
            new_key = bootstrap_projects(database, settings)
            new_admin = bootstrap_admin(database, settings)
        if new_key is not None:
            print(describe_new_key(new_key, f"http://{settings.host}:{settings.port}"), flush=True)
        workers = settings.decode_workers if settings.decode_workers is not None else default_worker_count()
        decoder = DecodePool(workers, dictionary=load_dictionaries(database))
        # Payload dictionaries compress the SQL payload column; ClickHouse compresses its own columns.
        on_sql = not settings.traces_on_clickhouse
        trainer = DictionaryTrainer(database, decoder, settings.payload_dictionary_after_spans) if on_sql else None
        # Search documents in a process of their own (as decoding, unless 0), from 10 s before the
        # lag bound makes the writer derive between commits.
        after_s = max(0.0, settings.derive_max_lag_s - DOCUMENT_WORKER_LEAD_S) if workers > 0 else None
        writer = trace_store.make_writer(document_worker_after_s=after_s)
        metrics_hook = MetricsHook(derived, database, next_hook=trainer)
        pipeline = IngestPipeline(
            writer.commit,
            max_queue_items=settings.ingest_queue_max_spans,
            max_transaction_items=settings.writer_batch_max_spans,
            retry_after_s=settings.retry_after_s,
            on_committed=metrics_hook,
            follower=writer,
            # A writer whose steps are costly (ClickHouse's trace rollups) asks for a longer quiet spell.
            follow_idle_s=max(settings.derive_idle_s, getattr(writer, "follow_idle_s", 0.0)),
            follow_max_lag_s=settings.derive_max_lag_s,
        )
        metrics_hook.pipeline = pipeline
        server_metrics = ServerMetrics(
            derived, HealthReadings(settings, database, pipeline, trace_store), metrics_hook.names
        )
        pipeline.start()
        if pipeline.underived():
            log.info(
                "deriving the search index and trace totals of %d spans committed before the last stop "
                "(in the background; the lists wait for it)",
                pipeline.underived(),
            )
        authenticator = Authenticator(database, settings.api_key_cache_s)
        queries = trace_store.queries
        prices = PriceBook(database)
        await to_thread.run_sync(prices.reload)
        if new_admin is not None:
            print(describe_new_admin(new_admin, f"http://{settings.host}:{settings.port}"), flush=True)
        sessions = SessionManager(database, settings.session_idle_timeout_s, settings.session_absolute_timeout_s)
        login_limiter = LoginRateLimiter(
            settings.login_attempts_per_login, settings.login_attempts_per_address, settings.login_window_s
        )
        state = AppState(
            settings, database, pipeline, authenticator, decoder, writer.codec, queries, prices, server_metrics,
            sessions, login_limiter, trace_store, ScoreConfigBook(database),
        )  # fmt: skip
        app.state.theodolite = state
        live_demo = None
        if settings.demo_live_interval_s > 0:
            from theodolite.server.bootstrap import DEFAULT_PROJECT
            from theodolite.server.live_demo import LiveDemo
            from theodolite.storage.metadata.projects import get_or_create_project

            project_id, _ = get_or_create_project(database, settings.init_project or DEFAULT_PROJECT)
            lease = Lease(database.engine, LIVE_DEMO)
            live_demo = LiveDemo(pipeline, writer.codec, project_id, settings.demo_live_interval_s, lease)
            live_demo.start()
        evaluators: EvaluatorWorker | EvaluatorProcess | None = None
        embedded = settings.database_url.lower().startswith("chdb:")
        if settings.evaluators_enabled and settings.evaluator_process and not embedded:
            evaluators = EvaluatorProcess(settings, pipeline, writer.codec, partial(has_enabled_rules, database))
            evaluators.start()
        elif settings.evaluators_enabled:  # in a thread: asked for, or the embedded ClickHouse (one process opens it)
            evaluators = EvaluatorWorker(
                database, queries, pipeline, writer.codec, prices.for_project_blocking,
                Lease(database.engine, EVALUATORS), api_keys=settings.evaluator_api_key_map,
                concurrency=settings.evaluator_concurrency, settle_s=settings.evaluator_settle_s,
                poll_s=settings.evaluator_poll_s, cpu_share=settings.evaluator_cpu_share,
                before_pass=PlannerStatistics(database).refresh_if_stale,
            )  # fmt: skip
            evaluators.start()
        if evaluators is not None:
            state.evaluator_worker = evaluators
        log.info("theodolite %s ready on %s (%s)", __version__, settings.port, trace_store.dialect_name)
        if on_sql:
            warn_if_search_incomplete(database)
        untune_collector = tune_collector(settings.gc_gen0_threshold)  # last: what start-up made is frozen
        if not settings.metrics_token and not is_loopback_host(settings.host):
            log.warning(
                "listening on %s without THEODOLITE_METRICS_TOKEN: /metrics answers loopback clients only "
                "(403 to others); set a token to let a remote Prometheus scrape it",
                settings.host,
            )
        try:
            yield
        finally:
            untune_collector()
            if live_demo is not None:
                live_demo.stop()
            if evaluators is not None:
                evaluators.stop()  # before the pipeline: its last verdicts are committed
            decoder.close()
            if not pipeline.stop(timeout_s=30):
                log.error("writer did not drain within 30 s; unacknowledged requests were not stored")
            writer.close()
            stores.close()

    app = FastAPI(
        title="Theodolite",
        version=__version__,
        description="Observability for LLM applications: OTLP ingestion and the query API.",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    app.add_middleware(NulInUrlsMiddleware)
    app.add_middleware(RequestMetricsMiddleware, metrics=derived)
    app.include_router(health.router)
    app.include_router(otlp.router)
    app.include_router(langfuse_routes.router)
    app.include_router(langsmith_routes.router)
    app.include_router(api.router)
    app.include_router(analytics.router)
    app.include_router(trace_page_routes.router)
    app.include_router(prices.router)
    app.include_router(scores.router)
    app.include_router(datasets.router)
    app.include_router(experiments.router)
    app.include_router(annotation_queues.router)
    app.include_router(score_configs_routes.router)
    app.include_router(evaluators.router)
    app.include_router(auth.router)
    app.include_router(members.router)
    app.include_router(admin_users.router)
    app.include_router(metrics.router)
    app.include_router(groups_detail_router)
    app.include_router(live_routes.router)
    app.include_router(costs_routes.router)
    mount_web_ui(app)  # last: its catch-all answers the UI's routes, after every API route
    return app
