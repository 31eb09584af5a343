"""Kicks and wakes go out when the transaction commits, not when a SAVEPOINT inside it is
released: SQLAlchemy reports both as `after_commit`, and at a SAVEPOINT's release nothing is
visible to the worker yet (an order is applied inside one, and its webhook then waited for the
next tick instead of going out at once)."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from marketbridge.model import EventType
from marketbridge.store import accounts
from marketbridge.store.db import Database
from marketbridge.store.events import emit
from marketbridge.store.tables import Event
from marketbridge.sync.dispatch import JobKind
from marketbridge.sync.kicks import AfterCommitKicks, kick_after_commit


class SeenDispatcher:
    """A dispatcher that notes each kick and wake with how many events the worker could see then."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.sent: list[tuple[str, int]] = []

    async def _events(self) -> int:
        async with self.db.reading() as s:
            return int((await s.execute(select(func.count()).select_from(Event))).scalar_one())

    async def kick(self, connection_id: int, kind: JobKind) -> None:
        self.sent.append((f"kick {connection_id} {kind.value}", await self._events()))

    async def wake(self) -> None:
        self.sent.append(("wake", await self._events()))


async def test_a_savepoints_kicks_go_out_with_the_commit(db: Database) -> None:
    seen = SeenDispatcher(db)
    AfterCommitKicks(lambda: seen).install(db)
    async with db.session() as s:
        account, _ = await accounts.create_account(s, "shop")
    async with db.session() as s:
        async with s.begin_nested():
            await emit(s, account.id, EventType.ORDER_CREATED, {"external_id": "1"})
            kick_after_commit(s, 7, JobKind.STOCKS)
        await asyncio.sleep(0.1)  # a kick sent at the release would have run by now
        assert seen.sent == []
    assert seen.sent == [("kick 7 stocks", 1), ("wake", 1)]


async def test_a_savepoints_kicks_are_forgotten_when_the_transaction_rolls_back(db: Database) -> None:
    seen = SeenDispatcher(db)
    AfterCommitKicks(lambda: seen).install(db)
    async with db.session() as s:
        account, _ = await accounts.create_account(s, "shop")

    class Abandoned(Exception):
        pass

    try:
        async with db.session() as s:
            async with s.begin_nested():
                await emit(s, account.id, EventType.ORDER_CREATED, {"external_id": "2"})
            raise Abandoned
    except Abandoned:
        pass
    await asyncio.sleep(0.1)
    assert seen.sent == []
    async with db.session() as s:  # the next transaction does not inherit them
        kick_after_commit(s, 8, JobKind.ORDERS)
    assert seen.sent == [("kick 8 orders", 0)]
