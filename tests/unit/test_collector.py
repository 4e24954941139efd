"""The server's garbage-collector settings (`server/collector.py`) and their undoing."""

from __future__ import annotations

import asyncio
import gc
from pathlib import Path

from theodolite.server.app import create_app
from theodolite.server.collector import MIDDLE_THRESHOLD, OLDEST_THRESHOLD, tune_collector
from theodolite.server.settings import Settings


def test_tuning_freezes_raises_the_thresholds_and_is_undone() -> None:
    before = gc.get_threshold()
    frozen = gc.get_freeze_count()
    restore = tune_collector(50_000)
    try:
        assert gc.get_threshold() == (50_000, MIDDLE_THRESHOLD, OLDEST_THRESHOLD)
        assert gc.get_freeze_count() > frozen
    finally:
        restore()
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_zero_keeps_pythons_settings() -> None:
    before = gc.get_threshold()
    restore = tune_collector(0)
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
    restore()
    assert gc.get_threshold() == before


def test_the_server_tunes_the_collector_while_it_runs(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'theodolite.db'}", decode_workers=0, gc_gen0_threshold=40_000
    )
    before = gc.get_threshold()
    seen: list[tuple[int, int, int]] = []

    async def run() -> None:
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            seen.append(gc.get_threshold())

    asyncio.run(run())
    assert seen == [(40_000, MIDDLE_THRESHOLD, OLDEST_THRESHOLD)]
    assert gc.get_threshold() == before
