"""Live demo traffic: while `theodolite demo` serves, a few priced traces every few seconds go
through the real ingest pipeline, so /metrics, Prometheus and the Grafana dashboards move. With
several servers on one PostgreSQL database, one of them sends it (`process_locks.Lease`); another
takes over when that one stops."""

from __future__ import annotations

import logging
import random
import threading
from datetime import UTC, datetime

from theodolite.demo.traffic import live_batch
from theodolite.ingestion.costing import price_batch
from theodolite.ingestion.pipeline import IngestPipeline
from theodolite.storage.codec import ValueCodec
from theodolite.storage.process_locks import Lease
from theodolite.storage.rows import prepare_batch

log = logging.getLogger(__name__)


class LiveDemo:
    def __init__(
        self, pipeline: IngestPipeline, codec: ValueCodec, project_id: int, interval_s: float, lease: Lease
    ) -> None:
        self.pipeline, self.codec, self.project_id, self.interval_s = pipeline, codec, project_id, interval_s
        self.lease = lease
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="theodolite-live-demo", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)
        if not self._thread.is_alive():
            self.lease.release()

    def _run(self) -> None:
        rng = random.Random()
        while not self._stop.wait(self.interval_s):
            try:
                if not self.lease.acquire():
                    continue  # a sibling server sends it
                now = datetime.now(UTC)
                batch = price_batch(live_batch(now, rng))
                self.pipeline.submit_blocking(prepare_batch(self.project_id, batch, self.codec, now), timeout_s=30)
            except Exception:  # noqa: BLE001 - demo traffic must never take the server down
                log.exception("live demo traffic failed")
