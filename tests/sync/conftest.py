"""A running demo world for the sync tests, in both deployments the hub supports:

- memory: the embedded default — the worker runs inside the hub process, kicks travel in memory;
- redis: the hub only records work and kicks through Redis; two separate `marketbridge worker`
  processes do the work, sharing rate limits through Redis.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from redis.asyncio import Redis

from marketbridge.demo.catalog import build_catalog
from marketbridge.demo.world import World, open_world
from marketbridge.runtime.queue import KickQueue, make_broker
from marketbridge.runtime.redis_ratelimit import RedisLimiter
from marketbridge.runtime.settings import Settings
from marketbridge.store.crypto import SecretBox
from marketbridge.store.db import Database
from marketbridge.wiring import Hub
from tests.conftest import redis_url
from tests.support.workers import WorkerProcess, worker_env


def redis_hub(db: Database, url: str, key: bytes) -> Hub:
    return Hub(
        settings=Settings(redis_url=url, lease_ttl=3.0),
        db=db,
        box=SecretBox([key]),
        limiter=RedisLimiter.from_url(url),
        queue=KickQueue(make_broker(url)),
    )


async def flush_redis(url: str) -> None:
    client = Redis.from_url(url)
    await client.flushdb()
    await client.aclose()


@pytest.fixture(params=["memory", "redis"])
async def world(request: pytest.FixtureRequest, db: Database, tmp_path: Path) -> AsyncIterator[World]:
    catalog = build_catalog(products=15, seed=11, bundles=3)
    if request.param == "memory":
        async with open_world(catalog, db, serve_api=False) as w:
            yield w
        return
    url = redis_url()
    if not url:
        pytest.skip("MB_TEST_REDIS_URL is not set: the Redis cases need scripts/test-services.sh")
    await flush_redis(url)
    key = Fernet.generate_key()
    async with open_world(
        catalog, db, serve_api=False, start_worker=False, hub_factory=lambda d: redis_hub(d, url, key)
    ) as w:
        env = worker_env(db.url, key.decode(), url)
        workers = [WorkerProcess(env, tmp_path / f"worker-{n}.log").start() for n in range(2)]
        try:
            yield w
        finally:
            for worker in workers:
                worker.stop()
