"""Multi-process OTLP/HTTP load generator on raw keep-alive http.client connections.

One httpx client tops out near 1,000 requests/s on its own CPU on this machine (measured on
2 cores), so each client is its own process with one keep-alive
http.client connection and one request in flight: a closed loop. Bodies are built before
the processes fork and are shared copy-on-write, so a client only writes bytes to a socket.

Optional send window: for a server that acknowledges before it commits (Phoenix), a closed
loop does not bound anything, because acknowledgements come back at once and the server's
queue grows. The parent then publishes `allowed` = spans counted in the database + window,
and clients only send while spans sent <= allowed, so at most `window` spans are ever
acknowledged-but-not-stored.
"""

from __future__ import annotations

import collections
import http.client
import multiprocessing as mp
import queue
import time
from dataclasses import dataclass, field

_CTX = mp.get_context("fork")  # fork: children share the pre-built bodies without pickling
MAX_RETRIES = 30  # per request, for 429/503 answers and dropped connections
DEFAULT_BACKOFF_S = 1.0  # when a 429/503 carries no (usable) Retry-After
MAX_BACKOFF_S = 30.0  # never trust a Retry-After beyond this
_IDLE_CLOSED = (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected)


@dataclass
class Target:
    host: str
    port: int
    path: str
    headers: dict


