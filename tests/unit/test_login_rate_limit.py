"""The sliding window behind the sign-in limits, on explicit times."""

from __future__ import annotations

from theodolite.server.rate_limit import PRUNE_EVERY_KEYS, SlidingWindowLimiter


def test_attempts_leave_the_window_one_by_one() -> None:
    limiter = SlidingWindowLimiter(limit=3, window_s=10)
    for at in (0.0, 1.0, 2.0):
        assert limiter.wait_s("ada", at) == 0
        limiter.record("ada", at)
    assert limiter.wait_s("ada", 5.0) == 5.0  # until the attempt at 0 is 10 s old
    assert limiter.wait_s("bob", 5.0) == 0  # keys are counted apart
    assert limiter.wait_s("ada", 10.0) == 0
    limiter.record("ada", 10.0)
    assert limiter.wait_s("ada", 10.5) == 0.5  # now the attempt at 1 is the one to wait for


def test_a_forgiven_attempt_does_not_count() -> None:
    limiter = SlidingWindowLimiter(limit=2, window_s=10)
    limiter.record("ada", 1.0)
    limiter.record("ada", 2.0)
    assert limiter.wait_s("ada", 3.0) > 0
    limiter.forgive("ada", 2.0)
    assert limiter.wait_s("ada", 3.0) == 0


def test_memory_holds_only_the_keys_of_one_window() -> None:
    limiter = SlidingWindowLimiter(limit=5, window_s=10)
    for i in range(3 * PRUNE_EVERY_KEYS):
        limiter.record(f"guess-{i}", float(i) / 1000)  # 3 * PRUNE_EVERY_KEYS distinct keys over 30 s
    keys_in_one_window = 10_001  # 1,000 new keys a second for 10 s
    assert len(limiter._events) <= 2 * keys_in_one_window  # pruned when twice the live keys: 30,000 seen
