"""stock-latency: time from a stock change through the seller API to the marketplace holding it.

Offers are connected to every marketplace sandbox with its real rate limits on. Random
offers get new stock through POST /api/v1/stocks/bulk, one change at a time at a steady
pace; a watcher per change polls the sandbox's read-back until the value arrives. Reported
per marketplace: p50/p95/p99 in seconds.
"""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any

from marketbridge.benchmarks.common import (
    bench_world,
    machine,
    one_size_catalog,
    percentiles,
    rejected_429,
    seller_api,
    stock_kinds,
)
from marketbridge.demo.world import World, wait_for


async def _watch(world: World, kind: str, code: str, warehouse: str, qty: int, started: float) -> float:
    control = world.markets[kind].control
    while True:
        items = (await control.get("/stocks", params={"offer_code": code})).json()["items"]
        if any(str(i["warehouse_id"]) == warehouse and int(i["quantity"]) == qty for i in items):
            return time.monotonic() - started
        if time.monotonic() - started > 60:
            raise TimeoutError(f"{kind}: {code} never got {qty}")
        await asyncio.sleep(0.02)


async def run(
    offers: int = 10_000,
    changes: int = 200,
    per_second: float = 4.0,
    seed: int = 1,
    settle_seconds: float = 31.0,
) -> dict[str, Any]:
    catalog = one_size_catalog(offers)
    rng = random.Random(seed)
    async with bench_world(catalog, kinds=stock_kinds(), limits=True) as world:
        setup_started = time.monotonic()
        await wait_for(world.stocks_settled, timeout=3600, every=2.0)
        initial_export = time.monotonic() - setup_started
        # Some marketplaces take one value per offer and warehouse at most every so often (30 s);
        # start measuring once the initial export is that far behind, so the figures are steady state.
        await asyncio.sleep(settle_seconds)
        warehouses = {kind: (await world.warehouse_ids(kind))[0] for kind in world.markets}
        latencies: dict[str, list[float]] = {kind: [] for kind in world.markets}
        watchers: list[asyncio.Task[float]] = []
        kinds: list[str] = []
        skus = [o.sku for o in catalog.offers]
        async with seller_api(world) as api:
            for n in range(changes):
                sku = rng.choice(skus)
                qty = 1000 + n  # unique, so the watcher cannot see an older value
                started = time.monotonic()
                answer = await api.post(
                    "/stocks/bulk", json={"items": [{"offer_sku": sku, "warehouse": "WH1", "on_hand": qty}]}
                )
                answer.raise_for_status()
                for kind in world.markets:
                    watchers.append(
                        asyncio.create_task(_watch(world, kind, sku, warehouses[kind], qty, started))
                    )
                    kinds.append(kind)
                await asyncio.sleep(1 / per_second)
            results = await asyncio.gather(*watchers, return_exceptions=True)
        failures = 0
        for kind, result in zip(kinds, results, strict=True):
            if isinstance(result, BaseException):
                failures += 1
            else:
                latencies[kind].append(result)
        rejected = await rejected_429(world)
    return {
        "benchmark": "stock-latency",
        "offers": offers,
        "changes": changes,
        "changes_per_second": per_second,
        "initial_export_seconds": round(initial_export, 1),
        "pause_after_initial_export_seconds": settle_seconds,
        "latency_seconds": {kind: percentiles(v) for kind, v in latencies.items()},
        "failed_changes": failures,
        "rejected_429": rejected,
        "target": "p50 <= 1 s, p99 <= 2 s",
        "machine": machine(),
    }
