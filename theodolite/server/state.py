"""What the routes share: settings, database, reads, pipeline, authenticator, sessions. Built by `create_app`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from anyio import to_thread
from fastapi import Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBasic, HTTPBearer
from starlette.requests import Request

from theodolite.ingestion.pipeline import IngestPipeline
from theodolite.metrics.exposition import ServerMetrics
from theodolite.query.backend import TraceQueries
from theodolite.server.auth import Authenticator, credential_from_headers
from theodolite.server.decoding import DecodePool
from theodolite.server.price_book import PriceBook
from theodolite.server.rate_limit import LoginRateLimiter
from theodolite.server.score_config_book import ScoreConfigBook
from theodolite.server.sessions import SessionManager
from theodolite.server.settings import Settings
from theodolite.storage.backend import TraceStore
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
    trace_store: TraceStore
    score_configs: ScoreConfigBook
    evaluator_worker: Any = None  # an `EvaluatorWorker` (a thread) or `EvaluatorProcess`, when evaluators are on


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


class _LangfuseBasic(HTTPBasic):
    """Documents `Basic base64(public:secret)`; `credential_from_headers` parses it (FastAPI's
    HTTPBasic would answer malformed credentials with its own 401 before ours)."""

    async def __call__(self, request: Request) -> None:  # type: ignore[override]
        return None


# The three ways a client sends a project key, as OpenAPI security schemes: /docs' Authorize
# button fills them, and the schema lists them (any one suffices) on every route that needs a key.
BEARER = HTTPBearer(
    scheme_name="bearer", auto_error=False, description="Authorization: Bearer <secret key> (OTLP exporters, SDK)."
)
API_KEY = APIKeyHeader(
    name="x-api-key", scheme_name="apiKey", auto_error=False, description="x-api-key: <secret key> (LangSmith)."
)
LANGFUSE_BASIC = _LangfuseBasic(
    scheme_name="basic", auto_error=False,
    description="Basic base64(<public key>:<secret key>) (Langfuse): public key as user name, secret as password.",
)  # fmt: skip


async def authenticated_project(
    request: Request,
    _bearer: Annotated[HTTPAuthorizationCredentials | None, Security(BEARER)],
    _api_key: Annotated[str | None, Security(API_KEY)],
    _basic: Annotated[None, Security(LANGFUSE_BASIC)],
) -> int:
    """`authenticate` as a FastAPI dependency that also declares the security schemes."""
    return await authenticate(request)
