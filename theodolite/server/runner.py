"""Running the app under uvicorn with our settings."""

from __future__ import annotations

import logging
from types import FrameType

import uvicorn
from fastapi import FastAPI

from theodolite.server.app import create_app
from theodolite.server.settings import Settings
from theodolite.storage.stores import open_stores
from theodolite.storage.writer_lease import WriterLease

log = logging.getLogger("theodolite")


class _Server(uvicorn.Server):
    """uvicorn's server, plus: on SIGTERM/SIGINT, reads in progress are stopped at once.

    uvicorn then waits up to `shutdown_timeout_s` for requests in flight (an ingest request gets
    its answer once its batch is committed) and cancels what remains; a cancelled ingest request
    was never answered 200, and what it queued is committed by the drain in the app's shutdown.
    Without stopping reads, one long query kept the server "waiting for background tasks".
    """

    def __init__(self, config: uvicorn.Config, app: FastAPI) -> None:
        super().__init__(config)
        self._app = app

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        state = getattr(self._app.state, "theodolite", None)
        if state is not None:
            state.database.stop_reads()
        super().handle_exit(sig, frame)


def run_server(settings: Settings) -> None:
    """Blocks until the server stops (SIGINT/SIGTERM); drains the ingest queue before exiting.

    Raises StorageError before binding when the database cannot be opened (or migrated), so the
    CLI prints one line instead of uvicorn's startup traceback.
    """
    stores = open_stores(settings.database_url, settings.metadata_database_url,
                         sqlite_cache_mib=settings.sqlite_cache_mib, migrate=settings.auto_migrate)  # fmt: skip
    try:
        stores.metadata.check_connection()
        if settings.traces_on_clickhouse:
            stores.traces.ping()
        elif stores.metadata.path is not None:  # SQLite: refused now if another process writes it
            WriterLease(stores.metadata.path).release()
    finally:
        stores.close()
    app = create_app(settings)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        access_log=settings.log_level == "debug",
        # Default 5 s keep-alive drops idle exporter connections; OTel exporters keep them long.
        timeout_keep_alive=30,
        timeout_graceful_shutdown=settings.shutdown_timeout_s,
    )
    _Server(config, app).run()
