"""oversell: the last unit of an offer bought on two marketplaces close together.

Each trial is one offer with one unit, listed on two marketplace sandboxes with their real
rate limits on. A buyer takes the unit on one marketplace; a second buyer tries the other
one a little later. Like the marketplaces, the sandboxes refuse an order for stock they do
not show, so an oversell is both orders accepted. The gap between the two buyers is drawn
from bands: 0–100 ms (the order has reached no hub yet: nobody can win that race), then
0.5–1 s, 1–5 s and 5–60 s.

The same trials run twice:
- marketbridge as it ships: orders by push where the marketplace pushes, otherwise polled as
  often as the marketplace's quota allows; stock changes sent as they happen;
- a 5-minute polling baseline — the same hub driven the way hosted hubs work today: every
  5 minutes (at a random phase) it reads the new orders and then sends stocks; no pushes.
"""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any

from marketbridge.benchmarks.common import bench_world, machine, one_size_catalog
from marketbridge.demo.world import WORLD_SCHEDULE, World, wait_for
from marketbridge.sync.dispatch import JobKind

BANDS: dict[str, tuple[float, float]] = {
    "0-0.1 s": (0.0, 0.1),
    "0.5-1 s": (0.5, 1.0),
    "1-5 s": (1.0, 5.0),
    "5-60 s": (5.0, 60.0),
}
POLL_EVERY = 300.0  # the baseline's period: hosted hubs sync stocks every 5 minutes
#: Connection settings of the measured hub: the world's schedule without its fixed 5 s order polls, so
#: orders are polled (and new-order feeds read) as often as each marketplace's quota allows, as a
#: connection does by default.
POLLS = ("orders", "new_orders")
AS_SHIPPED: dict[str, object] = {"schedule": {k: v for k, v in WORLD_SCHEDULE.items() if k not in POLLS}}
TARGET = "oversold: at most 1 of 50 at 1-5 s apart, at most 10 of 50 at 0.5-1 s apart"


def _trials(per_band: int, seed: int, spread: float) -> list[tuple[str, float, float]]:
    """(band, start offset, gap) for each offer, in offer order."""
    rng = random.Random(seed)
    return [
        (band, rng.uniform(0, spread), rng.uniform(low, high))
        for band, (low, high) in BANDS.items()
        for _ in range(per_band)
    ]


async def _buy(world: World, kind: str, sku: str, warehouse: str) -> bool:
    answer = await world.markets[kind].control.post(
        "/orders", json={"lines": [{"offer_code": sku, "quantity": 1}], "warehouse_id": warehouse}
    )
    if answer.status_code == 400 and "stock" in answer.text:
        return False
    answer.raise_for_status()
    return True


async def _play(world: World, trials: list[tuple[str, float, float]]) -> dict[str, dict[str, int]]:
    kinds = sorted(world.markets)
    warehouses = {kind: (await world.warehouse_ids(kind))[0] for kind in kinds}
    skus = [o.sku for o in world.catalog.offers]
    began = time.monotonic()

    async def trial(n: int, start: float, gap: float) -> tuple[bool, bool]:
        first, second = kinds[n % len(kinds)], kinds[(n + 1) % len(kinds)]
        await asyncio.sleep(max(0.0, began + start - time.monotonic()))
        sold = await _buy(world, first, skus[n], warehouses[first])
        await asyncio.sleep(gap)
        return sold, await _buy(world, second, skus[n], warehouses[second])

    outcomes = await asyncio.gather(*(trial(n, start, gap) for n, (_, start, gap) in enumerate(trials)))
    per_band: dict[str, dict[str, int]] = {band: {"trials": 0, "oversold": 0, "unsold": 0} for band in BANDS}
    for (band, _, _), (first, second) in zip(trials, outcomes, strict=True):
        per_band[band]["trials"] += 1
        per_band[band]["oversold"] += first and second
        per_band[band]["unsold"] += not first  # the first buyer should always get the unit
    return per_band


async def _baseline_poller(world: World, stop: asyncio.Event, phase: float) -> int:
    """Every POLL_EVERY seconds (first after `phase`): read orders, then send stocks. Returns the ticks."""
    ticks, wait = 0, phase
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), wait)
            break
        except TimeoutError:
            pass
        for market in world.markets.values():
            await world.run(market.connection_id, JobKind.ORDERS)
        for market in world.markets.values():
            await world.run(market.connection_id, JobKind.STOCKS)
        ticks, wait = ticks + 1, POLL_EVERY
    return ticks


async def run(
    offers: int = 200, seed: int = 3, spread: float = 60.0, settle_seconds: float = 31.0
) -> dict[str, Any]:
    """`offers` trials in all, split evenly over the gap bands."""
    per_band = max(1, offers // len(BANDS))
    trials = _trials(per_band, seed, spread)
    catalog = one_size_catalog(len(trials), warehouses=1)
    for levels in catalog.stock.values():
        for warehouse in levels:
            levels[warehouse] = 1
    results: dict[str, Any] = {}

    async with bench_world(catalog, limits=True, connection_settings=AS_SHIPPED) as world:
        await wait_for(world.stocks_settled, timeout=600, every=1.0)
        await asyncio.sleep(
            settle_seconds
        )  # steady state: past the per-offer stock interval (30 s) some marketplaces keep
        results["marketbridge"] = await _play(world, trials)

    async with bench_world(catalog, limits=True, serve_api=False, start_worker=False) as world:
        for market in world.markets.values():
            await world.run(market.connection_id, JobKind.STOCKS)
        await wait_for(world.stocks_settled, timeout=600, every=1.0)
        stop = asyncio.Event()
        poller = asyncio.create_task(
            _baseline_poller(world, stop, random.Random(seed).uniform(0, POLL_EVERY))
        )
        results["polling_every_5_minutes"] = await _play(world, trials)
        stop.set()
        ticks = await poller
    return {
        "benchmark": "oversell",
        "offers": len(trials),
        "bands_seconds": BANDS,
        "results": results,
        "baseline_ticks_during_trials": ticks,
        "target": TARGET,
        "machine": machine(),
    }
