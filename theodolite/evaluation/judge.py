"""LLM-as-judge: a prompt template filled from the item being evaluated, sent to any OpenAI-compatible
Chat Completions API, its reply read as {"reasoning", "score"} and validated against a ScoreConfig.

    judge = Judge(
        "Question: {{question}}\\nAnswer: {{answer}}\\nIs the answer correct?",
        ChatCompletionsProvider("https://api.openai.com/v1", model="gpt-4o-mini", api_key=key),
        ScoreConfig("correct", ScoreDataType.BOOLEAN),
        mapping={"question": "input.question", "answer": "output"},
    )
    result = judge(output, input={"question": "..."})   # an EvaluationResult, never an exception

A judge is an evaluator like the others: a failure (the API unreachable, out of retries or time, a
reply that is not the JSON asked for) is a failed result saying why. Every result carries the
judge's own usage (model, tokens, attempts), also a failed one when a reply was paid for.

HTTP goes through the standard library (urllib), as the SDK's exporter does: an application that
evaluates should not need an HTTP client package for one POST per verdict.
"""

from __future__ import annotations

import http.client
import json
import random
import re
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from theodolite.evaluation.evaluators import BaseEvaluator
from theodolite.evaluation.scores import CallUsage, EvaluationResult, ScoreConfig
from theodolite.model import ScoreDataType

ROOTS = ("input", "output", "expected", "metadata")
PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
RETRY_STATUSES = frozenset({408, 409, 429}) | frozenset(range(500, 600))
STEP_DOWN = {"json_schema": "json_object", "json_object": "none"}


class MappingError(ValueError):
    """A template variable that cannot be filled: unmapped, or its path leads nowhere."""


# --- the template and its mapping -------------------------------------------------------------
class PromptTemplate:
    """Text with `{{variable}}` placeholders (whitespace inside the braces allowed).

    Rendering is one pass: a value that itself contains `{{x}}` is inserted as it is, never
    expanded, so an output under evaluation cannot inject template syntax.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.variables = tuple(dict.fromkeys(m.group(1) for m in PLACEHOLDER.finditer(text)))
        if not self.variables:
            raise ValueError("a judge's prompt template needs at least one {{variable}}")

    def render(self, values: Mapping[str, Any]) -> str:
        missing = [name for name in self.variables if name not in values]
        if missing:
            raise MappingError(f"no value for {', '.join('{{' + m + '}}' for m in missing)}")
        return PLACEHOLDER.sub(lambda match: as_text(values[match.group(1)]), self.text)


def as_text(value: Any) -> str:
    """A value as prompt text: strings as they are, anything else as JSON (readable, unambiguous)."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def resolve(path: str, sources: Mapping[str, Any]) -> Any:
    """Follow a dotted path such as `input.messages.0.content` into input/output/expected/metadata:
    dict keys, list indexes (negative too), and public attributes of other objects."""
    head, *rest = path.split(".")
    if head not in ROOTS:
        raise MappingError(f"{path!r} starts with {head!r}; a path starts with one of {', '.join(ROOTS)}")
    value, walked = sources.get(head), head
    for part in rest:
        if isinstance(value, Mapping):
            if part not in value:
                keys = ", ".join(repr(k) for k in list(value)[:10])
                raise MappingError(f"{path!r}: {walked} has no key {part!r} (it has {keys or 'none'})")
            value = value[part]
        elif isinstance(value, Sequence) and not isinstance(value, str | bytes):
            try:
                value = value[int(part)]
            except (ValueError, IndexError):
                raise MappingError(f"{path!r}: {walked} has {len(value)} items; {part!r} is no index") from None
        elif value is not None and not part.startswith("_") and hasattr(value, part):
            value = getattr(value, part)
        else:
            raise MappingError(f"{path!r}: {walked} is {type(value).__name__}, which has no {part!r}")
        walked = f"{walked}.{part}"
    return value


def check_mapping(template: PromptTemplate, mapping: Mapping[str, str]) -> dict[str, str]:
    """Every variable mapped to a path (a variable named input/output/expected/metadata maps to
    itself unless mapped), every path starting at a root. Raises MappingError at construction."""
    paths = {name: name for name in template.variables if name in ROOTS}
    paths.update(mapping)
    unmapped = [name for name in template.variables if name not in paths]
    if unmapped:
        raise MappingError(f"template variables without a mapping: {', '.join(unmapped)}")
    for name, path in paths.items():
        if not isinstance(path, str) or path.split(".")[0] not in ROOTS:
            raise MappingError(f"{{{{{name}}}}} maps to {path!r}; a path starts with one of {', '.join(ROOTS)}")
    return paths


