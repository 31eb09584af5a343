"""Connecting a live shop harms nothing: a stock the hub does not know is not pushed, and the
stock import takes each marketplace's stock as the hub's starting point; what the marketplace
refuses is reported by the seller's SKU."""

from __future__ import annotations

from sqlalchemy import delete, func, select

from marketbridge.channels.roles import StockPush
from marketbridge.demo.catalog import build_catalog
from marketbridge.demo.world import World, open_world
from marketbridge.store.db import Database
from marketbridge.store.tables import Connection, PendingChange, StockLevel
from marketbridge.sync import ledger
from marketbridge.sync.dispatch import ChangeKind, JobKind
from marketbridge.sync.stocks import set_on_hand
from tests.support.runs import latest_run


def _quantity(code: str, codes: list[str], warehouse_index: int) -> int:
    return 3 + codes.index(code) + 50 * warehouse_index


async def _stock_the_shop(world: World, kind: str, codes: list[str]) -> None:
    """The seller's stock on the marketplace before the hub is connected."""
    async with world.hub.db.session() as s:
        conn = await s.get(Connection, world.markets[kind].connection_id)
        assert conn is not None
    channel = world.hub.channels.get(conn)
    units = [o async for page in channel.iter_offers() for o in page]  # type: ignore[attr-defined]
    whs = await world.warehouse_ids(kind)
    pushes = [
        StockPush(u.external_id, u.offer_code, wh, _quantity(u.offer_code, codes, i), u.barcodes[0])
        for u in units
        for i, wh in enumerate(whs)
    ]
    results = await channel.push_stocks(pushes)  # type: ignore[attr-defined]
    assert all(r.ok for r in results), [r for r in results if not r.ok][:3]


async def _pending_stock(world: World) -> int:
    async with world.hub.db.session() as s:
        query = select(func.count()).select_from(PendingChange).where(PendingChange.kind == "stock")
        return int((await s.execute(query)).scalar_one())


async def test_a_live_shop_keeps_its_stock_until_the_stock_import(db: Database) -> None:
    catalog = build_catalog(products=5, seed=3, bundles=2)
    async with open_world(catalog, db, serve_api=False, start_worker=False, import_catalog=False) as world:
        async with world.hub.db.session() as s:
            await s.execute(delete(StockLevel))  # the hub has no stock yet
        codes = sorted(world.ids.offers)
        bundles = {b.sku for b in catalog.bundles}
        live: dict[str, dict[tuple[str, str], int]] = {}
        for kind in world.markets:
            await _stock_the_shop(world, kind, codes)
            live[kind] = await world.sandbox_stocks(kind)
            assert live[kind], kind

        # the catalog import links every listing; the warehouse mapping queues their stock again
        for market in world.markets.values():
            await world.run(market.connection_id, JobKind.CATALOG)
            async with world.hub.db.session() as s:
                offers = list(world.ids.offers.values())
                await ledger.stock_changed(s, world.account_id, offers, connection_id=market.connection_id)
            await world.run(market.connection_id, JobKind.STOCKS)
        assert await _pending_stock(world) == 0
        for kind in world.markets:
            assert await world.sandbox_stocks(kind) == live[kind], kind

        # the stock import: the hub holds the marketplace's stock, and the shops stay as they were
        for market in world.markets.values():
            await world.run(market.connection_id, JobKind.STOCK_IMPORT)
            await world.run(market.connection_id, JobKind.STOCKS)
        async with world.hub.db.session() as s:
            held = {
                (offer_id, wh): on_hand
                for offer_id, wh, on_hand in await s.execute(
                    select(StockLevel.offer_id, StockLevel.warehouse_id, StockLevel.on_hand)
                )
            }
        hub_whs = [world.ids.warehouses[w] for w in ("WH1", "WH2")]
        for sku in codes:
            if sku in bundles:
                continue
            for i, wh in enumerate(hub_whs):
                assert held[(world.ids.offers[sku], wh)] == _quantity(sku, codes, i), sku
        for kind in world.markets:
            got = await world.sandbox_stocks(kind)
            plain = {k: v for k, v in live[kind].items() if k[0] not in bundles}
            assert {k: v for k, v in got.items() if k[0] not in bundles} == plain, kind
            assert await world.stocks_settled()

        # an explicit 0 is a stock like any other: it is pushed
        sku = next(c for c in codes if c not in bundles)
        async with world.hub.db.session() as s:
            await set_on_hand(s, world.account_id, {(world.ids.offers[sku], hub_whs[0]): 0})
        for kind, market in world.markets.items():
            await world.run(market.connection_id, JobKind.STOCKS)
            first = (await world.warehouse_ids(kind))[0]
            assert (await world.sandbox_stocks(kind))[(sku, first)] == 0, kind


async def test_refused_items_of_a_sync_run_name_the_sku(db: Database) -> None:
    catalog = build_catalog(products=2, seed=3, bundles=0)
    async with open_world(catalog, db, serve_api=False, start_worker=False) as world:
        for kind, market in world.markets.items():
            wh = (await world.warehouse_ids(kind))[0]
            payload = {
                "external_id": "987654321",
                "offer_code": "GHOST-1",
                "warehouse_id": wh,
                "quantity": 1,
                "barcode": None,
                "offer_id": world.ids.offers[catalog.offers[0].sku],
            }
            async with world.hub.db.session() as s:
                await ledger.queue(
                    s,
                    world.account_id,
                    ChangeKind.STOCK,
                    [(market.connection_id, f"987654321@{wh}", payload)],
                )
            await world.run(market.connection_id, JobKind.STOCKS)
            run = await latest_run(world.hub.db, market.connection_id, "stocks")
            assert run.errors, kind
            assert run.errors[0]["sku"] == "GHOST-1", run.errors
            assert run.errors[0]["message"].startswith("GHOST-1: "), run.errors