@dataclass
class LoadResult:
    ok_requests: int = 0
    ok_spans: int = 0
    latencies_s: list = field(default_factory=list)  # of the attempts answered 2xx
    throttled: int = 0  # 429/503 answers (retried after Retry-After)
    throttled_wait_s: float = 0.0
    reconnects: int = 0  # idle keep-alive connections the server had closed
    cpu_s: float = 0.0  # CPU time of the client processes
    errors: dict = field(default_factory=dict)  # status or exception name -> count
    failed_requests: int = 0  # given up on (non-retryable status, retries exhausted)
    unsent_requests: int = 0  # not sent: time up or window never opened

    def merge(self, other: LoadResult) -> None:
        for name in (
            "ok_requests",
            "ok_spans",
            "throttled",
            "throttled_wait_s",
            "reconnects",
            "cpu_s",
            "failed_requests",
            "unsent_requests",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.latencies_s.extend(other.latencies_s)
        for k, v in other.errors.items():
            self.errors[k] = self.errors.get(k, 0) + v


def _retry_after(resp: http.client.HTTPResponse) -> float:
    value = resp.getheader("Retry-After")
    try:
        return min(MAX_BACKOFF_S, max(0.0, float(value))) if value else DEFAULT_BACKOFF_S
    except ValueError:  # an HTTP date: not worth parsing for a local benchmark
        return DEFAULT_BACKOFF_S


def _client(
    target: Target, bodies: list, my: range, spans_per_body: list, start, stop, acked_total, sent, allowed, out
) -> None:
    """One client process: send bodies[i] for i in `my`, one at a time, until done or time up."""
    res = LoadResult()
    conn = http.client.HTTPConnection(target.host, target.port, timeout=60)
    start.wait(120)
    pending = collections.deque(my)
    while pending:
        i = pending[0]
        n = spans_per_body[i]
        if time.monotonic() >= stop.value:
            break
        if allowed is not None:  # window: reserve n spans of credit, or wait for the DB
            with sent.get_lock():
                ok = sent.value + n <= allowed.value
                if ok:
                    sent.value += n
            if not ok:  # the parent re-opens the window every 0.5 s; 0.05 s costs no rate
                time.sleep(0.05)
                continue
        pending.popleft()
        acked = False
        for _attempt in range(MAX_RETRIES):
            if time.monotonic() >= stop.value:  # no new attempt once time is up
                break
            t = time.monotonic()
            try:
                conn.request("POST", target.path, body=bodies[i], headers=target.headers)
                resp = conn.getresponse()
                resp.read()
            except _IDLE_CLOSED:
                # The server dropped a keep-alive connection that sat idle (uvicorn closes
                # them after 5 s, which happens while a client waits for the window):
                # nothing was processed, so reconnect and resend at once.
                res.reconnects += 1
                conn.close()
                continue
            except (OSError, http.client.HTTPException) as e:
                res.errors[type(e).__name__] = res.errors.get(type(e).__name__, 0) + 1
                conn.close()  # reconnect on the next attempt
                time.sleep(0.1)
                continue
            dt = time.monotonic() - t
            if 200 <= resp.status < 300:
                res.ok_requests += 1
                res.ok_spans += n
                res.latencies_s.append(dt)
                with acked_total.get_lock():
                    acked_total.value += n
                acked = True
                break
            if resp.status in (429, 503):
                wait = _retry_after(resp)
                res.throttled += 1
                res.throttled_wait_s += wait
                time.sleep(min(wait, max(0.0, stop.value - time.monotonic())))
                continue
            res.errors[str(resp.status)] = res.errors.get(str(resp.status), 0) + 1
            break
        if not acked:
            res.failed_requests += 1
            if allowed is not None:  # give the credit back: these spans will never be stored
                with sent.get_lock():
                    sent.value -= n
    res.unsent_requests = len(pending)
    res.cpu_s = time.process_time()  # this client's own CPU: is the generator the limit?
    conn.close()
    out.put(res)


class LoadRun:
    """Fork `clients` processes over `bodies`; start() releases them at once."""

    def __init__(
        self,
        target: Target,
        bodies: list,
        spans_per_body: list,
        clients: int,
        max_seconds: float,
        window: int | None = None,
    ):
        self.start_event = _CTX.Event()
        self.sent = _CTX.Value("q", 0)
        self.acked = _CTX.Value("q", 0)  # spans acknowledged so far: the parent's progress view
        self.stop = _CTX.Value("d", float("inf"))  # monotonic time at which clients stop
        self.allowed = _CTX.Value("q", 0) if window is not None else None
        self.window = window
        self.out = _CTX.Queue()
        self.max_seconds = max_seconds
        self.procs = []
        self._results: list[LoadResult] = []
        # Interleaved shares (0, c, 2c, ...) so all clients finish at about the same time.
        self._shares = [range(k, len(bodies), clients) for k in range(clients)]
        self._args = (target, bodies, spans_per_body)

    def set_stored(self, stored: int) -> None:
        """Open the window up to `stored` + window spans (no-op without a window)."""
        if self.allowed is not None:
            self.allowed.value = stored + self.window

    def start(self) -> float:
        # Fork first, release together: process start-up is not part of the timed run.
        t0 = time.monotonic() + 0.5
        self.stop.value = t0 + self.max_seconds
        for share in self._shares:
            p = _CTX.Process(target=self._wrap, args=(share,), daemon=True)
            p.start()
            self.procs.append(p)
        time.sleep(max(0.0, t0 - time.monotonic()))
        self.start_event.set()
        self.t0 = time.monotonic()
        return self.t0

    def _wrap(self, share) -> None:
        target, bodies, spans_per_body = self._args
        _client(
            target,
            bodies,
            share,
            spans_per_body,
            self.start_event,
            self.stop,
            self.acked,
            self.sent,
            self.allowed,
            self.out,
        )

    def abort(self) -> None:
        """Make every client stop at its next check (the request in flight may finish)."""
        self.stop.value = 0.0

    def wait(self, timeout: float) -> bool:
        """Take in client results for up to `timeout` s; True once every client reported.

        Results are read while clients run, not after: a client whose result does not fit
        the pipe buffer cannot exit until the parent reads it."""
        deadline = time.monotonic() + timeout
        while len(self._results) < len(self.procs):
            try:
                self._results.append(self.out.get(timeout=max(0.01, deadline - time.monotonic())))
            except queue.Empty:
                if not any(p.is_alive() for p in self.procs) and self.out.empty():
                    return True  # a client died without reporting: finish() notes it
                return False
        return True

    def finish(self, timeout: float = 60) -> LoadResult:
        """Wait (bounded) for the remaining results, reap the processes, merge the results."""
        self.wait(timeout)
        total = LoadResult()
        for r in self._results:
            total.merge(r)
        lost = len(self.procs) - len(self._results)
        if lost:
            total.errors["client_lost"] = lost
        for p in self.procs:
            p.join(timeout=5)
            if p.is_alive():
                p.kill()
                p.join(5)
        return total
