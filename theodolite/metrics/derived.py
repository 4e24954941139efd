"""Metrics derived from traces as they are committed (the server's /metrics).

The writer thread calls `record()` after each commit with the committed batches; it adds numbers
to in-memory tables, so a scrape costs the same with a thousand stored spans or a billion (it
never reads the database; the database size is a file stat or one query, cached for a minute).

Labels are bounded: the fixed ones come from the catalog; trace attributes become labels only
when the `metrics_label_attributes` setting names them, and every metric has a series budget.
A new label set beyond the budget is folded into one whose values are `other`, except the
bounded labels (project, token type, status, type), and counted in
theodolite_metrics_folded_series_total.
"""

from __future__ import annotations

import bisect
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from theodolite.metrics.catalog import METRICS, MetricSpec, MetricType

SERVER_METRICS = tuple(spec for spec in METRICS if spec.emitted_by == "server")
REQUEST_DURATION = "http_server_request_duration_seconds"

OTHER = "other"
# Labels whose values are few by nature: kept when a label set is folded.
BOUNDED = frozenset({"project", "token_type", "status", "type"})
SPECS = {spec.name: spec for spec in METRICS}
TOKEN_TYPES = ("input", "output", "cache_read", "cache_write", "reasoning")  # facts.<type>_tokens
# Trace attributes that may become labels, and where a Trace object keeps them.
LABEL_SOURCES: dict[str, Callable[[Any], Any]] = {
    "user_id": lambda trace: trace.user_id,
    "session_id": lambda trace: trace.session_id,
    "environment": lambda trace: trace.environment,
    "release": lambda trace: trace.release,
}
# Scores whose value is a number on a scale (a BOOLEAN's is 1.0 or 0.0); a CATEGORICAL score's
# number, when its config gives one, is a code, not a measure.
SCORED_NUMBERS = frozenset({"NUMERIC", "BOOLEAN"})
_LABEL_NAME = re.compile(r"[^a-zA-Z0-9_]")


def label_name(attribute: str) -> str:
    """`metadata.feature` -> `feature`: a Prometheus label name."""
    name = attribute.removeprefix("metadata.")
    name = _LABEL_NAME.sub("_", name)
    return name if not name[:1].isdigit() else f"_{name}"


