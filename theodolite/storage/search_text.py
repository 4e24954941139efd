"""What full-text search indexes of an observation, and what a search query means. Pure Python.

Both engines index the same tokens, made here (in the decode workers at ingest, off the writer
thread), so a query means the same on SQLite and PostgreSQL whatever the database's locale:

- Text: every string value inside the observation's input and output (JSON keys, numbers,
  booleans and the values of `role` and `type` keys are not text), in document order, the first
  `MAX_INDEXED_CHARS` characters of it. A string that an earlier observation of the same trace
  in the same request already had (a generation repeating its agent's question) is not indexed
  twice.
- Normalised: Unicode NFKC (full-width Latin and half-width kana fold to their usual forms), then
  lower-cased (any script with case: Latin, Cyrillic, Greek, Armenian, ...). Accents are kept:
  "café" does not find "cafe".
- Words: runs of letters, digits and combining marks; everything else separates.
- Scripts written without spaces (Han, Hiragana, Katakana, Hangul, Thai, Lao, Khmer, Myanmar):
  each run becomes its overlapping character pairs plus its last character alone
  ("東京都" -> "東京", "京都", "都"), so any part of such a run can be found.

A query is tokenised the same way and matches a document that holds its tokens consecutively (a
phrase): whole words, except the last word which also matches as a prefix when it has at least
`MIN_PREFIX_CHARS` characters ("refund pol" finds "refund policy"); in the scripts above any
substring of 2 or more characters, and a single character anywhere. Not substrings inside words
of spaced scripts ("fund" does not find "refund"): a trigram index would, but indexing every
character position cost 5 to 10 times the writer time of indexing words (docs/web-ui.md).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from theodolite.errors import BadRequestError

# Extracted text indexed per observation, before normalisation. The writer's cost grows with it
# (about 1 us per 100 characters on the benchmark machine); 4,000 covers a typical prompt and answer.
MAX_INDEXED_CHARS = 4_000
MIN_PREFIX_CHARS = 3
MAX_QUERY_CHARS = 200
# Values that describe a message's shape, not its text ({"role": "user", "type": "text", ...}):
# indexed, every trace would match "user".
STRUCTURE_KEYS = frozenset({"role", "type"})
MAX_QUERY_TOKENS = 32

# Scripts written without spaces between words: indexed as character pairs.
_UNSPACED = (
    "\u0e00-\u0eff"  # Thai, Lao
    "\u1000-\u109f"  # Myanmar
    "\u1100-\u11ff"  # Hangul Jamo
    "\u1780-\u17ff"  # Khmer
    "\u2e80-\u2fdf"  # CJK radicals
    "\u3005-\u3007\u3021-\u3029\u3031-\u3035\u3038-\u303c"  # CJK marks and numerals
    "\u3040-\u30ff"  # Hiragana, Katakana
    "\u3130-\u318f\u31f0-\u31ff"  # Hangul compatibility Jamo, Katakana extensions
    "\u3400-\u4dbf\u4e00-\u9fff"  # CJK ideographs
    "\ua960-\ua97f\uac00-\ud7ff"  # Hangul
    "\uf900-\ufaff"  # CJK compatibility ideographs
    "\U00020000-\U0003134f"  # CJK extensions B-H
)
# Combining marks (Devanagari vowel signs, Arabic harakat, ...) are part of words, as letters are;
# Python's \w leaves them out.
_MARKS = (
    "\u0300-\u036f\u0483-\u0489\u0591-\u05bd\u05bf\u05c1\u05c2\u05c4\u05c5\u05c7\u0610-\u061a"
    "\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e4\u06e7\u06e8\u06ea-\u06ed\u0711\u0730-\u074a"
    "\u0900-\u0903\u093a-\u094f\u0951-\u0957\u0962\u0963\u0981-\u0983\u09bc-\u09d7\u0a01-\u0a03"
    "\u0a3c-\u0a51\u0a81-\u0a83\u0abc-\u0acd\u0b01-\u0b03\u0b3c-\u0b57\u0b82-\u0bcd\u0c00-\u0c04"
    "\u0c3c-\u0c56\u0c81-\u0c83\u0cbc-\u0cd6\u0d00-\u0d03\u0d3b-\u0d57\u0d81-\u0d83\u0dca-\u0ddf"
    "\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
)
_TOKEN = re.compile(rf"(?:[^\W_]|[{_MARKS}{_UNSPACED}])+")
_UNSPACED_RUN = re.compile(rf"[{_UNSPACED}]+")


class SearchQueryError(ValueError):
    """A query with nothing to search for (no letter or digit) or too long."""


def extract_text(*values: Any, limit: int = MAX_INDEXED_CHARS, seen: set[str] | None = None) -> str:
    """The string values inside `values` (JSON-like), space-separated, at most `limit` characters.
    Strings already in `seen` are skipped; the ones taken are added to it."""
    parts: list[str] = []
    room = limit
    for string in _strings(values):
        if seen is not None and string in seen:
            continue
        if len(string) >= room:
            parts.append(string[:room])  # cut: not marked seen, a later observation indexes it whole
            break
        if seen is not None:
            seen.add(string)
        parts.append(string)
        room -= len(string) + 1
    return " ".join(parts)


def _strings(value: Any) -> Iterator[str]:
    # Iterative: a deeply nested input must not exhaust the stack of a decode worker.
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if item:
                yield item
        elif isinstance(item, dict):
            stack.extend(reversed([v for k, v in item.items() if k not in STRUCTURE_KEYS or not isinstance(v, str)]))
        elif isinstance(item, list | tuple):
            stack.extend(reversed(item))


def tokens(text: str) -> list[str]:
    """The index's tokens of `text` (see the module's docstring)."""
    return list(_split(normalise(text), open_end=False))


def normalise(text: str) -> str:
    # lower(), not casefold(): SQLite's tokenizer folds case one character at a time ("ß" stays).
    # Final sigma as sigma: SQLite folds capital sigma to "σ" wherever it stands.
    return unicodedata.normalize("NFKC", text).lower().replace("ς", "σ")


def sqlite_document(text: str) -> str:
    """The text for SQLite's FTS5 table, whose tokenizer (unicode61: letters, digits and marks,
    case folded) makes the same tokens as `tokens`: ASCII text as it is (nothing to do in
    Python); other text normalised, with each unspaced run spelled as its pairs."""
    if text.isascii():
        return text
    return _UNSPACED_RUN.sub(_pairs, unicodedata.normalize("NFKC", text).replace("ς", "σ"))


def _pairs(run: re.Match[str]) -> str:
    chars = run.group()
    return " " + " ".join([chars[i : i + 2] for i in range(len(chars) - 1)] + [chars[-1]]) + " "


def spaced_tokens(text: str) -> str:
    """The text's tokens for ClickHouse's text index: each token between single spaces, a space at
    both ends (" refund policy "), so that a phrase is a substring and a word prefix is a substring
    after a space. Empty when the text has no token."""
    found = tokens(text)
    return " " + " ".join(found) + " " if found else ""


def tsvector(text: str) -> str:
    """The text's tokens as a PostgreSQL tsvector literal with positions (for phrase queries);
    tokens hold no quote or backslash. Positions stop at PostgreSQL's maximum, 16,383."""
    return " ".join(f"'{token}':{min(index, 16_383)}" for index, token in enumerate(tokens(text), 1))


