"""The five demo agents: how each one's traces are shaped, timed and filled.

Each agent is a function that lays out one trace with a `TraceBuilder`, which keeps the rules
every trace follows: ids are hashes of the trace's key and position (never random draws, see
`traffic`), usage follows the OpenTelemetry rule (cache tokens inside input, reasoning inside
output), generations carry time to first token and a `source`, and one tool per agent is the one
that raises in the traces chosen to fail.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from theodolite.demo import content as text
from theodolite.model import Cost, CostStatus, Level, Observation, Source, Usage
from theodolite.model import ObservationType as T

ENVIRONMENT = "production"
RELEASES = ("v1.4.0", "v1.5.0")  # the second is deployed half-way through the history
ERROR_RATE = 0.03  # traces whose error-prone tool raises


@dataclass(frozen=True, slots=True)
class ModelSpec:
    provider: str
    request_model: str
    response_model: str  # what the provider answers with: often a dated snapshot
    first_token_s: tuple[float, float]
    tokens_per_s: float
    prompt_cache: bool = False  # reports cache read/write tokens (Anthropic)
    reasoning: bool = False  # reports reasoning tokens (OpenAI o-series)


MODELS: dict[str, ModelSpec] = {
    "gpt-4o": ModelSpec("openai", "gpt-4o", "gpt-4o-2024-08-06", (0.35, 0.9), 90),
    "gpt-4o-mini": ModelSpec("openai", "gpt-4o-mini", "gpt-4o-mini-2024-07-18", (0.25, 0.6), 120),
    "o3-mini": ModelSpec("openai", "o3-mini", "o3-mini-2025-01-31", (0.5, 1.5), 150, reasoning=True),
    "claude-sonnet-4": ModelSpec(
        "anthropic", "claude-sonnet-4-20250514", "claude-sonnet-4-20250514", (0.8, 2.0), 70, prompt_cache=True
    ),
    "claude-3-5-haiku": ModelSpec(
        "anthropic", "claude-3-5-haiku-20241022", "claude-3-5-haiku-20241022", (0.4, 1.0), 110, prompt_cache=True
    ),
    "gemini-2.0-flash": ModelSpec("google", "gemini-2.0-flash", "gemini-2.0-flash", (0.3, 0.7), 200),
    "mistral-large": ModelSpec("mistral", "mistral-large-latest", "mistral-large-2411", (0.4, 1.1), 60),
    # A self-hosted fine-tune no price table knows: the demo must show unpriced cost honestly.
    "orbit-7b-instruct": ModelSpec("self-hosted", "orbit-7b-instruct", "orbit-7b-instruct", (0.1, 0.4), 45),
    "text-embedding-3-small": ModelSpec("openai", "text-embedding-3-small", "text-embedding-3-small", (0, 0), 0),
}


def stable_id(key: str, nbytes: int) -> str:
    """Hex id of `nbytes` derived from `key`: the same key always names the same trace or span."""
    return hashlib.blake2b(key.encode(), digest_size=nbytes).hexdigest()


def _tokens(content: Any) -> int:
    """Rough token count of a message content (about four characters per token)."""
    return max(1, len(content) // 4) if isinstance(content, str) else 8


def _messages(system: str, history: list[dict[str, Any]], user: str) -> list[dict[str, Any]]:
    return [{"role": "system", "content": system}, *history, {"role": "user", "content": user}]


class TraceBuilder:
    """Lays out one trace's observations in time: a cursor moves forward as each step runs."""

    def __init__(self, key: str, rng: random.Random, start: datetime, release: str) -> None:
        self.key, self.rng, self.cursor, self.release = key, rng, start, release
        self.trace_id = stable_id(key, 16)
        self.observations: list[Observation] = []
        self.fails = rng.random() < ERROR_RATE  # decided up front so a scenario can run its failing tool
        self.failure: str | None = None  # set when a tool raised
        self.degraded = False  # a generation fell back: judged and rated lower
        self.answer: Observation | None = None  # the generation that judges score

    def open(self, kind: T, name: str, parent: Observation | None, **fields: Any) -> Observation:
        self.cursor += timedelta(milliseconds=self.rng.uniform(1, 15))  # scheduling gap between steps
        obs = Observation(
            id=stable_id(f"{self.key}/{len(self.observations)}", 8),
            trace_id=self.trace_id,
            start_time=self.cursor,
            type=kind,
            name=name,
            parent_observation_id=parent.id if parent else None,
            environment=ENVIRONMENT,
            version=self.release,
            **fields,
        )
        self.observations.append(obs)
        return obs

    def close(self, obs: Observation, seconds: float = 0.0, output: Any = None) -> Observation:
        self.cursor += timedelta(seconds=seconds)
        obs.end_time = self.cursor
        if output is not None:
            obs.output = output
        return obs

    def step(self, kind: T, name: str, parent: Observation, seconds: float, **fields: Any) -> Observation:
        return self.close(self.open(kind, name, parent, **fields), seconds)

    def event(self, name: str, parent: Observation, **fields: Any) -> Observation:
        return self.open(T.EVENT, name, parent, **fields)  # an instant: no end time

    def tool(self, name: str, parent: Observation, seconds: float, args: Any, result: Any, failure: str) -> None:
        """A tool call; when this trace is one that fails, this is the call that raises."""
        if self.fails and self.failure is None:
            self.failure = f"{name}: {failure}"
            error = {"error": failure}
            self.step(
                T.TOOL, name, parent, seconds, input=args, output=error, level=Level.ERROR, status_message=failure
            )
        else:
            self.step(T.TOOL, name, parent, seconds, input=args, output=result)

    def embedding(self, parent: Observation, query: str) -> None:
        spec, tokens = MODELS["text-embedding-3-small"], _tokens(query) + 2
        self.step(
            T.EMBEDDING,
            "embed-query",
            parent,
            self.rng.uniform(0.04, 0.15),
            model=spec.response_model,
            request_model=spec.request_model,
            provider=spec.provider,
            source=Source.PROVIDER.value,
            usage=Usage(tokens, None, tokens),  # embeddings report prompt tokens only
            cost=Cost(status=CostStatus.UNPRICED),
            input=query,
            output={"dimensions": 1536},
        )

    def generation(
        self,
        parent: Observation,
        name: str,
        model: str,
        messages: list[dict[str, Any]],
        reply: str,
        *,
        out_tokens: tuple[int, int] = (60, 400),
        context_tokens: tuple[int, int] = (150, 900),
        tool_calls: list[dict[str, Any]] | None = None,
    ) -> Observation:
        spec = MODELS[model]
        roll = self.rng.random()
        if roll < 0.15:
            source = Source.CACHE
        elif roll < 0.975:
            source = Source.PROVIDER
        else:
            source = Source.FALLBACK_TEMPLATE if roll < 0.99 else Source.FALLBACK_HARDCODED
        params = {"reasoning_effort": "medium"} if spec.reasoning else {"temperature": 0.2, "max_tokens": 1024}
        obs = self.open(
            T.GENERATION,
            name,
            parent,
            model=spec.response_model,
            request_model=spec.request_model,
            provider=spec.provider,
            model_parameters=params,
            source=source.value,
            input=messages,
        )
        # The model (chosen by release) changes how many draws a call makes; drawing them from the
        # call's own generator keeps the rest of the trace, and so its ids, the same either way.
        rng = random.Random(obs.id)
        if source in (Source.FALLBACK_TEMPLATE, Source.FALLBACK_HARDCODED):
            # The provider call failed, so no tokens were billed and no response model came back.
            self.degraded = True
            obs.model, obs.level = spec.request_model, Level.WARNING
            if source is Source.FALLBACK_TEMPLATE:
                obs.status_message = f"{spec.provider}: request timed out after 30 s; answered from a template"
                return self.close(obs, rng.uniform(8, 30), [{"role": "assistant", "content": reply}])
            obs.status_message = f"{spec.provider}: 529 overloaded; answered with the hard-coded reply"
            return self.close(obs, rng.uniform(0.2, 1.5), [{"role": "assistant", "content": text.HARDCODED_REPLY}])
        prompt = sum(_tokens(m.get("content")) for m in messages) + rng.randint(*context_tokens)
        visible = rng.randint(*out_tokens)
        reasoning = rng.randint(visible, 6 * visible) if spec.reasoning else None
        cache_read = cache_write = None
        if spec.prompt_cache:  # both are part of the prompt tokens, never added on top
            roll = rng.random()
            cache_read = int(prompt * rng.uniform(0.5, 0.85)) if roll < 0.6 else 0
            cache_write = int(prompt * rng.uniform(0.3, 0.6)) if 0.6 <= roll < 0.8 else 0
        output = visible + (reasoning or 0)  # reasoning tokens are part of the output tokens
        obs.usage = Usage(prompt, output, prompt + output, cache_read, cache_write, reasoning)
        obs.cost = Cost(status=CostStatus.UNPRICED)  # pricing happens at ingestion, not here
        if source is Source.CACHE:  # the response cache answers in milliseconds
            first = rng.uniform(0.002, 0.01)
            total = first + rng.uniform(0.001, 0.02)
        else:
            first = rng.uniform(*spec.first_token_s) + (reasoning or 0) / spec.tokens_per_s
            total = first + visible / spec.tokens_per_s
        obs.completion_start_time = obs.start_time + timedelta(seconds=first)
        message = {"role": "assistant", "content": None, "tool_calls": tool_calls} if tool_calls else None
        return self.close(obs, total, [message or {"role": "assistant", "content": reply}])

    def finish(self, root: Observation, output: Any) -> Observation:
        if self.failure is not None:
            root.level, root.status_message = Level.ERROR, self.failure
            output = None
        return self.close(root, self.rng.uniform(0.002, 0.03), output)


