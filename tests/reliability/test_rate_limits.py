"""A full stock export of 10,000 offers against sandboxes with their real rate limits gets no 429.

The catalog is imported with the limits off (to keep the test short); then the limits go on
and every offer's stock is exported to every marketplace at once. The hub's limiter must
keep every method group under the marketplace's figures, so the sandboxes reject nothing.
Set MB_LIMITS_OFFERS to change the size (10,000 by default).
"""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from marketbridge.demo.catalog import build_catalog
from marketbridge.demo.world import World, open_world
from marketbridge.store.db import Database
from marketbridge.store.tables import WarehouseMapping
from marketbridge.sync.dispatch import JobKind

pytestmark = pytest.mark.reliability

OFFERS = int(os.environ.get("MB_LIMITS_OFFERS", "10000"))


@pytest.fixture
async def big_world(tmp_path: Path) -> AsyncIterator[World]:
    # one-size products only, so the unit count is exact
    catalog = build_catalog(products=OFFERS, seed=2, bundles=0, warehouses=1)
    for product in catalog.products:
        del product.offers[1:]
    catalog.stock = {o.sku: catalog.stock.get(o.sku, {"WH1": 5}) for o in catalog.offers}
    catalog.prices = {o.sku: catalog.prices[o.sku] for o in catalog.offers}
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}")
    async with open_world(catalog, db, serve_api=False, start_worker=False, limits=False) as world:
        yield world


async def test_full_stock_export_of_10000_offers_gets_no_429(big_world: World) -> None:
    world = big_world
    async with world.hub.db.session() as s:
        mapped = len((await s.execute(WarehouseMapping.__table__.select())).all())
    assert mapped == len(world.markets)  # one marketplace warehouse each
    for market in world.markets.values():
        (await market.control.put("/limits", json={"enabled": True})).raise_for_status()
    started = time.monotonic()
    for market in world.markets.values():
        await world.run(market.connection_id, JobKind.STOCKS)
    elapsed = time.monotonic() - started
    for kind, market in world.markets.items():
        limits = (await market.control.get("/limits")).json()
        assert limits["enabled"] is True
        assert sum(limits["rejected"].values()) == 0, f"{kind} rejected {limits['rejected']}"
        stocks = await world.sandbox_stocks(kind)
        assert len(stocks) == OFFERS, f"{kind}: {len(stocks)} of {OFFERS} offers got their stock"
    assert await world.stocks_settled()
    print(
        f"exported {OFFERS} offers to {len(world.markets)} marketplaces in {elapsed:.1f} s with real limits"
    )
