"""stock-latency: time from a stock change through the seller API to the marketplace holding it.

Offers are connected to every marketplace sandbox with its real rate limits on. Random
offers, each once (some marketplaces take one value per offer and warehouse every 30 s; the
figures are for a first change), get new stock through POST /api/v1/stocks/bulk, one change at a time at a steady
pace; one watcher per marketplace reads back every value still on its way, in one request
every 20 ms, until it arrives. (The hub runs in this process: a watcher per change, each
polling on its own, cost the hub's event loop hundreds of requests a second.) Reported per
marketplace: p50/p95/p99 in seconds up to the moment the marketplace accepted the value (the
sandbox stamps it), and apart, up to when the watcher read it back: that adds the watcher's
own wait, up to 20 ms plus its turn on the event loop it shares with the hub.
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

#: A value not seen on the marketplace this long after its change counts as failed.
GIVE_UP_SECONDS = 60.0


async def _watch(
    world: World,
    kind: str,
    warehouse: str,
    expected: dict[tuple[str, int], float],
    seen: tuple[list[float], list[float]],
    lost: list[str],
) -> None:
    """Read the sandbox's stocks until every expected (offer code, quantity) -> start is there;
    note for each the seconds until the marketplace accepted it and until it was read back.
    Starts and the marketplace's stamps are wall-clock times (`time.time()`)."""
    control = world.markets[kind].control
    accepted, read_back = seen
    while True:
        if expected:
            codes = sorted({code for code, _ in expected})
            items = (await control.get("/stocks", params={"offer_code": codes})).json()["items"]
            now = time.time()
            shown = {
                (str(i["offer_code"]), int(i["quantity"])): i.get("set_at")
                for i in items
                if str(i["warehouse_id"]) == warehouse
            }
            for key, started in list(expected.items()):
                if key in shown:
                    stamp = shown[key]
                    accepted.append((now if stamp is None else float(stamp)) - started)
                    read_back.append(now - started)
                    del expected[key]
                elif now - started > GIVE_UP_SECONDS:
                    lost.append(f"{kind}: {key[0]} never got {key[1]}")
                    del expected[key]
        await asyncio.sleep(0.02)


async def _all_seen(expected: dict[str, dict[tuple[str, int], float]]) -> bool:
    return not any(expected.values())


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
        latencies: dict[str, tuple[list[float], list[float]]] = {kind: ([], []) for kind in world.markets}
        expected: dict[str, dict[tuple[str, int], float]] = {kind: {} for kind in world.markets}
        lost: list[str] = []
        watchers = [
            asyncio.create_task(_watch(world, kind, warehouses[kind], expected[kind], latencies[kind], lost))
            for kind in world.markets
        ]
        skus = [o.sku for o in catalog.offers]
        try:
            async with seller_api(world) as api:
                # each offer changes once: a marketplace may take one value per offer and warehouse
                # every so often, and the figures are for a first change, not for that wait
                for n, sku in enumerate(rng.sample(skus, min(changes, len(skus)))):
                    qty = 1000 + n  # unique, so the watcher cannot see an older value
                    started = time.time()
                    answer = await api.post(
                        "/stocks/bulk",
                        json={"items": [{"offer_sku": sku, "warehouse": "WH1", "on_hand": qty}]},
                    )
                    answer.raise_for_status()
                    for kind in world.markets:  # the seller's SKU is the offer code everywhere
                        expected[kind][(sku, qty)] = started
                    await asyncio.sleep(1 / per_second)
                await wait_for(lambda: _all_seen(expected), timeout=GIVE_UP_SECONDS + 5, every=0.1)
        finally:
            for task in watchers:
                task.cancel()
        failures = len(lost)
        rejected = await rejected_429(world)
    return {
        "benchmark": "stock-latency",
        "offers": offers,
        "changes": changes,
        "changes_per_second": per_second,
        "initial_export_seconds": round(initial_export, 1),
        "pause_after_initial_export_seconds": settle_seconds,
        "latency_seconds": {kind: percentiles(v[0]) for kind, v in latencies.items()},
        "read_back_seconds": {kind: percentiles(v[1]) for kind, v in latencies.items()},
        "failed_changes": failures,
        "lost": lost[:10],
        "rejected_429": rejected,
        "target": "p50 <= 1 s, p99 <= 2 s",
        "machine": machine(),
    }
