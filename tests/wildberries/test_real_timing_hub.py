"""Wildberries' asynchronous steps through the whole hub, with the sandbox's real (default) timing.

A price set through the seller API is uploaded as a task that waits in WB's buffer (5 s)
before it is applied; the hub's push follows the task to its end. A new card listed through
the seller API is in moderation (10 s) before WB shows it; the hub's moderation job follows
it to its verdict. Both run side by side, so the test takes about a quarter of a minute.
"""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from marketbridge.demo.catalog import build_catalog
from marketbridge.demo.world import World, open_world
from marketbridge.sandbox.wildberries.shop import CARD_MODERATION_SECONDS, PRICE_TASK_SECONDS
from marketbridge.sync.dispatch import JobKind
from tests.support.databases import sqlite_database
from tests.support.listing import list_a_new_card, moderation_verdicts

pytestmark = pytest.mark.real_timing


async def _price_pushed(api: httpx.AsyncClient, world: World, sku: str) -> float:
    (market,) = world.markets.values()
    price = {"items": [{"offer_sku": sku, "price_type": "base", "amount": "4321.00"}]}
    assert (await api.post("/prices/bulk", json=price)).status_code == 200
    started = time.monotonic()
    await world.run(market.connection_id, JobKind.PRICES)
    took = time.monotonic() - started
    held = {i["offer_code"]: i for i in (await market.control.get("/prices")).json()["items"]}
    assert Decimal(str(held[sku]["price"])) == Decimal("4321"), "the push ended once WB applied the price"
    return took


async def _card_moderated(api: httpx.AsyncClient, world: World) -> float:
    offer_id = await list_a_new_card(api, world)
    started = time.monotonic()
    verdicts = await moderation_verdicts(api, world, offer_id, timeout=90)
    assert [v["type"] for v in verdicts] == ["card.moderated"], verdicts
    return time.monotonic() - started


async def test_price_task_and_card_moderation_through_the_hub_at_real_timing(tmp_path: Path) -> None:
    catalog = build_catalog(products=4, seed=3, bundles=0)
    sku = next(o.sku for o in catalog.offers if o.size is None and catalog.prices[o.sku][1] is None)
    db = await sqlite_database(tmp_path)
    try:
        async with open_world(
            catalog, db, kinds=["wildberries"], start_worker=False, timing_scale=None
        ) as world:
            (market,) = world.markets.values()
            assert (await market.control.get("/timing")).json()["scale"] == 1, "WB's real delays"
            assert world.hub_url is not None
            headers = {"Authorization": f"Bearer {world.api_key}"}
            async with httpx.AsyncClient(
                base_url=world.hub_url + "/api/v1", headers=headers, timeout=120
            ) as api:
                price_took, card_took = await asyncio.gather(
                    _price_pushed(api, world, sku), _card_moderated(api, world)
                )
            assert price_took >= PRICE_TASK_SECONDS - 0.5, "the price was taken before WB processed it"
            assert card_took >= CARD_MODERATION_SECONDS - 1, "the card was judged before WB moderated it"
            journal = (await market.control.get("/journal")).json()["items"]
            polled = [e for e in journal if e["path"] == "/api/v2/history/tasks"]
            assert len(polled) >= 2, "the hub asked again while the task was in the buffer"
    finally:
        await db.dispose()
