"""Per-credential budgets of one server process: writes (a token bucket) and open live
streams (a count).

They keep one credential (a runaway agent loop, a leaked token) from starving everyone
else: 429 ``rate-limited`` with ``Retry-After`` past the budget. They are per process and
in memory, so they cost no statement; behind N server processes a credential gets up to
N budgets, which is still a bound. Messages have their own, database-wide limit in
services/messages (per sender, across processes).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from crewboard.config import Settings
from crewboard.services.core import RateLimited

# Past this many tracked credentials, full (idle) buckets are forgotten.
_PRUNE_AT = 10_000


@dataclass(slots=True)
class _Bucket:
    tokens: float
    at: float


class Budgets:
    """One process's per-credential write bucket and stream counts."""

    def __init__(self, settings: Settings) -> None:
        self.per_minute = settings.writes_per_minute
        self.burst = float(settings.writes_burst)
        self.max_streams = settings.streams_per_credential
        self._buckets: dict[int, _Bucket] = {}
        self._streams: dict[int, int] = {}

    def write(self, credential_id: int) -> None:
        """Take one write from the credential's bucket (RateLimited when it is empty)."""
        now = time.monotonic()
        rate = self.per_minute / 60.0
        bucket = self._buckets.get(credential_id)
        if bucket is None:
            if len(self._buckets) >= _PRUNE_AT:
                self._prune(now, rate)
            bucket = self._buckets[credential_id] = _Bucket(self.burst, now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.at) * rate)
        bucket.at = now
        if bucket.tokens < 1.0:
            wait = math.ceil((1.0 - bucket.tokens) / rate)
            raise RateLimited(
                f"too many writes from this credential (at most {self.per_minute} a minute); "
                "slow down",
                retry_after=max(1, wait),
            )
        bucket.tokens -= 1.0

    def check_stream(self, credential_id: int) -> None:
        """RateLimited when the credential holds as many open streams as it may."""
        open_now = self._streams.get(credential_id, 0)
        if open_now >= self.max_streams:
            raise RateLimited(
                f"this credential already has {open_now} live streams open (at most "
                f"{self.max_streams}); close one first",
                retry_after=5,
            )

    def open_stream(self, credential_id: int) -> None:
        """Count a stream that has started (``check_stream`` was asked before)."""
        self._streams[credential_id] = self._streams.get(credential_id, 0) + 1

    def close_stream(self, credential_id: int) -> None:
        """A stream the credential had open has ended."""
        left = self._streams.get(credential_id, 0) - 1
        if left > 0:
            self._streams[credential_id] = left
        else:
            self._streams.pop(credential_id, None)

    def _prune(self, now: float, rate: float) -> None:
        full = [
            key
            for key, bucket in self._buckets.items()
            if bucket.tokens + (now - bucket.at) * rate >= self.burst
        ]
        for key in full:
            del self._buckets[key]
