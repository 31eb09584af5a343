"""How the rest of the hub asks for work: "look at this", never the work itself.

What must be done is already recorded in the database (pending changes, inbox, outbox) when
a kick is sent, so a lost kick only delays work until the scheduler's next tick.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol

from marketbridge.runtime.queue import KickQueue


class JobKind(StrEnum):
    STOCKS = "stocks"  # push pending stock changes
    PRICES = "prices"  # push pending price changes
    ORDERS = "orders"  # poll orders (safety net beside pushes)
    CATALOG = "catalog"  # import and match the marketplace's offers
    RETURNS = "returns"
    MODERATION = "moderation"  # follow open card exports
    RECONCILE = "reconcile"  # queue every linked listing's stock and price again
    PRICE_IMPORT = "price_import"


class Dispatcher(Protocol):
    async def kick(self, connection_id: int, kind: JobKind) -> None:
        """Ask for a run of `kind` on the connection soon; returns at once."""
        ...

    async def kick_inbox(self) -> None:
        """Ask for received pushes to be processed."""
        ...

    async def kick_webhooks(self) -> None:
        """Ask for due webhook deliveries to be sent."""
        ...


class DeferredDispatcher:
    """For processes without a local worker: the work is in the database already, and the
    worker's scheduler tick (every half second) finds it, so a kick has nothing to add."""

    async def kick(self, connection_id: int, kind: JobKind) -> None:
        return None

    async def kick_inbox(self) -> None:
        return None

    async def kick_webhooks(self) -> None:
        return None


class QueueDispatcher:
    """Kicks through the task queue: handled in this process (in-memory broker) or by workers (Redis)."""

    def __init__(self, queue: KickQueue) -> None:
        self.queue = queue

    async def kick(self, connection_id: int, kind: JobKind) -> None:
        await self.queue.send(kind.value, connection_id)

    async def kick_inbox(self) -> None:
        await self.queue.send("inbox")

    async def kick_webhooks(self) -> None:
        await self.queue.send("webhooks")
