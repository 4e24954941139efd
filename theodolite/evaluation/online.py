"""Online evaluator rules, engine-free: what a rule says (a filter over traffic, a sampling rate, a
scope and an evaluator spec), its validation, its deterministic sampling, and the evaluator it builds.

The server's worker (`server/evaluator_worker.py`) reads traffic and stores verdicts; this module only
decides. A rule is plain JSON so that it can live in the metadata store and come through the HTTP API:

    filter:    {"name": "chat", "name_regex": "^chat", "tags": ["prod"], "model": "gpt-4o",
                "environment": "production", "release": "v2", "user_id": "u1", "type": "GENERATION"}
    evaluator: {"type": "builtin", "name": "regex", "params": {"pattern": "\\\\d+"}}
               {"type": "judge", "template": "...{{output}}...", "mapping": {...},
                "score": {"name": "helpful", "data_type": "BOOLEAN"},
                "provider": {"base_url": "https://api.openai.com/v1", "model": "gpt-4o-mini",
                             "api_key_setting": "openai"}}

A judge's API key is never part of a rule: `api_key_setting` names an entry of the server's
`evaluator_api_keys` setting, which the worker passes in when it builds the evaluator.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from theodolite.evaluation.evaluators import (
    BaseEvaluator,
    Contains,
    ExactMatch,
    JsonSchema,
    JsonValid,
    NumericCloseness,
    Regex,
    StringSimilarity,
)
from theodolite.evaluation.judge import ROOTS, ChatCompletionsProvider, Completion, Judge, ProviderError, resolve
from theodolite.evaluation.scores import CallUsage, EvaluationResult, ScoreConfig
from theodolite.model import ScoreDataType

SCOPES = ("observation", "trace", "session")
# The environment of the traces an evaluator's own model calls make: rules never match them, so a
# judge never judges its own calls.
EVALUATOR_ENVIRONMENT = "theodolite-evaluator"
FILTER_FIELDS = ("name", "name_regex", "tags", "model", "environment", "release", "version", "user_id", "type")
BUILTINS: dict[str, Callable[..., BaseEvaluator]] = {
    "exact_match": ExactMatch,
    "contains": Contains,
    "regex": Regex,
    "json_valid": JsonValid,
    "json_schema": JsonSchema,
    "numeric_close": NumericCloseness,
    "similarity": StringSimilarity,
}
# Built-ins that read text: a structured output (a dict, a list of messages) is given to them as JSON
# text, so that `contains` or `regex` over production traffic finds what the output says.
TEXT_BUILTINS = frozenset({"contains", "regex", "similarity"})
PROVIDER_FIELDS = ("base_url", "model", "api_key_setting", "structured_output", "timeout_s", "max_attempts")


class RuleError(ValueError):
    """A rule that cannot run: the message names the field and what is wrong with it."""


def sampled(rule_id: int, object_id: str, rate: float) -> bool:
    """Whether a rule evaluates an object: the first 8 bytes of sha256("<rule id>:<object id>") as a
    fraction of 2**64, below the rate. Deterministic (a restart, a sibling server and a re-read
    decide the same) and independent between rules (another rule samples other objects)."""
    if rate >= 1.0:
        return True
    if rate <= 0.0:
        return False
    digest = hashlib.sha256(f"{rule_id}:{object_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") < rate * 2**64


# --- validation -------------------------------------------------------------------------------
def check_rule(
    scope: str, sampling_rate: Any, filters: Any, evaluator: Any, api_key_names: frozenset[str] | set[str]
) -> None:
    """Raise RuleError naming the first problem of a rule; building its evaluator must then work."""
    if scope not in SCOPES:
        raise RuleError(f"scope must be one of {', '.join(SCOPES)}, not {scope!r}")
    if isinstance(sampling_rate, bool) or not isinstance(sampling_rate, int | float):
        raise RuleError(f"sampling_rate must be a number from 0 to 1, not {sampling_rate!r}")
    if not 0.0 <= float(sampling_rate) <= 1.0:
        raise RuleError(f"sampling_rate must be from 0 to 1, not {sampling_rate}")
    check_filter(filters, scope)
    build_evaluator(evaluator, {name: "" for name in api_key_names})


def check_filter(filters: Any, scope: str) -> None:
    if not isinstance(filters, Mapping):
        raise RuleError("filter must be an object")
    unknown = sorted(set(filters) - set(FILTER_FIELDS))
    if unknown:
        raise RuleError(f"filter: unknown field(s) {', '.join(unknown)}; the fields are {', '.join(FILTER_FIELDS)}")
    for key, value in filters.items():
        if key == "tags":
            if not isinstance(value, list) or not all(isinstance(tag, str) for tag in value):
                raise RuleError("filter.tags must be a list of strings")
        elif not isinstance(value, str):
            raise RuleError(f"filter.{key} must be a string")
    if "name_regex" in filters:
        try:
            re.compile(filters["name_regex"])
        except re.error as exc:
            raise RuleError(f"filter.name_regex {filters['name_regex']!r} is not a valid regex: {exc}") from None
    if "type" in filters and scope != "observation":
        raise RuleError("filter.type (an observation type) is for rules of scope observation")


def matches(filters: Mapping[str, Any], item: Mapping[str, Any]) -> bool:
    """Whether an item (a trace's or an observation's fields: name, tags, models, environment,
    release, version, user_id, type) passes a rule's filter. Evaluator traffic never does."""
    if item.get("environment") == EVALUATOR_ENVIRONMENT:
        return False
    for key, wanted in filters.items():
        if key == "tags":
            have = set(item.get("tags") or ())
            if not set(wanted) <= have:
                return False
        elif key == "name_regex":
            if re.search(wanted, item.get("name") or "") is None:
                return False
        elif key == "model":
            if wanted not in (item.get("models") or ()):
                return False
        elif key == "type":
            if str(item.get("type") or "").lower() != wanted.lower():
                return False
        elif item.get(key) != wanted:
            return False
    return True


