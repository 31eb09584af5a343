"""The demo world (`make demo`): a Yandex Market order lowers the stock of the same product on
every other marketplace the world connects, and an order there lowers it on Yandex Market.

The whole hub runs with its API (so orders arrive by notification as well as by polling)
over every sandbox the world starts; only the marketplace under test is named, the others
are whichever the registries hold (today two more).
"""

from __future__ import annotations

from pathlib import Path

from marketbridge.demo.catalog import build_catalog
from marketbridge.demo.shopping import buy, orderable
from marketbridge.demo.world import World, open_world, wait_for
from marketbridge.store.db import Database

KIND = "yandex-market"


async def shown(world: World, kind: str, sku: str) -> int:
    """What the marketplace shows of `sku` at its first mapped warehouse (what the seller sent)."""
    first = (await world.warehouse_ids(kind))[0]
    return (await world.sandbox_stocks(kind)).get((sku, first), -1)


async def lowered_by(world: World, kinds: list[str], sku: str, before: dict[str, int], sold: int) -> None:
    """Wait until every one of `kinds` shows `sold` fewer units of `sku` than `before`."""

    async def lowered() -> bool:
        now = {kind: await shown(world, kind, sku) for kind in kinds}
        return all(now[kind] == before[kind] - sold for kind in kinds)

    await wait_for(lowered, timeout=90, every=0.2)


async def test_an_order_lowers_the_stock_on_the_other_marketplaces_and_back(tmp_path: Path) -> None:
    catalog = build_catalog(products=8, seed=14, bundles=0)
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}")
    async with open_world(catalog, db) as world:
        others = sorted(k for k in world.markets if k != KIND)
        assert KIND in world.markets and len(others) >= 2, sorted(world.markets)
        await wait_for(world.stocks_settled, timeout=90, every=0.2)
        here, there = orderable(world, 2, min_stock=3)

        before = {kind: await shown(world, kind, here) for kind in others}
        assert all(units >= 3 for units in before.values()), before
        await buy(world, KIND, [(here, 2)])
        await lowered_by(world, others, here, before, 2)

        for kind in others:
            on_market = {KIND: await shown(world, KIND, there)}
            await buy(world, kind, [(there, 1)])
            await lowered_by(world, [KIND], there, on_market, 1)
