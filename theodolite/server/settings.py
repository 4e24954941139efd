"""The one Settings object. Each setting is one field, one THEODOLITE_* variable and one CLI flag.

Precedence: CLI flag > environment variable > config file (TOML, `--config-file`) > default.
Nothing else in Theodolite reads `os.environ`; `tests/unit/test_docs.py` fails when a field here
is missing from docs/settings.md.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import platformdirs
from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from theodolite.errors import ConfigurationError
from theodolite.storage.urls import CLICKHOUSE_SCHEMES, SQL_SCHEMES, is_clickhouse_url


def default_database_url() -> str:
    data_dir = Path(platformdirs.user_data_dir("theodolite", appauthor=False))
    return f"sqlite:///{data_dir / 'theodolite.db'}"


def default_metadata_url() -> str:
    """Beside a ClickHouse trace store: projects, keys, users and prices in a SQLite file."""
    data_dir = Path(platformdirs.user_data_dir("theodolite", appauthor=False))
    return f"sqlite:///{data_dir / 'metadata.db'}"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="THEODOLITE_", extra="forbid")

    config_file: Path | None = Field(None, description="TOML file with settings (keys as the field names).")
    database_url: str = Field(
        default_factory=default_database_url,
        description="Where traces are stored: sqlite:///path/to/file.db, postgresql://user:pass@host:port/db, or "
        "clickhouse://user:pass@host:8123/db (clickhouses:// over TLS).",
    )
    metadata_url: str | None = Field(
        None,
        description="Where projects, keys, users, prices and datasets are stored (always SQL: sqlite:/// or "
        "postgresql://). Default: the database_url when it is SQL; beside a ClickHouse trace store, `metadata.db` "
        "in the user data directory.",
    )
    host: str = Field("127.0.0.1", description="Interface the server listens on.")
    port: int = Field(4318, ge=0, le=65535, description="TCP port (4318 is the OTLP/HTTP default).")
    auto_migrate: bool = Field(True, description="Apply database migrations on start.")
    log_level: str = Field("info", description="debug, info, warning or error.")
    max_body_bytes: int = Field(
        20 * 1024 * 1024, gt=0, description="Largest request body accepted, after decompression (413 above)."
    )
    ingest_queue_max_spans: int = Field(
        50_000, gt=0, description="Spans waiting for commit before new requests get 429."
    )
    writer_batch_max_spans: int = Field(
        5_000, gt=0, description="Most spans committed in one transaction (group commit)."
    )
    retry_after_s: int = Field(1, ge=1, description="Retry-After sent with 429/503.")
    derive_idle_s: float = Field(
        0.2,
        gt=0,
        description="SQLite: the search index and the per-trace totals are derived after the ingest commit, once "
        "the writer has been idle this long, or at once for a read that needs them (see derive_wait_s).",
    )
    derive_max_lag_s: float = Field(
        30.0,
        gt=0,
        description="SQLite: under sustained ingest, the search index and the totals are brought up to date between "
        "commits once they have been behind this long.",
    )
    derive_wait_s: float = Field(
        2.0,
        ge=0,
        description="SQLite: a read of the trace, session or user lists (search, sums, sorts) first waits up to this "
        "long for the derived data to cover what was committed before it; past that it answers from what is derived "
        "and says how many spans it left out (pending_spans).",
    )
    decode_workers: int | None = Field(
        None,
        ge=0,
        description="Processes that decode and encode request bodies (0 = in the server process; "
        "default: CPU count - 1, at most 4). On SQLite, unless 0, one more process makes the search documents "
        "while the writer is behind under sustained load.",
    )
    gc_gen0_threshold: int = Field(
        50_000,
        ge=0,
        description="Allocations between two young-generation collections of Python's garbage collector in the server "
        "process (Python's default: 700), which also freezes what start-up made; 0 keeps Python's settings. The "
        "default made bench/ingest 10-20% faster (docs/ingestion.md).",
    )
    payload_dictionary_after_spans: int = Field(
        5_000,
        ge=0,
        description="SQLite: train a zstd dictionary for inputs/outputs once this many spans are stored (0 = never).",
    )
    max_span_attributes: int = Field(
        1_000, gt=0, description="Attributes kept per span; the rest are dropped and counted."
    )
    sqlite_cache_mib: int = Field(
        16,
        gt=0,
        description="SQLite page cache of each connection (the writer's fills first). 32 MiB added ~32 MiB of RSS "
        "and no measurable ingest speed on bench/ingest; raise it for big read queries.",
    )
    read_timeout_s: float = Field(
        10.0,
        gt=0,
        description="Time budget of one read (an API request's queries; on PostgreSQL each statement): over it the "
        "read is stopped and answered 503 with Retry-After.",
    )
    trace_page_max_observations: int = Field(
        50_000,
        gt=0,
        description="The web UI's trace page (and its in-trace search) reads at most this many observations of a "
        "trace, the first in start order, and says the trace was cut: a bigger trace opens with a banner, not a "
        "frozen tab.",
    )
    shutdown_timeout_s: int = Field(
        10,
        ge=0,
        description="On SIGTERM, most seconds to wait for requests in flight (reads are stopped at once) before "
        "cancelling them; then queued ingest is committed and the server exits.",
    )
    api_key_cache_s: float = Field(
        5.0,
        ge=0,
        description="How long a verified API key is cached (a key revoked with the CLI stops working after this; "
        "one revoked through the API, at once).",
    )
    annotation_lease_s: float = Field(
        600.0,
        gt=0,
        description="How long a reviewer's claim on an annotation queue item lasts; after it, another reviewer may "
        "claim the item.",
    )
    metrics_token: str | None = Field(
        None,
        description="Bearer token /metrics requires from every client. Without one, /metrics answers loopback "
        "clients (127.0.0.0/8, ::1) only and refuses others with 403.",
    )
    metrics_label_attributes: str = Field(
        "",
        description="Comma-separated trace attributes that become /metrics labels: user_id, session_id, environment, "
        "release, metadata.<key>. Each adds series; user ids only when you mean it.",
    )
    metrics_series_budget: int = Field(
        10_000, gt=0, description="Series per metric; label sets beyond it are folded into 'other' and counted."
    )
    demo_live_interval_s: float = Field(
        0.0, ge=0, description="Seconds between live demo batches while serving (`theodolite demo` sets 10); 0: off."
    )
    session_idle_timeout_s: int = Field(
        12 * 3600, gt=0, description="A web UI session unused this long ends (sign in again)."
    )
    session_absolute_timeout_s: int = Field(
        7 * 24 * 3600, gt=0, description="A web UI session ends this long after sign-in, however active."
    )
    login_attempts_per_login: int = Field(
        10, gt=0, description="Sign-in attempts allowed per email/user name within login_window_s (then 429)."
    )
    login_attempts_per_address: int = Field(
        30, gt=0, description="Sign-in attempts allowed per client address within login_window_s (then 429)."
    )
    login_window_s: int = Field(
        900, gt=0, description="The sliding window of the sign-in limits; a successful sign-in is not counted."
    )
    evaluators_enabled: bool = Field(
        True,
        description="Run the online evaluator rules (docs/evaluation.md) in the background of `theodolite serve`; "
        "among several servers on one database, one runs them.",
    )
    evaluator_process: bool = Field(
        True,
        description="Run the online evaluators in a process of their own, started and watched by the server (it "
        "relays their verdicts into the ingest queue), so that their reads never share the server's interpreter with "
        "ingestion. false: a thread of the server. The embedded ClickHouse (chdb:) always uses a thread.",
    )
    evaluator_niceness: int = Field(
        19,
        ge=0,
        le=19,
        description="The evaluators' process runs at this niceness (19: the lowest priority), so that it gets the CPU "
        "that ingestion and queries leave; 0: the server's priority.",
    )
    evaluator_concurrency: int = Field(
        4, ge=1, le=64, description="Evaluations (judge calls) the online evaluators run at once."
    )
    evaluator_cpu_share: float = Field(
        0.25,
        gt=0,
        le=1,
        description="Most of the time the online evaluators' work may take in CPU (reading traces, evaluating, storing "
        "verdicts): after each step they pause in proportion. 1: no pause (verdicts sooner, ingest slower).",
    )
    evaluator_settle_s: float = Field(
        30.0,
        ge=0,
        description="A trace (or session) is judged once its spans have been quiet this long: its last span ended (or "
        "started) this many seconds ago.",
    )
    evaluator_poll_s: float = Field(
        5.0, gt=0, description="Seconds between two passes of the online evaluators over new traffic."
    )
    evaluator_api_keys: str | None = Field(
        None,
        description="API keys of the judges' providers, as `name=key` pairs separated by commas; a judge rule names "
        "its key by `api_key_setting` (keys are never stored in the database).",
    )
    init_admin_email: str | None = Field(
        None, description="Email of the first admin, created on start if missing (with init_admin_password)."
    )
    init_admin_password: str | None = Field(
        None, description="Password of the first admin (only used when it is created; at least 8 characters)."
    )
    init_project: str | None = Field(None, description="Project created on first start (headless set-up).")
    init_public_key: str | None = Field(None, description="Public key of the first project's key.")
    init_secret_key: str | None = Field(None, description="Secret of the first project's key.")

    @field_validator("database_url")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        if not value.startswith(SQL_SCHEMES + CLICKHOUSE_SCHEMES):
            raise ValueError("must start with sqlite:///, postgresql:// or clickhouse://")
        return value

    @field_validator("metadata_url")
    @classmethod
    def _sql_scheme(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(SQL_SCHEMES):
            raise ValueError("must start with sqlite:/// or postgresql:// (the metadata store is always SQL)")
        return value

    @model_validator(mode="after")
    def _metadata_beside_clickhouse(self) -> Settings:
        # On SQL, the metadata tables are in the trace database: reads join them (a cost report by
        # project, a list filtered by membership), so a second SQL database cannot hold them.
        if self.metadata_url is not None and not self.traces_on_clickhouse and self.metadata_url != self.database_url:
            raise ValueError("metadata_url is for a ClickHouse database_url; on SQL the metadata is in database_url")
        return self

    @property
    def traces_on_clickhouse(self) -> bool:
        return is_clickhouse_url(self.database_url)

    @property
    def metadata_database_url(self) -> str:
        """The SQL database of projects, keys, users and prices (the traces too, unless on ClickHouse)."""
        if self.metadata_url is not None:
            return self.metadata_url
        return default_metadata_url() if self.traces_on_clickhouse else self.database_url

    @property
    def evaluator_api_key_map(self) -> dict[str, str]:
        """`evaluator_api_keys` as {name: key}."""
        keys: dict[str, str] = {}
        for pair in (self.evaluator_api_keys or "").split(","):
            name, sep, key = pair.partition("=")
            if sep and name.strip():
                keys[name.strip()] = key.strip()
        return keys

    @field_validator("evaluator_api_keys")
    @classmethod
    def _key_pairs(cls, value: str | None) -> str | None:
        for pair in (value or "").split(","):
            if pair.strip() and "=" not in pair:
                raise ValueError("must be name=key pairs separated by commas")
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        if value.lower() not in ("debug", "info", "warning", "error"):
            raise ValueError("must be one of debug, info, warning, error")
        return value.lower()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Flags arrive as init kwargs; the file is read by `load_settings` and passed below them.
        return (init_settings, env_settings)


def load_settings(**flags: Any) -> Settings:
    """Build Settings from flags (None = not given), the environment and the config file.

    Raises ConfigurationError with a readable message; never a pydantic traceback.
    """
    from pydantic import ValidationError

    given = {key: value for key, value in flags.items() if value is not None}
    try:
        first = Settings(**given)
        file_values: dict[str, Any] = {}
        if first.config_file is not None:
            try:
                file_values = tomllib.loads(first.config_file.read_text())
            except (OSError, tomllib.TOMLDecodeError) as exc:
                raise ConfigurationError(f"cannot read config file {first.config_file}: {exc}") from exc
            unknown = sorted(set(file_values) - set(Settings.model_fields))
            if unknown:
                raise ConfigurationError(f"unknown setting(s) in {first.config_file}: {', '.join(unknown)}")
            # The file sits below flags and environment: keep only what those left at default.
            explicit = first.model_fields_set
            merged = {k: v for k, v in file_values.items() if k not in explicit}
            return Settings(**given, **merged) if merged else first
        return first
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'settings'}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigurationError(f"invalid settings: {problems}") from exc


def settings_markdown() -> str:
    """docs/settings.md, generated from the fields (`python -m theodolite.server.settings`)."""
    lines = [
        "# Settings",
        "",
        "Every setting is one field of `theodolite.server.settings.Settings`, one environment variable and one",
        "CLI flag. Precedence: flag > environment > config file (`--config-file`, TOML with the field names as",
        "keys) > default. This file is generated: `python -m theodolite.server.settings > docs/settings.md`.",
        "",
        "| setting | environment variable | flag | default | meaning |",
        "|---|---|---|---|---|",
    ]
    for name, field in Settings.model_fields.items():
        default = {"database_url": "`theodolite.db` in the user data directory", "metadata_url": "see meaning"}.get(
            name, f"`{field.default}`"
        )
        flag = "--" + name.replace("_", "-")
        lines.append(f"| `{name}` | `THEODOLITE_{name.upper()}` | `{flag}` | {default} | {field.description} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(settings_markdown(), end="")
