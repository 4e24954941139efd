"""Days of plausible LLM-application traffic as canonical Batches, for `theodolite demo`.

Pure: the caller passes `now` and a seeded `random.Random`; nothing here reads the clock or does
I/O. Ids are hashes of (a salt drawn from the seed, day, conversation, position), never draws, so
the same seed gives the same ids whatever `now` is and however many draws each trace makes:
re-running the demo stores nothing twice.

The traffic follows a daily cycle (busier in working hours), is spread over five agents (see
`agents`), about forty users with a few heavy ones, multi-turn sessions, tags, a release switch
half-way through, and user-feedback and judge scores.
"""

from __future__ import annotations

import bisect
import random
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import chain

from theodolite.demo import content as text
from theodolite.demo.agents import AGENTS, ENVIRONMENT, RELEASES, Agent, Conversation, TraceBuilder, stable_id
from theodolite.model import Batch, Observation, Score, ScoreDataType, Trace

DAY = timedelta(days=1)
EVAL_RATE = 0.05  # conversations that are offline evaluation runs, not users
USERS = tuple(f"user-{n:03d}" for n in range(1, 41))
USER_WEIGHTS = tuple(1 / n**0.8 for n in range(1, 41))  # a few heavy users and a long tail
BETA_USERS = frozenset(USERS[::6])
# Relative traffic per UTC hour: quiet nights, a morning ramp, a lunch dip, an afternoon peak.
HOURLY_WEIGHT = (
    0.12, 0.08, 0.06, 0.06, 0.08, 0.12, 0.25, 0.5, 0.85, 1.0, 1.0, 0.95,
    0.7, 0.8, 1.0, 1.0, 0.95, 0.8, 0.55, 0.4, 0.32, 0.26, 0.2, 0.15,
)  # fmt: skip


def _day_sampler(day_start: datetime) -> Callable[[float], datetime]:
    """Maps u in [0, 1) to an instant of the 24 h from `day_start`, busier in working hours."""
    # Cut at clock-hour boundaries so the weights follow the clock, whatever time `now` is.
    edges = [day_start]
    tick = day_start.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    while tick < day_start + DAY:
        edges.append(tick)
        tick += timedelta(hours=1)
    edges.append(day_start + DAY)
    cumulative: list[float] = []
    total = 0.0
    for lo, hi in zip(edges, edges[1:], strict=False):
        total += HOURLY_WEIGHT[lo.hour] * (hi - lo).total_seconds()
        cumulative.append(total)

    def at(u: float) -> datetime:
        x = u * total
        i = min(bisect.bisect_right(cumulative, x), len(cumulative) - 1)
        below = cumulative[i - 1] if i else 0.0
        return edges[i] + (edges[i + 1] - edges[i]) * ((x - below) / (cumulative[i] - below))

    return at


@dataclass(frozen=True, slots=True)
class _Plan:
    """A conversation before it is built: cheap to hold for a whole day, so it can be sorted."""

    start: datetime
    key: str
    agent: Agent
    turns: int


def _plan_day(salt: str, day: int, day_start: datetime, traces: int) -> list[_Plan]:
    at = _day_sampler(day_start)
    plans: list[_Plan] = []
    n = 0
    while traces > 0:
        key = f"{salt}/{day}/{n}"
        # Planning and building draw from separate generators so neither shifts the other.
        rng = random.Random(key + "/plan")
        agent = rng.choices(AGENTS, [a.weight for a in AGENTS])[0]
        turns = rng.randint(*agent.session_turns) if rng.random() < agent.session_share else 1
        turns = min(turns, traces)
        plans.append(_Plan(at(rng.random()), key, agent, turns))
        traces -= turns
        n += 1
    plans.sort(key=lambda p: (p.start, p.key))
    return plans


