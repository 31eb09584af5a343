"""A buyer's cancellation request reaching the hub by notification: the hub reads the order, the
connector grants the request (the order is with the carrier, not yet delivered) and the hub's
order ends cancelled with Market's reason. Scheduled polling is pushed far out, so it is the
notification that carries it.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from marketbridge.demo.catalog import build_catalog
from marketbridge.demo.shopping import buy, orderable
from marketbridge.demo.world import World, open_world, wait_for
from marketbridge.model import OrderStatus
from marketbridge.store.db import Database
from marketbridge.store.tables import Order

KIND = "yandex-market"
NO_POLLING = {"schedule": {"orders": 3600, "returns": 3600, "catalog": 0, "reconcile": 0, "moderation": 0}}


async def hub_order(world: World, external_id: str) -> Order | None:
    async with world.hub.db.session() as s:
        found: Order | None = (
            await s.execute(
                select(Order).where(
                    Order.connection_id == world.markets[KIND].connection_id, Order.external_id == external_id
                )
            )
        ).scalar_one_or_none()
        return found


async def test_a_request_in_delivery_ends_the_hub_order_cancelled(tmp_path: Path) -> None:
    catalog = build_catalog(products=4, seed=21, bundles=0)
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}")
    async with open_world(catalog, db, kinds=[KIND], connection_settings=NO_POLLING) as world:
        market = world.markets[KIND]
        (order_id,) = await buy(world, KIND, [(orderable(world, 1)[0], 1)])

        async def in_status(status: OrderStatus) -> bool:
            found = await hub_order(world, order_id)
            return found is not None and found.status == status.value

        await wait_for(lambda: in_status(OrderStatus.NEW), timeout=30)
        moved = await market.control.post(f"/orders/{order_id}/move", json={"status": "shipped"})
        assert moved.status_code == 200, moved.text
        await wait_for(lambda: in_status(OrderStatus.SHIPPED), timeout=30)

        asked = await market.control.post(
            f"/orders/{order_id}/move", json={"status": "cancellation-requested"}
        )
        assert asked.status_code == 200 and asked.json()["cancelRequested"] is True, asked.text
        await wait_for(lambda: in_status(OrderStatus.CANCELLED), timeout=30)
        cancelled = await hub_order(world, order_id)
        assert cancelled is not None and cancelled.cancel_reason == "USER_CHANGED_MIND"
        remote = {o["id"]: o for o in (await market.control.get("/orders")).json()["items"]}
        assert remote[order_id]["status"] == "CANCELLED/USER_CHANGED_MIND"
