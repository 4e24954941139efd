"""Every metric Theodolite's /metrics emits, and every metric an application exposes through
`theodolite.metrics` (`emitted_by="sdk"`, named with the default namespace `app`): name, type,
labels, help, unit, buckets, group.

This catalog is the one source the collectors, LLMMetrics, docs/metrics.md, the Grafana
dashboards and the alert rules are built from; tests fail when the server or LLMMetrics emits a
metric that is not here, when a metric here is never emitted, and when a dashboard or a rule
mixes the two origins in one expression (RULE below says why).

Names: the OpenTelemetry GenAI semantic conventions' metric names where they define one
(`gen_ai.client.operation.duration` -> `gen_ai_client_operation_duration_seconds`, as the OTel
Prometheus exporter renders it), otherwise `theodolite_<subsystem>_<noun>_<unit>`; counters end in
`_total`. Every metric derived from traces uses one label vocabulary (`project`, `model`,
`provider`, `name`, `source`, `status`) so that a dashboard filters all of them with the same
variables; the semconv attribute each label stands for is listed in LABELS.

Metrics marked `allow_listed_labels` also carry the trace attributes allow-listed by the
`metrics_label_attributes` setting (for example `user_id`, `feature`), after the fixed labels.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class MetricType(StrEnum):
    COUNTER = "counter"
    GAUGE = "gauge"
    HISTOGRAM = "histogram"


class MetricGroup(StrEnum):
    """Dashboard sections: how the Grafana bundle and docs/metrics.md find related metrics."""

    GENERATIONS = "generations"
    TRACES = "traces"
    TOKENS = "tokens"
    COST = "cost"
    LATENCY = "latency"
    ERRORS = "errors"
    INGEST = "ingest"
    STORAGE = "storage"
    SERVER = "server"
    APPLICATION = "application"  # HTTP, database and process of an application (theodolite.metrics)
    BUSINESS = "business"  # an application's users, questions and revenue


# Buckets the OpenTelemetry GenAI semantic conventions specify (gen-ai-metrics.md,
# ExplicitBucketBoundaries), so that our histograms line up with any OTel-instrumented app's.
OPERATION_DURATION_BUCKETS: tuple[float, ...] = (
    0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
)  # fmt: skip
TOKEN_USAGE_BUCKETS: tuple[float, ...] = (
    1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
)  # fmt: skip
# gen_ai.server.time_to_first_token's boundaries; the client-side time_to_first_chunk metric
# measures the same thing from the caller's side, which is what a trace records.
TIME_TO_FIRST_TOKEN_BUCKETS: tuple[float, ...] = (
    0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
)  # fmt: skip
# http.server.request.duration's boundaries (OpenTelemetry HTTP semantic conventions, http-metrics.md).
HTTP_SERVER_DURATION_BUCKETS: tuple[float, ...] = (
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
)  # fmt: skip
# Not semconv: HTTP and database timings of an application (theodolite.metrics).
HTTP_BUCKETS: tuple[float, ...] = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# Not semconv: requests per group-commit transaction and seconds per commit.
TRANSACTION_REQUESTS_BUCKETS: tuple[float, ...] = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)
TRANSACTION_SPANS_BUCKETS: tuple[float, ...] = (1, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10000)
COMMIT_DURATION_BUCKETS: tuple[float, ...] = (
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
)  # fmt: skip
# Not semconv: score values. Tenths over [0, 1] (similarity, pass rates, judges' probabilities;
# boolean scores as 0/1, so le="0" counts the false ones) and whole steps to 10 (1-5 and 1-10
# rating scales land exactly on a bound each): one set that serves both kinds of scale, 20 bounds.
SCORE_VALUE_BUCKETS: tuple[float, ...] = (
    0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
)  # fmt: skip

# What each label holds, and the OpenTelemetry attribute it corresponds to where there is one.
LABELS: dict[str, str] = {
    "project": "Theodolite project name (from the API key that sent the spans); in app_* metrics LLMMetrics(project=).",
    "model": "Model of the generation: gen_ai.response.model, else gen_ai.request.model; '' if unknown.",
    "provider": "gen_ai.provider.name (gen_ai.system in older conventions); '' if unknown.",
    "name": "Observation name (the feature or operation, e.g. 'summarise'); for traces the root span name; for "
    "scores the score's name.",
    "feature": "app_* metrics: the feature the application named in track_llm_call (the trace's observation name).",
    "source": "Where a generation's answer came from: provider, cache, fallback_template, fallback_hardcoded, ...; "
    "in app_questions_total where the question came from (web, mobile, ...); in theodolite_score_value who "
    "scored: API (the scores APIs, Langfuse, LangSmith) or EVAL (OTLP evaluation events).",
    "status": "'error' when the call failed (a span of level ERROR, or any status but ok/success passed to the SDK), "
    "else 'ok'; in app_http_requests_total the HTTP status code.",
    "type": "Observation type: span, generation, tool, agent, ...; in app_llm_tokens_total prompt or completion; in "
    "app_errors_total the application's error type.",
    "token_type": "input, output (semconv gen_ai.token.type), cache_read, cache_write, reasoning (parts of those).",
    "result": "hit or miss.",
    "method": "HTTP method, upper case.",
    "endpoint": "The route (a template like /users/{id}, never a raw path with ids).",
    "pool": "Database connection pool name.",
    "operation": "Database operation: select, insert, ...",
    "table": "Database table.",
    "language": "Language of a question (e.g. fr, en).",
    "plan": "Billing plan.",
    "severity": "warning, error or critical.",
    "metric": "The metric whose series budget was exceeded.",
    "reason": "Why something was rejected or failed.",
    "version": "Theodolite version.",
    "app_version": "The application's version (LLMMetrics(version=)).",
    "theodolite_version": "Theodolite version.",
    "python_version": "Python version of the application's process.",
    "http_request_method": "HTTP method (semconv http.request.method); _OTHER for methods HTTP does not define.",
    "http_route": "The route template that matched (semconv http.route), e.g. /api/v1/traces/{trace_id}; never the "
    "raw path, so it stays bounded; 'unmatched' when no route matched (404).",
    "http_response_status_code": "HTTP status code of the response (semconv http.response.status_code).",
}

DERIVED = ("project", "model", "provider", "name", "source", "status")
# The labels of an application's LLM metrics: `model` and `feature` (those of the helpers teams
# wrote by hand), and the project, provider and source of LLMMetrics / track_llm_call.
APP_LLM = ("project", "model", "provider", "feature", "source")
# The namespace of an application's metrics when LLMMetrics is given none; the catalog lists them
# with it (`app_llm_requests_total`), LLMMetrics(namespace="x") exposes `x_llm_requests_total`.
APP_NAMESPACE = "app"
# Prefixes a namespace may not take: they are the server's, and sharing them is what made one call
# count twice when a dashboard summed over every scraped job.
SERVER_PREFIXES = ("theodolite", "gen_ai")
_NAMESPACE = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")


@dataclass(frozen=True, slots=True)
class MetricSpec:
    """One metric. `name` is the exposition name of the family (counters include `_total`)."""

    name: str
    type: MetricType
    help: str
    labels: tuple[str, ...]
    group: MetricGroup
    unit: str = ""  # Prometheus/OpenMetrics unit: seconds, bytes, usd, tokens, ...; '' = a count
    buckets: tuple[float, ...] = ()
    semconv: str = ""  # the OpenTelemetry metric it implements, if any
    allow_listed_labels: bool = False  # also carries the metrics_label_attributes labels
    # "server": the server derives it; "sdk": applications expose it through theodolite.metrics, not the
    # server; "both": prometheus_client's process collector, on the server's registry and an application's.
    emitted_by: str = "server"

    @property
    def family(self) -> str:
        """The name prometheus_client uses for the family (without `_total` for counters)."""
        if self.type is MetricType.COUNTER and self.name.endswith("_total"):
            return self.name[: -len("_total")]
        return self.name

    @property
    def sample_names(self) -> tuple[str, ...]:
        """Every sample name this metric exposes (`_bucket`, `_count`, `_sum` for histograms)."""
        if self.type is MetricType.HISTOGRAM:
            return (f"{self.name}_bucket", f"{self.name}_count", f"{self.name}_sum")
        return (self.name,)


C, G, H = MetricType.COUNTER, MetricType.GAUGE, MetricType.HISTOGRAM

METRICS: tuple[MetricSpec, ...] = (
    # --- derived from committed traces -------------------------------------------------------
    MetricSpec(
        "theodolite_generations_total", C,
        "LLM generations (and embeddings) committed, by project, model, provider, name, source and status.",
        DERIVED, MetricGroup.GENERATIONS, allow_listed_labels=True,
    ),
    MetricSpec(
        "theodolite_traces_total", C,
        "Traces committed, counted once when their root span is stored.",
        ("project", "name", "status"), MetricGroup.TRACES, allow_listed_labels=True,
    ),
    MetricSpec(
        "theodolite_observations_total", C,
        "Observations (spans of every type) committed.",
        ("project", "type", "status"), MetricGroup.TRACES,
    ),
    MetricSpec(
        "theodolite_scores_total", C,
        "Scores (evaluations, user feedback) committed.",
        ("project", "name"), MetricGroup.TRACES,
    ),
    MetricSpec(
        "theodolite_score_value", H,
        "Values of the NUMERIC and BOOLEAN scores committed (BOOLEAN as 0 or 1; CATEGORICAL ones are not "
        "observed), by project, score name and source. Buckets 0, 0.1, ..., 0.9, 1 (tenths, for [0, 1] scores; "
        "le=\"0\" counts false booleans) and 2, 3, ..., 10 (each step of a 1-5 or 1-10 scale is a bound). Score "
        "names are capped by the series budget like every label.",
        ("project", "name", "source"), MetricGroup.TRACES, buckets=SCORE_VALUE_BUCKETS,
    ),
    MetricSpec(
        "theodolite_tokens_total", C,
        "Tokens used by generations, by type. cache_read/cache_write are part of input, reasoning of output.",
        ("project", "model", "provider", "name", "source", "token_type"), MetricGroup.TOKENS,
        unit="tokens", allow_listed_labels=True,
    ),
    MetricSpec(
        "gen_ai_client_token_usage", H,
        "Tokens per generation (input and output), with the OpenTelemetry GenAI buckets.",
        ("project", "model", "provider", "token_type"), MetricGroup.TOKENS,
        unit="tokens", buckets=TOKEN_USAGE_BUCKETS, semconv="gen_ai.client.token.usage",
    ),
    MetricSpec(
        "theodolite_cost_usd_total", C,
        "Cost in USD of priced provider calls (Theodolite's calculated cost; unpriced ones are not counted as $0; "
        "cache hits and fallbacks cost nothing and add nothing).",
        ("project", "model", "provider", "name", "source"), MetricGroup.COST,
        unit="usd", allow_listed_labels=True,
    ),
    MetricSpec(
        "theodolite_cost_saved_usd_total", C,
        "What the provider would have charged, in USD, for generations answered by a cache or a fallback "
        "(they cost $0: see theodolite_cost_usd_total).",
        ("project", "model", "provider", "name", "source"), MetricGroup.COST,
        unit="usd", allow_listed_labels=True,
    ),
    MetricSpec(
        "theodolite_generations_unpriced_total", C,
        "Provider calls with usage but no known price (their cost is missing from theodolite_cost_usd_total).",
        ("project", "model", "provider"), MetricGroup.COST,
    ),
    MetricSpec(
        "gen_ai_client_operation_duration_seconds", H,
        "Duration of generations, start to end, with the OpenTelemetry GenAI buckets.",
        DERIVED, MetricGroup.LATENCY,
        unit="seconds", buckets=OPERATION_DURATION_BUCKETS, semconv="gen_ai.client.operation.duration",
    ),
    MetricSpec(
        "gen_ai_client_operation_time_to_first_chunk_seconds", H,
        "Time to first token of streamed generations (completion start - start).",
        ("project", "model", "provider", "name", "source"), MetricGroup.LATENCY,
        unit="seconds", buckets=TIME_TO_FIRST_TOKEN_BUCKETS, semconv="gen_ai.client.operation.time_to_first_chunk",
    ),
    MetricSpec(
        "theodolite_errors_total", C,
        "Observations of any type committed with level ERROR.",
        ("project", "type", "model", "provider", "name"), MetricGroup.ERRORS,
    ),
    # --- Theodolite's own health -------------------------------------------------------------
    MetricSpec(
        "theodolite_ingest_queue_spans", G,
        "Spans accepted and not yet committed (requests beyond ingest_queue_max_spans get 429).",
        (), MetricGroup.INGEST, unit="spans",
    ),
    MetricSpec(
        "theodolite_ingest_queue_capacity_spans", G,
        "The ingest queue's capacity (the ingest_queue_max_spans setting).",
        (), MetricGroup.INGEST, unit="spans",
    ),
    MetricSpec(
        "theodolite_ingest_underived_spans", G,
        "SQLite: spans committed whose search documents and trace totals are not derived yet (the writer "
        "derives them after the commit; 0 when idle, bounded by derive_max_lag_s under load).",
        (), MetricGroup.INGEST, unit="spans",
    ),
    MetricSpec(
        "theodolite_ingest_committed_spans_total", C,
        "Items (spans, scores, trace parts) committed by the writer.",
        (), MetricGroup.INGEST,
    ),
    MetricSpec(
        "theodolite_ingest_transactions_total", C,
        "Writer transactions, by outcome (committed or failed).",
        ("status",), MetricGroup.INGEST,
    ),
    MetricSpec(
        "theodolite_ingest_transaction_requests", H,
        "Requests committed together in one transaction (group commit).",
        (), MetricGroup.INGEST, buckets=TRANSACTION_REQUESTS_BUCKETS,
    ),
    MetricSpec(
        "theodolite_ingest_transaction_spans", H,
        "Items committed in one transaction.",
        (), MetricGroup.INGEST, unit="spans", buckets=TRANSACTION_SPANS_BUCKETS,
    ),
    MetricSpec(
        "theodolite_ingest_commit_duration_seconds", H,
        "Time the writer spent in one successful commit.",
        (), MetricGroup.INGEST, unit="seconds", buckets=COMMIT_DURATION_BUCKETS,
    ),
    MetricSpec(
        "theodolite_ingest_overloaded_requests_total", C,
        "Requests refused with 429 because the ingest queue was full.",
        (), MetricGroup.INGEST,
    ),
    MetricSpec(
        "theodolite_ingest_rejected_items_total", C,
        "Items of committed requests that could not be stored (OTLP partial success), e.g. malformed spans.",
        ("project",), MetricGroup.INGEST,
    ),
    MetricSpec(
        "theodolite_database_size_bytes", G,
        "Size of the database (SQLite file with its WAL, or pg_database_size), cached for a minute.",
        (), MetricGroup.STORAGE, unit="bytes",
    ),
    MetricSpec(
        "http_server_request_duration_seconds", H,
        "Duration of the HTTP requests the server answered, by method, route template and status (every "
        "response: 401, 413, 415, 429 and 5xx included); its _count is the request count.",
        ("http_request_method", "http_route", "http_response_status_code"), MetricGroup.SERVER,
        unit="seconds", buckets=HTTP_SERVER_DURATION_BUCKETS, semconv="http.server.request.duration",
    ),
    MetricSpec(
        "theodolite_project_info", G,
        "Always 1, one series per project in the database (re-read every minute), from the server's start: "
        "alert rules compare it with the generation counters, which have no series until a project's first "
        "generation after a restart.",
        ("project",), MetricGroup.SERVER,
    ),
    MetricSpec(
        "theodolite_metrics_folded_series_total", C,
        "Label sets folded into 'other' because a metric reached its series budget.",
        ("metric",), MetricGroup.SERVER,
    ),
    MetricSpec(
        "theodolite_build_info", G,
        "Always 1; the Theodolite version as a label (app_version is empty: an application's is in app_system_info).",
        ("version", "app_version"), MetricGroup.SERVER,
    ),
    # --- exposed by applications through theodolite.metrics (LLMMetrics), never by the server ------
    # Named `app_*` here: `app` is LLMMetrics' default namespace, and LLMMetrics(namespace="x")
    # exposes each of these as `x_*` instead. None shares a name with a server metric, so no
    # dashboard or alert can add an application's count of a call to the server's count of it.
    MetricSpec(
        "app_llm_requests_total", C,
        "LLM calls the application tracked (track_llm_call), by model, feature, source and status (ok, error).",
        APP_LLM + ("status",), MetricGroup.GENERATIONS, emitted_by="sdk",
    ),
    MetricSpec(
        "app_llm_tokens_total", C,
        "Tokens of the application's LLM calls, by type: prompt (input) and completion (output).",
        APP_LLM + ("type",), MetricGroup.TOKENS, unit="tokens", emitted_by="sdk",
    ),
    MetricSpec(
        "app_llm_cost_usd_total", C,
        "Cost in USD of the application's LLM calls: the cost_usd it passed, else priced from the price table. "
        "A cache hit or a fallback adds $0; an unknown price adds nothing (see app_llm_requests_unpriced_total).",
        APP_LLM, MetricGroup.COST, unit="usd", emitted_by="sdk",
    ),
    MetricSpec(
        "app_llm_cost_saved_usd_total", C,
        "What the provider would have charged for the calls a cache hit or a fallback answered instead (not billed).",
        APP_LLM, MetricGroup.COST, unit="usd", emitted_by="sdk",
    ),
    MetricSpec(
        "app_llm_requests_unpriced_total", C,
        "Provider calls of the application with usage but no cost_usd and no known price.",
        ("project", "model", "provider"), MetricGroup.COST, emitted_by="sdk",
    ),
    MetricSpec(
        "app_llm_request_duration_seconds", H,
        "Duration of the application's LLM calls (the duration it passed), with the OpenTelemetry GenAI buckets.",
        APP_LLM, MetricGroup.LATENCY, unit="seconds", buckets=OPERATION_DURATION_BUCKETS, emitted_by="sdk",
    ),
    MetricSpec(
        "app_llm_active_requests", G,
        "LLM calls in flight in the application (LLMMetrics.active_generation).",
        ("project", "model"), MetricGroup.GENERATIONS, emitted_by="sdk",
    ),
    MetricSpec(
        "app_llm_cache_lookups_total", C, "Response-cache lookups of the application, by result (hit, miss).",
        ("project", "feature", "result"), MetricGroup.GENERATIONS, emitted_by="sdk",
    ),
    MetricSpec(
        "app_http_requests_total", C, "HTTP requests the application served, by method, endpoint and status code.",
        ("method", "endpoint", "status"), MetricGroup.APPLICATION, emitted_by="sdk",
    ),
    MetricSpec(
        "app_http_request_duration_seconds", H, "Duration of the HTTP requests the application served.",
        ("method", "endpoint"), MetricGroup.APPLICATION, unit="seconds", buckets=HTTP_BUCKETS, emitted_by="sdk",
    ),
    MetricSpec(
        "app_db_connections_active", G, "Database connections in use, by pool.",
        ("pool",), MetricGroup.APPLICATION, emitted_by="sdk",
    ),
    MetricSpec(
        "app_db_query_duration_seconds", H, "Duration of the application's database queries.",
        ("operation", "table"), MetricGroup.APPLICATION, unit="seconds", buckets=HTTP_BUCKETS, emitted_by="sdk",
    ),
    MetricSpec(
        "app_db_queries_total", C, "Database queries of the application, by operation, table and status (ok, error).",
        ("operation", "table", "status"), MetricGroup.APPLICATION, emitted_by="sdk",
    ),
    MetricSpec(
        "app_active_users", G, "Active users, as the application counts them.",
        (), MetricGroup.BUSINESS, emitted_by="sdk",
    ),
    MetricSpec(
        "app_questions_total", C, "Questions asked, by source (web, mobile, api, ...) and language.",
        ("source", "language"), MetricGroup.BUSINESS, emitted_by="sdk",
    ),
    MetricSpec(
        "app_revenue_usd_total", C, "Revenue in USD, by plan.",
        ("plan",), MetricGroup.BUSINESS, unit="usd", emitted_by="sdk",
    ),
    MetricSpec(
        "app_errors_total", C, "Errors of the application, by type and severity (warning, error, critical).",
        ("type", "severity"), MetricGroup.ERRORS, emitted_by="sdk",
    ),
    MetricSpec(
        "app_uptime_seconds", G, "Seconds since the application's process started.",
        (), MetricGroup.APPLICATION, unit="seconds", emitted_by="sdk",
    ),
    MetricSpec(
        "app_system_info", G, "Always 1; the application's version, Theodolite's and Python's as labels.",
        ("app_version", "theodolite_version", "python_version"), MetricGroup.APPLICATION, emitted_by="sdk",
    ),
    # prometheus_client's process collector (Linux), on the server's registry and on an application's
    MetricSpec("process_cpu_seconds_total", C, "CPU seconds of the process (user + system).",
               (), MetricGroup.SERVER, unit="seconds", emitted_by="both"),
    MetricSpec("process_resident_memory_bytes", G, "Resident memory of the process.",
               (), MetricGroup.SERVER, unit="bytes", emitted_by="both"),
    MetricSpec("process_virtual_memory_bytes", G, "Virtual memory of the process.",
               (), MetricGroup.SERVER, unit="bytes", emitted_by="both"),
    MetricSpec("process_start_time_seconds", G, "When the process started (Unix time).",
               (), MetricGroup.SERVER, unit="seconds", emitted_by="both"),
    MetricSpec("process_open_fds", G, "Open file descriptors of the process.",
               (), MetricGroup.SERVER, emitted_by="both"),
    MetricSpec("process_max_fds", G, "File descriptor limit of the process.",
               (), MetricGroup.SERVER, emitted_by="both"),
)  # fmt: skip

_BY_NAME: dict[str, MetricSpec] = {spec.name: spec for spec in METRICS}
assert len(_BY_NAME) == len(METRICS), "duplicate metric name in the catalog"


def get_metric(name: str) -> MetricSpec:
    """The catalog entry named `name` (the family name, counters with `_total`). Raises KeyError."""
    return _BY_NAME[name]


def find_metric(name: str) -> MetricSpec | None:
    """Like get_metric, but also accepts sample names (`..._bucket`, `..._count`, `..._sum`)."""
    if name in _BY_NAME:
        return _BY_NAME[name]
    for suffix in ("_bucket", "_count", "_sum"):
        if name.endswith(suffix) and (spec := _BY_NAME.get(name[: -len(suffix)])) is not None:
            if spec.type is MetricType.HISTOGRAM:
                return spec
    if name.endswith("_created"):  # prometheus_client's creation time of a counter or histogram
        base = name[: -len("_created")]
        return _BY_NAME.get(base + "_total") or _BY_NAME.get(base)
    return None


def list_metrics(group: MetricGroup | None = None) -> tuple[MetricSpec, ...]:
    """Every metric, or those of one group, in catalog order."""
    return METRICS if group is None else tuple(spec for spec in METRICS if spec.group is group)


def origin(name: str) -> str | None:
    """`server`, `sdk` or `both` (process_*, told apart by the scrape job): who exposes the metric or
    sample `name`; None if it is not in the catalog."""
    spec = find_metric(name)
    return spec.emitted_by if spec is not None else None


def check_app_namespace(namespace: str) -> str:
    """`namespace` if an application's metrics may use it, else ValueError: a Prometheus name
    prefix that is not the server's (sharing a name is what lets a sum count one call twice)."""
    if not _NAMESPACE.fullmatch(namespace) or namespace.lower().startswith(SERVER_PREFIXES):
        raise ValueError(
            f"metric namespace {namespace!r}: letters, digits and _, not starting with a digit, "
            f"nor with {' or '.join(SERVER_PREFIXES)} (the server's metrics use those names)"
        )
    return namespace


