"""Stock and prices flow from the hub to every marketplace; orders on one move stock on the others."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select, update

from marketbridge.demo.world import World, wait_for
from marketbridge.store.tables import OfferPrice, Order, StockLevel
from marketbridge.sync.dispatch import JobKind
from marketbridge.sync.ledger import price_changed
from marketbridge.sync.stocks import set_on_hand


async def _expected_everywhere(world: World, offer_code: str, quantities: list[int]) -> None:
    for kind in world.markets:
        whs = await world.warehouse_ids(kind)

        async def arrived(kind: str = kind, whs: list[str] = whs) -> bool:
            got = await world.sandbox_stocks(kind)
            return [got.get((offer_code, w)) for w in whs] == quantities

        await wait_for(arrived, timeout=60)


async def _set(world: World, sku: str, quantities: list[int]) -> None:
    offer_id = world.ids.offers[sku]
    levels = {(offer_id, world.ids.warehouses[f"WH{i + 1}"]): q for i, q in enumerate(quantities)}
    async with world.hub.db.session() as s:
        await set_on_hand(s, world.account_id, levels)  # the pushers are kicked after the commit


async def test_stock_change_reaches_every_marketplace(world: World) -> None:
    sku = world.catalog.offers[0].sku
    await _set(world, sku, [17, 4])
    await _expected_everywhere(world, sku, [17, 4])
    await _set(world, sku, [0, 9])
    await _expected_everywhere(world, sku, [0, 9])


async def test_bundle_stock_follows_its_components(world: World) -> None:
    kit = world.catalog.bundles[0]
    a, b = (c.offer_sku for c in kit.components)  # a × 1, b × 2
    await _set(world, a, [5, 1])
    await _set(world, b, [4, 7])
    await _expected_everywhere(world, kit.sku, [min(5, 4 // 2), min(1, 7 // 2)])
    await _set(world, b, [1, 7])
    await _expected_everywhere(world, kit.sku, [0, 1])


async def test_an_order_on_one_marketplace_lowers_stock_on_the_others(world: World) -> None:
    sku = next(o.sku for o in world.catalog.offers if not o.requires_marking)
    await _set(world, sku, [3, 0])
    await _expected_everywhere(world, sku, [3, 0])
    buyer_kind = sorted(world.markets)[0]
    market = world.markets[buyer_kind]
    whs = await world.warehouse_ids(buyer_kind)
    placed = await market.control.post(
        "/orders", json={"lines": [{"offer_code": sku, "quantity": 2}], "warehouse_id": whs[0]}
    )
    assert placed.status_code == 200, placed.text
    await world.run(market.connection_id, JobKind.ORDERS)
    async with world.hub.db.session() as s:
        orders = list(
            (await s.execute(select(Order).where(Order.connection_id == market.connection_id))).scalars()
        )
        reserved = (
            await s.execute(
                select(StockLevel.reserved).where(
                    StockLevel.offer_id == world.ids.offers[sku],
                    StockLevel.warehouse_id == world.ids.warehouses["WH1"],
                )
            )
        ).scalar_one()
    assert len(orders) == len(placed.json()["ids"])
    assert reserved == 2
    for kind in world.markets:
        if kind == buyer_kind:
            continue
        whs_other = await world.warehouse_ids(kind)

        async def lowered(kind: str = kind, whs_other: list[str] = whs_other) -> bool:
            return (await world.sandbox_stocks(kind)).get((sku, whs_other[0])) == 1

        await wait_for(lowered, timeout=60)


async def test_price_export_and_import(world: World) -> None:
    # A one-size offer without a strike-through price: every marketplace can show 4321 exactly
    # (a discount in whole percent cannot, and sizes of one card may have to share a price).
    sku = next(
        o.sku for o in world.catalog.offers if o.size is None and world.catalog.prices[o.sku][1] is None
    )
    offer_id = world.ids.offers[sku]
    async with world.hub.db.session() as s:
        await s.execute(
            update(OfferPrice)
            .where(OfferPrice.offer_id == offer_id, OfferPrice.price_type_id == world.ids.price_types["base"])
            .values(amount=Decimal("4321.00"))
        )
        connections = await price_changed(s, world.account_id, [offer_id])
    assert connections == {m.connection_id for m in world.markets.values()}  # kicked after the commit
    for market in world.markets.values():

        async def exported(market=market) -> bool:  # type: ignore[no-untyped-def]
            items = (await market.control.get("/prices")).json()["items"]
            mine = [i for i in items if i["offer_code"] == sku]
            return bool(mine) and Decimal(str(mine[0]["price"])) == Decimal("4321")

        await wait_for(exported, timeout=60)
    # import: the hub forgets its price, then takes the marketplace's back
    market = world.markets[sorted(world.markets)[0]]
    async with world.hub.db.session() as s:
        await s.execute(
            update(OfferPrice)
            .where(OfferPrice.offer_id == offer_id, OfferPrice.price_type_id == world.ids.price_types["base"])
            .values(amount=Decimal("1.00"))
        )
    await world.run(market.connection_id, JobKind.PRICE_IMPORT)
    async with world.hub.db.session() as s:
        amount = (
            await s.execute(
                select(OfferPrice.amount).where(
                    OfferPrice.offer_id == offer_id, OfferPrice.price_type_id == world.ids.price_types["base"]
                )
            )
        ).scalar_one()
    assert amount == Decimal("4321.00")
