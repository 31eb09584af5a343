"""Orders by push, where the channel is a PushHandler: duplicated and reordered pushes end in one order.

A whole hub is connected to the sandbox with its push URL set; the sandbox duplicates every
push and holds some back so they arrive out of order. Scheduled polling is pushed far out,
so the orders reach the hub by push.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from marketbridge.channels.roles import PushHandler
from marketbridge.demo.catalog import build_catalog
from marketbridge.demo.shopping import buy, orderable
from marketbridge.demo.world import World, open_world
from marketbridge.model import OrderStatus
from marketbridge.store.db import Database
from marketbridge.store.tables import Order
from tests.support.marketplaces import kinds_with, wait_until

NO_POLLING = {"schedule": {"orders": 3600, "returns": 3600, "catalog": 0, "reconcile": 0, "moderation": 0}}


@pytest.fixture(params=kinds_with(PushHandler))
async def push_world(request: pytest.FixtureRequest, db: Database) -> AsyncIterator[World]:
    catalog = build_catalog(products=6, seed=11, bundles=0)
    async with open_world(
        catalog, db, kinds=[request.param], serve_api=True, connection_settings=NO_POLLING
    ) as world:
        yield world


async def test_duplicated_and_reordered_pushes_end_in_one_order(push_world: World) -> None:
    world = push_world
    (market,) = world.markets.values()
    push = (await market.control.get("/push")).json()
    assert push["url"], "the hub set its push URL on the sandbox"
    settings = {"url": push["url"], "duplicate_rate": 1.0, "reorder_rate": 0.5}
    (await market.control.put("/push", json=settings)).raise_for_status()
    delivered_before = push["delivered"]

    placed: list[str] = []
    for sku in orderable(world, 3):
        placed += await buy(world, market.kind, [(sku, 1)])

    async def hub_orders() -> list[Order]:
        async with world.hub.db.session() as s:
            rows = await s.execute(
                select(Order).where(
                    Order.connection_id == market.connection_id, Order.external_id.in_(placed)
                )
            )
            return list(rows.scalars())

    async def all_in() -> bool:
        return len(await hub_orders()) == len(placed)

    async def duplicates_delivered() -> bool:
        state = (await market.control.get("/push")).json()
        return int(state["delivered"]) - delivered_before >= 2 * len(placed)

    await wait_until(all_in, timeout=30, what="orders arriving by push")
    await wait_until(duplicates_delivered, timeout=30, what="every push delivered twice")
    orders = await hub_orders()
    assert sorted(o.external_id for o in orders) == sorted(placed)
    assert {o.status for o in orders} == {OrderStatus.NEW.value}
