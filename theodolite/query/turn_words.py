"""The words of a page of session turns, whichever store holds the payloads: each trace's root
observation's input and output (the trace's), and where that has no message (`turn_text`), the first
generation's input and the last generation's output. Payloads are read for the page only, the roots'
first and the generations' only for the turns the roots left without words."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from theodolite.query import turn_text

GENERATION = "generation"
# A store's payloads by handle: {handle: {"input": ..., "output": ...}} for the handles asked.
PayloadReader = Callable[[list[Any]], dict[Any, Any]]


def turn_words(
    page: Sequence[tuple[str, str | None]],
    spans: dict[str, list[Any]],
    payloads: PayloadReader,
    handle: Callable[[Any], Any],
) -> dict[str, dict[str, Any]]:
    """{trace key: {"input": words, "output": words}} for a page of (trace key, root observation id).
    `spans`: each trace's observations in start order (with `id`, `parent_observation_id`, `type`);
    `handle(span)`: what `payloads` reads a span's payload by."""
    words: dict[str, dict[str, Any]] = {key: {"input": no_words(), "output": no_words()} for key, _ in page}
    roots: dict[str, Any] = {}
    for key, root_id in page:
        found = spans.get(key, [])
        root = next((s for s in found if s.id == root_id), None)
        roots[key] = root or next((s for s in found if s.parent_observation_id is None), found[0] if found else None)
    first = payloads([handle(root) for root in roots.values() if root is not None])
    second: dict[str, tuple[Any, Any]] = {}
    for key, root in roots.items():
        payload = first.get(handle(root)) if root is not None else None
        words[key]["input"] = _words(payload, "input", turn_text.user_text, "root")
        words[key]["output"] = _words(payload, "output", turn_text.answer_text, "root")
        if words[key]["input"]["text"] is None or words[key]["output"]["text"] is None:
            generations = [s for s in spans.get(key, []) if s.type == GENERATION and s is not root]
            if generations:
                second[key] = (generations[0], generations[-1])
    if second:
        more = payloads([handle(s) for pair in second.values() for s in pair])
        for key, (opening, closing) in second.items():
            sides = (("input", opening, turn_text.user_text), ("output", closing, turn_text.answer_text))
            for side, generation, extract in sides:
                if words[key][side]["text"] is None:
                    found = _words(more.get(handle(generation)), side, extract, "generation")
                    if found["text"] is not None or words[key][side]["json"] is None:
                        words[key][side] = found
    return words


def no_words() -> dict[str, Any]:
    return {"text": None, "json": None, "truncated": False, "source": None}


def _words(payload: Any, side: str, extract: Any, source: str) -> dict[str, Any]:
    """{"text"} when a message shape fits, else {"json"}: the document folded small."""
    document = payload.get(side) if isinstance(payload, dict) else None
    if document is None:
        return no_words()
    text = extract(document)
    if text is not None:
        text, truncated = turn_text.capped(text)
        return {"text": text, "json": None, "truncated": truncated, "source": source}
    value, truncated = turn_text.folded(document)
    return {"text": None, "json": value, "truncated": truncated, "source": source}
