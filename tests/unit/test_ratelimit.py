"""The GCRA limiter: bursts, sustained rate, and pauses after a 429."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest

from marketbridge.runtime import ratelimit
from marketbridge.runtime.ratelimit import Limiter, MemoryLimiter, RateLimit, gcra_step
from marketbridge.runtime.redis_ratelimit import RedisLimiter
from tests.conftest import redis_url


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


async def _ready_in_reserves_nothing(limiter: Limiter) -> None:
    limit = RateLimit(count=10, per_seconds=1, burst=2)  # a slot every 0.1 s, two at once
    assert await limiter.ready_in("k", limit) == 0
    await limiter.acquire("k", limit)
    await limiter.acquire("k", limit)  # the burst is spent
    first = await limiter.ready_in("k", limit)
    assert 0.05 < first <= 0.1
    assert await limiter.ready_in("k", limit) <= first  # asking again took no slot
    assert await limiter.ready_in("other", limit) == 0
    await limiter.penalize("k", 5.0)
    assert await limiter.ready_in("k", limit) > 4.9  # a pause after a 429 counts too


async def test_memory_limiter_tells_the_wait_without_taking_a_slot() -> None:
    await _ready_in_reserves_nothing(MemoryLimiter())


async def test_redis_limiter_tells_the_wait_without_taking_a_slot() -> None:
    url = redis_url()
    if not url:
        pytest.skip("MB_TEST_REDIS_URL is not set: the Redis cases need scripts/test-services.sh")
    limiter = RedisLimiter.from_url(url)
    limiter.prefix = f"mb:rl:test-ready-{time.time_ns()}:"
    try:
        await _ready_in_reserves_nothing(limiter)
    finally:
        await limiter.aclose()
