"""Python's cyclic garbage collector, set for a process that holds much and allocates fast.

The server process keeps a large, long-lived heap: everything imported at start, and on SQLite
what the writer keeps of each commit until it is derived (`storage/writer.py`: up to
`derive_max_lag_s` of traces under load). Its writer thread also makes several dicts per span.
With Python's thresholds (a young collection every 700 allocations, the older generations after
10 of the younger each) the collector ran through that heap again and again: on `bench/ingest.py`
(300,000 spans, 2 cores) the server made 6,900-7,300 spans/s with them and 7,600-8,800 with the
settings below, its CPU time 57.6 s against 49-53 s, its peak RSS unchanged (331 against
333-345 MiB). Reference cycles are still collected, only in larger batches.

- `gc.freeze()` once the server has started: what start-up made (modules, the price table) moves
  to a generation the collector never scans again;
- the young generation's threshold raised to `gc_gen0_threshold` allocations (default 50,000),
  the middle one's and the oldest one's to 20 and 100 collections of the one below (10 and 10
  by default). The oldest is also collected only once it has grown by a quarter, as always.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable

log = logging.getLogger(__name__)

MIDDLE_THRESHOLD = 20
OLDEST_THRESHOLD = 100


def tune_collector(gen0_threshold: int) -> Callable[[], None]:
    """Freeze what exists now and raise the thresholds; `gen0_threshold` 0 keeps Python's own
    settings (nothing is frozen then either). Returns what undoes it (an app run in a test's
    process gives the process back as it was)."""
    before = gc.get_threshold()
    if gen0_threshold <= 0:
        return lambda: None
    gc.freeze()
    gc.set_threshold(gen0_threshold, MIDDLE_THRESHOLD, OLDEST_THRESHOLD)
    log.debug("garbage collector: %d objects frozen, thresholds %s", gc.get_freeze_count(), gc.get_threshold())

    def restore() -> None:
        gc.set_threshold(*before)
        gc.unfreeze()

    return restore
