"""stock-throughput: a full stock export of every offer to every marketplace, real limits on.

The catalog is imported with the sandboxes' limits off; then the limits go on and the
export runs. Reported per marketplace: items per second achieved, the ceiling its limits
allow (requests per second of the stock method × items per request), the ratio, and the
number of 429s the sandbox gave.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from marketbridge.benchmarks.common import bench_world, machine, one_size_catalog, stock_kinds
from marketbridge.channels.roles import StockSink, require
from marketbridge.store.tables import Connection
from marketbridge.sync.dispatch import JobKind


async def run(offers: int = 100_000) -> dict[str, Any]:
    catalog = one_size_catalog(offers)
    async with bench_world(catalog, kinds=stock_kinds(), limits=False, start_worker=False) as world:
        for market in world.markets.values():
            (await market.control.put("/limits", json={"enabled": True})).raise_for_status()
        results: dict[str, Any] = {}

        async def export(kind: str) -> None:
            market = world.markets[kind]
            async with world.hub.db.session() as s:
                conn = await s.get(Connection, market.connection_id)
            assert conn is not None
            sink = require(world.hub.channels.get(conn), StockSink)
            started = time.monotonic()
            await world.run(market.connection_id, JobKind.STOCKS)
            seconds = time.monotonic() - started
            held = await world.sandbox_stocks(kind)
            limits = (await market.control.get("/limits")).json()
            ceiling = sink.stock_items_per_second
            achieved = offers / seconds
            results[kind] = {
                "seconds": round(seconds, 1),
                "items_per_second": round(achieved, 1),
                "ceiling_items_per_second": round(ceiling, 1) if ceiling else None,
                "share_of_ceiling": round(achieved / ceiling, 3) if ceiling else None,
                "rejected_429": sum(limits["rejected"].values()),
                "offers_held_by_sandbox": len(held),
            }

        await asyncio.gather(*(export(kind) for kind in world.markets))
    return {
        "benchmark": "stock-throughput",
        "offers_per_marketplace": offers,
        "results": results,
        "target": ">= 95 % of the ceiling, 0 × 429",
        "machine": machine(),
    }
