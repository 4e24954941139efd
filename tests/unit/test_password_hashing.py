"""Password hashing: argon2id, timing for unknown users, and what a burst of sign-ins may hold."""

from __future__ import annotations

from pathlib import Path

import anyio
from anyio import to_thread

from theodolite.server.passwords import MAX_CONCURRENT_HASHES, hash_password, needs_rehash, verify_password
from theodolite.server.sessions import SessionManager
from theodolite.storage.engine import open_database


def test_argon2id_hashes_verify_and_are_salted() -> None:
    first, second = hash_password("a passphrase"), hash_password("a passphrase")
    assert first.startswith("$argon2id$") and first != second
    assert verify_password(first, "a passphrase") and not verify_password(first, "A passphrase")
    assert not verify_password(None, "a passphrase")  # no such user: checked against a dummy hash
    assert not verify_password("not a hash", "a passphrase")
    assert not needs_rehash(first)


def test_a_burst_of_password_checks_holds_at_most_two_worker_threads(tmp_path: Path) -> None:
    """The checks queue in the event loop for one of their own two threads: every other route needs the
    shared worker threads (40), and a burst of sign-ins waiting in them on a lock took them all (with a
    plain to_thread.run_sync, `peak` below is 40, and a health check waited 1.6 s instead of 19 ms)."""
    database = open_database(f"sqlite:///{tmp_path / 'hashing.db'}")
    peak, hashing_peak = 0, 0

    async def burst() -> None:
        nonlocal peak, hashing_peak
        sessions = SessionManager(database, 3600, 7200)
        threads = to_thread.current_default_thread_limiter()
        finished = anyio.Event()

        async def watch() -> None:
            nonlocal peak, hashing_peak
            while not finished.is_set():
                peak = max(peak, int(threads.borrowed_tokens))
                hashing_peak = max(hashing_peak, int(sessions.hash_slots.borrowed_tokens))
                await anyio.sleep(0.001)  # sampling, not synchronising

        async with anyio.create_task_group() as outer:
            outer.start_soon(watch)
            async with anyio.create_task_group() as checks:
                for i in range(50):
                    checks.start_soon(sessions.hashing, verify_password, None, f"guess-{i}")
            finished.set()

    try:
        anyio.run(burst)
    finally:
        database.dispose()
    assert peak == 0  # none of the threads the other routes share
    assert 1 <= hashing_peak <= MAX_CONCURRENT_HASHES
