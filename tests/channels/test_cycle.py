"""The whole FBS cycle, the same for every marketplace: the shared behaviour of the Channel protocol.

Catalog import and matching, stock push, a buyer's order imported by polling with a
reservation, packing into boxes, labels as one PDF, hand-over, delivery, a return with
restock; a cancellation by the seller and one by the buyer; an order whose status changed
between two polls.
"""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from marketbridge.channels.roles import (
    CatalogSource,
    Fulfilment,
    NewOrderFeed,
    OrderSource,
    ReturnsSource,
    StockSink,
    has_role,
)
from marketbridge.demo.shopping import buy, orderable
from marketbridge.demo.world import Market, World, wait_for
from marketbridge.model import Box, BoxLine, OrderStatus
from marketbridge.store.tables import Link, Order, OrderLine, Return, StockLevel
from marketbridge.sync import fulfilment, returns
from marketbridge.sync.dispatch import JobKind
from tests.support.marketplaces import kinds_with

#: Each test runs for the marketplaces that play the roles it goes through.
CATALOG = pytest.mark.parametrize("world", kinds_with(CatalogSource, StockSink), indirect=True)
ORDERS = pytest.mark.parametrize("world", kinds_with(OrderSource, Fulfilment), indirect=True)
FEED = pytest.mark.parametrize("world", kinds_with(NewOrderFeed, OrderSource, Fulfilment), indirect=True)
WHOLE_CYCLE = pytest.mark.parametrize(
    "world", kinds_with(OrderSource, Fulfilment, ReturnsSource), indirect=True
)


def _market(world: World) -> Market:
    return next(iter(world.markets.values()))


def _plain_offers(world: World, n: int) -> list[str]:
    return orderable(world, n)


async def _buy(world: World, lines: list[tuple[str, int]]) -> list[str]:
    return await buy(world, _market(world).kind, lines)


async def _hub_orders(world: World, external_ids: list[str]) -> list[Order]:
    async with world.hub.db.session() as s:
        rows = await s.execute(
            select(Order).where(
                Order.connection_id == _market(world).connection_id, Order.external_id.in_(external_ids)
            )
        )
        return list(rows.scalars())


async def _reserved(world: World, sku: str) -> int:
    async with world.hub.db.session() as s:
        total = await s.execute(
            select(func.coalesce(func.sum(StockLevel.reserved), 0)).where(
                StockLevel.offer_id == world.ids.offers[sku]
            )
        )
        return int(total.scalar_one())


async def _boxes_for(world: World, order: Order) -> list[Box]:
    async with world.hub.db.session() as s:
        lines = list((await s.execute(select(OrderLine).where(OrderLine.order_id == order.id))).scalars())
    channel = world.hub.channels.get(await _conn(world))
    multi = has_role(channel, Fulfilment) and bool(channel.multi_box)  # type: ignore[attr-defined]
    if multi and len(lines) > 1:
        return [
            Box(number=n + 1, lines=[BoxLine(offer_sku=line.offer_code, quantity=line.quantity)])
            for n, line in enumerate(lines)
        ]
    return [
        Box(number=1, lines=[BoxLine(offer_sku=line.offer_code, quantity=line.quantity) for line in lines])
    ]


async def _conn(world: World):  # type: ignore[no-untyped-def]
    from marketbridge.store.tables import Connection

    async with world.hub.db.session() as s:
        return await s.get(Connection, _market(world).connection_id)


@CATALOG
async def test_catalog_is_imported_and_matched(world: World) -> None:
    market = _market(world)
    units = len(world.catalog.offers) + len(world.catalog.bundles)

    async def stock_everywhere() -> bool:  # every linked unit got its stock pushed
        stocks = (await market.control.get("/stocks")).json()["items"]
        return len({i["external_id"] for i in stocks}) == units

    await wait_for(stock_everywhere, timeout=20)
    async with world.hub.db.session() as s:
        links = (
            await s.execute(
                select(func.count()).where(
                    Link.connection_id == market.connection_id, Link.entity_kind == "offer"
                )
            )
        ).scalar_one()
    assert links == units
    everything = (await market.control.get("/stocks")).json()["items"]
    for code in {i["offer_code"] for i in everything}:  # the read-back of one offer is its share
        one = (await market.control.get("/stocks", params={"offer_code": code})).json()["items"]
        assert sorted(one, key=str) == sorted((i for i in everything if i["offer_code"] == code), key=str)


