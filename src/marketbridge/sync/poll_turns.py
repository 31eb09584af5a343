"""Turns for periodic runs when a worker has more of them due than it can run at once.

A worker runs at most half of its `worker_jobs` periodic runs at a time (sync/scheduler.py).
While it keeps up, every run starts when it is due and the order of the waiting ones does not
matter. When it cannot (hundreds of connections, each polling about once a second, on one
process), due runs wait, and that order decides whose orders come late. First come, first
served would treat the new-order feed, the only way a marketplace that pushes nothing hands
over its new orders, like a safety-net poll beside pushes or a catalog import.

Here a waiting run's place in the line is the moment it asked for a turn, less its kind's
head start (HEAD_START): a feed read that asks now goes before a poll that asked less than
that many seconds ago. A run that has waited longer than every head start goes before any
that asks after it, so no kind of run is starved by another.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from marketbridge.sync.dispatch import JobKind

#: Seconds a periodic run of the kind is placed ahead of when it asked for a turn. With 30 s a
#: saturated worker reads each feed several times for every safety-net poll, and a poll still
#: comes at most about half a minute later than a feed read that asked with it.
HEAD_START: dict[JobKind, float] = {JobKind.NEW_ORDERS: 30.0}


class PollTurns:
    """At most `size` holders at once; the waiting one with the earliest place goes next."""

    def __init__(self, size: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._free = size
        self._waiting: list[tuple[float, int, asyncio.Future[None]]] = []
        self._arrivals = itertools.count()
        self._clock = clock

    @asynccontextmanager
    async def turn(self, kind: JobKind) -> AsyncIterator[None]:
        await self._take(kind)
        try:
            yield
        finally:
            self._give_back()

    async def _take(self, kind: JobKind) -> None:
        if self._free > 0:
            self._free -= 1
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        place = self._clock() - HEAD_START.get(kind, 0.0)
        heapq.heappush(self._waiting, (place, next(self._arrivals), future))
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():  # handed a turn just as it was cancelled
                self._give_back()
            raise

    def _give_back(self) -> None:
        """Hand the turn to the first in line that still waits (a cancelled one has left)."""
        while self._waiting:
            *_, future = heapq.heappop(self._waiting)
            if not future.done():
                future.set_result(None)
                return
        self._free += 1
