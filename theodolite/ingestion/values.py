"""Converters from attribute values, as clients send them, to canonical field values.

Clients send the same fact in many spellings: numbers as strings, JSON inside strings (sometimes
encoded twice: Langfuse v5 metadata), Python reprs (LangSmith's `"{'cache_read': 2}"`), provider
names in any case. Each converter returns None for what it cannot read, never raises.
"""

from __future__ import annotations

import ast
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import orjson

# A Python repr is parsed with ast.literal_eval, which is safe but not cheap: bound its input.
MAX_REPR_CHARS = 65_536
MAX_JSON_DEPTH = 3  # "\"{\\\"a\\\": 1}\"" decodes twice; deeper nesting is left as text


def to_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, float) and value >= 0 and value == value and value != float("inf"):
        return int(value)
    if isinstance(value, str):
        try:
            parsed = int(float(value))
        except (ValueError, OverflowError):
            return None
        return parsed if parsed >= 0 else None
    return None


def to_float(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def to_money(value: Any) -> Decimal | None:
    """A reported cost in USD; None for what is no amount (negative, not a number)."""
    number = to_float(value)
    if number is None or number < 0 or number != number or number == float("inf"):
        return None
    return Decimal(repr(number))


def to_text(value: Any) -> str | None:
    value = to_json(value) if isinstance(value, str) and value[:1] == '"' else value
    if value is None:
        return None
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text or None


# Frameworks that clients name where a provider belongs: LangSmith's OTel mode sends
# `gen_ai.system=langchain` on every run that is not an LLM call. Not a provider, so no provider.
NOT_PROVIDERS = frozenset({"langchain"})


def to_provider(value: Any) -> str | None:
    """Provider names in one spelling: `OpenAI` (Traceloop 0.40) and `openai` are the same."""
    text = to_text(value)
    provider = text.strip().lower() if text and text.strip() else None
    return None if provider in NOT_PROVIDERS else provider


def to_json(value: Any) -> Any:
    """Structured values stay structured; JSON text is parsed, also when it was encoded twice;
    a Python repr of a dict or list is read as one. Anything else is returned as it came."""
    for _ in range(MAX_JSON_DEPTH):
        if not isinstance(value, str):
            return value
        stripped = value.strip()
        if stripped[:1] not in ("[", "{", '"'):
            return value
        try:
            value = orjson.loads(stripped)
        except orjson.JSONDecodeError:
            return _python_literal(stripped, value)
    return value


def from_json_text(value: Any) -> Any:
    """Text that is known to be JSON (our SDK's): any JSON value, scalars included; else as is."""
    if isinstance(value, str):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return to_json(value)
    return value


def _python_literal(text: str, original: str) -> Any:
    if text[:1] not in ("[", "{") or len(text) > MAX_REPR_CHARS:
        return original
    try:
        parsed = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return original
    return parsed if isinstance(parsed, (dict, list)) else original


def to_dict(value: Any) -> dict[str, Any] | None:
    parsed = to_json(value)
    return parsed if isinstance(parsed, dict) else None


def to_tags(value: Any) -> list[str]:
    value = to_json(value)
    if isinstance(value, (list, tuple)):
        return [str(tag) for tag in value if tag not in (None, "")]
    if isinstance(value, str):
        return [tag.strip() for tag in value.split(",") if tag.strip()]
    return []


def to_datetime(value: Any) -> datetime | None:
    """ISO-8601 text (also JSON-quoted, as Langfuse sends it) or epoch seconds -> aware UTC."""
    value = to_json(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value, UTC)
        except (ValueError, OverflowError, OSError):
            return None
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
