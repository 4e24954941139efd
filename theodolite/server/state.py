"""What the routes share: settings, database, reads, pipeline, authenticator, sessions. Built by `create_app`."""

from __future__ import annotations

from dataclasses import dataclass

from anyio import to_thread
from starlette.requests import Request

from theodolite.ingestion.pipeline import IngestPipeline
from theodolite.metrics.exposition import ServerMetrics
from theodolite.query.backend import TraceQueries
from theodolite.server.auth import Authenticator, credential_from_headers
from theodolite.server.decoding import DecodePool
from theodolite.server.price_book import PriceBook
from theodolite.server.rate_limit import LoginRateLimiter
from theodolite.server.sessions import SessionManager
from theodolite.server.settings import Settings
from theodolite.storage.codec import ValueCodec
from theodolite.storage.engine import Database


@dataclass
class AppState:
    settings: Settings
    database: Database
    pipeline: IngestPipeline
    authenticator: Authenticator
    decoder: DecodePool
    codec: ValueCodec
    queries: TraceQueries
    prices: PriceBook
    metrics: ServerMetrics
    sessions: SessionManager
    login_limiter: LoginRateLimiter


async def authenticate(request: Request) -> int:
    """The project id of the request's API key. Raises AuthenticationError (401).

    Ingestion accepts keys only; /api/v1 routes go through `theodolite.server.access`, which also
    accepts a signed-in session."""
    state: AppState = request.app.state.theodolite
    credential = credential_from_headers(request)
    project_id = state.authenticator.cached(credential)
    if project_id is None:
        project_id = await to_thread.run_sync(state.authenticator.project_for, credential)
    return project_id
