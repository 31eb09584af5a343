"""The task queue transport (taskiq): in memory inside one process, or Redis between processes.

Only "look at this" messages travel here — what must be done is in the database already.
A message is (what, connection id): a job kind for a connection, or a bare wake-up.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from taskiq import AsyncBroker, InMemoryBroker
from taskiq.kicker import AsyncKicker

KICK_TASK = "marketbridge.kick"
QUEUE_NAME = "marketbridge:kicks"

Handler = Callable[[str, int | None], Awaitable[None]]


def make_broker(redis_url: str | None) -> AsyncBroker:
    if redis_url:
        from taskiq_redis import ListQueueBroker

        return ListQueueBroker(redis_url, queue_name=QUEUE_NAME)
    return InMemoryBroker()


class KickQueue:
    """Sends kicks through a broker and hands received ones to `handler` (set by the worker)."""

    def __init__(self, broker: AsyncBroker) -> None:
        self.broker = broker
        self.handler: Handler | None = None
        self._started = False

        async def kick(what: str, connection_id: int | None = None) -> None:
            if self.handler is not None:
                await self.handler(what, connection_id)

        broker.register_task(kick, task_name=KICK_TASK)
        self._kicker: AsyncKicker[[str, int | None], None] = AsyncKicker(KICK_TASK, broker, labels={})

    @property
    def in_process(self) -> bool:
        return isinstance(self.broker, InMemoryBroker)

    async def start(self) -> None:
        if not self._started:
            await self.broker.startup()
            self._started = True

    async def send(self, what: str, connection_id: int | None = None) -> None:
        await self.start()
        await self._kicker.kiq(what, connection_id)

    async def listen(self, finish: asyncio.Event) -> None:
        """Consume kicks sent by other processes (Redis broker) until `finish` is set."""
        from taskiq.receiver import Receiver

        await self.start()
        self.broker.is_worker_process = True
        await Receiver(self.broker, run_startup=False, max_async_tasks=50).listen(finish)

    async def stop(self) -> None:
        if self._started:
            await self.broker.shutdown()
            self._started = False
