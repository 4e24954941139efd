"""Build OTLP/HTTP protobuf request bodies that look like an LLM agent's traces.

Each trace is three spans: a root `invoke_agent` span, a `chat` generation span and an
`execute_tool` span (both children of the root), with OTel GenAI semconv attributes.
Message text is English-like prose drawn from a word list with a Zipf-like frequency, so it
compresses like real text (roughly 3-4x with zstd) rather than like random bytes (1x) or
like one repeated string (100x+), either of which would distort bytes-on-disk figures.

All bodies are built before timing starts (in a small process pool, as protobuf building
costs ~10-20 us per span), so the clients only write ready bytes to a socket.
"""

from __future__ import annotations

import functools
import json
import random
import time
from concurrent.futures import ProcessPoolExecutor

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

_WORDS = """
the of and to a in is it you that he was for on are with as I his they be at one have this from
or had by hot word but what some we can out other were all there when up use your how said an
each she which do their time if will way about many then them write would like so these her long
make thing see him two has look more day could go come did number sound no most people my over
know water than call first who may down side been now find any new work part take get place made
live where after back little only round man year came show every good me give our under name
very through just form sentence great think say help low line differ turn cause much mean before
move right boy old too same tell does set three want air well also play small end put home read
hand port large spell add even land here must big high such follow act why ask men change went
light kind off need house picture try us again animal point mother world near build self earth
father head stand own page should country found answer school grow study still learn plant cover
food sun four between state keep eye never last let thought city tree cross farm hard start might
story saw far sea draw left late run while press close night real life few north order refund
invoice customer account shipping delivery payment support ticket policy request issue product
price discount subscription report summary error status update service model answer question
document search result database query user session agent tool weather forecast booking flight
hotel meeting schedule calendar email message contract review analysis data chart revenue quarter
""".split()
# Zipf-like weights: common words much more frequent than rare ones, as in natural text.
_WEIGHTS = [1.0 / (rank + 1) ** 0.9 for rank in range(len(_WORDS))]

MODELS = [
    ("openai", "gpt-4o-mini"),
    ("openai", "gpt-4.1"),
    ("anthropic", "claude-sonnet-4"),
    ("google", "gemini-2.5-flash"),
    ("mistral_ai", "mistral-large"),
]
TOOLS = ["search_orders", "get_weather", "lookup_customer", "create_ticket", "query_database"]


class _Text:
    """Sentence pool, so per-span text is cheap to compose but still varied.

    A pool of a few thousand distinct sentences recombined at random makes every message
    unique while keeping the generator fast; repeats of a whole sentence within a
    compressor's window are rare, as in real traffic."""

    def __init__(self, rng: random.Random, pool_size: int = 4000):
        self.rng = rng
        self.pool = [self._sentence() for _ in range(pool_size)]
        self.avg = sum(map(len, self.pool)) / len(self.pool) + 1

    def _sentence(self) -> str:
        words = self.rng.choices(_WORDS, _WEIGHTS, k=self.rng.randint(6, 20))
        if len(words) > 8 and self.rng.random() < 0.4:
            words[self.rng.randint(3, len(words) - 3)] += ","
        return " ".join(words).capitalize() + self.rng.choice(".....?!")

    def text(self, approx_chars: int) -> str:
        k = max(1, round(approx_chars / self.avg))
        return " ".join(self.rng.choices(self.pool, k=k))


@functools.lru_cache(maxsize=4096)
def _kv_const(key: str, value) -> KeyValue:
    """Cached KeyValue for the few low-cardinality attributes (models, operation names...)."""
    return _kv(key, value)


def _kv(key: str, value) -> KeyValue:
    if isinstance(value, bool):
        return KeyValue(key=key, value=AnyValue(bool_value=value))
    if isinstance(value, int):
        return KeyValue(key=key, value=AnyValue(int_value=value))
    if isinstance(value, float):
        return KeyValue(key=key, value=AnyValue(double_value=value))
    return KeyValue(key=key, value=AnyValue(string_value=value))


_OK = Status(code=Status.STATUS_CODE_OK)
# Attributes whose values are (nearly) unique per span: not worth caching.
_UNIQUE = {
    "gen_ai.input.messages",
    "gen_ai.output.messages",
    "gen_ai.system_instructions",
    "gen_ai.tool.call.arguments",
    "gen_ai.tool.call.result",
    "gen_ai.tool.call.id",
    "gen_ai.response.id",
    "gen_ai.usage.input_tokens",
    "gen_ai.usage.output_tokens",
}


def _msgs(role: str, content: str) -> list[dict]:
    return [{"role": role, "parts": [{"type": "text", "content": content}]}]