class DerivedMetrics:
    """Counter and histogram tables keyed by label values; thread-safe."""

    def __init__(self, label_attributes: Sequence[str] = (), series_budget: int = 10_000) -> None:
        self.label_attributes = tuple(label_attributes)
        self.extra_labels = tuple(label_name(attribute) for attribute in self.label_attributes)
        self.series_budget = series_budget
        self._lock = threading.Lock()
        self.counters: dict[str, dict[tuple[str, ...], float]] = {}
        self.histograms: dict[str, dict[tuple[str, ...], list[float]]] = {}
        self.folded: dict[str, int] = {}
        self._label_names = {spec.name: self.labels_of(spec) for spec in METRICS}
        for spec in SERVER_METRICS:
            if spec.type is MetricType.COUNTER:
                self.counters[spec.name] = {}
            elif spec.type is MetricType.HISTOGRAM:
                self.histograms[spec.name] = {}

    def labels_of(self, spec: MetricSpec) -> tuple[str, ...]:
        return spec.labels + (self.extra_labels if spec.allow_listed_labels else ())

    # --- writing (the writer thread, after a commit) -----------------------------------------
    def record(self, batches: Iterable[Any], project_name: Callable[[int], str]) -> None:
        with self._lock:
            for batch in batches:
                self._record_batch(batch, project_name(batch.project_id))

    def _record_batch(self, batch: Any, project: str) -> None:
        duplicates = batch.duplicate_ids
        traces = {trace.id: trace for trace in batch.traces} if self.label_attributes else {}
        for facts in batch.facts:
            if facts.id in duplicates:
                continue
            extra = self._extra(traces.get(facts.trace_id)) if self.label_attributes else ()
            status = "error" if facts.is_error else "ok"
            self._inc("theodolite_observations_total", (project, facts.type, status))
            if facts.is_error:
                self._inc("theodolite_errors_total", (project, facts.type, facts.model, facts.provider, facts.name))
            if facts.is_root:
                self._inc("theodolite_traces_total", (project, facts.name, status) + extra)
            if facts.is_generation:
                self._generation(facts, project, status, extra)
        for row in batch.score_rows:
            name = row.get("name") or ""
            self._inc("theodolite_scores_total", (project, name))
            if row.get("value") is not None and row.get("data_type") in SCORED_NUMBERS:
                self._observe("theodolite_score_value", (project, name, row.get("source") or ""), row["value"])
        if batch.rejections:
            self._inc("theodolite_ingest_rejected_items_total", (project,), len(batch.rejections))

    def _generation(self, facts: Any, project: str, status: str, extra: tuple[str, ...]) -> None:
        base = (project, facts.model, facts.provider, facts.name, facts.source)
        self._inc("theodolite_generations_total", base + (status,) + extra)
        if facts.duration_s is not None:
            self._observe("gen_ai_client_operation_duration_seconds", base + (status,), facts.duration_s)
        if facts.ttft_s is not None:
            self._observe("gen_ai_client_operation_time_to_first_chunk_seconds", base, facts.ttft_s)
        for token_type in TOKEN_TYPES:
            count = getattr(facts, f"{token_type}_tokens")
            if count:
                self._inc("theodolite_tokens_total", base + (token_type,) + extra, count)
                if token_type in ("input", "output"):
                    self._observe(
                        "gen_ai_client_token_usage", (project, facts.model, facts.provider, token_type), count
                    )
        if facts.cost_usd is not None:
            self._inc("theodolite_cost_usd_total", base + extra, facts.cost_usd)
        elif facts.saved_usd is not None:
            self._inc("theodolite_cost_saved_usd_total", base + extra, facts.saved_usd)
        elif facts.unpriced:
            self._inc("theodolite_generations_unpriced_total", (project, facts.model, facts.provider))

    def _extra(self, trace: Any) -> tuple[str, ...]:
        values = []
        for attribute in self.label_attributes:
            value = None
            if trace is not None:
                if attribute in LABEL_SOURCES:
                    value = LABEL_SOURCES[attribute](trace)
                elif attribute.startswith("metadata.") and trace.metadata:
                    value = trace.metadata.get(attribute.removeprefix("metadata."))
            values.append("" if value is None else str(value))
        return tuple(values)

    def _key(self, name: str, table: dict, labels: tuple[str, ...]) -> tuple[str, ...]:
        if labels in table or len(table) < self.series_budget:
            return labels
        self.folded[name] = self.folded.get(name, 0) + 1
        names = self._label_names[name]
        return tuple(value if label in BOUNDED else OTHER for label, value in zip(names, labels, strict=True))

    def _inc(self, name: str, labels: tuple[str, ...], amount: float = 1.0) -> None:
        table = self.counters[name]
        key = self._key(name, table, labels)
        table[key] = table.get(key, 0.0) + amount

    def _observe(self, name: str, labels: tuple[str, ...], value: float) -> None:
        table = self.histograms[name]
        key = self._key(name, table, labels)
        buckets = SPECS[name].buckets
        row = table.get(key)
        if row is None:
            row = table[key] = [0.0] * (len(buckets) + 2)  # per-bucket counts, then sum, then count
        index = bisect.bisect_left(buckets, value)  # the first bound >= value: Prometheus' `le`
        if index < len(buckets):
            row[index] += 1
        row[-2] += value
        row[-1] += 1

    def count_rejections(self, project: str, count: int) -> None:
        """Rejected spans of a request that had nothing to commit (so no commit counted them)."""
        with self._lock:
            self._inc("theodolite_ingest_rejected_items_total", (project,), count)

    def observe_health(self, name: str, value: float) -> None:
        with self._lock:
            self._observe(name, (), value)

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        """One answered HTTP request (the event loop, after the response was sent)."""
        with self._lock:
            self._observe(REQUEST_DURATION, (method, route, str(status)), seconds)

    # --- reading (a scrape) --------------------------------------------------------------------
    def snapshot(self) -> tuple[dict, dict, dict]:
        with self._lock:
            return ({name: dict(table) for name, table in self.counters.items()},
                    {name: {k: list(v) for k, v in table.items()} for name, table in self.histograms.items()},
                    dict(self.folded))  # fmt: skip
