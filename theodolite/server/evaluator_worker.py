"""The online evaluators' worker: a background thread of `theodolite serve` that scores production
traffic by the project's rules (`evaluation/online.py`), never on the ingest path.

Every `evaluator_poll_s`, the process holding the evaluators' lease (`process_locks.Lease`: one
among several servers on a PostgreSQL database; SQLite and embedded ClickHouse have one process)
runs a pass. Per enabled rule, it reads through `TraceQueries` the observations committed after the
rule's watermark (`committed_observations`: any trace store), leaves out the evaluators' own traffic,
samples objects deterministically (`online.sampled`), waits for a trace (or session) to be quiet
for `evaluator_settle_s`, reads it, checks the filter, evaluates (at most `evaluator_concurrency` at
once) and submits the verdicts as scores (source "EVAL", metadata naming the rule) with a trace per
judge call (a priced generation, environment "theodolite-evaluator"), through the ingest pipeline
like any client's data. Only after that commit does the rule's watermark move, and never past a
trace still waiting to settle; objects read past the watermark are remembered in memory so that a
pass does not read them again.

At most once: a score's id is derived from the rule and the object, and an object that already
holds its rule's score is not evaluated again (after a restart, or when a sibling takes the lease
over and reads again from the watermark). A trace that changes after it was judged keeps its verdict.
A failure (a judge down, a trace that cannot be read) is counted and shown in the rule's status,
and the worker goes on.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from theodolite.errors import NotFoundError, OverloadedError, TheodoliteError
from theodolite.evaluation.online import EVALUATOR_ENVIRONMENT, JudgeCall, RuleEvaluator, matches, sampled
from theodolite.evaluation.scores import EvaluationResult, InvalidScore
from theodolite.ingestion.pipeline import IngestPipeline
from theodolite.model import Batch, Level, Observation, ObservationType, Score, ScoreDataType, Trace, Usage
from theodolite.pricing import PriceOverrides
from theodolite.pricing.engine import price_observation
from theodolite.query.backend import TraceQueries
from theodolite.server.score_config_book import fit_score
from theodolite.storage.codec import ValueCodec
from theodolite.storage.engine import Database
from theodolite.storage.metadata import evaluator_rules
from theodolite.storage.metadata.evaluator_rules import Rule
from theodolite.storage.metadata.score_configs import ProjectConfigs, list_score_configs
from theodolite.storage.process_locks import Lease
from theodolite.storage.rows import prepare_batch

log = logging.getLogger(__name__)
CHUNK = 2_000  # observations read per rule and pass
SUBMIT_TIMEOUT_S = 60.0
SCORE_SOURCE = "EVAL"


def score_id(rule_id: int, key: str) -> str:
    """One score per rule and object: re-evaluating it (after a restart) replaces, never adds."""
    return f"ev{rule_id}-" + hashlib.sha256(f"{rule_id}:{key}".encode()).hexdigest()[:40]


@dataclass(slots=True)
class _Cursor:
    """A rule's reading state in memory: read up to `read`, some traces or sessions still waiting
    to settle (their first position), what the stored watermark is."""

    watermark: int
    read: int
    waiting: dict[str, int] = field(default_factory=dict)  # object key -> first position seen
    evaluator_version: Any = None
    evaluator: RuleEvaluator | None = None
    configs: ProjectConfigs | None = None  # the project's score configs, read again each step


@dataclass(slots=True)
class _Outcome:
    key: str
    state: str  # scored, failed, skipped, waiting, done (already scored)
    score: Score | None = None
    call: tuple[JudgeCall, dict[str, Any]] | None = None
    error: str | None = None


class EvaluatorWorker:
    runs_in = "thread"  # in the server's process (the API says where the rules run)
    restarts = 0

    def __init__(
        self,
        database: Database,
        queries: TraceQueries,
        pipeline: IngestPipeline,
        codec: ValueCodec,
        overrides: Callable[[int], PriceOverrides],
        lease: Lease,
        *,
        api_keys: dict[str, str],
        concurrency: int,
        settle_s: float,
        poll_s: float,
        cpu_share: float = 1.0,
        before_pass: Callable[[], object] | None = None,
    ) -> None:
        """`before_pass`: run before each pass (the server keeps SQLite's planner statistics fresh
        there: the worker's reads of new traffic scan a whole project without them)."""
        self.database, self.queries, self.pipeline, self.codec = database, queries, pipeline, codec
        self.overrides, self.lease, self.api_keys = overrides, lease, api_keys
        self.settle_s, self.poll_s = settle_s, poll_s
        self.concurrency = concurrency
        self.cpu_share = cpu_share
        self.before_pass = before_pass
        self._cursors: dict[int, _Cursor] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="theodolite-evaluators", daemon=True)
        self._pool: ThreadPoolExecutor | None = None
        self._cpu_s = 0.0  # CPU time of the evaluations of the step under way
        self.holds_lease = False  # whether this process runs the rules (a sibling does otherwise)

    def start(self) -> None:
        self._pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="theodolite-evaluate")
        self._thread.start()

    def stop(self, timeout_s: float = 30.0) -> None:
        """Finish the pass under way (its verdicts are committed), then stop and give the lease up."""
        self._stop.set()
        self._thread.join(timeout_s)
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        if not self._thread.is_alive():
            self.lease.release()
            self.holds_lease = False

    def _run(self) -> None:
        while not self._stop.wait(self.poll_s):
            try:
                self.holds_lease = self.lease.acquire()
                if not self.holds_lease:
                    self._cursors.clear()  # a sibling runs the rules: read again from the stored watermarks
                    continue
                if self.before_pass is not None:
                    self.before_pass()
                self.run_pass()
            except Exception:  # noqa: BLE001 - the worker must never take the server down
                log.exception("online evaluators: pass failed")

    def run_pass(self) -> None:
        rules = evaluator_rules.enabled_rules(self.database)
        live = {rule.id for rule in rules}
        for gone in set(self._cursors) - live:
            del self._cursors[gone]
        for rule in rules:
            if self._stop.is_set():
                return
            try:
                while self._budgeted(rule) and not self._stop.is_set():
                    rule = evaluator_rules.get_rule(self.database, rule.project_id, rule.id)
            except NotFoundError:
                continue  # deleted meanwhile
            except Exception as exc:  # noqa: BLE001 - one rule's failure must not stop the others
                log.warning("online evaluator rule %s: %s", rule.id, exc)
                self._cursors.pop(rule.id, None)  # read again from the stored watermark
                try:
                    evaluator_rules.record_error(self.database, rule.id, f"{type(exc).__name__}: {exc}")
                except Exception:  # noqa: BLE001
                    log.exception("online evaluators: cannot record a failure")

    def _budgeted(self, rule: Rule) -> bool:
        """`_run_rule`, then a pause that keeps the worker's CPU time (its thread's and its
        evaluations') within `cpu_share` of the time: the ingest path shares the interpreter (the
        GIL) and the cores with it, and verdicts can wait where requests cannot."""
        self._cpu_s = 0.0
        started = time.thread_time()
        more = self._run_rule(rule)
        used = self._cpu_s + time.thread_time() - started
        if self.cpu_share < 1.0 and used > 0:
            self._stop.wait(used * (1.0 / self.cpu_share - 1.0))
        return more

    # --- one rule -----------------------------------------------------------------------------
    def _cursor(self, rule: Rule) -> _Cursor:
        cursor = self._cursors.get(rule.id)
        if cursor is None or cursor.watermark < rule.progress.watermark:
            cursor = _Cursor(rule.progress.watermark, rule.progress.watermark)
            self._cursors[rule.id] = cursor
        version = (rule.updated_at, rule.evaluator)
        if cursor.evaluator is None or cursor.evaluator_version != version:
            cursor.evaluator = RuleEvaluator(rule.evaluator, self.api_keys)
            cursor.evaluator_version = version
        return cursor

    def _run_rule(self, rule: Rule) -> bool:
        """One step of a rule: read a chunk, evaluate what is due, commit, move the watermark.
        True when a full chunk was read (more is waiting: go on at once)."""
        today = datetime.now(UTC).date().isoformat()
        limit = rule.daily_cost_limit
        if limit is not None and rule.progress.spent_on(today) >= limit:
            return False  # the day's budget is spent: nothing is read until tomorrow (UTC) or a higher limit
        cursor = self._cursor(rule)
        cursor.configs = ProjectConfigs.of(list_score_configs(self.database, rule.project_id))
        # Read up to `top`, taken before the read: every commit at or below it shows in the read
        # (ClickHouse's is a few seconds back from its clock, for inserts still in flight). What is
        # above it is read again next time.
        top = self.queries.commit_position()
        rows = self.queries.committed_observations(rule.project_id, cursor.read, limit=CHUNK)
        full = len(rows) >= CHUNK
        kept = [row for row in rows if row["position"] <= top]
        if full and len(kept) == len(rows):
            head = rows[-1]["position"]  # more to read after this chunk
        else:
            head = max(cursor.read, top)  # everything up to top was in this read (other projects' too)
            full = False
        rows = kept
        # Keys of the new objects, each with its first position in this chunk
        fresh: dict[str, tuple[int, dict[str, Any]]] = {}
        for row in rows:
            if row["environment"] == EVALUATOR_ENVIRONMENT:
                continue
            key = f"{row['trace_id']}/{row['observation_id']}" if rule.scope == "observation" else row["trace_id"]
            if key not in fresh and key not in cursor.waiting:
                fresh[key] = (row["position"], row)
        sampled_keys: list[tuple[str, int, dict[str, Any]]] = []
        skipped = 0
        for key, (position, row) in fresh.items():
            # sessions are sampled by session id, known once the trace is read
            if rule.scope == "session" or sampled(rule.id, key, rule.sampling_rate):
                sampled_keys.append((key, position, row))
            else:
                skipped += 1
        due = [(key, position, {"trace_id": key}) for key, position in cursor.waiting.items()]
        due += [(key, position, row) for key, position, row in sampled_keys]
        assert cursor.evaluator is not None
        evaluator = cursor.evaluator
        cpu_lock = threading.Lock()

        def timed(item: tuple[str, int, dict[str, Any]]) -> _Outcome:
            begun = time.thread_time()
            try:
                return self._evaluate(rule, evaluator, item[0], item[2], claim)
            finally:
                with cpu_lock:
                    self._cpu_s += time.thread_time() - begun

        claimed: set[str] = set()  # sessions taken in this pass: two of a session's traces lead to it once
        lock = threading.Lock()

        def claim(key: str) -> bool:
            with lock:
                if key in claimed:
                    return False
                claimed.add(key)
                return True

        outcomes, batch, cost = self._evaluate_within_budget(rule, due, timed, limit, rule.progress.spent_on(today))
        waiting: dict[str, int] = {}
        for (_, position, _), outcome in zip(due, outcomes, strict=True):
            if outcome.state == "waiting":  # a session's key is its session, whichever trace led to it
                waiting[outcome.key] = min(position, waiting.get(outcome.key, position))
        scored = [o for o in outcomes if o.state == "scored"]
        failed = [o for o in outcomes if o.state == "failed"]
        skipped += sum(1 for o in outcomes if o.state == "skipped")
        batch.scores = [o.score for o in scored if o.score is not None]
        if batch.size():  # its judge calls are priced already
            self._submit(prepare_batch(rule.project_id, batch, self.codec, datetime.now(UTC)))
        # committed: the watermark may pass everything but what still waits to settle
        watermark = min(waiting.values()) - 1 if waiting else head
        watermark = max(watermark, cursor.watermark)
        error = failed[-1].error if failed else None
        processed = len(scored) + len(failed) + skipped
        first = rule.progress.last_run_at is None
        if processed or watermark != cursor.watermark or head != rule.progress.head or error or first:
            evaluator_rules.record_pass(self.database, rule.id, watermark=watermark, head=max(head, rule.progress.head),
                                        processed=processed, scored=len(scored), failed=len(failed), skipped=skipped,
                                        error=error, cost=cost)  # fmt: skip
        cursor.watermark, cursor.read, cursor.waiting = watermark, head, waiting
        return full

    def _evaluate_within_budget(
        self,
        rule: Rule,
        due: list[tuple[str, int, dict[str, Any]]],
        evaluate: Callable[[Any], _Outcome],
        limit: Decimal | None,
        spent: Decimal,
    ) -> tuple[list[_Outcome], Batch, Decimal]:
        """Evaluate `due` (at most `concurrency` at once), each judge call's trace added to a batch
        and priced: (outcomes in `due`'s order, the batch, what the calls cost). Under a cost limit a
        few at a time, stopping where the day's spend reaches it (overshooting by one step at most):
        the rest waits, the watermark staying before it, for the next UTC day or a higher limit."""
        assert self._pool is not None
        overrides = self.overrides(rule.project_id)
        outcomes: list[_Outcome] = []
        batch, cost = Batch(), Decimal(0)
        step = max(1, len(due) if limit is None else 2 * self.concurrency)
        for start in range(0, len(due), step):
            if limit is not None and spent + cost >= limit:
                outcomes += [_Outcome(key, "waiting") for key, _, _ in due[start:]]
                break
            for outcome in self._pool.map(evaluate, due[start : start + step]):
                if outcome.call is not None:
                    judged = self._add_judge_trace(batch, rule, *outcome.call)
                    price_observation(judged, overrides)
                    cost += judged.cost.calculated_total or 0  # an unpriced judge model counts as $0
                outcomes.append(outcome)
        return outcomes, batch, cost

    def _submit(self, work: Any) -> None:
        """Into the ingest pipeline, waiting out a full queue (as a client would after a 429) rather
        than judging again: a verdict already paid for is worth the wait."""
        deadline = time.monotonic() + SUBMIT_TIMEOUT_S
        while True:
            try:
                self.pipeline.submit_blocking(work, SUBMIT_TIMEOUT_S)
                return
            except OverloadedError as exc:
                if time.monotonic() + exc.retry_after_s > deadline or self._stop.is_set():
                    raise
                self._stop.wait(exc.retry_after_s)

    def _evaluate(
        self, rule: Rule, evaluator: RuleEvaluator, key: str, row: dict[str, Any], claim: Callable[[str], bool]
    ) -> _Outcome:
        try:
            if rule.scope == "session":
                return self._evaluate_session(rule, evaluator, key, claim)
            trace_id = row["trace_id"] if rule.scope == "trace" else key.split("/", 1)[0]
            trace = self.queries.get_trace(rule.project_id, trace_id)
            if trace.get("environment") == EVALUATOR_ENVIRONMENT:
                return _Outcome(key, "skipped")
            sid = score_id(rule.id, key)
            if any(score.get("id") == sid for score in trace.get("scores") or ()):
                return _Outcome(key, "done")  # judged before a restart or by a sibling
            observations = list(_walk(trace.get("observations") or ()))
            if rule.scope == "trace":
                if not self._settled(observations):
                    return _Outcome(key, "waiting")
                if not matches(rule.filter, _trace_item(trace, observations)):
                    return _Outcome(key, "skipped")
                root = _root(trace, observations)
                target = {"trace_id": trace_id}
                source = root or {}
            else:
                observation_id = key.split("/", 1)[1]
                source = next((o for o in observations if o.get("id") == observation_id), None)
                if source is None:
                    return _Outcome(key, "skipped")
                if not matches(rule.filter, _observation_item(trace, source)):
                    return _Outcome(key, "skipped")
                target = {"trace_id": trace_id, "observation_id": observation_id}
            metadata = _trace_metadata(trace) | ({"observation": _brief(source)} if rule.scope == "observation" else {})
            result, call = evaluator.evaluate(source.get("output"), source.get("input"), metadata)
            return self._outcome(rule, key, sid, target, result, call)
        except NotFoundError:
            return _Outcome(key, "waiting")  # committed but not readable yet (a ClickHouse replica behind)
        except TheodoliteError as exc:
            return _Outcome(key, "failed", error=f"{type(exc).__name__}: {exc}")

    def _evaluate_session(
        self, rule: Rule, evaluator: RuleEvaluator, key: str, claim: Callable[[str], bool]
    ) -> _Outcome:
        if key.startswith("session:"):
            session_id = key[len("session:") :]
        else:  # a trace read from the feed: its session is the object
            trace = self.queries.get_trace(rule.project_id, key)
            session_id = trace.get("session_id")
            if not session_id or trace.get("environment") == EVALUATOR_ENVIRONMENT:
                return _Outcome(key, "skipped")
            if not sampled(rule.id, f"session:{session_id}", rule.sampling_rate):
                return _Outcome(key, "skipped")
            key = f"session:{session_id}"
        if not claim(key):
            return _Outcome(key, "done")
        session = self.queries.get_session(rule.project_id, session_id, limit=100, cursor=None)
        traces = [self.queries.get_trace(rule.project_id, turn["trace_id"]) for turn in session.get("turns") or ()]
        traces = [t for t in traces if t.get("environment") != EVALUATOR_ENVIRONMENT]
        if not traces:
            return _Outcome(key, "skipped")
        observations = [o for trace in traces for o in _walk(trace.get("observations") or ())]
        if not self._settled(observations):
            return _Outcome(key, "waiting")
        if not any(matches(rule.filter, _trace_item(t, list(_walk(t.get("observations") or ())))) for t in traces):
            return _Outcome(key, "skipped")
        roots = [_root(t, list(_walk(t.get("observations") or ()))) or {} for t in traces]
        metadata = {"session_id": session_id, "traces": [_trace_metadata(t) for t in traces]}
        result, call = evaluator.evaluate([r.get("output") for r in roots], [r.get("input") for r in roots], metadata)
        return self._outcome(rule, key, score_id(rule.id, key), {"session_id": session_id}, result, call)

    def _settled(self, observations: list[dict[str, Any]]) -> bool:
        if not observations:
            return False
        last = max((o.get("end_time") or o.get("start_time")) for o in observations)
        if isinstance(last, str):
            last = datetime.fromisoformat(last)
        return datetime.now(UTC) - last >= timedelta(seconds=self.settle_s)

    def _outcome(
        self, rule: Rule, key: str, sid: str, target: dict[str, Any], result: EvaluationResult, call: JudgeCall | None
    ) -> _Outcome:
        judge_trace_id = uuid.uuid4().hex if call is not None else None
        recorded = (call, {"trace_id": judge_trace_id, "target": target}) if call is not None else None
        if not result.ok or result.value is None:
            return _Outcome(key, "failed", call=recorded, error=result.error)
        metadata: dict[str, Any] = {"rule": rule.name, "rule_id": rule.id, **(result.metadata or {})}
        if call is not None:
            metadata["judge_trace_id"] = judge_trace_id
            metadata["evaluator_usage"] = call.usage.to_dict()
        value = result.value
        if isinstance(value, bool):
            number, text, kind = float(value), None, ScoreDataType.BOOLEAN
        elif isinstance(value, str):
            number, text, kind = None, value, ScoreDataType.CATEGORICAL
        else:
            number, text, kind = float(value), None, ScoreDataType.NUMERIC
        score = Score(
            id=sid, trace_id=target.get("trace_id"), name=result.name, timestamp=datetime.now(UTC), value=number,
            string_value=text, data_type=kind, observation_id=target.get("observation_id"),
            session_id=target.get("session_id"), comment=result.comment, source=SCORE_SOURCE, metadata=metadata,
        )  # fmt: skip
        configs = self._cursors[rule.id].configs
        if configs is not None:
            try:  # as any score the server takes: the project's config of its name checks and completes it
                fit_score(configs, score)
            except InvalidScore as exc:
                return _Outcome(key, "failed", call=recorded, error=f"the verdict does not fit: {exc}")
        return _Outcome(key, "scored", score=score, call=recorded)

    def _add_judge_trace(self, batch: Batch, rule: Rule, call: JudgeCall, about: dict[str, Any]) -> Observation:
        """The judge's call as a trace of its own: one generation with the messages, the reply and
        the tokens, priced by the pipeline's pricing as any generation is."""
        end = datetime.now(UTC)
        start = end - timedelta(seconds=call.usage.duration_s or 0.0)
        trace_id, span_id = about["trace_id"], uuid.uuid4().hex[:16]
        usage = call.usage
        target = about["target"]
        metadata = {"rule": rule.name, "rule_id": rule.id, **{f"evaluated_{k}": v for k, v in target.items()}}
        batch.traces.append(Trace(
            id=trace_id, timestamp=start, name=f"evaluator: {rule.name}", tags=["theodolite-evaluator"],
            metadata=metadata, environment=EVALUATOR_ENVIRONMENT, is_root_seen=True, root_observation_id=span_id,
        ))  # fmt: skip
        judged = Observation(
            id=span_id, trace_id=trace_id, start_time=start, end_time=end, type=ObservationType.GENERATION,
            name="judge", model=usage.model, request_model=usage.model, input=call.messages, output=call.reply,
            usage=Usage(usage.prompt_tokens, usage.completion_tokens, usage.total_tokens).completed(),
            level=Level.ERROR if call.error else Level.DEFAULT, status_message=call.error,
            metadata={"attempts": usage.attempts}, environment=EVALUATOR_ENVIRONMENT,
        )  # fmt: skip
        batch.observations.append(judged)
        return judged


