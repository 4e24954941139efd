"""Password hashing with argon2id (argon2-cffi, RFC 9106's low-memory profile: 64 MiB, 3 passes).

Verifying costs ~50 ms of CPU and 64 MiB of memory, on purpose. So that a burst of sign-ins
cannot exhaust either, at most `MAX_CONCURRENT_HASHES` run at once; the rest wait their turn.
A sign-in for an unknown user verifies against a dummy hash, so that the answer takes as long
as for a wrong password (no user enumeration by timing).
"""

from __future__ import annotations

import secrets
import threading
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from theodolite.errors import BadRequestError

MIN_PASSWORD_CHARS = 8
MAX_PASSWORD_CHARS = 1024  # hashing cost grows with length; nobody types more
MAX_CONCURRENT_HASHES = 2

_hasher = PasswordHasher()
_slots = threading.BoundedSemaphore(MAX_CONCURRENT_HASHES)


def check_password_policy(password: str) -> str:
    """Raises BadRequestError naming the rule a new password breaks."""
    if len(password) < MIN_PASSWORD_CHARS:
        raise BadRequestError(f"a password needs at least {MIN_PASSWORD_CHARS} characters")
    if len(password) > MAX_PASSWORD_CHARS:
        raise BadRequestError(f"a password has at most {MAX_PASSWORD_CHARS} characters")
    return password


def hash_password(password: str) -> str:
    """An argon2id hash string (parameters and salt included). Blocks ~50 ms."""
    with _slots:
        return _hasher.hash(password)


@cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def verify_password(password_hash: str | None, password: str) -> bool:
    """True if `password` matches; with `password_hash=None` (no such user) it takes as long and
    returns False. Blocks ~50 ms."""
    if len(password) > MAX_PASSWORD_CHARS:
        password = password[:MAX_PASSWORD_CHARS]  # cannot match: stored passwords are never longer
    target = password_hash if password_hash is not None else _dummy_hash()
    with _slots:
        try:
            return _hasher.verify(target, password) and password_hash is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's."""
    return _hasher.check_needs_rehash(password_hash)


def generate_password() -> str:
    """A random password for first start and resets: 16 URL-safe characters (96 bits)."""
    return secrets.token_urlsafe(12)
