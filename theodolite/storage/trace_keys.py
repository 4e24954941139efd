"""Trace ids are identified within their project: the wire id <-> storage key mapping.

A trace id is chosen by the client (W3C trace context crosses services, so two projects can
send spans of the same trace id) but `traces.id` is the table's primary key on its own (the SQL
panels written for Langfuse need that, see `tables.py`). So `traces.id` is a *storage key*:

- the wire id itself for the first project that stores it (the normal case: SQL users see real
  ids, and `observations.trace_id = traces.id` joins as in Langfuse);
- `<wire id>@<project id>` for any other project that sends the same id, and for every wire id
  that itself contains `@` (so that a client can never send, and so take, a key of that form).

Observations and scores of a project carry the same storage key in `trace_id`. Every read maps a
wire id to the keys it can have within the caller's project (`candidate_keys`, always together
with a `project_id` condition) and a key back to the wire id (`wire_trace_id`): nothing a client
sees depends on whether another project holds the id.
"""

from __future__ import annotations

QUALIFIER = "@"
STORAGE_KEY_CHARS = 64  # traces.id, observations.trace_id, scores.trace_id: String(64)
# A qualified key adds "@" and up to 15 digits of project id, and must still fit.
MAX_WIRE_TRACE_ID_CHARS = STORAGE_KEY_CHARS - 16


def is_plain(wire_id: str) -> bool:
    """Whether `wire_id` may be stored as itself (for the first project that sends it)."""
    return QUALIFIER not in wire_id


def qualified_key(project_id: int, wire_id: str) -> str:
    """The storage key of `wire_id` for a project that does not own the plain key."""
    return f"{wire_id}{QUALIFIER}{project_id}"


def candidate_keys(project_id: int, wire_id: str) -> tuple[str, ...]:
    """The storage keys `wire_id` may have in `project_id`'s rows; a read must also filter on
    `project_id` (the plain key may be another project's). A wire id containing `@` has only its
    qualified key: read as itself, `<id>@<own project>` would find the caller's own trace of
    `<id>` exactly when another project holds `<id>`, and so tell that it does."""
    qualified = qualified_key(project_id, wire_id)
    return (wire_id, qualified) if is_plain(wire_id) else (qualified,)


def wire_trace_id(key: str | None) -> str | None:
    """The id the client sent, from a storage key (a plain key is the wire id)."""
    if key is None or QUALIFIER not in key:
        return key
    return key.rsplit(QUALIFIER, 1)[0]


class TraceKeyPlan:
    """The storage key of every (project, wire id) of one write transaction. Pure.

    Built from the owners of the plain keys already stored; a trace part claims a free plain key
    for its project, first come first served in commit order. Not thread-safe: the writer's.
    """

    def __init__(self, stored_owners: dict[str, int]) -> None:
        self._owners = dict(stored_owners)
        self.claimed: list[str] = []  # plain keys this transaction stores for the first time

    def owner(self, wire_id: str) -> int | None:
        return self._owners.get(wire_id)

    def key_for_trace(self, project_id: int, wire_id: str) -> str:
        if not is_plain(wire_id):
            return qualified_key(project_id, wire_id)
        owner = self._owners.get(wire_id)
        if owner is None:
            self._owners[wire_id] = project_id
            self.claimed.append(wire_id)
            return wire_id
        return wire_id if owner == project_id else qualified_key(project_id, wire_id)

    def key_for_score(self, project_id: int, wire_id: str) -> str:
        """A score claims nothing (a key is claimed by a trace row): with no trace of that id
        anywhere yet it waits under the wire id, and `SqlWriter` moves it if another project
        claims that id first."""
        if not is_plain(wire_id):
            return qualified_key(project_id, wire_id)
        owner = self._owners.get(wire_id)
        return wire_id if owner is None or owner == project_id else qualified_key(project_id, wire_id)
