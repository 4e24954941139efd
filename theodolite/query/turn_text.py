"""The words of a conversation turn: the user's last message and the assistant's answer, read out of
whatever shape an instrumentation stored as an observation's input and output.

Shapes understood (the common ones, by the vocabularies `ingestion.semconv` maps):
- plain strings, and strings that hold a JSON document (some exporters send JSON as text);
- OpenAI chat messages, `[{"role": "user", "content": "..."}, ...]`, content as a string or as
  parts (`{"type": "text" | "input_text" | "output_text", "text": ...}`), assistant tool calls;
- Anthropic content blocks (`text`, `tool_use`, `tool_result`, `image`), a Messages API request
  `{"system": ..., "messages": [...]}` or response `{"role": "assistant", "content": [...]}`;
- OpenTelemetry GenAI messages (`{"role": ..., "parts": [{"type": "text", "content": ...}]}`), Gemini
  `contents` / `parts: [{"text": ...}]`, LangChain `[["human", "..."]]` pairs and `type: human|ai`;
- an OpenAI chat completion `{"choices": [{"message": ...}]}` and Responses API `output` items;
- `{"messages": ...}` (LangGraph state and friends) and one-field documents such as
  `{"question": "..."}` or `{"answer": "..."}`.
Anything else is not guessed at: the caller shows it as (folded) JSON.

Pure functions; the sessions endpoint (`query.group_detail`) calls them on one page of turns.
"""

from __future__ import annotations

from typing import Any

import orjson

MAX_TEXT_CHARS = 4_000  # per message of a turn: the trace page has the rest
# The JSON shown when no message shape is recognised, folded to stay small.
FOLD_STRING_CHARS = 300
FOLD_ITEMS = 20
FOLD_DEPTH = 6

USER_ROLES = frozenset({"user", "human"})
ASSISTANT_ROLES = frozenset({"assistant", "ai", "model", "bot"})
# One-field documents whose value is the message itself.
QUESTION_KEYS = ("question", "query", "prompt", "input", "user_input", "message", "text", "content", "request")
ANSWER_KEYS = ("answer", "output", "response", "result", "completion", "text", "content", "message", "reply")
TEXT_PART_TYPES = frozenset({"text", "input_text", "output_text"})


def user_text(document: Any) -> str | None:
    """The last thing the user said in an input document, or None when no shape fits."""
    return _text(document, USER_ROLES, QUESTION_KEYS, depth=0)


def answer_text(document: Any) -> str | None:
    """The assistant's answer in an output document, or None when no shape fits."""
    return _text(document, ASSISTANT_ROLES, ANSWER_KEYS, depth=0)


def _text(document: Any, roles: frozenset[str], keys: tuple[str, ...], depth: int) -> str | None:
    if depth > 4 or document is None:
        return None
    if isinstance(document, str):
        parsed = _json_in(document)
        return document if parsed is None else _text(parsed, roles, keys, depth + 1)
    if isinstance(document, list):
        return _from_list(document, roles, keys, depth)
    if not isinstance(document, dict):
        return None
    if _role(document) is not None:  # one message
        return content_text(document)
    for name in ("messages", "contents", "input", "output"):
        inner = document.get(name)
        if isinstance(inner, list) and any(_role(item) is not None for item in inner):
            return _from_list(inner, roles, keys, depth)
    choices = document.get("choices")
    if isinstance(choices, list) and choices and isinstance(choices[0], dict):  # an OpenAI chat completion
        first = choices[0]
        message = first.get("message") or first.get("delta")
        return content_text(message) if isinstance(message, dict) else _string(first.get("text"))
    if document.get("type") == "message" or isinstance(document.get("content"), list):
        found = content_text(document)
        if found is not None:
            return found
    for key in keys:
        value = document.get(key)
        if isinstance(value, str):
            return value
        if isinstance(value, (list, dict)) and key in ("messages", "input", "output", "message", "content"):
            found = _text(value, roles, keys, depth + 1)
            if found is not None:
                return found
    return None  # not {"anything": "..."}: that may as well be an id ({"document_id": "d-4"})


def _from_list(items: list[Any], roles: frozenset[str], keys: tuple[str, ...], depth: int) -> str | None:
    """A list of messages: the last one in `roles` (a lone message of another role but system
    counts: some outputs omit the role's usual name). A list of strings or text parts without
    roles is one message."""
    messages = [item for item in items if _role(item) is not None]
    if messages:
        wanted = [message for message in messages if _role(message) in roles]
        if wanted:
            return content_text(wanted[-1])
        if len(messages) == 1 and _role(messages[0]) != "system":
            return content_text(messages[0])
        return None
    if items and all(isinstance(item, str) or _is_text_part(item) for item in items):
        return content_text({"content": items})
    if len(items) == 1:
        return _text(items[0], roles, keys, depth + 1)
    return None