def _walk(nodes: Iterable[dict[str, Any]]) -> Iterable[dict[str, Any]]:
    for node in nodes:
        yield node
        yield from _walk(node.get("children") or ())


def _root(trace: dict[str, Any], observations: list[dict[str, Any]]) -> dict[str, Any] | None:
    root_id = trace.get("root_observation_id")
    for observation in observations:
        if observation.get("id") == root_id:
            return observation
    roots = trace.get("observations") or []
    return roots[0] if roots else None


def _trace_item(trace: dict[str, Any], observations: list[dict[str, Any]]) -> dict[str, Any]:
    models = {o.get(k) for o in observations for k in ("model", "request_model") if o.get(k)}
    return {**{k: trace.get(k) for k in ("name", "tags", "environment", "release", "version", "user_id")},
            "models": models}  # fmt: skip


def _observation_item(trace: dict[str, Any], observation: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": observation.get("name"), "type": observation.get("type"), "tags": trace.get("tags"),
        "environment": observation.get("environment") or trace.get("environment"), "release": trace.get("release"),
        "version": observation.get("version") or trace.get("version"), "user_id": trace.get("user_id"),
        "models": {observation.get(k) for k in ("model", "request_model") if observation.get(k)},
    }  # fmt: skip


def _trace_metadata(trace: dict[str, Any]) -> dict[str, Any]:
    fields = ("name", "user_id", "session_id", "tags", "environment", "release", "version", "metadata")
    return {"trace_id": trace.get("id"), **{k: trace.get(k) for k in fields}}


def _brief(observation: dict[str, Any]) -> dict[str, Any]:
    return {k: observation.get(k) for k in ("id", "name", "type", "model", "metadata")}
