"""The ClickHouse trace store's DDL: pure functions returning SQL statements, for one node or a cluster.

What is stored follows `storage/tables.py` (traces, observations with their payloads, scores, per-trace
totals, rollups), shaped for a column store rather than copied:

- MergeTree tables ordered for the reads, (project, day, trace or id): a project's time range is one
  range of the primary index, and the rows of one trace are next to each other. The day, not the
  timestamp, leads after the project so that the key of a row is stable under small time moves and
  a trace's spans still sort together. Lookups by trace id without a time (scores, a trace's spans
  that started the next day) use a bloom-filter skip index.
- `LowCardinality(String)` for dimensions (type, name, model, provider, level, environment, release,
  ...): a dictionary per part, so filters and GROUP BY compare small integers. An absent dimension
  is '' (no Nullable: a null map per column costs reads and cannot be in a key).
- Payloads (input, output, leftover attributes) and other JSON text in their own columns with ZSTD:
  a column store reads only the columns a query names, so lists and aggregates never touch them.
- PARTITION BY month: retention drops whole parts, and a partition is the unit of detach/backup.
- Re-sends and updates: `ReplacingMergeTree(row_version, is_deleted)`. `row_version` is the ingest
  time in nanoseconds; merges keep the highest version of each sorting key, and a read that must not
  see duplicates before the merges ran uses `FINAL` (or argMax by row_version).
- Rollups are materialised views over observation inserts. A view sees inserts, not the replaced
  state, so every observation row carries `sign`: the writer sends an update as the stored row again
  with sign -1 and is_deleted 1 (at row_version - 1) followed by the new row with sign +1, and a
  delete as that cancelling row alone. Views sum `sign * value`, so counts and sums stay exact;
  `FINAL` reads drop the cancelling row (a deleted key, or a lower version than the new row).
- Percentiles: `quantileDD` states (DDSketch, logarithmic buckets, within 1 % of the exact value: the
  parameter is 0.003, since ClickHouse's sketch errs by up to three times it; the SQL rollups keep
  the same kind of sketch) that merge from minutes to any range. Unlike t-digest its error has a bound
  that holds for any distribution; unlike the sums it cannot take a value away, so the sketches count
  only sign +1 rows (an update leaves its superseded value in them: a small, stated bias).

`schema_statements(database)` is the single-node schema; with `cluster=` every statement is
`ON CLUSTER`, tables are `<name>_local` on `ReplicatedMergeTree` engines, and a `Distributed` table
under the plain name shards by `cityHash64(trace_id)` (a trace's spans, scores and totals on one shard),
so readers and writers name the same tables in both modes.
"""

from __future__ import annotations

from collections.abc import Iterable

# Per-call costs: 12 decimals like the SQL `Money` columns; sums are Decimal(38, 12) (no rounding).
MONEY = "Decimal(18, 12)"
MONEY_SUM = "Decimal(38, 12)"
TIME = "DateTime64(6, 'UTC')"
# Percentile sketches: DDSketch with 1 % relative accuracy. The level (0.5) is only part of the type:
# a read merges with any levels, `quantilesDDMerge(0.003, 0.5, 0.95, 0.99)(latency_ms_q)`.
# ClickHouse's quantileDD(a) errs by up to about 3a, not a (measured on 26.9: 3.0 % at a = 0.01, 1.5 %
# at 0.005, 0.90 % at 0.003 over 100,000 log-spaced values; tests/db/test_clickhouse_queries.py
# checks it): the parameter is 0.003 so that every estimate is within SKETCH_RELATIVE_ERROR, 1 %.
SKETCH_ACCURACY = 0.003
SKETCH = f"AggregateFunction(quantileDD({SKETCH_ACCURACY}, 0.5), Float64)"
SKETCH_RELATIVE_ERROR = 0.01
# ZSTD(3) for text that is read rarely and big (payloads); times and monotonic versions delta-encode.
TEXT_CODEC = "CODEC(ZSTD(3))"
TIME_CODEC = "CODEC(Delta, ZSTD(1))"
REPLICA_PATH = "/clickhouse/tables/{shard}/{database}/{table}"

