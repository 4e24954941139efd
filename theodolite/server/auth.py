"""Project keys from request headers: `Authorization: Bearer <secret>`, `x-api-key: <secret>`
(LangSmith) or `Authorization: Basic base64(<public>:<secret>)` (Langfuse)."""

from __future__ import annotations

import base64
import binascii
import threading
import time

from starlette.requests import Request

from theodolite.errors import AuthenticationError
from theodolite.storage.engine import Database
from theodolite.storage.metadata.project_reads import get_project_for_secret

Credential = tuple[str, str | None]  # (secret, public key or None)


def credential_from_headers(request: Request) -> Credential:
    """Raises AuthenticationError with a message naming what was expected."""
    authorization = request.headers.get("authorization", "")
    scheme, _, value = authorization.partition(" ")
    scheme = scheme.lower()
    value = value.strip()
    if scheme == "bearer" and value:
        return value, None
    if scheme == "basic" and value:
        try:
            public, sep, secret = base64.b64decode(value, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise AuthenticationError("Basic credentials are not valid base64 of public:secret") from exc
        if not sep or not secret:
            raise AuthenticationError("Basic credentials must be public_key:secret_key")
        return secret, public
    api_key = request.headers.get("x-api-key", "").strip()
    if api_key:
        return api_key, None
    raise AuthenticationError(
        "missing API key: send 'Authorization: Bearer <secret>', 'x-api-key: <secret>' or Basic <public>:<secret>"
    )


class Authenticator:
    """Resolves credentials to a project id, caching hits for `cache_s` seconds.

    `project_for` blocks on the database on a cache miss; routes call it in a worker thread.
    """

    def __init__(self, database: Database, cache_s: float) -> None:
        self._database = database
        self._cache_s = cache_s
        self._cache: dict[Credential, tuple[int, float]] = {}
        self._lock = threading.Lock()

    def cached(self, credential: Credential) -> int | None:
        hit = self._cache.get(credential)
        if hit is not None and hit[1] > time.monotonic():
            return hit[0]
        return None

    def forget_all(self) -> None:
        """Drop every cached key: a key revoked through this server stops working at once (the cache
        holds secrets, not public keys, so it cannot drop one key alone). The next request of each key
        verifies it again, one indexed read."""
        with self._lock:
            self._cache.clear()

    def project_for(self, credential: Credential) -> int:
        hit = self.cached(credential)
        if hit is not None:
            return hit
        project_id = get_project_for_secret(self._database, credential[0], credential[1])
        if project_id is None:
            raise AuthenticationError("invalid or revoked API key")
        if self._cache_s > 0:
            with self._lock:
                if len(self._cache) > 10_000:  # bounded: a flood of bad keys must not grow memory
                    self._cache.clear()
                self._cache[credential] = (project_id, time.monotonic() + self._cache_s)
        return project_id
