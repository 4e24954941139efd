"""Values that arrive spread over many attributes or packed into one document.

- Indexed attributes: OpenInference's `llm.input_messages.0.message.role` and Traceloop's legacy
  `gen_ai.prompt.0.content` are one list of messages, flattened; `take_indexed` folds them back.
- Usage documents: Langfuse's `usage_details` (free keys, passed through from whatever the
  provider returned) and LangSmith's `input_token_details` (a Python repr) hold token counts
  under many names; `usage_from_document` reads them into canonical counts.
"""

from __future__ import annotations

from typing import Any

from theodolite.ingestion.values import to_dict, to_int, to_json

# Wrappers OpenInference puts around each item of a flattened list.
_WRAPPERS = ("message", "message_content", "document", "tool_call")


def take_indexed(attributes: dict[str, Any], prefix: str) -> list[Any] | None:
    """Remove every `<prefix><N>.<path>` attribute and return the list they spell, in N order."""
    found = [key for key in attributes if key.startswith(prefix)]
    if not found:
        return None
    tree: dict[str, Any] = {}
    for key in found:
        path = key[len(prefix) :].split(".")
        if not path[0].isdigit():
            continue  # not an indexed item: leave it where it is
        value = attributes.pop(key)
        node = tree
        for part in path[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        node[path[-1]] = to_json(value) if path[-1] in ("arguments", "metadata") else value
    folded = _fold(tree)
    return folded if isinstance(folded, list) and folded else None


def _fold(node: Any) -> Any:
    """Dicts keyed 0..N become lists; single-key OpenInference wrappers are removed."""
    if not isinstance(node, dict):
        return node
    items = {key: _fold(value) for key, value in node.items()}
    if items and all(key.isdigit() for key in items):
        return [items[key] for key in sorted(items, key=int)]
    if len(items) == 1:
        ((key, value),) = items.items()
        if key in _WRAPPERS:
            return value
    return items


# Canonical count -> the names it goes by in usage documents (dotted = nested), first found wins.
USAGE_DOCUMENT_KEYS: dict[str, tuple[str, ...]] = {
    "input_tokens": ("input", "input_tokens", "prompt_tokens", "promptTokens", "inputTokens"),
    "output_tokens": ("output", "output_tokens", "completion_tokens", "completionTokens", "outputTokens"),
    "total_tokens": ("total", "total_tokens", "totalTokens"),
    "cache_read_tokens": (
        "cache_read_input_tokens", "input_cached_tokens", "input_cache_read", "cache_read", "cached_tokens",
        "prompt_tokens_details.cached_tokens", "input_tokens_details.cached_tokens", "input_token_details.cache_read",
    ),
    "cache_write_tokens": (
        "cache_creation_input_tokens", "input_cache_creation", "cache_creation", "cache_write",
        "input_token_details.cache_creation",
    ),
    "reasoning_tokens": (
        "reasoning_tokens", "output_reasoning", "reasoning", "completion_tokens_details.reasoning_tokens",
        "output_tokens_details.reasoning_tokens", "output_token_details.reasoning",
    ),
}  # fmt: skip
_DOCUMENT_NAMES = {name: (field, rank) for field, names in USAGE_DOCUMENT_KEYS.items()
                   for rank, name in enumerate(names)}  # fmt: skip
# Anthropic's API names: where they appear, the document is Anthropic's raw usage, whose
# input_tokens *excludes* the cache (OpenAI's prompt_tokens includes cached_tokens).
ANTHROPIC_CACHE_KEYS = ("cache_read_input_tokens", "cache_creation_input_tokens")


def _flatten(document: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in document.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def usage_from_document(value: Any) -> dict[str, int] | None:
    """Token counts from a usage document, with cache inside input as the model requires."""
    document = to_dict(value)
    if not document:
        return None
    flat = _flatten(document)
    counts: dict[str, int] = {}
    ranks: dict[str, int] = {}
    for name, value in flat.items():
        known = _DOCUMENT_NAMES.get(name)
        if known is None:
            continue
        field, rank = known
        count = to_int(value)
        if count is not None and rank < ranks.get(field, len(USAGE_DOCUMENT_KEYS[field])):
            counts[field], ranks[field] = count, rank
    if "input_tokens" in counts and any(name in flat for name in ANTHROPIC_CACHE_KEYS):
        counts["input_tokens"] += counts.get("cache_read_tokens", 0) + counts.get("cache_write_tokens", 0)
        if "total_tokens" in counts:
            counts["total_tokens"] = max(
                counts["total_tokens"], counts["input_tokens"] + counts.get("output_tokens", 0)
            )
    return counts or None


def cost_from_document(value: Any) -> dict[str, Any] | None:
    """{input, output, total} USD from a cost document (Langfuse cost_details)."""
    document = to_dict(value)
    if not document:
        return None
    picked = {key: document[key] for key in ("input", "output", "total") if key in document}
    return picked or None