# --- evaluators -------------------------------------------------------------------------------
@dataclass(slots=True)
class JudgeCall:
    """One model call a judge made for a verdict: what the worker traces and prices."""

    messages: list[dict[str, str]]
    reply: str | None
    usage: CallUsage
    error: str | None = None


class _RecordingProvider:
    """A provider that keeps its last call (one per verdict: each verdict gets its own recorder)."""

    def __init__(self, inner: ChatCompletionsProvider) -> None:
        self.inner = inner
        self.model = inner.model
        self.call: JudgeCall | None = None

    def complete(self, messages: list[dict[str, str]], schema: dict[str, Any]) -> Completion:
        try:
            completion = self.inner.complete(messages, schema)
        except ProviderError as exc:
            self.call = JudgeCall(messages, None, exc.usage, str(exc))
            raise
        self.call = JudgeCall(messages, completion.text, completion.usage)
        return completion


Verdict = tuple[EvaluationResult, JudgeCall | None]


class RuleEvaluator:
    """A rule's evaluator: `evaluate(output, input, metadata) -> (result, the judge's call or None)`.
    Thread-safe: the worker evaluates several items of a rule at once."""

    def __init__(self, spec: Mapping[str, Any], api_keys: Mapping[str, str]) -> None:
        if not isinstance(spec, Mapping):
            raise RuleError("evaluator must be an object")
        kind = spec.get("type")
        self.kind = kind
        self.expected_path = spec.get("expected_path")
        if self.expected_path is not None:
            _check_path(self.expected_path, "evaluator.expected_path")
        if kind == "builtin":
            self._builtin = _builtin(spec)
            self._reads_text = spec.get("name") in TEXT_BUILTINS
        elif kind == "judge":
            self._judge_parts = _judge_parts(spec, api_keys)
            self._judge(ChatCompletionsProvider("http://127.0.0.1", "check"))  # validates template and mapping
        else:
            raise RuleError(f"evaluator.type must be builtin or judge, not {kind!r}")

    @property
    def score_name(self) -> str:
        return self._builtin.name if self.kind == "builtin" else self._judge_parts[1].name

    def _judge(self, provider: Any) -> Judge:
        template, config, mapping, _ = self._judge_parts
        try:
            return Judge(template, provider, config, mapping=mapping)
        except ValueError as exc:
            raise RuleError(f"evaluator.template/mapping: {exc}") from None

    def evaluate(self, output: Any, input: Any, metadata: Mapping[str, Any]) -> Verdict:
        sources = {"input": input, "output": output, "expected": None, "metadata": metadata}
        expected = None
        if self.expected_path is not None:
            try:
                expected = resolve(self.expected_path, sources)
            except ValueError as exc:
                return EvaluationResult.failed(self.score_name, ScoreDataType.BOOLEAN, str(exc)), None
        if self.kind == "builtin":
            if self._reads_text and output is not None and not isinstance(output, str):
                output = json.dumps(output, ensure_ascii=False, default=str)
            return self._builtin(output, expected=expected, input=input, metadata=dict(metadata)), None
        recorder = _RecordingProvider(self._judge_parts[3])
        result = self._judge(recorder)(output, expected=expected, input=input, metadata=dict(metadata))
        return result, recorder.call