# --- the provider -----------------------------------------------------------------------------
@dataclass(slots=True, frozen=True)
class Completion:
    text: str
    usage: CallUsage


class ProviderError(Exception):
    """The call did not give a reply; `usage` says how many attempts it took and how long."""

    def __init__(self, message: str, usage: CallUsage) -> None:
        super().__init__(message)
        self.usage = usage


class JudgeProvider(Protocol):
    model: str

    def complete(self, messages: list[dict[str, str]], schema: dict[str, Any]) -> Completion: ...


class _Retryable(Exception):
    def __init__(self, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class _Fatal(Exception):
    """An answer that retrying will not change (401, 404, a body that is not JSON)."""


class _Unsupported(Exception):
    """The API refused `response_format`: ask again without it."""


class ChatCompletionsProvider:
    """Any OpenAI-compatible `POST {base_url}/chat/completions` (OpenAI, Azure-style gateways, vLLM,
    Ollama, LiteLLM...).

    - `structured_output`: "json_schema" (strict structured output), "json_object" (JSON mode) or
      "none". An API that answers 400 to the response_format is asked again a step down
      (json_schema, then json_object, then none), and this provider stays there; the reply is
      read by finding the JSON object in its text in every mode.
    - Retries 408/409/429/5xx, timeouts and connection errors with exponential backoff and jitter
      (a Retry-After header, when given, is honoured), at most `max_attempts` requests and within
      `max_total_s` overall: each request's timeout is cut to the time left, and a retry whose
      wait would pass the budget is not made.
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str | None = None,
        *,
        timeout_s: float = 60.0,
        max_attempts: int = 4,
        max_total_s: float = 180.0,
        backoff_s: float = 1.0,
        max_backoff_s: float = 20.0,
        structured_output: str = "json_schema",
        temperature: float | None = 0.0,
        headers: Mapping[str, str] | None = None,
        extra_body: Mapping[str, Any] | None = None,
    ) -> None:
        if structured_output not in ("json_schema", "json_object", "none"):
            raise ValueError(f"structured_output is json_schema, json_object or none, not {structured_output!r}")
        if max_attempts < 1 or timeout_s <= 0 or max_total_s <= 0:
            raise ValueError("max_attempts, timeout_s and max_total_s must be positive")
        base = base_url.rstrip("/")
        self.url = base if base.endswith("/chat/completions") else base + "/chat/completions"
        self.model = model
        self.timeout_s, self.max_attempts, self.max_total_s = timeout_s, max_attempts, max_total_s
        self.backoff_s, self.max_backoff_s = backoff_s, max_backoff_s
        self.structured_output = structured_output
        self.temperature = temperature
        self.extra_body = dict(extra_body or {})
        self._headers = {"Content-Type": "application/json", "User-Agent": "theodolite-evaluation",
                         **(headers or {})}  # fmt: skip
        if api_key:
            self._headers["Authorization"] = f"Bearer {api_key}"

    def complete(self, messages: list[dict[str, str]], schema: dict[str, Any]) -> Completion:
        started = time.monotonic()
        deadline = started + self.max_total_s
        attempts = 0
        while True:
            attempts += 1
            body = self._body(messages, schema)
            try:
                reply = self._post(body, min(self.timeout_s, deadline - time.monotonic()))
            except _Unsupported as exc:
                # this API (or this schema: some refuse keywords such as minimum) does not take it:
                # step down, and stay down for the next calls
                self.structured_output = STEP_DOWN[self.structured_output]
                last = str(exc)
                delay = 0.0
            except _Retryable as exc:
                last = str(exc)
                delay = self._backoff(attempts, exc.retry_after_s)
            except _Fatal as exc:
                raise ProviderError(str(exc), self._usage(attempts, started)) from None
            else:
                return self._completion(reply, attempts, started)
            if attempts >= self.max_attempts:
                raise ProviderError(f"gave up after {attempts} attempts: {last}", self._usage(attempts, started))
            if time.monotonic() + delay >= deadline:
                raise ProviderError(
                    f"gave up after {attempts} attempts: the {self.max_total_s:g} s budget would pass ({last})",
                    self._usage(attempts, started),
                )
            if delay > 0:
                time.sleep(delay)  # a real backoff between requests, bounded by the budget above

    def _body(self, messages: list[dict[str, str]], schema: dict[str, Any]) -> dict[str, Any]:
        body: dict[str, Any] = {"model": self.model, "messages": messages, **self.extra_body}
        if self.temperature is not None:
            body["temperature"] = self.temperature
        if self.structured_output == "json_schema":
            strict = {"name": "judgement", "strict": True, "schema": schema}
            body["response_format"] = {"type": "json_schema", "json_schema": strict}
        elif self.structured_output == "json_object":
            body["response_format"] = {"type": "json_object"}
        return body

    def _post(self, body: dict[str, Any], timeout_s: float) -> dict[str, Any]:
        if timeout_s <= 0:
            raise _Retryable("no time left for a request")
        request = urllib.request.Request(self.url, json.dumps(body).encode(), self._headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=timeout_s) as response:  # noqa: S310 - the URL configured
                payload = response.read()
        except urllib.error.HTTPError as exc:
            try:
                detail = exc.read()[:500].decode(errors="replace")
            except (OSError, http.client.HTTPException):
                detail = exc.reason or ""
            if exc.code in RETRY_STATUSES:
                raise _Retryable(f"HTTP {exc.code}: {detail}", _retry_after(exc.headers.get("Retry-After"))) from None
            refused_format = "response_format" in detail or "json_schema" in detail
            if exc.code == 400 and "response_format" in body and refused_format:
                raise _Unsupported(f"HTTP 400 to response_format: {detail}") from None
            raise _Fatal(f"HTTP {exc.code}: {detail}") from None
        except TimeoutError:
            raise _Retryable(f"timed out after {timeout_s:.3g} s") from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise _Retryable(f"timed out after {timeout_s:.3g} s") from None
            raise _Retryable(f"cannot connect: {exc.reason}") from None
        except (OSError, http.client.HTTPException) as exc:
            raise _Retryable(f"{type(exc).__name__}: {exc}") from None
        try:
            reply = json.loads(payload)
        except json.JSONDecodeError:
            raise _Fatal(f"the API's reply is not JSON: {payload[:200]!r}") from None
        if not isinstance(reply, dict):
            raise _Fatal(f"the API's reply is not a JSON object: {payload[:200]!r}")
        return reply

    def _completion(self, reply: dict[str, Any], attempts: int, started: float) -> Completion:
        raw = reply.get("usage")
        usage = raw if isinstance(raw, dict) else {}
        prompt, completion = _int(usage.get("prompt_tokens")), _int(usage.get("completion_tokens"))
        total = _int(usage.get("total_tokens"))
        if total is None and prompt is not None and completion is not None:
            total = prompt + completion
        call = CallUsage(str(reply.get("model") or self.model), prompt, completion, total, attempts,
                         round(time.monotonic() - started, 6))  # fmt: skip
        try:
            message = reply["choices"][0]["message"]
        except (KeyError, IndexError, TypeError):
            message = None
        if not isinstance(message, dict):
            raise ProviderError("the API's reply has no choices[0].message", call)
        if message.get("refusal"):
            raise ProviderError(f"the model refused: {message['refusal']}", call)
        content = message.get("content")
        if isinstance(content, list):  # some gateways send content parts
            content = "".join(part.get("text", "") for part in content if isinstance(part, dict))
        if not isinstance(content, str) or not content.strip():
            raise ProviderError("the model's reply is empty", call)
        return Completion(content, call)

    def _usage(self, attempts: int, started: float) -> CallUsage:
        return CallUsage(self.model, attempts=attempts, duration_s=round(time.monotonic() - started, 6))

    def _backoff(self, attempts: int, retry_after_s: float | None) -> float:
        if retry_after_s is not None:
            return min(retry_after_s, self.max_backoff_s)
        ceiling = min(self.max_backoff_s, self.backoff_s * 2 ** (attempts - 1))
        return ceiling * (0.5 + random.random() / 2)  # jitter: judges running in parallel do not retry in step


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None  # an HTTP date: rare from these APIs; the backoff applies


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


# --- reading the reply ------------------------------------------------------------------------
def extract_json_object(text: str) -> dict[str, Any]:
    """The first JSON object in a reply: the whole text, or inside a ``` fence, or after prose."""
    stripped = text.strip()
    try:
        document = json.loads(stripped)
        if isinstance(document, dict):
            return document
    except json.JSONDecodeError:
        pass
    decoder = json.JSONDecoder()
    for match in re.finditer(r"\{", text):
        try:
            document, _ = decoder.raw_decode(text, match.start())
        except json.JSONDecodeError:
            continue
        if isinstance(document, dict):
            return document
    raise ValueError(f"no JSON object in the reply: {_excerpt(text)}")


def _excerpt(text: str, limit: int = 200) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "...")


def coerce(value: Any, config: ScoreConfig) -> Any:
    """Forgive the usual looseness of a reply read from text (the strict schema needs none of it):
    "4" for a number, "true" for a boolean, a category in another case. Then the config decides."""
    if config.data_type is ScoreDataType.NUMERIC and isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return value
    if config.data_type is ScoreDataType.BOOLEAN and isinstance(value, str):
        return {"true": True, "false": False, "yes": True, "no": False}.get(value.strip().lower(), value)
    if config.data_type is ScoreDataType.CATEGORICAL and isinstance(value, str):
        folded = [c for c in config.categories or () if c.casefold() == value.strip().casefold()]
        return folded[0] if len(folded) == 1 else value
    return value


def judgement_schema(config: ScoreConfig) -> dict[str, Any]:
    """The reply's JSON schema. Reasoning comes first so that the model writes it before the score."""
    return {
        "type": "object",
        "properties": {"reasoning": {"type": "string"}, "score": config.value_schema()},
        "required": ["reasoning", "score"],
        "additionalProperties": False,
    }


SYSTEM_PROMPT = """You are a careful, impartial evaluator. Follow the user's evaluation instructions.
The score is named "{name}".{description} Its value must be {rule}.
Reply with one JSON object and nothing else: {{"reasoning": "<a short justification>", "score": <the value>}}.
Write the reasoning before deciding the score."""


class Judge(BaseEvaluator):
    """An LLM-as-judge evaluator: `judge(output, expected=None, input=None, metadata=None)`."""

    def __init__(
        self,
        template: str | PromptTemplate,
        provider: JudgeProvider,
        config: ScoreConfig,
        *,
        mapping: Mapping[str, str] | None = None,
        name: str | None = None,
        system_prompt: str | None = None,
    ) -> None:
        self.template = template if isinstance(template, PromptTemplate) else PromptTemplate(template)
        self.paths = check_mapping(self.template, mapping or {})
        self.provider = provider
        self.config = config
        self.name = name or config.name
        self.data_type = config.data_type
        description = f" It means: {config.description.strip()}" if config.description else ""
        self.system_prompt = system_prompt or SYSTEM_PROMPT.format(
            name=config.name, description=description, rule=config.describe()
        )
        self.schema = judgement_schema(config)

    def variables(self, output: Any, expected: Any = None, input: Any = None, metadata: Any = None) -> dict[str, Any]:
        sources = {"input": input, "output": output, "expected": expected, "metadata": metadata}
        return {name: resolve(self.paths[name], sources) for name in self.template.variables}

    def prompt(self, output: Any, expected: Any = None, input: Any = None, metadata: Any = None) -> str:
        return self.template.render(self.variables(output, expected, input, metadata))

    def _evaluate(self, output: Any, expected: Any, input: Any, metadata: Any) -> EvaluationResult:
        messages = [{"role": "system", "content": self.system_prompt},
                    {"role": "user", "content": self.prompt(output, expected, input, metadata)}]  # fmt: skip
        try:
            completion = self.provider.complete(messages, self.schema)
        except ProviderError as exc:
            return EvaluationResult.failed(self.name, self.data_type, f"judge call failed: {exc}", exc.usage)
        try:
            document = extract_json_object(completion.text)
            if "score" not in document:
                raise ValueError(f"the reply has no 'score': {_excerpt(completion.text)}")
            value = self.config.validate(coerce(document["score"], self.config))
        except ValueError as exc:  # InvalidScore is a ValueError: its message names the rule broken
            return EvaluationResult.failed(self.name, self.data_type, f"unusable judge reply: {exc}",
                                           completion.usage, {"reply": completion.text[:2000]})  # fmt: skip
        reasoning = document.get("reasoning")
        comment = reasoning if isinstance(reasoning, str) and reasoning.strip() else None
        return EvaluationResult(self.name, value, self.data_type, comment, usage=completion.usage)