def _scores(b: TraceBuilder, trace: Trace, agent: Agent, evaluated: bool, root: Observation) -> list[Score]:
    rng, end, scores = b.rng, root.end_time or root.start_time, []
    if agent.chat and not evaluated and rng.random() < 0.25:
        happy = rng.random() < (0.35 if b.failure or b.degraded else 0.85)
        comment = rng.choice(text.FEEDBACK[happy]) if rng.random() < 0.3 else None
        scores.append(
            Score(
                id=stable_id(f"{b.key}/user-feedback", 16),
                trace_id=trace.id,
                name="user-feedback",
                timestamp=end + timedelta(seconds=rng.uniform(5, 600)),
                value=1.0 if happy else 0.0,
                string_value=str(happy),
                data_type=ScoreDataType.BOOLEAN,
                comment=comment,
            )
        )
    if b.answer is not None and (evaluated or rng.random() < 0.2):
        quality = rng.betavariate(6, 1.5) * (0.5 if b.degraded else 1.0)
        scores.append(
            Score(
                id=stable_id(f"{b.key}/relevance", 16),
                trace_id=trace.id,
                observation_id=b.answer.id,
                name="relevance",
                timestamp=end + timedelta(seconds=rng.uniform(30, 300)),
                value=round(quality, 2),
                comment="LLM judge (gpt-4o-mini)",
                source="EVAL",
            )
        )
    return scores


def _build(plan: _Plan, midpoint: datetime) -> tuple[list[Trace], list[Observation], list[Score]]:
    rng = random.Random(plan.key + "/build")
    evaluated = rng.random() < EVAL_RATE
    user = None if evaluated or plan.agent.name == "triage-agent" else rng.choices(USERS, USER_WEIGHTS)[0]
    tags = ["eval"] if evaluated else ["prod", "beta"] if user in BETA_USERS else ["prod"]
    session = f"sess-{stable_id(plan.key, 6)}" if plan.agent.chat and not evaluated else None
    conversation = Conversation(rng.random())
    traces: list[Trace] = []
    observations: list[Observation] = []
    scores: list[Score] = []
    cursor = plan.start
    for turn in range(plan.turns):
        release = RELEASES[cursor >= midpoint]
        builder = TraceBuilder(f"{plan.key}/{turn}", rng, cursor, release)
        root = plan.agent.build(builder, conversation)
        trace = Trace(
            id=builder.trace_id,
            timestamp=root.start_time,
            name=root.name,
            user_id=user,
            session_id=session,
            tags=list(tags),
            metadata={"agent": plan.agent.name, "feature": plan.agent.feature},
            release=release,
            version=release,
            environment=ENVIRONMENT,
            is_root_seen=True,
            root_observation_id=root.id,
        )
        traces.append(trace)
        observations += builder.observations
        scores += _scores(builder, trace, plan.agent, evaluated, root)
        cursor = (root.end_time or root.start_time) + timedelta(seconds=rng.uniform(15, 180))  # reading, typing
    return traces, observations, scores


def _shift_back(parts: tuple[list[Trace], list[Observation], list[Score]], now: datetime) -> None:
    """Move a conversation that would run past `now` back so that it ends by `now`."""
    traces, observations, scores = parts
    latest = max(
        [o.end_time or o.start_time for o in observations]
        + [s.timestamp for s in scores]
        + [t.timestamp for t in traces]
    )
    if latest <= now:
        return
    delta = latest - now
    for trace in traces:
        trace.timestamp -= delta
    for obs in observations:
        obs.start_time -= delta
        obs.end_time = obs.end_time - delta if obs.end_time else None
        obs.completion_start_time = obs.completion_start_time - delta if obs.completion_start_time else None
    for score in scores:
        score.timestamp -= delta


@dataclass(frozen=True, slots=True)
class TrafficPart:
    """A slice of one day's conversations (by their order in the day's plan): what one process can
    generate alone, with the same ids and times as `generate_traffic`. Picklable."""

    salt: str
    day: int
    day_start: datetime
    traces_per_day: int
    midpoint: datetime
    now: datetime
    first: int
    stop: int  # conversations [first, stop) of the day's plan; a bound past the end is fine


