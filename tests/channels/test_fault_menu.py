"""The fault menu: failures a marketplace reports by its own rules, on every sandbox that has them.

A price refused by rule (`price_refused`): the seller sets two prices through the seller API;
the marketplace refuses one by its rule, answered the way it answers such a refusal, and takes
the other. The hub reports the refusal as a `price.rejected` event naming the offer and the
marketplace's reason, does not count it as pushed, and does not send the value again.

A ship that fails after the marketplace accepted it (`ship_failed`): packing through the seller
API is refused with the marketplace's reason and leaves the order unpacked; once the cause is
gone, the same packing goes through.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from marketbridge.channels.roles import Fulfilment, OrderSource, PriceSink
from marketbridge.demo.catalog import build_catalog
from marketbridge.demo.shopping import buy, orderable
from marketbridge.demo.world import World, open_world
from marketbridge.sandbox.common.faults import PRICE_REFUSED, SHIP_FAILED
from marketbridge.store.db import Database
from marketbridge.store.tables import PendingChange
from marketbridge.store.types import utcnow
from marketbridge.sync.dispatch import ChangeKind, JobKind
from tests.support.marketplaces import kinds_with_fault, wait_until


async def _world(kind: str, db: Database) -> AsyncIterator[World]:
    catalog = build_catalog(products=10, seed=5, bundles=0)
    async with open_world(catalog, db, kinds=[kind], serve_api=True) as world:
        yield world


@pytest.fixture(params=kinds_with_fault(PRICE_REFUSED, PriceSink))
async def priced_world(request: pytest.FixtureRequest, db: Database) -> AsyncIterator[World]:
    async for world in _world(request.param, db):
        yield world


@pytest.fixture(params=kinds_with_fault(SHIP_FAILED, OrderSource, Fulfilment))
async def shipping_world(request: pytest.FixtureRequest, db: Database) -> AsyncIterator[World]:
    async for world in _world(request.param, db):
        yield world


def _api(world: World) -> httpx.AsyncClient:
    assert world.hub_url is not None
    headers = {"Authorization": f"Bearer {world.api_key}"}
    return httpx.AsyncClient(base_url=world.hub_url + "/api/v1", headers=headers, timeout=60)


def test_the_menu_is_offered_somewhere() -> None:
    assert kinds_with_fault(PRICE_REFUSED, PriceSink), "no marketplace emulates a price refused by rule"
    assert kinds_with_fault(SHIP_FAILED, OrderSource, Fulfilment), "no marketplace emulates a failed ship"


async def test_a_price_refused_by_rule_is_reported_and_not_taken(priced_world: World) -> None:
    world = priced_world
    (market,) = world.markets.values()
    # one-size offers without a strike-through price: each is a card of its own everywhere
    refused, taken = [
        o.sku for o in world.catalog.offers if o.size is None and world.catalog.prices[o.sku][1] is None
    ][:2]

    async def initial_prices_pushed() -> bool:  # the prices sent on connecting are out of the way
        async with world.hub.db.session() as s:
            waiting = await s.execute(
                select(PendingChange.id).where(
                    PendingChange.connection_id == market.connection_id,
                    PendingChange.kind == ChangeKind.PRICE,
                )
            )
            return waiting.first() is None

    await wait_until(initial_prices_pushed, timeout=60, what="the first prices pushed")
    (await market.control.put("/faults", json={"refuse_prices": [refused]})).raise_for_status()
    async with _api(world) as api:
        items = [
            {"offer_sku": refused, "price_type": "base", "amount": "4321.00"},
            {"offer_sku": taken, "price_type": "base", "amount": "4322.00"},
        ]
        written = await api.post("/prices/bulk", json={"items": items})
        assert written.status_code == 200, written.text
        assert market.connection_id in written.json()["connections_to_push"]

        async def rejections() -> list[dict[str, Any]]:
            page = (await api.get("/events", params={"type": "price.rejected", "limit": 500})).json()
            return [e["data"] for e in page["items"]]

        async def reported() -> bool:
            return any(d.get("offer_code") == refused for d in await rejections())

        await wait_until(reported, timeout=60, what="price.rejected for the refused offer")
        mine = [d for d in await rejections() if d.get("offer_code") == refused]
        assert len(mine) == 1, mine
        assert mine[0]["offer_id"] == world.ids.offers[refused]
        assert mine[0]["connection_id"] == market.connection_id
        assert mine[0]["code"] and mine[0]["message"], "the marketplace's reason is passed on"
        assert not [d for d in await rejections() if d.get("offer_code") == taken]

    async def held() -> dict[str, Decimal]:
        items = (await market.control.get("/prices")).json()["items"]
        return {i["offer_code"]: Decimal(str(i["price"])) for i in items}

    async def taken_applied() -> bool:
        return (await held()).get(taken) == Decimal("4322")

    await wait_until(taken_applied, timeout=30, what="the other price reaches the marketplace")
    assert (await held())[refused] != Decimal("4321"), "the marketplace kept its price"

    async with world.hub.db.session() as s:
        pending = [
            p
            for p in (
                await s.execute(
                    select(PendingChange).where(
                        PendingChange.connection_id == market.connection_id,
                        PendingChange.kind == ChangeKind.PRICE,
                    )
                )
            ).scalars()
            if p.payload.get("offer_code") == refused
        ]
    assert len(pending) == 1 and pending[0].last_error, "the refused value waits, with the refusal"
    assert mine[0]["code"] in pending[0].last_error
    assert pending[0].next_attempt_at > utcnow() + timedelta(days=1), "not sent again until it changes"


async def test_a_ship_failed_after_its_acceptance_is_not_a_packing(shipping_world: World) -> None:
    world = shipping_world
    (market,) = world.markets.values()
    (sku,) = orderable(world, 1)
    for job in (JobKind.RECONCILE, JobKind.STOCKS):
        await world.run(market.connection_id, job)
    (external_id,) = await buy(world, market.kind, [(sku, 1)])
    await world.run(market.connection_id, JobKind.ORDERS)
    (await market.control.put("/faults", json={"fail_ships": [external_id]})).raise_for_status()
    async with _api(world) as api:
        listed = (await api.get("/orders", params={"connection_id": market.connection_id})).json()
        (order,) = [o for o in listed["items"] if o["external_id"] == external_id]
        box = {"boxes": [{"number": 1, "lines": [{"offer_sku": sku, "quantity": 1}]}]}
        refused = await api.post(f"/orders/{order['id']}/pack", json=box)
        assert refused.status_code == 409, refused.text
        assert refused.json()["code"] == "marketplace_rejected", refused.text
        after = (await api.get(f"/orders/{order['id']}")).json()
        assert after["status"] == order["status"] and after["boxes"] == [], "a failed ship packs nothing"
        (await market.control.put("/faults", json={})).raise_for_status()
        packed = await api.post(f"/orders/{order['id']}/pack", json=box)
        assert packed.status_code == 200, packed.text
        assert packed.json()["order"]["status"] == "packed"
