"""price-latency: time from a price change through the seller API to the marketplace holding it.

Offers are connected to every marketplace sandbox that takes prices, with its real rate
limits on. Random offers get a new price (and a crossed-out price of twice as much, so every
marketplace shows the same price to pay) through POST /api/v1/prices/bulk, one change at a
time at a steady pace; one watcher per marketplace reads the sandbox's prices back until each
value arrives. Reported per marketplace: p50/p95/p99 in seconds and the 429s the sandbox
answered. Every change is one the marketplace's pacing allows: a sandbox takes each accepted
price at once (a marketplace's hourly cap on the price changes of one product is not
emulated; see the sandbox audits under docs/sandboxes/), and prices only go up, so none
falls into a price quarantine.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from marketbridge.benchmarks.common import (
    bench_world,
    machine,
    one_size_catalog,
    percentiles,
    rejected_429,
    seller_api,
)
from marketbridge.channels.roles import CatalogSource, PriceSink
from marketbridge.demo.world import World, kinds_playing, wait_for
from marketbridge.store.tables import PendingChange
from marketbridge.sync.dispatch import ChangeKind

#: The first price the benchmark sets: above every catalog price, so each change is a rise.
FIRST_PRICE = 100_000


def price_kinds() -> list[str]:
    """The marketplaces this benchmark measures: every one that imports a catalog and takes prices."""
    return kinds_playing(CatalogSource, PriceSink)


async def _prices_settled(world: World) -> bool:
    """Whether the initial price export is done: no price is waiting to be sent without an error."""
    async with world.hub.db.reading() as s:
        waiting = await s.scalar(
            select(func.count())
            .select_from(PendingChange)
            .where(PendingChange.kind == ChangeKind.PRICE, PendingChange.last_error.is_(None))
        )
    return not waiting


async def _watch(
    world: World, kind: str, expected: dict[str, tuple[Decimal, float]], seen: dict[str, float]
) -> None:
    """Read the sandbox's prices until every expected (offer code -> price, start) is there."""
    control = world.markets[kind].control
    while True:
        if not expected:
            await asyncio.sleep(0.02)
            continue
        answer = await control.get("/prices", params={"offer_code": sorted(expected)})
        items = answer.json()["items"]
        now = time.monotonic()
        shown = {str(i["offer_code"]): Decimal(str(i["price"])) for i in items if i.get("price") is not None}
        for code, (price, started) in list(expected.items()):
            if shown.get(code) == price:
                seen[f"{code}={price}"] = now - started
                del expected[code]
        await asyncio.sleep(0.02)


async def run(
    offers: int = 2000, changes: int = 120, per_second: float = 2.0, seed: int = 1
) -> dict[str, Any]:
    catalog = one_size_catalog(offers)
    rng = random.Random(seed)
    async with bench_world(catalog, kinds=price_kinds(), limits=True) as world:
        setup_started = time.monotonic()
        await wait_for(lambda: _prices_settled(world), timeout=3600, every=1.0)
        initial_export = time.monotonic() - setup_started
        expected: dict[str, dict[str, tuple[Decimal, float]]] = {kind: {} for kind in world.markets}
        seen: dict[str, dict[str, float]] = {kind: {} for kind in world.markets}
        watchers = [asyncio.create_task(_watch(world, k, expected[k], seen[k])) for k in world.markets]
        skus = [o.sku for o in catalog.offers]
        async with seller_api(world) as api:
            for n in range(changes):
                sku = rng.choice(skus)
                price = Decimal(FIRST_PRICE + n)  # unique, so the watcher cannot see an older value
                items = [
                    {"offer_sku": sku, "price_type": "base", "amount": str(price)},
                    {"offer_sku": sku, "price_type": "old", "amount": str(2 * price)},
                ]
                started = time.monotonic()
                (await api.post("/prices/bulk", json={"items": items})).raise_for_status()
                for kind in world.markets:
                    expected[kind][sku] = (
                        price,
                        started,
                    )  # a newer change of the offer replaces an older one
                await asyncio.sleep(1 / per_second)
        with contextlib.suppress(TimeoutError):  # what is still expected then counts as lost
            await wait_for(_all_seen(expected), timeout=120, every=0.1)
        for task in watchers:
            task.cancel()
        await asyncio.gather(*watchers, return_exceptions=True)
        rejected = await rejected_429(world)
    return {
        "benchmark": "price-latency",
        "offers": offers,
        "changes": changes,
        "changes_per_second": per_second,
        "initial_export_seconds": round(initial_export, 1),
        "latency_seconds": {kind: percentiles(list(v.values())) for kind, v in seen.items()},
        "failed_changes": {kind: len(v) for kind, v in expected.items()},
        "rejected_429": rejected,
        "target": "p99 <= 2 s for a change the marketplace's pacing allows",
        "machine": machine(),
    }


def _all_seen(expected: dict[str, dict[str, tuple[Decimal, float]]]) -> Any:
    async def check() -> bool:
        return not any(expected.values())

    return check
