"""Builds the hub's parts from settings: database, secret box, rate limiter, queue, channels.

The API process, the worker and the CLI all start from `Hub.from_settings`, so every process
is wired the same way: with MB_REDIS_URL set, the rate limits and the kick queue live in
Redis and are shared by every process; without it, both stay inside the one process.
Every hub registers the after-commit kicks on its database (`sync/kicks.py`), so whatever a
process commits wakes the workers, wherever they run.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import uuid
from dataclasses import dataclass, field

from marketbridge.runtime.metrics import MeteredLimiter
from marketbridge.runtime.queue import KickQueue, make_broker
from marketbridge.runtime.ratelimit import Limiter, MemoryLimiter
from marketbridge.runtime.settings import Settings
from marketbridge.runtime.targets import Resolver, system_resolver
from marketbridge.store.crypto import SecretBox
from marketbridge.store.db import Database
from marketbridge.sync.channel_pool import ChannelPool
from marketbridge.sync.dispatch import Dispatcher, JobKind, QueueDispatcher
from marketbridge.sync.kicks import AfterCommitKicks
from marketbridge.sync.scheduler import Scheduler


@dataclass
class Hub:
    settings: Settings
    db: Database
    box: SecretBox
    limiter: Limiter = field(default_factory=MemoryLimiter)
    queue: KickQueue = field(default_factory=lambda: KickQueue(make_broker(None)))
    #: How tenant-given host names are resolved before they are checked (a seam for tests).
    resolver: Resolver = field(default_factory=lambda: system_resolver)
    worker_id: str = field(
        default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
    )
    channels: ChannelPool = field(init=False)
    dispatcher: Dispatcher = field(init=False)
    scheduler: Scheduler | None = field(default=None, init=False)
    _worker_task: asyncio.Task[None] | None = field(default=None, init=False)
    _listen_task: asyncio.Task[None] | None = field(default=None, init=False)
    _stop: asyncio.Event = field(default_factory=asyncio.Event, init=False)
    _closed: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        self.channels = ChannelPool(
            self.box, MeteredLimiter(self.limiter), allow_loopback=self.settings.allow_loopback_targets
        )
        self.dispatcher = QueueDispatcher(self.queue)
        AfterCommitKicks(lambda: self.dispatcher).install(self.db)

    @classmethod
    def from_settings(cls, settings: Settings) -> Hub:
        limiter: Limiter = MemoryLimiter()
        if settings.redis_url:
            from marketbridge.runtime.redis_ratelimit import RedisLimiter

            limiter = RedisLimiter.from_url(settings.redis_url)
        return cls(
            settings=settings,
            db=Database(settings.resolved_database_url()),
            box=SecretBox(settings.fernet_keys()),
            limiter=limiter,
            queue=KickQueue(make_broker(settings.redis_url)),
        )

    async def start_worker(self) -> Scheduler:
        """Run the scheduler in this process (sync jobs, inbox, webhook delivery) and take the
        kicks the queue delivers here."""
        scheduler = Scheduler(self)
        self.scheduler = scheduler

        async def on_kick(what: str, connection_id: int | None) -> None:
            if connection_id is not None and what in JobKind.__members__.values():
                scheduler.start(connection_id, JobKind(what), "kick")
            else:
                scheduler.wake()

        self.queue.handler = on_kick
        await self.queue.start()
        self._stop.clear()
        self._worker_task = asyncio.create_task(scheduler.run(self._stop))
        if not self.queue.in_process:
            self._listen_task = asyncio.create_task(self.queue.listen(self._stop))
        return scheduler

    async def stop_worker(self) -> None:
        self._stop.set()
        if self._worker_task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker_task
            self._worker_task = None
        if self._listen_task is not None:
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(self._listen_task, 5)
            self._listen_task = None
        self.queue.handler = None

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        await self.stop_worker()
        await self.queue.stop()
        await self.channels.aclose()
        aclose = getattr(self.limiter, "aclose", None)
        if aclose is not None:
            await aclose()
        await self.db.dispose()
