"""Smoke: the demo world starts, imports and links the catalog, and pushes stock to every sandbox."""

from __future__ import annotations

from pathlib import Path

from marketbridge.demo.catalog import build_catalog
from marketbridge.demo.world import open_world, wait_for
from marketbridge.store.db import Database


async def test_world_links_catalog_and_pushes_stock(tmp_path: Path) -> None:
    catalog = build_catalog(products=12, seed=3)
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}")
    async with open_world(catalog, db, serve_api=False) as world:
        for kind in world.markets:
            whs = await world.warehouse_ids(kind)
            assert len(whs) == 2
            expected = {
                (sku, whs[i]): levels[f"WH{i + 1}"] for sku, levels in catalog.stock.items() for i in range(2)
            }

            async def arrived(kind: str = kind, expected: dict = expected) -> bool:
                got = await world.sandbox_stocks(kind)
                return all(got.get(k) == v for k, v in expected.items())

            await wait_for(arrived, timeout=30)
