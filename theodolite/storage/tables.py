"""The schema: one declaration for every SQL engine; Alembic migrations are checked against it.

Column names follow Langfuse v2's tables (`traces`, `observations`, `scores`) so that the SQL panels
teams already wrote over Langfuse's PostgreSQL run unchanged (tests/data/langfuse_panels.sql). In
particular `traces.id` is the primary key on its own: PostgreSQL accepts `GROUP BY t.id` with other
`t.*` columns in the select list (`... FROM traces t LEFT JOIN observations o ON o.trace_id = t.id
GROUP BY t.id`) only when `id` is the whole primary key (functional dependency).

Traces are identified within their project all the same (two projects may send one trace id:
W3C trace context crosses services). `traces.id` is a storage key (`trace_keys.py`): the wire id
for the first project that stores it, `<wire id>@<project id>` for any other; observations and
scores of a project carry that key in `trace_id`, so `o.trace_id = t.id` joins each project's
rows and (trace_id, id) still de-duplicates spans. Considered and rejected:
- primary key (project_id, id): the natural one, but the panel above fails on PostgreSQL
  ("t.timestamp must appear in the GROUP BY clause");
- a surrogate key for every trace (a hash of project and id): SQL users would no longer see the
  ids their applications log;
- refusing the second project's spans (the first design): it loses data and tells the sender
  that another project uses the id.
Costs of the chosen design: a read by wire id looks up two keys (`trace_keys.candidate_keys`,
always with the project), the rare second project's rows show a suffixed id in raw SQL, and a
wire trace id is at most 48 characters (the suffix must fit the 64 of the column). Ingest cost:
none for the common case (the writer already read the stored traces of each transaction), a
second lookup only for ids another project holds, and one indexed read of `scores` per new trace
(scores sent before their trace, `writer.py`).

Scores are identified by (project_id, id): an id is a client's idempotency key, and one project's
key must not replace another project's score.

Index design (each serves a named read in `theodolite.query`; every index costs ingest speed, and
an index on a random key, such as a span id, costs most: each insert dirties a random page, which
the next commit writes to the WAL again):
- traces (project_id, timestamp): list traces newest first, time-range filters, the trace count
  panels. On SQLite it also holds name, release and environment (`ix_traces_list`), so that the
  list's filters on them are tested in the index, not in the rows.
  `traces.timestamp_seq` (no index) is the commit that last placed the trace in that order (its
  creation or an earlier timestamp), which the list's cursor compares with its snapshot.
- traces (project_id, session_id, timestamp) / (project_id, user_id, timestamp), partial: sessions, users.
- observations unique (trace_id, id): the tree of one trace, per-trace token/cost sums (the
  recent-traces panel), and the de-duplication of re-sent spans, in one index. Span ids are
  random, so an index on `id` alone dirtied one random page per span, and every dirty page is
  written to the WAL again at each commit; keyed by trace first, the spans of one trace (which
  arrive together) share a page, and no separate trace_id index is needed.
- observations `seq`: a surrogate key the writer assigns in commit order (SQLite's rowid, a
  sequence on PostgreSQL). Payloads are keyed by it, so their inserts append instead of filling
  another random-key index. Measured (writer alone, 60,000 bench spans in
  commits of 800): 12,300 -> 15,000 spans/s; on disk 1,316 -> 1,183 bytes per span.
- observations (project_id, start_time): observation lists and time-bucketed cost (the cost-per-hour panel).
No (model, time) index on observations: it cost 37 bytes and ~10% of writer time per span, and
served neither the requested model nor the newest-first order of traces. The model, level and tag
filters of the trace list read `trace_facets` instead: a few rows per trace (see `storage/facets.py`).
Inputs, outputs and leftover attributes live in `observation_payloads`, so that lists and
aggregates never read them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    Sequence,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
    true,
)

from theodolite.model.rollup_cells import ROLLUP_DIMENSIONS
from theodolite.storage.types import JsonDocument, Money, Payload, UtcDateTime

metadata = MetaData()

# PostgreSQL hands out observation seqs to the writer (SQLite's writer counts from max(rowid)).
observation_seq = Sequence("observation_seq", metadata=metadata)

# Project ids are small integers: the id is repeated in every row and in every index of the
# big tables, where a 32-character id cost ~100 bytes per span on disk.
projects = Table(
    "projects",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", Text, nullable=False, unique=True),
    Column("created_at", UtcDateTime, nullable=False),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("project_id", Integer, nullable=False, index=True),
    Column("public_key", String(128), nullable=False, unique=True),
    # sha256 of the secret: secrets are 256-bit random tokens, so a slow KDF adds nothing but
    # latency on every request (the same choice GitHub and Stripe make for API tokens).
    Column("secret_hash", String(64), nullable=False, unique=True),
    Column("display_secret", String(32), nullable=False),  # "sk-th-…abcd", for `keys list`
    Column("note", Text),
    Column("created_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime),
)

traces = Table(
    "traces",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("project_id", Integer, nullable=False),
    Column("timestamp", UtcDateTime, nullable=False),
    Column("name", Text),
    Column("root_observation_id", String(64)),
    Column("user_id", Text),
    Column("session_id", Text),
    Column("release", Text),
    Column("version", Text),
    Column("environment", Text),
    Column("tags", JsonDocument, nullable=False, server_default=text("'[]'")),
    Column("metadata", JsonDocument),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    # The observations.seq watermark of the commit that created the trace or moved its timestamp
    # earlier (`storage/sql/queries/traces.py`: pages after the first leave out traces placed after page 1).
    Column("timestamp_seq", BigInteger, nullable=False, server_default=text("0")),
    # The mark of the last commit that wrote the trace: what a SQLite writer restarted after a crash
    # re-derives the totals of (`trace_totals.recover`). No index: read by that rare scan only.
    Column("changed_seq", BigInteger, nullable=False, server_default=text("0")),
    # SQLite: the list's filters on name, release and environment are checked inside this index,
    # so a value no trace has costs a scan of index entries, not of whole rows with their metadata
    # (10-20 ms instead of 50-70 ms on 180,000 traces). PostgreSQL indexes only the key: a B-tree
    # entry must stay under ~2,700 bytes, and a trace name may not.
    Index("ix_traces_project_timestamp", "project_id", "timestamp").ddl_if(dialect="postgresql"),
    Index("ix_traces_list", "project_id", "timestamp", "name", "release", "environment").ddl_if(dialect="sqlite"),
    Index(
        "ix_traces_project_session",
        "project_id",
        "session_id",
        "timestamp",
        sqlite_where=text("session_id IS NOT NULL"),
        postgresql_where=text("session_id IS NOT NULL"),
    ),
    Index(
        "ix_traces_project_user",
        "project_id",
        "user_id",
        "timestamp",
        sqlite_where=text("user_id IS NOT NULL"),
        postgresql_where=text("user_id IS NOT NULL"),
    ),
)

observations = Table(
    "observations",
    metadata,
    # INTEGER on SQLite makes it the rowid itself; the writer assigns it (see module doc).
    Column("seq", BigInteger().with_variant(Integer(), "sqlite"), observation_seq, primary_key=True),
    Column("trace_id", String(64), nullable=False),
    Column("id", String(64), nullable=False),
    Column("project_id", Integer, nullable=False),
    Column("parent_observation_id", String(64)),
    Column("type", String(16), nullable=False),
    Column("name", Text),
    Column("start_time", UtcDateTime, nullable=False),
    Column("end_time", UtcDateTime),
    Column("completion_start_time", UtcDateTime),
    Column("level", String(8), nullable=False),
    Column("status_message", Text),
    Column("model", Text),
    Column("request_model", Text),
    Column("provider", Text),
    Column("model_parameters", JsonDocument),
    Column("source", Text),
    Column("prompt_tokens", Integer),
    Column("completion_tokens", Integer),
    Column("total_tokens", Integer),
    Column("cache_read_tokens", Integer),
    Column("cache_write_tokens", Integer),
    Column("reasoning_tokens", Integer),
    Column("input_cost", Money),  # as reported by the client
    Column("output_cost", Money),
    Column("total_cost", Money),
    Column("calculated_input_cost", Money),  # as priced by Theodolite
    Column("calculated_output_cost", Money),
    Column("calculated_total_cost", Money),
    Column("cost_status", String(12), nullable=False),
    # A cache hit or a fallback (status not_billed) costs a known $0; this is what the provider
    # would have charged for its usage (NULL when that price is unknown, and on provider calls).
    Column("saved_cost", Money),
    Column("metadata", JsonDocument),
    Column("version", Text),
    Column("environment", Text),
    UniqueConstraint("trace_id", "id", name="uq_observations_trace_span"),
    Index("ix_observations_project_start", "project_id", "start_time"),
)

# One document per observation: {"input": ..., "output": ..., "attributes": ...}. One value
# compresses better and costs one compression call instead of three.
observation_payloads = Table(
    "observation_payloads",
    metadata,
    Column("observation_seq", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=False),
    Column("payload", Payload, nullable=False),
)

# The observations stored before the full-text index existed (migration 0007), which `theodolite
# search reindex` indexes: seqs from next_seq (its progress) to end_seq (exclusive). One row.
search_backfill = Table(
    "search_backfill",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("next_seq", BigInteger, nullable=False),
    Column("end_seq", BigInteger, nullable=False),
)

# SQLite only (PostgreSQL indexes in the ingest transaction; the row is unused there): every
# observation with seq < indexed_below has its document in `search_fts`, apart from search_backfill's
# range. The writer indexes after the commit, off the ingest path (`storage/search.py`). One row.
search_progress = Table(
    "search_progress",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("indexed_below", BigInteger, nullable=False),
    # `costs recompute` runs that changed costs: the writer then reads back the sums it kept.
    Column("repricings", BigInteger, nullable=False, server_default=text("0")),
    # The mark of the last commit that stored no observation (no `observations.seq` holds it): a
    # list's snapshot and the next seq must be above it (`writer.py`, `traces.current_mark`).
    Column("last_mark", BigInteger, nullable=False, server_default=text("0")),
)

# Trained zstd dictionaries for SQLite payloads (`payloads.py`); `id` is zstd's own dictionary id,
# which every compressed frame carries.
payload_dictionaries = Table(
    "payload_dictionaries",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("data", LargeBinary, nullable=False),
    Column("sample_count", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

scores = Table(
    "scores",
    metadata,
    Column("id", String(64), nullable=False),
    Column("project_id", Integer, nullable=False),
    Column("trace_id", String(64)),
    Column("observation_id", String(64)),
    Column("session_id", Text),
    Column("name", Text, nullable=False),
    Column("value", Float),
    Column("string_value", Text),
    Column("data_type", String(12), nullable=False),
    Column("source", String(16), nullable=False),
    Column("comment", Text),
    Column("metadata", JsonDocument),
    Column("timestamp", UtcDateTime, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("config_id", String(64)),  # the score config it was checked against (migration 0021)
    PrimaryKeyConstraint("project_id", "id", name="pk_scores"),
    Index("ix_scores_project_timestamp", "project_id", "timestamp"),
    Index("ix_scores_trace", "trace_id"),
)

# Per-project prices (`theodolite prices set`): custom models and corrections of genai-prices'
# table, in force from `effective_from`. provider '' matches any provider. Re-setting the same
# (model, provider, effective_from) replaces the rates, hence the unique constraint.
model_prices = Table(
    "model_prices",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("project_id", Integer, nullable=False),
    Column("model", Text, nullable=False),
    Column("provider", Text, nullable=False, server_default=""),
    Column("effective_from", UtcDateTime, nullable=False),
    Column("input_mtok", Money),
    Column("output_mtok", Money),
    Column("cache_read_mtok", Money),
    Column("cache_write_mtok", Money),
    Column("output_reasoning_mtok", Money),
    Column("note", Text),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("project_id", "model", "provider", "effective_from", name="uq_model_prices_key"),
)

# Which models (response and requested), levels and tags each trace has: the list API's `model`,
# `level` and `tags` filters read one range of this, newest first (`storage/facets.py` says why and how the
# writer keeps it). A few rows per trace, not per span; keyed so that each filter value's rows
# append in time order. SQLite stores it as the key's B-tree alone (WITHOUT ROWID).
trace_facets = Table(
    "trace_facets",
    metadata,
    Column("project_id", Integer, primary_key=True),
    Column("kind", String(8), primary_key=True),  # "model", "level" or "tag"
    Column("value", Text, primary_key=True),
    Column("timestamp", UtcDateTime, primary_key=True),  # the trace's
    Column("trace_id", String(64), primary_key=True),
    sqlite_with_rowid=False,
)


# The full-text index (`search.py`): an FTS5 table (and its shadow tables) on SQLite, a table with a
# GIN index on PostgreSQL, created by migration 0007; SQLAlchemy has no virtual tables.
SEARCH_TABLES = ("search_fts", "search_documents")


def is_search_table(name: str) -> bool:
    return name in SEARCH_TABLES or name.startswith("search_fts_")


def declared_for(dialect_name: str) -> Callable[..., bool]:
    """An Alembic `include_object` hook: skips what `ddl_if` declares for another engine only (the
    schema comparison does not apply ddl_if itself)."""

    def include(item: Any, name: Any, type_: str, reflected: bool, _compare_to: Any) -> bool:
        if type_ == "table" and isinstance(name, str) and is_search_table(name):
            return False  # the full-text index: engine-specific, created by its migration (`search.py`)
        condition = getattr(item, "_ddl_if", None)
        return reflected or type_ != "index" or condition is None or condition.dialect in (None, dialect_name)

    return include


# People who sign in to the web UI (`theodolite users`, docs/web-auth.md). Email and user name
# are stored lower-cased: either one signs in, compared exactly, so "Alice" and "alice" are one
# account. The password is an argon2id hash (its string carries its own parameters and salt).
users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("email", Text, nullable=False, unique=True),
    Column("name", Text, nullable=False, unique=True),
    Column("password_hash", Text, nullable=False),
    Column("is_admin", Boolean, nullable=False, server_default=false()),
    # Set for passwords Theodolite generated and printed (first start, reset-password): until
    # the user picks their own, a session may only change it.
    Column("must_change_password", Boolean, nullable=False, server_default=false()),
    Column("created_at", UtcDateTime, nullable=False),
    Column("password_changed_at", UtcDateTime, nullable=False),
)

# A user's role in a project: owner, member or viewer (admins need none to see everything).
project_members = Table(
    "project_members",
    metadata,
    Column("project_id", Integer, nullable=False),
    Column("user_id", Integer, nullable=False),
    Column("role", String(8), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("project_id", "user_id", name="pk_project_members"),
    Index("ix_project_members_user", "user_id"),
)

# Signed-in sessions. Only sha256 digests of the cookie's token and of the CSRF token are stored
# (the tokens are 256-bit random, so a fast digest is enough, as for API keys): a copy of the
# database does not let anyone act as a signed-in user.
auth_sessions = Table(
    "auth_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", Integer, nullable=False),
    Column("csrf_hash", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_seen_at", UtcDateTime, nullable=False),
    Index("ix_auth_sessions_user", "user_id"),
)

# Per-trace totals over its observations (`storage/trace_totals.py` says how the writer keeps them):
# the trace list's sorts read a time range of it with a LIMIT, no index per order
# (`storage/sql/queries/sorted_chunks.py`; an index per order cost the writer a random insert per trace). Keyed like
# `trace_facets` by the trace's (timestamp, id), so a new trace appends and its row is re-keyed when
# a late span moves the trace earlier. Sort keys are nullable where a trace may lack the value
# (no name, no tags, no end time, no known cost): the list puts those last, newest first.
trace_totals = Table(
    "trace_totals",
    metadata,
    Column("project_id", Integer, primary_key=True),
    Column("timestamp", UtcDateTime, primary_key=True),  # the trace's
    Column("trace_id", String(64), primary_key=True),
    # The observations.seq mark of the last commit that changed this trace (a span, a merged part):
    # later pages of a sorted list leave out traces changed since their first page.
    Column("changed_seq", BigInteger, nullable=False),
    # The trace's user when these totals were derived: on SQLite they are derived after the commit,
    # and the user's rollup must lose what it was given if the trace's user changed since.
    Column("user_id", Text),
    Column("name_key", Text),  # the trace's name, first 200 characters (sort key)
    Column("tags_key", Text),  # its tags joined by ", ", first 200 characters; NULL without tags
    Column("first_start", UtcDateTime),
    Column("last_end", UtcDateTime),
    Column("latency_s", Float),  # last end - first start
    Column("observation_count", Integer, nullable=False),
    Column("input_tokens", BigInteger, nullable=False),
    Column("output_tokens", BigInteger, nullable=False),
    Column("total_tokens", BigInteger, nullable=False),
    # USD of the provider calls with a known cost; NULL when none has one (unpriced is not $0).
    Column("total_cost", Money),
    Column("priced_count", Integer, nullable=False),  # observations counted in total_cost
    Column("saved_cost", Money),  # what cache hits and fallbacks saved; NULL when none was priced
    Column("saved_count", Integer, nullable=False),
    Column("unpriced_count", Integer, nullable=False),
    Column("not_billed_count", Integer, nullable=False),
    Column("error_count", Integer, nullable=False),
    Column("level_rank", Integer, nullable=False),  # worst level: 0 DEBUG, 1 DEFAULT, 2 WARNING, 3 ERROR
    # Its observations' response and requested models, "|a|b|" sorted (NULL: none): on SQLite a sort
    # on a value here with a model filter tests each row's string instead of probing trace_facets.
    Column("models", Text),
    # The trace's release, version, environment and tags as these totals were derived: what its rows
    # in `rollups` were counted under, which a later step subtracts before it adds the new ones.
    Column("release", Text),
    Column("version", Text),
    Column("environment", Text),
    Column("tags", JsonDocument),
    sqlite_with_rowid=False,
)

# Per (trace, score name): the mean of its numeric and boolean scores (categorical ones have no
# value), for the list's `sort=score:NAME` and score filters. Kept by the writer when scores arrive
# (they may arrive before their trace, under the key they wait with).
trace_scores = Table(
    "trace_scores",
    metadata,
    Column("project_id", Integer, primary_key=True),
    Column("trace_id", String(64), primary_key=True),
    Column("name", Text, primary_key=True),
    Column("value", Float, nullable=False),
    Column("score_count", Integer, nullable=False),
    Column("changed_seq", BigInteger, nullable=False),
    Index("ix_trace_scores_value", "project_id", "name", "value", "trace_id"),
    # A commit of scores only stores no observation: its mark is above max(observations.seq) and
    # max(changed_seq), and a list's snapshot reads both (`writer._number`, `storage/sql/queries/trace_sorts.py`).
    Index("ix_trace_scores_changed", "changed_seq"),
)

# One row per user (`kind` "user"; sessions keep none since migration 0010, `storage/sql/queries/groups.py`):
# all-time figures summed from their traces' totals, so that the users list reads a page of rows
# instead of grouping traces. Sums are plain
# sums (a trace that moves to another session or user is subtracted), and `priced_count` /
# `saved_count` say whether a cost is known, so subtracting never turns "unpriced" into $0.
group_rollups = Table(
    "group_rollups",
    metadata,
    Column("project_id", Integer, primary_key=True),
    Column("kind", String(8), primary_key=True),  # "session" or "user"
    Column("key", Text, primary_key=True),
    Column("first_seen", UtcDateTime, nullable=False),  # earliest trace timestamp
    Column("last_seen", UtcDateTime, nullable=False),  # latest trace timestamp
    Column("changed_seq", BigInteger, nullable=False),
    Column("trace_count", Integer, nullable=False),
    Column("observation_count", BigInteger, nullable=False),
    Column("input_tokens", BigInteger, nullable=False),
    Column("output_tokens", BigInteger, nullable=False),
    Column("total_tokens", BigInteger, nullable=False),
    Column("cost_sum", Money, nullable=False),
    Column("priced_count", BigInteger, nullable=False),
    Column("saved_sum", Money, nullable=False),
    Column("saved_count", BigInteger, nullable=False),
    Column("unpriced_count", BigInteger, nullable=False),
    Column("not_billed_count", BigInteger, nullable=False),
    Column("error_count", BigInteger, nullable=False),
    Index("ix_group_rollups_recent", "project_id", "kind", "last_seen", "key", "first_seen"),
)

# Minute and hour rollups for the analytics API (`storage/rollups.py`; cubes and cells in
# `model/rollup_cells.py`): per cube, grain and bucket (UTC epoch seconds), one row per combination
# of the cube's dimensions (`d_*`; the others NULL), with the sums and histograms of its cells. Kept
# by the writer by deltas where it derives trace totals. `dims_key` joins the cube's dimension values
# so that the key stays short and unique whatever the dimensions.
rollups = Table(
    "rollups",
    metadata,
    Column("project_id", Integer, primary_key=True),
    Column("cube", String(8), primary_key=True),
    Column("grain_s", Integer, primary_key=True),
    Column("bucket", BigInteger, primary_key=True),
    Column("dims_key", Text, primary_key=True),
    *(Column(f"d_{name}", Text) for name in ROLLUP_DIMENSIONS),
    *(
        Column(name, BigInteger, nullable=False)
        for name in (
            "n",
            "errors",
            "input_tokens",
            "output_tokens",
            "total_tokens",
            "priced",
            "unpriced",
            "latency_n",
            "ttft_n",
            "value_n",
        )
    ),
    *(Column(name, Float, nullable=False) for name in ("cost", "latency_sum", "ttft_sum", "value_sum")),
    *(Column(name, Text) for name in ("h_latency", "h_ttft", "h_cost", "h_tokens", "h_value")),
    sqlite_with_rowid=False,
)

# One row (id 1) once the rollups hold everything stored (built by the migration that created them,
# or by `theodolite rollups rebuild`); from then on the writer keeps them. Without it the analytics
# API reads raw rows.
rollup_state = Table(
    "rollup_state",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("built_at", UtcDateTime, nullable=False),
)

# Datasets for evaluation (`storage/metadata/datasets.py`, docs/evaluation.md): items with an input,
# an expected output and metadata, in immutable versions. Every change is one new version
# (`current_version` + 1, a `dataset_versions` row); an item's row is valid in the versions
# [valid_from, valid_to): a change closes the old row (valid_to) and inserts a new one, a delete
# only closes it. Nothing else ever modifies a row, so a version reads back the same forever.
datasets = Table(
    "datasets",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("project_id", Integer, nullable=False),
    Column("name", Text, nullable=False),
    Column("description", Text),
    Column("metadata", JsonDocument),
    Column("created_at", UtcDateTime, nullable=False),
    Column("current_version", Integer, nullable=False, server_default=text("0")),
    UniqueConstraint("project_id", "name", name="uq_datasets_project_name"),
)

dataset_versions = Table(
    "dataset_versions",
    metadata,
    Column("dataset_id", Integer, nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("note", Text),
    Column("item_count", Integer, nullable=False),
    PrimaryKeyConstraint("dataset_id", "version", name="pk_dataset_versions"),
)

# (dataset_id, item_id, valid_from): one version's items in item order (the keyset of the item
# list) and an item's history, in one index.
dataset_items = Table(
    "dataset_items",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("dataset_id", Integer, nullable=False),
    Column("item_id", Text, nullable=False),
    Column("input", JsonDocument),
    Column("expected_output", JsonDocument),
    Column("metadata", JsonDocument),
    Column("source_trace_id", Text),
    Column("source_observation_id", Text),
    Column("valid_from", Integer, nullable=False),
    Column("valid_to", Integer),
    UniqueConstraint("dataset_id", "item_id", "valid_from", name="uq_dataset_items_version"),
)

# Experiments (`storage/metadata/experiments.py`, docs/evaluation.md): an application run over one
# dataset version (recorded at creation, so the runs stay comparable after the dataset changed),
# one run per item. (experiment_id, item_id) is the runs' key: a run sent again replaces the first.
# Cost, latency and scores are not copied here: they are read from the trace store by `trace_id`.
experiments = Table(
    "experiments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("project_id", Integer, nullable=False),
    Column("dataset_id", Integer, nullable=False),
    Column("dataset_version", Integer, nullable=False),
    Column("name", Text, nullable=False),
    Column("description", Text),
    Column("metadata", JsonDocument),
    Column("status", String(12), nullable=False),  # running, finished, failed
    Column("created_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime),
    UniqueConstraint("project_id", "name", name="uq_experiments_project_name"),
    Index("ix_experiments_dataset", "dataset_id", "created_at"),
)

experiment_runs = Table(
    "experiment_runs",
    metadata,
    Column("experiment_id", Integer, nullable=False),
    Column("item_id", Text, nullable=False),
    Column("trace_id", String(64)),
    Column("output", JsonDocument),
    Column("error", Text),
    Column("created_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("experiment_id", "item_id", name="pk_experiment_runs"),
)

# Annotation queues (`storage/metadata/annotation_queues.py`, docs/evaluation.md): items (a trace,
# an observation or a session) that humans score one at a time. `score_configs` holds the queue's
# own ScoreConfigs as JSON, and references ({"config_id", "name"}) to the project's score configs.
# An item is complete once `done_count` (its done reviews, kept in the review's transaction) reaches
# `reviews_per_item`; (queue_id, id) is the claim's scan in the order items were added.
annotation_queues = Table(
    "annotation_queues",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("project_id", Integer, nullable=False),
    Column("name", Text, nullable=False),
    Column("description", Text),
    Column("score_configs", JsonDocument, nullable=False),
    Column("reviews_per_item", Integer, nullable=False, server_default=text("1")),
    Column("created_at", UtcDateTime, nullable=False),
    Column("kind", String(12)),  # trace, observation or session: the only kind it holds; NULL: any
    UniqueConstraint("project_id", "name", name="uq_annotation_queues_project_name"),
)

annotation_queue_items = Table(
    "annotation_queue_items",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("queue_id", Integer, nullable=False),
    Column("kind", String(12), nullable=False),  # trace, observation or session
    Column("object_id", Text, nullable=False),
    Column("trace_id", Text),  # the trace of an observation (or the trace itself) where known
    Column("added_at", UtcDateTime, nullable=False),
    Column("done_count", Integer, nullable=False, server_default=text("0")),
    UniqueConstraint("queue_id", "kind", "object_id", name="uq_annotation_queue_items_object"),
    Index("ix_annotation_queue_items_queue", "queue_id", "id"),
)

# One row per (item, reviewer): done (with the values submitted, which agreement reads) or skipped.
annotation_reviews = Table(
    "annotation_reviews",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("queue_id", Integer, nullable=False),
    Column("item_id", Integer, nullable=False),
    Column("reviewer", Text, nullable=False),
    Column("status", String(8), nullable=False),  # done or skipped
    Column("scores", JsonDocument),  # {score name: value} of a done review
    Column("at", UtcDateTime, nullable=False),
    UniqueConstraint("item_id", "reviewer", name="uq_annotation_reviews_item_reviewer"),
    Index("ix_annotation_reviews_queue", "queue_id", "reviewer"),
)

# At most one claim per item: a reviewer's lease on it until `expires_at`.
annotation_claims = Table(
    "annotation_claims",
    metadata,
    Column("item_id", Integer, primary_key=True, autoincrement=False),
    Column("queue_id", Integer, nullable=False),
    Column("reviewer", Text, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Index("ix_annotation_claims_queue", "queue_id", "reviewer"),
)

# Score configs (`storage/metadata/score_configs.py`, docs/evaluation.md): what values a named score
# of a project may take, checked at ingest. `categories` is a JSON list of {"label", "value"} (value
# a number or null, as Langfuse's categories carry); min/max are for NUMERIC configs only. A config
# is never deleted, only archived (scores stored under it keep meaning what it said).
score_configs = Table(
    "score_configs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("project_id", Integer, nullable=False),
    Column("name", Text, nullable=False),
    Column("data_type", Text, nullable=False),
    Column("min_value", Float),
    Column("max_value", Float),
    Column("categories", JsonDocument),
    Column("description", Text),
    Column("archived", Boolean, nullable=False, server_default=false()),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("project_id", "name", name="uq_score_configs_project_name"),
)

# Online evaluators (`storage/metadata/evaluator_rules.py`, docs/evaluation.md): rules that score
# production traffic in the background. `filter` and `evaluator` are JSON documents validated by
# `evaluation/online.py`; a judge's API key is never stored, only the name of the server setting
# entry that holds it (`api_key_setting`). One progress row per rule: the commit position up to
# which the rule has read (`watermark`) and its counts, written by the one worker that holds the
# evaluators' lease.
evaluator_rules = Table(
    "evaluator_rules",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("project_id", Integer, nullable=False),
    Column("name", Text, nullable=False),
    Column("enabled", Boolean, nullable=False, server_default=true()),
    Column("scope", String(16), nullable=False),
    Column("sampling_rate", Float, nullable=False),
    Column("filter", JsonDocument, nullable=False),
    Column("evaluator", JsonDocument, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("daily_cost_limit", Money),  # USD per UTC day of the rule's judge calls; null: no limit
    UniqueConstraint("project_id", "name", name="uq_evaluator_rules_project_name"),
)

evaluator_progress = Table(
    "evaluator_progress",
    metadata,
    Column("rule_id", Integer, primary_key=True, autoincrement=False),
    Column("watermark", BigInteger, nullable=False, server_default=text("0")),
    Column("processed", BigInteger, nullable=False, server_default=text("0")),
    Column("scored", BigInteger, nullable=False, server_default=text("0")),
    Column("failed", BigInteger, nullable=False, server_default=text("0")),
    Column("skipped", BigInteger, nullable=False, server_default=text("0")),
    Column("last_error", Text),
    Column("last_error_at", UtcDateTime),
    Column("last_run_at", UtcDateTime),
    Column("head", BigInteger, nullable=False, server_default=text("0")),
    Column("spent_day", String(10)),  # the UTC day (ISO) that spent_cost is of
    Column("spent_cost", Money),  # what the rule's judge calls cost on spent_day
)