TRACES = f"""
    project_id UInt32,
    id String,
    timestamp {TIME} {TIME_CODEC},
    name LowCardinality(String),
    root_observation_id String,
    user_id String,
    session_id String,
    release LowCardinality(String),
    version LowCardinality(String),
    environment LowCardinality(String),
    tags Array(LowCardinality(String)),
    metadata String {TEXT_CODEC},
    created_at {TIME},
    updated_at {TIME},
    row_version UInt64,
    is_deleted UInt8 DEFAULT 0,
    INDEX ix_id id TYPE bloom_filter(0.001) GRANULARITY 4,
    INDEX ix_user user_id TYPE bloom_filter(0.01) GRANULARITY 4,
    INDEX ix_session session_id TYPE bloom_filter(0.01) GRANULARITY 4
"""

# Full-text search: the observation's tokens (`search_text.spaced_tokens`, made in Python so that a
# query means what it means on SQLite and PostgreSQL) between single spaces, under a text index (an
# inverted index per part) whose tokens are exactly ours. A query asks the index for its whole
# tokens and checks the phrase as a substring of the rows it names (`queries/search.py`).
SEARCH_COLUMN = "search_text String"
SEARCH_TEXT = f"{SEARCH_COLUMN} CODEC(ZSTD(1))"
SEARCH_INDEX_TYPE = "ix_search search_text TYPE text(tokenizer = splitByString([' ']))"
# The rows a commit wrote after a list's first page (`row_version` > its snapshot, `queries/traces.py`)
# are in the newest parts: a minmax index per granule lets the read skip every older one.
VERSION_INDEX_TYPE = "ix_version row_version TYPE minmax GRANULARITY 1"

OBSERVATIONS = f"""
    project_id UInt32,
    trace_id String,
    id String,
    parent_observation_id String,
    type LowCardinality(String),
    name LowCardinality(String),
    start_time {TIME} {TIME_CODEC},
    end_time Nullable({TIME}),
    completion_start_time Nullable({TIME}),
    level LowCardinality(String),
    status_message String {TEXT_CODEC},
    model LowCardinality(String),
    request_model LowCardinality(String),
    provider LowCardinality(String),
    model_parameters String {TEXT_CODEC},
    source LowCardinality(String),
    prompt_tokens Nullable(UInt32),
    completion_tokens Nullable(UInt32),
    total_tokens Nullable(UInt32),
    cache_read_tokens Nullable(UInt32),
    cache_write_tokens Nullable(UInt32),
    reasoning_tokens Nullable(UInt32),
    input_cost Nullable({MONEY}),
    output_cost Nullable({MONEY}),
    total_cost Nullable({MONEY}),
    calculated_input_cost Nullable({MONEY}),
    calculated_output_cost Nullable({MONEY}),
    calculated_total_cost Nullable({MONEY}),
    cost_status LowCardinality(String),
    saved_cost Nullable({MONEY}),
    metadata String {TEXT_CODEC},
    version LowCardinality(String),
    environment LowCardinality(String),
    input String {TEXT_CODEC},
    output String {TEXT_CODEC},
    attributes String {TEXT_CODEC},
    {SEARCH_TEXT},
    row_version UInt64,
    is_deleted UInt8 DEFAULT 0,
    sign Int8 DEFAULT 1,
    INDEX ix_trace trace_id TYPE bloom_filter(0.001) GRANULARITY 4,
    INDEX {SEARCH_INDEX_TYPE},
    INDEX {VERSION_INDEX_TYPE}
"""

# The score config a score was checked against ('' for none); a store made before it gains it.
SCORE_CONFIG = "config_id LowCardinality(String) DEFAULT ''"

SCORES = f"""
    project_id UInt32,
    id String,
    trace_id String,
    observation_id String,
    session_id String,
    name LowCardinality(String),
    value Nullable(Float64),
    string_value String,
    data_type LowCardinality(String),
    source LowCardinality(String),
    comment String {TEXT_CODEC},
    metadata String {TEXT_CODEC},
    timestamp {TIME} {TIME_CODEC},
    {SCORE_CONFIG},
    created_at {TIME},
    row_version UInt64,
    is_deleted UInt8 DEFAULT 0,
    INDEX ix_trace trace_id TYPE bloom_filter(0.001) GRANULARITY 4,
    INDEX {VERSION_INDEX_TYPE}
"""

