"""Ozon's "one stock value per product and warehouse in 30 s" is pacing, not a failure.

A second value for a pair sent within 30 s of the first is held back by Ozon
(TOO_MANY_REQUESTS); the hub records no error and no failed attempt, leaves the run `ok`,
and sends the value once the 30 s have passed since the pair's last accepted value.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from marketbridge.channels.ozon.endpoints import STOCK_PAIR_SECONDS
from marketbridge.demo.catalog import build_catalog
from marketbridge.demo.world import open_world, wait_for
from marketbridge.store.db import Database
from marketbridge.store.tables import PendingChange, PushedValue, SyncRun
from marketbridge.sync.dispatch import JobKind
from marketbridge.sync.stocks import set_on_hand
from tests.support.runs import latest_run


async def test_a_second_value_within_30_seconds_waits_and_then_goes_out(db: Database) -> None:
    catalog = build_catalog(products=2, seed=7, bundles=0)
    async with open_world(
        catalog, db, kinds=["ozon"], limits=True, serve_api=False, start_worker=False
    ) as world:
        market = world.markets["ozon"]
        sku = catalog.offers[0].sku
        offer = world.ids.offers[sku]
        hub_wh = sorted(world.ids.warehouses.values())[0]
        ozon_wh = (await world.warehouse_ids("ozon"))[0]

        async def set_and_push(quantity: int) -> SyncRun:
            async with world.hub.db.session() as s:
                await set_on_hand(s, world.account_id, {(offer, hub_wh): quantity})
            await world.run(market.connection_id, JobKind.STOCKS)
            return await latest_run(world.hub.db, market.connection_id, "stocks")

        async def shown(quantity: int) -> bool:
            await world.run(market.connection_id, JobKind.STOCKS)
            return (await world.sandbox_stocks("ozon")).get((sku, ozon_wh)) == quantity

        await set_and_push(40)  # the world may have sent this pair moments ago: then it waits too
        await wait_for(lambda: shown(40), timeout=4 * STOCK_PAIR_SECONDS, every=1.0)
        second = await set_and_push(39)
        assert second.status == "ok" and second.errors == [], second.errors
        assert second.counts.get("paced") == 1 and not second.counts.get("refused"), second.counts
        async with world.hub.db.session() as s:
            rows = list(
                (
                    await s.execute(
                        select(PendingChange).where(
                            PendingChange.connection_id == market.connection_id,
                            PendingChange.key.endswith(f"@{ozon_wh}"),
                        )
                    )
                ).scalars()
            )
            pushed = (
                await s.execute(
                    select(PushedValue.pushed_at).where(
                        PushedValue.connection_id == market.connection_id, PushedValue.key == rows[0].key
                    )
                )
            ).scalar_one()
        assert len(rows) == 1, [r.key for r in rows]
        row = rows[0]
        assert row.attempts == 0 and row.last_error is None
        assert row.next_attempt_at >= pushed + timedelta(seconds=STOCK_PAIR_SECONDS)
        assert (await world.sandbox_stocks("ozon"))[(sku, ozon_wh)] == 40
        await wait_for(lambda: shown(39), timeout=4 * STOCK_PAIR_SECONDS, every=1.0)
        async with world.hub.db.session() as s:
            runs = list(
                (
                    await s.execute(
                        select(SyncRun.status).where(
                            SyncRun.connection_id == market.connection_id, SyncRun.kind == "stocks"
                        )
                    )
                ).scalars()
            )
        assert set(runs) == {"ok"}, runs
