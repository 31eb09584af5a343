"""Taking an offer off sale on one channel pushes 0 there and leaves the other channels alone."""

from __future__ import annotations

import httpx

from marketbridge.demo.catalog import build_catalog
from marketbridge.demo.world import open_world, wait_for
from marketbridge.store.db import Database


async def test_delist_and_list_again(db: Database) -> None:
    async with open_world(build_catalog(products=8, seed=12, bundles=0), db) as world:
        await wait_for(world.stocks_settled, timeout=30)
        sku = next(o.sku for o in world.catalog.offers if world.catalog.stock[o.sku]["WH1"] > 0)
        kinds = sorted(world.markets)
        target, other = kinds[0], kinds[-1]
        conn_id = world.markets[target].connection_id
        whs = {k: (await world.warehouse_ids(k))[0] for k in kinds}
        on_hand = world.catalog.stock[sku]["WH1"]
        async with httpx.AsyncClient(
            base_url=f"{world.hub_url}/api/v1",
            headers={"Authorization": f"Bearer {world.api_key}"},
            timeout=30,
        ) as api:
            answer = await api.post(f"/catalog/listings/{conn_id}/delist", json={"offer_skus": [sku]})
            assert answer.status_code == 200, answer.text
            assert answer.json()["delisted"] == 1

            async def zero_on_target() -> bool:
                return (await world.sandbox_stocks(target)).get((sku, whs[target])) == 0

            await wait_for(zero_on_target, timeout=45)
            if other != target:
                assert (await world.sandbox_stocks(other)).get((sku, whs[other])) == on_hand
            unknown = await api.post(f"/catalog/listings/{conn_id}/delist", json={"offer_skus": ["NO-SUCH"]})
            assert unknown.status_code == 422
            relisted = await api.post(f"/catalog/listings/{conn_id}", json={"offer_skus": [sku]})
            assert relisted.status_code == 202, relisted.text

            async def back_on_target() -> bool:
                return (await world.sandbox_stocks(target)).get((sku, whs[target])) == on_hand

            await wait_for(back_on_target, timeout=60)
