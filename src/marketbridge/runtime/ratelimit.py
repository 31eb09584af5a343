"""Rate limiting by GCRA (a leaky bucket kept as one timestamp): wait for a slot, never fail.

One limiter key per (connection, method group). The in-memory limiter serves one process; the
Redis limiter (runtime.redis_ratelimit) keeps the same arithmetic in Redis so that every
worker shares one budget. On a 429 the caller tells the limiter to pause the key
(`penalize`), honouring the marketplace's Retry-After.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class RateLimit:
    """`count` requests per `per_seconds`, with up to `burst` requests at once."""

    count: float
    per_seconds: float
    burst: int = 1

    def __post_init__(self) -> None:
        if self.count <= 0 or self.per_seconds <= 0 or self.burst < 1:
            raise ValueError(f"invalid rate limit {self}")

    @property
    def interval(self) -> float:
        """Seconds between two requests at the sustained rate."""
        return self.per_seconds / self.count


class Limiter(Protocol):
    async def acquire(self, key: str, limit: RateLimit, cost: int = 1) -> float:
        """Wait until `cost` requests may be sent under `limit`; return the seconds waited."""
        ...

    async def ready_in(self, key: str, limit: RateLimit, cost: int = 1) -> float:
        """Seconds until `cost` requests could go under `limit` without waiting; reserves nothing."""
        ...

    async def penalize(self, key: str, seconds: float) -> None:
        """Hold every request on `key` back for `seconds` (after a 429)."""
        ...


def gcra_step(tat: float, now: float, limit: RateLimit, cost: int) -> tuple[float, float]:
    """One GCRA decision: returns (delay before sending, new theoretical arrival time).

    `tat` is the theoretical arrival time kept for the key. A request may go when
    now >= tat + cost*interval - burst*interval; its slot moves tat forward by cost*interval.
    """
    interval = limit.interval
    tat = max(tat, now)
    allow_at = tat + cost * interval - limit.burst * interval
    delay = max(0.0, allow_at - now)
    return delay, tat + cost * interval


class MemoryLimiter:
    """GCRA limiter for one process. Waiters are served in arrival order per key."""

    def __init__(self) -> None:
        self._tat: dict[str, float] = {}
        self._paused_until: dict[str, float] = {}

    def _tat_now(self, key: str, limit: RateLimit, now: float) -> float:
        tat = self._tat.get(key, now)
        pause = self._paused_until.get(key)
        if pause is not None and pause > now:
            # Restart after the pause at the sustained rate, without a burst.
            tat = max(tat, pause + (limit.burst - 1) * limit.interval)
        return tat

    async def acquire(self, key: str, limit: RateLimit, cost: int = 1) -> float:
        now = time.monotonic()
        tat = self._tat_now(key, limit, now)
        self._paused_until.pop(key, None)
        delay, self._tat[key] = gcra_step(tat, now, limit, cost)
        if delay > 0:
            await asyncio.sleep(delay)
        return delay

    async def ready_in(self, key: str, limit: RateLimit, cost: int = 1) -> float:
        now = time.monotonic()
        return gcra_step(self._tat_now(key, limit, now), now, limit, cost)[0]

    async def penalize(self, key: str, seconds: float) -> None:
        until = time.monotonic() + max(seconds, 0.0)
        self._paused_until[key] = max(self._paused_until.get(key, 0.0), until)
