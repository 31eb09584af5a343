"""The GCRA limiter: bursts, sustained rate, and pauses after a 429."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest

from marketbridge.runtime import ratelimit
from marketbridge.runtime.ratelimit import MemoryLimiter, RateLimit, gcra_step


def test_gcra_step_allows_burst_then_spaces_requests() -> None:
    limit = RateLimit(count=10, per_seconds=1, burst=3)
    tat = 0.0
    delays = []
    for _ in range(5):
        delay, tat = gcra_step(tat, 0.0, limit, 1)
        delays.append(round(delay, 3))
    assert delays == [0.0, 0.0, 0.0, 0.1, 0.2]


def test_rate_limit_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        RateLimit(count=0, per_seconds=1)


async def test_memory_limiter_holds_the_rate() -> None:
    limiter = MemoryLimiter()
    limit = RateLimit(count=50, per_seconds=1, burst=1)
    started = time.monotonic()
    for _ in range(11):
        await limiter.acquire("k", limit)
    elapsed = time.monotonic() - started
    assert elapsed >= 0.19  # 10 intervals of 20 ms after the first


async def test_penalize_pauses_the_key_only(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [1000.0]  # the limiter's clock, moved only by the test: no stall can change the answer
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(monotonic=lambda: clock[0]))
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock[0] += seconds

    monkeypatch.setattr(ratelimit, "asyncio", SimpleNamespace(sleep=sleep))
    limiter = MemoryLimiter()
    limit = RateLimit(count=1000, per_seconds=1, burst=10)
    await limiter.penalize("a", 0.2)
    assert await limiter.acquire("b", limit) == 0
    clock[0] += 0.05  # 50 ms pass before key "a" asks again
    waited = await limiter.acquire("a", limit)
    assert waited == pytest.approx(0.15) and slept == [waited]
