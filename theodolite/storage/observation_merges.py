"""A later request's write of an observation already stored: read it back, merge, replace it.

Langfuse and LangSmith complete observations after their first write (`model/merging.py`); a
write within one request is merged where it is decoded, and one of a later request here, in the
writer's transaction. Only their batches carry the decoded observations
(`PreparedBatch.observations`); OTLP spans are written once, so an OTLP span stored already is a
client's retry and stays dropped without this read.

The merged observation replaces the stored row under a new seq: its search document is made
again like any new row's (the old one matches nothing: the search joins observations by seq),
and its trace's totals are recomputed from its observations (`writer.py` marks the commit).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.engine import Connection

from theodolite.model import Observation
from theodolite.model.facts import observation_facts
from theodolite.model.merging import is_complete, merge_observation
from theodolite.storage import tables
from theodolite.storage.expressions import rows_of_keys
from theodolite.storage.rows import encode_payload, observation_to_row, row_to_observation, search_document
from theodolite.storage.search import documents as search_documents

o = tables.observations
p = tables.observation_payloads
ID_CHUNK = 400


def stored_observations(
    conn: Connection, keys: list[tuple[str, str]]
) -> dict[tuple[str, str], tuple[int, Observation]]:
    """(trace key, id) -> (seq, the stored observation with its payload)."""
    found: dict[tuple[str, str], tuple[int, Observation]] = {}
    for start in range(0, len(keys), ID_CHUNK):
        listed = rows_of_keys(o, [o.c.trace_id, o.c.id], keys[start : start + ID_CHUNK])
        query = select(o, p.c.payload).select_from(listed.outerjoin(p, p.c.observation_seq == o.c.seq))
        for row in conn.execute(query):
            found[(row.trace_id, row.id)] = (row.seq, row_to_observation(row))
    return found


def delete_replaced(conn: Connection, seqs: list[int], dialect: str) -> None:
    """Remove the rows merged observations replace (before their new rows are inserted: the
    (trace, id) pair is unique)."""
    for start in range(0, len(seqs), ID_CHUNK):
        chunk = seqs[start : start + ID_CHUNK]
        conn.execute(delete(p).where(p.c.observation_seq.in_(chunk)))
        conn.execute(delete(o).where(o.c.seq.in_(chunk)))
        if dialect == "postgresql":
            conn.execute(delete(search_documents).where(search_documents.c.observation_seq.in_(chunk)))


class _Writes:
    """Every write of one observation in this transaction, in order."""

    __slots__ = ("stored", "writes")

    def __init__(self, stored: bool) -> None:
        self.stored = stored  # stored by an earlier transaction
        self.writes: list[tuple[Any, int]] = []  # (batch, row index)


class TransactionMerges:
    """The writes of mergeable batches in one transaction, resolved into the rows to insert."""

    def __init__(self, codec: Any, dialect: str) -> None:
        self.codec, self.dialect = codec, dialect
        self.by_key: dict[tuple[str, str], _Writes] = {}
        self.replaced_seqs: list[int] = []
        self.replaced_traces: set[str] = set()
        self.replaced_rows: list[dict[str, Any]] = []

    def add(self, batch: Any, index: int, key: tuple[str, str], stored: bool) -> None:
        """`stored`: the key was stored before this write; it counts at the key's first write only
        (later ones find it stored by this transaction)."""
        found = self.by_key.get(key)
        if found is None:
            found = self.by_key[key] = _Writes(stored)
        found.writes.append((batch, index))

    def resolve(self, conn: Connection) -> list[tuple[dict[str, Any], Any, Any]]:
        """(row, payload, search document) to insert, one per observation; marks the writes that
        /metrics must not count (`duplicate_ids`) and the stored rows to delete."""
        from theodolite.pricing.engine import price_observation  # the price table, loaded only when merging

        stored = stored_observations(conn, [key for key, found in self.by_key.items() if found.stored])
        inserts = []
        for key, found in self.by_key.items():
            base = stored.get(key)
            current = base[1] if base is not None else None
            for batch, index in found.writes:
                new = batch.observations[index]
                if current is not None:
                    new = merge_observation(current, new, partial=new.id in batch.updates)
                current = new if new.trace_id == key[0] else _keyed(new, key[0])
            for batch, index in found.writes[:-1]:
                batch.duplicate_ids.add(batch.observations[index].id)
            last, index = found.writes[-1]
            wire = last.observations[index]
            merged = base is not None or len(found.writes) > 1
            if merged:  # the model and the usage may have come from different writes
                price_observation(current, *(() if last.overrides is None else (last.overrides,)))
            if base is not None and current == base[1]:
                last.duplicate_ids.add(wire.id)  # a retry: stored once, accepted again
                continue
            before_complete = base is not None and is_complete(base[1])
            if is_complete(current) and not before_complete:
                last.facts[index] = observation_facts(_keyed(current, wire.trace_id))
            else:
                last.duplicate_ids.add(wire.id)  # counted when complete, once
            if base is not None:
                self.replaced_seqs.append(base[0])
                self.replaced_traces.add(key[0])
                # What the rollups counted of it: its cell leaves them (`storage/rollups.py`).
                self.replaced_rows.append(observation_to_row(last.project_id, base[1], self.codec))
            if not merged:
                row = last.observation_rows[index]
                documents = last.search_documents
                inserts.append((row, last.payloads[index], documents[index] if documents else None))
                continue
            row = observation_to_row(last.project_id, current, self.codec)
            document = search_document(current.input, current.output, self.codec) if self.dialect != "sqlite" else None
            inserts.append((row, encode_payload(current, self.codec), document))
        return inserts


def _keyed(observation: Observation, trace_key: str) -> Observation:
    return replace(observation, trace_id=trace_key)
