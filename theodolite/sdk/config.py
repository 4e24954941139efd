"""SDK settings: `theodolite.configure(...)` arguments, else THEODOLITE_* environment variables."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

DEFAULT_ENDPOINT = "http://127.0.0.1:4318"


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() not in ("0", "false", "no", "off")


def _env_float(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


@dataclass(slots=True)
class Config:
    """Everything the SDK can be told. Read once by `configure()`; environment as the fallback."""

    endpoint: str = DEFAULT_ENDPOINT  # the server's base URL; spans go to <endpoint>/v1/traces
    api_key: str | None = None  # a project's secret key (Authorization: Bearer)
    project: str | None = None  # a label for in-process metrics; the key decides the server project
    service_name: str = "llm-app"
    environment: str | None = None
    release: str | None = None
    sample_rate: float = 1.0  # share of traces kept, decided at the root
    enabled: bool = True
    capture_input: bool = True
    capture_output: bool = True
    mask: Callable[[Any], Any] | None = None  # applied to every captured input and output
    max_queue_spans: int = 10_000  # beyond this, new spans are dropped and counted
    batch_spans: int = 512
    flush_interval_s: float = 1.0
    export_timeout_s: float = 10.0
    max_retries: int = 6
    max_payload_chars: int = 32_768  # captured input/output longer than this is truncated
    strict: bool = False  # raise the SDK's own errors (its tests); applications never want this
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, **overrides: Any) -> Config:
        env = os.environ
        config = cls(
            endpoint=env.get("THEODOLITE_ENDPOINT", DEFAULT_ENDPOINT).rstrip("/"),
            api_key=env.get("THEODOLITE_API_KEY") or None,
            project=env.get("THEODOLITE_PROJECT") or None,
            service_name=env.get("OTEL_SERVICE_NAME") or env.get("THEODOLITE_SERVICE_NAME") or "llm-app",
            environment=env.get("THEODOLITE_ENVIRONMENT") or None,
            release=env.get("THEODOLITE_RELEASE") or None,
            sample_rate=min(1.0, max(0.0, _env_float("THEODOLITE_SAMPLE_RATE", 1.0))),
            enabled=_env_bool("THEODOLITE_ENABLED", True),
            capture_input=_env_bool("THEODOLITE_CAPTURE_INPUT", True),
            capture_output=_env_bool("THEODOLITE_CAPTURE_OUTPUT", True),
        )
        for key, value in overrides.items():
            if value is None:
                continue
            if not hasattr(config, key):
                raise TypeError(f"configure() got an unknown setting {key!r}")
            setattr(config, key, value.rstrip("/") if key == "endpoint" else value)
        return config