@dataclass
class Conversation:
    """What the turns of one session share: the topic and the messages so far."""

    topic: float  # in [0, 1): picks an entry of the agent's content pool
    history: list[dict[str, Any]] = field(default_factory=list)

    def pick(self, pool: tuple[Any, ...]) -> Any:
        return pool[int(self.topic * len(pool))]

    def remember(self, question: str, answer: str) -> None:
        self.history += [{"role": "user", "content": question}, {"role": "assistant", "content": answer}]


def _support(b: TraceBuilder, conv: Conversation) -> Observation:
    rng = b.rng
    question, article, answer = conv.pick(text.SUPPORT)
    if int(conv.topic * 1_000) % 10 == 0:  # one conversation in ten; no draw, so ids stay the same
        question, answer = text.TRANSLATED_SUPPORT[int(conv.topic * 100_000) % len(text.TRANSLATED_SUPPORT)]
    if conv.history:
        question, answer = rng.choice(text.FOLLOW_UPS)
    root = b.open(T.AGENT, "support-chat", None, input=[{"role": "user", "content": question}])
    flagged = rng.random() < 0.04
    b.step(
        T.GUARDRAIL,
        "input-moderation",
        root,
        rng.uniform(0.02, 0.08),
        input={"text": question},
        output={"flagged": flagged, "redacted": ["email"] if flagged else []},
        level=Level.WARNING if flagged else Level.DEFAULT,
        status_message="PII redacted: an email address" if flagged else None,
    )
    retriever = b.open(T.RETRIEVER, "kb-search", root, input={"query": question, "top_k": 3})
    b.embedding(retriever, question)
    titles = [article, *rng.sample([s[1] for s in text.SUPPORT if s[1] != article], 2)]
    docs = [
        {"id": f"kb-{stable_id(t, 2)}", "title": t, "score": round(0.9 - i * rng.uniform(0.05, 0.2), 2)}
        for i, t in enumerate(titles)
    ]
    b.close(retriever, rng.uniform(0.03, 0.12), {"documents": docs})
    # v1.5.0 moved most support answers to Claude Haiku: the release comparison has a story.
    # The draw is made whatever the release, so a trace's shape (and ids) never depend on `now`.
    stays = rng.random() < 0.3
    model = "gpt-4o-mini" if b.release == RELEASES[0] or stays else "claude-3-5-haiku"
    system = f"{text.SUPPORT_PROMPT}\n\nRelevant article: {article}"
    b.answer = b.generation(root, "answer", model, _messages(system, conv.history, question), answer)
    if b.fails or rng.random() < 0.08:
        ticket = {"ticket_id": f"T-{rng.randint(10000, 99999)}", "status": "open"}
        args = {"subject": question[:60], "priority": "normal"}
        b.tool("create-ticket", root, rng.uniform(0.15, 0.9), args, ticket, "HTTPError: 503 Service Unavailable")
    if b.failure is None and rng.random() < 0.05:
        b.event("handoff-to-human", root, input={"reason": "user asked for a person"}, metadata={"queue": "tier-2"})
    conv.remember(question, answer)
    return b.finish(root, [{"role": "assistant", "content": answer}])