def traffic_parts(
    now: datetime, rng: random.Random, *, days: int = 7, traces_per_day: int = 400, parts_per_day: int = 1
) -> list[TrafficPart]:
    """The `days` before `now`, oldest first, each day cut into `parts_per_day` slices of its
    conversations (a conversation has one or more traces: a day has at most `traces_per_day`)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware (UTC)")
    salt = f"{rng.getrandbits(64):016x}"
    first_day = now - days * DAY
    midpoint = now - days * DAY / 2
    size = -(-traces_per_day // parts_per_day)
    return [
        TrafficPart(salt, day, first_day + day * DAY, traces_per_day, midpoint, now, first, first + size)
        for day in range(days)
        for first in range(0, traces_per_day, size)
    ]


def generate_part(part: TrafficPart, traces_per_batch: int = 50) -> Iterator[Batch]:
    """Batches of about `traces_per_batch` traces of one part (its last one may be smaller)."""
    return _batched(_conversations(part), traces_per_batch)


def _conversations(part: TrafficPart) -> Iterator[tuple[list[Trace], list[Observation], list[Score]]]:
    for plan in _day_plans(part.salt, part.day, part.day_start, part.traces_per_day)[part.first : part.stop]:
        parts = _build(plan, part.midpoint)
        _shift_back(parts, part.now)
        yield parts


def _batched(
    conversations: Iterable[tuple[list[Trace], list[Observation], list[Score]]], traces_per_batch: int
) -> Iterator[Batch]:
    """A session's turns stay in one batch, with each trace's part next to its observations."""
    batch = Batch()
    for traces, observations, scores in conversations:
        batch.traces += traces
        batch.observations += observations
        batch.scores += scores
        if len(batch.traces) >= traces_per_batch:
            yield batch
            batch = Batch()
    if batch.traces:
        yield batch


_PLANNED: dict[tuple[str, int, datetime, int], list[_Plan]] = {}


def _day_plans(salt: str, day: int, day_start: datetime, traces: int) -> list[_Plan]:
    """`_plan_day`, kept for the last day asked: a day's parts come one after another."""
    key = (salt, day, day_start, traces)
    plans = _PLANNED.get(key)
    if plans is None:
        _PLANNED.clear()
        plans = _PLANNED[key] = _plan_day(salt, day, day_start, traces)
    return plans


def generate_traffic(
    now: datetime, rng: random.Random, *, days: int = 7, traces_per_day: int = 400, traces_per_batch: int = 50
) -> Iterator[Batch]:
    """Yield Batches of about `traces_per_batch` traces covering the `days` before `now`, oldest first.

    Exactly `days * traces_per_day` traces. A session's turns stay in one batch, with each trace's
    part next to its observations. Memory holds one day's plans and one batch.
    """
    parts = traffic_parts(now, rng, days=days, traces_per_day=traces_per_day)
    yield from _batched(chain.from_iterable(_conversations(part) for part in parts), traces_per_batch)


def live_batch(now: datetime, rng: random.Random, traces: int = 3) -> Batch:
    """A few traces that end at `now`: what `theodolite demo` keeps sending while it serves, so
    that /metrics and the Prometheus dashboards have live data. Pure."""
    batch = next(generate_traffic(now, rng, days=1, traces_per_day=traces, traces_per_batch=traces))
    moments = [o.end_time or o.start_time for o in batch.observations] + [t.timestamp for t in batch.traces]
    delta = now - max(moments)
    for trace in batch.traces:
        trace.timestamp += delta
    for obs in batch.observations:
        obs.start_time += delta
        obs.end_time = obs.end_time + delta if obs.end_time else None
        obs.completion_start_time = obs.completion_start_time + delta if obs.completion_start_time else None
    for score in batch.scores:
        score.timestamp += delta
    return batch
