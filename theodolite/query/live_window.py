"""The live dashboard's windows (15 min to 24 h) and their time buckets, engine-neutral."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from theodolite.errors import BadRequestError

# window -> (length, bucket step), in seconds
WINDOWS: dict[str, tuple[int, int]] = {"15m": (900, 60), "1h": (3600, 60), "6h": (21600, 300), "24h": (86400, 900)}


@dataclass(frozen=True, slots=True)
class LiveWindow:
    """Whole buckets: the last is the current one (it runs to its end), the first starts
    `length_s - step_s` before it. Rates per bucket are over the bucket's length; the window's
    totals are over the time from its start to `now`."""

    name: str
    length_s: int
    step_s: int
    now: datetime

    @property
    def last_bucket(self) -> int:
        return int(self.now.timestamp()) // self.step_s

    @property
    def first_bucket(self) -> int:
        return self.last_bucket - self.bucket_count + 1

    @property
    def bucket_count(self) -> int:
        return self.length_s // self.step_s

    @property
    def start(self) -> datetime:
        return datetime.fromtimestamp(self.first_bucket * self.step_s, UTC)

    @property
    def end(self) -> datetime:
        return datetime.fromtimestamp((self.last_bucket + 1) * self.step_s, UTC)

    @property
    def elapsed_s(self) -> float:
        return max(1.0, self.now.timestamp() - self.first_bucket * self.step_s)


def live_window(name: str, now: datetime | None = None) -> LiveWindow:
    if name not in WINDOWS:
        raise BadRequestError(f"window must be one of {', '.join(WINDOWS)}, not {name!r}")
    length_s, step_s = WINDOWS[name]
    return LiveWindow(name, length_s, step_s, now or datetime.now(UTC))
