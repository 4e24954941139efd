"""Decoding request bodies into storage-ready rows, off the server process's GIL.

Decoding OTLP and encoding rows (JSON, zstd) is pure CPU work; done in the server process it
competed with the writer thread for the GIL and capped ingestion far below what SQLite takes
(4,200 spans/s end to end against 10,000 for the writer alone, measured on 2 cores). So it
runs in a pool of worker processes: bodies go in as bytes, PreparedBatches come back pickled,
and the server process is left with HTTP and the single writer.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, datetime
from typing import Any, TypeVar

from anyio import to_thread

from theodolite.errors import ShuttingDownError
from theodolite.ingestion.adapters.otlp import decode_traces
from theodolite.pricing import PriceOverrides
from theodolite.server.body import parse_json
from theodolite.storage.codec import ValueCodec
from theodolite.storage.payloads import install_dictionary
from theodolite.storage.rows import PreparedBatch, prepare_batch

log = logging.getLogger(__name__)
T = TypeVar("T")


def decode_otlp_traces(
    body: bytes, kind: str, max_attributes: int, project_id: int, codec: ValueCodec, overrides: PriceOverrides
) -> PreparedBatch:
    """OTLP body -> priced rows for `codec`'s engine. Runs in a worker process; raises BadRequestError."""
    from theodolite.ingestion.costing import price_batch  # the price table lives in the workers only

    batch = price_batch(decode_traces(body, kind, max_attributes), overrides)
    return prepare_batch(project_id, batch, codec, datetime.now(UTC))


def decode_langfuse_ingestion(
    body: bytes, project_id: int, codec: ValueCodec, overrides: PriceOverrides
) -> tuple[PreparedBatch, list[str], list[dict[str, Any]], dict[str, str]]:
    """Langfuse ingestion body -> (priced rows, ids of the events taken, errors of the others, the
    event id of each score id). Runs in a worker process; raises BadRequestError when the body is
    not a batch."""
    from theodolite.errors import BadRequestError
    from theodolite.ingestion.adapters.langfuse import EventError, decode_ingestion
    from theodolite.ingestion.costing import price_batch

    document = parse_json(body)
    try:
        result = decode_ingestion(document)
    except EventError as exc:
        raise BadRequestError(str(exc)) from None
    batch = price_batch(result.batch, overrides)
    prepared = prepare_batch(project_id, batch, codec, datetime.now(UTC), overrides=overrides, mergeable=True)
    return prepared, result.successes, result.errors, result.score_events


def decode_langsmith(
    shape: str, body: bytes, content_type: str, project_id: int, codec: ValueCodec, overrides: PriceOverrides
) -> PreparedBatch:
    """A LangSmith runs body -> priced rows. `shape`: "multipart", "batch", "post", "patch:<id>"
    or "feedback". Runs in a worker process; raises BadRequestError for an unreadable body."""
    from theodolite.errors import BadRequestError
    from theodolite.ingestion.adapters import langsmith
    from theodolite.ingestion.costing import price_batch

    now = datetime.now(UTC)
    decoder = langsmith.RunDecoder(now)
    if shape == "multipart":
        decoder.add_parts(langsmith.multipart_parts(body, content_type))
    else:
        document = parse_json(body)
        if shape == "batch":
            if not isinstance(document, dict):
                raise BadRequestError('the body must be {"post": [runs...], "patch": [runs...]}')
            for op in ("post", "patch"):
                for run in document.get(op) or []:
                    decoder.add_run(run, patch=op == "patch")
        elif shape == "feedback":
            decoder.add_feedback(document)
        else:
            run_id = shape.partition(":")[2] or None
            decoder.add_run(document, patch=run_id is not None, run_id=run_id)
    batch = price_batch(decoder.finish(), overrides)
    return prepare_batch(project_id, batch, codec, now, overrides=overrides, mergeable=True)


def default_worker_count() -> int:
    return max(0, min(4, (os.cpu_count() or 1) - 1))


def _warm_up() -> int:
    """Load what the first request would otherwise wait for: the decoders and the price table."""
    from theodolite.pricing.engine import find_model

    find_model("gpt-4o-mini", "openai")
    return os.getpid()


def _init_worker(dictionary: bytes | None) -> None:
    if dictionary is not None:
        install_dictionary(dictionary, activate=True)


class DecodePool:
    """Runs decode functions in worker processes (or threads when `workers` is 0).

    `run` is awaited from the event loop. A crashed worker (a decoder bug hit by some input) must
    not take ingestion down: the pool is rebuilt and only the requests in flight fail (503).
    """

    def __init__(self, workers: int, dictionary: bytes | None = None) -> None:
        self.workers = workers
        self._dictionary = dictionary
        self._executor: Executor | None = self._new_executor()

    def use_dictionary(self, dictionary: bytes) -> None:
        """Make the workers compress payloads with a new dictionary: a fresh pool starts with it,
        the old one finishes what it is running. Called from any thread."""
        self._dictionary = dictionary
        if self.workers == 0:
            return  # in-process decoding already uses the process-wide active dictionary
        old, self._executor = self._executor, self._new_executor()
        if old is not None:
            old.shutdown(wait=False)

    def _new_executor(self) -> Executor | None:
        if self.workers == 0:
            return None
        # spawn, not fork: the server process has threads (writer, uvicorn) by now.
        executor = ProcessPoolExecutor(
            self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker,
            initargs=(self._dictionary,),
        )
        for _ in range(self.workers):
            executor.submit(_warm_up)  # import in the workers now, not on the first request
        return executor

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        executor = self._executor
        if executor is None:
            if self.workers == 0:
                return await to_thread.run_sync(function, *args)
            raise ShuttingDownError("server is shutting down")
        try:
            return await asyncio.wrap_future(executor.submit(function, *args))
        except BrokenProcessPool as exc:
            log.error("a decode worker died; restarting the pool")
            if self._executor is executor:
                self._executor = self._new_executor()
                executor.shutdown(wait=False, cancel_futures=True)
            raise ShuttingDownError("decoder restarted; retry the request", 1) from exc

    def call(self, function: Callable[..., T], *args: Any) -> T:
        """Run `function` in a worker and wait for it. For threads other than the event loop's;
        raises what `function` raised, ShuttingDownError when the pool is closed."""
        executor = self._executor
        if executor is None:
            if self.workers == 0:
                return function(*args)
            raise ShuttingDownError("server is shutting down")
        return executor.submit(function, *args).result()

    def close(self) -> None:
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