def app_metric_name(catalog_name: str, namespace: str = APP_NAMESPACE) -> str:
    """The name an application's metric has under `namespace` (`app_llm_requests_total` with
    namespace `acme` -> `acme_llm_requests_total`); process_* names are never namespaced."""
    prefix = APP_NAMESPACE + "_"
    return namespace + "_" + catalog_name[len(prefix) :] if catalog_name.startswith(prefix) else catalog_name


RULE = """## App vs server metrics: the rule

An application that uses `theodolite.metrics` (`track_llm_call`, ...) exposes its own `/metrics`,
and with tracing on the same call also reaches the server, which derives its metrics from the
trace. Both are scraped; so that no sum over every job counts one call twice, the two never share
a name:

- **The server** (`theodolite serve`) exposes `theodolite_*` and the OpenTelemetry GenAI names
  (`gen_ai_client_*`), derived from the traces it stored and priced with its price table.
- **An application** exposes `<namespace>_*`, `app_*` by default (`LLMMetrics(namespace="acme")`
  gives `acme_llm_requests_total`, ...), plus the standard `process_*`. A namespace may not start
  with `theodolite` or `gen_ai`.
- Every dashboard expression and alert rule reads metrics of one origin only (tested): a panel
  shows either what the server derived or what the application counted, never their sum. The
  server's numbers are the reference for LLM calls (one price table, every instrumentation); the
  application's are its own view, its HTTP, database and business metrics.
- Statuses are `ok` or `error` on both sides (`track_llm_call(status="success")` is `ok`, any
  other word but `ok` is `error`); dashboards and alerts select `status="error"`.

Names below are listed with the default namespace `app`."""