@WHOLE_CYCLE
async def test_full_cycle_order_pack_label_ship_deliver_return(world: World) -> None:
    market = _market(world)
    a, b = _plain_offers(world, 2)
    before_a = await _reserved(world, a)
    external = await _buy(world, [(a, 1), (b, 1)])
    await world.run(market.connection_id, JobKind.ORDERS)
    orders = await _hub_orders(world, external)
    assert len(orders) == len(external)
    assert all(o.status == OrderStatus.NEW.value for o in orders)
    assert await _reserved(world, a) == before_a + 1

    for order in orders:
        boxes = await _boxes_for(world, order)
        shipments = await fulfilment.pack(world.hub, world.account_id, order.id, boxes)
        assert len(shipments) >= 1
        pdf = await fulfilment.labels_pdf(world.hub, world.account_id, order.id)
        pages = len(PdfReader(io.BytesIO(pdf)).pages)
        assert pages >= len(boxes), f"{pages} label pages for {len(boxes)} boxes"
        await fulfilment.ship(world.hub, world.account_id, order.id)
    shipped = await _hub_orders(world, external)
    assert {o.status for o in shipped} == {OrderStatus.SHIPPED.value}
    assert await _reserved(world, a) == before_a  # consumed when shipped

    sandbox_orders = {str(o["id"]): o for o in (await market.control.get("/orders")).json()["items"]}
    for order in shipped:
        assert order.external_id in sandbox_orders, (order.external_id, sorted(sandbox_orders))
        moved = await market.control.post(f"/orders/{order.external_id}/move", json={"status": "delivered"})
        assert moved.status_code == 200, moved.text
    await world.run(market.connection_id, JobKind.ORDERS)

    async def delivered() -> bool:
        return {o.status for o in await _hub_orders(world, external)} == {OrderStatus.DELIVERED.value}

    await wait_for(delivered, timeout=15)

    opened = await market.control.post(
        "/returns", json={"order_id": shipped[0].external_id, "reason": "too small"}
    )
    assert opened.status_code == 200, opened.text
    await world.run(market.connection_id, JobKind.RETURNS)
    async with world.hub.db.session() as s:
        rows = list(
            (await s.execute(select(Return).where(Return.connection_id == market.connection_id))).scalars()
        )
    assert len(rows) == 1
    assert rows[0].order_id == shipped[0].id
    returned_sku = next(line["offer_code"] for line in rows[0].lines)
    async with world.hub.db.session() as s:
        on_hand_before = (
            await s.execute(
                select(func.sum(StockLevel.on_hand)).where(
                    StockLevel.offer_id == world.ids.offers[returned_sku]
                )
            )
        ).scalar_one()
    await returns.confirm_receipt(world.hub, world.account_id, rows[0].id, restock=True)
    async with world.hub.db.session() as s:
        on_hand_after = (
            await s.execute(
                select(func.sum(StockLevel.on_hand)).where(
                    StockLevel.offer_id == world.ids.offers[returned_sku]
                )
            )
        ).scalar_one()
    assert on_hand_after == on_hand_before + 1


@FEED
async def test_an_order_from_the_new_order_feed_is_imported_once_and_reserved(world: World) -> None:
    market = _market(world)
    (a,) = _plain_offers(world, 1)
    before = await _reserved(world, a)
    external = await _buy(world, [(a, 1)])
    await world.run(market.connection_id, JobKind.NEW_ORDERS)
    orders = await _hub_orders(world, external)
    assert {o.external_id for o in orders} == set(external)
    assert all(o.status == OrderStatus.NEW.value for o in orders)
    assert await _reserved(world, a) == before + len(external)
    # the full poll meets the same orders again: nothing is imported or reserved twice
    await world.run(market.connection_id, JobKind.ORDERS)
    await world.run(market.connection_id, JobKind.NEW_ORDERS)
    assert len(await _hub_orders(world, external)) == len(external)
    assert await _reserved(world, a) == before + len(external)


@ORDERS
async def test_seller_cancellation_releases_the_reservation(world: World) -> None:
    market = _market(world)
    (a,) = _plain_offers(world, 1)
    before = await _reserved(world, a)
    external = await _buy(world, [(a, 1)])
    await world.run(market.connection_id, JobKind.ORDERS)
    (order,) = await _hub_orders(world, external)
    assert await _reserved(world, a) == before + 1
    await fulfilment.cancel(world.hub, world.account_id, order.id, "out of stock")
    (order,) = await _hub_orders(world, external)
    assert order.status == OrderStatus.CANCELLED.value
    assert await _reserved(world, a) == before
    remote = {str(o["id"]): o for o in (await market.control.get("/orders")).json()["items"]}
    assert "cancel" in str(remote[order.external_id]["status"]).lower()


@ORDERS
async def test_status_changes_between_polls_are_not_missed(world: World) -> None:
    market = _market(world)
    a, b = _plain_offers(world, 2)
    before, before_b = await _reserved(world, a), await _reserved(world, b)
    first = await _buy(world, [(a, 1)])
    await world.run(market.connection_id, JobKind.ORDERS)
    # the buyer cancels after the hub saw the order; another order is placed and cancelled before any poll
    second = await _buy(world, [(b, 1)])
    for external_id in (*first, *second):
        moved = await market.control.post(f"/orders/{external_id}/move", json={"status": "cancelled"})
        assert moved.status_code == 200, moved.text
    await world.run(market.connection_id, JobKind.ORDERS)
    await world.run(market.connection_id, JobKind.ORDERS)  # a second poll changes nothing
    orders = await _hub_orders(world, [*first, *second])
    assert sorted(o.external_id for o in orders) == sorted([*first, *second])
    assert {o.status for o in orders} == {OrderStatus.CANCELLED.value}
    assert await _reserved(world, a) == before
    assert await _reserved(world, b) == before_b  # it arrived cancelled: never reserved