SUM_INT = "SimpleAggregateFunction(sum, Int64)"
SUM_FLOAT = "SimpleAggregateFunction(sum, Float64)"
SUM_MONEY = f"SimpleAggregateFunction(sum, {MONEY_SUM})"

# Per trace, summed from its observations as `trace_totals.Sums` counts them (a not-billed call has
# no cost). Extremes (first start, last end, worst level) cannot be taken away: an update that moves
# them leaves the older extreme (rare: a span's times do not change on a re-send).
TRACE_TOTALS = f"""
    project_id UInt32,
    trace_id String,
    first_start SimpleAggregateFunction(min, {TIME}),
    last_start SimpleAggregateFunction(max, {TIME}),
    last_end SimpleAggregateFunction(max, Nullable({TIME})),
    observation_count {SUM_INT},
    input_tokens {SUM_INT},
    output_tokens {SUM_INT},
    total_tokens {SUM_INT},
    total_cost {SUM_MONEY},
    priced_count {SUM_INT},
    unpriced_count {SUM_INT},
    not_billed_count {SUM_INT},
    error_count {SUM_INT},
    level_rank SimpleAggregateFunction(max, UInt8)
"""

# The "obs" cube's dimensions (`model/rollup_cells.py`); any coarser group is a GROUP BY of these rows.
ROLLUP_DIMENSIONS = ("type", "name", "model", "provider", "level", "source", "environment", "version")
ROLLUP_SUMS = ("n", "errors", "input_tokens", "output_tokens", "total_tokens", "priced", "unpriced")
ROLLUP_SUMS += ("latency_n", "ttft_n")
ROLLUP_SKETCHES = ("latency_ms_q", "ttft_ms_q", "cost_q", "tokens_q")
ROLLUPS = ",\n".join(
    [
        "    project_id UInt32",
        "    bucket DateTime('UTC')",
        *(f"    {name} LowCardinality(String)" for name in ROLLUP_DIMENSIONS),
        *(f"    {name} {SUM_INT}" for name in ROLLUP_SUMS),
        f"    cost {SUM_MONEY}",
        f"    latency_ms_sum {SUM_FLOAT}",
        f"    ttft_ms_sum {SUM_FLOAT}",
        *(f"    {name} {SKETCH}" for name in ROLLUP_SKETCHES),
    ]
)
# Trace-level rollups (`trace_rollups.py`): a trace's cells depend on its own row and on its
# totals, which arrive in different inserts (the root span often after its children), so no view can
# keep them. The writer marks the minutes its commits touched (`trace_rollup_marks`) and its
# follower recomputes those minutes' cells from the raw rows, replacing the stored ones: exact sums
# and sketches, a row per cube, grain, bucket and dimensions. Cubes as in the SQL store
# (`model/rollup_cells.CUBES`): "trace" by minute and hour, "user" and "tag" by hour; and "score"
# by minute and hour (a score is upserted by id, so a view would count a changed score twice).
TRACE_ROLLUP_DIMENSIONS = ("name", "release", "version", "environment", "level", "user", "tag", "source", "type")
TRACE_ROLLUP_SUMS = ("n", "errors", "input_tokens", "output_tokens", "total_tokens", "priced", "unpriced")
TRACE_ROLLUP_SUMS += ("latency_n", "value_n")
TRACE_ROLLUP_SKETCHES = ("latency_ms_q", "cost_q", "tokens_q", "value_q")
_DIMENSION_TYPE = {"user": "String"}  # users are too many for a dictionary per part
TRACE_ROLLUPS = ",\n".join(
    [
        "    project_id UInt32",
        "    cube LowCardinality(String)",
        "    grain_s UInt32",
        "    bucket DateTime('UTC')",
        *(f"    d_{name} {_DIMENSION_TYPE.get(name, 'LowCardinality(String)')}" for name in TRACE_ROLLUP_DIMENSIONS),
        *(f"    {name} Int64" for name in TRACE_ROLLUP_SUMS),
        f"    cost {MONEY_SUM}",
        "    latency_ms_sum Float64",
        "    value_sum Float64",
        *(f"    {name} {SKETCH}" for name in TRACE_ROLLUP_SKETCHES),
        "    row_version UInt64",
        "    is_deleted UInt8 DEFAULT 0",
    ]
)
# Per (project, minute of a trace's time): the version of the last commit that touched a trace of
# that minute, and the highest such version whose cells were recomputed since.
TRACE_ROLLUP_MARKS = """
    project_id UInt32,
    minute DateTime('UTC'),
    dirty SimpleAggregateFunction(max, UInt64),
    done SimpleAggregateFunction(max, UInt64)
"""
# Rollup grains: the bucket expression of each table.
GRAINS = {"rollups_minute": "toStartOfMinute(start_time)", "rollups_hour": "toStartOfHour(start_time)"}

