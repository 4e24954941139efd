"""What the routes share: settings, database, reads, pipeline, authenticator. Built by `create_app`."""

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


async def authenticate(request: Request) -> int:
    """The project id of the request's key. Raises AuthenticationError (401)."""
    state: AppState = request.app.state.theodolite
    credential = credential_from_headers(request)
    project_id = state.authenticator.cached(credential)
    if project_id is None:
        project_id = await to_thread.run_sync(state.authenticator.project_for, credential)
    return project_id