def catalog_markdown() -> str:
    """docs/metrics.md: `python -m theodolite.metrics.catalog > docs/metrics.md`."""
    lines = [
        "# Metrics",
        "",
        "Generated from `theodolite/metrics/catalog.py`; a test fails when the server emits a metric",
        "that is not listed here, or lists one it never emits, and when an application's exposition",
        "differs from its entries. The server's metrics are derived from traces at commit time, not",
        "by reading the database at scrape. Metrics marked with * also carry the trace attributes named",
        "by the `metrics_label_attributes` setting. (app): exposed by applications through",
        "`theodolite.metrics`, not by the server. (server and app): prometheus_client's process collector,",
        "on the server's /metrics and on an application's.",
        "",
        RULE,
        "",
        "## Every metric",
        "",
        "| metric | type | labels | unit | help |",
        "|---|---|---|---|---|",
    ]
    for spec in METRICS:
        labels = ", ".join(spec.labels) + (" *" if spec.allow_listed_labels else "")
        if spec.emitted_by == "sdk":
            labels += " (app)"
        elif spec.emitted_by == "both":
            labels += " (server and app)"
        semconv = f" (OTel `{spec.semconv}`)" if spec.semconv else ""
        lines.append(f"| `{spec.name}` | {spec.type.value} | {labels} | {spec.unit} | {spec.help}{semconv} |")
    lines += ["", "## Labels", "", "| label | meaning |", "|---|---|"]
    lines += [f"| `{name}` | {meaning} |" for name, meaning in LABELS.items()]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(catalog_markdown(), end="")