# How `rollup_cells.count_observation` counts a span, as expressions over one observation row.
# `o.total_cost`, `o.total_tokens`: the source columns, qualified because the views' outputs reuse
# those names and ClickHouse would read an unqualified name as the alias (an aggregate in an aggregate).
_PRICED_COST = "if(cost_status != 'not_billed', coalesce(calculated_total_cost, o.total_cost), NULL)"
# NULL when the end is unknown, spelled out: `greatest(0, NULL)` is 0 on current ClickHouse (it skips
# NULL arguments), which would count unfinished spans as 0 ms in the sketches.
_LATENCY_MS = "if(end_time IS NULL, NULL, greatest(0, dateDiff('microsecond', start_time, end_time) / 1000))"
_TTFT_MS = (
    "if(completion_start_time IS NULL, NULL,"
    " greatest(0, dateDiff('microsecond', start_time, completion_start_time) / 1000))"
)


def _sketch(value: str, name: str) -> str:
    return (
        f"quantileDDStateIf({SKETCH_ACCURACY}, 0.5)(toFloat64({value}), sign = 1 AND ({value}) IS NOT NULL) AS {name}"
    )


ROLLUP_SELECT = ",\n".join(
    [
        "    project_id",
        "    {bucket} AS bucket",
        *(f"    {name}" for name in ROLLUP_DIMENSIONS),
        "    sum(sign) AS n",
        "    sum(sign * (level = 'ERROR')) AS errors",
        "    sum(sign * ifNull(prompt_tokens, 0)) AS input_tokens",
        "    sum(sign * ifNull(completion_tokens, 0)) AS output_tokens",
        "    sum(sign * ifNull(o.total_tokens, 0)) AS total_tokens",
        f"    sum(sign * ({_PRICED_COST} IS NOT NULL)) AS priced",
        "    sum(sign * (cost_status = 'unpriced')) AS unpriced",
        "    sum(sign * (end_time IS NOT NULL)) AS latency_n",
        "    sum(sign * (completion_start_time IS NOT NULL)) AS ttft_n",
        f"    sum(sign * ifNull({_PRICED_COST}, 0)) AS cost",
        f"    sum(sign * ifNull({_LATENCY_MS}, 0)) AS latency_ms_sum",
        f"    sum(sign * ifNull({_TTFT_MS}, 0)) AS ttft_ms_sum",
        "    " + _sketch(_LATENCY_MS, "latency_ms_q"),
        "    " + _sketch(_TTFT_MS, "ttft_ms_q"),
        "    " + _sketch(_PRICED_COST, "cost_q"),
        "    " + _sketch("o.total_tokens", "tokens_q"),
    ]
)

TRACE_TOTALS_SELECT = f"""
    project_id,
    trace_id,
    min(start_time) AS first_start,
    max(start_time) AS last_start,
    max(end_time) AS last_end,
    sum(sign) AS observation_count,
    sum(sign * ifNull(prompt_tokens, 0)) AS input_tokens,
    sum(sign * ifNull(completion_tokens, 0)) AS output_tokens,
    sum(sign * ifNull(o.total_tokens, 0)) AS total_tokens,
    sum(sign * ifNull({_PRICED_COST}, 0)) AS total_cost,
    sum(sign * ({_PRICED_COST} IS NOT NULL)) AS priced_count,
    sum(sign * (cost_status = 'unpriced')) AS unpriced_count,
    sum(sign * (cost_status = 'not_billed')) AS not_billed_count,
    sum(sign * (level = 'ERROR')) AS error_count,
    max(multiIf(level = 'ERROR', 3, level = 'WARNING', 2, level = 'DEFAULT', 1, 0)) AS level_rank
"""


