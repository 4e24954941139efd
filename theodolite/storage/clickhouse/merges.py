"""Mergeable writes (Langfuse, LangSmith) of one ClickHouse commit, resolved against what is stored.

The same outcome as the SQL writer's `observation_merges.TransactionMerges`, with the merge rules
themselves reused (`model.merging`: `merge_observation`, `is_complete`; the pricing of a merged
observation): every write of one observation in the commit is folded, in order, into the stored
one; the earlier writes and an exact retry are duplicates for /metrics; an observation is counted
once, when it becomes complete. What differs is the storage: instead of deleting the stored row
and inserting a new one under a new seq, the writer sends the stored row back as a cancelling row
(`sign` -1, `is_deleted` 1) before the merged row, so that the materialised views (rollups, trace
totals) take away exactly what the stored row added (`schema.py`).

Pure: the stored rows are read by the writer and passed in.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from theodolite.model import Observation
from theodolite.model.facts import observation_facts
from theodolite.model.merging import is_complete, merge_observation
from theodolite.storage.codec import ValueCodec
from theodolite.storage.rows import PreparedBatch, encode_payload, observation_to_row, search_document

Key = tuple[int, str, str]  # (project id, trace id, observation id)


class _Writes:
    """Every write of one observation in this commit, in order."""

    __slots__ = ("stored", "writes")

    def __init__(self, stored: bool) -> None:
        self.stored = stored  # stored before this commit: read back and merged into
        self.writes: list[tuple[PreparedBatch, int]] = []  # (batch, row index)


class MergeableWrites:
    """The writes of mergeable batches in one commit."""

    def __init__(self, codec: ValueCodec) -> None:
        self.codec = codec
        self.by_key: dict[Key, _Writes] = {}

    def add(self, batch: PreparedBatch, index: int, key: Key, stored: bool) -> None:
        found = self.by_key.get(key)
        if found is None:
            found = self.by_key[key] = _Writes(stored)
        found.writes.append((batch, index))

    def keys_to_read(self) -> list[Key]:
        return [key for key, found in self.by_key.items() if found.stored]

    def resolve(
        self, stored: dict[Key, tuple[Sequence[Any], Observation]]
    ) -> tuple[list[tuple[dict[str, Any], Any, str | None]], list[Sequence[Any]]]:
        """(row, payload, search document) to insert, one per observation that changed, and the stored rows (as read)
        they replace, which the writer cancels. Marks the writes /metrics must not count."""
        from theodolite.pricing.engine import price_observation  # the price table, loaded only when merging

        inserts: list[tuple[dict[str, Any], Any]] = []
        replaced: list[Sequence[Any]] = []
        for key, found in self.by_key.items():
            base = stored.get(key)
            current = base[1] if base is not None else None
            for batch, index in found.writes:
                new = batch.observations[index]  # type: ignore[index]
                current = new if current is None else merge_observation(current, new, partial=new.id in batch.updates)
            assert current is not None
            for batch, index in found.writes[:-1]:
                batch.duplicate_ids.add(batch.observations[index].id)  # type: ignore[index]
            last, index = found.writes[-1]
            wire = last.observations[index]  # type: ignore[index]
            merged = base is not None or len(found.writes) > 1
            if merged:  # the model and the usage may have come from different writes
                price_observation(current, *(() if last.overrides is None else (last.overrides,)))
            if base is not None and current == base[1]:
                last.duplicate_ids.add(wire.id)  # a retry: stored once, accepted again
                continue
            if is_complete(current) and not (base is not None and is_complete(base[1])):
                last.facts[index] = observation_facts(current)
            else:
                last.duplicate_ids.add(wire.id)  # counted when complete, once
            if base is not None:
                replaced.append(base[0])
            if merged:  # its document from the merged input and output (the writes' may hold half)
                row = observation_to_row(last.project_id, current, self.codec)
                document = search_document(current.input, current.output, self.codec)
                inserts.append((row, encode_payload(current, self.codec), document))
            else:
                inserts.append((last.observation_rows[index], last.payloads[index], document_of(last, index)))
        return inserts, replaced


def document_of(batch: PreparedBatch, index: int) -> str | None:
    """The search document its decode worker made for the batch's row `index` (None: none made)."""
    return batch.search_documents[index] if batch.search_documents else None