def _research(b: TraceBuilder, conv: Conversation) -> Observation:
    rng = b.rng
    question, queries, answer = conv.pick(text.RESEARCH)
    if conv.history:
        question, answer = rng.choice(text.RESEARCH_FOLLOW_UPS)
    root = b.open(T.AGENT, "research-task", None, input={"question": question})
    messages = _messages(text.RESEARCH_PROMPT, conv.history, question)
    calls = [
        {
            "id": f"call_{stable_id(q, 4)}",
            "type": "function",
            "function": {"name": "web_search", "arguments": json.dumps({"query": q})},
        }
        for q in queries
    ]
    plan = "Searching for: " + "; ".join(queries)  # what a fallback shows instead of the tool calls
    b.generation(root, "plan", "claude-sonnet-4", messages, plan, out_tokens=(40, 160), tool_calls=calls)
    pages = []
    for query in queries:
        hits = [
            {"title": f"{query.title()} ({site})", "url": f"https://{site}/{stable_id(query + site, 3)}"}
            for site in rng.sample(text.SITES, 3)
        ]
        b.step(T.TOOL, "web-search", root, rng.uniform(0.4, 2.0), input={"query": query}, output={"results": hits})
        pages.append(hits[0]["url"])
    for url in pages[: 1 + (b.fails or rng.random() < 0.5)]:
        b.tool(
            "fetch-page",
            root,
            rng.uniform(0.3, 3.0),
            {"url": url},
            {"chars": rng.randint(2000, 40000)},
            f"TimeoutError: fetching {url} took longer than 10 s",
        )
    if b.failure is None:
        model = "o3-mini" if rng.random() < 0.4 else "claude-sonnet-4"
        b.answer = b.generation(
            root, "synthesize", model, messages, answer, out_tokens=(200, 900), context_tokens=(1500, 6000)
        )
    conv.remember(question, answer)
    return b.finish(root, {"answer": answer, "sources": pages})


