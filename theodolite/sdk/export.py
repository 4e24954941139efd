"""The export thread: a bounded queue the application appends to in O(1), drained in batches to
OTLP/HTTP protobuf (spans) and /api/v1/scores (scores).

Promises to the host application:
- never blocks it: `add` appends or, when `max_queue_spans` are waiting, drops and counts
  (`dropped_spans`); with the server down for ten minutes memory stays at the queue's bound;
- never raises into it: failures are logged and counted;
- retries 429/502/503/504 and connection errors with exponential backoff (honouring
  Retry-After), up to `max_retries`, then drops the batch and counts it (`failed_spans`);
- a score the server's score config refuses costs that score only: the server refuses the whole
  request and names the score's index, and the others are sent again without it;
- `flush(timeout)` and `shutdown(timeout)` return within their timeouts;
- fork-safe: a forked child starts with an empty queue and its own thread.
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import re
import threading
import time
import urllib.parse
from collections import deque
from collections.abc import Callable
from typing import Any

from theodolite.sdk.config import Config
from theodolite.sdk.encode import encode_spans
from theodolite.sdk.records import ScoreRecord, SpanRecord

log = logging.getLogger("theodolite")
RETRY_STATUSES = frozenset({429, 502, 503, 504})
MAX_BACKOFF_S = 30.0


# How POST /api/v1/scores names the score that broke its score config (`server/routes/scores.py`).
REFUSED_SCORE = re.compile(r"nothing stored: score (\d+): ")


class RefusedScore(Exception):
    """The server refused a batch of scores for the one at `index` (it does not fit its score config)."""

    def __init__(self, index: int, message: str) -> None:
        super().__init__(message)
        self.index = index


class RetryableError(Exception):
    def __init__(self, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class HttpSender:
    """POSTs to the server over one kept-alive connection (http.client: no dependency)."""

    def __init__(self, config: Config) -> None:
        parsed = urllib.parse.urlsplit(config.endpoint)
        self._https = parsed.scheme == "https"
        self._host = parsed.hostname or "127.0.0.1"
        self._port = parsed.port or (443 if self._https else 80)
        self._base = parsed.path.rstrip("/")
        self._timeout = config.export_timeout_s
        self._headers = {"User-Agent": "theodolite-python-sdk", **config.headers}
        if config.api_key:
            self._headers["Authorization"] = f"Bearer {config.api_key}"
        self._connection: http.client.HTTPConnection | None = None

    def post(self, path: str, body: bytes, content_type: str) -> None:
        if self._connection is None:
            factory = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
            self._connection = factory(self._host, self._port, timeout=self._timeout)
        try:
            self._connection.request("POST", self._base + path, body, {**self._headers, "Content-Type": content_type})
            response = self._connection.getresponse()
            detail = response.read()
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            raise RetryableError(f"{type(exc).__name__}: {exc}") from exc
        if response.status in RETRY_STATUSES:
            raise RetryableError(f"HTTP {response.status}", _retry_after(response.getheader("Retry-After")))
        if response.status == 400 and (refused := REFUSED_SCORE.search(detail.decode(errors="replace"))):
            raise RefusedScore(int(refused.group(1)), f"HTTP 400: {detail[:300]!r}")
        if response.status >= 300:
            raise RuntimeError(f"HTTP {response.status}: {detail[:300]!r}")

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


class Exporter:
    def __init__(self, config: Config, resource: dict[str, Any], sender: Callable[[], HttpSender] | None = None):
        self.config = config
        self.resource = resource
        self._make_sender = sender or (lambda: HttpSender(config))
        self.dropped_spans = 0
        self.failed_spans = 0
        self.exported_spans = 0
        self._reset()
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=self._reset)

    def _reset(self) -> None:
        """A fresh queue, lock and (lazily started) thread: also what a forked child gets."""
        self._spans: deque[SpanRecord] = deque()
        self._scores: deque[ScoreRecord] = deque()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()  # interrupts a retry's backoff; a flush does not
        self._idle = threading.Condition(self._lock)
        self._in_flight = 0
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()

    # --- the application's side: O(1), never blocks, never raises -------------------------
    def add(self, span: SpanRecord) -> None:
        spans = self._spans
        if len(spans) >= self.config.max_queue_spans:
            self.dropped_spans += 1
            return
        spans.append(span)
        if self._thread is None:
            self._start()
        if len(spans) >= self.config.batch_spans:
            self._wake.set()

    def add_score(self, score: ScoreRecord) -> None:
        if len(self._scores) >= self.config.max_queue_spans:
            self.dropped_spans += 1
            return
        self._scores.append(score)
        if self._thread is None:
            self._start()

    def _start(self) -> None:
        with self._lock:
            if self._thread is None and not self._stopping:
                self._thread = threading.Thread(target=self._run, name="theodolite-export", daemon=True)
                self._thread.start()

    # --- flush and shutdown ----------------------------------------------------------------
    def flush(self, timeout_s: float = 10.0) -> bool:
        """Export what is queued now; True when it was all sent (or dropped) within the timeout."""
        if self._thread is None and not (self._spans or self._scores):
            return True
        self._start()
        deadline = time.monotonic() + timeout_s
        with self._idle:
            while self._spans or self._scores or self._in_flight:
                self._wake.set()
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not (self._thread and self._thread.is_alive()):
                    return False
                self._idle.wait(min(remaining, 0.1))
        return True

    def shutdown(self, timeout_s: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout_s
        done = self.flush(timeout_s)
        self._stopping = True
        self._stop.set()
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(max(0.0, deadline - time.monotonic()))
        return done

    # --- the export thread -----------------------------------------------------------------
    def _run(self) -> None:
        sender = self._make_sender()
        try:
            while True:
                self._wake.wait(self.config.flush_interval_s)
                self._wake.clear()
                while self._spans or self._scores:
                    self._export_once(sender)
                with self._idle:
                    self._idle.notify_all()
                if self._stopping:
                    return
        finally:
            sender.close()

    def _take(self, queue: deque, limit: int) -> list:
        batch = []
        with self._lock:
            while queue and len(batch) < limit:
                batch.append(queue.popleft())
            self._in_flight += len(batch)
        return batch

    def _export_once(self, sender: HttpSender) -> None:
        spans = self._take(self._spans, self.config.batch_spans)
        scores = self._take(self._scores, self.config.batch_spans)
        try:
            if spans:
                body = encode_spans(spans, self.resource, self.config.max_payload_chars, self.config.mask)
                if self._send(sender, "/v1/traces", body, "application/x-protobuf"):
                    self.exported_spans += len(spans)
                else:
                    self.failed_spans += len(spans)
            if scores:
                self._send_scores(sender, list(scores))
        except Exception:  # noqa: BLE001 - the export thread must survive anything
            log.exception("theodolite: exporting a batch failed; it was dropped")
            self.failed_spans += len(spans) + len(scores)
        finally:
            with self._idle:
                self._in_flight -= len(spans) + len(scores)
                self._idle.notify_all()

    def _send_scores(self, sender: HttpSender, scores: list[ScoreRecord]) -> None:
        """Send the scores; each one the server refuses by index is dropped (logged and counted) and
        the rest sent again: one score that does not fit its config never costs the others."""
        while scores:
            body = json.dumps({"scores": [score.document for score in scores]}).encode()
            try:
                if not self._send(sender, "/api/v1/scores", body, "application/json"):
                    self.failed_spans += len(scores)
                return
            except RefusedScore as refused:
                if not 0 <= refused.index < len(scores):
                    log.warning("theodolite: the server refused a batch of scores: %s", refused)
                    self.failed_spans += len(scores)
                    return
                dropped = scores.pop(refused.index)
                self.failed_spans += 1
                log.warning("theodolite: the server refused score %r: %s", dropped.document.get("name"), refused)

    def _send(self, sender: HttpSender, path: str, body: bytes, content_type: str) -> bool:
        delay = 0.5
        for attempt in range(self.config.max_retries + 1):
            try:
                sender.post(path, body, content_type)
                return True
            except RetryableError as exc:
                if attempt == self.config.max_retries or self._stopping:
                    log.warning("theodolite: giving up on a batch after %d attempts: %s", attempt + 1, exc)
                    return False
                wait = exc.retry_after_s if exc.retry_after_s is not None else delay
                delay = min(delay * 2, MAX_BACKOFF_S)
                if self._stop.wait(min(wait, MAX_BACKOFF_S)):
                    return False
            except RefusedScore:
                raise  # `_send_scores` sends the others again
            except Exception as exc:  # noqa: BLE001 - 4xx: the batch will never be accepted
                log.warning("theodolite: the server refused a batch: %s", exc)
                return False
        return False