def _quote(name: str) -> str:
    if not name or "`" in name or "\\" in name:
        raise ValueError(f"not a usable ClickHouse identifier: {name!r}")
    return f"`{name}`"


class _Layout:
    """Names and engines of one variant: plain tables on one node; `_local` replicated tables and
    Distributed tables under the plain names on a cluster."""

    def __init__(self, database: str, cluster: str | None) -> None:
        self.db = _quote(database)
        self.cluster = cluster
        self.on_cluster = f" ON CLUSTER {_quote(cluster)}" if cluster else ""

    def stored(self, table: str) -> str:
        """The table that holds the rows (the MergeTree)."""
        return f"{self.db}.{_quote(table + '_local' if self.cluster else table)}"

    def engine(self, family: str, *args: str) -> str:
        if self.cluster:
            args = (f"'{REPLICA_PATH}'", "'{replica}'", *args)
            family = "Replicated" + family
        return f"{family}({', '.join(args)})"

    def distributed(self, table: str, sharding_key: str) -> list[str]:
        if not self.cluster:
            return []
        local = _quote(table + "_local")
        return [
            f"CREATE TABLE IF NOT EXISTS {self.db}.{_quote(table)}{self.on_cluster} AS {self.db}.{local}\n"
            f"ENGINE = Distributed({_quote(self.cluster)}, {self.db}, {local}, {sharding_key})"
        ]


def _table(layout: _Layout, name: str, columns: str, engine: str, tail: Iterable[str]) -> str:
    return (
        f"CREATE TABLE IF NOT EXISTS {layout.stored(name)}{layout.on_cluster}\n(\n{columns.strip(chr(10))}\n)\n"
        f"ENGINE = {engine}\n" + "\n".join(tail)
    )


def _ttl(column: str, ttl_days: int | None) -> list[str]:
    if ttl_days is None:
        return []
    return [f"TTL toDateTime({column}) + INTERVAL {ttl_days} DAY DELETE"]


def _settings(ttl_days: int | None) -> list[str]:
    # With monthly partitions, expired data goes as whole parts instead of rewriting parts row by row.
    return ["SETTINGS ttl_only_drop_parts = 1"] if ttl_days is not None else []