def _sql(b: TraceBuilder, conv: Conversation) -> Observation:
    rng = b.rng
    question, sql, tables, summary = conv.pick(text.SQL)
    root = b.open(T.AGENT, "text-to-sql", None, input={"question": question})
    chain = b.open(T.CHAIN, "generate-sql", root, input={"question": question})
    schema = {t: text.SCHEMA[t] for t in tables}
    b.step(
        T.RETRIEVER,
        "schema-lookup",
        chain,
        rng.uniform(0.02, 0.09),
        input={"question": question},
        output={"tables": schema},
    )
    model = "gpt-4o" if rng.random() < 0.6 else "o3-mini"
    system = f"{text.SQL_PROMPT}\n\nSchema: {json.dumps(schema)}"
    b.generation(chain, "write-sql", model, _messages(system, [], question), sql, out_tokens=(40, 180))
    b.close(chain, 0.001, {"sql": sql})
    b.step(
        T.GUARDRAIL, "sql-read-only-check", root, rng.uniform(0.003, 0.02), input={"sql": sql}, output={"allowed": True}
    )
    rows = rng.randint(3, 40)
    failure = 'psycopg.errors.UndefinedColumn: column "revenue_usd" does not exist'
    b.tool(
        "run-query",
        root,
        rng.uniform(0.05, 4.0),
        {"sql": sql},
        {"row_count": rows, "columns": list(schema[tables[0]])[:3]},
        failure,
    )
    if b.failure is None:
        prompt = f"Question: {question}\nSQL: {sql}\nRows returned: {rows}"
        b.answer = b.generation(
            root, "explain-result", "gpt-4o-mini", _messages(text.EXPLAIN_PROMPT, [], prompt), summary
        )
    return b.finish(root, {"sql": sql, "summary": summary})