def build_evaluator(spec: Any, api_keys: Mapping[str, str]) -> RuleEvaluator:
    return RuleEvaluator(spec, api_keys)


def _check_path(path: Any, what: str) -> None:
    if not isinstance(path, str) or path.split(".")[0] not in ROOTS:
        raise RuleError(f"{what} must be a dotted path starting with one of {', '.join(ROOTS)}, not {path!r}")


def _builtin(spec: Mapping[str, Any]) -> BaseEvaluator:
    name = spec.get("name")
    if name not in BUILTINS:
        raise RuleError(f"evaluator.name {name!r} is no built-in evaluator; they are {', '.join(BUILTINS)}")
    params = spec.get("params") or {}
    if not isinstance(params, Mapping):
        raise RuleError("evaluator.params must be an object")
    try:
        return BUILTINS[name](**params)
    except TypeError as exc:
        raise RuleError(f"evaluator.params of {name}: {exc}") from None
    except (ValueError, re.error) as exc:
        raise RuleError(f"evaluator.params of {name}: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - e.g. jsonschema's SchemaError: a bad parameter all the same
        raise RuleError(f"evaluator.params of {name}: {type(exc).__name__}: {exc}") from None


def _judge_parts(spec: Mapping[str, Any], api_keys: Mapping[str, str]) -> tuple[str, ScoreConfig, dict, Any]:
    template = spec.get("template")
    if not isinstance(template, str) or not template.strip():
        raise RuleError("evaluator.template must be a non-empty string")
    mapping = spec.get("mapping") or {}
    if not isinstance(mapping, Mapping) or not all(isinstance(v, str) for v in mapping.values()):
        raise RuleError("evaluator.mapping must be an object of variable -> dotted path")
    score = spec.get("score")
    if not isinstance(score, Mapping):
        raise RuleError("evaluator.score must be an object: {name, data_type, min_value, max_value, categories}")
    try:
        config = ScoreConfig(
            score.get("name") or "",
            ScoreDataType(str(score.get("data_type") or "NUMERIC").upper()),
            score.get("min_value"),
            score.get("max_value"),
            tuple(score["categories"]) if score.get("categories") is not None else None,
            score.get("description"),
        )
    except (ValueError, TypeError) as exc:
        raise RuleError(f"evaluator.score: {exc}") from None
    provider = spec.get("provider")
    if not isinstance(provider, Mapping):
        raise RuleError("evaluator.provider must be an object: {base_url, model, api_key_setting}")
    unknown = sorted(set(provider) - set(PROVIDER_FIELDS))
    if unknown:
        raise RuleError(f"evaluator.provider: unknown field(s) {', '.join(unknown)}")
    base_url, model = provider.get("base_url"), provider.get("model")
    if not isinstance(base_url, str) or not base_url.startswith(("http://", "https://")):
        raise RuleError(f"evaluator.provider.base_url must be an http(s) URL, not {base_url!r}")
    if not isinstance(model, str) or not model:
        raise RuleError("evaluator.provider.model must be a model name")
    key_name = provider.get("api_key_setting")
    if key_name is not None and key_name not in api_keys:
        known = ", ".join(sorted(api_keys)) or "none are set"
        raise RuleError(
            f"evaluator.provider.api_key_setting {key_name!r} is not an entry of the server's "
            f"evaluator_api_keys setting ({known})"
        )
    options = {k: provider[k] for k in ("structured_output", "timeout_s", "max_attempts") if k in provider}
    try:
        client = ChatCompletionsProvider(
            base_url, model, api_keys.get(key_name) if key_name else None, max_total_s=120.0, **options
        )
    except (ValueError, TypeError) as exc:
        raise RuleError(f"evaluator.provider: {exc}") from None
    return template, config, dict(mapping), client
