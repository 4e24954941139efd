"""Running the app under uvicorn with our settings."""

from __future__ import annotations

import uvicorn

from theodolite.server.app import create_app
from theodolite.server.settings import Settings
from theodolite.storage.engine import open_database


def run_server(settings: Settings) -> None:
    """Blocks until the server stops (SIGINT/SIGTERM); drains the ingest queue before exiting.

    Raises StorageError before binding when the database cannot be opened (or migrated), so the
    CLI prints one line instead of uvicorn's startup traceback.
    """
    database = open_database(settings.database_url, sqlite_cache_mib=settings.sqlite_cache_mib,
                             migrate=settings.auto_migrate)  # fmt: skip
    try:
        database.check_connection()
    finally:
        database.dispose()
    config = uvicorn.Config(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        access_log=settings.log_level == "debug",
        # Default 5 s keep-alive drops idle exporter connections; OTel exporters keep them long.
        timeout_keep_alive=30,
    )
    uvicorn.Server(config).run()