def _fill_trace(spans, t: _Text, rng: random.Random, n_spans: int, t0_ns: int, user: str, session: str) -> None:
    """Append up to 3 spans (agent root, chat generation, tool) of one trace to `spans`."""
    trace_id = rng.randbytes(16)
    root_id, gen_id, tool_id = rng.randbytes(8), rng.randbytes(8), rng.randbytes(8)
    provider, model = rng.choice(MODELS)
    tool = rng.choice(TOOLS)
    question = t.text(rng.randint(400, 600))
    answer = t.text(rng.randint(500, 800))
    common = {"user.id": user, "session.id": session, "gen_ai.provider.name": provider}
    dur = rng.randint(400, 9000) * 1_000_000
    kinds = [
        # Root agent span: the user's question in, the final answer out.
        (
            "invoke_agent support-agent",
            Span.SPAN_KIND_INTERNAL,
            root_id,
            b"",
            0,
            dur,
            {
                "gen_ai.operation.name": "invoke_agent",
                "gen_ai.agent.name": "support-agent",
                "gen_ai.agent.id": "agent-7",
                "gen_ai.request.model": model,
                "gen_ai.input.messages": json.dumps(_msgs("user", question)),
                "gen_ai.output.messages": json.dumps(_msgs("assistant", answer)),
            },
        ),
        # Generation span: the 2 KB-ish span the task is about.
        (
            f"chat {model}",
            Span.SPAN_KIND_CLIENT,
            gen_id,
            root_id,
            dur // 10,
            dur // 2,
            {
                "gen_ai.operation.name": "chat",
                "gen_ai.request.model": model,
                "gen_ai.response.model": model,
                "gen_ai.request.temperature": 0.2,
                "gen_ai.request.max_tokens": 1024,
                "gen_ai.response.id": "chatcmpl-" + rng.randbytes(12).hex(),
                "gen_ai.response.finish_reasons": "stop",
                "gen_ai.usage.input_tokens": rng.randint(200, 4000),
                "gen_ai.usage.output_tokens": rng.randint(50, 900),
                "gen_ai.system_instructions": json.dumps([{"type": "text", "content": t.text(200)}]),
                "gen_ai.input.messages": json.dumps(_msgs("user", question)),
                "gen_ai.output.messages": json.dumps(_msgs("assistant", answer)),
            },
        ),
        # Tool span: JSON arguments in, a text result out.
        (
            f"execute_tool {tool}",
            Span.SPAN_KIND_INTERNAL,
            tool_id,
            root_id,
            dur // 2,
            dur * 9 // 10,
            {
                "gen_ai.operation.name": "execute_tool",
                "gen_ai.tool.name": tool,
                "gen_ai.tool.call.id": "call_" + rng.randbytes(8).hex(),
                "gen_ai.tool.call.arguments": json.dumps({"query": t.text(80), "limit": rng.randint(1, 50)}),
                "gen_ai.tool.call.result": t.text(rng.randint(1400, 1900)),
            },
        ),
    ]
    for name, kind, span_id, parent, start, end, attrs in kinds[:n_spans]:
        attrs = {**common, **attrs}
        spans.add(
            trace_id=trace_id,
            span_id=span_id,
            parent_span_id=parent,
            name=name,
            kind=kind,
            start_time_unix_nano=t0_ns + start,
            end_time_unix_nano=t0_ns + end,
            attributes=[(_kv(k, v) if k in _UNIQUE else _kv_const(k, v)) for k, v in attrs.items()],
            status=_OK,
        )


def _build_chunk(args: tuple[int, list[int], int, int]) -> list[bytes]:
    """Build one serialized ExportTraceServiceRequest per entry of `sizes` (spans each)."""
    seed, sizes, t0_ns, spread_ns = args
    rng = random.Random(seed)
    text = _Text(rng)
    out = []
    for spans_per_request in sizes:
        req = ExportTraceServiceRequest()
        rs = req.resource_spans.add()
        rs.resource.attributes.extend(
            [
                _kv("service.name", "bench-agent"),
                _kv("service.version", "1.4.2"),
                _kv("deployment.environment.name", "bench"),
            ]
        )
        ss = rs.scope_spans.add()
        ss.scope.name = "bench.ingest"
        left = spans_per_request
        while left > 0:  # whole traces; the last one may be cut short, as exporters do
            n = min(3, left)
            _fill_trace(
                ss.spans,
                text,
                rng,
                n,
                t0_ns + rng.randint(0, spread_ns),
                f"user-{rng.randint(1, 5000)}",
                f"session-{rng.randint(1, 50000)}",
            )
            left -= n
        out.append(req.SerializeToString())
    return out


def build_bodies(
    total_spans: int, spans_per_request: int, seed: int = 1, workers: int = 2, spread_s: int = 3600
) -> tuple[list[bytes], list[int]]:
    """Bodies carrying `total_spans` spans in all, each with unique trace/span ids, their traces
    starting at random within the `spread_s` seconds before now (an hour by default: a worst case
    for the minute rollups, which every step then touches all of; a live application's spans
    start within seconds of their export).

    Returns (bodies, spans in each body): every body has `spans_per_request` spans but the
    last, which has the remainder."""
    full, rest = divmod(total_spans, spans_per_request)
    sizes = [spans_per_request] * full + ([rest] if rest else [])
    t0_ns = time.time_ns() - spread_s * 1_000_000_000
    # A few big chunks per pool worker: each chunk pays for its own sentence pool.
    chunk = max(10, -(-len(sizes) // (workers * 4)))
    spread_ns = spread_s * 1_000_000_000
    jobs = [(seed * 1_000_003 + i, sizes[i : i + chunk], t0_ns, spread_ns) for i in range(0, len(sizes), chunk)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        bodies = [b for part in pool.map(_build_chunk, jobs) for b in part]
    return bodies, sizes