def _summarize(b: TraceBuilder, conv: Conversation) -> Observation:
    rng = b.rng
    title, summary = conv.pick(text.DOCUMENTS)
    doc_id = f"doc-{stable_id(title, 4)}"
    root = b.open(T.CHAIN, "summarize-document", None, input={"document_id": doc_id, "title": title})
    chunks = rng.randint(2, 4)
    b.tool(
        "load-document",
        root,
        rng.uniform(0.05, 0.6),
        {"document_id": doc_id},
        {"title": title, "chunks": chunks},
        "PermissionError: the document is restricted to its owner",
    )
    if b.failure is None:
        if rng.random() < 0.2:
            b.event("input-truncated", root, input={"tokens": rng.randint(40000, 120000), "kept_tokens": 32000})
        model = "gemini-2.0-flash" if rng.random() < 0.7 else "mistral-large"
        for n in range(chunks):
            chunk = f"Summarise part {n + 1} of {chunks} of '{title}'."
            b.generation(
                root,
                "summarize-chunk",
                model,
                _messages(text.SUMMARY_PROMPT, [], chunk),
                f"Part {n + 1}: {summary}",
                context_tokens=(1500, 4000),
            )
        b.answer = b.generation(
            root,
            "combine",
            model,
            _messages(text.SUMMARY_PROMPT, [], f"Combine the {chunks} partial summaries of '{title}'."),
            summary,
        )
        b.step(
            T.GUARDRAIL,
            "pii-filter",
            root,
            rng.uniform(0.005, 0.03),
            input={"text": summary},
            output={"pii_found": False},
        )
    return b.finish(root, {"summary": summary})


def _triage(b: TraceBuilder, conv: Conversation) -> Observation:
    rng = b.rng
    ticket, category, priority = conv.pick(text.TICKETS)
    root = b.open(T.CHAIN, "triage-ticket", None, input={"ticket": ticket})
    verdict = json.dumps({"category": category, "priority": priority})
    b.generation(
        root, "classify", "orbit-7b-instruct", _messages(text.TRIAGE_PROMPT, [], ticket), verdict, out_tokens=(12, 30)
    )
    queue = f"{category}-queue"
    b.tool(
        "route-ticket",
        root,
        rng.uniform(0.02, 0.2),
        {"category": category, "priority": priority},
        {"queue": queue},
        f"KeyError: no queue configured for category '{category}'",
    )
    return b.finish(root, {"category": category, "priority": priority, "queue": queue})


@dataclass(frozen=True, slots=True)
class Agent:
    name: str
    feature: str
    weight: float  # share of conversations
    session_turns: tuple[int, int]  # turns of a multi-turn session; (1, 1) for one-shot agents
    session_share: float  # share of its conversations that are multi-turn
    chat: bool  # traces carry a session id and a user, and users rate answers
    build: Callable[[TraceBuilder, Conversation], Observation]


AGENTS = (
    Agent("support-agent", "chat", 0.30, (2, 5), 0.55, True, _support),
    Agent("research-agent", "research", 0.15, (2, 3), 0.25, True, _research),
    Agent("sql-agent", "analytics", 0.22, (1, 1), 0.0, False, _sql),
    Agent("summarizer", "summary", 0.18, (1, 1), 0.0, False, _summarize),
    Agent("triage-agent", "triage", 0.15, (1, 1), 0.0, False, _triage),
)
