"""The GCRA limiter kept in Redis, so that every worker on every machine shares one budget.

One Lua script does the arithmetic atomically: it reads the key's theoretical arrival time,
decides the delay, stores the new time and returns the delay; the caller sleeps it off. The
same script only reads when asked how long a call would wait (`ready_in`).
"""

from __future__ import annotations

import asyncio
from typing import Any

from redis.asyncio import Redis

from marketbridge.runtime.ratelimit import RateLimit

# KEYS[1] = tat key, KEYS[2] = pause key; ARGV = interval, burst, cost (seconds / counts), and
# 1 to take the slot or 0 to only tell the delay
_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
local pause = tonumber(redis.call('GET', KEYS[2]) or 0)
if pause > now then
  tat = math.max(tat, pause + (burst - 1) * interval)
end
if tat < now then tat = now end
local allow_at = tat + cost * interval - burst * interval
local delay = allow_at - now
if delay < 0 then delay = 0 end
if ARGV[4] == '1' then
  local new_tat = tat + cost * interval
  redis.call('SET', KEYS[1], tostring(new_tat), 'PX', math.ceil((new_tat - now) * 1000) + 60000)
end
return tostring(delay)
"""


class RedisLimiter:
    def __init__(self, redis: Redis, prefix: str = "mb:rl:") -> None:
        self.redis = redis
        self.prefix = prefix
        self._script: Any = redis.register_script(_SCRIPT)

    @classmethod
    def from_url(cls, url: str) -> RedisLimiter:
        return cls(Redis.from_url(url))

    async def acquire(self, key: str, limit: RateLimit, cost: int = 1) -> float:
        delay = await self._delay(key, limit, cost, take=True)
        if delay > 0:
            await asyncio.sleep(delay)
        return delay

    async def ready_in(self, key: str, limit: RateLimit, cost: int = 1) -> float:
        return await self._delay(key, limit, cost, take=False)

    async def _delay(self, key: str, limit: RateLimit, cost: int, take: bool) -> float:
        raw = await self._script(
            keys=[self.prefix + key, self.prefix + key + ":pause"],
            args=[limit.interval, limit.burst, cost, 1 if take else 0],
        )
        return float(raw)

    async def penalize(self, key: str, seconds: float) -> None:
        t = await self.redis.time()
        now = t[0] + t[1] / 1_000_000
        until = now + max(seconds, 0.0)
        pause_key = self.prefix + key + ":pause"
        current = await self.redis.get(pause_key)
        if current is None or float(current) < until:
            await self.redis.set(pause_key, str(until), px=int(max(seconds, 0.001) * 1000) + 60000)

    async def aclose(self) -> None:
        await self.redis.aclose()
