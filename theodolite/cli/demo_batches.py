"""The demo's batches, generated and prepared for the writer: in worker processes for a big demo.

A week of demo traffic costs as much Python to generate, price and encode as the writer spends
storing it, and two threads of one process take turns on the interpreter: a million observations
took 120 s in one process. As the server's decode workers do for request bodies, processes make the
batches (`demo/traffic.TrafficPart`s: slices of a day, whose ids and times do not depend on who
makes them) while this process only writes; results come back in order, a few parts ahead.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from theodolite.demo.traffic import TrafficPart, generate_part
from theodolite.ingestion.costing import price_batch
from theodolite.storage.codec import ValueCodec
from theodolite.storage.rows import PreparedBatch, prepare_batch

# Below this many traces a demo is made in this process (starting workers costs about a second).
PARALLEL_FROM_TRACES = 20_000
TRACES_PER_PART = 2_000  # about 11,000 observations: a few MB to send back


@dataclass(frozen=True, slots=True)
class DemoBatch:
    """One batch ready for the writer, with what it generated."""

    prepared: PreparedBatch
    traces: int
    observations: int
    scores: int


@dataclass(frozen=True, slots=True)
class DemoJob:
    """What every part is prepared with. Picklable."""

    project_id: int
    dialect_name: str
    overrides: Any
    now: datetime


def demo_batches(parts: list[TrafficPart], job: DemoJob, workers: int) -> Iterator[DemoBatch]:
    """The parts' batches in order; made by `workers` processes (0: here)."""
    if workers <= 0:
        for part in parts:
            yield from _prepare_part(job, part)
        return
    # spawn, not fork: this process runs the writer's threads, whose locks a fork would copy held.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        pending: deque[Future[list[DemoBatch]]] = deque()
        waiting = iter(parts)
        for part in waiting:
            pending.append(pool.submit(_prepare_part_list, job, part))
            if len(pending) > workers:  # one more than there are workers: none waits for the next job
                break
        while pending:
            done = pending.popleft().result()
            part = next(waiting, None)
            if part is not None:
                pending.append(pool.submit(_prepare_part_list, job, part))
            yield from done


def _prepare_part(job: DemoJob, part: TrafficPart) -> Iterator[DemoBatch]:
    codec = ValueCodec(job.dialect_name)
    for batch in generate_part(part):
        # Documents made here on every engine (on SQLite the writer would make them again).
        prepared = prepare_batch(job.project_id, price_batch(batch, job.overrides), codec, job.now, documents=True)
        yield DemoBatch(prepared, len(batch.traces), len(batch.observations), len(batch.scores))


def _prepare_part_list(job: DemoJob, part: TrafficPart) -> list[DemoBatch]:
    """In a worker process."""
    return list(_prepare_part(job, part))
