"""The server's copy of every project's price overrides, for the pricing stage.

Overrides change rarely and may be set by another process (`theodolite prices set`), so the copy
is re-read when it is older than `ttl_s`, and at once after a change made through the API.
"""

from __future__ import annotations

import time

from anyio import to_thread

from theodolite.pricing import PriceOverrides
from theodolite.storage.engine import Database
from theodolite.storage.metadata.prices import load_overrides

EMPTY = PriceOverrides()


class PriceBook:
    def __init__(self, database: Database, ttl_s: float = 10.0) -> None:
        self._database = database
        self._ttl_s = ttl_s
        self._by_project: dict[int, PriceOverrides] = {}
        self._loaded_at = float("-inf")

    def invalidate(self) -> None:
        self._loaded_at = float("-inf")

    def reload(self) -> None:
        """Read the overrides now. Blocks."""
        loaded_at = time.monotonic()
        self._by_project = load_overrides(self._database)
        self._loaded_at = loaded_at

    async def for_project(self, project_id: int) -> PriceOverrides:
        if time.monotonic() - self._loaded_at > self._ttl_s:
            await to_thread.run_sync(self.reload)
        return self._by_project.get(project_id, EMPTY)

    def for_project_blocking(self, project_id: int) -> PriceOverrides:
        """`for_project` for a thread off the event loop (the online evaluators' worker). Blocks."""
        if time.monotonic() - self._loaded_at > self._ttl_s:
            self.reload()
        return self._by_project.get(project_id, EMPTY)
