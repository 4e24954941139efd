"""JSON calls to the server's HTTP API with the SDK's configured endpoint and key (urllib: no
dependency), for the SDK features that read or write more than telemetry (experiments)."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from theodolite.sdk.config import Config


class ApiError(Exception):
    """The server answered with an error (or could not be reached: status 0)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"HTTP {status}: {message}" if status else message)
        self.status = status
        self.message = message


def call(config: Config, method: str, path: str, body: Any = None, params: dict[str, Any] | None = None) -> Any:
    """The decoded JSON answer of `method path`; raises ApiError with the server's message."""
    query = urllib.parse.urlencode({k: v for k, v in (params or {}).items() if v is not None})
    url = f"{config.endpoint}{path}" + (f"?{query}" if query else "")
    headers = {"User-Agent": "theodolite-python-sdk", "Accept": "application/json", **config.headers}
    if config.api_key:
        headers["Authorization"] = f"Bearer {config.api_key}"
    data = None
    if body is not None:
        data = json.dumps(body, default=str).encode()
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=max(30.0, config.export_timeout_s)) as response:
            text = response.read()
    except urllib.error.HTTPError as exc:
        raise ApiError(exc.code, _detail(exc.read())) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ApiError(0, f"cannot reach {config.endpoint}: {reason}") from None
    return json.loads(text) if text else None


def _detail(body: bytes) -> str:
    """The server's message: its errors are {"error": {"status", "message"}}."""
    try:
        return str(json.loads(body)["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return body[:300].decode(errors="replace")
