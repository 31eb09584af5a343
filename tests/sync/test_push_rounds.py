"""A push round waits for the marketplace's limit before it reads the ledger.

A stock change made while the round waits for a free slot must go out in that round's call,
not in the next one a whole interval later (at 78 stock calls a minute, that is 0.77 s more
for every change that arrived during the wait).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import pytest
from sqlalchemy import delete, select

from marketbridge.channels.roles import ItemResult, StockPush, StockSink
from marketbridge.demo.catalog import build_catalog
from marketbridge.demo.world import World, kinds_playing, open_world
from marketbridge.store.db import Database
from marketbridge.store.tables import Connection, Link, PendingChange
from marketbridge.sync import pushing, stocks
from marketbridge.sync.dispatch import ChangeKind
from marketbridge.sync.runs import RunRecorder


class SlowSink:
    """A StockSink whose first wait for a slot is when the seller changes one more stock."""

    kind = "slow-sink"
    stock_items_per_second = 1.0

    def __init__(self, db: Database, account_id: int, late: tuple[int, int]) -> None:
        self.db = db
        self.account_id = account_id
        self.late = late
        self.waits = 0
        self.calls: list[list[str]] = []

    async def until_stock_call(self) -> None:
        self.waits += 1
        if self.waits == 1:
            async with self.db.session() as s:
                await stocks.set_on_hand(s, self.account_id, {self.late: 4321})

    async def push_stocks(self, items: Sequence[StockPush]) -> list[ItemResult]:
        self.calls.append([f"{i.external_id}={i.quantity}" for i in items])
        return [ItemResult(i.external_id, True) for i in items]


@asynccontextmanager
async def _shop(db: Database) -> AsyncIterator[tuple[World, Connection, tuple[int, int], str]]:
    """A world of one stock marketplace, its connection, the (offer, warehouse) that changes
    late (the catalog's last offer) and that offer's id on the marketplace."""
    catalog = build_catalog(products=6, seed=3, bundles=0)
    kind = kinds_playing(StockSink)[0]
    async with open_world(catalog, db, kinds=[kind], serve_api=False, start_worker=False) as world:
        offer_id = world.ids.offers[catalog.offers[-1].sku]
        warehouse_id = next(iter(world.ids.warehouses.values()))
        async with db.reading() as s:
            conn = (
                await s.execute(select(Connection).where(Connection.id == world.markets[kind].connection_id))
            ).scalar_one()
            external = (
                await s.execute(
                    select(Link.external_id).where(
                        Link.connection_id == conn.id, Link.entity_kind == "offer", Link.entity_id == offer_id
                    )
                )
            ).scalar_one()
        yield world, conn, (offer_id, warehouse_id), external


async def test_a_change_made_while_the_round_waits_goes_out_in_that_round(db: Database) -> None:
    async with _shop(db) as (world, conn, late, external):
        sink = SlowSink(db, world.account_id, late)
        recorder = RunRecorder(db=db, run_id=0, account_id=world.account_id)
        await pushing.push_pending(db, conn, sink, ChangeKind.STOCK, recorder)  # type: ignore[arg-type]
        assert sink.calls, "nothing was pushed"
        assert f"{external}=4321" in sink.calls[0]
        assert not await pushing.has_due(db, conn.id, ChangeKind.STOCK)


class PacedSink(SlowSink):
    """A StockSink whose first wait after a call is when the seller changes one more stock,
    and which then waits a little, as a limiter does between two calls."""

    async def until_stock_call(self) -> None:
        if self.calls and not self.waits:
            self.waits += 1
            async with self.db.session() as s:
                await stocks.set_on_hand(s, self.account_id, {self.late: 4321})
            await asyncio.sleep(0.02)


async def test_a_change_made_while_a_read_ahead_round_waits_goes_out_in_that_round(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with _shop(db) as (world, conn, late, external):
        async with db.session() as s:
            # the late offer's change will be a new row, after every other one
            await s.execute(
                delete(PendingChange).where(
                    PendingChange.connection_id == conn.id, PendingChange.key.startswith(f"{external}@")
                )
            )
            waiting = (
                await s.execute(
                    select(PendingChange.id).where(
                        PendingChange.connection_id == conn.id, PendingChange.kind == ChangeKind.STOCK
                    )
                )
            ).all()
        assert len(waiting) >= 3
        # the first round takes all but one row: the last one is read ahead while its call is out
        monkeypatch.setattr(pushing, "ROUND_SIZE", len(waiting) - 1)
        sink = PacedSink(db, world.account_id, late)
        recorder = RunRecorder(db=db, run_id=0, account_id=world.account_id)
        await pushing.push_pending(db, conn, sink, ChangeKind.STOCK, recorder)  # type: ignore[arg-type]
        assert len(sink.calls) == 2, sink.calls
        assert len(sink.calls[1]) >= 2 and f"{external}=4321" in sink.calls[1], sink.calls
