"""Sign-in attempts per login and per client address, in sliding windows (in this process's memory).

An attempt is counted before the password is checked, so that parallel guesses cannot all pass
the check before any failure is recorded; a successful sign-in is then forgiven. The counters
live in the server process: a restart resets them, and several server processes each count on
their own (docs/web-auth.md).
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque

from theodolite.errors import RateLimitedError

PRUNE_EVERY_KEYS = 10_000


class SlidingWindowLimiter:
    """At most `limit` events per key within `window_s` seconds. Thread-safe; never blocks."""

    def __init__(self, limit: int, window_s: float) -> None:
        self.limit = limit
        self.window_s = window_s
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()
        self._prune_at = PRUNE_EVERY_KEYS

    def _recent(self, key: str, now: float) -> deque[float]:
        events = self._events.setdefault(key, deque())
        while events and events[0] <= now - self.window_s:
            events.popleft()
        return events

    def wait_s(self, key: str, now: float) -> float:
        """0 if an event is allowed now, else seconds until one is. Call under the lock."""
        events = self._recent(key, now)
        if len(events) < self.limit:
            return 0.0
        return events[-self.limit] + self.window_s - now

    def record(self, key: str, now: float) -> None:
        self._recent(key, now).append(now)
        if len(self._events) >= self._prune_at:
            self._prune(now)

    def forgive(self, key: str, at: float) -> None:
        events = self._events.get(key)
        if events is not None and at in events:
            events.remove(at)

    def _prune(self, now: float) -> None:
        # Memory stays proportional to the keys seen within one window.
        for key in [k for k, events in self._events.items() if not events or events[-1] <= now - self.window_s]:
            del self._events[key]
        self._prune_at = max(PRUNE_EVERY_KEYS, 2 * len(self._events))


class LoginRateLimiter:
    """Both sign-in limits; `attempt` raises RateLimitedError (429 with Retry-After) when either is reached."""

    def __init__(self, per_login: int, per_address: int, window_s: float) -> None:
        self._by_login = SlidingWindowLimiter(per_login, window_s)
        self._by_address = SlidingWindowLimiter(per_address, window_s)
        self._lock = threading.Lock()

    def attempt(self, login: str, address: str) -> float:
        """Count an attempt; returns its token for `forgive`. Raises RateLimitedError."""
        now = time.monotonic()
        with self._lock:
            wait = max(self._by_login.wait_s(login, now), self._by_address.wait_s(address, now))
            if wait > 0:
                raise RateLimitedError(
                    f"too many sign-in attempts; try again in {math.ceil(wait)} s", retry_after_s=math.ceil(wait)
                )
            self._by_login.record(login, now)
            self._by_address.record(address, now)
        return now

    def forgive(self, login: str, address: str, token: float) -> None:
        """A successful sign-in does not count against either limit."""
        with self._lock:
            self._by_login.forgive(login, token)
            self._by_address.forgive(address, token)