def _role(item: Any) -> str | None:
    """The role of a message (dict or LangChain pair), lower case; None when `item` is not one."""
    if isinstance(item, (list, tuple)) and len(item) == 2 and isinstance(item[0], str) and isinstance(item[1], str):
        role = item[0].lower()
        return role if role in USER_ROLES | ASSISTANT_ROLES | {"system", "tool"} else None
    if not isinstance(item, dict):
        return None
    role = item.get("role")
    if not isinstance(role, str):
        role = item.get("type") if item.get("type") in ("human", "ai", "system", "tool") else None
    if isinstance(role, str) and any(key in item for key in ("content", "parts", "tool_calls", "text")):
        return role.lower()
    return None


def content_text(message: Any) -> str | None:
    """The text of one message: its content as a string, or its text parts joined, with a
    placeholder for each non-text part (an image, a tool call) so that nothing looks missing."""
    if isinstance(message, (list, tuple)) and len(message) == 2:  # a LangChain ("human", "...") pair
        return _string(message[1])
    if not isinstance(message, dict):
        return _string(message)
    content = message.get("content", message.get("parts", message.get("text")))
    pieces: list[str] = []
    if isinstance(content, str):
        pieces.append(content)
    elif isinstance(content, list):
        pieces.extend(piece for piece in (_part_text(part) for part in content) if piece)
    elif isinstance(content, dict):
        piece = _part_text(content)
        if piece:
            pieces.append(piece)
    calls = message.get("tool_calls")
    if isinstance(calls, list) and calls:
        names = [_tool_name(call) for call in calls]
        pieces.append(f"[tool call: {', '.join(name for name in names if name) or '?'}]")
    return "\n\n".join(pieces) if pieces else None


def _part_text(part: Any) -> str | None:
    if isinstance(part, str):
        return part
    if not isinstance(part, dict):
        return None
    kind = part.get("type")
    if _is_text_part(part):
        return _string(part.get("text", part.get("content")))
    if kind in ("tool_use", "tool_call", "function_call"):
        return f"[tool call: {_tool_name(part) or '?'}]"
    if kind in ("tool_result", "tool_call_response", "function_call_output"):
        inner = part.get("content", part.get("response", part.get("output")))
        text = content_text({"content": inner}) if inner is not None else None
        return f"[tool result] {text}" if text else "[tool result]"
    if kind in ("image", "image_url", "input_image"):
        return "[image]"
    if kind in ("input_audio", "audio"):
        return "[audio]"
    if kind in ("file", "input_file", "document"):
        return "[file]"
    if kind in ("thinking", "reasoning", "redacted_thinking"):
        return None  # the answer is what the user saw
    return None


def _is_text_part(part: Any) -> bool:
    if not isinstance(part, dict):
        return False
    kind = part.get("type")
    if kind in TEXT_PART_TYPES:
        return True
    return kind is None and isinstance(part.get("text"), str)  # Gemini parts: {"text": ...}


def _tool_name(call: Any) -> str | None:
    if not isinstance(call, dict):
        return None
    function = call.get("function")
    name = function.get("name") if isinstance(function, dict) else call.get("name")
    return name if isinstance(name, str) else None


def _string(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _json_in(text: str) -> Any:
    """The document a string holds when it is JSON text of an object or array, else None."""
    stripped = text.strip()
    if not stripped or stripped[0] not in "[{":
        return None
    try:
        return orjson.loads(stripped)
    except orjson.JSONDecodeError:
        return None


def capped(text: str, limit: int = MAX_TEXT_CHARS) -> tuple[str, bool]:
    """`text` cut to `limit` characters, and whether it was."""
    return (text, False) if len(text) <= limit else (text[:limit], True)


def folded(document: Any, depth: int = 0) -> tuple[Any, bool]:
    """A bounded copy of a JSON document (long strings cut, long lists and objects shortened,
    deep nesting elided), and whether anything was left out."""
    if isinstance(document, str):
        if len(document) <= FOLD_STRING_CHARS:
            return document, False
        return document[:FOLD_STRING_CHARS] + f"… ({len(document) - FOLD_STRING_CHARS:,} more characters)", True
    if isinstance(document, (list, dict)) and depth >= FOLD_DEPTH:
        return ("[…]" if isinstance(document, list) else "{…}"), True
    if isinstance(document, list):
        items, cut = [], len(document) > FOLD_ITEMS
        for item in document[:FOLD_ITEMS]:
            value, inner = folded(item, depth + 1)
            items.append(value)
            cut = cut or inner
        if len(document) > FOLD_ITEMS:
            items.append(f"… {len(document) - FOLD_ITEMS:,} more items")
        return items, cut
    if isinstance(document, dict):
        fields, cut = {}, len(document) > FOLD_ITEMS
        for key, item in list(document.items())[:FOLD_ITEMS]:
            value, inner = folded(item, depth + 1)
            fields[str(key)] = value
            cut = cut or inner
        if len(document) > FOLD_ITEMS:
            fields["…"] = f"{len(document) - FOLD_ITEMS:,} more fields"
        return fields, cut
    return document, False
