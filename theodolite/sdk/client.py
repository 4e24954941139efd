"""The process-wide SDK state: configuration, the exporter, and the SDK's own error policy."""

from __future__ import annotations

import atexit
import logging
import random
import threading
from typing import Any

from theodolite.sdk.config import Config
from theodolite.sdk.export import Exporter

log = logging.getLogger("theodolite")


class Client:
    def __init__(self, config: Config) -> None:
        self.config = config
        resource = {
            "service.name": config.service_name,
            "telemetry.sdk.name": "theodolite",
            "theodolite.environment": config.environment,
            "theodolite.release": config.release,
        }
        self.exporter = Exporter(config, resource)
        self.enabled = config.enabled
        self.sample_rate = config.sample_rate

    def sampled(self) -> bool:
        return self.sample_rate >= 1.0 or random.random() < self.sample_rate

    def sdk_error(self, what: str) -> None:
        """An error inside the SDK: logged, never raised into the application (raised in strict mode)."""
        if self.config.strict:
            raise
        log.exception("theodolite: %s failed; the application was not affected", what)


_lock = threading.Lock()
_client: Client | None = None


def get_client() -> Client:
    global _client
    client = _client
    if client is None:
        with _lock:
            if _client is None:
                _client = Client(Config.from_env())
                atexit.register(_client.exporter.shutdown, 5.0)
            client = _client
    return client


def configure(**settings: Any) -> Client:
    """Set the SDK up (keyword arguments as in `Config`; unset ones come from THEODOLITE_*)."""
    global _client
    config = Config.from_env(**settings)
    with _lock:
        old, _client = _client, Client(config)
        atexit.register(_client.exporter.shutdown, 5.0)
    if old is not None:
        old.exporter.shutdown(5.0)
    return _client


def flush(timeout: float = 10.0) -> bool:
    """Send everything recorded so far; True when it was delivered within `timeout` seconds."""
    return get_client().exporter.flush(timeout)


def shutdown(timeout: float = 10.0) -> bool:
    return get_client().exporter.shutdown(timeout)
