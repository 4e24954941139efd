"""Running the app under uvicorn with our settings."""

from __future__ import annotations

import uvicorn

from theodolite.server.app import create_app
from theodolite.server.settings import Settings


def run_server(settings: Settings) -> None:
    """Blocks until the server stops (SIGINT/SIGTERM); drains the ingest queue before exiting."""
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
