"""How the rest of the hub asks for work: "look at this", never the work itself.

What must be done is already recorded in the database (pending changes, inbox, outbox) when
a kick is sent, so a lost kick only delays work until the scheduler's next tick. Code that
writes such work does not kick by hand: it notes the kick on its session (`sync/kicks.py`),
and the kicks are sent once the transaction committed. A direct `kick` is for a person or a
program asking for a run now ("sync now").
"""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol

from marketbridge.runtime.queue import KickQueue


class JobKind(StrEnum):
    STOCKS = "stocks"  # push pending stock changes
    PRICES = "prices"  # push pending price changes
    ORDERS = "orders"  # poll orders (safety net beside pushes)
    NEW_ORDERS = "new_orders"  # read the new-order feed (the fast lane where nothing is pushed)
    CATALOG = "catalog"  # import and match the marketplace's offers
    RETURNS = "returns"  # import returns and claims
    MODERATION = "moderation"  # follow open card exports
    RECONCILE = "reconcile"  # queue every linked listing's stock and price again
    PRICE_IMPORT = "price_import"  # read the marketplace's prices into the hub
    STOCK_IMPORT = "stock_import"  # read the marketplace's stock into the hub (the starting point)


class ChangeKind(StrEnum):
    """What a pending change holds (`pending_changes.kind`, `pushed_values.kind`)."""

    STOCK = "stock"
    PRICE = "price"

    @property
    def job(self) -> JobKind:
        """The job that pushes changes of this kind."""
        return JobKind.STOCKS if self is ChangeKind.STOCK else JobKind.PRICES

    @classmethod
    def pushed_by(cls, job: JobKind) -> ChangeKind | None:
        """The kind of change the job pushes; None for a job that pushes nothing."""
        return next((kind for kind in cls if kind.job == job), None)


#: The queue message that only wakes the scheduler (its tick looks at the inbox, the outbox
#: and due pending changes at once).
WAKE = "wake"


class Dispatcher(Protocol):
    async def kick(self, connection_id: int, kind: JobKind) -> None:
        """Ask for a run of `kind` on the connection soon; returns at once."""
        ...

    async def wake(self) -> None:
        """Wake the scheduler now instead of at its next tick (received pushes, webhooks to send)."""
        ...


class QueueDispatcher:
    """Kicks through the task queue: handled in this process (in-memory broker) or by workers (Redis)."""

    def __init__(self, queue: KickQueue) -> None:
        self.queue = queue

    async def kick(self, connection_id: int, kind: JobKind) -> None:
        await self.queue.send(kind.value, connection_id)

    async def wake(self) -> None:
        await self.queue.send(WAKE)