def _split(normal: str, *, open_end: bool) -> Iterator[str]:
    """Tokens of normalised text. A run of an unspaced script ends with its last character alone,
    except at the very end of a query (`open_end`): in the text the run may go on from there."""
    words = _TOKEN.findall(normal)
    for index, word in enumerate(words):
        if word.isascii() or not _UNSPACED_RUN.search(word):
            yield word
            continue
        at = 0
        for run in _UNSPACED_RUN.finditer(word):
            if run.start() > at:
                yield word[at : run.start()]
            chars = run.group()
            yield from (chars[i : i + 2] for i in range(len(chars) - 1))
            query_end = open_end and index == len(words) - 1 and run.end() == len(word)
            if len(chars) == 1 or not query_end:
                yield chars[-1]
            at = run.end()
        if at < len(word):
            yield word[at:]


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """A parsed query: consecutive tokens, the last one a prefix when `prefix`."""

    tokens: tuple[str, ...]
    prefix: bool

    def fts5(self) -> str:
        """The SQLite FTS5 MATCH expression: one phrase (tokens hold no quote)."""
        return '"' + " ".join(self.tokens) + '"' + (" *" if self.prefix else "")

    def tsquery(self) -> str:
        """The PostgreSQL tsquery: the same phrase with `<->` (tokens hold no quote)."""
        terms = [f"'{token}'" for token in self.tokens]
        if self.prefix:
            terms[-1] += ":*"
        return " <-> ".join(terms)

    def whole_tokens(self) -> list[str]:
        """The tokens a match must hold whole (the prefix, when there is one, is left out)."""
        return list(self.tokens[:-1] if self.prefix else self.tokens)

    def spaced_phrase(self) -> str:
        """The substring of a `spaced_tokens` document that a match holds."""
        return " " + " ".join(self.tokens) + ("" if self.prefix else " ")


def parse_search_filter(text: str | None) -> SearchQuery | None:
    """A list's `search` filter: None when absent or blank; BadRequestError (400) when it has nothing
    to search for or is too long."""
    if text is None or not text.strip():
        return None
    try:
        return parse_query(text)
    except SearchQueryError as exc:
        raise BadRequestError(f"search: {exc}") from exc


def parse_query(text: str) -> SearchQuery:
    """Raises SearchQueryError for a query without letters or digits, or an over-long one."""
    if len(text) > MAX_QUERY_CHARS:
        raise SearchQueryError(f"search is limited to {MAX_QUERY_CHARS} characters")
    normal = normalise(text)
    found = list(_split(normal, open_end=True))
    if not found:
        raise SearchQueryError("search needs at least one letter or digit")
    if len(found) > MAX_QUERY_TOKENS:
        raise SearchQueryError(f"search is limited to {MAX_QUERY_TOKENS} words")
    last = found[-1]
    unspaced_end = bool(_UNSPACED_RUN.fullmatch(last))
    # A single character of an unspaced script is found anywhere in a run (the pairs that start
    # with it, or the run's last character); a word's prefix needs MIN_PREFIX_CHARS characters,
    # a shorter one would merge the postings of too many words.
    prefix = (unspaced_end and len(last) == 1) or (not unspaced_end and len(last) >= MIN_PREFIX_CHARS)
    return SearchQuery(tuple(found), prefix)
