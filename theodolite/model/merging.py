"""Observations written in parts: a create, then updates that complete it.

Langfuse's `span-update` / `generation-update` events and LangSmith's `PATCH /runs/{id}` (and
`patch.<id>` parts) send an observation's end, output, usage or error after its start was stored,
and may arrive before it. OTLP spans never do: they are exported once, finished.

The rules, whatever order the parts arrive in:
- a field the later write sets wins; a field it leaves unset (None) keeps the stored value;
- input, output, usage and the reported cost are replaced as a whole, never merged key by key;
- metadata and attributes merge key by key, the later write's values winning;
- the level only moves away from DEFAULT (an update cannot clear an ERROR by omitting it);
- an update (`partial`) fills the start time, type and name only where the stored part has none:
  its start time is a placeholder (Langfuse's update events carry none).
An exact retry merges to what is stored, so it is stored once.
"""

from __future__ import annotations

from dataclasses import fields, replace

from theodolite.model.entities import Cost, Level, Observation, ObservationType

# Fields where a later write's value wins when it has one.
_LATEST_WINS = (
    "parent_observation_id", "end_time", "completion_start_time", "status_message", "model", "request_model",
    "provider", "model_parameters", "source", "input", "output", "version", "environment",
)  # fmt: skip
_MERGED = ("metadata", "attributes")
_DECIDED = {"id", "trace_id", "start_time", "type", "name", "level", "usage", "cost", *_LATEST_WINS, *_MERGED}
assert _DECIDED == {f.name for f in fields(Observation)}, "a new Observation field needs a merge rule"


def is_complete(observation: Observation) -> bool:
    """Whether the observation has ended: /metrics counts it then, once. An event has no duration."""
    return observation.end_time is not None or observation.type is ObservationType.EVENT


def merge_observation(old: Observation, new: Observation, *, partial: bool) -> Observation:
    """`old` as stored (or merged so far), `new` the later write; `partial` when `new` is an update.
    Returns a new Observation; the cost is the reported one only (price it again: the model or the
    usage may have come from different parts)."""
    merged = replace(old)
    for name in _LATEST_WINS:
        value = getattr(new, name)
        if value is not None:
            setattr(merged, name, value)
    for name in _MERGED:
        if getattr(new, name):
            setattr(merged, name, {**(getattr(old, name) or {}), **getattr(new, name)})
    if not partial:
        merged.start_time = new.start_time
    if new.type is not ObservationType.SPAN and (not partial or old.type is ObservationType.SPAN):
        merged.type = new.type
    if new.name and (not partial or not old.name):
        merged.name = new.name
    if new.level is not Level.DEFAULT:
        merged.level = new.level
    if not new.usage.is_empty():
        merged.usage = new.usage
    reported = new.cost if _has_reported(new.cost) else old.cost
    merged.cost = Cost(reported.reported_input, reported.reported_output, reported.reported_total)
    return merged


def _has_reported(cost: Cost) -> bool:
    return cost.reported_input is not None or cost.reported_output is not None or cost.reported_total is not None
