"""Opaque cursors: the client hands back what it was given, never builds one."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

import orjson

from theodolite.errors import BadRequestError


def encode_cursor(*values: Any) -> str:
    plain = [v.isoformat() if isinstance(v, datetime) else v for v in values]
    return base64.urlsafe_b64encode(orjson.dumps(plain)).decode().rstrip("=")


def decode_cursor(cursor: str, arity: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = orjson.loads(base64.urlsafe_b64decode(padded))
    except (ValueError, orjson.JSONDecodeError) as exc:
        raise BadRequestError("cursor is not one this server issued") from exc
    if not isinstance(values, list) or len(values) != arity:
        raise BadRequestError("cursor is not one this server issued")
    return values


def decode_time_cursor(cursor: str) -> tuple[datetime, str]:
    """A (timestamp, id) cursor for newest-first lists."""
    when, ident = decode_cursor(cursor, 2)
    return _time_and_id(when, ident)


def decode_snapshot_cursor(cursor: str) -> tuple[datetime, str, int | None]:
    """A (timestamp, id, snapshot) cursor; the (timestamp, id) cursor of an older server has no
    snapshot."""
    try:
        when, ident, snapshot = decode_cursor(cursor, 3)
    except BadRequestError:
        return (*decode_time_cursor(cursor), None)
    if not isinstance(snapshot, int) or isinstance(snapshot, bool):
        raise BadRequestError("cursor is not one this server issued")
    return (*_time_and_id(when, ident), snapshot)


def decode_group_cursor(cursor: str) -> tuple[datetime, str, int]:
    """A (last seen, key, snapshot) cursor of the sessions and users lists."""
    last_seen, key, snapshot = decode_cursor(cursor, 3)
    try:
        when = datetime.fromisoformat(last_seen)
    except (TypeError, ValueError) as exc:
        raise BadRequestError("cursor is not one this server issued") from exc
    if not isinstance(key, str) or not isinstance(snapshot, int):
        raise BadRequestError("cursor is not one this server issued")
    return when, key, snapshot


def _time_and_id(when: Any, ident: Any) -> tuple[datetime, str]:
    try:
        return datetime.fromisoformat(when), str(ident)
    except (TypeError, ValueError) as exc:
        raise BadRequestError("cursor is not one this server issued") from exc