def schema_statements(
    database: str = "theodolite", *, cluster: str | None = None, ttl_days: int | None = None
) -> list[str]:
    """The trace store's CREATE statements, in order (idempotent: IF NOT EXISTS).

    `cluster`: the name of a cluster in the servers' `remote_servers` (whose `{shard}` and `{replica}`
    macros each server defines); None for one server. `ttl_days`: delete traces, observations, scores
    and per-trace totals that many days after their time (None: keep them); rollups are kept.
    """
    if ttl_days is not None and (not isinstance(ttl_days, int) or ttl_days <= 0):
        raise ValueError(f"ttl_days must be a positive number of days, not {ttl_days!r}")
    layout = _Layout(database, cluster)
    statements = [f"CREATE DATABASE IF NOT EXISTS {layout.db}{layout.on_cluster}"]
    replacing = layout.engine("ReplacingMergeTree", "row_version", "is_deleted")
    aggregating = layout.engine("AggregatingMergeTree")

    statements.append(
        _table(
            layout,
            "traces",
            TRACES,
            replacing,
            [
                "PARTITION BY toYYYYMM(timestamp)",
                "ORDER BY (project_id, toDate(timestamp), id)",
                *_ttl("timestamp", ttl_days),
                *_settings(ttl_days),
            ],
        )
    )
    statements += layout.distributed("traces", "cityHash64(id)")
    statements.append(
        _table(
            layout,
            "observations",
            OBSERVATIONS,
            replacing,
            [
                "PARTITION BY toYYYYMM(start_time)",
                "ORDER BY (project_id, toDate(start_time), trace_id, id)",
                *_ttl("start_time", ttl_days),
                *_settings(ttl_days),
            ],
        )
    )
    # A store made before full-text search gains its column and indexes (its older rows stay
    # unsearchable; its older parts have no version index, which only makes reads skip less).
    statements.append(
        f"ALTER TABLE {layout.stored('observations')}{layout.on_cluster} ADD COLUMN IF NOT EXISTS {SEARCH_TEXT}"
        f" AFTER attributes, ADD INDEX IF NOT EXISTS {SEARCH_INDEX_TYPE}, ADD INDEX IF NOT EXISTS {VERSION_INDEX_TYPE}"
    )
    statements += layout.distributed("observations", "cityHash64(trace_id)")
    if cluster:  # the Distributed table of an older store lacks the column too
        statements.append(
            f"ALTER TABLE {layout.db}.`observations`{layout.on_cluster} ADD COLUMN IF NOT EXISTS {SEARCH_COLUMN}"
            " AFTER attributes"
        )
    statements.append(
        _table(
            layout,
            "scores",
            SCORES,
            replacing,
            [
                "PARTITION BY toYYYYMM(timestamp)",
                "ORDER BY (project_id, toDate(timestamp), name, id)",
                *_ttl("timestamp", ttl_days),
                *_settings(ttl_days),
            ],
        )
    )
    statements.append(
        f"ALTER TABLE {layout.stored('scores')}{layout.on_cluster} ADD INDEX IF NOT EXISTS {VERSION_INDEX_TYPE},"
        f" ADD COLUMN IF NOT EXISTS {SCORE_CONFIG} AFTER timestamp"
    )
    statements += layout.distributed("scores", "cityHash64(trace_id)")
    if cluster:
        statements.append(
            f"ALTER TABLE {layout.db}.`scores`{layout.on_cluster} ADD COLUMN IF NOT EXISTS {SCORE_CONFIG}"
            " AFTER timestamp"
        )

    # Totals of a trace merge under (project, trace): no time partition, since a trace's spans may
    # fall in two months; retention by the trace's latest span.
    statements.append(
        _table(
            layout,
            "trace_totals",
            TRACE_TOTALS,
            aggregating,
            ["ORDER BY (project_id, trace_id)", *_ttl("last_start", ttl_days)],
        )
    )
    statements.append(
        f"CREATE MATERIALIZED VIEW IF NOT EXISTS {layout.db}.`trace_totals_mv`{layout.on_cluster}\n"
        f"TO {layout.stored('trace_totals')}\nAS SELECT\n{TRACE_TOTALS_SELECT.strip(chr(10))}\n"
        f"FROM {layout.stored('observations')} AS o\nGROUP BY project_id, trace_id"
    )
    statements += layout.distributed("trace_totals", "cityHash64(trace_id)")

    for table, bucket in GRAINS.items():
        statements.append(
            _table(
                layout,
                table,
                ROLLUPS,
                aggregating,
                ["PARTITION BY toYYYYMM(bucket)", f"ORDER BY (project_id, bucket, {', '.join(ROLLUP_DIMENSIONS)})"],
            )
        )
        statements.append(
            f"CREATE MATERIALIZED VIEW IF NOT EXISTS {layout.db}.{_quote(table + '_mv')}{layout.on_cluster}\n"
            f"TO {layout.stored(table)}\nAS SELECT\n{ROLLUP_SELECT.format(bucket=bucket)}\n"
            f"FROM {layout.stored('observations')} AS o\n"
            f"GROUP BY project_id, bucket, {', '.join(ROLLUP_DIMENSIONS)}"
        )
        # Any sharding key will do for rows only the views write; reads go through it to every shard.
        statements += layout.distributed(table, "rand()")

    # A cell's replacement and its deletion row must meet on one shard: shard by the bucket.
    statements.append(
        _table(
            layout,
            "trace_rollups",
            TRACE_ROLLUPS,
            replacing,
            [
                "PARTITION BY toYYYYMM(bucket)",
                "ORDER BY (project_id, cube, grain_s, bucket, "
                + ", ".join(f"d_{name}" for name in TRACE_ROLLUP_DIMENSIONS)
                + ")",
            ],
        )
    )
    statements += layout.distributed("trace_rollups", "cityHash64(project_id, bucket)")
    statements.append(
        _table(layout, "trace_rollup_marks", TRACE_ROLLUP_MARKS, aggregating, ["ORDER BY (project_id, minute)"])
    )
    statements += layout.distributed("trace_rollup_marks", "cityHash64(project_id, minute)")
    return statements
