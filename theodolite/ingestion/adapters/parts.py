"""What the Langfuse and LangSmith decoders share: the writes of one request, merged per
observation in arrival order (`model.merging`), and per trace (`model.merge_trace`); reading
their times and usage documents."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from theodolite.ingestion.flattened import usage_from_document
from theodolite.ingestion.values import to_datetime
from theodolite.model import Batch, Observation, Rejection, Score, Trace, Usage, merge_trace
from theodolite.model.merging import merge_observation


class EventError(ValueError):
    """One event cannot be stored; its message goes back in the 207 answer."""


def time_field(body: dict[str, Any], *keys: str) -> datetime | None:
    """The first of `keys` the body has, as a time; EventError when it is no time."""
    for key in keys:
        if body.get(key) is not None:
            found = to_datetime(body[key])
            if found is None:
                raise EventError(f"{key} {body[key]!r} is not an ISO-8601 time")
            return found
    return None


def usage_of(*documents: Any) -> Usage:
    """Token counts from usage documents in any key spelling; a later document's counts win."""
    counts: dict[str, int] = {}
    for document in documents:
        counts |= usage_from_document(document) or {}
    return Usage(**{name: counts.get(name) for name in Usage.__slots__}).completed()


class RequestParts:
    def __init__(self, now: datetime) -> None:
        self.now = now
        self.traces: dict[str, Trace] = {}
        self.observations: dict[tuple[str, str], Observation] = {}
        self.created: set[tuple[str, str]] = set()  # written by a create (a post), not only updated
        self.scores: list[Score] = []
        self.rejections: list[Rejection] = []

    def merge(self, observation: Observation, *, partial: bool) -> None:
        key = (observation.trace_id, observation.id)
        if not partial:
            self.created.add(key)
        seen = self.observations.get(key)
        self.observations[key] = observation if seen is None else merge_observation(seen, observation, partial=partial)

    def merge_trace(self, part: Trace) -> None:
        seen = self.traces.get(part.id)
        self.traces[part.id] = part if seen is None else merge_trace(seen, part)

    def finish(self) -> Batch:
        """The batch; observations only updated here keep their stored start (`Batch.updates`)."""
        updates = {obs.id for key, obs in self.observations.items() if key not in self.created}
        return Batch(
            traces=list(self.traces.values()), observations=list(self.observations.values()), scores=self.scores,
            rejections=self.rejections, updates=updates,
        )  # fmt: skip
