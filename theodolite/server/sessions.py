"""Signed-in sessions: the cookie, its server-side row, expiry, and the CSRF double-submit check.

The session cookie carries a 256-bit random token; the database holds only its sha256. The CSRF
token is a second random value, sent as a cookie that the page's JavaScript reads and echoes in
`X-CSRF-Token` on every state-changing request. A cross-site page can make the browser send the
cookies but cannot read them, so it cannot produce the header. The token is also bound to the
session (its digest is stored with it), so a CSRF cookie planted by a sibling subdomain does not
pass either.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from anyio import CapacityLimiter, to_thread
from starlette.requests import Request
from starlette.responses import Response

from theodolite.errors import AuthenticationError, ForbiddenError
from theodolite.server.passwords import MAX_CONCURRENT_HASHES, hash_password, needs_rehash, verify_password
from theodolite.storage.engine import Database
from theodolite.storage.metadata.account_reads import UserRecord, find_user, get_session
from theodolite.storage.metadata.accounts import (
    delete_expired_sessions,
    delete_session,
    insert_session,
    rehash_password,
    touch_session,
)

T = TypeVar("T")
SESSION_COOKIE = "theodolite_session"
CSRF_COOKIE = "theodolite_csrf"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_TOUCH_INTERVAL_S = 60  # last_seen_at is written at most this often per session: reads stay reads


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class SignedIn:
    """The user of a valid session."""

    user: UserRecord
    token_hash: str
    csrf_hash: str


@dataclass(frozen=True, slots=True)
class OpenedSession:
    """The tokens of a new session: set as cookies once, never stored."""

    token: str
    csrf_token: str
    user: UserRecord


class SessionManager:
    """Opens, resolves and closes sessions. Every method blocks (database, password hashing)."""

    def __init__(self, database: Database, idle_timeout_s: int, absolute_timeout_s: int) -> None:
        """Built in the event loop (the hashing limiter belongs to it)."""
        self.database = database
        # Password checks run in at most two threads of their own and queue in the event loop: run
        # in the shared worker threads, a burst of sign-ins waiting on the hashing semaphore held all
        # 40 of them, and every other route waited behind it (health: 19 ms -> 1.6 s).
        self.hash_slots = CapacityLimiter(MAX_CONCURRENT_HASHES)
        self.idle = timedelta(seconds=idle_timeout_s)
        self.absolute = timedelta(seconds=absolute_timeout_s)
        self.touch_interval = timedelta(seconds=min(MAX_TOUCH_INTERVAL_S, idle_timeout_s / 10))

    def find(self, login: str) -> UserRecord | None:
        """The user whose email or user name is `login`."""
        return find_user(self.database, login)

    def check_password(self, user: UserRecord | None, password: str) -> UserRecord | None:
        """`user` if the password is theirs, else None; as slow for `user=None` (no such user)."""
        if not verify_password(user.password_hash if user else None, password) or user is None:
            return None
        if needs_rehash(user.password_hash):
            rehash_password(self.database, user.id, user.password_hash, hash_password(password))
        return user

    async def hashing(self, function: Callable[..., T], *args: Any) -> T:
        """Run a password hashing or checking function in a worker thread, once a hashing slot is free."""
        return await to_thread.run_sync(function, *args, limiter=self.hash_slots)

    def open(self, user: UserRecord) -> OpenedSession:
        now = datetime.now(UTC)
        # Housekeeping at sign-in, where a write happens anyway: expired rows do not pile up.
        delete_expired_sessions(self.database, idle_before=now - self.idle, created_before=now - self.absolute)
        token, csrf_token = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        insert_session(self.database, digest(token), digest(csrf_token), user.id, now)
        return OpenedSession(token, csrf_token, user)

    def resolve(self, token: str) -> SignedIn:
        """The session's user. Raises AuthenticationError if the session is unknown, ended or expired."""
        token_hash = digest(token)
        found = get_session(self.database, token_hash)
        if found is None:
            raise AuthenticationError("not signed in (or the session ended): sign in again")
        now = datetime.now(UTC)
        if found.last_seen_at + self.idle <= now or found.created_at + self.absolute <= now:
            delete_session(self.database, token_hash)
            raise AuthenticationError("the session expired: sign in again")
        if now - found.last_seen_at >= self.touch_interval:
            touch_session(self.database, token_hash, now)
        return SignedIn(found.user, token_hash, found.csrf_hash)

    def close(self, token: str) -> None:
        delete_session(self.database, digest(token))


def check_csrf(request: Request, signed: SignedIn) -> None:
    """Raises ForbiddenError unless the request carries the session's CSRF token in the header and
    in the cookie (compared in constant time)."""
    header = request.headers.get(CSRF_HEADER, "")
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if not header or not hmac.compare_digest(header.encode(), cookie.encode()):
        raise ForbiddenError(f"missing or wrong CSRF token: send header X-CSRF-Token with the {CSRF_COOKIE} cookie")
    if not hmac.compare_digest(digest(header), signed.csrf_hash):
        raise ForbiddenError("the CSRF token does not belong to this session: sign in again")


def is_https(request: Request) -> bool:
    # Behind a proxy, uvicorn sets the scheme from X-Forwarded-Proto when the proxy is trusted
    # (--forwarded-allow-ips; 127.0.0.1 by default).
    return request.url.scheme == "https"


def set_session_cookies(response: Response, request: Request, opened: OpenedSession, max_age_s: int) -> None:
    secure = is_https(request)
    response.set_cookie(
        SESSION_COOKIE, opened.token, max_age=max_age_s, path="/", secure=secure, httponly=True, samesite="lax"
    )
    # Readable by the page's JavaScript on purpose: it echoes it in X-CSRF-Token.
    response.set_cookie(
        CSRF_COOKIE, opened.csrf_token, max_age=max_age_s, path="/", secure=secure, httponly=False, samesite="lax"
    )


def clear_session_cookies(response: Response, request: Request) -> None:
    secure = is_https(request)
    response.delete_cookie(SESSION_COOKIE, path="/", secure=secure, httponly=True, samesite="lax")
    response.delete_cookie(CSRF_COOKIE, path="/", secure=secure, httponly=False, samesite="lax")
